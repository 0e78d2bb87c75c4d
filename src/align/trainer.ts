/**
 * Post-training from a base checkpoint (docs/design.md, "Post-training methods"): one trainer for every objective
 * of objectives.ts. It reads what the objective needs (positives or pairs, the reference's predictions or not,
 * the hand weight or 1) and calls its loss; it never looks at a method's name.
 *
 * The reference is the base model frozen before any optimizer state exists. With LoRA (the default: adapters on
 * the attention Q, K, V projections) it is the same base weights run without the adapters, so it costs no
 * memory; with full fine-tuning it is a separate frozen copy. The reference's forward pass runs outside the
 * gradient tape. Batches, noise and timesteps come from step-keyed streams, so runs resume exactly.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TimestepDensity, batchNoise, batchTimesteps, noisy, velocityTarget } from '../flow/rectified';
import { freshModes } from '../model/mode';
import { CheckpointMeta, TensorDict, saveCheckpoint, snapshot } from '../train/checkpoint';
import { ModelCheckpointMeta, modelHead, paramsFromDict } from '../model/checkpoint';
import { ModelConfig, windowedModel } from '../model/config';
import { LoraSet, Params, condLayout, forward } from '../model/network';
import { ClipPixels, batchInputs, frameWindow, windowStart } from '../model/inputs';
import { LoraConfig, createLora, disposeLora, loraVariables } from '../model/lora';
import { LoopResult, runLoop } from '../train/loop';
import { TrainSchedule, adamwConfig } from '../train/optim';
import { sha256 } from '../core/files';
import { rng } from '../core/seeds';
import { MaskGrid } from './masks';
import { AlignMethod, LossSettings, OBJECTIVES, ObjectiveTable, PairBatch, PositiveBatch, VideoBatch, objectiveOf } from './objectives';
import type { ErrorScale } from './losses';
import { AlignGraphBatch, AlignGraphOut, AlignOnnxStep } from './graph';
import type { GraphHead } from './objectives';
import { haloWeight } from '../flow/losses';
import type { EngineName } from '../model/engine';
import { UnetConfig } from '../model/config';

/** Post-training settings (plain data). */
export interface AlignConfig<M extends string = AlignMethod> extends TrainSchedule {
  /** The objective (a key of OBJECTIVES). */
  method: M;
  /** Flow-IPA / Flow-DPO temperature. */
  beta: number;
  /** HALO lambda, used by the objectives with `halo` (the others use 1). */
  handWeight: number;
  /** LoRA on the attention QKV projections, or null for full fine-tuning. */
  lora: LoraConfig | null;
  maskGrid: MaskGrid;
  timesteps: TimestepDensity;
  /**
   * How every method measures its per-sample errors (losses.ts `ErrorScale`): 'v' (absent: the official snippet's
   * velocity error) or 'x0' (the implied clean video's error, t^2 e_v, with SFT weighted as the logits are).
   */
  errorScale?: ErrorScale;
  /** Weight of an SFT term on the winners added to a pairs objective's loss (absent: 0, none). */
  sftWeight?: number;
  /**
   * Generated frames per training video (default: all): each sample of a step is cut to this many consecutive
   * frames (both sides of a pair to the same frames), at a start drawn from the step's stream. U-Net only, as in
   * pretraining (PretrainConfig.clipFrames): a step costs in proportion to its frames.
   */
  clipFrames?: number;
}

/** One training video: the clip's conditioning with `frames` = the (self-generated) video to fit. */
export interface AlignSample {
  key: string;
  clip: ClipPixels;
  /** HALO mask of the generated frames on the model's grid: [F, S, S, 1] in [0, 1]. */
  handMask: Float32Array;
}

export interface AlignPair {
  win: AlignSample;
  lose: AlignSample;
}

export interface AlignArgs<M extends string = AlignMethod> {
  config: AlignConfig<M>;
  seed: number;
  base: { model: ModelConfig; weights: TensorDict; weightsSha256: string; worldHash: string };
  positives: AlignSample[];
  pairs: AlignPair[];
  outDir: string;
  resume: boolean;
  /** A checkpoint in outDir made with other settings: 'error' (default) or 'restart' (pipeline jobs whose inputs changed). */
  onMismatch?: 'error' | 'restart';
  stopAfter?: number;
  info?: Record<string, unknown>;
  /**
   * Steps (1..steps-1) after which the adapter is also saved, as `<outDir>/snapshots/step-<n>/` (for curves over
   * post-training steps); a snapshot already on disk from an interrupted run is kept. Training is unchanged.
   */
  snapshots?: number[];
  /**
   * What computes the loss and gradients (docs/design.md, "Engines"): 'tfjs' (default: the reference path) or
   * 'onnx' (the step's graph of ./graph on ONNX Runtime, `threads` intra-op threads; U-Net only). The batch, its
   * streams, the optimizer and what is logged are the same. Recorded in the checkpoints; a run resumes only on the
   * engine it started on.
   */
  engine?: EngineName;
  threads?: number;
}

export interface AlignResult {
  loop: LoopResult;
  adapterDir: string | null;
  meta: ModelCheckpointMeta | null;
  /** Snapshot folders by step (those of `AlignArgs.snapshots`). */
  snapshots: Record<number, string>;
}

/** The folder of the adapter snapshot after `step` steps in a run folder. */
export function snapshotDir(outDir: string, step: number): string {
  return path.join(outDir, 'snapshots', `step-${step}`);
}

/** The HALO lambda a method trains with: the config's when its objective has `halo`, else 1. */
export function effectiveHandWeight<M extends string = AlignMethod>(c: Pick<AlignConfig<M>, 'method' | 'handWeight'>, table: ObjectiveTable<M> = OBJECTIVES as ObjectiveTable<string>): number {
  return objectiveOf(c.method, table).halo ? c.handWeight : 1;
}

/** Check a config; throws naming the field. */
export function validateAlignConfig<M extends string = AlignMethod>(c: AlignConfig<M>, table: ObjectiveTable<M> = OBJECTIVES as ObjectiveTable<string>): void {
  if (!(c.method in table)) throw new Error(`align config: unknown method '${c.method}' (methods: ${Object.keys(table).join(', ')})`);
  for (const k of ['steps', 'batch', 'checkpointEvery'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`align config: '${k}' must be a positive integer, got ${c[k]}`);
  }
  if (!(c.lr > 0)) throw new Error(`align config: 'lr' must be > 0, got ${c.lr}`);
  if (!(c.beta > 0 && Number.isFinite(c.beta))) throw new Error(`align config: 'beta' must be > 0, got ${c.beta}`);
  if (!(c.handWeight > 0 && Number.isFinite(c.handWeight))) throw new Error(`align config: 'handWeight' must be > 0, got ${c.handWeight}`);
  if (c.clipFrames !== undefined && !(Number.isInteger(c.clipFrames) && c.clipFrames >= 1)) throw new Error(`align config: 'clipFrames' must be a positive integer, got ${c.clipFrames}`);
  if (c.errorScale !== undefined && c.errorScale !== 'v' && c.errorScale !== 'x0') throw new Error(`align config: 'errorScale' must be 'v' or 'x0', got ${String(c.errorScale)}`);
  if (c.sftWeight !== undefined && !(c.sftWeight >= 0 && Number.isFinite(c.sftWeight))) throw new Error(`align config: 'sftWeight' must be a finite number >= 0, got ${c.sftWeight}`);
}

/** Frames start..start+n-1 of a training video: its clip and its HALO mask ([F, S, S, 1]) cut alike. */
export function windowSample(s: AlignSample, start: number, n: number): AlignSample {
  const clip = frameWindow(s.clip, start, n);
  const per = s.handMask.length / (s.clip.poses.length / s.clip.ref.length); // mask values per frame
  return { key: s.key, clip, handMask: s.handMask.subarray(start * per, (start + n) * per) };
}

/** What a resumed run must share with the checkpoint it continues. */
export interface AlignRunIdentity {
  config: AlignConfig<string>;
  seed: number;
  baseWeightsSha256: string;
  worldHash: string;
  /** SHA-256 of the training data's ids (positives, or the pairs of a pairs method). */
  trainingData: string;
}

/** The differences between a checkpoint and this run's settings, one phrase each (empty: it may be resumed). */
export function alignResumeDiff(meta: CheckpointMeta, want: AlignRunIdentity): string[] {
  const diff: string[] = [];
  const show = (v: unknown) => (v === undefined ? 'none' : JSON.stringify(v));
  const info = meta.info ?? {};
  const have = (typeof info.align === 'object' && info.align !== null ? info.align : {}) as Record<string, unknown>;
  for (const k of Object.keys(want.config) as (keyof AlignConfig)[]) {
    if (show(want.config[k]) !== show(have[k])) diff.push(`${k} ${show(want.config[k])} here, ${show(have[k])} in the checkpoint`);
  }
  if (meta.seed !== want.seed) diff.push(`seed ${want.seed} here, ${meta.seed} in the checkpoint`);
  const base = meta.kind === 'adapter' ? (meta as ModelCheckpointMeta).baseWeightsSha256 : undefined;
  if (base !== want.baseWeightsSha256) diff.push(`base weights ${want.baseWeightsSha256.slice(0, 12)}... here, ${base ? `${base.slice(0, 12)}...` : 'none'} in the checkpoint`);
  if (meta.worldHash !== want.worldHash) diff.push(`world ${want.worldHash.slice(0, 12)}... here, ${String(meta.worldHash).slice(0, 12)}... in the checkpoint`);
  if (info.trainingData !== want.trainingData) diff.push('training data (positives or pairs) differ');
  return diff;
}

/** Index of the sample used at global position i: a fresh seeded permutation per pass over the data. */
function epochIndex(seed: number, n: number, i: number, cache: Map<number, number[]>): number {
  const epoch = Math.floor(i / n);
  let perm = cache.get(epoch);
  if (!perm) {
    perm = rng(seed, 'align-perm', epoch).shuffle([...Array(n).keys()]);
    cache.clear();
    cache.set(epoch, perm);
  }
  return perm[i % n];
}

/** One batch side from samples: z, cond, target (v = eps - x0) and the HALO mask [B, F-1, S, S, 1]. */
function batchSide(c: ModelConfig, samples: AlignSample[], eps: tf.Tensor, t: tf.Tensor): VideoBatch {
  return tf.tidy(() => {
    const S = c.height;
    const { x0, cond } = batchInputs(samples.map((s) => s.clip), S, condLayout(c));
    const F = c.frames - 1;
    const m = new Float32Array(samples.length * F * S * S);
    samples.forEach((s, b) => m.set(s.handMask, b * F * S * S));
    return { z: noisy(x0, eps, t), cond, target: velocityTarget(x0, eps), handMask: tf.tensor(m, [samples.length, F, S, S, 1]) };
  });
}

/**
 * Train one method from the base; writes `<outDir>/adapter` (LoRA or fully fine-tuned weights) at the end.
 * `table` maps method names to objectives (default: OBJECTIVES).
 */
export async function alignTrain<M extends string = AlignMethod>(a: AlignArgs<M>, table: ObjectiveTable<M> = OBJECTIVES as ObjectiveTable<string>): Promise<AlignResult> {
  const c = a.config;
  validateAlignConfig(c, table);
  const objective = objectiveOf(c.method, table);
  const full = a.base.model;
  // The config the training passes run: the base's, with the windows' frame count.
  const mc = windowedModel(full, c.clipFrames, 'align config');
  const count = objective.data === 'pairs' ? a.pairs.length : a.positives.length;
  const snapshots = [...new Set(a.snapshots ?? [])].sort((x, y) => x - y);
  for (const s of snapshots) if (!(Number.isInteger(s) && s >= 1 && s < c.steps)) throw new Error(`align: snapshot step ${s} is not in 1..${c.steps - 1}`);
  if (count === 0) throw new Error(`align: no ${objective.data === 'pairs' ? 'pairs' : 'positives'} to train '${c.method}' on`);
  const settings: LossSettings = {
    beta: c.beta, handWeight: objective.halo ? c.handWeight : 1, errorScale: c.errorScale ?? 'v', timeWeight: objective.timeWeight, sftWeight: c.sftWeight ?? 0,
  };

  const params = paramsFromDict(a.base.weights);
  const reference: Params | null = objective.reference && !c.lora ? paramsFromDict(a.base.weights) : null;
  const lora: LoraSet | undefined = c.lora ? createLora(mc, params, c.lora, a.seed) : undefined;
  if (lora) for (const v of Object.values(params)) v.trainable = false;
  const trainable = lora ? loraVariables(lora) : params;
  // The reference: the base without the adapters (LoRA), or its frozen copy (full fine-tuning); no gradient.
  const refForward = (z: tf.Tensor, cond: tf.Tensor, t: tf.Tensor, mode?: tf.Tensor) =>
    lora ? forward(mc, params, { video: z, cond, t, mode }) : forward(mc, reference as Params, { video: z, cond, t, mode });
  const predict = (side: VideoBatch, t: tf.Tensor) => forward(mc, params, { video: side.z, cond: side.cond, t, mode: side.mode }, lora);
  const trainingData = sha256(JSON.stringify(objective.data === 'pairs' ? a.pairs.map((p) => [p.win.key, p.lose.key]) : a.positives.map((p) => p.key)));
  const identity: AlignRunIdentity = { config: c, seed: a.seed, baseWeightsSha256: a.base.weightsSha256, worldHash: a.base.worldHash, trainingData };
  const perm = new Map<number, number[]>();
  const pick = (step: number) => Array.from({ length: c.batch }, (_, j) => epochIndex(a.seed, count, step * c.batch + j, perm));
  // A batch side from samples, with the reference's prediction when the objective needs it.
  const side = (samples: AlignSample[], eps: tf.Tensor, t: tf.Tensor, starts: number[] | null, mode: tf.Tensor | undefined, withRef: boolean): VideoBatch => {
    const cut = starts && c.clipFrames !== undefined ? samples.map((s, j) => windowSample(s, starts[j], c.clipFrames as number)) : samples;
    const b = { ...batchSide(mc, cut, eps, t), ...(mode ? { mode: tf.clone(mode) } : {}) };
    return objective.reference && withRef ? { ...b, refPred: refForward(b.z, b.cond, t, b.mode) } : b;
  };

  // The onnx engine: the same batch as arrays, one run of the step's graph at the current trained weights.
  const engine = a.engine ?? 'tfjs';
  if (engine === 'onnx' && mc.kind !== 'unet') throw new Error(`align: the onnx engine trains the U-Net only, not a '${mc.kind ?? 'dit'}'`);
  if (engine === 'onnx' && !objective.graph) throw new Error(`align: method '${c.method}' has no graph head (objectives.ts 'graph'), so it trains on the tfjs engine only`);
  const onnx =
    engine === 'onnx'
      ? new AlignOnnxStep(
          {
            config: mc as UnetConfig,
            B: c.batch,
            head: objective.graph as GraphHead,
            reference: objective.reference,
            weighted: settings.handWeight !== 1,
            base: Object.fromEntries(Object.entries(a.base.weights).map(([n, v]) => [n, v.data])),
            lora: lora ? { targets: Object.keys(lora), rank: (c.lora as LoraConfig).rank, scale: Object.values(lora)[0].scale } : null,
          },
          a.threads ?? 1,
        )
      : null;
  const onnxGrads = onnx
    ? async (step: number) => {
        const batch = prepareArrays(step);
        const r = await onnx.step(Object.fromEntries(Object.entries(trainable).map(([n, v]) => [n, v.dataSync() as Float32Array])), batch, settings);
        return { loss: r.loss, grads: r.grads, ...graphMetrics(objective.graph as GraphHead, r, batch.t.subarray(0, c.batch)) };
      }
    : undefined;
  /** A step's batch as arrays for the graph (pairs: the winners, then the losers), from the same streams as `prepare`. */
  function prepareArrays(step: number): AlignGraphBatch {
    const b = prepareBatch(step, false);
    try {
      const sides = 'win' in b ? [b.win, b.lose] : [b];
      const take = (f: () => tf.Tensor): Float32Array => {
        const x = tf.tidy(f);
        const d = x.dataSync() as Float32Array;
        x.dispose();
        return d;
      };
      const cat = (f: (v: VideoBatch) => tf.Tensor) => take(() => tf.concat(sides.map(f), 0));
      return {
        video: cat((v) => v.z),
        cond: cat((v) => v.cond),
        t: take(() => tf.concat(sides.map(() => b.t), 0)),
        target: cat((v) => v.target),
        mode: sides[0].mode ? cat((v) => v.mode as tf.Tensor) : undefined,
        weight: settings.handWeight !== 1 ? cat((v) => haloWeight(v.handMask, settings.handWeight)) : undefined,
      };
    } finally {
      tf.dispose(b as unknown as tf.TensorContainer);
    }
  }

  const head = modelHead('adapter', full, { lora: c.lora, baseWeightsSha256: a.base.weightsSha256 });
  const saveAdapter = (dir: string, step: number, metrics: Record<string, number>) =>
    saveCheckpoint(dir, { head, step, seed: a.seed, worldHash: a.base.worldHash, metrics, info: { ...a.info, align: c, trainingData, engine }, files: { weights: snapshot(trainable) } });
  const snapshotDirs = Object.fromEntries(snapshots.map((s) => [s, snapshotDir(a.outDir, s)]));

  try {
    const loop = await runLoop<PositiveBatch | PairBatch>({
      outDir: a.outDir,
      totalSteps: c.steps,
      checkpointEvery: c.checkpointEvery,
      stopAfter: a.stopAfter,
      optim: adamwConfig(c, c.steps),
      emaDecay: 0,
      trainable,
      resume: a.resume,
      outputs: snapshots.length ? ['adapter', 'snapshots'] : ['adapter'],
      onStep: (r) => {
        if (snapshots.includes(r.step)) saveAdapter(snapshotDirs[r.step], r.step, { loss: r.loss });
      },
      resumeCheck: (meta) => {
        const had = typeof meta.info?.engine === 'string' ? meta.info.engine : 'tfjs';
        return [...alignResumeDiff(meta, identity), ...(had !== engine ? [`engine ${engine} here, ${had} in the checkpoint`] : [])];
      },
      onMismatch: a.onMismatch,
      label: c.method,
      meta: { head: modelHead('adapter', full, { lora: c.lora, baseWeightsSha256: a.base.weightsSha256 }), seed: a.seed, worldHash: a.base.worldHash, info: { ...a.info, align: c, trainingData, engine } },
      computeGrads: onnxGrads,
      // Outside the gradient tape: the batch (step-keyed samples, noise and t) and the reference's predictions.
      prepare: (step) => prepareBatch(step, true),
      stepLoss: (_step, batch) =>
        objective.data === 'pairs' ? objective.loss(batch as PairBatch, predict, settings) : objective.loss(batch as PositiveBatch, predict, settings),
    });
    if (loop.steps < c.steps) return { loop, adapterDir: null, meta: null, snapshots: {} };
    const adapterDir = path.join(a.outDir, 'adapter');
    const meta = saveAdapter(adapterDir, c.steps, { finalLoss: loop.lastRecord?.loss ?? NaN, secondsPerStep: loop.secondsPerStep });
    const missing = snapshots.filter((s) => !fs.existsSync(path.join(snapshotDirs[s], 'checkpoint.json')));
    if (missing.length) throw new Error(`align: the snapshots of steps ${missing.join(', ')} are missing from ${a.outDir} (resumed past them); train again in a fresh folder`);
    return { loop, adapterDir, meta, snapshots: snapshotDirs };
  } finally {
    tf.dispose(Object.values(params));
    if (reference) tf.dispose(Object.values(reference));
    if (lora) disposeLora(lora);
    await onnx?.release();
  }

  /** The batch of a step (step-keyed samples, noise and t), with the reference's predictions when `withRef`. */
  function prepareBatch(step: number, withRef: boolean): PositiveBatch | PairBatch {
        const idx = pick(step);
        const slots = idx.map((_, i) => i);
        const eps = batchNoise(a.seed, 'align-noise', step, slots, [mc.frames, mc.height, mc.width, mc.channels]);
        const t = batchTimesteps(a.seed, 'align-t', step, slots, c.timesteps);
        // A modeNoise base: a fresh mode per training clip (both sides of a pair share it, as they share eps).
        const mode = mc.kind === 'unet' && mc.modeNoise ? freshModes(a.seed, 'align-mode', step, slots) : undefined;
        const F = full.frames - 1;
        const starts = c.clipFrames === undefined ? null : slots.map((j) => windowStart(a.seed, 'align-window', step * c.batch + j, F, c.clipFrames as number));
        try {
          if (objective.data === 'pairs') {
            return { t, win: side(idx.map((i) => a.pairs[i].win), eps, t, starts, mode, withRef), lose: side(idx.map((i) => a.pairs[i].lose), eps, t, starts, mode, withRef) };
          }
          return { ...side(idx.map((i) => a.positives[i]), eps, t, starts, mode, withRef), t };
        } finally {
          eps.dispose();
          mode?.dispose();
        }
  }
}

/**
 * The metrics and per-sample values a graph step logs, the same as the tfjs objectives' (objectives.ts): the model's
 * (and the reference's) mean error, the mean gap and the implicit accuracy, and per sample t, the loss term and the
 * logit.
 */
function graphMetrics(head: GraphHead, r: AlignGraphOut, t: Float32Array): { metrics: Record<string, number>; perSample: Record<string, ArrayLike<number>> } {
  const B = t.length;
  const mean = (x: ArrayLike<number>) => Array.from(x).reduce((s, v) => s + v, 0) / x.length;
  if (head === 'regression') return { metrics: { modelError: mean(r.E) }, perSample: { t, loss: r.losses } };
  const E = r.E;
  const R = r.R as Float32Array;
  const gap = Array.from({ length: B }, (_, i) => (head === 'ipa' ? R[i] - E[i] : R[i] - E[i] - (R[B + i] - E[B + i])));
  const metrics = { gap: mean(gap), modelError: mean(E.subarray(0, B)), referenceError: mean(R.subarray(0, B)), implicitAccuracy: mean(gap.map((g) => (g > 0 ? 1 : 0))) };
  return { metrics, perSample: { t, logit: r.logits as Float32Array, loss: r.losses } };
}

/** Timestep density of the paper: t ~ U(0, 1). */
export const UNIFORM_T: TimestepDensity = { kind: 'uniform' };
