import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { caseAnalysis, FrameMark, pairCase, videoPattern, VideoJudgment, verdictOf } from '../src';
import { relaxedPairs } from '../src/select/cases';

const G: FrameMark = 'good';
const B: FrameMark = 'bad';
const U: FrameMark = 'unjudged';

function video(id: string, inputId: string, marks: FrameMark[]): VideoJudgment {
  return { id, inputId, marks, verdict: verdictOf(marks), judgedFrames: marks.filter((m) => m !== U).length, goodFrames: marks.filter((m) => m === G).length, score: null };
}

describe('pairCase', () => {
  it('classifies one constructed pair per case', () => {
    assert.equal(pairCase([G, G, G], [G, G, G]), 1);
    assert.equal(pairCase([B, B, B], [B, B, B]), 2);
    assert.equal(pairCase([G, B, G], [B, G, B]), 3); // mixed frame by frame
    assert.equal(pairCase([G, G, G], [B, B, B]), 4);
    assert.equal(pairCase([B, B, B], [G, G, G]), 4);
  });

  it('puts every other judged pair in Case 3: all-good vs mixed, all-bad vs mixed, both mixed', () => {
    assert.equal(pairCase([G, G, G], [G, B, G]), 3);
    assert.equal(pairCase([B, B, B], [G, B, B]), 3);
    assert.equal(pairCase([G, B, B], [G, B, B]), 3);
  });

  it('ignores unjudged frames and sets pairs with an unjudged video apart', () => {
    assert.equal(pairCase([G, U, G], [U, B, B]), 4);
    assert.equal(pairCase([U, G], [G, U]), 1);
    assert.equal(pairCase([U, U], [G, G]), 'unjudged');
    assert.equal(pairCase([U, U], [U, U]), 'unjudged');
    assert.equal(videoPattern([U, U]), 'unjudged');
    assert.equal(videoPattern([U, G, B]), 'mixed');
  });
});

describe('caseAnalysis', () => {
  // input p: 4 candidates -> 6 pairs; input q: 3 candidates -> 3 pairs; input r: 1 candidate -> 0 pairs
  const judgments = [
    video('p0', 'p', [G, G, G]),
    video('p1', 'p', [B, B, B]),
    video('p2', 'p', [G, B, G]),
    video('p3', 'p', [G, U, G]),
    video('q0', 'q', [B, B, U]),
    video('q1', 'q', [U, U, U]),
    video('q2', 'q', [B, B, B]),
    video('r0', 'r', [G, G, G]),
  ];

  it('counts Cases 1-4 over every pair of the same input, with shares of the judged pairs', () => {
    const r = caseAnalysis(judgments, ['p0', 'p3', 'r0']);
    // p: (p0,p1)=4 (p0,p2)=3 (p0,p3)=1 (p1,p2)=3 (p1,p3)=4 (p2,p3)=3; q: (q0,q1)=U (q0,q2)=2 (q1,q2)=U
    assert.equal(r.inputs, 3);
    assert.equal(r.pairs, 9);
    assert.equal(r.unjudgedPairs, 2);
    assert.equal(r.judgedPairs, 7);
    assert.deepEqual(r.counts, { case1: 1, case2: 1, case3: 3, case4: 2 });
    assert.ok(Math.abs(r.shares.case3 - 3 / 7) < 1e-15);
    assert.ok(Math.abs(r.shares.case1 + r.shares.case2 + r.shares.case3 + r.shares.case4 - 1) < 1e-15);
    assert.deepEqual(r.strictPairs, [
      { inputId: 'p', winner: 'p0', loser: 'p1' },
      { inputId: 'p', winner: 'p3', loser: 'p1' },
    ]);
    assert.equal(r.inputsWithStrictPair, 1);
  });

  it('counts positives that belong to at least one strict pair (the paper: 7 of 93)', () => {
    const r = caseAnalysis(judgments, ['p0', 'p3', 'r0']);
    assert.equal(r.positives, 3);
    assert.equal(r.positivesInStrictPairs, 2);
    assert.ok(Math.abs((r.pairableShare as number) - 2 / 3) < 1e-15);
    assert.equal(caseAnalysis(judgments).pairableShare, null);
  });

  it('rejects unknown positives and duplicate ids', () => {
    assert.throws(() => caseAnalysis(judgments, ['zz']), /positives name ids that are not among the judgments: zz/);
    assert.throws(() => caseAnalysis([judgments[0], judgments[0]]), /judgments\[1\]\.id 'p0' is not unique/);
  });
});

describe('relaxedPairs', () => {
  const scored = (id: string, inputId: string, marks: FrameMark[], score: number | null): VideoJudgment => ({ ...video(id, inputId, marks), score });
  it('pairs each input\'s best- with its worst-scored candidate, whatever the verdicts; ties and single candidates make none', () => {
    const js = [
      scored('b1', 'b', [B, G], 0.5), scored('b0', 'b', [B, B], 0.2), scored('b2', 'b', [G, B], 0.4), // mixed best, all-bad worst
      scored('a0', 'a', [B, B], 0.3), scored('a1', 'a', [B, B], 0.6), scored('a2', 'a', [U, U], null), // both bad: still a pair
      scored('c0', 'c', [G, G], 0.4), scored('c1', 'c', [B, B], 0.4), // tie: no pair
      scored('d0', 'd', [G, G], 0.9), // one candidate: none
      scored('e0', 'e', [G, G], 0.7), scored('e1', 'e', [G, G], 0.7), scored('e2', 'e', [B, B], 0.1), // tie for best: first id
    ];
    assert.deepEqual(relaxedPairs(js), [
      { inputId: 'a', winner: 'a1', loser: 'a0' },
      { inputId: 'b', winner: 'b1', loser: 'b0' },
      { inputId: 'e', winner: 'e0', loser: 'e2' },
    ]);
    assert.deepEqual(relaxedPairs([]), []);
  });
});
