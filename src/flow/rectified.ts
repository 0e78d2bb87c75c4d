/**
 * Rectified flow (docs/design.md, "Loss conventions"): t = 1 is pure noise, t = 0 is data.
 *   Z_t = (1 - t) x0 + t eps,   target velocity v = eps - x0,   dZ/dt = v.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng, rng } from '../core/seeds';

/**
 * How training timesteps are drawn: uniform on (min, 1) (the paper: min absent = 0; a floor keeps post-training off
 * the lowest, noise-free draws), or logit-normal (SD3's density).
 */
export type TimestepDensity = { kind: 'uniform'; min?: number } | { kind: 'logit-normal'; mean: number; std: number };

/** Broadcast a per-sample [B] tensor against x [B, ...]. */
function perSample(t: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.reshape(t, [t.shape[0], ...Array(x.rank - 1).fill(1)]);
}

/** Z_t = (1 - t) x0 + t eps for x0, eps [B, ...] and t [B]. */
export function noisy(x0: tf.Tensor, eps: tf.Tensor, t: tf.Tensor): tf.Tensor {
  if (x0.shape.join() !== eps.shape.join()) throw new Error(`noisy: x0 ${JSON.stringify(x0.shape)} and eps ${JSON.stringify(eps.shape)} differ`);
  if (t.rank !== 1 || t.shape[0] !== x0.shape[0]) throw new Error(`noisy: t must be [${x0.shape[0]}], got ${JSON.stringify(t.shape)}`);
  return tf.tidy(() => {
    const tb = perSample(t, x0);
    return tf.add(tf.mul(tf.sub(1, tb), x0), tf.mul(tb, eps));
  });
}

/** Target velocity v = eps - x0. */
export function velocityTarget(x0: tf.Tensor, eps: tf.Tensor): tf.Tensor {
  return tf.sub(eps, x0);
}

/** B training timesteps in (0, 1) from the density, as a Float32Array. */
export function sampleTimesteps(r: Rng, B: number, density: TimestepDensity = { kind: 'uniform' }): Float32Array {
  if (density.kind === 'uniform' && density.min !== undefined && !(density.min >= 0 && density.min < 1)) throw new Error(`timesteps: 'min' must lie in [0, 1), got ${density.min}`);
  const out = new Float32Array(B);
  for (let i = 0; i < B; i++) {
    let t: number;
    if (density.kind === 'uniform') t = density.min ? density.min + (1 - density.min) * r.uniform() : r.uniform();
    else t = 1 / (1 + Math.exp(-(density.mean + density.std * r.normal())));
    out[i] = Math.min(Math.max(t, 1e-5), 1 - 1e-5);
  }
  return out;
}

/**
 * Noise of a batch with one stream per sample, `rng(seed, label, step, index)`: a sample's noise does not depend
 * on how the batch is split (e.g. across data-parallel workers). `indices` are the samples' places in the step.
 */
export function batchNoise(seed: number, label: string, step: number, indices: readonly number[], sampleShape: number[]): tf.Tensor {
  return tf.tensor(batchNoiseData(seed, label, step, indices, sampleShape), [indices.length, ...sampleShape]);
}

/** The values of `batchNoise`, sample-major, for a caller that changes them before they become a tensor. */
export function batchNoiseData(seed: number, label: string, step: number, indices: readonly number[], sampleShape: number[]): Float32Array {
  const per = sampleShape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(indices.length * per);
  indices.forEach((i, b) => data.set(rng(seed, label, step, i).normals(per), b * per));
  return data;
}

/** Timesteps of a batch, one stream per sample (like `batchNoise`). */
export function batchTimesteps(seed: number, label: string, step: number, indices: readonly number[], density: TimestepDensity): tf.Tensor1D {
  return tf.tensor1d(indices.map((i) => sampleTimesteps(rng(seed, label, step, i), 1, density)[0]));
}

/** Standard normal noise of a shape, from a seeded stream (backend-independent). */
export function gaussianNoise(r: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(r.normals(n), shape);
}
