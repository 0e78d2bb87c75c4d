/** The tuning choice (report/tuning.ts): best val SSIM-Hand among points that keep full-frame SSIM, else the least loss. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { TuningResult, chooseTuned, tuningVerdicts } from '../src/report/tuning';

const d = (mean: number) => ({ mean, low: mean - 0.01, high: mean + 0.01 });
const pt = (method: string, lr: number, steps: number, hand: number, ssim: number): TuningResult => ({ method, lr, steps, ssimHand: d(hand), psnrHand: d(0), ssim: d(ssim), secondsPerStep: 1 });

describe('tuning choice', () => {
  it('takes the highest SSIM-Hand that keeps full-frame SSIM; ties go to fewer steps, then the lower lr', () => {
    const pts = [
      pt('ipa', 2e-4, 30, 0.10, 0.01),
      pt('ipa', 2e-4, 60, 0.13, 0.01),
      pt('ipa', 6e-4, 30, 0.15, -0.0004), // the best hands, but full-frame SSIM drops: excluded
      pt('ipa', 6e-4, 60, 0.13, 0.02), // ties 2e-4 at 60 steps: the lower lr wins
      pt('sft', 2e-4, 60, 0.12, 0.0),
      pt('sft', 2e-4, 30, 0.12, 0.0), // ties: fewer steps wins
    ];
    const c = chooseTuned(pts);
    assert.deepEqual([c.get('ipa')?.lr, c.get('ipa')?.steps], [2e-4, 60]);
    assert.deepEqual([c.get('sft')?.lr, c.get('sft')?.steps], [2e-4, 30]);
    assert.deepEqual(tuningVerdicts(pts), ['', 'chosen', 'quality', '', '', 'chosen']);
  });

  it('a method whose every point lowers full-frame SSIM gets the least loss, marked as a fallback', () => {
    const pts = [pt('flow-dpo', 2e-5, 30, -0.003, -0.004), pt('flow-dpo', 2e-5, 60, 0.01, -0.008), pt('flow-dpo', 6e-5, 30, -0.1, -0.05)];
    const c = chooseTuned(pts);
    assert.deepEqual([c.get('flow-dpo')?.lr, c.get('flow-dpo')?.steps], [2e-5, 30]);
    assert.deepEqual(tuningVerdicts(pts), ['fallback', 'quality', 'quality']);
    assert.equal(chooseTuned([{ ...pts[0], ssimHand: null, ssim: null }]).size, 0, 'an unscored point is never chosen');
  });
});
