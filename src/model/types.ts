/**
 * The types every network of the video model shares (the DiT of ./dit, the U-Net of ./unet): named parameters,
 * LoRA adapters, the model's inputs, and the sinusoidal timestep features both embed.
 */
import * as tf from '@tensorflow/tfjs';

/** Named parameters of the model (and, with the same type, of LoRA adapters). */
export type Params = Record<string, tf.Variable>;

/** A LoRA adapter on one weight: W x + scale * B(A x). */
export interface LoraPair {
  a: tf.Variable; // [in, r]
  b: tf.Variable; // [r, out], zero-initialised
  scale: number; // alpha / r
}
export type LoraSet = Record<string, LoraPair>;

/** Model inputs. `video` is the noisy video Z_t; `cond` the per-frame conditioning; `t` in [0, 1]. */
export interface ModelInput {
  video: tf.Tensor; // [B, F, H, W, C]
  cond: tf.Tensor; // [B, F, H, W, condC]
  t: tf.Tensor; // [B]
  /** Per-clip mode noise [B] (U-Net with `modeNoise` only; model/mode.ts). */
  mode?: tf.Tensor;
}

/** Number of scalars in a parameter set. */
export function countParams(p: Params | LoraSet): number {
  let n = 0;
  for (const v of Object.values(p)) {
    if (v instanceof tf.Variable) n += v.size;
    else n += (v as LoraPair).a.size + (v as LoraPair).b.size;
  }
  return n;
}

/** Sinusoidal timestep features of t * 1000: [B] -> [B, freqDim]. */
export function timestepFeatures(t: tf.Tensor, freqDim: number): tf.Tensor2D {
  return tf.tidy(() => {
    const half = freqDim / 2;
    const freqs = new Float32Array(half);
    for (let i = 0; i < half; i++) freqs[i] = Math.exp((-Math.log(10000) * i) / half);
    const args = tf.mul(tf.reshape(tf.mul(t, 1000), [-1, 1]), tf.tensor2d(freqs, [1, half])); // [B, half]
    return tf.concat([tf.cos(args), tf.sin(args)], 1) as tf.Tensor2D;
  });
}
