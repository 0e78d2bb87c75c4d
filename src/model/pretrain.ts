/**
 * Pretraining of the base model: rectified-flow matching on clips streamed from the world's 'pretrain' split
 * (an unbounded stream disjoint from the stored splits, standing in for the large corpus VACE was trained on).
 * The base checkpoint written at the end holds the EMA weights.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { flowMatchingLoss } from '../flow/losses';
import { TimestepDensity, batchNoise, batchTimesteps, noisy, velocityTarget } from '../flow/rectified';
import { TensorDict, saveCheckpoint, snapshot } from '../train/checkpoint';
import { ModelCheckpointMeta, modelHead } from './checkpoint';
import { ModelConfig, validateModelConfig } from './config';
import { Params, countParams, forward, initParams } from './dit';
import { ClipPixels, batchInputs } from './inputs';
import { LoopResult, runLoop } from '../train/loop';
import { TrainSchedule, adamwConfig } from '../train/optim';
import { WorkerPool, defineTask } from '../core/pool';
import { backendSetup } from '../gpu/workers';
import { WorldConfig } from '../world/config';
import { makeClip } from '../world/clip';

/** Pretraining settings (plain data; the profiles hold one per profile). */
export interface PretrainConfig extends TrainSchedule {
  model: ModelConfig;
  emaDecay: number;
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
  /**
   * Data-parallel workers (default 1: this thread). With W > 1 each step's batch is split into W equal shards
   * whose gradients are computed on W worker threads and averaged in a fixed order; results are deterministic
   * for a given W (and equal, up to the float summation order, to the single-thread run: every sample's noise
   * and timestep come from its own stream). Needs `stream`, the pretraining data as plain data.
   */
  workers?: number;
  stream?: { worldSeed: number; world: WorldConfig };
}

export interface PretrainResult {
  loop: LoopResult;
  /** The base checkpoint folder (EMA weights), written when all steps are done. */
  baseDir: string | null;
  meta: ModelCheckpointMeta | null;
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

/**
 * The flow-matching loss of one training step: clips `offset..offset+n-1` of the step's batch, with per-sample
 * noise and timestep streams (so a batch split across workers computes the same samples).
 */
export function flowStepLoss(c: ModelConfig, params: Params, clips: ClipPixels[], seed: number, step: number, density: TimestepDensity, offset = 0): tf.Scalar {
  const idx = clips.map((_, i) => offset + i);
  const { x0, cond } = batchInputs(clips, c.height);
  const eps = batchNoise(seed, 'train-noise', step, idx, x0.shape.slice(1));
  const t = batchTimesteps(seed, 'train-t', step, idx, density);
  const pred = forward(c, params, { video: noisy(x0, eps, t), cond, t });
  return flowMatchingLoss(pred, velocityTarget(x0, eps)).loss;
}

/** Pretrain (or resume) and write the base checkpoint to `<outDir>/base`. */
export async function pretrain(a: PretrainArgs): Promise<PretrainResult> {
  const c = a.config;
  validatePretrainConfig(c);
  const params = initParams(c.model, a.seed);
  const paramCount = countParams(params);
  const W = a.workers ?? 1;
  if (W > 1 && (!a.stream || c.batch % W !== 0)) throw new Error(`pretrain: ${W} data-parallel workers need the stream description and a batch divisible by ${W} (batch ${c.batch})`);
  const pool = W > 1 ? new WorkerPool(W, backendSetup()) : null;
  const computeGrads = pool
    ? async (step: number) => {
        const weights = Object.fromEntries(Object.entries(params).map(([n, v]) => [n, v.dataSync() as Float32Array]));
        const per = c.batch / W;
        const parts = await Promise.all(
          Array.from({ length: W }, (_, k) =>
            pool.run(k, GRAD_SHARD_TASK, {
              model: c.model,
              seed: a.seed,
              step,
              offset: k * per,
              indices: Array.from({ length: per }, (_, i) => step * c.batch + k * per + i),
              stream: a.stream,
              density: c.timesteps,
              weights,
            } satisfies GradShardInput),
          ),
        );
        const grads: Record<string, Float32Array> = {};
        for (const n of Object.keys(params)) {
          const g = new Float32Array(params[n].size);
          for (const p of parts) for (let i = 0; i < g.length; i++) g[i] += p.grads[n][i] / W;
          grads[n] = g;
        }
        return { loss: parts.reduce((s, p) => s + p.loss, 0) / W, metrics: {}, grads };
      }
    : undefined;
  try {
    const loop = await runLoop({
      computeGrads,
      outDir: a.outDir,
      totalSteps: c.steps,
      checkpointEvery: c.checkpointEvery,
      stopAfter: a.stopAfter,
      optim: adamwConfig(c, c.steps),
      emaDecay: c.emaDecay,
      trainable: params,
      resume: a.resume,
      outputs: ['base', 'samples'],
      resumeCheck: (meta) => {
        const info = meta.info ?? {};
        const diff: string[] = [];
        const had = (typeof info.pretrain === 'object' && info.pretrain !== null ? info.pretrain : {}) as Record<string, unknown>;
        for (const k of Object.keys(c) as (keyof PretrainConfig)[]) {
          if (JSON.stringify(c[k]) !== JSON.stringify(had[k])) diff.push(`${k} ${JSON.stringify(c[k])} here, ${JSON.stringify(had[k]) ?? 'none'} in the checkpoint`);
        }
        if (meta.seed !== a.seed) diff.push(`seed ${a.seed} here, ${meta.seed} in the checkpoint`);
        if (meta.worldHash !== a.worldHash) diff.push(`data '${a.worldHash}' here, '${meta.worldHash}' in the checkpoint`);
        return diff;
      },
      label: 'pretrain',
      onStep: a.onStep ? (r) => a.onStep?.(r.step, params) : undefined,
      meta: { head: modelHead('base', c.model), seed: a.seed, worldHash: a.worldHash, info: { ...a.info, pretrain: c } },
      stepLoss: (step) => {
        const clips = Array.from({ length: c.batch }, (_, i) => a.source(step * c.batch + i));
        return { loss: flowStepLoss(c.model, params, clips, a.seed, step, c.timesteps), metrics: {} };
      },
    });
    if (loop.steps < c.steps) return { loop, baseDir: null, meta: null, paramCount };
    const weights: TensorDict = loop.ema ?? snapshot(params);
    const baseDir = path.join(a.outDir, 'base');
    const meta = saveCheckpoint(baseDir, {
      head: modelHead('base', c.model),
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
    await pool?.close();
  }
}

/** Input of the gradient-shard task: one data-parallel shard of a pretraining step. */
export interface GradShardInput {
  model: ModelConfig;
  seed: number;
  step: number;
  /** This shard's first place in the step's batch (for the per-sample noise streams). */
  offset: number;
  /** Indices of this shard's clips in the pretraining stream. */
  indices: number[];
  stream: { worldSeed: number; world: WorldConfig } | undefined;
  density: TimestepDensity;
  weights: Record<string, Float32Array>;
}

export interface GradShardOutput {
  loss: number;
  grads: Record<string, Float32Array>;
}

const shardParams = new Map<string, Params>();

/** One shard's loss and gradients at the given weights (runs on a worker; its model variables persist). */
export function gradShard(inp: GradShardInput): GradShardOutput {
  if (!inp.stream) throw new Error('pretrain-grads: no stream');
  const key = JSON.stringify(inp.model);
  let params = shardParams.get(key);
  if (!params) {
    params = initParams(inp.model, 0);
    shardParams.set(key, params);
  }
  for (const [n, v] of Object.entries(params)) tf.tidy(() => v.assign(tf.tensor(inp.weights[n], v.shape)));
  const { stream } = inp;
  const clips = inp.indices.map((i) => makeClip(stream.worldSeed, 'pretrain', i, stream.world));
  const names = Object.keys(params);
  const p = params;
  const { value, grads } = tf.variableGrads(() => flowStepLoss(inp.model, p, clips, inp.seed, inp.step, inp.density, inp.offset), names.map((n) => p[n]));
  const out: GradShardOutput = { loss: value.dataSync()[0], grads: {} };
  names.forEach((n) => (out.grads[n] = grads[p[n].name].dataSync() as Float32Array));
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

const GRAD_SHARD_TASK = defineTask(__filename, 'gradShard', gradShard);
