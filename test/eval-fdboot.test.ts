import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { frechetCI } from '../src/eval/fdboot';
import { featureStats, frechetDistance } from '../src/eval/frechet';
import { symmetricEigen, symmetricEigenvalues } from '../src/eval/eigen';
import { rng } from '../src/core/seeds';

function feats(n: number, dim: number, seed: number, shift = 0, scale = 1): Float32Array {
  const r = rng(seed, 'fd');
  return Float32Array.from({ length: n * dim }, (_, i) => r.normal() * scale * (1 + (i % dim) / dim) + shift);
}

describe('FD bootstrap', () => {
  it('eigenvalues from tridiagonal QL equal the Jacobi eigenvalues', () => {
    const n = 12;
    const r = rng(1, 'sym');
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = i; j < n; j++) a[i * n + j] = a[j * n + i] = r.normal();
    const q = Array.from(symmetricEigenvalues(a, n));
    const j = Array.from(symmetricEigen(a, n).values).sort((x, y) => x - y);
    q.forEach((v, i) => assert.ok(Math.abs(v - j[i]) < 1e-9, `eigenvalue ${i}: ${v} vs ${j[i]}`));
  });

  it('the point estimate equals the direct Frechet distance (frame rows and one-row clips) and lies in its interval', () => {
    const dim = 6;
    const ref = feats(400, dim, 1);
    const refStats = featureStats(ref, 400, dim);
    for (const rows of [4, 1]) {
      const clips = 40;
      const gen = feats(clips * rows, dim, 2, 0.3, 1.2);
      const ci = frechetCI([gen], clips, rows, dim, refStats, { seed: 3 });
      const direct = frechetDistance(gen, clips * rows, ref, 400, dim);
      assert.ok(Math.abs(ci.mean - direct) < 1e-9 * (1 + direct), `rows ${rows}: ${ci.mean} vs direct ${direct}`);
      assert.ok(ci.low <= ci.mean && ci.mean <= ci.high, `rows ${rows}: ${ci.low} <= ${ci.mean} <= ${ci.high}`);
      assert.equal(ci.resamples, 1000);
    }
  });

  it('the dual (Gram) route for fewer one-row clips than dimensions gives the direct Frechet distance', () => {
    const dim = 30;
    const ref = feats(300, dim, 1);
    const refStats = featureStats(ref, 300, dim);
    const gen = feats(12, dim, 4, 0.2);
    const ci = frechetCI([gen], 12, 1, dim, refStats, { seed: 3 });
    const direct = frechetDistance(gen, 12, ref, 300, dim);
    assert.ok(Math.abs(ci.mean - direct) < 1e-6 * (1 + direct), `${ci.mean} vs direct ${direct}`);
  });

  it('a set close to the reference has a small FD; a shifted set a larger one', () => {
    const dim = 5;
    const ref = feats(500, dim, 1);
    const refStats = featureStats(ref, 500, dim);
    const near = frechetCI([feats(50 * 4, dim, 7)], 50, 4, dim, refStats, { seed: 1 });
    const far = frechetCI([feats(50 * 4, dim, 7, 1)], 50, 4, dim, refStats, { seed: 1 });
    assert.ok(far.low > near.high, `shift shows: near [${near.low}, ${near.high}], far [${far.low}, ${far.high}]`);
  });

  it('the interval holds the full-sample FD even when resampling biases the FD upward (few clips near the reference)', () => {
    const dim = 8;
    const ref = feats(2000, dim, 1);
    const refStats = featureStats(ref, 2000, dim);
    const ci = frechetCI([feats(16 * 2, dim, 9)], 16, 2, dim, refStats, { seed: 2 });
    assert.ok(ci.low <= ci.mean && ci.mean <= ci.high, `${ci.low} <= ${ci.mean} <= ${ci.high}`);
    assert.ok(ci.low >= 0);
  });
});
