/**
 * Pretraining of the base model: rectified-flow matching on clips streamed from the world's 'pretrain' split
 * (an unbounded stream disjoint from the stored splits, standing in for the large corpus VACE was trained on).
 * The base checkpoint written at the end holds the EMA weights.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { flowMatchingLoss } from '../align/losses';
import { TimestepDensity, gaussianNoise, noisy, sampleTimesteps, velocityTarget } from '../flow/rectified';
import { rng } from '../repro/seeds';
import { CheckpointMeta, TensorDict, saveCheckpoint, snapshot } from './checkpoint';
import { ModelConfig, validateModelConfig } from './config';
import { Params, countParams, forward, initParams } from './dit';
import { ClipPixels, batchInputs } from './inputs';
import { LoopResult, runLoop } from './loop';

/** Pretraining settings (plain data; the profiles hold one per profile). */
export interface PretrainConfig {
  model: ModelConfig;
  steps: number;
  batch: number;
  lr: number;
  warmupSteps: number;
  minLrFraction: number;
  weightDecay: number;
  clipNorm: number;
  emaDecay: number;
  checkpointEvery: number;
  timesteps: TimestepDensity;
}

export interface PretrainArgs {
  config: PretrainConfig;
  /** Seed of the weights, noise and timesteps. */
  seed: number;
  /** Clip `index` of the pretraining stream. */
  source: (index: number) => ClipPixels;
  /** Identifies the data (the world's hash or the stream's description), stored in the checkpoint. */
  worldHash: string;
  outDir: string;
  resume: boolean;
  stopAfter?: number;
  info?: Record<string, unknown>;
  /** Called after each step with the number of steps done and the current (raw) weights. */
  onStep?: (step: number, params: Params) => void;
}

export interface PretrainResult {
  loop: LoopResult;
  /** The base checkpoint folder (EMA weights), written when all steps are done. */
  baseDir: string | null;
  meta: CheckpointMeta | null;
  paramCount: number;
}

/** Check a pretraining config; throws naming the field. */
export function validatePretrainConfig(c: PretrainConfig): void {
  validateModelConfig(c.model);
  for (const k of ['steps', 'batch', 'checkpointEvery'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`pretrain config: '${k}' must be a positive integer, got ${c[k]}`);
  }
  if (!(c.lr > 0)) throw new Error(`pretrain config: 'lr' must be > 0, got ${c.lr}`);
  if (!(c.emaDecay >= 0 && c.emaDecay < 1)) throw new Error(`pretrain config: 'emaDecay' must be in [0, 1), got ${c.emaDecay}`);
}

/** The flow-matching loss of one training step (batch and noise drawn from step-keyed streams). */
export function flowStepLoss(c: ModelConfig, params: Params, clips: ClipPixels[], seed: number, step: number, density: TimestepDensity): tf.Scalar {
  const B = clips.length;
  const { x0, cond } = batchInputs(clips, c.height);
  const eps = gaussianNoise(rng(seed, 'train-noise', step), x0.shape);
  const t = tf.tensor1d(sampleTimesteps(rng(seed, 'train-t', step), B, density));
  const pred = forward(c, params, { video: noisy(x0, eps, t), cond, t });
  return flowMatchingLoss(pred, velocityTarget(x0, eps)).loss;
}

/** Pretrain (or resume) and write the base checkpoint to `<outDir>/base`. */
export function pretrain(a: PretrainArgs): PretrainResult {
  const c = a.config;
  validatePretrainConfig(c);
  const params = initParams(c.model, a.seed);
  const paramCount = countParams(params);
  try {
    const loop = runLoop({
      outDir: a.outDir,
      totalSteps: c.steps,
      checkpointEvery: c.checkpointEvery,
      stopAfter: a.stopAfter,
      optim: {
        lr: c.lr,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: c.weightDecay,
        clipNorm: c.clipNorm,
        warmupSteps: c.warmupSteps,
        totalSteps: c.steps,
        minLrFraction: c.minLrFraction,
      },
      emaDecay: c.emaDecay,
      trainable: params,
      resume: a.resume,
      label: 'pretrain',
      onStep: a.onStep ? (r) => a.onStep?.(r.step, params) : undefined,
      meta: { kind: 'base', model: c.model, seed: a.seed, worldHash: a.worldHash, info: { ...a.info, pretrain: c } },
      stepLoss: (step) => {
        const clips = Array.from({ length: c.batch }, (_, i) => a.source(step * c.batch + i));
        return { loss: flowStepLoss(c.model, params, clips, a.seed, step, c.timesteps), metrics: {} };
      },
    });
    if (loop.steps < c.steps) return { loop, baseDir: null, meta: null, paramCount };
    const weights: TensorDict = loop.ema ?? snapshot(params);
    const baseDir = path.join(a.outDir, 'base');
    const meta = saveCheckpoint(baseDir, {
      kind: 'base',
      model: c.model,
      step: c.steps,
      seed: a.seed,
      worldHash: a.worldHash,
      metrics: { finalLoss: loop.lastRecord?.loss ?? NaN, secondsPerStep: loop.secondsPerStep, params: paramCount },
      info: { ...a.info, pretrain: c, weights: loop.ema ? 'ema' : 'raw' },
      files: { weights },
    });
    return { loop, baseDir, meta, paramCount };
  } finally {
    tf.dispose(Object.values(params));
  }
}
