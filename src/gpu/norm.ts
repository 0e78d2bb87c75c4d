/**
 * The U-Net's small ops on NHWC images, with gradients on every backend: 2x2 average pooling, nearest 2x
 * upsampling, GroupNorm, SiLU and FiLM modulation. They are tfjs ops whose kernels (and gradient kernels) exist
 * on cpu, wasm, tensorflow and webgpu (AvgPool/AvgPoolGrad, ResizeNearestNeighbor, Mean, Sigmoid); SiLU
 * and upsampling have custom gradients.
 */
import * as tf from '@tensorflow/tfjs';

/** 2x2 average pooling, stride 2: [N, H, W, C] -> [N, H/2, W/2, C] (H, W even). */
export function avgPool2x2(x: tf.Tensor4D): tf.Tensor4D {
  const [, H, W] = x.shape;
  if (x.rank !== 4 || H % 2 || W % 2) throw new Error(`avgPool2x2: input must be [N, H, W, C] with even H, W, got ${JSON.stringify(x.shape)}`);
  return tf.avgPool(x, 2, 2, 'valid');
}

/**
 * Nearest-neighbour 2x upsampling: [N, H, W, C] -> [N, 2H, 2W, C]. The gradient is 4 * avgPool2x2(dy) (the sum
 * over each 2x2 block): the wasm ResizeNearestNeighborGrad kernel of tfjs 4.22 is wrong for batch > 1
 * (measured against the cpu backend: errors of order 1 on [4, 3, 3, 4]).
 */
export const upsample2x: (x: tf.Tensor4D) => tf.Tensor4D = (() => {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x] = args as [tf.Tensor4D];
    const [, H, W] = x.shape;
    return {
      value: tf.image.resizeNearestNeighbor(x, [2 * H, 2 * W], false, false),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => [tf.mul(tf.avgPool(dy as tf.Tensor4D, 2, 2, 'valid'), 4)],
    };
  });
  return (x: tf.Tensor4D) => {
    if (x.rank !== 4) throw new Error(`upsample2x: input must be [N, H, W, C], got ${JSON.stringify(x.shape)}`);
    return f(x) as tf.Tensor4D;
  };
})();

/** SiLU x * sigmoid(x), with the gradient dy * s * (1 + x (1 - s)) from the saved sigmoid. */
export const silu: <T extends tf.Tensor>(x: T) => T = (() => {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const s = tf.sigmoid(x);
    save([x, s]);
    return {
      value: tf.mul(x, s),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, ss] = saved;
        return [tf.mul(dy as tf.Tensor, tf.mul(ss, tf.add(1, tf.mul(xs, tf.sub(1, ss)))))];
      },
    };
  });
  return <T extends tf.Tensor>(x: T) => f(x) as T;
})();

/**
 * GroupNorm over [N, H, W, C] with `groups` groups of C/groups channels: statistics per (image, group) over
 * H*W*C/groups values; then the per-channel affine gamma [C], beta [C].
 */
export function groupNorm(x: tf.Tensor4D, groups: number, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): tf.Tensor4D {
  const [N, H, W, C] = x.shape;
  if (x.rank !== 4 || C % groups) throw new Error(`groupNorm: channels ${C} of ${JSON.stringify(x.shape)} not divisible by ${groups} groups`);
  if (gamma.size !== C || beta.size !== C) throw new Error(`groupNorm: gamma and beta must have ${C} entries, got ${gamma.size} and ${beta.size}`);
  return tf.tidy(() => {
    const xr = tf.reshape(x, [N, H * W, groups, C / groups]);
    const { mean, variance } = tf.moments(xr, [1, 3], true); // [N, 1, G, 1]
    const xhat = tf.mul(tf.sub(xr, mean), tf.rsqrt(tf.add(variance, eps)));
    return tf.add(tf.mul(tf.reshape(xhat, [N, H, W, C]), gamma), beta) as tf.Tensor4D;
  });
}

/**
 * FiLM modulation x * (1 + scale) + shift, with one [C] modulation per clip: x [B*F, H, W, C] holds the F
 * frames of each of the B clips, scale and shift are [B, C].
 */
export function film(x: tf.Tensor4D, scale: tf.Tensor2D, shift: tf.Tensor2D): tf.Tensor4D {
  const [N, H, W, C] = x.shape;
  const B = scale.shape[0];
  if (N % B || scale.shape[1] !== C || shift.shape[0] !== B || shift.shape[1] !== C) {
    throw new Error(`film: x ${JSON.stringify(x.shape)} does not fit scale ${JSON.stringify(scale.shape)} and shift ${JSON.stringify(shift.shape)}`);
  }
  return tf.tidy(() => {
    const xr = tf.reshape(x, [B, (N / B) * H * W, C]);
    const y = tf.add(tf.mul(xr, tf.reshape(tf.add(scale, 1), [B, 1, C])), tf.reshape(shift, [B, 1, C]));
    return tf.reshape(y, [N, H, W, C]) as tf.Tensor4D;
  });
}
