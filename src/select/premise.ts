/**
 * The premise metrics: does the base model's hand quality vary between samples of the same input (what implicit
 * positives need: the paper keeps the good samples among several of one input), or only between inputs (then
 * selection picks easy inputs, not good samples)?
 *
 * Per-candidate hand scores (a video's judge score: its mean SSIM-Hand) are grouped by input and split into
 * variance components with the one-way random-effects ANOVA (unbalanced groups allowed):
 *
 *   SS_w = sum_i sum_j (x_ij - mean_i)^2             sigma_w^2 = SS_w / (N - I)
 *   SS_b = sum_i n_i (mean_i - mean)^2                MS_b = SS_b / (I - 1)
 *   n0   = (N - sum_i n_i^2 / N) / (I - 1)           sigma_b^2 = max(0, (MS_b - sigma_w^2) / n0)
 *   within share = sigma_w^2 / (sigma_w^2 + sigma_b^2)
 *
 * so a model whose candidates of one input are alike (hands decided by the input) has a share near 0, and one
 * whose inputs are alike but whose samples differ (hands decided by the noise) a share near 1. Also counted:
 * inputs with both a good and a bad candidate (by the judge's video verdicts) and the acceptance rate.
 */
import type { HandEvidence, VideoJudgment } from './judge';

/** Variance components of grouped scores (see the module docstring). */
export interface VarianceComponents {
  /** Groups (inputs) and scores in them. */
  groups: number;
  n: number;
  mean: number;
  /** sigma_w^2: the variance between candidates of one input. */
  within: number;
  /** sigma_b^2: the variance of the inputs' true means (0 when the estimate is negative). */
  between: number;
  /** within / (within + between); null when both are 0. */
  withinShare: number | null;
}

/**
 * Variance components of `groups` (one array of scores per input). Needs at least two groups and one group with
 * two or more scores; throws naming the problem otherwise, and on a non-finite score.
 */
export function varianceComponents(groups: readonly (readonly number[])[]): VarianceComponents {
  const gs = groups.filter((g) => g.length > 0);
  gs.forEach((g, i) =>
    g.forEach((x, j) => {
      if (!Number.isFinite(x)) throw new Error(`varianceComponents: groups[${i}][${j}] must be a finite number, got ${x}`);
    }),
  );
  const I = gs.length;
  const N = gs.reduce((a, g) => a + g.length, 0);
  if (I < 2) throw new Error(`varianceComponents: needs at least 2 non-empty groups, got ${I}`);
  if (N - I < 1) throw new Error('varianceComponents: needs a group with at least 2 scores (every group has one)');
  const sum = (xs: readonly number[]): number => xs.reduce((a, x) => a + x, 0);
  const mean = sum(gs.map(sum)) / N;
  let ssW = 0;
  let ssB = 0;
  let sumN2 = 0;
  for (const g of gs) {
    const m = sum(g) / g.length;
    for (const x of g) ssW += (x - m) ** 2;
    ssB += g.length * (m - mean) ** 2;
    sumN2 += g.length * g.length;
  }
  const within = ssW / (N - I);
  const n0 = (N - sumN2 / N) / (I - 1);
  const between = Math.max(0, (ssB / (I - 1) - within) / n0);
  const total = within + between;
  return { groups: I, n: N, mean, within, between, withinShare: total > 0 ? within / total : null };
}

/** The premise metrics of a set of judged candidates. */
export interface PremiseReport {
  inputs: number;
  candidates: number;
  /** Candidates with a hand score (a visible hand somewhere). */
  scored: number;
  /** Variance components of the per-candidate hand scores; null when there are too few scored candidates. */
  handScore: VarianceComponents | null;
  /** Inputs with at least two judged candidates (the ones that can show both verdicts). */
  inputsJudged: number;
  /** Inputs with at least one good and one bad candidate, and their share of `inputsJudged`. */
  inputsWithGoodAndBad: number;
  goodAndBadShare: number | null;
  /** Candidates judged good, judged at all, and good / judged. */
  good: number;
  judged: number;
  acceptance: number | null;
}

/** Premise metrics of judged candidates (ids unique, grouped by `inputId`). */
export function premiseReport(judgments: readonly VideoJudgment[]): PremiseReport {
  if (!Array.isArray(judgments)) throw new Error('premiseReport: judgments must be an array of video judgments');
  const byInput = new Map<string, VideoJudgment[]>();
  const ids = new Set<string>();
  judgments.forEach((j, i) => {
    if (typeof j.inputId !== 'string' || j.inputId === '') throw new Error(`premiseReport: judgments[${i}].inputId must be a non-empty string`);
    if (ids.has(j.id)) throw new Error(`premiseReport: judgments[${i}].id '${j.id}' is not unique`);
    ids.add(j.id);
    const g = byInput.get(j.inputId);
    if (g) g.push(j);
    else byInput.set(j.inputId, [j]);
  });
  const scoreGroups = [...byInput.values()].map((g) => g.map((j) => j.score).filter((s): s is number => s !== null));
  const scored = scoreGroups.reduce((a, g) => a + g.length, 0);
  const usable = scoreGroups.filter((g) => g.length > 0);
  const handScore = usable.length >= 2 && scored - usable.length >= 1 ? varianceComponents(usable) : null;
  let inputsJudged = 0;
  let both = 0;
  let good = 0;
  let judged = 0;
  for (const g of byInput.values()) {
    const verdicts = g.map((j) => j.verdict).filter((v) => v !== 'unjudged');
    const nGood = verdicts.filter((v) => v === 'good').length;
    good += nGood;
    judged += verdicts.length;
    if (verdicts.length >= 2) {
      inputsJudged++;
      if (nGood > 0 && nGood < verdicts.length) both++;
    }
  }
  return {
    inputs: byInput.size,
    candidates: judgments.length,
    scored,
    handScore,
    inputsJudged,
    inputsWithGoodAndBad: both,
    goodAndBadShare: inputsJudged ? both / inputsJudged : null,
    good,
    judged,
    acceptance: judged ? good / judged : null,
  };
}

/** Where the candidates' hand variation lives: frame by frame, and whether a candidate keeps it over its frames. */
export interface FramePremise {
  /** Variance components of per-frame hand scores grouped by (input, frame): the candidates' spread on one frame. */
  frame: VarianceComponents | null;
  /**
   * Correlation, pooled over candidates and frame pairs, of a candidate's deviations from its input's per-frame mean
   * on two frames: near 1 when a candidate is better or worse on all its frames (a per-video choice, which clip-level
   * scores keep), near 0 when each frame varies on its own (which averaging over frames washes out). Null without
   * two frames with a visible hand in every candidate of some input.
   */
  crossFrameCorrelation: number | null;
}

/**
 * Frame-level premise diagnostics from the judge's evidence (candidates of one input share `inputId`; a frame's
 * score is the mean SSIM-Hand of its visible hands). Explains a low clip-level within share: variation that is
 * there frame by frame but not consistent over a video.
 */
export function framePremise(evidence: readonly HandEvidence[]): FramePremise {
  const byInput = new Map<string, HandEvidence[]>();
  for (const e of evidence) {
    const g = byInput.get(e.inputId);
    if (g) g.push(e);
    else byInput.set(e.inputId, [e]);
  }
  const frameScore = (e: HandEvidence, f: number): number | null => {
    const hs = (e.hands[f] ?? []).filter((h): h is NonNullable<typeof h> => h !== null);
    return hs.length ? hs.reduce((s, h) => s + h.ssim, 0) / hs.length : null;
  };
  const groups: number[][] = [];
  let num = 0;
  let den1 = 0;
  let den2 = 0;
  let pairs = 0;
  for (const es of byInput.values()) {
    const F = Math.max(...es.map((e) => e.hands.length));
    const scores = es.map((e) => Array.from({ length: F }, (_, f) => frameScore(e, f)));
    const means: (number | null)[] = [];
    for (let f = 0; f < F; f++) {
      const g = scores.map((s) => s[f]).filter((x): x is number => x !== null);
      if (g.length >= 2) groups.push(g);
      means.push(g.length === es.length && g.length >= 2 ? g.reduce((a, x) => a + x, 0) / g.length : null);
    }
    for (const s of scores) {
      for (let a = 0; a < F; a++) {
        for (let b = a + 1; b < F; b++) {
          const ma = means[a];
          const mb = means[b];
          if (ma === null || mb === null) continue;
          const da = (s[a] as number) - ma;
          const db = (s[b] as number) - mb;
          num += da * db;
          den1 += da * da;
          den2 += db * db;
          pairs++;
        }
      }
    }
  }
  const frame = groups.length >= 2 ? varianceComponents(groups) : null;
  return { frame, crossFrameCorrelation: pairs && den1 > 0 && den2 > 0 ? num / Math.sqrt(den1 * den2) : null };
}
