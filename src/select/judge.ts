/**
 * Frame-level hand judgments, and the video verdicts built on them. Two judges (`Judge`):
 * - the oracle, `JudgeThresholds`: ground truth. A visible hand passes every threshold it sets (SSIM-Hand >=
 *   minSsimHand, PSNR-Hand >= minPsnrHand, mean keypoint error <= maxKeypointErrorPx, PCK >= minPck);
 * - the learned judge, `KeypointJudge`: a logistic model over what a keypoint detector sees of the generated hand
 *   against the input pose (`KEYPOINT_FEATURES`: keypoint error, missing fingertips, finger-bend error, detector
 *   confidence), fit on val (select/judge-fit.ts); it never sees the ground-truth pixels. A visible hand passes when
 *   its probability of being good is >= minProbability.
 *
 * A generated frame with at least one visible hand is judged: it is good when every visible hand passes, bad otherwise. Frames without a visible hand are 'unjudged'. A
 * keypoint threshold is skipped for a visible hand with no visible ground-truth keypoint (no error to test).
 * A video is good when it has at least one judged frame and every judged frame is good; bad when it has a
 * bad frame; 'unjudged' when no frame is judged. Its score, used to rank good videos, is the mean SSIM-Hand (the keypoint judge: mean p(good))
 * over its visible (frame, hand) instances (the clip SSIM-Hand of regions.ts).
 */
import { checkRange } from '../eval/check';
import type { HandPoseScores } from '../eval/handpose';
import type { HandKeypointMetrics } from '../eval/keypoints';
import type { ClipHandMetrics } from '../eval/regions';
import { rng } from '../core/seeds';

/** Thresholds of the hand judge (plain data; the profile holds them). At least one must be set. */
export interface JudgeThresholds {
  /** A visible hand passes when its SSIM-Hand >= this. */
  minSsimHand?: number;
  /** ... when its PSNR-Hand (dB) >= this. */
  minPsnrHand?: number;
  /** ... when its mean keypoint error (px) <= this. */
  maxKeypointErrorPx?: number;
  /** ... when its keypoint PCK (share in [0, 1]) >= this. */
  minPck?: number;
}

export type FrameMark = 'good' | 'bad' | 'unjudged';
export type Verdict = 'good' | 'bad' | 'unjudged';

/** Scores of one visible hand in one frame. */
export interface HandScores {
  ssim: number;
  psnr: number;
  /** Mean keypoint error in px; null when the hand has no visible keypoint; absent when not measured. */
  keypointError?: number | null;
  /** PCK share; null / absent likewise. */
  pck?: number | null;
  /** The detector's view of the hand against the input pose (eval/handpose.ts); absent when not measured. */
  pose?: HandPoseScores;
}

/** A feature of one hand the learned judge reads: what it measures, and its value (null: not measured there). */
export interface KeypointFeature {
  doc: string;
  of: (s: HandScores) => number | null;
}

/** The learned judge's features, by name (a new feature is one row). */
export const KEYPOINT_FEATURES = {
  keypointError: { doc: 'log(1 + mean px distance of the detected hand keypoints to the input pose)', of: (s) => (typeof s.keypointError === 'number' ? Math.log1p(s.keypointError) : null) },
  missingFingers: { doc: "the input's visible fingertips the detector does not see (eval/handpose TIP_SEEN)", of: (s) => (s.pose ? s.pose.fingers - s.pose.fingersSeen : null) },
  angleError: { doc: 'mean |finger bend (detected) - finger bend (input)|, degrees', of: (s) => s.pose?.angleError ?? null },
  confidence: { doc: "the detector's mean keypoint visibility over the hand", of: (s) => s.pose?.confidence ?? null },
} satisfies Record<string, KeypointFeature>;

export type KeypointFeatureName = keyof typeof KEYPOINT_FEATURES;

/**
 * The learned judge (plain data; fit by select/judge-fit.ts `fitKeypointJudge`): p(good) = sigmoid(bias + sum_i
 * weights[i] * (x_i - mean[i]) / std[i]) over `features`, a missing value taken at its mean; a hand passes at p >=
 * minProbability.
 */
export interface KeypointJudge {
  kind: 'keypoints';
  features: KeypointFeatureName[];
  mean: number[];
  std: number[];
  weights: number[];
  bias: number;
  minProbability: number;
}

/** A judge: the oracle's thresholds, or the learned keypoint judge. */
export type Judge = JudgeThresholds | KeypointJudge;

/** Whether a judge is the learned keypoint judge. */
export function isKeypointJudge(j: Judge): j is KeypointJudge {
  return (j as KeypointJudge).kind === 'keypoints';
}

/** The learned judge's p(good) of one hand. */
export function keypointProbability(s: HandScores, j: KeypointJudge): number {
  let z = j.bias;
  j.features.forEach((name, i) => {
    const x = KEYPOINT_FEATURES[name].of(s);
    if (x !== null) z += (j.weights[i] * (x - j.mean[i])) / j.std[i];
  });
  return 1 / (1 + Math.exp(-z));
}

/** Check a learned judge: known features, equal lengths, finite numbers, std > 0, minProbability in [0, 1]. */
export function checkKeypointJudge(j: KeypointJudge): void {
  const n = j.features.length;
  if (!n) throw new Error('keypoint judge has no features');
  for (const f of j.features) if (!(f in KEYPOINT_FEATURES)) throw new Error(`keypoint judge feature '${f}' is unknown (known: ${Object.keys(KEYPOINT_FEATURES).join(', ')})`);
  for (const k of ['mean', 'std', 'weights'] as const) {
    if (!Array.isArray(j[k]) || j[k].length !== n || !j[k].every(Number.isFinite)) throw new Error(`keypoint judge ${k} must be ${n} finite numbers`);
  }
  if (!j.std.every((s) => s > 0)) throw new Error('keypoint judge std must be > 0');
  if (!Number.isFinite(j.bias)) throw new Error('keypoint judge bias must be finite');
  checkRange('keypoint judge minProbability', j.minProbability, 0, 1);
}

/** Check a judge of either kind. */
export function checkJudge(j: Judge): void {
  if (j === null || typeof j !== 'object') throw new Error('judge must be an object');
  if (isKeypointJudge(j)) checkKeypointJudge(j);
  else checkThresholds(j);
}

/** What the judge sees of one generated video. */
export interface HandEvidence {
  id: string;
  /** The input (reference + pose sequence) the video was generated from; candidates of one input share it. */
  inputId: string;
  /** `[frame][hand]` scores of the visible hands, null where a hand is not visible. */
  hands: (HandScores | null)[][];
}

/** The judge's result for one video. */
export interface VideoJudgment {
  id: string;
  inputId: string;
  marks: FrameMark[];
  verdict: Verdict;
  judgedFrames: number;
  goodFrames: number;
  /**
   * Ranks good videos; null when no hand is visible. The oracle: mean SSIM-Hand over visible (frame, hand) instances;
   * the keypoint judge: their mean p(good), so it never ranks by the ground truth.
   */
  score: number | null;
}

/** Check thresholds: finite, in range, at least one set; an Error names the bad field. */
export function checkThresholds(t: JudgeThresholds): void {
  if (t === null || typeof t !== 'object') throw new Error('thresholds must be an object');
  const known = ['minSsimHand', 'minPsnrHand', 'maxKeypointErrorPx', 'minPck'];
  for (const k of Object.keys(t)) if (!known.includes(k)) throw new Error(`thresholds.${k} is not a threshold (known: ${known.join(', ')})`);
  if (t.minSsimHand !== undefined) checkRange('thresholds.minSsimHand', t.minSsimHand, -1, 1);
  if (t.minPsnrHand !== undefined) checkRange('thresholds.minPsnrHand', t.minPsnrHand, 0, 1000);
  if (t.maxKeypointErrorPx !== undefined) checkRange('thresholds.maxKeypointErrorPx', t.maxKeypointErrorPx, 0, Number.MAX_VALUE);
  if (t.minPck !== undefined) checkRange('thresholds.minPck', t.minPck, 0, 1);
  if (known.every((k) => t[k as keyof JudgeThresholds] === undefined)) throw new Error('thresholds must set at least one threshold');
}

/** Build the judge's evidence from clip metrics (regions.ts) and, optionally, hand keypoint metrics of the same clip. */
export function handEvidence(id: string, inputId: string, metrics: ClipHandMetrics, keypoints?: HandKeypointMetrics, pose?: (HandPoseScores | null)[][]): HandEvidence {
  if (typeof id !== 'string' || id === '') throw new Error('id must be a non-empty string');
  if (typeof inputId !== 'string' || inputId === '') throw new Error('inputId must be a non-empty string');
  if (keypoints && keypoints.handError.length !== metrics.frames) {
    throw new Error(`keypoints cover ${keypoints.handError.length} frames but metrics cover ${metrics.frames}`);
  }
  if (pose && pose.length !== metrics.frames) throw new Error(`pose scores cover ${pose.length} frames but metrics cover ${metrics.frames}`);
  const hands = metrics.hands.ssim.map((row, f) =>
    row.map((s, h): HandScores | null => {
      if (s === null) return null;
      const scores: HandScores = { ssim: s, psnr: metrics.hands.psnr[f][h] as number };
      if (keypoints) {
        scores.keypointError = keypoints.handError[f][h];
        scores.pck = keypoints.handPck[f][h];
      }
      const p = pose?.[f][h];
      if (p) scores.pose = p;
      return scores;
    }),
  );
  return { id, inputId, hands };
}

/** Whether one visible hand passes the judge (`where` names it in errors). */
export function handPasses(s: HandScores, j: Judge, where = 'hand'): boolean {
  if (isKeypointJudge(j)) {
    return keypointProbabilityChecked(s, j, where) >= j.minProbability;
  }
  const t = j;
  if (t.minSsimHand !== undefined && !(s.ssim >= t.minSsimHand)) return false;
  if (t.minPsnrHand !== undefined && !(s.psnr >= t.minPsnrHand)) return false;
  if (t.maxKeypointErrorPx !== undefined) {
    if (s.keypointError === undefined) throw new Error(`${where}.keypointError is missing but thresholds.maxKeypointErrorPx is set`);
    if (s.keypointError !== null && !(s.keypointError <= t.maxKeypointErrorPx)) return false;
  }
  if (t.minPck !== undefined) {
    if (s.pck === undefined) throw new Error(`${where}.pck is missing but thresholds.minPck is set`);
    if (s.pck !== null && !(s.pck >= t.minPck)) return false;
  }
  return true;
}

/** The video verdict of frame marks: good when judged at least once and never bad; unjudged when never judged. */
export function verdictOf(marks: readonly FrameMark[]): Verdict {
  let judged = 0;
  for (const m of marks) {
    if (m === 'bad') return 'bad';
    if (m === 'good') judged++;
  }
  return judged ? 'good' : 'unjudged';
}

function summarise(id: string, inputId: string, marks: FrameMark[], score: number | null): VideoJudgment {
  const judgedFrames = marks.filter((m) => m !== 'unjudged').length;
  const goodFrames = marks.filter((m) => m === 'good').length;
  return { id, inputId, marks, verdict: verdictOf(marks), judgedFrames, goodFrames, score };
}

function keypointProbabilityChecked(s: HandScores, j: KeypointJudge, where: string): number {
  if (typeof s.keypointError === 'undefined' || !s.pose) throw new Error(`${where} has no keypoint or pose scores, which the keypoint judge reads (score with a detector)`);
  return keypointProbability(s, j);
}

/** Judge every frame of one video and give its verdict and score (the oracle: mean SSIM-Hand; the keypoint judge: mean p(good)). */
export function judgeVideo(evidence: HandEvidence, thresholds: Judge): VideoJudgment {
  checkJudge(thresholds);
  if (evidence === null || typeof evidence !== 'object' || !Array.isArray(evidence.hands)) throw new Error('evidence must be { id, inputId, hands }');
  if (typeof evidence.id !== 'string' || evidence.id === '') throw new Error('evidence.id must be a non-empty string');
  if (typeof evidence.inputId !== 'string' || evidence.inputId === '') throw new Error('evidence.inputId must be a non-empty string');
  const marks: FrameMark[] = [];
  let ssimSum = 0;
  let visibleCount = 0;
  evidence.hands.forEach((row, f) => {
    if (!Array.isArray(row)) throw new Error(`evidence.hands[${f}] must be an array of hands`);
    let visible = 0;
    let good = true;
    row.forEach((s, h) => {
      if (s === null) return;
      const where = `evidence.hands[${f}][${h}]`;
      if (typeof s !== 'object' || !Number.isFinite(s.ssim) || Number.isNaN(s.psnr) || typeof s.psnr !== 'number') {
        throw new Error(`${where} must be null or { ssim, psnr, ... } with numbers`);
      }
      visible++;
      ssimSum += isKeypointJudge(thresholds) ? keypointProbabilityChecked(s, thresholds, where) : s.ssim;
      if (!handPasses(s, thresholds, where)) good = false;
    });
    visibleCount += visible;
    marks.push(visible === 0 ? 'unjudged' : good ? 'good' : 'bad');
  });
  return summarise(evidence.id, evidence.inputId, marks, visibleCount ? ssimSum / visibleCount : null);
}

/** Judge many videos; ids must be unique. */
export function judgeVideos(evidence: readonly HandEvidence[], thresholds: Judge): VideoJudgment[] {
  if (!Array.isArray(evidence)) throw new Error('evidence must be an array');
  const seen = new Set<string>();
  return evidence.map((e, i) => {
    const j = judgeVideo(e, thresholds);
    if (seen.has(j.id)) throw new Error(`evidence[${i}].id '${j.id}' is not unique`);
    seen.add(j.id);
    return j;
  });
}

/**
 * Annotation noise: flip round(share x judged frames) judged frame marks (good <-> bad), chosen uniformly
 * without replacement over all videos from `rng(seed, 'select', 'flip-judgments')`; verdicts are recomputed,
 * scores kept. Unjudged frames are never touched. Returns new judgments.
 */
export function flipJudgments(judgments: readonly VideoJudgment[], share: number, seed: number): VideoJudgment[] {
  if (!Array.isArray(judgments)) throw new Error('judgments must be an array');
  checkRange('share', share, 0, 1);
  if (!Number.isInteger(seed)) throw new Error(`seed must be an integer, got ${seed}`);
  const slots: [number, number][] = [];
  judgments.forEach((j: VideoJudgment, v: number) => {
    j.marks.forEach((m: FrameMark, f: number) => {
      if (m !== 'unjudged') slots.push([v, f]);
    });
  });
  const k = Math.round(share * slots.length);
  const r = rng(seed, 'select', 'flip-judgments');
  for (let i = 0; i < k; i++) {
    const j = i + r.int(slots.length - i);
    [slots[i], slots[j]] = [slots[j], slots[i]];
  }
  const marks = judgments.map((j) => j.marks.slice());
  for (let i = 0; i < k; i++) {
    const [v, f] = slots[i];
    marks[v][f] = marks[v][f] === 'good' ? 'bad' : 'good';
  }
  return judgments.map((j, v) => summarise(j.id, j.inputId, marks[v], j.score));
}

/** Share of the videos with a judged frame that the judge calls good under `thresholds`, and how many were judged. */
export function acceptanceOf(evidence: readonly HandEvidence[], thresholds: Judge): { acceptance: number; judgedVideos: number } {
  return acceptanceOfJudgments(judgeVideos(evidence, thresholds));
}

/** Share of the judged videos (a judged frame) that are good, and how many were judged (NaN share when none). */
export function acceptanceOfJudgments(judgments: readonly VideoJudgment[]): { acceptance: number; judgedVideos: number } {
  const js = judgments.filter((j) => j.verdict !== 'unjudged');
  return { acceptance: js.length ? js.filter((j) => j.verdict === 'good').length / js.length : NaN, judgedVideos: js.length };
}

/**
 * Of `judges` (strictest first), the one whose acceptance on `evidence` is nearest `target` (ties: the earlier, i.e.
 * stricter), scanning until one judges no video; null when the first already judges none.
 */
export function nearestAcceptance<J extends Judge>(evidence: readonly HandEvidence[], judges: Iterable<J>, target: number): { judge: J; acceptance: number; judgedVideos: number } | null {
  let best: { judge: J; acceptance: number; judgedVideos: number } | null = null;
  for (const judge of judges) {
    const { acceptance, judgedVideos } = acceptanceOf(evidence, judge);
    if (!judgedVideos) break;
    if (!best || Math.abs(acceptance - target) < Math.abs(best.acceptance - target)) best = { judge, acceptance, judgedVideos };
  }
  return best;
}

/** The judge thresholds chosen on val by `calibrateJudge`, with what they give there. */
export interface JudgeCalibration {
  thresholds: JudgeThresholds;
  /** Share of the calibration videos judged good under `thresholds` (of the videos with a judged frame). */
  acceptance: number;
  /** Videos with at least one judged frame. */
  judgedVideos: number;
}

/**
 * Judge thresholds from the base model's own generations of val (one video per clip; never a test split): the
 * keypoint limit at the `keypointQuantile` of the per-hand keypoint errors (0.75: only the worst quarter of hands
 * fails it; left out when no error was measured), then the SSIM-Hand threshold, rounded to 0.01, whose val
 * acceptance is closest to `targetAcceptance` (ties: the stricter threshold). Throws on a target outside (0, 1) or
 * when no video has a judged frame.
 */
export function calibrateJudge(evidence: readonly HandEvidence[], opts: { targetAcceptance: number; keypointQuantile?: number }): JudgeCalibration {
  const target = opts.targetAcceptance;
  if (!(target > 0 && target < 1)) throw new Error(`calibrateJudge: targetAcceptance must be in (0, 1), got ${target}`);
  const kq = opts.keypointQuantile ?? 0.75;
  checkRange('keypointQuantile', kq, 0, 1);
  const hands = evidence.flatMap((e) => e.hands.flat().filter((h): h is HandScores => h !== null));
  const errors = hands.map((h) => h.keypointError).filter((x): x is number => typeof x === 'number').sort((a, b) => a - b);
  const base: JudgeThresholds = errors.length ? { maxKeypointErrorPx: Math.round(100 * errors[Math.floor(kq * (errors.length - 1))]) / 100 } : {};
  const grid = [...new Set(hands.map((h) => Math.round(100 * h.ssim) / 100))].sort((a, b) => b - a); // strict first
  const best = nearestAcceptance(evidence, grid.map((minSsimHand): JudgeThresholds => ({ minSsimHand, ...base })), target);
  if (!best) throw new Error('calibrateJudge: no video has a judged frame (no visible hand)');
  return { thresholds: best.judge, acceptance: best.acceptance, judgedVideos: best.judgedVideos };
}
