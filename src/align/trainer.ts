/**
 * Post-training from a base checkpoint (DESIGN.md section 6): `sft`, `sft-halo`, `ipa`, `ipa-halo` on the implicit
 * positives, `flow-dpo` on the strict (Case 4) pairs.
 *
 * The reference is the base model frozen before any optimizer state exists. With LoRA (the default: adapters on
 * the attention Q, K, V projections) it is the same base weights run without the adapters, so it costs no
 * memory; with full fine-tuning it is a separate frozen copy. The reference's forward pass runs outside the
 * gradient tape. Batches, noise and timesteps come from step-keyed streams, so runs resume exactly.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { TimestepDensity, batchNoise, batchTimesteps, noisy, velocityTarget } from '../flow/rectified';
import { TensorDict, saveCheckpoint, snapshot } from '../train/checkpoint';
import { ModelCheckpointMeta, modelHead, paramsFromDict } from '../model/checkpoint';
import { ModelConfig } from '../model/config';
import { LoraSet, Params, forward } from '../model/dit';
import { ClipPixels, batchInputs } from '../model/inputs';
import { LoraConfig, createLora, disposeLora, loraVariables } from '../model/lora';
import { LoopResult, runLoop } from '../train/loop';
import { TrainSchedule, adamwConfig } from '../train/optim';
import { rng } from '../core/seeds';
import { MaskGrid } from './masks';
import { flowDpoLoss, ipaLoss } from './losses';
import { flowMatchingLoss } from '../flow/losses';

export const ALIGN_METHODS = ['sft', 'sft-halo', 'ipa', 'ipa-halo', 'flow-dpo'] as const;
export type AlignMethod = (typeof ALIGN_METHODS)[number];

/** Post-training settings (plain data). */
export interface AlignConfig extends TrainSchedule {
  method: AlignMethod;
  /** Flow-IPA / Flow-DPO temperature. */
  beta: number;
  /** HALO lambda, used by the '-halo' methods (the others use 1). */
  handWeight: number;
  /** LoRA on the attention QKV projections, or null for full fine-tuning. */
  lora: LoraConfig | null;
  maskGrid: MaskGrid;
  timesteps: TimestepDensity;
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

export interface AlignArgs {
  config: AlignConfig;
  seed: number;
  base: { model: ModelConfig; weights: TensorDict; weightsSha256: string; worldHash: string };
  positives: AlignSample[];
  pairs: AlignPair[];
  outDir: string;
  resume: boolean;
  stopAfter?: number;
  info?: Record<string, unknown>;
}

export interface AlignResult {
  loop: LoopResult;
  adapterDir: string | null;
  meta: ModelCheckpointMeta | null;
}

/** The HALO lambda a method trains with. */
export function effectiveHandWeight(c: Pick<AlignConfig, 'method' | 'handWeight'>): number {
  return c.method.endsWith('-halo') ? c.handWeight : 1;
}

/** Check a config; throws naming the field. */
export function validateAlignConfig(c: AlignConfig): void {
  if (!(ALIGN_METHODS as readonly string[]).includes(c.method)) throw new Error(`align config: unknown method '${c.method}' (methods: ${ALIGN_METHODS.join(', ')})`);
  for (const k of ['steps', 'batch', 'checkpointEvery'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`align config: '${k}' must be a positive integer, got ${c[k]}`);
  }
  if (!(c.lr > 0)) throw new Error(`align config: 'lr' must be > 0, got ${c.lr}`);
  if (!(c.beta > 0 && Number.isFinite(c.beta))) throw new Error(`align config: 'beta' must be > 0, got ${c.beta}`);
  if (!(c.handWeight > 0 && Number.isFinite(c.handWeight))) throw new Error(`align config: 'handWeight' must be > 0, got ${c.handWeight}`);
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

/** Batch tensors of samples: z, cond, t, target (v = eps - x0) and the HALO mask [B, F, S, S, 1]. */
function batchTensors(c: ModelConfig, samples: AlignSample[], eps: tf.Tensor, t: tf.Tensor) {
  return tf.tidy(() => {
    const S = c.height;
    const { x0, cond } = batchInputs(samples.map((s) => s.clip), S);
    const F = c.frames - 1;
    const m = new Float32Array(samples.length * F * S * S);
    samples.forEach((s, b) => m.set(s.handMask, b * F * S * S));
    return { z: noisy(x0, eps, t), cond, target: velocityTarget(x0, eps), mask: tf.tensor(m, [samples.length, F, S, S, 1]) };
  });
}

/** Train one method from the base; writes `<outDir>/adapter` (LoRA or fully fine-tuned weights) at the end. */
export async function alignTrain(a: AlignArgs): Promise<AlignResult> {
  const c = a.config;
  validateAlignConfig(c);
  const mc = a.base.model;
  const dpo = c.method === 'flow-dpo';
  const data = dpo ? a.pairs : a.positives;
  if (data.length === 0) throw new Error(`align: no ${dpo ? 'strict pairs' : 'positives'} to train '${c.method}' on`);
  const lambda = effectiveHandWeight(c);
  const useRef = c.method.startsWith('ipa') || dpo;

  const params = paramsFromDict(a.base.weights);
  const reference: Params | null = useRef && !c.lora ? paramsFromDict(a.base.weights) : null;
  const lora: LoraSet | undefined = c.lora ? createLora(mc, params, c.lora, a.seed) : undefined;
  if (lora) for (const v of Object.values(params)) v.trainable = false;
  const trainable = lora ? loraVariables(lora) : params;
  const refForward = (z: tf.Tensor, cond: tf.Tensor, t: tf.Tensor) =>
    lora ? forward(mc, params, { video: z, cond, t }) : forward(mc, reference as Params, { video: z, cond, t });
  const perm = new Map<number, number[]>();
  const pick = (step: number) => Array.from({ length: c.batch }, (_, j) => epochIndex(a.seed, data.length, step * c.batch + j, perm));

  try {
    const loop = await runLoop({
      outDir: a.outDir,
      totalSteps: c.steps,
      checkpointEvery: c.checkpointEvery,
      stopAfter: a.stopAfter,
      optim: adamwConfig(c, c.steps),
      emaDecay: 0,
      trainable,
      resume: a.resume,
      label: c.method,
      meta: { head: modelHead('adapter', mc, { lora: c.lora, baseWeightsSha256: a.base.weightsSha256 }), seed: a.seed, worldHash: a.base.worldHash, info: { ...a.info, align: c } },
      prepare: (step) => {
        const idx = pick(step);
        const slots = idx.map((_, i) => i);
        const eps = batchNoise(a.seed, 'align-noise', step, slots, [mc.frames, mc.height, mc.width, mc.channels]);
        const t = batchTimesteps(a.seed, 'align-t', step, slots, c.timesteps);
        if (!dpo) {
          const b = batchTensors(mc, idx.map((i) => a.positives[i]), eps, t);
          const out: Record<string, tf.Tensor> = { ...b, t };
          if (useRef) out.refPred = refForward(b.z, b.cond, t);
          eps.dispose();
          return out;
        }
        const w = batchTensors(mc, idx.map((i) => a.pairs[i].win), eps, t);
        const l = batchTensors(mc, idx.map((i) => a.pairs[i].lose), eps, t);
        eps.dispose();
        return {
          t, zW: w.z, condW: w.cond, targetW: w.target, maskW: w.mask, refW: refForward(w.z, w.cond, t),
          zL: l.z, condL: l.cond, targetL: l.target, maskL: l.mask, refL: refForward(l.z, l.cond, t),
        };
      },
      stepLoss: (_step, p): { loss: tf.Scalar; metrics: Record<string, tf.Scalar> } => {
        if (dpo) {
          const r = flowDpoLoss({
            modelWin: forward(mc, params, { video: p.zW, cond: p.condW, t: p.t }, lora), refWin: p.refW, targetWin: p.targetW,
            modelLose: forward(mc, params, { video: p.zL, cond: p.condL, t: p.t }, lora), refLose: p.refL, targetLose: p.targetL,
            t: p.t, beta: c.beta,
          });
          return { loss: r.loss, metrics: { gap: r.gap, modelError: r.modelError, referenceError: r.referenceError, implicitAccuracy: r.implicitAccuracy } };
        }
        const pred = forward(mc, params, { video: p.z, cond: p.cond, t: p.t }, lora);
        if (!useRef) {
          const r = flowMatchingLoss(pred, p.target, p.mask, lambda);
          return { loss: r.loss, metrics: { modelError: r.modelError } };
        }
        const r = ipaLoss({ modelPred: pred, refPred: p.refPred, target: p.target, t: p.t, handMask: p.mask, beta: c.beta, handWeight: lambda });
        return { loss: r.loss, metrics: { gap: r.gap, modelError: r.modelError, referenceError: r.referenceError, implicitAccuracy: r.implicitAccuracy } };
      },
    });
    if (loop.steps < c.steps) return { loop, adapterDir: null, meta: null };
    const adapterDir = path.join(a.outDir, 'adapter');
    const meta = saveCheckpoint(adapterDir, {
      head: modelHead('adapter', mc, { lora: c.lora, baseWeightsSha256: a.base.weightsSha256 }),
      step: c.steps,
      seed: a.seed,
      worldHash: a.base.worldHash,
      metrics: { finalLoss: loop.lastRecord?.loss ?? NaN, secondsPerStep: loop.secondsPerStep },
      info: { ...a.info, align: c },
      files: { weights: snapshot(trainable) },
    });
    return { loop, adapterDir, meta };
  } finally {
    tf.dispose(Object.values(params));
    if (reference) tf.dispose(Object.values(reference));
    if (lora) disposeLora(lora);
  }
}

/** Timestep density of the paper: t ~ U(0, 1). */
export const UNIFORM_T: TimestepDensity = { kind: 'uniform' };
