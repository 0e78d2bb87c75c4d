/**
 * Post-training objectives as a table (docs/design.md, "Post-training methods"): each method names what it trains
 * on (implicit positives or strict pairs), whether it needs the frozen reference's predictions, whether the HALO
 * hand weight applies, and its loss on a typed batch. The trainer (trainer.ts) reads these fields and never a
 * method's name, so a new method is one entry here.
 *
 *   method     data       reference  hand weight  time weight  loss (graph head of the onnx engine)
 *   sft        positives  no         1            (1 - t)^2    regressionLoss (regression)   (losses.ts)
 *   sft-halo   positives  no         lambda       (1 - t)^2    regressionLoss, HALO
 *   ipa        positives  yes        1            (1 - t)^2    ipaLoss (ipa)                 (losses.ts)
 *   ipa-halo   positives  yes        lambda       (1 - t)^2    ipaLoss, HALO
 *   ipa-const  positives  yes        1            1            ipaLoss, beta independent of t
 *   flow-dpo   pairs      yes        1            (1 - t)^2    flowDpoLoss (dpo)             (losses.ts)
 *   flow-dpo-relaxed  relaxed pairs  yes  1       (1 - t)^2    flowDpoLoss
 *   flow-dpo-const    pairs          yes  1       1            flowDpoLoss, VideoAlign's constant beta
 *
 * The time weight is the logit's factor of t; in the 'x0' error scale SFT's per-sample errors carry the same factor
 * (losses.ts `regressionLoss`), so that SFT and IPA differ by the reference term alone; in the 'v' scale (the official
 * snippet's) SFT is the plain flow-matching mean. Pairs objectives add `sftWeight` times the SFT term on the winners.
 *
 * Pairs come two ways (`pairing`): the paper's strict (Case 4) pairs, an all-good against an all-bad candidate of
 * one input, and the relaxed pairs pipelines build when strict ones are scarce, per input the best- against the
 * worst-scored candidate (select/cases.ts `relaxedPairs`).
 */
import * as tf from '@tensorflow/tfjs';
import { checkSame, optionalMask, weightedError } from '../flow/losses';
import { ErrorScale, TimeWeight, flowDpoLoss, ipaLoss, logitScale, regressionLoss, scaledError } from './losses';

/** Which loss ends the onnx engine's training graph of a method (./graph): the three loss functions of ./losses. */
export type GraphHead = 'regression' | 'ipa' | 'dpo';

/** One side of a batch on the model's inputs (B videos of F frames, S x S pixels, C channels). */
export interface VideoBatch {
  /** Noisy videos Z_t = (1 - t) x0 + t eps: [B, F, S, S, C]. */
  z: tf.Tensor;
  /** Conditioning (reference image and pose maps): [B, F, S, S, Cc]. */
  cond: tf.Tensor;
  /** Velocity target v = eps - x0: [B, F, S, S, C]. */
  target: tf.Tensor;
  /** HALO mask of the generated frames on the model's grid: [B, F-1, S, S, 1] in [0, 1]. */
  handMask: tf.Tensor;
  /** The frozen reference's prediction [B, F, S, S, C] (only for objectives with `reference`). */
  refPred?: tf.Tensor;
  /** Mode noise [B] of a modeNoise base, drawn afresh per training clip (model/mode.ts). */
  mode?: tf.Tensor;
}

/** A batch of implicit positives. */
export interface PositiveBatch extends VideoBatch {
  /** Timesteps [B] in [0, 1] (t = 1 is noise). */
  t: tf.Tensor;
}

/** A batch of strict pairs: the winner and the loser of each pair share their noise and timestep. */
export interface PairBatch {
  t: tf.Tensor;
  win: VideoBatch;
  lose: VideoBatch;
}

/** The trained model's prediction of the velocity for a batch side (with its adapters, inside the gradient tape). */
export type Predict = (side: VideoBatch, t: tf.Tensor) => tf.Tensor;

/** The settings a loss reads (the run's config, with the objective's own fields). */
export interface LossSettings {
  beta: number;
  /** The hand weight lambda in effect (1 when the objective has no HALO). */
  handWeight: number;
  /** Error scale of every per-sample error (losses.ts `ErrorScale`). */
  errorScale: ErrorScale;
  /** The objective's timestep factor of its logits (and of SFT's errors in the 'x0' scale). */
  timeWeight: TimeWeight;
  /** Weight of the SFT term on a pairs objective's winners (0: none). */
  sftWeight: number;
}

/**
 * A loss, the scalars logged with it (loss, gap, model error, reference error, implicit accuracy) and per-sample
 * values of the batch ([B] each: `t`, `loss`, and `logit` for the preference objectives), logged for the diagnostics.
 */
export interface ObjectiveLoss {
  loss: tf.Scalar;
  metrics: Record<string, tf.Scalar>;
  perSample?: Record<string, tf.Tensor>;
}

interface ObjectiveFields {
  /** One line for docs and `--help`. */
  summary: string;
  /** Whether the loss needs the frozen reference's predictions (`refPred` of each batch side). */
  reference: boolean;
  /** Whether the HALO hand weight lambda of the config applies (else lambda = 1). */
  halo: boolean;
  /** The timestep factor of the logit: the paper's (1 - t)^2, or 'constant' (beta independent of t). */
  timeWeight: TimeWeight;
  /**
   * The same loss as a head of the onnx engine's training graph (./graph): 'regression', 'ipa' or 'dpo'. Absent: the
   * method trains on the tfjs engine only (a new loss needs its head in ./graph to train on ONNX Runtime).
   */
  graph?: GraphHead;
}

/** An objective trained on implicit positives. */
export interface PositivesObjective extends ObjectiveFields {
  data: 'positives';
  loss(batch: PositiveBatch, predict: Predict, s: LossSettings): ObjectiveLoss;
}

/** An objective trained on preference pairs. */
export interface PairsObjective extends ObjectiveFields {
  data: 'pairs';
  /** Which pairs: 'strict' (Case 4) or 'relaxed' (best- against worst-scored candidate per input). */
  pairing: 'strict' | 'relaxed';
  loss(batch: PairBatch, predict: Predict, s: LossSettings): ObjectiveLoss;
}

export type Objective = PositivesObjective | PairsObjective;

/** The regression on the positives (SFT): the flow-matching error, HALO-weighted when lambda != 1, in the error scale. */
function sftLoss(b: PositiveBatch, predict: Predict, s: LossSettings): ObjectiveLoss {
  const pred = predict(b, b.t);
  checkSame('target', b.target, 'pred', pred);
  const w = optionalMask(b.handMask, s.handWeight, pred);
  const e = scaledError(weightedError(pred, b.target, b.handMask, w), b.t, s.errorScale); // [B]
  const loss = regressionLoss(e, b.t, s.errorScale, s.timeWeight, s.beta);
  // Per-sample loss terms: e ('v'), or (beta / 4) w(t) e ('x0'), whose batch mean is the loss.
  const terms = s.errorScale === 'v' ? e : tf.tidy(() => tf.mul(e, logitScale(b.t, s.beta / 2, s.timeWeight)));
  return { loss, metrics: { modelError: tf.mean(e) as tf.Scalar }, perSample: { t: tf.clone(b.t), loss: terms } };
}

/** Flow-IPA on the positives, against the frozen reference. */
function ipaObjectiveLoss(b: PositiveBatch, predict: Predict, s: LossSettings): ObjectiveLoss {
  const r = ipaLoss({
    modelPred: predict(b, b.t), refPred: b.refPred as tf.Tensor, target: b.target, t: b.t, handMask: b.handMask, beta: s.beta, handWeight: s.handWeight,
    errorScale: s.errorScale, timeWeight: s.timeWeight,
  });
  return {
    loss: r.loss,
    metrics: { gap: r.gap, modelError: r.modelError, referenceError: r.referenceError, implicitAccuracy: r.implicitAccuracy },
    perSample: { t: tf.clone(b.t), logit: r.logits, loss: r.losses },
  };
}

/** Flow-DPO on preference pairs, against the frozen reference (plus `sftWeight` times SFT on the winners). */
function dpoObjectiveLoss(b: PairBatch, predict: Predict, s: LossSettings): ObjectiveLoss {
  const r = flowDpoLoss({
    modelWin: predict(b.win, b.t), refWin: b.win.refPred as tf.Tensor, targetWin: b.win.target,
    modelLose: predict(b.lose, b.t), refLose: b.lose.refPred as tf.Tensor, targetLose: b.lose.target,
    t: b.t, beta: s.beta, handMaskWin: b.win.handMask, handMaskLose: b.lose.handMask, handWeight: s.handWeight,
    errorScale: s.errorScale, timeWeight: s.timeWeight, sftWeight: s.sftWeight,
  });
  return {
    loss: r.loss,
    metrics: { gap: r.gap, modelError: r.modelError, referenceError: r.referenceError, implicitAccuracy: r.implicitAccuracy },
    perSample: { t: tf.clone(b.t), logit: r.logits, loss: r.losses },
  };
}

/** The post-training methods (docs/design.md): every method trains from the same base on the same selection. */
export const OBJECTIVES = {
  sft: { summary: 'flow-matching regression on the implicit positives', data: 'positives', reference: false, halo: false, timeWeight: 'paper', graph: 'regression', loss: sftLoss },
  'sft-halo': { summary: 'SFT with the HALO hand weight', data: 'positives', reference: false, halo: true, timeWeight: 'paper', graph: 'regression', loss: sftLoss },
  ipa: { summary: 'Flow-IPA on the implicit positives (lambda = 1)', data: 'positives', reference: true, halo: false, timeWeight: 'paper', graph: 'ipa', loss: ipaObjectiveLoss },
  'ipa-halo': { summary: 'Flow-IPA with the HALO hand weight', data: 'positives', reference: true, halo: true, timeWeight: 'paper', graph: 'ipa', loss: ipaObjectiveLoss },
  'ipa-const': { summary: 'Flow-IPA with beta independent of t (no (1 - t)^2 factor)', data: 'positives', reference: true, halo: false, timeWeight: 'constant', graph: 'ipa', loss: ipaObjectiveLoss },
  'flow-dpo': { summary: 'Diffusion-DPO in flow form on the strict (Case 4) pairs', data: 'pairs', pairing: 'strict', reference: true, halo: false, timeWeight: 'paper', graph: 'dpo', loss: dpoObjectiveLoss },
  'flow-dpo-relaxed': { summary: 'Flow-DPO on relaxed pairs (per input, the best- against the worst-scored candidate)', data: 'pairs', pairing: 'relaxed', reference: true, halo: false, timeWeight: 'paper', graph: 'dpo', loss: dpoObjectiveLoss },
  'flow-dpo-const': { summary: "Flow-DPO on the strict pairs with a constant beta (VideoAlign's form)", data: 'pairs', pairing: 'strict', reference: true, halo: false, timeWeight: 'constant', graph: 'dpo', loss: dpoObjectiveLoss },
} as const satisfies Record<string, Objective>;

/** The names of the post-training methods. */
export type AlignMethod = keyof typeof OBJECTIVES;
export const ALIGN_METHODS = Object.keys(OBJECTIVES) as AlignMethod[];

/** A table of objectives by method name (OBJECTIVES, or OBJECTIVES plus more). */
export type ObjectiveTable<M extends string = AlignMethod> = Readonly<Record<M, Objective>>;

/** The objective of a method; an unknown name is an Error listing the known ones. */
export function objectiveOf<M extends string>(method: M, table: ObjectiveTable<M>): Objective {
  const o = (table as Record<string, Objective | undefined>)[method];
  if (!o) throw new Error(`unknown post-training method '${method}' (methods: ${Object.keys(table).join(', ')})`);
  return o;
}
