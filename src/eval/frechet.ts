/**
 * Frechet distance between Gaussians fitted to two feature sets (the FID / FVD formula):
 *
 *     FD = ||mu_A - mu_B||^2 + Tr(S_A + S_B - 2 (S_A^{1/2} S_B S_A^{1/2})^{1/2})
 *
 * with unbiased covariances (divide by n - 1, as numpy.cov in the FID reference code). The kit reports two:
 * FD-frame (per-frame features) and FD-clip (per-clip features), stand-ins for FID-VID and FVD; the features
 * come from the kit's perception network, this module only takes feature arrays `[n, dim]` (row-major).
 *
 * Numerics: everything in float64. Tr((S_A S_B)^{1/2}) is computed as Tr((S_A^{1/2} S_B S_A^{1/2})^{1/2}),
 * which equals it and is the square root of a symmetric positive semi-definite matrix, so two symmetric
 * eigendecompositions suffice (no complex values, unlike scipy's sqrtm). Near-singular covariances (n <= dim,
 * constant features) give tiny negative eigenvalues from rounding: they are clipped to 0. Optionally `eps`
 * is added to both covariance diagonals (the reference code's fallback offset, applied here to both terms so
 * that FD(X, X) stays 0); the default is 0 because the symmetric route does not fail without it. The result is
 * clipped at 0 (it is a squared distance; rounding can leave -1e-15).
 */
import { checkInt } from './check';
import { symmetricEigen } from './eigen';

/** Mean and unbiased covariance of a feature set. */
export interface FeatureStats {
  n: number;
  dim: number;
  mean: Float64Array;
  /** Row-major dim x dim, divided by n - 1. */
  cov: Float64Array;
}

export interface FrechetOptions {
  /** Added to the diagonal of both covariances (default 0). */
  eps?: number;
}

/** Mean and unbiased covariance of features `[n, dim]` (row-major; n >= 2). */
export function featureStats(feats: Float32Array | Float64Array, n: number, dim: number, name = 'feats'): FeatureStats {
  checkInt(`${name} count`, n, 2);
  checkInt('dim', dim, 1);
  if (!(feats instanceof Float32Array || feats instanceof Float64Array)) throw new Error(`${name} must be a Float32Array or Float64Array`);
  if (feats.length !== n * dim) throw new Error(`${name} has ${feats.length} values, expected ${n} x ${dim} = ${n * dim}`);
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) {
      const v = feats[i * dim + j];
      if (!Number.isFinite(v)) throw new Error(`${name}[${i}][${j}] must be finite, got ${v}`);
      mean[j] += v;
    }
  }
  for (let j = 0; j < dim; j++) mean[j] /= n;
  const cov = new Float64Array(dim * dim);
  const c = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) c[j] = feats[i * dim + j] - mean[j];
    for (let j = 0; j < dim; j++) {
      const cj = c[j];
      const row = j * dim;
      for (let k = j; k < dim; k++) cov[row + k] += cj * c[k];
    }
  }
  for (let j = 0; j < dim; j++) {
    for (let k = j; k < dim; k++) {
      const v = cov[j * dim + k] / (n - 1);
      cov[j * dim + k] = v;
      cov[k * dim + j] = v;
    }
  }
  return { n, dim, mean, cov };
}

/** C = A B for row-major n x n matrices. */
function matmul(A: Float64Array, B: Float64Array, n: number): Float64Array {
  const C = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) {
      const a = A[i * n + k];
      if (a === 0) continue;
      const bRow = k * n;
      const cRow = i * n;
      for (let j = 0; j < n; j++) C[cRow + j] += a * B[bRow + j];
    }
  }
  return C;
}

/** Principal square root of a symmetric PSD matrix (negative eigenvalues from rounding clipped to 0). */
export function sqrtPsd(S: Float64Array, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(S, n);
  const out = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    const s = Math.sqrt(Math.max(values[k], 0));
    if (s === 0) continue;
    for (let i = 0; i < n; i++) {
      const vi = vectors[i * n + k] * s;
      if (vi === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += vi * vectors[j * n + k];
    }
  }
  return out;
}

/** Frechet distance between two fitted Gaussians (see the module docstring). */
export function frechetFromStats(a: FeatureStats, b: FeatureStats, opts: FrechetOptions = {}): number {
  if (a.dim !== b.dim) throw new Error(`b has dim ${b.dim} but a has dim ${a.dim}`);
  const dim = a.dim;
  for (const [name, s] of [['a', a], ['b', b]] as const) {
    if (s.mean.length !== dim || s.cov.length !== dim * dim) throw new Error(`${name} has a mean or covariance of the wrong size for dim ${dim}`);
  }
  const eps = opts.eps ?? 0;
  if (!(eps >= 0 && Number.isFinite(eps))) throw new Error(`opts.eps must be a finite number >= 0, got ${eps}`);
  const SA = Float64Array.from(a.cov);
  const SB = Float64Array.from(b.cov);
  for (let i = 0; i < dim; i++) {
    SA[i * dim + i] += eps;
    SB[i * dim + i] += eps;
  }
  let meanTerm = 0;
  let trace = 0;
  for (let i = 0; i < dim; i++) {
    meanTerm += (a.mean[i] - b.mean[i]) ** 2;
    trace += SA[i * dim + i] + SB[i * dim + i];
  }
  const rootA = sqrtPsd(SA, dim);
  const M = matmul(matmul(rootA, SB, dim), rootA, dim);
  const { values } = symmetricEigen(M, dim);
  let trRoot = 0;
  for (let i = 0; i < dim; i++) trRoot += Math.sqrt(Math.max(values[i], 0));
  return Math.max(0, meanTerm + trace - 2 * trRoot);
}

/** Frechet distance between feature sets `[nA, dim]` and `[nB, dim]` (row-major; FD-frame / FD-clip in the kit). */
export function frechetDistance(
  featsA: Float32Array | Float64Array,
  nA: number,
  featsB: Float32Array | Float64Array,
  nB: number,
  dim: number,
  opts: FrechetOptions = {},
): number {
  return frechetFromStats(featureStats(featsA, nA, dim, 'featsA'), featureStats(featsB, nB, dim, 'featsB'), opts);
}

/** Reference statistics of a split for the Frechet distances: frame features and clip features. */
export interface ReferenceFeatures {
  frame: FeatureStats;
  clip: FeatureStats;
}

/** Turns frame features [clips * F, D] into clip features [clips, Dc] (the perception module provides it). */
export type ClipFeatureFn = (frameFeatures: Float32Array, clips: number, framesPerClip: number) => { features: Float32Array; dim: number };
