/**
 * The Case 1-4 analysis: can candidates of the same input be turned into strict preference pairs (what DPO
 * needs)? Every unordered pair of candidates of one input is put in exactly one bucket by the videos' frame
 * marks (judge.ts), each video classed by its own judged frames:
 *
 * - all-good: at least one judged frame, every judged frame good;
 * - all-bad: at least one judged frame, every judged frame bad;
 * - mixed: both good and bad judged frames;
 * - unjudged: no judged frame (no visible hand anywhere).
 *
 * Case 1 (both good): both all-good. Case 2 (both bad): both all-bad. Case 4 (strict pair): one all-good and
 * the other all-bad; the all-good one is the winner. Case 3 (mixed frame by frame, neither consistently
 * better): every other pair of judged videos: both mixed, or one mixed and the other all-good or all-bad.
 * Pairs with an unjudged video are counted apart ('unjudged') and left out of the case shares, which are
 * shares of the judged pairs. The report also gives the strict pairs themselves (for Flow-DPO) and how many
 * selected positives belong to at least one strict pair (the paper: 7 of 93).
 *
 * `relaxedPairs` builds the pairs preference pipelines fall back on when strict ones are scarce: per input, the
 * best-scored candidate against the worst-scored one (by hand score), whatever their frames' verdicts.
 */
import type { FrameMark, VideoJudgment } from './judge';

export type VideoPattern = 'all-good' | 'all-bad' | 'mixed' | 'unjudged';
export type PairCase = 1 | 2 | 3 | 4 | 'unjudged';

/** A strict (Case 4) pair: the all-good winner and the all-bad loser of one input. */
export interface StrictPair {
  inputId: string;
  winner: string;
  loser: string;
}

/** Judgments grouped by input, inputs in order of first appearance. */
function byInput(judgments: readonly VideoJudgment[]): Map<string, VideoJudgment[]> {
  const groups = new Map<string, VideoJudgment[]>();
  for (const j of judgments) {
    const g = groups.get(j.inputId);
    if (g) g.push(j);
    else groups.set(j.inputId, [j]);
  }
  return groups;
}

/**
 * Relaxed preference pairs: per input, the candidate with the highest hand score (winner) against the one with the
 * lowest (loser), among its candidates with a score; none for an input whose scored candidates tie or number
 * fewer than two. Ties for best or worst go to the first id in code-unit order; pairs come in input order.
 */
export function relaxedPairs(judgments: readonly VideoJudgment[]): StrictPair[] {
  const groups = byInput(judgments.filter((j) => j.score !== null));
  const out: StrictPair[] = [];
  for (const inputId of [...groups.keys()].sort()) {
    const g = (groups.get(inputId) as VideoJudgment[]).slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    let best = g[0];
    let worst = g[0];
    for (const j of g) {
      if ((j.score as number) > (best.score as number)) best = j;
      if ((j.score as number) < (worst.score as number)) worst = j;
    }
    if ((best.score as number) > (worst.score as number)) out.push({ inputId, winner: best.id, loser: worst.id });
  }
  return out;
}

export interface CaseCounts {
  case1: number;
  case2: number;
  case3: number;
  case4: number;
}

export interface CaseReport {
  inputs: number;
  /** Every unordered candidate pair of the same input. */
  pairs: number;
  /** Pairs where a video has no judged frame (outside Cases 1-4). */
  unjudgedPairs: number;
  judgedPairs: number;
  counts: CaseCounts;
  /** counts / judgedPairs (0 when there are no judged pairs). */
  shares: CaseCounts;
  strictPairs: StrictPair[];
  inputsWithStrictPair: number;
  positives: number;
  /** Positives that belong to at least one strict pair. */
  positivesInStrictPairs: number;
  /** positivesInStrictPairs / positives; null without positives. */
  pairableShare: number | null;
}

/** The pattern of a video's frame marks. */
export function videoPattern(marks: readonly FrameMark[]): VideoPattern {
  let good = 0;
  let bad = 0;
  for (const m of marks) {
    if (m === 'good') good++;
    else if (m === 'bad') bad++;
  }
  if (good && bad) return 'mixed';
  if (good) return 'all-good';
  if (bad) return 'all-bad';
  return 'unjudged';
}

/** The case of a pair of candidates of the same input (see the module docstring). */
export function pairCase(a: readonly FrameMark[], b: readonly FrameMark[]): PairCase {
  const pa = videoPattern(a);
  const pb = videoPattern(b);
  if (pa === 'unjudged' || pb === 'unjudged') return 'unjudged';
  if (pa === 'all-good' && pb === 'all-good') return 1;
  if (pa === 'all-bad' && pb === 'all-bad') return 2;
  if ((pa === 'all-good' && pb === 'all-bad') || (pa === 'all-bad' && pb === 'all-good')) return 4;
  return 3;
}

/** Case 1-4 counts and shares over all candidate pairs of the same input, strict pairs, and pairable positives. */
export function caseAnalysis(judgments: readonly VideoJudgment[], positives: readonly string[] = []): CaseReport {
  if (!Array.isArray(judgments)) throw new Error('judgments must be an array of video judgments');
  if (!Array.isArray(positives)) throw new Error('positives must be an array of ids');
  const ids = new Set<string>();
  judgments.forEach((j: VideoJudgment, i: number) => {
    if (typeof j.inputId !== 'string' || j.inputId === '') throw new Error(`judgments[${i}].inputId must be a non-empty string`);
    if (ids.has(j.id)) throw new Error(`judgments[${i}].id '${j.id}' is not unique`);
    ids.add(j.id);
  });
  const groups = byInput(judgments);
  const unknown = positives.filter((id) => !ids.has(id));
  if (unknown.length) throw new Error(`positives name ids that are not among the judgments: ${unknown.slice(0, 10).join(', ')}`);
  const counts: CaseCounts = { case1: 0, case2: 0, case3: 0, case4: 0 };
  let pairs = 0;
  let unjudgedPairs = 0;
  const strictPairs: StrictPair[] = [];
  const inStrict = new Set<string>();
  let inputsWithStrictPair = 0;
  for (const [inputId, g] of groups) {
    let strictHere = false;
    for (let i = 0; i < g.length; i++) {
      for (let k = i + 1; k < g.length; k++) {
        pairs++;
        const c = pairCase(g[i].marks, g[k].marks);
        if (c === 'unjudged') {
          unjudgedPairs++;
          continue;
        }
        counts[`case${c}`]++;
        if (c === 4) {
          const [winner, loser] = videoPattern(g[i].marks) === 'all-good' ? [g[i].id, g[k].id] : [g[k].id, g[i].id];
          strictPairs.push({ inputId, winner, loser });
          inStrict.add(winner);
          inStrict.add(loser);
          strictHere = true;
        }
      }
    }
    if (strictHere) inputsWithStrictPair++;
  }
  const judgedPairs = pairs - unjudgedPairs;
  const share = (x: number): number => (judgedPairs ? x / judgedPairs : 0);
  const uniquePositives = [...new Set(positives)];
  const positivesInStrictPairs = uniquePositives.filter((id) => inStrict.has(id)).length;
  return {
    inputs: groups.size,
    pairs,
    unjudgedPairs,
    judgedPairs,
    counts,
    shares: { case1: share(counts.case1), case2: share(counts.case2), case3: share(counts.case3), case4: share(counts.case4) },
    strictPairs,
    inputsWithStrictPair,
    positives: uniquePositives.length,
    positivesInStrictPairs,
    pairableShare: uniquePositives.length ? positivesInStrictPairs / uniquePositives.length : null,
  };
}
