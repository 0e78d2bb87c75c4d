/**
 * Checkpoints are tamper-evident as a whole: checkpoint.json carries its own SHA-256 (so the tensor index is
 * covered, not only the data files), the tensors must tile their file exactly, and a checkpoint.json of the wrong
 * shape is one DataError naming the file and the field (exit 2 from the CLI), never a TypeError.
 */
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataError } from '../src/core/errors';
import { sealed } from '../src/core/json';
import { CHECKPOINT_FORMAT, readCheckpointMeta, readTensorFile, saveCheckpoint } from '../src/train/checkpoint';
import { modelHead, readModelCheckpointMeta } from '../src/model/checkpoint';
import { loadModel } from '../src/model/load';
import { TINY, cliInProcess as cli, useWasm } from './helpers';

process.env.IPA_QUIET = '1';
const ROOT = path.join(__dirname, '..', '..');
const SHIPPED = path.join(ROOT, 'data', 'base', 'paper-1', 'base');
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-ckpt-test-'));

/** A copy of the shipped base checkpoint with checkpoint.json changed by `edit` (re-sealed when `reseal`). */
function tampered(label: string, edit: (meta: Record<string, any>) => unknown, reseal = false): string {
  const dir = path.join(TMP, label);
  fs.cpSync(SHIPPED, dir, { recursive: true });
  const file = path.join(dir, 'checkpoint.json');
  const meta = JSON.parse(fs.readFileSync(file, 'utf8'));
  const changed = edit(meta);
  const out = changed === undefined ? meta : changed;
  fs.writeFileSync(file, JSON.stringify(reseal ? sealed(out as Record<string, unknown>, 'sha256') : out, null, 2));
  return dir;
}

/** The one-line DataError that loading (metadata, then weights) throws. */
function loadError(dir: string): string {
  try {
    readTensorFile(dir, readModelCheckpointMeta(dir), 'weights');
  } catch (err) {
    assert.ok(err instanceof DataError, String(err));
    assert.ok(!(err as Error).message.includes('\n'), 'one line');
    return (err as Error).message;
  }
  return assert.fail(`${dir} loaded`);
}

describe('checkpoint integrity', () => {
  before(useWasm);

  it('the shipped checkpoints are sealed and load', () => {
    for (const d of ['base', 'perception']) {
      const dir = path.join(ROOT, 'data', 'base', 'paper-1', d);
      const meta = readCheckpointMeta(dir);
      assert.equal(meta.format, CHECKPOINT_FORMAT);
      assert.ok(Object.keys(readTensorFile(dir, meta, 'weights')).length > 0);
    }
  });

  it("a shifted tensor offset in checkpoint.json is refused (the issue's case): the index is covered by the seal", async () => {
    const dir = tampered('shifted', (m) => void (m.tensors['weights.bin'][1].offset += 1));
    assert.throws(() => loadModel(dir), /checkpoint\.json is altered: its content does not match its SHA-256/);
    const r = await cli(['sample', '--profile', 'smoke', '--checkpoint', dir, '--split', 'val', '--n', '1', '--out', path.join(TMP, 'shifted-out')]);
    assert.equal(r.code, 2, r.out);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.match(r.err, /shifted\/checkpoint\.json is altered/);
    assert.ok(!fs.existsSync(path.join(TMP, 'shifted-out')), 'nothing sampled');
  });

  it('a re-sealed index must still tile the data file: every offset and shape is bounds-checked', () => {
    assert.match(loadError(tampered('forged-shift', (m) => void (m.tensors['weights.bin'][1].offset += 1), true)), /tensor '.*' of weights\.bin starts at element \d+, expected \d+/);
    assert.match(loadError(tampered('forged-past-end', (m) => {
      const idx = m.tensors['weights.bin'];
      idx[idx.length - 1].shape = [idx[idx.length - 1].shape.reduce((a: number, b: number) => a * b, 1) + 1];
    }, true)), /ends at element \d+, past the file's \d+ elements/);
    assert.match(loadError(tampered('forged-short', (m) => void m.tensors['weights.bin'].pop(), true)), /the tensors of weights\.bin cover \d+ of its \d+ elements/);
    assert.match(loadError(tampered('forged-bytes', (m) => void (m.files['weights.bin'].bytes += 4), true)), /has \d+ bytes, expected \d+: truncated or replaced/);
  });

  it('a checkpoint.json of the wrong shape is one line naming the file and the field', async () => {
    assert.match(loadError(tampered('null', () => null)), /null\/checkpoint\.json: the top level must be an object, got null/);
    assert.match(loadError(tampered('no-tensors', (m) => void delete m.tensors)), /no-tensors\/checkpoint\.json: field 'tensors' is missing/);
    assert.match(loadError(tampered('bad-offset', (m) => void (m.tensors['weights.bin'][0].offset = '0'))), /field 'tensors\["weights\.bin"\]\[0\]\.offset' must be an integer >= 0, got "0"/);
    assert.match(loadError(tampered('bad-model', (m) => void (m.model = { height: 'x' }), true)), /bad-model\/checkpoint\.json: model config: 'height' must be a positive integer/);
    assert.match(loadError(tampered('bad-lora', (m) => void (m.lora = { rank: 'x', alpha: 1 }), true)), /bad-lora\/checkpoint\.json: field 'lora\.rank' must be an integer >= 1, got "x"/);
    assert.match(loadError(tampered('old-format', (m) => void (m.format = 'ipa-kit-checkpoint/1'))), /'ipa-kit-checkpoint\/1' was written by an older kit and does not cover its tensor index/);
    for (const [label, edit, field] of [
      ['cli-null', () => null, /the top level must be an object, got null/],
      ['cli-no-tensors', (m: Record<string, unknown>) => void delete m.tensors, /field 'tensors' is missing/],
    ] as const) {
      const dir = tampered(label, edit);
      const r = await cli(['sample', '--profile', 'smoke', '--checkpoint', dir, '--split', 'val', '--out', path.join(TMP, `${label}-out`)]);
      assert.equal(r.code, 2, r.err);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.ok(r.err.includes(path.join(dir, 'checkpoint.json')), r.err);
      assert.match(r.err, field);
    }
  });

  it('a checkpoint written by the kit round-trips, and its folder is replaced only by another checkpoint', () => {
    const dir = path.join(TMP, 'round-trip');
    const w = { a: { shape: [2, 2], data: new Float32Array([1, 2, 3, 4]) }, b: { shape: [3], data: new Float32Array([5, 6, 7]) } };
    saveCheckpoint(dir, { head: modelHead('base', TINY), step: 2, seed: 1, worldHash: 'w', files: { weights: w } });
    const back = readTensorFile(dir, readCheckpointMeta(dir), 'weights');
    assert.deepEqual(Array.from(back.b.data), [5, 6, 7]);
    saveCheckpoint(dir, { head: modelHead('base', TINY), step: 3, seed: 1, worldHash: 'w', files: { weights: w } });
    assert.equal(readCheckpointMeta(dir).step, 3);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    assert.throws(() => saveCheckpoint(dir, { head: modelHead('base', TINY), step: 4, seed: 1, worldHash: 'w', files: { weights: w } }), /holds 'notes\.txt', which ipa-kit did not write/);
    assert.equal(readCheckpointMeta(dir).step, 3);
  });
});
