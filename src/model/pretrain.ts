/**
 * Pretraining of the base model: rectified-flow matching on clips streamed from the world's 'pretrain' split
 * (an unbounded stream disjoint from the stored splits, standing in for the large corpus VACE was trained on).
 * The base checkpoint written at the end holds the EMA weights.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { flowMatchingLoss } from '../flow/losses';
import { TimestepDensity, batchNoise, batchNoiseData, batchTimesteps, noisy, velocityTarget } from '../flow/rectified';
import { TensorDict, saveCheckpoint, snapshot } from '../train/checkpoint';
import { ModelCheckpointMeta, modelHead, paramsFromDict } from './checkpoint';
import { ModelConfig, UnetConfig, validateModelConfig, windowedModel } from './config';
import { Params, condLayout, countParams, forward, initParams } from './network';
import { ClipPixels, batchInputs, frameWindow, handMaskBatch, windowStart } from './inputs';
import { LoopResult, runLoop } from '../train/loop';
import { TrainSchedule, adamwConfig } from '../train/optim';
import { WorkerPool, defineTask } from '../core/pool';
import { backendSetup } from '../gpu/workers';
import { WorldConfig } from '../world/config';
import { activeMode, hasDefect, makePretrainClip } from '../world/defects';
import { rng } from '../core/seeds';
import { CouplingShares, coupleNoise, couplingBins } from './coupling';
import { coupledModes } from './mode';
import { haloWeight } from '../flow/losses';
import type { EngineName } from './engine';
import { TrainBatch, UnetOnnxTrainer } from './unet-train';

/** Pretraining settings (plain data; the profiles hold one per profile). */
export interface PretrainConfig extends TrainSchedule {
  model: ModelConfig;
  /**
   * Clips per forward/backward pass; the step's gradient is the size-weighted sum over the passes (default:
   * the whole batch in one pass). The U-Net of the spec at 8 clips x 8 frames needs more than the wasm heap's
   * 4 GiB in one pass (measured: ~0.8 GiB of heap per clip); 2 fits. Same numbers for the same value.
   */
  microBatch?: number;
  /**
   * Generated frames per training clip (default: all of the model's): each streamed clip is cut to this many
   * consecutive frames, at a start drawn from the clip's own stream (`trainingClip`). A step's cost is linear in
   * frames (measured: 0.165 s per frame forward+backward for the paper U-Net on one wasm thread), so 2-frame
   * windows buy 4x the optimiser steps of whole 8-frame clips. U-Net only: its convs run per frame and its
   * attention has no frame embedding, so the network trained on windows samples whole clips; the DiT's per-frame
   * position embedding does not allow it.
   */
  clipFrames?: number;
  emaDecay: number;
  timesteps: TimestepDensity;
  /**
   * With a mode-noise model (UnetConfig.modeNoise): the share of mode space that goes to clips with a hand
   * defect (model/mode.ts, `coupledMode`); set it to the stream's defect share, so the modes stay standard normal
   * and a sampled clip is defective with this probability. Needed exactly when the model has modeNoise.
   */
  modeShare?: number;
  /**
   * Weight of hand pixels in the flow-matching loss (HALO's weight, flow/losses `haloWeight`, applied to
   * pretraining): 1 or absent is plain flow matching. Hands are ~3.8% of a 64 px frame's pixels, so at weight 1 the hand
   * detail (and which hand goes with which mode) is a small part of the gradient.
   */
  handWeight?: number;
  /**
   * The defect decided inside the noise (model/coupling.ts): per defect mode the share of (frame, hand) instances of
   * the stream on which it is active (world/defects modeShares of the world's pretrainDefects). Each training
   * clip's noise is then set, over each hand's box, to say whether and how that hand breaks. Absent: plain noise.
   */
  noiseCoupling?: { shares: CouplingShares };
}

/** The loss settings of a pretraining step beyond the model and its data. */
export type StepLoss = Pick<PretrainConfig, 'modeShare' | 'handWeight' | 'noiseCoupling'>;

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
  /**
   * Start from these weights instead of a fresh initialisation (fine-tuning a base; the model config must match
   * them). `streamOffset` is where the run's clips start in the stream (a fine-tune sees clips the base did not).
   */
  init?: { weights: TensorDict; sha256: string; streamOffset: number };
  /**
   * What computes the loss and gradients (docs/design.md, "Engines"): 'tfjs' (default: the reference path, with
   * `workers` data-parallel workers) or 'onnx' (the U-Net's training graph on ONNX Runtime, ./unet-train; one
   * session with `workers` intra-op threads). The optimizer and EMA run on the kit's side either way. Recorded in
   * the checkpoints; a run resumes only on the engine it started on.
   */
  engine?: EngineName;
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
  if (c.microBatch !== undefined && !(Number.isInteger(c.microBatch) && c.microBatch >= 1)) throw new Error(`pretrain config: 'microBatch' must be a positive integer, got ${c.microBatch}`);
  trainingModel(c); // checks clipFrames against the model
  if (!(c.emaDecay >= 0 && c.emaDecay < 1)) throw new Error(`pretrain config: 'emaDecay' must be in [0, 1), got ${c.emaDecay}`);
  const modeNoise = c.model.kind === 'unet' && c.model.modeNoise === true;
  if (modeNoise && !(typeof c.modeShare === 'number' && c.modeShare > 0 && c.modeShare < 1)) throw new Error(`pretrain config: a model with modeNoise needs 'modeShare' in (0, 1), got ${c.modeShare}`);
  if (!modeNoise && c.modeShare !== undefined) throw new Error("pretrain config: 'modeShare' is set but the model has no modeNoise");
  if (c.handWeight !== undefined && !(typeof c.handWeight === 'number' && Number.isFinite(c.handWeight) && c.handWeight > 0)) throw new Error(`pretrain config: 'handWeight' must be a finite number > 0, got ${c.handWeight}`);
  if (c.noiseCoupling !== undefined) {
    try {
      couplingBins(c.noiseCoupling.shares);
    } catch (e) {
      throw new Error(`pretrain config: 'noiseCoupling' ${(e as Error).message.replace(/^noise coupling: /, '')}`);
    }
  }
}

/** The loss settings of a config's steps (only those it sets, so a checkpoint's config reads the same). */
function lossTerms(c: PretrainConfig): StepLoss {
  return {
    ...(c.modeShare !== undefined ? { modeShare: c.modeShare } : {}),
    ...(c.handWeight !== undefined ? { handWeight: c.handWeight } : {}),
    ...(c.noiseCoupling !== undefined ? { noiseCoupling: c.noiseCoupling } : {}),
  };
}

/**
 * Pretraining clip `index` as the step sees it: the whole clip, or (clipFrames n) its frames start..start+n-1,
 * the start uniform over the clip's valid starts from stream (seed, 'window', index).
 */
export function trainingClip(clip: ClipPixels, seed: number, index: number, clipFrames: number | undefined): ClipPixels {
  if (clipFrames === undefined) return clip;
  return frameWindow(clip, windowStart(seed, 'window', index, clip.poses.length / clip.ref.length, clipFrames), clipFrames);
}

/** Pretraining clip `index` of the stream as model input, with its hand-defect flag (for the mode noise). */
export function pretrainSample(worldSeed: number, index: number, world: WorldConfig): ClipPixels {
  const { clip, defects } = makePretrainClip(worldSeed, index, world);
  const defectModes = Array.from({ length: 2 * clip.numFrames }, (_, i) => activeMode(defects, i >> 1, (i & 1) as 0 | 1));
  return { ref: clip.ref, refPose: clip.refPose, frames: clip.frames, poses: clip.poses, handMasks: clip.handMasks, defective: hasDefect(defects), handBoxes: clip.handBoxes, defectModes };
}

/**
 * The training noise of a batch [B, F + 1, S, S, 3]: per sample stream (seed, 'train-noise', step, index), as
 * `batchNoise`; with `coupling`, each clip's noise then carries its defects (model/coupling.ts, uniforms from stream
 * (seed, 'train-couple', step, index)).
 */
export function trainNoise(seed: number, step: number, idx: readonly number[], clips: ClipPixels[], sampleShape: number[], coupling: StepLoss['noiseCoupling']): tf.Tensor {
  if (!coupling) return batchNoise(seed, 'train-noise', step, idx, sampleShape);
  const [F1, S] = sampleShape;
  const per = sampleShape.reduce((a, b) => a * b, 1);
  const data = batchNoiseData(seed, 'train-noise', step, idx, sampleShape);
  idx.forEach((i, b) => {
    const clip = clips[b];
    if (!clip.handBoxes || !clip.defectModes) throw new Error('noise coupling: a training clip has no hand boxes or defect modes (pretrainSample gives both)');
    coupleNoise(data, b * per, S, F1 - 1, clip.handBoxes, clip.defectModes, coupling.shares, rng(seed, 'train-couple', step, i));
  });
  return tf.tensor(data, [idx.length, ...sampleShape]);
}

/** The model config the training passes run: the model's, with the frame count of the windows (clipFrames). */
export function trainingModel(c: Pick<PretrainConfig, 'model' | 'clipFrames'>): ModelConfig {
  return windowedModel(c.model, c.clipFrames, 'pretrain config');
}

/**
 * The flow-matching loss of one training step: clips `offset..offset+n-1` of the step's batch, with per-sample
 * noise and timestep streams (so a batch split across workers computes the same samples).
 */
export function flowStepLoss(c: ModelConfig, params: Params, clips: ClipPixels[], seed: number, step: number, density: TimestepDensity, offset = 0, terms: StepLoss = {}): tf.Scalar {
  const b = flowStepInputs(c, clips, seed, step, density, offset, terms);
  const pred = forward(c, params, { video: b.video, cond: b.cond, t: b.t, mode: b.mode });
  return flowMatchingLoss(pred, b.target, b.handMask, b.handMask ? terms.handWeight : undefined).loss;
}

/**
 * The inputs of a step's clips `offset..offset+n-1` as tensors, from the per-sample noise, timestep and mode streams:
 * Z_t, the conditioning, t, the mode (modeNoise), the target velocity and (handWeight != 1) the hand mask. Both
 * engines train on these (`flowStepLoss` on tfjs, `flowStepBatch` as arrays for the onnx graph).
 */
export function flowStepInputs(c: ModelConfig, clips: ClipPixels[], seed: number, step: number, density: TimestepDensity, offset = 0, terms: StepLoss = {}) {
  const idx = clips.map((_, i) => offset + i);
  const { x0, cond } = batchInputs(clips, c.height, condLayout(c));
  const eps = trainNoise(seed, step, idx, clips, x0.shape.slice(1), terms.noiseCoupling);
  const t = batchTimesteps(seed, 'train-t', step, idx, density);
  const mode = c.kind === 'unet' && c.modeNoise ? coupledModes(seed, step, idx, clips.map((cl) => cl.defective === true), terms.modeShare as number) : undefined;
  const weighted = terms.handWeight !== undefined && terms.handWeight !== 1;
  return { video: noisy(x0, eps, t), cond, t, mode, target: velocityTarget(x0, eps), handMask: weighted ? handMaskBatch(clips, c.height) : undefined };
}

/**
 * The same step as `flowStepLoss` as plain arrays for a training graph (./unet-train): Z_t, the conditioning, t, the
 * mode, the target velocity and (handWeight != 1) the HALO weight, from the same noise and timestep streams.
 */
export function flowStepBatch(c: ModelConfig, clips: ClipPixels[], seed: number, step: number, density: TimestepDensity, offset = 0, terms: StepLoss = {}): TrainBatch {
  // The tensors in a tidy, their arrays outside it (a tidy walks every element of a typed array it returns).
  const parts = tf.tidy(() => {
    const b = flowStepInputs(c, clips, seed, step, density, offset, terms);
    return [b.video, b.cond, b.t, b.mode ?? tf.zeros([0]), b.target, b.handMask ? haloWeight(b.handMask, terms.handWeight as number) : tf.zeros([0])];
  });
  const [video, cond, t, mode, target, weight] = parts.map((x) => x.dataSync() as Float32Array);
  tf.dispose(parts);
  return { video, cond, t, target, mode: mode.length ? mode : undefined, weight: weight.length ? weight : undefined };
}

/**
 * Loss and gradients of a step's clips `offset..offset+n-1` in passes of `micro` clips (see
 * PretrainConfig.microBatch): the mean loss and the size-weighted sum of the passes' gradients, as arrays.
 */
export function microBatchGrads(c: ModelConfig, params: Params, clips: ClipPixels[], seed: number, step: number, density: TimestepDensity, micro: number, offset = 0, terms: StepLoss = {}): { loss: number; grads: Record<string, Float32Array> } {
  const names = Object.keys(params);
  const sums: Record<string, tf.Tensor> = {};
  let loss = 0;
  for (let i = 0; i < clips.length; i += micro) {
    const part = clips.slice(i, i + micro);
    const w = part.length / clips.length;
    const { value, grads } = tf.variableGrads(() => flowStepLoss(c, params, part, seed, step, density, offset + i, terms), names.map((n) => params[n]));
    loss += value.dataSync()[0] * w;
    for (const n of names) {
      const g = grads[params[n].name];
      const next = tf.tidy(() => (sums[n] ? tf.add(sums[n], tf.mul(g, w)) : tf.mul(g, w)));
      sums[n]?.dispose();
      sums[n] = next;
    }
    tf.dispose([value, ...Object.values(grads)]);
  }
  const out: Record<string, Float32Array> = {};
  for (const n of names) out[n] = sums[n].dataSync() as Float32Array;
  tf.dispose(Object.values(sums));
  return { loss, grads: out };
}

/** Pretrain (or resume) and write the base checkpoint to `<outDir>/base`. */
export async function pretrain(a: PretrainArgs): Promise<PretrainResult> {
  const c = a.config;
  validatePretrainConfig(c);
  const params = a.init ? paramsFromDict(a.init.weights) : initParams(c.model, a.seed);
  const offset = a.init?.streamOffset ?? 0;
  // Recorded in the checkpoints: which weights a fine-tune started from (resume compares it) and where its clips begin.
  const initInfo = a.init ? { init: a.init.sha256, streamOffset: offset } : {};
  const paramCount = countParams(params);
  const W = a.workers ?? 1;
  const engine = a.engine ?? 'tfjs';
  if (W > 1 && engine === 'tfjs' && (!a.stream || c.batch % W !== 0)) throw new Error(`pretrain: ${W} data-parallel workers need the stream description and a batch divisible by ${W} (batch ${c.batch})`);
  if (engine === 'onnx' && c.model.kind !== 'unet') throw new Error(`pretrain: the onnx engine trains the U-Net only, not a '${c.model.kind ?? 'dit'}'`);
  const onnx = engine === 'onnx' ? new UnetOnnxTrainer(trainingModel(c) as UnetConfig, W) : null;
  const pool = W > 1 && !onnx ? new WorkerPool(W, backendSetup()) : null;
  // The onnx engine renders each step's clips on a worker thread while ONNX Runtime computes the step before
  // (ONNX Runtime's run holds this thread; rendering 8 clips takes ~0.1 s here): only with the stream as data.
  const renderer = onnx && a.stream ? new WorkerPool(1) : null;
  const micro = c.microBatch && c.microBatch < c.batch / W ? c.microBatch : null;
  const model = trainingModel(c);
  const stepClips = (step: number) =>
    Array.from({ length: c.batch }, (_, i) => trainingClip(a.source(offset + step * c.batch + i), a.seed, offset + step * c.batch + i, c.clipFrames));
  const local = micro
    ? async (step: number) => {
        const clips = stepClips(step);
        return { ...microBatchGrads(model, params, clips, a.seed, step, c.timesteps, micro, 0, lossTerms(c)), metrics: {} };
      }
    : undefined;
  // Data-parallel exchange through shared memory: the weights and each worker's gradients live in
  // SharedArrayBuffers, posted once per step as views (no structured clone of 2 x 8 MB per worker and step).
  const shared = pool ? sharedArrays(params, W + 1) : null;
  // The onnx engine: the step's batch as arrays, one run of the training graph at the current weights.
  const rendered = new Map<number, Promise<ClipPixels[]>>();
  const renderAhead = (step: number): Promise<ClipPixels[]> => {
    const indices = Array.from({ length: c.batch }, (_, i) => offset + step * c.batch + i);
    return (renderer as WorkerPool).run(0, RENDER_CLIPS_TASK, { stream: a.stream as NonNullable<PretrainArgs['stream']>, indices, seed: a.seed, clipFrames: c.clipFrames } satisfies RenderClipsInput);
  };
  const onnxGrads = onnx
    ? async (step: number) => {
        let clips: ClipPixels[];
        if (renderer) {
          const mine = rendered.get(step) ?? renderAhead(step);
          rendered.clear();
          if (step + 1 < c.steps) rendered.set(step + 1, renderAhead(step + 1));
          clips = await mine;
        } else clips = stepClips(step);
        const weights = Object.fromEntries(Object.entries(params).map(([n, v]) => [n, v.dataSync() as Float32Array]));
        const r = await onnx.step(weights, flowStepBatch(model, clips, a.seed, step, c.timesteps, 0, lossTerms(c)));
        return { loss: r.loss, metrics: {}, grads: r.grads };
      }
    : undefined;
  const computeGrads = onnxGrads ?? (pool && shared
    ? async (step: number) => {
        const [weights, ...gradsOut] = shared;
        for (const [n, v] of Object.entries(params)) weights[n].set(v.dataSync() as Float32Array);
        const per = c.batch / W;
        const parts = await Promise.all(
          Array.from({ length: W }, (_, k) =>
            pool.run(k, GRAD_SHARD_TASK, {
              model,
              clipFrames: c.clipFrames,
              seed: a.seed,
              step,
              offset: k * per,
              indices: Array.from({ length: per }, (_, i) => offset + step * c.batch + k * per + i),
              nextIndices: step + 1 < c.steps ? Array.from({ length: per }, (_, i) => offset + (step + 1) * c.batch + k * per + i) : [],
              stream: a.stream,
              density: c.timesteps,
              weights,
              gradsOut: gradsOut[k],
              microBatch: micro ?? undefined,
              terms: lossTerms(c),
            } satisfies GradShardInput),
          ),
        );
        // The mean over workers, summed in worker order (the same numbers for the same W).
        const grads: Record<string, Float32Array> = {};
        for (const n of Object.keys(params)) {
          const g = new Float32Array(params[n].size);
          for (let k = 0; k < W; k++) {
            const src = gradsOut[k][n];
            for (let i = 0; i < g.length; i++) g[i] += src[i] / W;
          }
          grads[n] = g;
        }
        return { loss: parts.reduce((s, p) => s + p.loss, 0) / W, metrics: {}, grads };
      }
    : local);
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
        const hadEngine = typeof info.engine === 'string' ? info.engine : 'tfjs';
        if (hadEngine !== engine) diff.push(`engine ${engine} here, ${hadEngine} in the checkpoint`);
        if (meta.seed !== a.seed) diff.push(`seed ${a.seed} here, ${meta.seed} in the checkpoint`);
        if (meta.worldHash !== a.worldHash) diff.push(`data '${a.worldHash}' here, '${meta.worldHash}' in the checkpoint`);
        const from = typeof info.init === 'string' ? info.init : 'none';
        if (from !== (a.init?.sha256 ?? 'none')) diff.push(`initial weights ${a.init?.sha256.slice(0, 12) ?? 'fresh'} here, ${from.slice(0, 12)} in the checkpoint`);
        return diff;
      },
      label: 'pretrain',
      onStep: a.onStep ? (r) => a.onStep?.(r.step, params) : undefined,
      meta: { head: modelHead('base', c.model), seed: a.seed, worldHash: a.worldHash, info: { ...a.info, pretrain: c, engine, ...initInfo } },
      stepLoss: (step) => {
        return { loss: flowStepLoss(model, params, stepClips(step), a.seed, step, c.timesteps, 0, lossTerms(c)), metrics: {} };
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
      info: { ...a.info, pretrain: c, engine, weights: loop.ema ? 'ema' : 'raw', ...initInfo },
      files: { weights },
    });
    return { loop, baseDir, meta, paramCount };
  } finally {
    tf.dispose(Object.values(params));
    await pool?.close();
    await Promise.allSettled(rendered.values());
    await renderer?.close();
    await onnx?.release();
  }
}

/** Input of the gradient-shard task: one data-parallel shard of a pretraining step. */
export interface GradShardInput {
  /** The config the training passes run (`trainingModel`). */
  model: ModelConfig;
  /** PretrainConfig.clipFrames. */
  clipFrames?: number;
  seed: number;
  step: number;
  /** This shard's first place in the step's batch (for the per-sample noise streams). */
  offset: number;
  /** Indices of this shard's clips in the pretraining stream. */
  indices: number[];
  /**
   * The clips this worker will get at the next step: rendered after this step's result is posted, while the main
   * thread runs the optimizer (the worker would idle then), and kept for the next call.
   */
  nextIndices?: number[];
  stream: { worldSeed: number; world: WorldConfig } | undefined;
  density: TimestepDensity;
  /** The step's weights (views on shared memory). */
  weights: Record<string, Float32Array>;
  /** Where this shard writes its gradients (views on shared memory, one per variable). */
  gradsOut: Record<string, Float32Array>;
  /** Clips per forward/backward pass (PretrainConfig.microBatch). */
  microBatch?: number;
  /** PretrainConfig.modeShare and handWeight. */
  terms: StepLoss;
}

export interface GradShardOutput {
  loss: number;
}

/** `copies` sets of Float32Arrays shaped like the params, each on one SharedArrayBuffer. */
function sharedArrays(params: Params, copies: number): Record<string, Float32Array>[] {
  const names = Object.keys(params);
  const total = names.reduce((s, n) => s + params[n].size, 0);
  return Array.from({ length: copies }, () => {
    const buf = new SharedArrayBuffer(total * 4);
    const out: Record<string, Float32Array> = {};
    let at = 0;
    for (const n of names) {
      out[n] = new Float32Array(buf, at * 4, params[n].size);
      at += params[n].size;
    }
    return out;
  });
}

const shardParams = new Map<string, Params>();
/** Pretraining clips rendered ahead by a worker, by stream index (only the next step's are kept). */
const prefetched = new Map<number, ClipPixels>();

/**
 * One shard's loss at the given weights, its gradients written to `gradsOut` (runs on a worker; its model variables
 * persist between steps).
 */
export function gradShard(inp: GradShardInput): GradShardOutput {
  if (!inp.stream) throw new Error('pretrain-grads: no stream');
  const key = JSON.stringify(inp.model);
  let params = shardParams.get(key);
  if (!params) {
    params = initParams(inp.model, 0);
    shardParams.set(key, params);
  }
  // A copy: a backend may keep the array it is given (cpu does), and the shared one is rewritten every step.
  for (const [n, v] of Object.entries(params)) tf.tidy(() => v.assign(tf.tensor(inp.weights[n].slice(), v.shape)));
  const { stream } = inp;
  const render = (i: number) => pretrainSample(stream.worldSeed, i, stream.world);
  const clips = inp.indices.map((i) => trainingClip(prefetched.get(i) ?? render(i), inp.seed, i, inp.clipFrames));
  prefetched.clear();
  const next = inp.nextIndices ?? [];
  if (next.length) setImmediate(() => next.forEach((i) => prefetched.set(i, render(i))));
  const names = Object.keys(params);
  const p = params;
  if (inp.microBatch) {
    const r = microBatchGrads(inp.model, p, clips, inp.seed, inp.step, inp.density, inp.microBatch, inp.offset, inp.terms);
    names.forEach((n) => inp.gradsOut[n].set(r.grads[n]));
    return { loss: r.loss };
  }
  const { value, grads } = tf.variableGrads(() => flowStepLoss(inp.model, p, clips, inp.seed, inp.step, inp.density, inp.offset, inp.terms), names.map((n) => p[n]));
  const loss = value.dataSync()[0];
  names.forEach((n) => inp.gradsOut[n].set(grads[p[n].name].dataSync() as Float32Array));
  tf.dispose([value, ...Object.values(grads)]);
  return { loss };
}

const GRAD_SHARD_TASK = defineTask(__filename, 'gradShard', gradShard);

/** Input of the render task: a step's clips of the pretraining stream, cut to their windows. */
export interface RenderClipsInput {
  stream: { worldSeed: number; world: WorldConfig };
  indices: number[];
  seed: number;
  clipFrames?: number;
}

/** Render pretraining clips `indices` of the stream as a step sees them (runs on a worker). */
export function renderClips(inp: RenderClipsInput): ClipPixels[] {
  return inp.indices.map((i) => trainingClip(pretrainSample(inp.stream.worldSeed, i, inp.stream.world), inp.seed, i, inp.clipFrames));
}

const RENDER_CLIPS_TASK = defineTask(__filename, 'renderClips', renderClips);
