/**
 * Selection bias: whether the judge keeps candidates of some kinds of input more than others. The model trains on
 * what is kept, so a positive set that favours slow motion or big, visible hands pulls the model towards those
 * inputs' look (issue 31: "the distributions of motion speed, hand size and hand visibility ... in the positives").
 * The attributes come from the world's ground truth of each candidate's input clip, so they say what the
 * selection prefers, not what the model draws.
 */
import { MIN_RESAMPLES, percentileInterval } from '../eval/bootstrap';
import { rng } from '../core/seeds';
import { SplitName } from '../world/config';
import { handBoxStats, handShareStats, motionSpeedStats } from '../world/stats';
import { World } from '../world/store';
import type { GenerationEntry } from '../model/generations';

/** The input attributes compared, in table order, with what each measures. */
export const BIAS_ATTRIBUTES = {
  bodySpeed: 'mean displacement per frame of the body keypoints (px)',
  handSpeed: 'mean displacement per frame of the hand keypoints (px)',
  handArea: 'mean hand box area over the hand-frames where the hand is visible (px^2; 0 when never visible)',
  handVisibility: 'share of hand-frames (2 hands x frames) where the hand is visible',
  handShare: "share of the frame's pixels that are hand",
} as const;
export type BiasAttribute = keyof typeof BIAS_ATTRIBUTES;

/** One input clip's ground-truth attributes. */
export type InputAttributes = { clip: string } & Record<BiasAttribute, number>;

/** The attributes of every clip of a stored split, in the split's order. */
export function inputAttributes(world: World, split: SplitName): InputAttributes[] {
  const speed = new Map(motionSpeedStats(world).filter((r) => r.split === split).map((r) => [r.clip, r]));
  const share = new Map(handShareStats(world, split).map((r) => [r.clip, r.share]));
  const boxes = new Map<string, { area: number; visible: number; total: number }>();
  for (const b of handBoxStats(world)) {
    if (b.split !== split) continue;
    const acc = boxes.get(b.clip) ?? { area: 0, visible: 0, total: 0 };
    acc.total++;
    if (b.visible) {
      acc.visible++;
      acc.area += b.width * b.height;
    }
    boxes.set(b.clip, acc);
  }
  return world.splits[split].ids.map((clip) => {
    const s = speed.get(clip);
    const b = boxes.get(clip);
    const sh = share.get(clip);
    if (!s || !b || sh === undefined) throw new Error(`inputAttributes: clip '${clip}' of split '${split}' has no statistics`);
    return { clip, bodySpeed: s.bodySpeed, handSpeed: s.handSpeed, handArea: b.visible ? b.area / b.visible : 0, handVisibility: b.visible / b.total, handShare: sh };
  });
}

/** One attribute: kept against rejected candidates. */
export interface SelectionBiasRow {
  attribute: BiasAttribute;
  /** Mean over the kept candidates (one value per candidate, from its input clip). */
  kept: number;
  rejected: number;
  /** kept - rejected, with its 95% bootstrap interval over input clips (clusterBootstrap). */
  diff: number;
  low: number;
  high: number;
  /** diff and its interval in standard deviations of the attribute over all candidates (0 when it does not vary). */
  standardized: number;
  standardizedLow: number;
  standardizedHigh: number;
  /** Kolmogorov-Smirnov distance between the kept and the rejected candidates' distributions, in [0, 1]. */
  ks: number;
  keptCount: number;
  rejectedCount: number;
}

/** The largest gap between the empirical CDFs of two samples. */
export function ksDistance(a: readonly number[], b: readonly number[]): number {
  if (!a.length || !b.length) throw new Error(`ksDistance: both samples must be non-empty (got ${a.length} and ${b.length})`);
  const x = [...a].sort((p, q) => p - q);
  const y = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < x.length && j < y.length) {
    const v = Math.min(x[i], y[j]);
    while (i < x.length && x[i] <= v) i++;
    while (j < y.length && y[j] <= v) j++;
    d = Math.max(d, Math.abs(i / x.length - j / y.length));
  }
  return d;
}

/**
 * kept - rejected means of one attribute, with a 95% percentile interval from resampling input clips: a clip's
 * candidates share its attribute, so they move together (a resample without kept or without rejected candidates is
 * drawn again). `value[c]`, `kept[c]`, `rejected[c]`: clip c's attribute and its kept and rejected candidates.
 */
export function clusterBootstrap(value: readonly number[], kept: readonly number[], rejected: readonly number[], seed: number): { diff: number; low: number; high: number } {
  const diffOf = (idx: ArrayLike<number>): number | null => {
    let kw = 0;
    let kv = 0;
    let rw = 0;
    let rv = 0;
    for (let i = 0; i < idx.length; i++) {
      const c = idx[i];
      kw += kept[c];
      kv += kept[c] * value[c];
      rw += rejected[c];
      rv += rejected[c] * value[c];
    }
    return kw > 0 && rw > 0 ? kv / kw - rv / rw : null;
  };
  const n = value.length;
  const diff = diffOf(Array.from({ length: n }, (_, i) => i));
  if (diff === null) throw new Error('clusterBootstrap: needs kept and rejected candidates');
  const r = rng(seed, 'select', 'bias');
  const stats = new Float64Array(MIN_RESAMPLES);
  const idx = new Int32Array(n);
  for (let b = 0; b < MIN_RESAMPLES; ) {
    for (let i = 0; i < n; i++) idx[i] = r.int(n);
    const d = diffOf(idx);
    if (d !== null) stats[b++] = d;
  }
  const ci = percentileInterval(diff, stats, n, 0.95);
  return { diff, low: ci.low, high: ci.high };
}

/**
 * Per attribute, the kept candidates against the rejected ones. `candidates`: the generations' entries (their id and
 * input clip, model/generations.ts); `kept`: ids among them (the positives).
 */
export function selectionBias(attrs: readonly InputAttributes[], candidates: readonly Pick<GenerationEntry, 'id' | 'clipId'>[], kept: readonly string[], opts: { seed: number }): SelectionBiasRow[] {
  const byClip = new Map(attrs.map((a, i) => [a.clip, i]));
  const keptSet = new Set(kept);
  const all = new Set(candidates.map((e) => e.id));
  for (const id of keptSet) if (!all.has(id)) throw new Error(`selectionBias: kept id '${id}' is not among the candidates`);
  // Per clip: how many of its candidates were kept and rejected.
  const keptN = attrs.map(() => 0);
  const rejectedN = attrs.map(() => 0);
  for (const { id, clipId } of candidates) {
    const c = byClip.get(clipId);
    if (c === undefined) throw new Error(`selectionBias: candidate '${id}' names clip '${clipId}', which has no attributes`);
    if (keptSet.has(id)) keptN[c]++;
    else rejectedN[c]++;
  }
  const keptCount = keptN.reduce((a, b) => a + b, 0);
  const rejectedCount = rejectedN.reduce((a, b) => a + b, 0);
  if (!keptCount || !rejectedCount) throw new Error(`selectionBias: needs kept and rejected candidates (got ${keptCount} kept, ${rejectedCount} rejected)`);
  // Only clips with candidates take part (their order is the attributes').
  const used = attrs.map((_, c) => c).filter((c) => keptN[c] + rejectedN[c] > 0);
  return (Object.keys(BIAS_ATTRIBUTES) as BiasAttribute[]).map((attribute) => {
    const value = used.map((c) => attrs[c][attribute]);
    const ci = clusterBootstrap(value, used.map((c) => keptN[c]), used.map((c) => rejectedN[c]), opts.seed);
    const k = used.flatMap((c) => Array<number>(keptN[c]).fill(attrs[c][attribute]));
    const r = used.flatMap((c) => Array<number>(rejectedN[c]).fill(attrs[c][attribute]));
    const both = [...k, ...r];
    const mean = both.reduce((s, v) => s + v, 0) / both.length;
    const sd = Math.sqrt(both.reduce((s, v) => s + (v - mean) ** 2, 0) / both.length);
    const z = (x: number) => (sd > 0 ? x / sd : 0);
    return {
      attribute,
      kept: k.reduce((s, v) => s + v, 0) / k.length,
      rejected: r.reduce((s, v) => s + v, 0) / r.length,
      diff: ci.diff,
      low: ci.low,
      high: ci.high,
      standardized: z(ci.diff),
      standardizedLow: z(ci.low),
      standardizedHigh: z(ci.high),
      ks: ksDistance(k, r),
      keptCount,
      rejectedCount,
    };
  });
}
