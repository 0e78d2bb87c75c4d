/**
 * Preference objectives for post-training (docs/design.md, "Loss conventions"): Flow-IPA and Flow-DPO, built on
 * the HALO-weighted flow-matching error of flow/losses.ts (where SFT's `flowMatchingLoss` lives). Pure functions:
 * each returns the loss and a record of metrics (tf scalars), and rejects bad shapes or values with an Error that
 * names the argument.
 */
import * as tf from '@tensorflow/tfjs';
import { checkSame, checkVideo, optionalMask, show, weightedError } from '../flow/losses';

/** Identity whose gradient is zero: the reference branch carries no gradient. */
export const stopGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor) };
}) as (x: tf.Tensor) => tf.Tensor;

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
