/**
 * The U-Net's small ops on NHWC images, with gradients on every backend: 2x2 average pooling, nearest 2x
 * upsampling, GroupNorm, SiLU and FiLM modulation. They are tfjs ops whose kernels (and gradient kernels) exist
 * on cpu, wasm, tensorflow and webgpu (AvgPool/AvgPoolGrad, ResizeNearestNeighbor, Mean, Sigmoid); SiLU
 * and upsampling have custom gradients.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedConcatChannels, fusedGroupNormAct, fusedKernelsActive } from './fused';

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

/** Options of the fused GroupNorm: FiLM modulation per clip ([B, C], B dividing N) and a SiLU after it. */
export interface GroupNormActOptions {
  scale?: tf.Tensor2D;
  shift?: tf.Tensor2D;
  silu?: boolean;
  eps?: number;
}

/**
 * GroupNorm -> optional FiLM (x * (1 + scale) + shift, per clip) -> optional SiLU, as one custom-gradient op.
 * It saves only its inputs and recomputes the normalised values in the backward pass: the unfused chain keeps
 * about ten full-size intermediates per call alive for the backward pass (the wasm heap, capped at 4 GiB, ran
 * out at the U-Net's batch of 8 clips x 8 frames), and runs about twice the elementwise kernels.
 */
export function groupNormAct(x: tf.Tensor4D, groups: number, gamma: tf.Tensor1D, beta: tf.Tensor1D, o: GroupNormActOptions = {}): tf.Tensor4D {
  const [N, , , C] = x.shape;
  if (x.rank !== 4 || C % groups) throw new Error(`groupNormAct: channels ${C} of ${JSON.stringify(x.shape)} not divisible by ${groups} groups`);
  if (gamma.size !== C || beta.size !== C) throw new Error(`groupNormAct: gamma and beta must have ${C} entries, got ${gamma.size} and ${beta.size}`);
  const hasFilm = o.scale !== undefined;
  if (hasFilm !== (o.shift !== undefined)) throw new Error('groupNormAct: give both scale and shift, or neither');
  const B = hasFilm ? (o.scale as tf.Tensor2D).shape[0] : 1;
  if (hasFilm && (N % B || (o.scale as tf.Tensor2D).shape[1] !== C || JSON.stringify((o.shift as tf.Tensor2D).shape) !== JSON.stringify([B, C]))) {
    throw new Error(`groupNormAct: x ${JSON.stringify(x.shape)} does not fit scale ${JSON.stringify(o.scale?.shape)} and shift ${JSON.stringify(o.shift?.shape)}`);
  }
  if (fusedKernelsActive()) return fusedGroupNormAct(x, groups, gamma, beta, o.eps ?? 1e-5, o.silu ?? false, o.scale, o.shift); // the kit's wasm kernels
  const op = fusedGroupNorm(groups, o.eps ?? 1e-5, hasFilm, o.silu ?? false);
  const inputs = hasFilm ? [x, gamma, beta, o.scale as tf.Tensor, o.shift as tf.Tensor] : [x, gamma, beta];
  return op(...inputs) as tf.Tensor4D;
}

type FusedOp = (...inputs: tf.Tensor[]) => tf.Tensor;
const fusedOps = new Map<string, FusedOp>();

function fusedGroupNorm(G: number, eps: number, hasFilm: boolean, act: boolean): FusedOp {
  const key = `${G}/${eps}/${hasFilm}/${act}`;
  let op = fusedOps.get(key);
  if (op) return op;
  /** Normalised x [N, HW, G, Cg] and 1/std [N, 1, G, 1]. */
  const normalise = (x: tf.Tensor) => {
    const [N, H, W, C] = x.shape;
    const xr = tf.reshape(x, [N, H * W, G, C / G]);
    const { mean, variance } = tf.moments(xr, [1, 3], true);
    const rstd = tf.rsqrt(tf.add(variance, eps));
    return { xhat: tf.mul(tf.sub(xr, mean), rstd), rstd };
  };
  /** Pre-activation y [B, F*HW, C] (affine, then FiLM) from xhat. */
  const affine = (xhat: tf.Tensor, shape: number[], gamma: tf.Tensor, beta: tf.Tensor, scale?: tf.Tensor, shift?: tf.Tensor) => {
    const [N, H, W, C] = shape;
    const B = scale ? scale.shape[0] : 1;
    const y = tf.reshape(tf.add(tf.mul(tf.reshape(xhat, [N, H, W, C]), gamma), beta), [B, (N / B) * H * W, C]);
    return scale && shift ? { y, u: tf.add(tf.mul(y, tf.reshape(tf.add(scale, 1), [B, 1, C])), tf.reshape(shift, [B, 1, C])) } : { y, u: y };
  };
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const ins = args.slice(0, -1) as tf.Tensor[];
    const [x, gamma, beta, scale, shift] = ins;
    save(ins);
    const value = tf.tidy(() => {
      const { u } = affine(normalise(x).xhat, x.shape, gamma, beta, scale, shift);
      return tf.reshape(act ? tf.mul(u, tf.sigmoid(u)) : u, x.shape);
    });
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, gs, bs, ss, shs] = saved;
        const [N, H, W, C] = xs.shape;
        const B = ss ? ss.shape[0] : 1;
        const { xhat, rstd } = normalise(xs); // recomputed: nothing but the inputs was kept
        const { y, u } = affine(xhat, xs.shape, gs, bs, ss, shs);
        let du = tf.reshape(dy as tf.Tensor, [B, (N / B) * H * W, C]);
        if (act) {
          const s = tf.sigmoid(u);
          du = tf.mul(du, tf.mul(s, tf.add(1, tf.mul(u, tf.sub(1, s))))); // SiLU'
        }
        const grads: tf.Tensor[] = [];
        let dyAff = du; // gradient wrt the affine output [B, F*HW, C]
        let dScale: tf.Tensor | null = null;
        let dShift: tf.Tensor | null = null;
        if (ss) {
          dShift = tf.sum(du, 1); // [B, C]
          dScale = tf.sum(tf.mul(du, y), 1); // [B, C]
          dyAff = tf.mul(du, tf.reshape(tf.add(ss, 1), [B, 1, C]));
        }
        const dy2 = tf.reshape(dyAff, [N * H * W, C]);
        const xhat2 = tf.reshape(xhat, [N * H * W, C]);
        const dGamma = tf.sum(tf.mul(dy2, xhat2), 0);
        const dBeta = tf.sum(dy2, 0);
        const dxhat = tf.reshape(tf.mul(dy2, gs), [N, H * W, G, C / G]);
        // dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), means over each group
        const m1 = tf.mean(dxhat, [1, 3], true);
        const m2 = tf.mean(tf.mul(dxhat, xhat), [1, 3], true);
        const dx = tf.reshape(tf.mul(rstd, tf.sub(tf.sub(dxhat, m1), tf.mul(xhat, m2))), xs.shape);
        grads.push(dx, dGamma, dBeta);
        if (dScale && dShift) grads.push(dScale, dShift);
        return grads;
      },
    };
  });
  op = (...inputs: tf.Tensor[]) => f(...inputs);
  fusedOps.set(key, op);
  return op;
}

/**
 * Concatenation on the channel axis, [N, H, W, C1] + [N, H, W, C2] -> [N, H, W, C1 + C2], with a gradient made
 * of two gathers on the channel axis (tf.concat's gradient is a split on the last axis, a strided slice: 208 ms
 * for 4 calls on the U-Net's decoder on wasm, measured with tf.profile). On wasm, the kit's own kernels (./fused.ts)
 * do both as copies per pixel; this composed version is the reference and the path off wasm.
 */
const composedConcat: (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor4D = (() => {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [a, b] = args as [tf.Tensor4D, tf.Tensor4D];
    const C1 = a.shape[3];
    const C2 = b.shape[3];
    return {
      value: tf.concat([a, b], 3),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => [
        tf.gather(dy as tf.Tensor, tf.range(0, C1, 1, 'int32'), 3),
        tf.gather(dy as tf.Tensor, tf.range(C1, C1 + C2, 1, 'int32'), 3),
      ],
    };
  });
  return (a: tf.Tensor4D, b: tf.Tensor4D) => f(a, b) as tf.Tensor4D;
})();

/** Channel concatenation (see above): the fused kernels on wasm, the composed ops elsewhere. */
export function concatChannels(a: tf.Tensor4D, b: tf.Tensor4D): tf.Tensor4D {
  if (a.rank !== 4 || b.rank !== 4 || a.shape.slice(0, 3).join() !== b.shape.slice(0, 3).join()) {
    throw new Error(`concatChannels: [N, H, W, C] inputs with the same N, H, W expected, got ${JSON.stringify(a.shape)} and ${JSON.stringify(b.shape)}`);
  }
  return fusedKernelsActive() && a.dtype === 'float32' && b.dtype === 'float32' ? fusedConcatChannels(a, b) : composedConcat(a, b);
}
