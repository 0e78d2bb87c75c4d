import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { Progress } from '../src/core/progress';

describe('progress bars', () => {
  it('counts resumed units in the bar but not in the rate', () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => { lines.push(s); return true; } } as unknown as NodeJS.WriteStream;
    const quiet = process.env.IPA_QUIET;
    delete process.env.IPA_QUIET;
    try {
      const bar = new Progress({ total: 1000, label: 'train', unit: 'step', stream });
      bar.resumeAt(900);
      bar.finish();
    } finally {
      if (quiet !== undefined) process.env.IPA_QUIET = quiet;
    }
    assert.equal(lines.length, 1);
    assert.match(lines[0], /900\/1000/);
    // No step ran in this run, so the rate must be (near) zero, not 900 steps in a few milliseconds.
    assert.match(lines[0], /\? step\/s/);
  });
});
