/**
 * Folder writes: writeDirAtomic replaces only a folder of its kind that the kit wrote; a crash between the two
 * renames of the swap (a real SIGKILL at the crash point) is undone on the next start; what a swap moves into
 * place is fsynced first.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { assertOnlyEntries, manifestFolder, readJson, recoverDir, writeDirAtomic, writeFileAtomic } from '../src/core/files';
import { UsageError } from '../src/core/errors';
import { saveCheckpoint } from '../src/train/checkpoint';
import { modelHead } from '../src/model/checkpoint';
import { TINY, cliInProcess, recordFsyncs } from './helpers';

process.env.IPA_QUIET = '1';
const KIND = manifestFolder('thing', 'thing.json', 'ipa-kit-thing/1');
const FILES_JS = path.join(__dirname, '..', 'src', 'core', 'files.js');

function tmp(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ipa-files-${label}-`));
}

/** Write a kit folder of KIND holding `data.bin` with `text`. */
function writeThing(dir: string, text: string): void {
  writeDirAtomic(dir, (t) => {
    fs.writeFileSync(path.join(t, 'data.bin'), text);
    fs.writeFileSync(path.join(t, 'thing.json'), JSON.stringify({ format: 'ipa-kit-thing/1', files: { 'data.bin': {} } }));
  }, KIND);
}

describe('writeDirAtomic: only folders the kit wrote are replaced', () => {
  it('creates a new folder, and replaces a folder of its kind that the kit wrote', () => {
    const dir = path.join(tmp('own'), 'thing');
    writeThing(dir, 'one');
    writeThing(dir, 'two');
    assert.equal(fs.readFileSync(path.join(dir, 'data.bin'), 'utf8'), 'two');
    assert.deepEqual(fs.readdirSync(path.dirname(dir)), ['thing'], 'no temporary or old folder left beside it');
  });

  const refused: [string, (dir: string) => void, RegExp][] = [
    ['a folder without the marker', (d) => fs.writeFileSync(path.join(d, 'precious.txt'), 'keep'), /not a thing folder written by ipa-kit \(no readable thing\.json\)/],
    ['a marker without the kit format', (d) => (fs.writeFileSync(path.join(d, 'thing.json'), '{}'), fs.writeFileSync(path.join(d, 'precious.txt'), 'keep')), /lacks the kit's format marker/],
    ['a kit folder with a file the kit did not write', (d) => (writeThing(d, 'x'), fs.writeFileSync(path.join(d, 'precious.txt'), 'keep')), /holds 'precious\.txt', which ipa-kit did not write/],
  ];
  for (const [what, make, pattern] of refused) {
    it(`refuses ${what}, leaving it untouched (UsageError, one line)`, () => {
      const dir = path.join(tmp('refuse'), 'victim');
      fs.mkdirSync(dir);
      make(dir);
      const before = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
      assert.throws(() => writeThing(dir, 'new'), (err: Error) => err instanceof UsageError && pattern.test(err.message) && !err.message.includes('\n'));
      assert.deepEqual(Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')])), before);
    });
  }

  it('refuses a path that is a file or lies under one, in one line', () => {
    const file = path.join(tmp('file'), 'f');
    fs.writeFileSync(file, 'x');
    assert.throws(() => writeThing(file, 'new'), /exists and is not a folder/);
    assert.throws(() => writeThing(path.join(file, 'sub'), 'new'), /cannot write .*\(ENOTDIR\)/);
    assert.throws(() => assertOnlyEntries(file, () => true, 'run'), /exists and is not a folder/);
  });

  it('assertOnlyEntries accepts a folder of the allowed names (and temporary files) and names a foreign one', () => {
    const dir = tmp('entries');
    fs.writeFileSync(path.join(dir, 'log.jsonl'), '');
    fs.writeFileSync(path.join(dir, 'log.jsonl.123.abcdef01.tmp'), '');
    assertOnlyEntries(dir, (n) => n === 'log.jsonl', 'run');
    assertOnlyEntries(path.join(dir, 'missing'), () => false, 'run');
    fs.writeFileSync(path.join(dir, 'notes.md'), '');
    assert.throws(() => assertOnlyEntries(dir, (n) => n === 'log.jsonl', 'run'), /is not a run folder: it holds 'notes\.md'/);
  });
});

describe('writeDirAtomic: crash safety', () => {
  it('a crash (SIGKILL) between the two renames of the swap is undone on the next start: the old folder is back, complete', () => {
    const dir = path.join(tmp('crash'), 'thing');
    writeThing(dir, 'old');
    const child = spawnSync(process.execPath, ['-e', `
      const fs = require('fs'), path = require('path');
      const f = require(${JSON.stringify(FILES_JS)});
      const kind = f.manifestFolder('thing', 'thing.json', 'ipa-kit-thing/1');
      f.writeDirAtomic(${JSON.stringify(dir)}, (t) => {
        fs.writeFileSync(path.join(t, 'data.bin'), 'new');
        fs.writeFileSync(path.join(t, 'thing.json'), JSON.stringify({ format: 'ipa-kit-thing/1', files: { 'data.bin': {} } }));
      }, kind);
    `], { env: { ...process.env, IPA_TEST_CRASH_AT: 'dir-swap' }, encoding: 'utf8' });
    assert.equal(child.signal, 'SIGKILL', `the child must die at the crash point (status ${child.status}, ${child.stderr})`);
    assert.ok(!fs.existsSync(dir), 'the crash came after the old folder was set aside and before the new one was in place');
    recoverDir(dir); // what every reader and writer does first
    assert.equal(fs.readFileSync(path.join(dir, 'data.bin'), 'utf8'), 'old');
    assert.deepEqual(fs.readdirSync(path.dirname(dir)), ['thing'], 'the dead process\'s temporary folder is removed too');
    writeThing(dir, 'again');
    assert.equal(fs.readFileSync(path.join(dir, 'data.bin'), 'utf8'), 'again');
  });

  it('a crash after the swap (old folder still beside the new one) keeps the new folder', () => {
    const dir = path.join(tmp('after'), 'thing');
    writeThing(dir, 'new');
    fs.mkdirSync(path.join(path.dirname(dir), '.thing.old'));
    recoverDir(dir);
    assert.equal(fs.readFileSync(path.join(dir, 'data.bin'), 'utf8'), 'new');
    assert.deepEqual(fs.readdirSync(path.dirname(dir)), ['thing']);
  });

  it('fsyncs the files and the folder it moves into place, and the parent folder after the rename', async () => {
    const parent = tmp('fsync');
    const dir = path.join(parent, 'ckpt');
    const synced = await recordFsyncs(() =>
      saveCheckpoint(dir, { head: modelHead('base', TINY), step: 1, seed: 1, worldHash: 'w', files: { weights: { w: { shape: [2], data: new Float32Array([1, 2]) } } } }),
    );
    assert.ok(synced.some((p) => p.endsWith(`${path.sep}weights.bin`) && p.includes('.ckpt.')), `weights.bin fsynced before the swap: ${synced.join(', ')}`);
    assert.ok(synced.some((p) => /\.ckpt\.\d+\.[0-9a-f]{8}\.tmp$/.test(p)), 'the new folder itself fsynced');
    assert.equal(synced[synced.length - 1], parent, 'the parent folder fsynced after the rename');
  });
});

describe('writeFileAtomic', () => {
  it('a crash before its rename leaves the old file whole', () => {
    const dir = tmp('file-crash');
    const file = path.join(dir, 'log.jsonl');
    writeFileAtomic(file, '{"step":1}\n{"step":2}\n');
    const child = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(FILES_JS)}).writeFileAtomic(${JSON.stringify(file)}, '')`], {
      env: { ...process.env, IPA_TEST_CRASH_AT: 'replace-log.jsonl' },
    });
    assert.equal(child.signal, 'SIGKILL');
    assert.equal(fs.readFileSync(file, 'utf8'), '{"step":1}\n{"step":2}\n');
  });

  it('readJson puts a parse error on one line', () => {
    const file = path.join(tmp('json'), 'x.json');
    fs.writeFileSync(file, 'hello\nworld\n');
    assert.throws(() => readJson(file), (err: Error) => /^not valid JSON: .*x\.json \(/.test(err.message) && !err.message.includes('\n'));
  });
});

describe('commands that write a folder', () => {
  const base = path.join(__dirname, '..', '..', 'data', 'base', 'paper-1', 'base');
  /** A folder of a user's files. */
  const victim = (): string => {
    const dir = tmp('victim');
    fs.writeFileSync(path.join(dir, 'manifest.json'), '{}\n');
    fs.writeFileSync(path.join(dir, 'precious.txt'), 'precious\n');
    return dir;
  };
  for (const [what, args] of [
    ['sample --out', (d: string) => ['sample', '--profile', 'smoke', '--checkpoint', base, '--split', 'val', '--n', '1', '--steps', '1', '--out', d]],
    ['evaluate --out', (d: string) => ['evaluate', '--profile', 'smoke', '--checkpoint', base, '--split', 'val', '--no-detector', '--workers', '1', '--out', d]],
  ] as const) {
    it(`${what} a folder of someone else's files: exit 2, one line, the folder untouched`, async () => {
      const dir = victim();
      const r = await cliInProcess(args(dir));
      assert.equal(r.code, 2, r.err);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.match(r.err, /which ipa-kit did not write|not a generations folder written by ipa-kit/);
      assert.deepEqual(fs.readdirSync(dir).sort(), ['manifest.json', 'precious.txt']);
    });
  }
});
