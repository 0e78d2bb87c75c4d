import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { premiseReport, varianceComponents, Verdict, VideoJudgment } from '../src';
import { HandEvidence } from '../src/select/judge';
import { framePremise } from '../src/select/premise';

const close = (a: number | null, b: number, tol = 1e-12): void => {
  assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} != ${b}`);
};

describe('varianceComponents', () => {
  it('matches the ANOVA worked by hand', () => {
    // groups [1, 3] and [5, 7]: N 4, I 2, mean 4; SS_w = 1+1+1+1 = 4 -> sigma_w^2 = 4 / (4 - 2) = 2;
    // SS_b = 2 (2-4)^2 + 2 (6-4)^2 = 16 -> MS_b = 16; n0 = (4 - 8/4) / 1 = 2 -> sigma_b^2 = (16 - 2) / 2 = 7; share 2/9
    const v = varianceComponents([[1, 3], [5, 7]]);
    assert.equal(v.groups, 2);
    assert.equal(v.n, 4);
    close(v.mean, 4);
    close(v.within, 2);
    close(v.between, 7);
    close(v.withinShare, 2 / 9);
  });

  it('handles unbalanced groups: [0, 2, 4] and [10]', () => {
    // N 4, I 2, mean 4; SS_w = 4 + 0 + 4 = 8 -> sigma_w^2 = 8 / 2 = 4; means 2 and 10: SS_b = 3*4 + 1*36 = 48;
    // n0 = (4 - (9 + 1)/4) / 1 = 1.5 -> sigma_b^2 = (48 - 4) / 1.5 = 29.333...; share 4 / 33.333... = 0.12
    const v = varianceComponents([[0, 2, 4], [10]]);
    close(v.within, 4);
    close(v.between, 44 / 1.5);
    close(v.withinShare, 0.12);
  });

  it('gives 0 when the input decides everything and 1 when the noise does', () => {
    close(varianceComponents([[1, 1], [3, 3]]).withinShare, 0);
    const noise = varianceComponents([[1, 3], [1, 3]]);
    assert.equal(noise.between, 0); // the negative estimate is clamped
    close(noise.withinShare, 1);
    assert.equal(varianceComponents([[2, 2], [2, 2]]).withinShare, null);
  });

  it('rejects too few groups, groups of one and non-finite scores', () => {
    assert.throws(() => varianceComponents([[1, 2]]), /at least 2 non-empty groups/);
    assert.throws(() => varianceComponents([[1], [2]]), /at least 2 scores/);
    assert.throws(() => varianceComponents([[1, NaN], [2, 3]]), /groups\[0\]\[1\]/);
  });
});

function video(id: string, inputId: string, verdict: Verdict, score: number | null): VideoJudgment {
  const marks = verdict === 'unjudged' ? [] : [verdict];
  return { id, inputId, marks, verdict, judgedFrames: marks.length, goodFrames: verdict === 'good' ? 1 : 0, score };
}

describe('premiseReport', () => {
  it('counts inputs with both verdicts, acceptance and the score components', () => {
    const r = premiseReport([
      video('a0', 'a', 'good', 1),
      video('a1', 'a', 'bad', 3),
      video('b0', 'b', 'bad', 5),
      video('b1', 'b', 'bad', 7),
      video('c0', 'c', 'good', null), // unscored: left out of the components
      video('d0', 'd', 'unjudged', null),
      video('d1', 'd', 'good', null),
    ]);
    assert.equal(r.inputs, 4);
    assert.equal(r.candidates, 7);
    assert.equal(r.scored, 4);
    close(r.handScore?.withinShare ?? null, 2 / 9);
    assert.equal(r.inputsJudged, 2); // a and b; c has one candidate, d one judged candidate
    assert.equal(r.inputsWithGoodAndBad, 1);
    close(r.goodAndBadShare, 0.5);
    assert.equal(r.good, 3);
    assert.equal(r.judged, 6);
    close(r.acceptance, 0.5);
  });

  it('reports no components when too few candidates are scored, and rejects duplicate ids', () => {
    assert.equal(premiseReport([video('a0', 'a', 'good', 1), video('b0', 'b', 'bad', 2)]).handScore, null);
    assert.throws(() => premiseReport([video('a0', 'a', 'good', 1), video('a0', 'b', 'bad', 2)]), /not unique/);
  });
});

describe('framePremise', () => {
  const ev = (id: string, inputId: string, frames: (number | null)[]): HandEvidence => ({ id, inputId, hands: frames.map((s) => [s === null ? null : { ssim: s, psnr: 20 }, null]) });

  it('correlation 1 when a candidate is better on every frame, -1 when it alternates; frame-level components', () => {
    const consistent = framePremise([ev('a#0', 'a', [0.6, 0.6]), ev('a#1', 'a', [0.4, 0.4])]);
    assert.ok(Math.abs((consistent.crossFrameCorrelation as number) - 1) < 1e-12);
    // Groups (a, frame 0) and (a, frame 1) are both [0.6, 0.4]: all variance within, none between.
    assert.ok(Math.abs((consistent.frame?.within as number) - 0.02) < 1e-12);
    assert.equal(consistent.frame?.between, 0);
    assert.equal(consistent.frame?.withinShare, 1);
    const alternating = framePremise([ev('a#0', 'a', [0.6, 0.4]), ev('a#1', 'a', [0.4, 0.6])]);
    assert.ok(Math.abs((alternating.crossFrameCorrelation as number) + 1) < 1e-12);
  });

  it('leaves out frames where a candidate shows no hand, and gives null without a usable frame pair', () => {
    // Frame 1 has no hand in a#1: only frames 0 and 2 pair up (deviations +0.1/+0.1 and -0.1/-0.1: correlation 1).
    const r = framePremise([ev('a#0', 'a', [0.6, 0.9, 0.6]), ev('a#1', 'a', [0.4, null, 0.4])]);
    assert.ok(Math.abs((r.crossFrameCorrelation as number) - 1) < 1e-12);
    assert.equal(framePremise([ev('a#0', 'a', [0.6]), ev('a#1', 'a', [0.4])]).crossFrameCorrelation, null);
  });
});
