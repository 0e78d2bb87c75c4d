/**
 * Mode noise: the per-clip scalar that decides, with the rest of a clip's noise, whether its hands come out right
 * (UnetConfig.modeNoise). It is the kit's controllable stand-in for "the base sometimes draws hands wrong": in a
 * large video model the seed decides it; a small flow model averages fine-detail modes instead, so here the mode is
 * made learnable on purpose. Pretraining couples it to the data: a clip with a hand defect gets its mode from the
 * top `share` of the standard normal, a clean clip from the rest, so the model learns which hands go with which
 * mode. Sampling draws it as a plain standard normal (a share `share` of clips in the defective region), and
 * post-training draws it afresh for every training clip, so aligning means good hands whatever the mode.
 */
import * as tf from '@tensorflow/tfjs';
import { rng } from '../core/seeds';

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9), p in (0, 1). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** The mode threshold: a standard-normal mode above it is the defective mode (probability `share`). */
export function modeThreshold(share: number): number {
  if (!(share > 0 && share < 1)) throw new Error(`mode noise: share must be in (0, 1), got ${share}`);
  return normalQuantile(1 - share);
}

/**
 * The coupled mode of a pretraining clip from a uniform u in [0, 1): defective clips in the top `share` of the
 * standard normal, clean clips below it (so modes are standard normal when a share `share` of clips is defective).
 */
export function coupledMode(u: number, defective: boolean, share: number): number {
  modeThreshold(share);
  const p = defective ? 1 - share + share * u : (1 - share) * u;
  return normalQuantile(Math.min(1 - 1e-12, Math.max(1e-12, p)));
}

/** The mode noise of a sample (its own stream, like the sample's other noise). */
export function sampleMode(seed: number, key: string): number {
  return rng(seed, 'sample-mode', key).normals(1)[0];
}

/** Pretraining modes of a batch: one coupled mode per clip from stream (seed, 'train-mode', step, index). */
export function coupledModes(seed: number, step: number, indices: readonly number[], defective: readonly boolean[], share: number): tf.Tensor1D {
  return tf.tensor1d(indices.map((i, b) => coupledMode(rng(seed, 'train-mode', step, i).uniform(), defective[b], share)));
}

/** Fresh standard-normal modes of a batch (post-training), one stream per sample like `batchNoise`. */
export function freshModes(seed: number, label: string, step: number, indices: readonly number[]): tf.Tensor1D {
  return tf.tensor1d(indices.map((i) => rng(seed, label, step, i).normals(1)[0]));
}
