import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { bootstrapCI, meanCI, pairedBootstrapCI, quantileSorted } from '../src';
import { rng } from '../src/core/seeds';

const normals = (n: number, seed: number, mean = 0, sd = 1) => Array.from(rng(seed, 'test', 'bootstrap-data').normals(n), (v) => mean + sd * v);

describe('bootstrapCI', () => {
  it('is deterministic from the seed and covers the mean', () => {
    const v = normals(50, 1, 0.7, 0.1);
    const a = bootstrapCI(v, { seed: 3 });
    assert.deepEqual(bootstrapCI(v, { seed: 3 }), a);
    assert.notDeepEqual(bootstrapCI(v, { seed: 4 }), a);
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    assert.ok(Math.abs(a.mean - mean) < 1e-15);
    assert.ok(a.low < mean && mean < a.high, `${a.low} < ${mean} < ${a.high}`);
    assert.equal(a.n, 50);
    assert.equal(a.resamples, 1000);
    assert.equal(a.level, 0.95);
  });

  it('narrows with n, close to 2 x 1.96 sd / sqrt(n)', () => {
    let prev = Infinity;
    for (const n of [10, 40, 160, 640]) {
      const v = normals(n, n);
      const ci = bootstrapCI(v, { seed: 1 });
      const width = ci.high - ci.low;
      assert.ok(width < prev, `n=${n}: width ${width} !< ${prev}`);
      prev = width;
      if (n >= 160) assert.ok(Math.abs(width / ((2 * 1.96) / Math.sqrt(n)) - 1) < 0.2, `n=${n}: width ${width}`);
    }
  });

  it('gives a zero-width interval for one value or constant values, and takes other statistics and levels', () => {
    assert.deepEqual([bootstrapCI([0.3], { seed: 1 }).low, bootstrapCI([0.3], { seed: 1 }).high], [0.3, 0.3]);
    const c = bootstrapCI([2, 2, 2], { seed: 1 });
    assert.equal(c.low, 2);
    assert.equal(c.high, 2);
    const v = normals(100, 9);
    const median = (s: Float64Array) => {
      const t = Float64Array.from(s).sort();
      return quantileSorted(t, 0.5);
    };
    const m = bootstrapCI(v, { seed: 1, statistic: median });
    assert.ok(Math.abs(m.mean - quantileSorted(Float64Array.from(v).sort(), 0.5)) < 1e-15);
    const wide = bootstrapCI(v, { seed: 1, level: 0.99, resamples: 2000 });
    const narrow = bootstrapCI(v, { seed: 1, level: 0.8, resamples: 2000 });
    assert.ok(wide.high - wide.low > narrow.high - narrow.low);
  });

  it('rejects too few resamples, bad levels and non-finite values, naming the argument', () => {
    assert.throws(() => bootstrapCI([1, 2], { seed: 1, resamples: 999 }), /opts\.resamples must be an integer >= 1000/);
    assert.throws(() => bootstrapCI([1, 2], { seed: 1, level: 1 }), /opts\.level must be in \(0, 1\)/);
    assert.throws(() => bootstrapCI([1, Infinity], { seed: 1 }), /values\[1\] must be a finite number/);
    assert.throws(() => bootstrapCI([], { seed: 1 }), /values must not be empty/);
    assert.throws(() => bootstrapCI([1], { seed: 1.5 }), /opts\.seed must be an integer/);
  });

  it('quantileSorted interpolates linearly like numpy', () => {
    assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
    assert.equal(quantileSorted([1, 2, 3, 4], 0), 1);
    assert.equal(quantileSorted([1, 2, 3, 4], 1), 4);
    assert.ok(Math.abs(quantileSorted([0, 10], 0.025) - 0.25) < 1e-12);
  });
});

describe('pairedBootstrapCI', () => {
  it('estimates mean(a) - mean(b) and keeps the pairing (a constant shift gives a zero-width interval)', () => {
    const a = normals(40, 2, 0.6, 0.2);
    const b = a.map((x) => x - 0.1);
    const ci = pairedBootstrapCI(a, b, { seed: 1 });
    assert.ok(Math.abs(ci.mean - 0.1) < 1e-12);
    assert.ok(Math.abs(ci.low - 0.1) < 1e-12 && Math.abs(ci.high - 0.1) < 1e-12);
    const unpairedWidth = bootstrapCI(a, { seed: 1 }).high - bootstrapCI(a, { seed: 1 }).low;
    assert.ok(unpairedWidth > 0.05);
    assert.throws(() => pairedBootstrapCI(a, b.slice(1), { seed: 1 }), /b has 39 values but a has 40/);
  });
});

describe('meanCI over seeds', () => {
  it('with one seed equals the plain clip bootstrap', () => {
    const v = normals(30, 5);
    const one = meanCI([v], { seed: 7 });
    const plain = bootstrapCI(v, { seed: 7 });
    assert.ok(Math.abs(one.low - plain.low) < 1e-12 && Math.abs(one.high - plain.high) < 1e-12);
    assert.equal(one.seeds, 1);
    assert.equal(one.clips, 30);
  });

  it('carries seed-to-seed spread when resampling seeds, and not when conditioning on them', () => {
    const clips = normals(60, 6, 0, 0.05);
    const values = [-0.2, 0, 0.2].map((offset) => clips.map((x) => x + offset));
    const both = meanCI(values, { seed: 1 });
    const clipsOnly = meanCI(values, { seed: 1, resampleSeeds: false });
    assert.ok(Math.abs(both.mean) < 1e-3 + Math.abs(clips.reduce((s, x) => s + x, 0) / 60));
    assert.ok(both.high - both.low > 0.2, `seed spread should widen the interval: ${both.low}..${both.high}`);
    assert.ok(clipsOnly.high - clipsOnly.low < 0.05, `clips-only interval ${clipsOnly.low}..${clipsOnly.high}`);
    assert.ok(both.low <= both.mean && both.mean <= both.high);
    assert.deepEqual(both.seedMeans.map((m) => Math.round((m - both.seedMeans[1]) * 10) / 10), [-0.2, 0, 0.2]);
  });

  it('requires every seed on the same clips', () => {
    assert.throws(() => meanCI([[1, 2, 3], [1, 2]], { seed: 1 }), /values\[1\] has 2 clips but values\[0\] has 3/);
    assert.throws(() => meanCI([], { seed: 1 }), /values must be a non-empty array/);
  });
});
