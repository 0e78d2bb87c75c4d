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

/**
 * How per-sample errors are measured (docs/design.md, "Error scale"):
 * - 'v': the mean squared velocity error, as the paper and its official snippet (the default);
 * - 'x0': the mean squared error of the clean video the prediction implies, e_x0 = t^2 e_v (exact for a
 *   v-predicting network, and for the kit's x-predicting U-Net wherever t >= its clamp PRED_T_MIN = 0.05). The
 *   U-Net returns v = (Z_t - x0_hat) / max(t, 0.05), so its v-errors grow as 1/t^2 at low t; in x0 space they stay of
 *   order one across t and no band of draws dominates a logit.
 */
export type ErrorScale = 'v' | 'x0';

/** The timestep factor of a preference logit: the paper's (1 - t)^2, or 'constant' (beta independent of t, as VideoAlign's Flow-DPO). */
export type TimeWeight = 'paper' | 'constant';

/** Per-sample errors e [B] (v-space) in the chosen scale: e for 'v', t^2 e for 'x0'. */
export function scaledError(e: tf.Tensor, t: tf.Tensor, scale: ErrorScale): tf.Tensor {
  if (scale !== 'v' && scale !== 'x0') throw new Error(`'errorScale' must be 'v' or 'x0', got ${String(scale)}`);
  return scale === 'v' ? tf.clone(e) : tf.tidy(() => tf.mul(e, tf.square(t)));
}

/** The per-sample factor of the logit [B]: (beta / 2) (1 - t)^2 ('paper') or beta / 2 ('constant'). */
export function logitScale(t: tf.Tensor, beta: number, weight: TimeWeight): tf.Tensor {
  if (weight !== 'paper' && weight !== 'constant') throw new Error(`'timeWeight' must be 'paper' or 'constant', got ${String(weight)}`);
  return tf.tidy(() => (weight === 'paper' ? tf.mul(tf.square(tf.sub(1, t)), beta / 2) : tf.fill(t.shape, beta / 2)));
}

/**
 * The regression on positives, from per-sample errors already in `scale` (`scaledError`). 'v' is the plain
 * flow-matching mean (the paper's SFT). 'x0' is matched to the preference losses of that scale:
 *   loss = mean_b[ (beta / 4) w(t_b) e_x0_b ],
 * the first-order term of Flow-IPA at gap 0 (-log sigmoid(z) = log 2 - z / 2 + O(z^2)), so that at the first step
 * SFT and IPA take the same gradient, clipped and normalised alike, and afterwards differ only by IPA's per-sample
 * factor 2 sigmoid(-z_b): the reference term.
 */
export function regressionLoss(e: tf.Tensor, t: tf.Tensor, scale: ErrorScale, weight: TimeWeight, beta: number): tf.Scalar {
  checkBeta(beta);
  return tf.tidy(() => (scale === 'v' ? tf.mean(e) : tf.mul(tf.mean(tf.mul(e, logitScale(t, 2, weight))), beta / 4)) as tf.Scalar); // logitScale(t, 2, .) = w(t)
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
  errorScale?: ErrorScale; // 'v' (default, the official snippet) or 'x0'
  timeWeight?: TimeWeight; // 'paper' (default): (1 - t)^2; 'constant': beta independent of t
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
  /** Per-sample logits z_b [B] (the diagnostics: |z| > 8 is a saturated sigmoid). */
  logits: tf.Tensor;
  /** Per-sample losses softplus(-z_b) [B]. */
  losses: tf.Tensor;
}

/**
 * Flow-IPA: loss = mean_b[ -log sigmoid( z_b ) ],  z_b = (beta / 2) w(t_b) (e_ref_b - e_theta_b),
 * w(t) = (1 - t)^2 (the paper) or 1 (`timeWeight: 'constant'`), errors in the chosen scale (default 'v').
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
  const errorScale = args.errorScale ?? 'v';
  const timeWeight = args.timeWeight ?? 'paper';
  return tf.tidy(() => {
    const eTheta = scaledError(weightedError(modelPred, target, handMask, w), t, errorScale); // [B]
    const eRef = scaledError(weightedError(stopGradient(refPred), target, handMask, w), t, errorScale); // [B], no gradient
    const gap = tf.sub(eRef, eTheta); // [B]
    const logits = tf.mul(logitScale(t, beta, timeWeight), gap); // [B]
    const losses = tf.softplus(tf.neg(logits)); // -log sigmoid(z) = softplus(-z), [B]
    const loss = tf.mean(losses) as tf.Scalar;
    return {
      loss,
      logits,
      losses,
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
  errorScale?: ErrorScale; // 'v' (default) or 'x0'
  timeWeight?: TimeWeight; // 'paper' (default) or 'constant' (VideoAlign's constant beta)
  /** Weight of an SFT term on the winners (`regressionLoss` of e_theta_w) added to the loss; 0 (default) = none. */
  sftWeight?: number;
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
  /** Per-sample logits z_b [B]. */
  logits: tf.Tensor;
  /** Per-sample losses [B] (the preference term; the SFT term is not per sample). */
  losses: tf.Tensor;
}

/**
 * Diffusion-DPO in flow form:
 *   loss = mean_b[ -log sigmoid( -(beta / 2) w(t) ((e_theta_w - e_ref_w) - (e_theta_l - e_ref_l)) ) ]
 *          + sftWeight * regression(e_theta_w),
 * w(t) = (1 - t)^2 (default) or 1 (`timeWeight: 'constant'`), errors in the chosen scale.
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
  const errorScale = args.errorScale ?? 'v';
  const timeWeight = args.timeWeight ?? 'paper';
  const sftWeight = args.sftWeight ?? 0;
  if (typeof sftWeight !== 'number' || !Number.isFinite(sftWeight) || sftWeight < 0) throw new Error(`'sftWeight' must be a finite number >= 0, got ${sftWeight}`);
  return tf.tidy(() => {
    const err = (pred: tf.Tensor, target: tf.Tensor, mask: tf.Tensor | undefined) => scaledError(weightedError(pred, target, mask, w), t, errorScale);
    const eTw = err(modelWin, targetWin, args.handMaskWin);
    const eRw = err(stopGradient(refWin), targetWin, args.handMaskWin);
    const eTl = err(modelLose, targetLose, args.handMaskLose);
    const eRl = err(stopGradient(refLose), targetLose, args.handMaskLose);
    const gap = tf.sub(tf.sub(eRw, eTw), tf.sub(eRl, eTl)); // [B]
    const logits = tf.mul(logitScale(t, beta, timeWeight), gap); // [B]
    const losses = tf.softplus(tf.neg(logits));
    const preference = tf.mean(losses) as tf.Scalar;
    const loss = (sftWeight > 0 ? tf.add(preference, tf.mul(regressionLoss(eTw, t, errorScale, timeWeight, beta), sftWeight)) : preference) as tf.Scalar;
    return {
      loss,
      logits,
      losses,
      gap: tf.mean(gap) as tf.Scalar,
      modelError: tf.mean(eTw) as tf.Scalar,
      referenceError: tf.mean(eRw) as tf.Scalar,
      modelErrorLose: tf.mean(eTl) as tf.Scalar,
      referenceErrorLose: tf.mean(eRl) as tf.Scalar,
      implicitAccuracy: tf.mean(tf.cast(tf.greater(gap, 0), 'float32')) as tf.Scalar,
    };
  });
}
