/**
 * Percentile bootstrap intervals, seeded and deterministic (streams from `rng(seed, 'eval', 'bootstrap')`).
 *
 * - `bootstrapCI`: resample the values with replacement `resamples` times (at least 1000); the interval is the
 *   (1 - level) / 2 and (1 + level) / 2 quantiles of the resampled statistic (linear interpolation between
 *   order statistics, numpy's default). `mean` is the statistic of the original sample.
 * - `pairedBootstrapCI`: the same for statistic(a) - statistic(b) of two methods on the same inputs; each
 *   resample draws one set of input indices used for both, so the pairing is kept.
 * - `meanCI`, results averaged over training seeds: `values[s][i]` is clip i under seed s; all seeds are
 *   evaluated on the same clips. The estimate is the grand mean. Each resample draws the clips once (shared by
 *   all seeds, since clips are crossed with seeds) and, by default, the seeds too, then takes the mean of the
 *   drawn cells. That two-way bootstrap carries both sources of variation (which test clips, which training
 *   run); it is slightly conservative (wider) for crossed designs, which we prefer to intervals that ignore
 *   the seed-to-seed spread. With `resampleSeeds: false` only clips are resampled: the interval is then
 *   conditional on these seeds. With a single seed both schemes equal the plain clip bootstrap.
 */
import { checkFiniteValues, checkInt, checkRange } from './check';
import { rng } from '../core/seeds';

/** The default and minimum number of bootstrap resamples. */
export const MIN_RESAMPLES = 1000;

export interface BootstrapOptions {
  /** Seed of the resampling stream. */
  seed: number;
  /** Resamples, at least MIN_RESAMPLES (default MIN_RESAMPLES). */
  resamples?: number;
  /** Coverage of the interval in (0, 1) (default 0.95). */
  level?: number;
  /** Statistic of a sample (default: the mean). It gets a scratch buffer that it must not keep. */
  statistic?: (sample: Float64Array) => number;
}

/** A point estimate with its percentile bootstrap interval. */
export interface Interval {
  /** The statistic (the mean by default) of the original sample. */
  mean: number;
  low: number;
  high: number;
  /** Sample size (values, pairs, or seed x clip cells). */
  n: number;
  level: number;
  resamples: number;
}

/** Arithmetic mean of a sample. */
export function sampleMean(sample: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < sample.length; i++) s += sample[i];
  return s / sample.length;
}

/** Quantile q of sorted values, linear interpolation between order statistics. */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) throw new Error('sorted must not be empty');
  checkRange('q', q, 0, 1);
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}

function checkOptions(opts: BootstrapOptions): { resamples: number; level: number } {
  if (opts === null || typeof opts !== 'object') throw new Error('opts must be { seed, resamples?, level?, statistic? }');
  if (!Number.isInteger(opts.seed)) throw new Error(`opts.seed must be an integer, got ${opts.seed}`);
  const resamples = opts.resamples ?? MIN_RESAMPLES;
  checkInt('opts.resamples', resamples, MIN_RESAMPLES);
  const level = opts.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new Error(`opts.level must be in (0, 1), got ${level}`);
  if (opts.statistic !== undefined && typeof opts.statistic !== 'function') throw new Error('opts.statistic must be a function');
  return { resamples, level };
}

/** The percentile interval of bootstrap statistics around an estimate (sorts `stats` in place). */
export function percentileInterval(estimate: number, stats: Float64Array, n: number, level: number): Interval {
  stats.sort();
  return {
    mean: estimate,
    low: quantileSorted(stats, (1 - level) / 2),
    high: quantileSorted(stats, (1 + level) / 2),
    n,
    level,
    resamples: stats.length,
  };
}

function checkSample(name: string, values: ArrayLike<number>): void {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') throw new Error(`${name} must be an array of numbers`);
  if (values.length === 0) throw new Error(`${name} must not be empty`);
  checkFiniteValues(name, values);
}

/** Percentile bootstrap interval of a statistic (default mean) of `values`. */
export function bootstrapCI(values: ArrayLike<number>, opts: BootstrapOptions): Interval {
  checkSample('values', values);
  const { resamples, level } = checkOptions(opts);
  const n = values.length;
  const stat = opts.statistic ?? sampleMean;
  const r = rng(opts.seed, 'eval', 'bootstrap');
  const sample = new Float64Array(n);
  const stats = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < n; i++) sample[i] = values[r.int(n)];
    stats[b] = stat(sample);
  }
  return percentileInterval(stat(Float64Array.from(values)), stats, n, level);
}

/** Paired interval of statistic(a) - statistic(b) for two methods on the same inputs (a[i], b[i] on input i). */
export function pairedBootstrapCI(a: ArrayLike<number>, b: ArrayLike<number>, opts: BootstrapOptions): Interval & { meanA: number; meanB: number } {
  checkSample('a', a);
  checkSample('b', b);
  if (a.length !== b.length) throw new Error(`b has ${b.length} values but a has ${a.length}: paired values must match input by input`);
  const { resamples, level } = checkOptions(opts);
  const n = a.length;
  const stat = opts.statistic ?? sampleMean;
  const r = rng(opts.seed, 'eval', 'bootstrap');
  const sa = new Float64Array(n);
  const sb = new Float64Array(n);
  const stats = new Float64Array(resamples);
  for (let k = 0; k < resamples; k++) {
    for (let i = 0; i < n; i++) {
      const j = r.int(n);
      sa[i] = a[j];
      sb[i] = b[j];
    }
    const x = stat(sa);
    stats[k] = x - stat(sb);
  }
  const meanA = stat(Float64Array.from(a));
  const meanB = stat(Float64Array.from(b));
  return { ...percentileInterval(meanA - meanB, stats, n, level), meanA, meanB };
}

export interface SeedBootstrapOptions extends Omit<BootstrapOptions, 'statistic'> {
  /** Resample the seeds as well as the clips (default true; see the module docstring). */
  resampleSeeds?: boolean;
}

/** Grand mean over seeds and clips with a two-way (clips x seeds) bootstrap interval; `values[s][i]` = clip i under seed s. */
export function meanCI(values: readonly ArrayLike<number>[], opts: SeedBootstrapOptions): Interval & { seeds: number; clips: number; seedMeans: number[] } {
  if (!Array.isArray(values) || values.length === 0) throw new Error('values must be a non-empty array with one array of clip values per seed');
  values.forEach((v, s) => checkSample(`values[${s}]`, v));
  const S = values.length;
  const n = values[0].length;
  values.forEach((v, s) => {
    if (v.length !== n) throw new Error(`values[${s}] has ${v.length} clips but values[0] has ${n}: every seed must be evaluated on the same clips`);
  });
  const { resamples, level } = checkOptions(opts);
  const resampleSeeds = opts.resampleSeeds ?? true;
  const r = rng(opts.seed, 'eval', 'bootstrap');
  const clipIdx = new Int32Array(n);
  const stats = new Float64Array(resamples);
  for (let k = 0; k < resamples; k++) {
    for (let i = 0; i < n; i++) clipIdx[i] = r.int(n);
    let total = 0;
    for (let s = 0; s < S; s++) {
      const row = values[resampleSeeds && S > 1 ? r.int(S) : s];
      for (let i = 0; i < n; i++) total += row[clipIdx[i]];
    }
    stats[k] = total / (S * n);
  }
  const seedMeans = values.map((v) => sampleMean(v));
  return { ...percentileInterval(sampleMean(seedMeans), stats, S * n, level), seeds: S, clips: n, seedMeans };
}
