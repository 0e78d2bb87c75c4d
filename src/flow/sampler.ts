/**
 * Euler sampler for rectified flow: from Z_1 = eps to Z_0 with N uniform steps, Z <- Z + (t_next - t) v(Z, t).
 * The reference slot (frame 0) is known: it is held on its exact path Z_t[0] = (1 - t) ref + t eps[0] after
 * every step (as inpainting samplers do), so it ends as the reference image itself.
 */
import * as tf from '@tensorflow/tfjs';

/** A velocity field: z [B, F, H, W, C] and t [B] -> v, same shape as z. */
export type VelocityFn = (z: tf.Tensor, t: tf.Tensor) => tf.Tensor;

export interface EulerOptions {
  steps: number;
  /** Called after each step with (step, steps). */
  onStep?: (step: number, steps: number) => void;
}

/**
 * Integrate from noise to data. `noise` [B, F, H, W, C] is eps (Z_1); `x0Ref` [B, 1, H, W, C] the clean
 * reference frame. Returns Z_0 [B, F, H, W, C]; the caller owns it.
 */
export function eulerSample(velocity: VelocityFn, noise: tf.Tensor, x0Ref: tf.Tensor, opts: EulerOptions): tf.Tensor {
  const { steps } = opts;
  if (!Number.isInteger(steps) || steps < 1) throw new Error(`eulerSample: steps must be a positive integer, got ${steps}`);
  const [B, F] = noise.shape;
  if (x0Ref.rank !== 5 || x0Ref.shape[0] !== B || x0Ref.shape[1] !== 1) {
    throw new Error(`eulerSample: x0Ref must be [${B}, 1, H, W, C], got ${JSON.stringify(x0Ref.shape)}`);
  }
  const slot = tf.tidy(() => {
    const m = new Float32Array(F);
    m[0] = 1;
    return tf.tensor(m, [1, F, 1, 1, 1]);
  });
  let z = tf.clone(noise);
  for (let i = 0; i < steps; i++) {
    const t = 1 - i / steps;
    const tNext = 1 - (i + 1) / steps;
    const next = tf.tidy(() => {
      const v = velocity(z, tf.fill([B], t));
      const moved = tf.add(z, tf.mul(v, tNext - t));
      // Hold the reference slot on its known path: (1 - t) ref + t eps.
      const refPath = tf.add(tf.mul(x0Ref, 1 - tNext), tf.mul(noise, tNext));
      return tf.add(tf.mul(moved, tf.sub(1, slot)), tf.mul(refPath, slot));
    });
    z.dispose();
    z = next;
    opts.onStep?.(i + 1, steps);
  }
  slot.dispose();
  return z;
}
