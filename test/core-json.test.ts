/**
 * JSON shapes and seals: a mismatch is one DataError naming the file and the field; a seal breaks on any edit; every
 * JSON file the kit reads goes through them.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataError, UsageError } from '../src/core/errors';
import { readEvidence, readJudgmentsFile, readPositives } from '../src/select/positives';
import { GENERATIONS_FORMAT, readGenerationsManifest } from '../src/model/generations';
import { SCORES_FORMAT, readScoresFile } from '../src/eval/score';
import { readJobResult } from '../src/study/job-run';
import { readPretrainSamples } from '../src/study/base';
import { readStepLog } from '../src/train/loop';
import { cliInProcess } from './helpers';
import { array, canonicalJson, checkSeal, checkShape, count, nullable, number, object, oneOf, optional, plainName, record, sealed, string } from '../src/core/json';

const SHAPE = object({
  format: string(),
  step: count,
  lr: number({ min: 0, max: 1 }),
  kind: oneOf('base', 'adapter'),
  note: optional(string()),
  tensors: record(array(object({ name: string(), offset: count }))),
  clips: array(object({ id: plainName })),
  loss: nullable(number()),
});

const GOOD = { format: 'f', step: 3, lr: 0.1, kind: 'base', tensors: { 'weights.bin': [{ name: 'a', offset: 0 }] }, clips: [{ id: 'val-00001' }], loss: null };

/** The message of the DataError that checkShape throws for `value`. */
function problem(value: unknown): string {
  try {
    checkShape(value, SHAPE, 'dir/x.json');
  } catch (err) {
    assert.ok(err instanceof DataError, String(err));
    assert.equal((err as Error).message.split('\n').length, 1, 'one line');
    return (err as Error).message;
  }
  return assert.fail('no error');
}

describe('JSON shapes', () => {
  it('accept a value of the shape (extra fields allowed) and return it unchanged', () => {
    const v = { ...GOOD, extra: { anything: [1] } };
    assert.equal(checkShape(v, SHAPE, 'x.json'), v);
  });

  it('name the file and the field of the first mismatch', () => {
    assert.equal(problem(null), 'dir/x.json: the top level must be an object, got null');
    const { tensors: _, ...noTensors } = GOOD;
    assert.equal(problem(noTensors), "dir/x.json: field 'tensors' is missing");
    assert.equal(problem({ ...GOOD, step: -1 }), "dir/x.json: field 'step' must be an integer >= 0, got -1");
    assert.equal(problem({ ...GOOD, step: '3' }), 'dir/x.json: field \'step\' must be an integer >= 0, got "3"');
    assert.equal(problem({ ...GOOD, lr: 2 }), "dir/x.json: field 'lr' must be a finite number >= 0 <= 1, got 2");
    assert.equal(problem({ ...GOOD, kind: 'x' }), 'dir/x.json: field \'kind\' must be "base" or "adapter", got "x"');
    assert.equal(problem({ ...GOOD, note: 5 }), "dir/x.json: field 'note' must be a string, got 5");
    assert.equal(problem({ ...GOOD, tensors: { 'weights.bin': [{ name: 'a', offset: 1.5 }] } }), 'dir/x.json: field \'tensors["weights.bin"][0].offset\' must be an integer >= 0, got 1.5');
    assert.equal(problem({ ...GOOD, tensors: { 'weights.bin': null } }), 'dir/x.json: field \'tensors["weights.bin"]\' must be a list, got null');
    assert.match(problem({ ...GOOD, clips: [{ id: '../../evil' }] }), /^dir\/x\.json: field 'clips\[0\]\.id' must be a plain name .*got "\.\.\/\.\.\/evil"$/);
    assert.match(problem({ ...GOOD, clips: [{ id: 'a/b' }] }), /clips\[0\]\.id/);
    assert.match(problem({ ...GOOD, loss: 'nan' }), /field 'loss' must be a finite number/);
  });
});

describe('JSON seals', () => {
  it('use canonical JSON (key order does not matter) and break on any edited field', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } }), '{"a":{"c":[3,{"e":2,"f":1}],"d":2},"b":1}');
    const doc = sealed({ tensors: { 'weights.bin': [{ name: 'a', offset: 0 }, { name: 'b', offset: 4 }] }, step: 1, sha256: '' }, 'sha256');
    assert.match(doc.sha256, /^[0-9a-f]{64}$/);
    checkSeal(doc as unknown as Record<string, unknown>, 'sha256', 'x.json');
    const reordered = JSON.parse(JSON.stringify({ step: 1, sha256: doc.sha256, tensors: doc.tensors }));
    checkSeal(reordered, 'sha256', 'x.json');
    const shifted = JSON.parse(JSON.stringify(doc));
    shifted.tensors['weights.bin'][1].offset = 5;
    assert.throws(() => checkSeal(shifted, 'sha256', 'x.json'), /^DataError: x\.json is altered/);
    const unsealed = JSON.parse(JSON.stringify(doc));
    delete unsealed.sha256;
    assert.throws(() => checkSeal(unsealed, 'sha256', 'x.json'), /x\.json: field 'sha256' is missing/);
  });
});

describe("the kit's JSON readers", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-json-readers-'));
  /** Write `text` to `name` in a fresh folder; returns the file. */
  const put = (name: string, text: string): string => {
    const d = fs.mkdtempSync(path.join(dir, 'case-'));
    fs.writeFileSync(path.join(d, name), text);
    return path.join(d, name);
  };
  /** The one-line DataError message of `read`. */
  const fails = (read: () => unknown): string => {
    try {
      read();
    } catch (err) {
      assert.ok(err instanceof DataError || err instanceof UsageError, String(err));
      assert.ok(!(err as Error).message.includes('\n'), `one line: ${(err as Error).message}`);
      return (err as Error).message;
    }
    return assert.fail('read without an error');
  };

  const readers: [string, string, (file: string) => unknown, string, RegExp][] = [
    ['positives.json', 'ipa-kit-positives/1', readPositives, '"candidates"', /field 'candidates' is missing/],
    ['generations.json', GENERATIONS_FORMAT, (f) => readGenerationsManifest(path.dirname(f)), '"split"', /field 'split' is missing/],
    ['scores.json', SCORES_FORMAT, readScoresFile, '"split"', /field 'split' is missing/],
  ];
  for (const [name, format, read, , missing] of readers) {
    it(`${name}: null, a missing field, or bad JSON is one line naming the file (and the field)`, () => {
      const nul = put(name, 'null');
      assert.equal(fails(() => read(nul)), `${nul}: the top level must be an object, got null`);
      const part = put(name, JSON.stringify({ format }));
      const msg = fails(() => read(part));
      assert.ok(msg.startsWith(part), msg);
      assert.match(msg, missing);
      const bad = put(name, '{"format":\n');
      assert.match(fails(() => read(bad)), /^not valid JSON: .* \(/);
    });
  }

  it('evidence.json, judgments.json, done.json and pretraining samples are checked the same way', () => {
    const ev = put('evidence.json', JSON.stringify([{ id: 'a#0', inputId: 'a', hands: [[{ ssim: 'x', psnr: 1 }]] }]));
    assert.equal(fails(() => readEvidence(ev)), `${ev}: field '[0].hands[0][0].ssim' must be a finite number, got "x"`);
    const ju = put('judgments.json', JSON.stringify([{ id: 'a#0', inputId: 'a', marks: ['great'], verdict: 'good', judgedFrames: 1, goodFrames: 1, score: null }]));
    assert.match(fails(() => readJudgmentsFile(ju)), /field '\[0\]\.marks\[0\]' must be "good" or "bad" or "unjudged", got "great"/);
    const done = put('done.json', 'null');
    assert.match(fails(() => readJobResult(done)), /done\.json: the top level must be an object, got null/);
    const runDir = fs.mkdtempSync(path.join(dir, 'run-'));
    fs.mkdirSync(path.join(runDir, 'samples'));
    fs.writeFileSync(path.join(runDir, 'samples', 'step-00010.json'), JSON.stringify({ step: 10 }));
    assert.match(fails(() => readPretrainSamples(runDir)), /step-00010\.json: field 'clips' is missing/);
  });

  it('a log line that is not a step record is a one-line error naming the file and the line', () => {
    const runDir = fs.mkdtempSync(path.join(dir, 'log-'));
    fs.writeFileSync(path.join(runDir, 'log.jsonl'), '{"step":1,"loss":1}\nnull\n{"step":3}\n');
    assert.match(fails(() => readStepLog(runDir)), /log\.jsonl: line 2 is not a step record/);
  });

  it("align --positives FILE with null or a missing field: exit 2, one line naming the file and the field (the issue's case)", async () => {
    const base = path.join(__dirname, '..', '..', 'data', 'base', 'paper-1', 'base');
    for (const [text, want] of [['null', /the top level must be an object, got null/], [JSON.stringify({ format: 'ipa-kit-positives/1' }), /field 'candidates' is missing/]] as const) {
      const file = put('positives.json', text);
      const r = await cliInProcess(['align', '--method', 'ipa', '--positives', file, '--base', base, '--out', path.join(dir, 'never')]);
      assert.equal(r.code, 2, r.err);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.ok(r.err.includes(file), r.err);
      assert.match(r.err, want);
    }
  });
});
