/**
 * Post-training objectives (DESIGN.md sections 1, 6, 9). Pure functions: each returns the loss and a record of
 * metrics (tf scalars), and rejects bad shapes or values with an Error that names the argument.
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

/** Identity whose gradient is zero: the reference branch carries no gradient. */
export const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor) };
}) as (x: tf.Tensor) => tf.Tensor;

const show = (s: number[]) => JSON.stringify(s);

function checkVideo(name: string, x: tf.Tensor): void {
  if (!(x instanceof tf.Tensor)) throw new Error(`'${name}' must be a tf.Tensor`);
  if (x.rank !== 5) throw new Error(`'${name}' must be [B, F, H, W, C], got shape ${show(x.shape)}`);
  const frames = x.shape[1] ?? 0;
  if (frames < 2) throw new Error(`'${name}' needs F >= 2 frames (reference slot + generated), got ${frames}`);
}

function checkSame(name: string, x: tf.Tensor, refName: string, ref: tf.Tensor): void {
  checkVideo(name, x);
  if (x.shape[0] !== ref.shape[0]) throw new Error(`batch size mismatch: '${name}' has ${x.shape[0]}, '${refName}' has ${ref.shape[0]}`);
  if (show(x.shape) !== show(ref.shape)) throw new Error(`'${name}' has shape ${show(x.shape)}, expected ${show(ref.shape)} like '${refName}'`);
}

function checkMask(name: string, mask: tf.Tensor, like: tf.Tensor): void {
  const [B, F, H, W] = like.shape;
  const want = [B, F - 1, H, W, 1];
  if (!(mask instanceof tf.Tensor)) throw new Error(`'${name}' must be a tf.Tensor`);
  if (mask.rank === 5 && mask.shape[0] !== B) throw new Error(`batch size mismatch: '${name}' has ${mask.shape[0]}, expected ${B}`);
  if (show(mask.shape) !== show(want)) {
    throw new Error(`'${name}' must be [B, F-1, H, W, 1] = ${show(want)} (frames 1..F-1; frame 0 is never weighted), got ${show(mask.shape)}`);
  }
}

function checkHandWeight(w: number): void {
  if (typeof w !== 'number' || !Number.isFinite(w) || w <= 0) throw new Error(`'handWeight' must be a finite number > 0, got ${w}`);
}

function checkBeta(beta: number): void {
  if (typeof beta !== 'number' || !Number.isFinite(beta) || beta <= 0) throw new Error(`'beta' must be a finite number > 0, got ${beta}`);
}

function checkT(t: tf.Tensor, B: number): void {
  if (!(t instanceof tf.Tensor)) throw new Error(`'t' must be a tf.Tensor of shape [B]`);
  if (t.rank !== 1) throw new Error(`'t' must be [B], got shape ${show(t.shape)}`);
  if (t.shape[0] !== B) throw new Error(`batch size mismatch: 't' has ${t.shape[0]}, expected ${B}`);
  const v = t.dataSync();
  for (let i = 0; i < v.length; i++) {
    if (!(v[i] >= 0 && v[i] <= 1)) throw new Error(`'t' must lie in [0, 1], got t[${i}] = ${v[i]}`);
  }
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
function weightedError(pred: tf.Tensor, target: tf.Tensor, handMask: tf.Tensor | undefined, handWeight: number): tf.Tensor {
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

function optionalMask(handMask: tf.Tensor | undefined, handWeight: number | undefined, like: tf.Tensor, name = 'handMask'): number {
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

/** Arguments of `ipaLoss`. */
export interface IpaLossArgs {
  modelPred: tf.Tensor; // [B, F, H, W, C]
  refPred: tf.Tensor; // [B, F, H, W, C], from the frozen reference; gets no gradient
  target: tf.Tensor; // [B, F, H, W, C], v = eps - x0
  t: tf.Tensor; // [B] in [0, 1]
  handMask?: tf.Tensor; // [B, F-1, H, W, 1]
  beta: number;
  handWeight?: number; // lambda; 1 (default) = plain Flow-IPA
}

/** Result of `ipaLoss` (batch means as tf scalars). */
export interface IpaLossResult {
  loss: tf.Scalar;
  /** e_ref - e_theta: positive when the model fits the positives better than the reference. */
  gap: tf.Scalar;
  modelError: tf.Scalar;
  referenceError: tf.Scalar;
  /** Share of the batch with a positive gap. */
  implicitAccuracy: tf.Scalar;
}

/**
 * Flow-IPA: loss = mean_b[ -log sigmoid( (beta / 2) (1 - t_b)^2 (e_ref_b - e_theta_b) ) ].
 * With the model equal to the reference the gap is 0 and the loss is log 2.
 */
export function ipaLoss(args: IpaLossArgs): IpaLossResult {
  const { modelPred, refPred, target, t, handMask, beta } = args;
  checkVideo('modelPred', modelPred);
  checkSame('refPred', refPred, 'modelPred', modelPred);
  checkSame('target', target, 'modelPred', modelPred);
  checkT(t, modelPred.shape[0]);
  checkBeta(beta);
  const w = optionalMask(handMask, args.handWeight, modelPred);
  return tf.tidy(() => {
    const eTheta = weightedError(modelPred, target, handMask, w); // [B]
    const eRef = weightedError(stopGradient(refPred), target, handMask, w); // [B], no gradient
    const gap = tf.sub(eRef, eTheta); // [B]
    const scale = tf.mul(tf.square(tf.sub(1, t)), beta / 2); // [B]
    const loss = tf.mean(tf.softplus(tf.neg(tf.mul(scale, gap)))) as tf.Scalar; // -log sigmoid(z) = softplus(-z)
    return {
      loss,
      gap: tf.mean(gap) as tf.Scalar,
      modelError: tf.mean(eTheta) as tf.Scalar,
      referenceError: tf.mean(eRef) as tf.Scalar,
      implicitAccuracy: tf.mean(tf.cast(tf.greater(gap, 0), 'float32')) as tf.Scalar,
    };
  });
}

/** Arguments of `flowDpoLoss`: winner and loser share the same noise and t. */
export interface FlowDpoLossArgs {
  modelWin: tf.Tensor;
  refWin: tf.Tensor;
  targetWin: tf.Tensor;
  modelLose: tf.Tensor;
  refLose: tf.Tensor;
  targetLose: tf.Tensor;
  t: tf.Tensor; // [B]
  beta: number;
  handMaskWin?: tf.Tensor;
  handMaskLose?: tf.Tensor;
  handWeight?: number;
}

/** Result of `flowDpoLoss`. */
export interface FlowDpoLossResult {
  loss: tf.Scalar;
  /** (e_ref_w - e_theta_w) - (e_ref_l - e_theta_l): positive when the winner gains on the loser. */
  gap: tf.Scalar;
  modelError: tf.Scalar; // e_theta on the winners
  referenceError: tf.Scalar; // e_ref on the winners
  modelErrorLose: tf.Scalar;
  referenceErrorLose: tf.Scalar;
  implicitAccuracy: tf.Scalar;
}

/**
 * Diffusion-DPO in flow form:
 *   loss = mean_b[ -log sigmoid( -(beta / 2) (1 - t)^2 ((e_theta_w - e_ref_w) - (e_theta_l - e_ref_l)) ) ].
 */
export function flowDpoLoss(args: FlowDpoLossArgs): FlowDpoLossResult {
  const { modelWin, refWin, targetWin, modelLose, refLose, targetLose, t, beta } = args;
  checkVideo('modelWin', modelWin);
  checkSame('refWin', refWin, 'modelWin', modelWin);
  checkSame('targetWin', targetWin, 'modelWin', modelWin);
  checkSame('modelLose', modelLose, 'modelWin', modelWin);
  checkSame('refLose', refLose, 'modelWin', modelWin);
  checkSame('targetLose', targetLose, 'modelWin', modelWin);
  checkT(t, modelWin.shape[0]);
  checkBeta(beta);
  const w = optionalMask(args.handMaskWin, args.handWeight, modelWin, 'handMaskWin');
  optionalMask(args.handMaskLose, args.handWeight, modelWin, 'handMaskLose');
  if ((args.handMaskWin === undefined) !== (args.handMaskLose === undefined)) {
    throw new Error(`'handMaskWin' and 'handMaskLose' must be given together`);
  }
  return tf.tidy(() => {
    const eTw = weightedError(modelWin, targetWin, args.handMaskWin, w);
    const eRw = weightedError(stopGradient(refWin), targetWin, args.handMaskWin, w);
    const eTl = weightedError(modelLose, targetLose, args.handMaskLose, w);
    const eRl = weightedError(stopGradient(refLose), targetLose, args.handMaskLose, w);
    const gap = tf.sub(tf.sub(eRw, eTw), tf.sub(eRl, eTl)); // [B]
    const scale = tf.mul(tf.square(tf.sub(1, t)), beta / 2);
    const loss = tf.mean(tf.softplus(tf.neg(tf.mul(scale, gap)))) as tf.Scalar;
    return {
      loss,
      gap: tf.mean(gap) as tf.Scalar,
      modelError: tf.mean(eTw) as tf.Scalar,
      referenceError: tf.mean(eRw) as tf.Scalar,
      modelErrorLose: tf.mean(eTl) as tf.Scalar,
      referenceErrorLose: tf.mean(eRl) as tf.Scalar,
      implicitAccuracy: tf.mean(tf.cast(tf.greater(gap, 0), 'float32')) as tf.Scalar,
    };
  });
}
