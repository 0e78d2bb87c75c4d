/**
 * Sampling: generate the frames of clips with the Euler sampler. Each clip's noise comes from its own stream
 * `rng(seed, 'sample', key)`, so a clip's video does not depend on which other clips share its batch.
 */
import * as tf from '@tensorflow/tfjs';
import { eulerSample, eulerSampleAsync } from '../flow/sampler';
import { gaussianNoise } from '../flow/rectified';
import { Progress } from '../core/progress';
import { rng } from '../core/seeds';
import { ModelConfig } from './config';
import { LoraSet, Params, condLayout, forward } from './network';
import { ClipPixels, batchInputs, toUnit, videoToBytes } from './inputs';
import type { UnetOnnx } from './unet-onnx';
import { sampleMode } from './mode';

export interface SampleJob {
  /** Stream key of this sample's noise, e.g. `${clipId}#2` for the third candidate of a clip. */
  key: string;
  clip: Omit<ClipPixels, 'frames'> & { frames?: Uint8Array };
  /** Mode noise of a modeNoise U-Net's sample, set by a probe (default: the sample's own stream, `sampleMode(seed, key)`). */
  mode?: number;
  /** The initial noise [F + 1, S, S, 3], set by a probe (default: `clipNoise(seed, key)`; each step's fresh noise stays the stream's). */
  noise?: Float32Array;
}

export interface SampleOptions {
  steps: number;
  /** Stochastic sampler's share of renewed noise per step (flow/sampler.ts); 0 or absent = Euler. */
  eta?: number;
  /**
   * Correlation rho in [0, 1) of the noise of a clip's generated frames (the initial noise and each step's fresh
   * noise): frame f's noise is sqrt(1 - rho) own_f + sqrt(rho) shared, with `shared` one field per clip from its own
   * stream, so each frame's noise stays standard normal. 0 or absent: independent frames (the noise as before).
   */
  frameCorrelation?: number;
  seed: number;
  batch: number;
  lora?: LoraSet;
  /** Progress label; no progress bar when absent. */
  label?: string;
}

/** Noise for one job: [F+1, S, S, 3] from its own stream (generated frames correlated by rho, see SampleOptions). */
export function clipNoise(seed: number, key: string, shape: number[], rho = 0, step: number | null = null): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const own = step === null ? rng(seed, 'sample', key).normals(n) : rng(seed, 'sample-fresh', key, step).normals(n);
  if (rho === 0) return own;
  const per = n / shape[0];
  const shared = (step === null ? rng(seed, 'sample-shared', key) : rng(seed, 'sample-fresh-shared', key, step)).normals(per);
  const a = Math.sqrt(1 - rho);
  const b = Math.sqrt(rho);
  for (let f = 1; f < shape[0]; f++) for (let i = 0; i < per; i++) own[f * per + i] = a * own[f * per + i] + b * shared[i];
  return own;
}

/** The tensors of one batch of jobs: conditioning, initial noise, clean reference, and each step's fresh noise. */
interface BatchTensors {
  cond: tf.Tensor;
  /** Mode noise [B] of a modeNoise U-Net (model/mode.ts), else absent. */
  mode?: tf.Tensor;
  noise: tf.Tensor;
  ref: tf.Tensor;
  freshNoise: (step: number) => tf.Tensor;
}

/** Build a batch's tensors (the caller disposes cond, noise and ref; freshNoise's tensors go to the sampler). */
function batchTensors(c: ModelConfig, part: SampleJob[], opts: SampleOptions): BatchTensors {
  const S = c.height;
  const per = (c.frames - 1) * S * S * 3;
  const B = part.length;
  const rho = opts.frameCorrelation ?? 0;
  const shape = [c.frames, S, S, c.channels];
  const clipSize = c.frames * S * S * c.channels;
  // Fresh noise of step i for the stochastic sampler: its own stream per job and step.
  const freshNoise = (step: number): tf.Tensor => {
    const data = new Float32Array(B * clipSize);
    part.forEach((j, b) => data.set(clipNoise(opts.seed, j.key, shape, rho, step), b * clipSize));
    return tf.tensor(data, [B, ...shape]);
  };
  const noiseData = new Float32Array(B * clipSize);
  part.forEach((j, b) => {
    if (j.noise && j.noise.length !== clipSize) throw new Error(`sample job '${j.key}': its noise has ${j.noise.length} values, the model takes ${clipSize}`);
    noiseData.set(j.noise ?? clipNoise(opts.seed, j.key, shape, rho), b * clipSize);
  });
  const refData = new Float32Array(B * S * S * c.channels);
  part.forEach((j, b) => j.clip.ref.forEach((v, k) => (refData[b * S * S * c.channels + k] = toUnit(v))));
  const clips: ClipPixels[] = part.map((j) => ({ ...j.clip, frames: j.clip.frames ?? new Uint8Array(per) }));
  const cond = tf.tidy(() => batchInputs(clips, S, condLayout(c)).cond);
  const mode = c.kind === 'unet' && c.modeNoise ? tf.tensor1d(part.map((j) => j.mode ?? sampleMode(opts.seed, j.key))) : undefined;
  return { cond, mode, noise: tf.tensor(noiseData, [B, ...shape]), ref: tf.tensor(refData, [B, 1, S, S, c.channels]), freshNoise };
}

/** Frames 1..F of each sample of z0 [B, F+1, S, S, 3] into `out` at job `first` (typed-array copies: a strided tf.slice is slow on wasm). */
function writeBatch(c: ModelConfig, z0: tf.Tensor, out: Uint8Array, first: number): void {
  const all = z0.dataSync() as Float32Array;
  const B = z0.shape[0];
  const slot = c.height * c.width * c.channels;
  const per = (c.frames - 1) * slot;
  for (let b = 0; b < B; b++) out.set(videoToBytes(all.subarray((b * c.frames + 1) * slot, (b + 1) * c.frames * slot)), (first + b) * per);
}

function checkSampleOptions(opts: SampleOptions): void {
  const rho = opts.frameCorrelation ?? 0;
  if (!(rho >= 0 && rho < 1)) throw new Error(`generate: frameCorrelation must be in [0, 1), got ${rho}`);
  if (!Number.isInteger(opts.batch) || opts.batch < 1) throw new Error(`generate: batch must be a positive integer, got ${opts.batch}`);
}

/** Z_0 [B, F+1, S, S, 3] of one batch of jobs on tfjs (the caller owns it). */
export function sampleBatch(c: ModelConfig, params: Params, part: SampleJob[], opts: SampleOptions): tf.Tensor {
  const bt = batchTensors(c, part, opts);
  try {
    return tf.tidy(() => eulerSample((z, t) => forward(c, params, { video: z, cond: bt.cond, t, mode: bt.mode }, opts.lora), bt.noise, bt.ref, { steps: opts.steps, eta: opts.eta ?? 0, freshNoise: bt.freshNoise }));
  } finally {
    tf.dispose([bt.cond, bt.noise, bt.ref, ...(bt.mode ? [bt.mode] : [])]);
  }
}

/**
 * `sampleBatch` with the velocity computed by ONNX Runtime (`runner`, the U-Net's exported graph); the noise, the
 * sampler's steps and the conversion to bytes are the tfjs path's own, so the two differ only by the engines'
 * float arithmetic (a test and the sampling bench state by how much).
 */
export async function sampleBatchOnnx(runner: UnetOnnx, part: SampleJob[], opts: Omit<SampleOptions, 'lora'>): Promise<tf.Tensor> {
  const bt = batchTensors(runner.config, part, opts);
  try {
    const condData = bt.cond.dataSync() as Float32Array;
    const mode = bt.mode ? Array.from(bt.mode.dataSync()) : undefined;
    const velocity = async (z: tf.Tensor, t: number[]) => tf.tensor(await runner.velocity(z.dataSync() as Float32Array, condData, t, mode), z.shape);
    return await eulerSampleAsync(velocity, bt.noise, bt.ref, { steps: opts.steps, eta: opts.eta ?? 0, freshNoise: bt.freshNoise });
  } finally {
    tf.dispose([bt.cond, bt.noise, bt.ref, ...(bt.mode ? [bt.mode] : [])]);
  }
}

/**
 * Generate the F frames of each job on tfjs (the reference engine): returns uint8 [N, F, S, S, 3] (the reference
 * slot is not included). Frames of the ground truth are not needed (only reference, reference pose and pose maps).
 */
export function generate(c: ModelConfig, params: Params, jobs: SampleJob[], opts: SampleOptions): Uint8Array {
  checkSampleOptions(opts);
  const out = new Uint8Array(jobs.length * (c.frames - 1) * c.height * c.width * c.channels);
  const bar = opts.label ? new Progress({ total: jobs.length, label: opts.label, unit: 'clip' }) : null;
  for (let i = 0; i < jobs.length; i += opts.batch) {
    const part = jobs.slice(i, i + opts.batch);
    const z0 = sampleBatch(c, params, part, opts);
    writeBatch(c, z0, out, i);
    z0.dispose();
    bar?.tick(part.length);
  }
  bar?.finish();
  return out;
}

/** `generate` through ONNX Runtime (`sampleBatchOnnx`). */
export async function generateOnnx(runner: UnetOnnx, jobs: SampleJob[], opts: Omit<SampleOptions, 'lora'>): Promise<Uint8Array> {
  checkSampleOptions(opts);
  const c = runner.config;
  const out = new Uint8Array(jobs.length * (c.frames - 1) * c.height * c.width * c.channels);
  const bar = opts.label ? new Progress({ total: jobs.length, label: opts.label, unit: 'clip' }) : null;
  for (let i = 0; i < jobs.length; i += opts.batch) {
    const part = jobs.slice(i, i + opts.batch);
    const z0 = await sampleBatchOnnx(runner, part, opts);
    writeBatch(c, z0, out, i);
    z0.dispose();
    bar?.tick(part.length);
  }
  bar?.finish();
  return out;
}

/** Convenience for tests and notebooks: noise tensor of a job (for inspection). */
export function noiseOf(c: ModelConfig, seed: number, key: string): tf.Tensor {
  return gaussianNoise(rng(seed, 'sample', key), [c.frames, c.height, c.width, c.channels]);
}
