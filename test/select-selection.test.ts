import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applyOverride, parseOverride, readOverrideFile, selectPositives, VideoJudgment, verdictOf } from '../src';
import { DataError, UsageError } from '../src/core/errors';
import { evidenceOfInputs } from '../src/select/positives';

function judgment(id: string, verdict: 'good' | 'bad' | 'unjudged', score: number | null): VideoJudgment {
  const marks: VideoJudgment['marks'] = verdict === 'good' ? ['good', 'good'] : verdict === 'bad' ? ['good', 'bad'] : ['unjudged', 'unjudged'];
  assert.equal(verdictOf(marks), verdict);
  return { id, inputId: id.split('/')[0], marks, verdict, judgedFrames: 2, goodFrames: 0, score };
}

const judgments = [
  judgment('a/0', 'good', 0.81),
  judgment('a/1', 'bad', 0.95),
  judgment('b/0', 'good', 0.9),
  judgment('b/1', 'good', 0.85),
  judgment('c/0', 'unjudged', null),
  judgment('c/1', 'good', 0.9),
  judgment('d/0', 'bad', 0.2),
  judgment('d/1', 'bad', 0.3),
];

describe('selectPositives', () => {
  it('keeps only good videos, best first (ties by id), and reports the acceptance rate as it falls', () => {
    const s = selectPositives(judgments);
    assert.deepEqual(s.positives, ['b/0', 'c/1', 'b/1', 'a/0']);
    assert.equal(s.good, 4);
    assert.equal(s.acceptanceRate, 0.5);
    assert.equal(s.capped, false);
    assert.equal(s.maxPositives, null);
  });

  it('caps at K without changing the acceptance rate', () => {
    const s = selectPositives(judgments, { maxPositives: 2 });
    assert.deepEqual(s.positives, ['b/0', 'c/1']);
    assert.equal(s.acceptanceRate, 0.5);
    assert.equal(s.capped, true);
    assert.deepEqual(selectPositives(judgments, { maxPositives: 0 }).positives, []);
    assert.throws(() => selectPositives(judgments, { maxPositives: -1 }), /opts\.maxPositives/);
    assert.throws(() => selectPositives([]), /judgments must be a non-empty array/);
    assert.throws(() => selectPositives([judgments[0], judgments[0]]), /judgments\[1\]\.id 'a\/0' is not unique/);
  });
});

describe('overrides', () => {
  it('include and exclude ids after the cap, re-ranked by score, and record what a person changed', () => {
    const s = applyOverride(selectPositives(judgments, { maxPositives: 2 }), { include: ['a/1', 'c/0'], exclude: ['b/0'] });
    assert.deepEqual(s.positives, ['a/1', 'c/1', 'c/0']);
    assert.deepEqual(s.overrides, { include: ['a/1', 'c/0'], exclude: ['b/0'] });
    assert.equal(s.acceptanceRate, 0.5, 'the judge rate is not changed by a person');
  });

  it('reject unknown and contradictory ids with a message that lists them', () => {
    const s = selectPositives(judgments);
    assert.throws(() => applyOverride(s, { include: ['a/0', 'zz/9'], exclude: ['yy'] }), (e: Error) => e instanceof UsageError && /2 unknown id\(s\): zz\/9, yy \(not among the 8 candidates\)/.test(e.message));
    assert.throws(() => applyOverride(s, { include: ['a/0'], exclude: ['a/0'] }), /both includes and excludes: a\/0/);
  });

  it('parse plain text: bare or + ids include, - ids exclude, # comments, with line numbers in errors', () => {
    const text = '# my picks\na/1\n+ c/0   # looks fine\n\n-b/0\n';
    assert.deepEqual(parseOverride(text), { include: ['a/1', 'c/0'], exclude: ['b/0'] });
    assert.throws(() => parseOverride('a/1\nb/0 c/0\n', 'ids.txt'), /ids\.txt:2: expected one id per line/);
    assert.throws(() => parseOverride('-\n', 'ids.txt'), /ids\.txt:1/);
  });

  it('parse JSON: an array of ids or { include, exclude }, rejecting unknown keys and non-string ids', () => {
    assert.deepEqual(parseOverride('["a/1", "c/0"]'), { include: ['a/1', 'c/0'], exclude: [] });
    assert.deepEqual(parseOverride('{"exclude": ["b/0"]}'), { include: [], exclude: ['b/0'] });
    assert.throws(() => parseOverride('{"includes": []}', 'ids.json'), /ids\.json: unknown key 'includes'/);
    assert.throws(() => parseOverride('{"include": [3]}', 'ids.json'), /ids\.json\.include\[0\] must be a non-empty id/);
    assert.throws(() => parseOverride('[1,', 'ids.json'), /ids\.json: not valid JSON/);
  });

  it('read a file, and name a missing one', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-override-'));
    try {
      const file = path.join(dir, 'ids.txt');
      fs.writeFileSync(file, 'c/0\n-b/0\n');
      const s = applyOverride(selectPositives(judgments), readOverrideFile(file));
      assert.deepEqual(s.positives, ['c/1', 'b/1', 'a/0', 'c/0']);
      assert.throws(() => readOverrideFile(path.join(dir, 'none.txt')), (e: Error) => e instanceof DataError && e.message.includes('none.txt'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('annotation budget', () => {
  it('evidenceOfInputs keeps every candidate of the first n inputs in order of appearance', () => {
    const ev = ['a#0', 'a#1', 'b#0', 'c#0', 'b#1', 'c#1'].map((id) => ({ id, inputId: id.split('#')[0], hands: [] }));
    assert.deepEqual(evidenceOfInputs(ev, 2).map((e) => e.id), ['a#0', 'a#1', 'b#0', 'b#1']);
    assert.equal(evidenceOfInputs(ev, undefined), ev);
    assert.equal(evidenceOfInputs(ev, 9).length, 6);
    assert.throws(() => evidenceOfInputs(ev, 0), /judgedInputs must be a positive integer/);
  });
});
