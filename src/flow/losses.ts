/**
 * The flow-matching error and its HALO weight (docs/design.md, "Loss conventions"): the regression that
 * pretraining, SFT and the preference objectives of align/losses.ts share. Pure functions that reject bad shapes or
 * values with an Error naming the argument.
 *
 * Conventions: videos are [B, F, H, W, C] with frame 0 the reference slot; t = 1 is noise; the target is
 * v = eps - x0; errors are per-sample means over all elements of W * (v - v_phi)^2.
 *
 * HALO weight: W = 1 everywhere except the hand pixels of the generated frames, where
 *   W = 1 + (lambda - 1) * M,   M = hand mask in [0, 1] on frames 1..F-1 (frame 0 is never weighted).
 * This follows the official code (`weight = 1 + (lambda - 1) * mask`: lambda = 10 means 10x on hands); the
 * paper's text writes 1 + lambda * M, which would make lambda = 10 an 11x weight and lambda = 0 no weighting.
 */
import * as tf from '@tensorflow/tfjs';

/** A shape as text, for error messages. */
export const show = (s: number[]) => JSON.stringify(s);

/** `x` is a video [B, F, H, W, C] with F >= 2. */
export function checkVideo(name: string, x: tf.Tensor): void {
  if (!(x instanceof tf.Tensor)) throw new Error(`'${name}' must be a tf.Tensor`);
  if (x.rank !== 5) throw new Error(`'${name}' must be [B, F, H, W, C], got shape ${show(x.shape)}`);
  const frames = x.shape[1] ?? 0;
  if (frames < 2) throw new Error(`'${name}' needs F >= 2 frames (reference slot + generated), got ${frames}`);
}

/** `x` is a video of the same shape as `ref`. */
export function checkSame(name: string, x: tf.Tensor, refName: string, ref: tf.Tensor): void {
  checkVideo(name, x);
  if (x.shape[0] !== ref.shape[0]) throw new Error(`batch size mismatch: '${name}' has ${x.shape[0]}, '${refName}' has ${ref.shape[0]}`);
  if (show(x.shape) !== show(ref.shape)) throw new Error(`'${name}' has shape ${show(x.shape)}, expected ${show(ref.shape)} like '${refName}'`);
}

/** `mask` is [B, F-1, H, W, 1] for the frames 1..F-1 of `like`. */
export function checkMask(name: string, mask: tf.Tensor, like: tf.Tensor): void {
  const [B, F, H, W] = like.shape;
  const want = [B, F - 1, H, W, 1];
  if (!(mask instanceof tf.Tensor)) throw new Error(`'${name}' must be a tf.Tensor`);
  if (mask.rank === 5 && mask.shape[0] !== B) throw new Error(`batch size mismatch: '${name}' has ${mask.shape[0]}, expected ${B}`);
  if (show(mask.shape) !== show(want)) {
    throw new Error(`'${name}' must be [B, F-1, H, W, 1] = ${show(want)} (frames 1..F-1; frame 0 is never weighted), got ${show(mask.shape)}`);
  }
}

/** The hand weight lambda is a finite number > 0. */
export function checkHandWeight(w: number): void {
  if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0) throw new Error(`'handWeight' must be a finite number > 0, got ${w}`);
}

/** The HALO weight W [B, F, H, W, 1]: 1 on frame 0 and 1 + (lambda - 1) * clamp(M, 0, 1) on frames 1..F-1. */
export function haloWeight(handMask: tf.Tensor, handWeight: number): tf.Tensor {
  checkHandWeight(handWeight);
  return tf.tidy(() => {
    const [B, , H, W] = handMask.shape;
    const m = tf.clipByValue(handMask, 0, 1);
    const gen = tf.add(1, tf.mul(m, handWeight - 1));
    return tf.concat([tf.ones([B, 1, H, W, 1]), gen], 1);
  });
}

/** Per-sample weighted squared error [B] (no argument checks; callers check). */
export function weightedError(pred: tf.Tensor, target: tf.Tensor, handMask: tf.Tensor | undefined, handWeight: number): tf.Tensor {
  return tf.tidy(() => {
    const sq = tf.square(tf.sub(pred, target)); // [B, F, H, W, C]
    const weighted = handMask && handWeight !== 1 ? tf.mul(sq, haloWeight(handMask, handWeight)) : sq;
    return tf.mean(weighted, [1, 2, 3, 4]); // [B]
  });
}

/**
 * HALO-weighted error: per-sample mean over all elements of W * (pred - target)^2 -> [B].
 * pred, target: [B, F, H, W, C]; handMask: [B, F-1, H, W, 1] for frames 1..F-1; handWeight: lambda > 0.
 */
export function haloError(pred: tf.Tensor, target: tf.Tensor, handMask: tf.Tensor, handWeight: number): tf.Tensor {
  checkVideo('pred', pred);
  checkSame('target', target, 'pred', pred);
  checkMask('handMask', handMask, pred);
  checkHandWeight(handWeight);
  return weightedError(pred, target, handMask, handWeight);
}

/** Check an optional hand mask and weight; returns the weight (1 when not given). */
export function optionalMask(handMask: tf.Tensor | undefined, handWeight: number | undefined, like: tf.Tensor, name = 'handMask'): number {
  const w = handWeight ?? 1;
  checkHandWeight(w);
  if (handMask !== undefined) checkMask(name, handMask, like);
  return w;
}

/** Result of `flowMatchingLoss`. */
export interface FlowMatchingResult {
  loss: tf.Scalar;
  /** Batch mean of the per-sample (weighted) error; equals `loss`. */
  modelError: tf.Scalar;
}

/** The SFT / pretraining objective: batch mean of the (optionally HALO-weighted) per-sample error. */
export function flowMatchingLoss(pred: tf.Tensor, target: tf.Tensor, handMask?: tf.Tensor, handWeight?: number): FlowMatchingResult {
  checkVideo('pred', pred);
  checkSame('target', target, 'pred', pred);
  const w = optionalMask(handMask, handWeight, pred);
  return tf.tidy(() => {
    const loss = tf.mean(weightedError(pred, target, handMask, w)) as tf.Scalar;
    return { loss, modelError: tf.clone(loss) };
  });
}
