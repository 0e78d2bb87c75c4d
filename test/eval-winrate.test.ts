import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { winRate } from '../src';

describe('winRate', () => {
  it('counts wins, ties (within the tolerance) and losses: (wins + 0.5 ties) / n', () => {
    const a = [0.9, 0.8, 0.5, 0.6, 0.70, 0.3];
    const b = [0.5, 0.8, 0.6, 0.2, 0.69, 0.4];
    const exact = winRate(a, b, { seed: 1 });
    assert.deepEqual([exact.wins, exact.ties, exact.losses, exact.n], [3, 1, 2, 6]);
    assert.ok(Math.abs(exact.rate - 3.5 / 6) < 1e-12);
    const tolerant = winRate(a, b, { seed: 1, tieTolerance: 0.02 });
    assert.deepEqual([tolerant.wins, tolerant.ties, tolerant.losses], [2, 2, 2]);
    assert.ok(Math.abs(tolerant.rate - 0.5) < 1e-12);
    assert.ok(exact.low <= exact.rate && exact.rate <= exact.high);
  });

  it('is 1 with a zero-width interval when A always wins, and mirrors when swapped', () => {
    const a = Array.from({ length: 20 }, (_, i) => 0.5 + i / 100);
    const b = a.map((x) => x - 0.1);
    const w = winRate(a, b, { seed: 2 });
    assert.deepEqual([w.rate, w.low, w.high], [1, 1, 1]);
    const l = winRate(b, a, { seed: 2 });
    assert.equal(l.rate, 0);
  });

  it('rejects mismatched or non-finite scores, naming the argument', () => {
    assert.throws(() => winRate([1, 2], [1], { seed: 1 }), /b must have one score per input of a \(2\)/);
    assert.throws(() => winRate([1, NaN], [1, 2], { seed: 1 }), /a\[1\] must be a finite number/);
    assert.throws(() => winRate([1], [1], { seed: 1, tieTolerance: -1 }), /opts\.tieTolerance/);
  });
});
