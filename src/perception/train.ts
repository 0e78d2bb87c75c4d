/**
 * Training the perception network on ground-truth frames of the world's 'pretrain' stream with the shared loop
 * (AdamW, warm-up + cosine schedule, clipping, EMA, exact resume, NaN guard, log.jsonl, progress bar), then
 * measuring its accuracy on the world's ground-truth test splits and writing the checkpoint `<outDir>/perception`
 * (EMA weights when EMA is on). The resumable state lives in `<outDir>/checkpoint`.
 */
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { readCheckpointMeta, saveCheckpoint, snapshot } from '../train/checkpoint';
import { runLoop } from '../train/loop';
import { adamwConfig } from '../train/optim';
import { DataError } from '../core/errors';
import { SplitName, WorldConfig } from '../world/config';
import { validateWorld } from '../world/clip';
import { PerceptionAccuracy, perceptionAccuracy } from './accuracy';
import { PerceptionCheckpointHead, checkPerceptionHead, perceptionHead } from './checkpoint';
import { PerceptionConfig, validatePerceptionConfig } from './config';
import { checkWorldFits, renderSplit, trainingBatch } from './data';
import { perceptionLoss } from './loss';
import { initPerceptionParams } from './net';
import { disposePerception, perceptionFromWeights } from './perceive';

/** The splits whose ground-truth frames the accuracy is reported on. */
export const PERCEPTION_EVAL_SPLITS = ['test-general', 'test-hands'] as const satisfies readonly SplitName[];
/** A split the accuracy is reported on. */
export type PerceptionEvalSplit = (typeof PERCEPTION_EVAL_SPLITS)[number];

/** Arguments of `trainPerception`. */
export interface TrainPerceptionArgs {
  config: PerceptionConfig;
  /** Seed of the world whose 'pretrain' stream is trained on and whose test splits are measured. */
  worldSeed: number;
  world: WorldConfig;
  /** Seed of the weights. */
  seed: number;
  outDir: string;
  /** Continue from `<outDir>/checkpoint` (same config, seeds and world); without it an existing one is an error. */
  resume: boolean;
  /** Stop (with a resumable checkpoint, no final one) once this many steps are done. */
  stopAfter?: number;
  /** Measure accuracy on the test splits (default true). */
  evaluate?: boolean;
  info?: Record<string, unknown>;
}

/** What training reports (also stored, flattened, as the checkpoint's metrics). */
export interface PerceptionTrainMetrics {
  steps: number;
  finalLoss: number;
  secondsPerStep: number;
  /** Wall seconds of this call's training steps (a resumed run counts only its own). */
  trainSeconds: number;
  params: number;
  accuracy: Partial<Record<PerceptionEvalSplit, PerceptionAccuracy>>;
}

/** What `trainPerception` returns. */
export interface TrainPerceptionResult {
  /** The checkpoint folder `<outDir>/perception`; null when `stopAfter` ended the run early. */
  dir: string | null;
  metrics: PerceptionTrainMetrics;
}

/** Identifies the training data: the 'pretrain' stream of a world seed and profile. */
export function perceptionDataId(worldSeed: number, world: WorldConfig): string {
  return `pretrain-stream:seed=${worldSeed}:size=${world.size}:hardShare=${world.hardShare ?? 'default'}`;
}

/** Flatten accuracy into checkpoint metrics ('test-general.handPck', ...; nulls left out). */
function flatMetrics(m: PerceptionTrainMetrics): Record<string, number> {
  const out: Record<string, number> = { steps: m.steps, finalLoss: m.finalLoss, secondsPerStep: m.secondsPerStep, trainSeconds: m.trainSeconds, params: m.params };
  for (const [split, acc] of Object.entries(m.accuracy)) {
    for (const [k, v] of Object.entries(acc)) if (typeof v === 'number') out[`${split}.${k}`] = v;
  }
  return out;
}

/** A resumable checkpoint in outDir must come from the same config, seed and data. */
function checkResumable(outDir: string, c: PerceptionConfig, seed: number, dataId: string): void {
  const dir = path.join(outDir, 'checkpoint');
  if (!fs.existsSync(path.join(dir, 'checkpoint.json'))) return;
  const meta = readCheckpointMeta<PerceptionCheckpointHead>(dir, (m) => {
    if (m.kind !== 'perception') throw new DataError(`${dir} holds a '${m.kind}' checkpoint, not a perception run`);
    checkPerceptionHead(m);
  });
  const diff = (Object.keys(c) as (keyof PerceptionConfig)[]).filter((k) => meta.perception[k] !== c[k]).map((k) => `${k}: ${meta.perception[k]} != ${c[k]}`);
  if (diff.length) throw new DataError(`${dir}: perception config differs from this run's (${diff.join('; ')})`);
  if (meta.seed !== seed) throw new DataError(`${dir}: trained with seed ${meta.seed}, this run has seed ${seed}`);
  if (meta.worldHash !== dataId) throw new DataError(`${dir}: trained on '${meta.worldHash}', this run on '${dataId}'`);
}

/** Train (or resume) the perception network, measure it on the test splits and write its checkpoint. */
export async function trainPerception(a: TrainPerceptionArgs): Promise<TrainPerceptionResult> {
  const c = a.config;
  validatePerceptionConfig(c);
  validateWorld(a.world);
  checkWorldFits(c, a.world);
  if (!Number.isInteger(a.worldSeed)) throw new Error(`worldSeed must be an integer, got ${a.worldSeed}`);
  const dataId = perceptionDataId(a.worldSeed, a.world);
  if (a.resume) checkResumable(a.outDir, c, a.seed, dataId);
  const params = initPerceptionParams(c, a.seed);
  const paramCount = Object.values(params).reduce((s, v) => s + v.size, 0);
  const info = { ...a.info, worldSeed: a.worldSeed, world: a.world };
  try {
    const t0 = Date.now();
    const loop = await runLoop({
      outDir: a.outDir,
      totalSteps: c.steps,
      checkpointEvery: c.checkpointEvery,
      stopAfter: a.stopAfter,
      optim: adamwConfig(c, c.steps),
      emaDecay: c.emaDecay,
      trainable: params,
      resume: a.resume,
      outputs: ['perception'],
      label: 'perception',
      meta: { head: perceptionHead(c), seed: a.seed, worldHash: dataId, info },
      stepLoss: (step) => {
        const r = perceptionLoss(c, params, trainingBatch(c, a.worldSeed, a.world, a.seed, step));
        return { loss: r.loss, metrics: { handErrPx: r.metrics.handErrorPx, bodyErrPx: r.metrics.bodyErrorPx } };
      },
    });
    const metrics: PerceptionTrainMetrics = {
      steps: loop.steps,
      finalLoss: loop.lastRecord?.loss ?? NaN,
      secondsPerStep: loop.secondsPerStep,
      trainSeconds: (Date.now() - t0) / 1000,
      params: paramCount,
      accuracy: {},
    };
    if (loop.steps < c.steps) return { dir: null, metrics };
    const weights = loop.ema ?? snapshot(params);
    if (a.evaluate ?? true) {
      const p = perceptionFromWeights(c, weights);
      try {
        for (const split of PERCEPTION_EVAL_SPLITS) {
          if (a.world.splits[split] > 0) metrics.accuracy[split] = perceptionAccuracy(p, renderSplit(a.worldSeed, split, a.world));
        }
      } finally {
        disposePerception(p);
      }
    }
    const dir = path.join(a.outDir, 'perception');
    saveCheckpoint(dir, {
      head: perceptionHead(c),
      step: c.steps,
      seed: a.seed,
      worldHash: dataId,
      metrics: flatMetrics(metrics),
      info: { ...info, weights: loop.ema ? 'ema' : 'raw' },
      files: { weights },
    });
    return { dir, metrics };
  } finally {
    tf.dispose(Object.values(params));
  }
}
