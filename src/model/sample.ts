/**
 * Sampling: generate the frames of clips with the Euler sampler. Each clip's noise comes from its own stream
 * `rng(seed, 'sample', key)`, so a clip's video does not depend on which other clips share its batch.
 */
import * as tf from '@tensorflow/tfjs';
import { eulerSample } from '../flow/sampler';
import { gaussianNoise } from '../flow/rectified';
import { Progress } from '../core/progress';
import { rng } from '../core/seeds';
import { ModelConfig } from './config';
import { LoraSet, Params, condLayout, forward } from './network';
import { ClipPixels, batchInputs, toUnit, videoToBytes } from './inputs';

export interface SampleJob {
  /** Stream key of this sample's noise, e.g. `${clipId}#2` for the third candidate of a clip. */
  key: string;
  clip: Omit<ClipPixels, 'frames'> & { frames?: Uint8Array };
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

/**
 * Generate the F frames of each job: returns uint8 [N, F, S, S, 3] (the reference slot is not included).
 * Frames of the ground truth are not needed (only reference, reference pose and pose maps).
 */
export function generate(c: ModelConfig, params: Params, jobs: SampleJob[], opts: SampleOptions): Uint8Array {
  const S = c.height;
  const F = c.frames - 1;
  const per = F * S * S * 3;
  const out = new Uint8Array(jobs.length * per);
  const rho = opts.frameCorrelation ?? 0;
  if (!(rho >= 0 && rho < 1)) throw new Error(`generate: frameCorrelation must be in [0, 1), got ${rho}`);
  const bar = opts.label ? new Progress({ total: jobs.length, label: opts.label, unit: 'clip' }) : null;
  for (let i = 0; i < jobs.length; i += opts.batch) {
    const part = jobs.slice(i, i + opts.batch);
    const B = part.length;
    const z0 = tf.tidy(() => {
      const clips: ClipPixels[] = part.map((j) => ({ ...j.clip, frames: j.clip.frames ?? new Uint8Array(per) }));
      const { cond } = batchInputs(clips, S, condLayout(c));
      const shape = [c.frames, S, S, c.channels];
      const noiseData = new Float32Array(B * c.frames * S * S * c.channels);
      part.forEach((j, b) => noiseData.set(clipNoise(opts.seed, j.key, shape, rho), b * c.frames * S * S * c.channels));
      const noise = tf.tensor(noiseData, [B, ...shape]);
      const refData = new Float32Array(B * S * S * c.channels);
      part.forEach((j, b) => j.clip.ref.forEach((v, k) => (refData[b * S * S * c.channels + k] = toUnit(v))));
      const ref = tf.tensor(refData, [B, 1, S, S, c.channels]);
      // Fresh noise of step i for the stochastic sampler: its own stream per job and step.
      const freshNoise = (step: number): tf.Tensor => {
        const data = new Float32Array(B * c.frames * S * S * c.channels);
        part.forEach((j, b) => data.set(clipNoise(opts.seed, j.key, shape, rho, step), b * c.frames * S * S * c.channels));
        return tf.tensor(data, [B, ...shape]);
      };
      return eulerSample((z, t) => forward(c, params, { video: z, cond, t }, opts.lora), noise, ref, { steps: opts.steps, eta: opts.eta ?? 0, freshNoise });
    });
    // Frames 1..F of each sample (typed-array copies: a strided tf.slice is slow on wasm).
    const all = z0.dataSync() as Float32Array;
    z0.dispose();
    const slot = S * S * c.channels;
    for (let b = 0; b < B; b++) out.set(videoToBytes(all.subarray((b * c.frames + 1) * slot, (b + 1) * c.frames * slot)), (i + b) * per);
    bar?.tick(B);
  }
  bar?.finish();
  return out;
}

/** Convenience for tests and notebooks: noise tensor of a job (for inspection). */
export function noiseOf(c: ModelConfig, seed: number, key: string): tf.Tensor {
  return gaussianNoise(rng(seed, 'sample', key), [c.frames, c.height, c.width, c.channels]);
}
