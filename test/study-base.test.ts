/** Shipping a pretrained base (`pretrain --ship`): swapped into data/base/<profile>-<seed>/, never over a user's files. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readCheckpointMeta, saveCheckpoint } from '../src/train/checkpoint';
import { modelHead } from '../src/model/checkpoint';
import { shipBase } from '../src/study/base';
import { openStudy } from '../src/study/study';
import { TINY } from './helpers';

/** A finished pretraining run folder (base checkpoint, samples, log) under a fresh kit root. */
function finishedRun(): { study: ReturnType<typeof openStudy>; info: Parameters<typeof shipBase>[1] } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-ship-'));
  const study = openStudy({ profile: 'smoke', root });
  const runDir = path.join(study.paths.work, 'pretrain');
  const dir = path.join(runDir, 'base');
  const meta = saveCheckpoint(dir, { head: modelHead('base', TINY), step: 4, seed: 1, worldHash: 'w', files: { weights: { w: { shape: [2], data: new Float32Array([1, 2]) } } } });
  fs.mkdirSync(path.join(runDir, 'samples'));
  fs.writeFileSync(path.join(runDir, 'samples', 'step-00004.json'), '{"step":4,"clips":[]}');
  fs.writeFileSync(path.join(runDir, 'log.jsonl'), '{"step":1,"loss":1}\n');
  return { study, info: { dir, meta, source: 'pretrained', runDir } };
}

describe('shipping a base', () => {
  it('copies the checkpoint, samples and log, and replaces an earlier shipped base', () => {
    const { study, info } = finishedRun();
    shipBase(study, info);
    shipBase(study, info);
    const dst = study.paths.shipped;
    assert.equal(readCheckpointMeta(path.join(dst, 'base')).step, 4);
    assert.deepEqual(fs.readdirSync(dst).sort(), ['base', 'log.jsonl', 'samples']);
    assert.deepEqual(fs.readdirSync(path.join(dst, 'samples')), ['step-00004.json']);
  });

  it("never replaces a user's files there (exit-2 UsageError), leaving them as they were", () => {
    const { study, info } = finishedRun();
    const dst = study.paths.shipped;
    fs.mkdirSync(path.join(dst, 'samples'), { recursive: true });
    fs.writeFileSync(path.join(dst, 'samples', 'my-notes.txt'), 'mine');
    assert.throws(() => shipBase(study, info), /samples is not a samples folder written by ipa-kit|holds 'my-notes\.txt', which ipa-kit did not write/);
    assert.equal(fs.readFileSync(path.join(dst, 'samples', 'my-notes.txt'), 'utf8'), 'mine');
    fs.rmSync(path.join(dst, 'samples'), { recursive: true });
    fs.writeFileSync(path.join(dst, 'paper.pdf'), 'mine');
    assert.throws(() => shipBase(study, info), /is not a shipped base folder: it holds 'paper\.pdf'/);
    assert.deepEqual(fs.readdirSync(dst), ['paper.pdf']);
  });
});
