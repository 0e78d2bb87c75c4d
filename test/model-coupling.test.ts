/** Noise coupling (model/coupling.ts): the defect set inside each hand box's noise, standard normal overall, read back exactly. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { rng } from '../src/core/seeds';
import { CouplingShares, coupleNoise, couplingBins, decidedMode, noiseDraws, normalCdf } from '../src/model/coupling';
import { normalQuantile } from '../src/model/mode';
import { DefectModeName } from '../src/world/defects';

const S = 16;
const F = 2;
// Frame 0: left hand box 2..8 x 2..8, right 6..12 x 6..12 (overlapping); frame 1: only the right hand, 1 px (too small).
const BOXES = new Float32Array([2, 2, 8, 8, 6, 6, 12, 12, 0, 0, 0, 0, 3, 3, 4, 4]);
const SHARES: CouplingShares = { mitten: 0.2, 'turned-hand': 0.1 };

describe('noise coupling', () => {
  it('sets the hand boxes\' numbers (defective above the threshold, in the mode\'s bin; clean below), and nothing else', () => {
    const per = (F + 1) * S * S * 3;
    const eps = rng(1, 'test').normals(per);
    const before = Float32Array.from(eps);
    const modes: (DefectModeName | null)[] = ['turned-hand', null, null, 'mitten'];
    coupleNoise(eps, 0, S, F, BOXES, modes, SHARES, rng(2, 'couple'));
    const draws = noiseDraws(eps, 0, S, F, BOXES);
    const { q } = couplingBins(SHARES);
    assert.ok(draws[0]![0] > normalQuantile(1 - q), 'the defective left hand reads above the threshold');
    assert.equal(decidedMode(draws[0]!, SHARES), 'turned-hand');
    assert.ok(draws[1]![0] <= normalQuantile(1 - q), 'the clean right hand reads below it');
    assert.equal(decidedMode(draws[1]!, SHARES), null);
    assert.equal(draws[2], null, 'no hand in view');
    assert.equal(draws[3], null, 'a 1-pixel box is too small to couple');
    // Frame 0 (the reference slot), frame 2 and every pixel outside the boxes are untouched.
    for (let i = 0; i < per; i++) {
      const f = Math.floor(i / (S * S * 3));
      const p = Math.floor((i % (S * S * 3)) / 3);
      const [x, y] = [p % S, Math.floor(p / S)];
      const inBox = f === 1 && ((x >= 2 && x < 8 && y >= 2 && y < 8) || (x >= 6 && x < 12 && y >= 6 && y < 12));
      if (!inBox) assert.equal(eps[i], before[i], `element ${i} (frame ${f}, pixel ${x}, ${y}) changed`);
    }
    // The clean hand's b (which mode) is left as it was.
    assert.ok(Math.abs(noiseDraws(before, 0, S, F, BOXES)[1]![1] - draws[1]![1]) < 1e-5);
  });

  it('keeps the noise standard normal when the defects come at their shares', () => {
    const per = (F + 1) * S * S * 3;
    const a: number[] = [];
    const b: number[] = [];
    const counts: Record<string, number> = {};
    const n = 3000;
    for (let i = 0; i < n; i++) {
      const eps = rng(3, 'noise', i).normals(per);
      const u = rng(3, 'defect', i).uniform();
      const m: DefectModeName | null = u < 0.2 ? 'mitten' : u < 0.3 ? 'turned-hand' : null;
      coupleNoise(eps, 0, S, F, BOXES, [m, null, null, null], SHARES, rng(3, 'couple', i));
      const d = noiseDraws(eps, 0, S, F, BOXES)[0]!;
      a.push(d[0]);
      b.push(d[1]);
      const got = decidedMode(d, SHARES) ?? 'clean';
      assert.equal(got, m ?? 'clean');
      counts[got] = (counts[got] ?? 0) + 1;
    }
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const variance = (xs: number[]) => mean(xs.map((x) => (x - mean(xs)) ** 2));
    for (const [name, xs] of [['a', a], ['b', b]] as const) {
      assert.ok(Math.abs(mean(xs)) < 0.06, `${name} mean ${mean(xs)}`);
      assert.ok(Math.abs(variance(xs) - 1) < 0.08, `${name} variance ${variance(xs)}`);
    }
    // Kolmogorov-Smirnov distance of a to the standard normal.
    const sorted = [...a].sort((x, y) => x - y);
    const ks = Math.max(...sorted.map((x, i) => Math.max(Math.abs(normalCdf(x) - i / n), Math.abs(normalCdf(x) - (i + 1) / n))));
    assert.ok(ks < 0.03, `KS distance ${ks}`);
  });

  it('rejects shares that do not sum inside (0, 1) and an active mode without a share', () => {
    assert.throws(() => couplingBins({}), /sum to a value in \(0, 1\)/);
    assert.throws(() => couplingBins({ mitten: 0.7, ghost: 0.5 }), /sum to a value in \(0, 1\)/);
    const eps = new Float32Array((F + 1) * S * S * 3);
    assert.throws(() => coupleNoise(eps, 0, S, F, BOXES, ['ghost', null, null, null], SHARES, rng(1, 'x')), /'ghost' is active but has no share/);
    assert.ok(Math.abs(normalCdf(normalQuantile(0.975)) - 0.975) < 1e-6);
  });
});
