import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { featureStats, FeatureStats, frechetDistance, frechetFromStats, symmetricEigen } from '../src';
import { rng } from '../src/core/seeds';

function randomSymmetric(n: number, seed: number): Float64Array {
  const r = rng(seed, 'test', 'sym');
  const m = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = i; j < n; j++) m[i * n + j] = m[j * n + i] = r.normal();
  return m;
}

function stats(mean: number[], cov: number[]): FeatureStats {
  return { n: 100, dim: mean.length, mean: Float64Array.from(mean), cov: Float64Array.from(cov) };
}

function diag(values: number[]): number[] {
  const n = values.length;
  const out = new Array<number>(n * n).fill(0);
  values.forEach((v, i) => (out[i * n + i] = v));
  return out;
}

/** Gaussian samples [n, dim] with the given mean and per-dimension standard deviation. */
function samples(n: number, mean: number[], sd: number[], seed: number): Float32Array {
  const r = rng(seed, 'test', 'frechet-samples');
  const d = mean.length;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) out[i * d + j] = mean[j] + sd[j] * r.normal();
  return out;
}

describe('symmetricEigen', () => {
  for (const n of [1, 2, 5, 30]) {
    it(`reconstructs a random symmetric ${n}x${n} matrix with orthonormal vectors and ascending values`, () => {
      const A = randomSymmetric(n, n);
      const { values, vectors: V } = symmetricEigen(A, n);
      for (let i = 1; i < n; i++) assert.ok(values[i - 1] <= values[i]);
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) {
          let rec = 0;
          let dot = 0;
          for (let k = 0; k < n; k++) {
            rec += V[i * n + k] * values[k] * V[j * n + k];
            dot += V[k * n + i] * V[k * n + j];
          }
          assert.ok(Math.abs(rec - A[i * n + j]) < 1e-10, `A[${i}][${j}]`);
          assert.ok(Math.abs(dot - (i === j ? 1 : 0)) < 1e-10, `V^T V [${i}][${j}]`);
        }
    });
  }
});

describe('frechetDistance', () => {
  it('is ~0 for a set with itself, also when the covariance is singular (n < dim)', () => {
    const x = samples(200, [0, 1, 2, 3], [1, 0.5, 2, 0.1], 1);
    assert.ok(frechetDistance(x, 200, x, 200, 4) < 1e-9);
    const few = samples(5, new Array(20).fill(0), new Array(20).fill(1), 2);
    const fd = frechetDistance(few, 5, few, 5, 20);
    assert.ok(Number.isFinite(fd) && fd < 1e-9, `singular case ${fd}`);
  });

  it('matches the closed form for diagonal covariances: sum (mu diff)^2 + sum (sqrt a - sqrt b)^2', () => {
    const a = stats([0, 1, -1], diag([1, 4, 0.25]));
    const b = stats([0.5, 1, 1], diag([9, 1, 0.25]));
    const expected = 0.25 + 0 + 4 + (1 - 3) ** 2 + (2 - 1) ** 2 + 0;
    assert.ok(Math.abs(frechetFromStats(a, b) - expected) < 1e-10);
  });

  it('matches the 2x2 closed form for non-commuting covariances: Tr sqrt(SA SB) = sqrt(tr(SA SB) + 2 sqrt(det SA det SB))', () => {
    const SA = [2, 0.6, 0.6, 1];
    const SB = [1, -0.3, -0.3, 3];
    const tr = SA[0] * SB[0] + SA[1] * SB[2] + SA[2] * SB[1] + SA[3] * SB[3];
    const det = (S: number[]) => S[0] * S[3] - S[1] * S[2];
    const trRoot = Math.sqrt(tr + 2 * Math.sqrt(det(SA) * det(SB)));
    const expected = 1 + 4 + (2 + 1 + 1 + 3) - 2 * trRoot;
    assert.ok(Math.abs(frechetFromStats(stats([0, 0], SA), stats([1, 2], SB)) - expected) < 1e-10);
  });

  it('approaches the closed form from samples, is symmetric, and grows with a mean shift by exactly |shift|^2', () => {
    const x = samples(20000, [0, 0, 0], [1, 2, 0.5], 3);
    const y = samples(20000, [1, 0, 0], [1, 1, 0.5], 4);
    const fd = frechetDistance(x, 20000, y, 20000, 3);
    assert.ok(Math.abs(fd - 2) < 0.1, `sampled FD ${fd} vs closed form 2`);
    assert.ok(Math.abs(fd - frechetDistance(y, 20000, x, 20000, 3)) < 1e-9);
    let prev = -1;
    const small = samples(300, [0, 0, 0], [1, 2, 0.5], 5);
    for (const s of [0, 0.5, 1, 2]) {
      const shifted = small.map((v, i) => (i % 3 === 0 ? v + s : v));
      const d = frechetDistance(small, 300, shifted, 300, 3);
      assert.ok(d > prev);
      assert.ok(Math.abs(d - s * s) < 1e-4, `shift ${s}: ${d}`);
      prev = d;
    }
  });

  it('handles constant features and the eps offset', () => {
    const x = new Float32Array(10 * 2).fill(0.5);
    const y = new Float32Array(10 * 2).fill(1.5);
    assert.ok(Math.abs(frechetDistance(x, 10, y, 10, 2) - 2) < 1e-12);
    assert.ok(Math.abs(frechetDistance(x, 10, y, 10, 2, { eps: 1e-6 }) - 2) < 1e-9);
    assert.ok(frechetDistance(x, 10, x, 10, 2, { eps: 1e-6 }) < 1e-12);
  });

  it('uses unbiased covariances and rejects bad shapes, naming the argument', () => {
    const s = featureStats(new Float32Array([0, 0, 2, 2]), 2, 2);
    assert.deepEqual(Array.from(s.cov), [2, 2, 2, 2]);
    assert.deepEqual(Array.from(s.mean), [1, 1]);
    assert.throws(() => frechetDistance(new Float32Array(6), 3, new Float32Array(6), 2, 2), /featsB has 6 values, expected 2 x 2 = 4/);
    assert.throws(() => frechetDistance(new Float32Array(2), 1, new Float32Array(4), 2, 2), /featsA count must be an integer >= 2/);
    assert.throws(() => frechetDistance(new Float32Array([0, NaN, 1, 1]), 2, new Float32Array(4), 2, 2), /featsA\[0\]\[1\] must be finite/);
    assert.throws(() => frechetFromStats(stats([0], [1]), stats([0, 0], diag([1, 1]))), /b has dim 2 but a has dim 1/);
  });
});
