/**
 * Post-training objectives as a table (docs/design.md, "Post-training methods"): each method names what it trains
 * on (implicit positives or strict pairs), whether it needs the frozen reference's predictions, whether the HALO
 * hand weight applies, and its loss on a typed batch. The trainer (trainer.ts) reads these fields and never a
 * method's name, so a new method is one entry here.
 *
 *   method     data       reference  hand weight  loss
 *   sft        positives  no         1            flowMatchingLoss        (flow/losses.ts)
 *   sft-halo   positives  no         lambda       flowMatchingLoss, HALO
 *   ipa        positives  yes        1            ipaLoss                 (losses.ts)
 *   ipa-halo   positives  yes        lambda       ipaLoss, HALO
 *   flow-dpo   pairs      yes        1            flowDpoLoss             (losses.ts)
 *   flow-dpo-relaxed  relaxed pairs  yes  1       flowDpoLoss
 *
 * Pairs come two ways (`pairing`): the paper's strict (Case 4) pairs, an all-good against an all-bad candidate of
 * one input, and the relaxed pairs pipelines build when strict ones are scarce, per input the best- against the
 * worst-scored candidate (select/cases.ts `relaxedPairs`).
 */
import * as tf from '@tensorflow/tfjs';
import { flowMatchingLoss } from '../flow/losses';
import { flowDpoLoss, ipaLoss } from './losses';

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

/** The settings a loss reads: beta and the hand weight lambda in effect (1 when the objective has no HALO). */
export interface LossSettings {
  beta: number;
  handWeight: number;
}

/** A loss and the scalars logged with it (loss, gap, model error, reference error, implicit accuracy). */
export interface ObjectiveLoss {
  loss: tf.Scalar;
  metrics: Record<string, tf.Scalar>;
}

interface ObjectiveFields {
  /** One line for docs and `--help`. */
  summary: string;
  /** Whether the loss needs the frozen reference's predictions (`refPred` of each batch side). */
  reference: boolean;
  /** Whether the HALO hand weight lambda of the config applies (else lambda = 1). */
  halo: boolean;
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

/** The regression on the positives (SFT): the flow-matching error, HALO-weighted when lambda != 1. */
function sftLoss(b: PositiveBatch, predict: Predict, s: LossSettings): ObjectiveLoss {
  const r = flowMatchingLoss(predict(b, b.t), b.target, b.handMask, s.handWeight);
  return { loss: r.loss, metrics: { modelError: r.modelError } };
}

/** Flow-IPA on the positives, against the frozen reference. */
function ipaObjectiveLoss(b: PositiveBatch, predict: Predict, s: LossSettings): ObjectiveLoss {
  const r = ipaLoss({ modelPred: predict(b, b.t), refPred: b.refPred as tf.Tensor, target: b.target, t: b.t, handMask: b.handMask, beta: s.beta, handWeight: s.handWeight });
  return { loss: r.loss, metrics: { gap: r.gap, modelError: r.modelError, referenceError: r.referenceError, implicitAccuracy: r.implicitAccuracy } };
}

/** Flow-DPO on preference pairs, against the frozen reference. */
function dpoObjectiveLoss(b: PairBatch, predict: Predict, s: LossSettings): ObjectiveLoss {
  const r = flowDpoLoss({
    modelWin: predict(b.win, b.t), refWin: b.win.refPred as tf.Tensor, targetWin: b.win.target,
    modelLose: predict(b.lose, b.t), refLose: b.lose.refPred as tf.Tensor, targetLose: b.lose.target,
    t: b.t, beta: s.beta, handMaskWin: b.win.handMask, handMaskLose: b.lose.handMask, handWeight: s.handWeight,
  });
  return { loss: r.loss, metrics: { gap: r.gap, modelError: r.modelError, referenceError: r.referenceError, implicitAccuracy: r.implicitAccuracy } };
}

/** The post-training methods (docs/design.md): every method trains from the same base on the same selection. */
export const OBJECTIVES = {
  sft: { summary: 'flow-matching regression on the implicit positives', data: 'positives', reference: false, halo: false, loss: sftLoss },
  'sft-halo': { summary: 'SFT with the HALO hand weight', data: 'positives', reference: false, halo: true, loss: sftLoss },
  ipa: { summary: 'Flow-IPA on the implicit positives (lambda = 1)', data: 'positives', reference: true, halo: false, loss: ipaObjectiveLoss },
  'ipa-halo': { summary: 'Flow-IPA with the HALO hand weight', data: 'positives', reference: true, halo: true, loss: ipaObjectiveLoss },
  'flow-dpo': { summary: 'Diffusion-DPO in flow form on the strict (Case 4) pairs', data: 'pairs', pairing: 'strict', reference: true, halo: false, loss: dpoObjectiveLoss },
  'flow-dpo-relaxed': { summary: 'Flow-DPO on relaxed pairs (per input, the best- against the worst-scored candidate)', data: 'pairs', pairing: 'relaxed', reference: true, halo: false, loss: dpoObjectiveLoss },
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
