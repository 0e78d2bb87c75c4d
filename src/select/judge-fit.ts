/**
 * Fitting the learned keypoint judge on val, and its agreement with the oracle.
 *
 * `fitKeypointJudge` is what a team does with a small annotated calibration set: the oracle labels every visible hand
 * of the base's val generations (pass or fail, select/judge.ts), a logistic regression on the hand's keypoint
 * features (`KEYPOINT_FEATURES`, standardised; ridge penalty `l2` on the weights, not the bias; Newton's method, so
 * the same evidence gives the same judge) learns to predict it, and the hand threshold is then set, as
 * `calibrateJudge` sets the oracle's, so that the share of good val videos is nearest the target acceptance. Never
 * fit on a test split.
 */
import { checkRange } from '../eval/check';
import { HandEvidence, HandScores, JudgeThresholds, KEYPOINT_FEATURES, KeypointFeatureName, KeypointJudge, VideoJudgment, handPasses, keypointProbability, nearestAcceptance } from './judge';

/** The learned judge fit on val, with what it gives there. */
export interface KeypointJudgeFit {
  judge: KeypointJudge;
  /** Visible hands with keypoint and pose scores it was fit on, and the share the oracle passes. */
  hands: number;
  oraclePassShare: number;
  /** Share of those hands on which judge and oracle agree. */
  handAgreement: number;
  /** Share of the val videos with a judged frame judged good, and how many were judged. */
  acceptance: number;
  judgedVideos: number;
}

/** Solve the n x n system A x = b (Gaussian elimination with partial pivoting; A is copied). */
export function solveLinear(a: readonly number[][], b: readonly number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    if (!(Math.abs(m[p][c]) > 1e-12)) throw new Error('solveLinear: the system is singular');
    [m[c], m[p]] = [m[p], m[c]];
    for (let r = c + 1; r < n; r++) {
      const f = m[r][c] / m[c][c];
      for (let k = c; k <= n; k++) m[r][k] -= f * m[c][k];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r][n];
    for (let k = r + 1; k < n; k++) s -= m[r][k] * x[k];
    x[r] = s / m[r][r];
  }
  return x;
}

/**
 * Logistic regression by Newton's method: rows x (already standardised), labels y in {0, 1}; ridge `l2` on the
 * weights. Returns [bias, ...weights].
 */
export function fitLogistic(x: readonly number[][], y: readonly number[], l2: number, iterations = 50): number[] {
  if (!x.length || x.length !== y.length) throw new Error(`fitLogistic: ${x.length} rows and ${y.length} labels`);
  const d = x[0].length + 1;
  let w = new Array<number>(d).fill(0);
  for (let it = 0; it < iterations; it++) {
    const g = new Array<number>(d).fill(0);
    const h = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    x.forEach((row, i) => {
      const z = [1, ...row];
      const p = 1 / (1 + Math.exp(-z.reduce((s, v, k) => s + v * w[k], 0)));
      const r = p * (1 - p);
      for (let a = 0; a < d; a++) {
        g[a] += (p - y[i]) * z[a];
        for (let b = 0; b < d; b++) h[a][b] += r * z[a] * z[b];
      }
    });
    for (let a = 1; a < d; a++) {
      g[a] += l2 * w[a];
      h[a][a] += l2;
    }
    const step = solveLinear(h, g);
    w = w.map((v, k) => v - step[k]);
    if (Math.max(...step.map(Math.abs)) < 1e-10) break;
  }
  return w;
}

/** Fit the learned judge on val evidence (scored with a detector) against the oracle's thresholds. */
export function fitKeypointJudge(
  evidence: readonly HandEvidence[],
  oracle: JudgeThresholds,
  opts: { targetAcceptance: number; features?: KeypointFeatureName[]; l2?: number },
): KeypointJudgeFit {
  const target = opts.targetAcceptance;
  if (!(target > 0 && target < 1)) throw new Error(`fitKeypointJudge: targetAcceptance must be in (0, 1), got ${target}`);
  const features = opts.features ?? (Object.keys(KEYPOINT_FEATURES) as KeypointFeatureName[]);
  const l2 = opts.l2 ?? 1;
  checkRange('l2', l2, 0, 1e6);
  const hands = evidence.flatMap((e) => e.hands.flat().filter((h): h is HandScores => h !== null && h.pose !== undefined && h.keypointError !== undefined));
  if (hands.length < 10) throw new Error(`fitKeypointJudge: ${hands.length} hands with keypoint and pose scores; score val with a detector (at least 10 needed)`);
  const labels = hands.map((h, i) => (handPasses(h, oracle, `hand ${i}`) ? 1 : 0));
  const passShare = labels.reduce<number>((a, b) => a + b, 0) / labels.length;
  if (passShare === 0 || passShare === 1) throw new Error(`fitKeypointJudge: the oracle ${passShare ? 'passes' : 'fails'} every val hand; nothing to learn`);
  const raw = hands.map((h) => features.map((f) => KEYPOINT_FEATURES[f].of(h)));
  const mean = features.map((_, k) => {
    const v = raw.map((r) => r[k]).filter((x): x is number => x !== null);
    return v.length ? v.reduce((a, b) => a + b, 0) / v.length : 0;
  });
  const std = features.map((_, k) => {
    const v = raw.map((r) => r[k]).filter((x): x is number => x !== null);
    const s = v.length ? Math.sqrt(v.reduce((a, b) => a + (b - mean[k]) ** 2, 0) / v.length) : 0;
    return s > 1e-9 ? s : 1;
  });
  const x = raw.map((r) => r.map((v, k) => (v === null ? 0 : (v - mean[k]) / std[k])));
  const [bias, ...weights] = fitLogistic(x, labels, l2);
  const base: KeypointJudge = { kind: 'keypoints', features, mean, std, weights, bias, minProbability: 0.5 };
  const probs = hands.map((h) => keypointProbability(h, base));
  const grid = [...new Set(probs.map((p) => Math.floor(100 * p) / 100))].sort((a, b) => b - a); // strict first
  const best = nearestAcceptance(evidence, grid.map((minProbability): KeypointJudge => ({ ...base, minProbability })), target);
  if (!best) throw new Error('fitKeypointJudge: no video has a judged frame');
  const m = best.judge.minProbability;
  const agree = probs.filter((p, i) => (p >= m ? 1 : 0) === labels[i]).length / probs.length;
  return { judge: best.judge, hands: hands.length, oraclePassShare: passShare, handAgreement: agree, acceptance: best.acceptance, judgedVideos: best.judgedVideos };
}

/** Agreement of two labellings: the share that agree, and Cohen's kappa (chance-corrected; NaN when undefined). */
export interface Agreement {
  n: number;
  agree: number;
  kappa: number;
}

function agreementOf(pairs: readonly [boolean, boolean][]): Agreement {
  const n = pairs.length;
  if (!n) return { n, agree: NaN, kappa: NaN };
  const po = pairs.filter(([a, b]) => a === b).length / n;
  const pa = pairs.filter(([a]) => a).length / n;
  const pb = pairs.filter(([, b]) => b).length / n;
  const pe = pa * pb + (1 - pa) * (1 - pb);
  return { n, agree: po, kappa: pe < 1 ? (po - pe) / (1 - pe) : NaN };
}

/** How a judge's verdicts agree with the oracle's on the same videos (matched by id). */
export interface JudgeAgreement {
  /** Frames both judged (good or bad). */
  frames: Agreement;
  /** Videos both judged. */
  videos: Agreement;
  /** Of the videos the judge calls good, the share the oracle calls good (NaN when none). */
  precision: number;
  /** Of the videos the oracle calls good, the share the judge calls good (NaN when none). */
  recall: number;
}

/** Frame and video agreement of `judged` with `oracle`; both must hold the same video ids. */
export function judgeAgreement(oracle: readonly VideoJudgment[], judged: readonly VideoJudgment[]): JudgeAgreement {
  const byId = new Map(judged.map((j) => [j.id, j]));
  if (byId.size !== oracle.length) throw new Error(`judgeAgreement: ${oracle.length} oracle judgments against ${byId.size} videos`);
  const frames: [boolean, boolean][] = [];
  const videos: [boolean, boolean][] = [];
  for (const o of oracle) {
    const j = byId.get(o.id);
    if (!j) throw new Error(`judgeAgreement: video '${o.id}' has no judgment`);
    if (j.marks.length !== o.marks.length) throw new Error(`judgeAgreement: video '${o.id}' has ${j.marks.length} and ${o.marks.length} frame marks`);
    o.marks.forEach((m, f) => {
      if (m !== 'unjudged' && j.marks[f] !== 'unjudged') frames.push([m === 'good', j.marks[f] === 'good']);
    });
    if (o.verdict !== 'unjudged' && j.verdict !== 'unjudged') videos.push([o.verdict === 'good', j.verdict === 'good']);
  }
  const saidGood = videos.filter(([, b]) => b);
  const isGood = videos.filter(([a]) => a);
  return {
    frames: agreementOf(frames),
    videos: agreementOf(videos),
    precision: saidGood.length ? saidGood.filter(([a]) => a).length / saidGood.length : NaN,
    recall: isGood.length ? isGood.filter(([, b]) => b).length / isGood.length : NaN,
  };
}
