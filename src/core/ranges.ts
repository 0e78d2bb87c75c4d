/**
 * The range of every numeric command-line option, as plain data: `num` (args.ts) enforces it and the commands'
 * help texts quote it (`rangeText`), so a value outside it is an error (exit 2) that states the range instead of
 * a run that never ends or a timer that overflows.
 */

/** An inclusive range; `integer` when only whole numbers are valid. */
export interface Range {
  min: number;
  max: number;
  integer?: boolean;
}

/** Seeds (world, sampling, training): the random streams take them as unsigned 32-bit integers. */
export const SEED: Range = { min: 0, max: 0xffffffff, integer: true };
/** Worker threads of a stage (the machine's cores are the useful limit; 64 is far above any machine here). */
export const WORKERS: Range = { min: 1, max: 64, integer: true };
/** Euler steps of the sampler (the profiles use 4-8; 1000 is far past any gain). */
export const SAMPLER_STEPS: Range = { min: 1, max: 1000, integer: true };
/** Optimiser steps of a training run (the paper: 1,000; a million steps is days of CPU time at the smallest size). */
export const TRAIN_STEPS: Range = { min: 1, max: 1_000_000, integer: true };
/** Videos per training batch (the paper: 8). */
export const BATCH: Range = { min: 1, max: 256, integer: true };
/** Frames per training window (post-training on windows of the videos). */
export const CLIP_FRAMES: Range = { min: 1, max: 1024, integer: true };
/** LoRA rank (0: full fine-tuning; the paper: 128). */
export const LORA_RANK: Range = { min: 0, max: 1024, integer: true };
/** Learning rate (AdamW). */
export const LEARNING_RATE: Range = { min: 1e-12, max: 1 };
/** Flow-IPA / Flow-DPO temperature beta (the paper sweeps 200-1000). */
export const BETA: Range = { min: 1e-12, max: 1e6 };
/** Global gradient-norm clip of post-training (0: none). */
export const CLIP_NORM: Range = { min: 0, max: 1e6 };
/** HALO hand weight lambda (the paper sweeps 0.1-100). */
export const HAND_WEIGHT: Range = { min: 1e-12, max: 1e4 };
/**
 * Seconds a notebook cell may run (0: no limit). Node's timers hold at most 2^31 - 1 ms (about 24.8 days); a
 * longer delay fires after 1 ms, so the limit stays below that.
 */
export const TIMEOUT_S: Range = { min: 0, max: 2_000_000 };
/** Repeats of a benchmark. */
export const REPEATS: Range = { min: 1, max: 1000, integer: true };

/** A range as the help texts and errors write it: `1..1000` for integers, `[1e-12, 1]` otherwise. */
export function rangeText(r: Range): string {
  return r.integer ? `${r.min}..${r.max}` : `[${r.min}, ${r.max}]`;
}
