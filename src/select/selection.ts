/**
 * Implicit positives: the good videos (judge.ts), best first by score, capped at `maxPositives`. The
 * acceptance rate (good / candidates) is reported as it falls out of the judge; nothing forces it to a rate.
 * A person can then override the choice with a file of ids (override.ts).
 */
import { checkInt } from '../eval/check';
import type { VideoJudgment } from './judge';

/** The chosen positives with what they were chosen from. */
export interface Selection {
  /** Selected video ids, best first (score descending, then id). */
  positives: string[];
  /** Every candidate id, in input order (what overrides may name). */
  candidates: string[];
  /** Candidates judged good. */
  good: number;
  /** good / candidates. */
  acceptanceRate: number;
  /** The cap, or null for none. */
  maxPositives: number | null;
  /** Whether the cap left good videos out. */
  capped: boolean;
  /** Ranking score of every candidate (mean SSIM-Hand; null when it had no visible hand). */
  scores: Record<string, number | null>;
  /** Ids a person added or removed (override.ts), in the order applied. */
  overrides: { include: string[]; exclude: string[] };
}

/** Order ids best first: score descending (null last), ties by id. */
export function rankIds(ids: readonly string[], scores: Record<string, number | null>): string[] {
  return ids.slice().sort((a, b) => {
    const sa = scores[a] ?? -Infinity;
    const sb = scores[b] ?? -Infinity;
    if (sa !== sb) return sb - sa;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/** Select the good videos as implicit positives, best first, at most `maxPositives` (default: all good ones). */
export function selectPositives(judgments: readonly VideoJudgment[], opts: { maxPositives?: number } = {}): Selection {
  if (!Array.isArray(judgments) || judgments.length === 0) throw new Error('judgments must be a non-empty array of video judgments');
  if (opts.maxPositives !== undefined) checkInt('opts.maxPositives', opts.maxPositives, 0);
  const scores: Record<string, number | null> = {};
  const candidates: string[] = [];
  const goodIds: string[] = [];
  judgments.forEach((j: VideoJudgment, i: number) => {
    if (typeof j.id !== 'string' || j.id === '') throw new Error(`judgments[${i}].id must be a non-empty string`);
    if (j.id in scores) throw new Error(`judgments[${i}].id '${j.id}' is not unique`);
    scores[j.id] = j.score;
    candidates.push(j.id);
    if (j.verdict === 'good') goodIds.push(j.id);
  });
  const ranked = rankIds(goodIds, scores);
  const cap = opts.maxPositives ?? null;
  const positives = cap === null ? ranked : ranked.slice(0, cap);
  return {
    positives,
    candidates,
    good: goodIds.length,
    acceptanceRate: goodIds.length / candidates.length,
    maxPositives: cap,
    capped: positives.length < ranked.length,
    scores,
    overrides: { include: [], exclude: [] },
  };
}
