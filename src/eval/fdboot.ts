/**
 * Bootstrap intervals for Frechet distances. A resample draws clips with replacement (the same clips for every
 * training seed, as `meanCI` does) and, with several seeds, draws the seeds too; the FD of the resampled
 * generated features against the fixed reference statistics is averaged over the drawn seeds. Per-clip sums and
 * outer products are precomputed, so a resample costs O(clips * dim^2) plus one FD.
 */
import { Interval, quantileSorted } from './bootstrap';
import { FeatureStats, frechetFromStats } from './frechet';
import { rng } from '../repro/seeds';

/** Per-clip sufficient statistics of features [clips * rowsPerClip, dim]. */
interface ClipSums {
  rows: number;
  sum: Float64Array[]; // per clip [dim]
  outer: Float64Array[]; // per clip [dim * dim] (upper triangle filled)
}

function clipSums(feats: Float32Array, clips: number, rowsPerClip: number, dim: number): ClipSums {
  if (feats.length !== clips * rowsPerClip * dim) throw new Error(`features have ${feats.length} values, expected ${clips} x ${rowsPerClip} x ${dim}`);
  const sum: Float64Array[] = [];
  const outer: Float64Array[] = [];
  for (let c = 0; c < clips; c++) {
    const s = new Float64Array(dim);
    const o = new Float64Array(dim * dim);
    for (let r = 0; r < rowsPerClip; r++) {
      const base = (c * rowsPerClip + r) * dim;
      for (let j = 0; j < dim; j++) {
        const fj = feats[base + j];
        s[j] += fj;
        for (let k = j; k < dim; k++) o[j * dim + k] += fj * feats[base + k];
      }
    }
    sum.push(s);
    outer.push(o);
  }
  return { rows: rowsPerClip, sum, outer };
}

function statsOf(cs: ClipSums, idx: Int32Array, dim: number): FeatureStats {
  const n = idx.length * cs.rows;
  const mean = new Float64Array(dim);
  const acc = new Float64Array(dim * dim);
  for (const i of idx) {
    const s = cs.sum[i];
    const o = cs.outer[i];
    for (let j = 0; j < dim; j++) mean[j] += s[j];
    for (let t = 0; t < dim * dim; t++) acc[t] += o[t];
  }
  for (let j = 0; j < dim; j++) mean[j] /= n;
  const cov = new Float64Array(dim * dim);
  for (let j = 0; j < dim; j++) {
    for (let k = j; k < dim; k++) {
      const v = (acc[j * dim + k] - n * mean[j] * mean[k]) / (n - 1);
      cov[j * dim + k] = v;
      cov[k * dim + j] = v;
    }
  }
  return { n, dim, mean, cov };
}

export interface FdBootstrapOptions {
  seed: number;
  resamples?: number;
  level?: number;
}

/**
 * FD of generated features (one array per training seed, [clips * rowsPerClip, dim] each, the same clips in
 * the same order) against reference statistics, with a percentile bootstrap interval.
 */
export function frechetCI(perSeed: Float32Array[], clips: number, rowsPerClip: number, dim: number, reference: FeatureStats, opts: FdBootstrapOptions): Interval {
  if (perSeed.length === 0) throw new Error('frechetCI: no feature sets');
  const resamples = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1000) throw new Error(`frechetCI: resamples must be an integer >= 1000, got ${resamples}`);
  const sums = perSeed.map((f) => clipSums(f, clips, rowsPerClip, dim));
  const all = Int32Array.from({ length: clips }, (_, i) => i);
  const point = sums.reduce((s, cs) => s + frechetFromStats(statsOf(cs, all, dim), reference), 0) / sums.length;
  const r = rng(opts.seed, 'eval', 'fd-bootstrap');
  const stats = new Float64Array(resamples);
  const idx = new Int32Array(clips);
  for (let k = 0; k < resamples; k++) {
    for (let i = 0; i < clips; i++) idx[i] = r.int(clips);
    let total = 0;
    for (let s = 0; s < sums.length; s++) total += frechetFromStats(statsOf(sums[sums.length > 1 ? r.int(sums.length) : s], idx, dim), reference);
    stats[k] = total / sums.length;
  }
  const sorted = Float64Array.from(stats).sort();
  const a = (1 - level) / 2;
  return { mean: point, low: quantileSorted(sorted, a), high: quantileSorted(sorted, 1 - a), n: clips * perSeed.length, level, resamples };
}
