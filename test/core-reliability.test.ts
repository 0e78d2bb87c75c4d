/**
 * The kit's reliability guarantees (README, "Reliability"): writes that are really atomic (a failing file system
 * never leaves a cut file under a final name), one writer per folder (a lock naming its holder; a stale one taken
 * over), every environment variable and option checked (exit 2, one line), and stored results that are
 * tamper-evident (an edited done.json is noticed, named, and redone).
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WriteFs, manifestFolder, writeDirAtomic, writeFileAtomic } from '../src/core/files';
import { IoError, UsageError } from '../src/core/errors';
import { MAX_WORKERS, envFused, envWorkers } from '../src/core/env';
import { lockFileOf, lockFolders } from '../src/core/lock';
import { JobResult, currentResult, readJobResult, writeJobResult } from '../src/study/job-run';
import { checkEnvironment } from '../src/cli';
import { isResultsEntry } from '../src/study/reproduce';
import { cliInProcess } from './helpers';
import { COMMANDS } from '../src/commands';

process.env.IPA_QUIET = '1';
const tmp = (label: string) => fs.mkdtempSync(path.join(os.tmpdir(), `ipa-rel-${label}-`));

/** A file system whose Nth write fails with ENOSPC after writing `partial` bytes of it (a disk that fills up). */
function fullDiskAt(n: number, partial: number): WriteFs & { writes: number } {
  const io = {
    writes: 0,
    openSync: (f: string, flags: string) => fs.openSync(f, flags),
    writeSync: (fd: number, data: Uint8Array, offset: number, length: number) => {
      io.writes++;
      if (io.writes === n) {
        if (partial > 0) return fs.writeSync(fd, data, offset, Math.min(partial, length)); // a short write first
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      }
      if (io.writes > n) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return fs.writeSync(fd, data, offset, Math.min(length, 4096)); // 4 KiB per call: many writes per file
    },
    fsyncSync: (fd: number) => fs.fsyncSync(fd),
    closeSync: (fd: number) => fs.closeSync(fd),
    renameSync: (a: string, b: string) => fs.renameSync(a, b),
    rmSync: (f: string, o: { force: boolean }) => fs.rmSync(f, o),
  };
  return io;
}

describe('writes that are really atomic', () => {
  it('a disk that fills on the Nth write never leaves a cut file under the final name, nor a temporary file', () => {
    const dir = tmp('disk');
    const file = path.join(dir, 'figure.svg');
    const old = '<svg>old</svg>';
    fs.writeFileSync(file, old);
    const data = `<svg>${'x'.repeat(100_000)}</svg>`; // 25 writes of 4 KiB
    for (const [n, partial] of [[1, 0], [3, 0], [20, 0], [5, 1000], [25, 7]] as const) {
      assert.throws(() => writeFileAtomic(file, data, fullDiskAt(n, partial)), (e: Error) => e instanceof IoError && e.message.startsWith(`cannot write ${file}: `) && /ENOSPC/.test(e.message), `write ${n}`);
      assert.equal(fs.readFileSync(file, 'utf8'), old, `after a failure at write ${n} the final name holds the old file`);
      assert.deepEqual(fs.readdirSync(dir), ['figure.svg'], `no temporary file is left (write ${n})`);
    }
    // Short writes that make progress are continued: the whole file lands.
    const io = fullDiskAt(1000, 0);
    writeFileAtomic(file, data, io);
    assert.equal(fs.readFileSync(file, 'utf8'), data);
    assert.ok(io.writes >= 25, `written in ${io.writes} calls`);
  });

  it('a write that makes no progress is an error, not a silent cut', () => {
    const dir = tmp('zero');
    const file = path.join(dir, 'a.json');
    const io = { ...fullDiskAt(1000, 0), writeSync: () => 0 };
    assert.throws(() => writeFileAtomic(file, '{"a":1}', io), /cannot write .*a\.json: wrote 0 of 7 bytes/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it('a folder write whose filling fails on the disk names the folder and leaves no temporary folder', () => {
    const parent = tmp('dir');
    const dir = path.join(parent, 'scores');
    const kind = manifestFolder('thing', 'thing.json', 'ipa-kit-thing/1');
    assert.throws(
      () => writeDirAtomic(dir, () => { throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }); }, kind),
      (e: Error) => e instanceof IoError && e.message === `cannot write ${dir}: ENOSPC: no space left on device, write`,
    );
    assert.deepEqual(fs.readdirSync(parent), []);
  });

  it('the CLI reports an I/O error in one line with exit code 1, no stack', async () => {
    const file = path.join(tmp('cli'), 'figure.svg');
    COMMANDS.__io = { summary: 'test only', help: '', run: async () => { writeFileAtomic(file, 'x'.repeat(10_000), fullDiskAt(2, 0)); return 0; } };
    try {
      const r = await cliInProcess(['__io']);
      assert.equal(r.code, 1);
      assert.equal(r.err, `ipa-kit __io: cannot write ${file}: ENOSPC: no space left on device, write\n`);
    } finally {
      delete COMMANDS.__io;
    }
  });
});

describe('one writer per folder', () => {
  it('a second holder is refused with the first one named; the lock is released at the end', async () => {
    const dir = path.join(tmp('lock'), 'results');
    // The first holder: another process that takes the lock and waits.
    const lockJs = path.join(__dirname, '..', 'src', 'core', 'lock.js');
    const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(lockJs)}).lockFolders([${JSON.stringify(dir)}], 'reproduce --profile smoke'); process.stdout.write('held\\n'); setTimeout(() => {}, 20000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      assert.throws(() => lockFolders([dir], 'reproduce'), (e: Error) => e instanceof UsageError && e.message.includes(`process ${child.pid}`) && e.message.includes("'reproduce --profile smoke'") && /started \d{4}-/.test(e.message));
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    // The holder is gone (killed, its lock file left behind): the lock is stale and taken over with a message.
    assert.ok(fs.existsSync(lockFileOf(dir)), 'a killed holder leaves its lock file');
    const notes: string[] = [];
    const release = lockFolders([dir], 'reproduce', (l) => notes.push(l));
    assert.equal(notes.length, 1);
    assert.match(notes[0], new RegExp(`taking over the stale lock of .*results \\(process ${child.pid}, 'reproduce --profile smoke', started .* is gone\\)`));
    // Re-entrant within a process; released by its holder.
    const again = lockFolders([dir], 'reproduce');
    again();
    assert.ok(fs.existsSync(lockFileOf(dir)), 'still held by the outer lock');
    release();
    assert.ok(!fs.existsSync(lockFileOf(dir)), 'released');
    // A nested results folder's lock (results/extended -> results/.extended.ipa-lock) belongs in a results folder.
    assert.equal(path.basename(lockFileOf(path.join('results', 'extended'))), '.extended.ipa-lock');
    assert.ok(isResultsEntry('.extended.ipa-lock') && isResultsEntry('.smoke-seed1.ipa-lock') && !isResultsEntry('.notes'));
  });

  it('reproduce takes the lock of its results folder before any work: a second run exits 2 naming the first', async () => {
    const results = tmp('repro');
    const lockJs = path.join(__dirname, '..', 'src', 'core', 'lock.js');
    const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(lockJs)}).lockFolders([${JSON.stringify(results)}], 'reproduce --profile smoke'); process.stdout.write('held\\n'); setTimeout(() => {}, 20000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      const r = await cliInProcess(['reproduce', '--profile', 'smoke', '--results', results]);
      assert.equal(r.code, 2);
      assert.match(r.err, new RegExp(`^ipa-kit reproduce: .* is in use by another run: process ${child.pid} \\('reproduce --profile smoke', started \\d{4}-.*\\); wait for it to finish, or stop it\\n$`));
      assert.deepEqual(fs.readdirSync(results), [], 'nothing written');
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  });
});

describe('environment variables and options are checked', () => {
  it('IPA_WORKERS is an integer from 1 to the maximum, IPA_FUSED 0 or 1', () => {
    for (const bad of ['0', '-1', '1e9', '2.5', 'two', `${MAX_WORKERS + 1}`]) {
      assert.throws(() => envWorkers({ IPA_WORKERS: bad }), (e: Error) => e instanceof UsageError && e.message === `IPA_WORKERS must be an integer from 1 to ${MAX_WORKERS}, got '${bad}'`);
    }
    assert.equal(envWorkers({ IPA_WORKERS: '2' }), 2);
    assert.equal(envWorkers({}), undefined);
    assert.throws(() => envFused({ IPA_FUSED: 'maybe' }), /IPA_FUSED must be 0 .* or 1 .*, got 'maybe'/);
    assert.equal(envFused({ IPA_FUSED: '0' }), false);
    assert.equal(envFused({}), true);
  });

  it('every command checks IPA_WORKERS, IPA_FUSED, IPA_ENGINE, IPA_BACKEND and IPA_PROFILE: exit 2, one line', () => {
    const bin = path.join(__dirname, '..', '..', 'bin', 'ipa-kit.js');
    const cases: [Record<string, string>, RegExp][] = [
      [{ IPA_WORKERS: '0' }, /IPA_WORKERS must be an integer from 1 to 64, got '0'/],
      [{ IPA_WORKERS: '1e9' }, /IPA_WORKERS must be/],
      [{ IPA_FUSED: 'maybe' }, /IPA_FUSED must be 0/],
      [{ IPA_ENGINE: 'cuda-fast' }, /IPA_ENGINE: unknown engine 'cuda-fast'/],
      [{ IPA_BACKEND: 'tpu' }, /IPA_BACKEND: unknown backend 'tpu'/],
      [{ IPA_PROFILE: 'huge' }, /IPA_PROFILE: unknown profile 'huge'/],
    ];
    for (const [env, want] of cases) {
      assert.throws(() => checkEnvironment(env), want);
    }
    // Through the real binary (built by `npm test`'s build step): exit 2, one line, for `env` and `run` alike.
    if (fs.existsSync(bin)) {
      for (const cmd of [['env'], ['run', 'notebooks/00_world.ipynb']]) {
        const r = spawnSync(process.execPath, [bin, ...cmd], { env: { ...process.env, IPA_WORKERS: '-1' }, encoding: 'utf8' });
        assert.equal(r.status, 2, `${cmd[0]}: ${r.stderr}`);
        assert.equal(r.stderr.trim().split('\n').length, 1);
        assert.match(r.stderr, new RegExp(`^ipa-kit ${cmd[0]}: IPA_WORKERS must be an integer from 1 to 64, got '-1'`));
      }
    }
  });

  it("reproduce --from '' is refused with the profile's notebooks listed", async () => {
    const r = await cliInProcess(['reproduce', '--profile', 'smoke', '--from', '', '--results', tmp('from')]);
    assert.equal(r.code, 2);
    assert.match(r.err, /--from needs a notebook of this profile \(00_world, .*\), got ''/);
  });
});

describe('stored results are tamper-evident', () => {
  const result = (): JobResult => ({
    name: 'ipa.s1', dir: 'ipa.s1', adapterDir: 'ipa.s1/train/adapter', positives: 4, pairs: 0, trainSeconds: 1, secondsPerStep: 0.5, scores: {}, dependsOn: 'abc',
    drift: { '60': { distance: 0.01, good: { gap: 0.1, modelError: 0.2, referenceError: 0.3 }, bad: { gap: -0.1, modelError: 0.2, referenceError: 0.1 }, margin: 0.2 } },
  });


  it('an edited done.json is noticed: named, counted as not done (redone), and its readers name the job to redo', () => {
    const jobs = tmp('done');
    const file = path.join(jobs, 'ipa.s1', 'done.json');
    fs.mkdirSync(path.dirname(file));
    writeJobResult(file, result());
    assert.equal(readJobResult(file).drift?.['60'].margin, 0.2, 'an intact record reads back');
    const lines: string[] = [];
    assert.ok(currentResult(file, 'abc', jobs, (l) => lines.push(l)), 'intact and current: done');
    assert.equal(currentResult(file, 'other', jobs, (l) => lines.push(l)), null, 'other inputs: not done');
    assert.equal(lines.length, 0);
    // The audit's edit: a drift margin set to 0.5.
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"margin": 0.2', '"margin": 0.5'));
    assert.throws(() => readJobResult(file), (e: Error) => e.name === 'DataError' && /done\.json is altered/.test(e.message) && /job ipa\.s1 must run again/.test(e.message));
    assert.equal(currentResult(file, 'abc', jobs, (l) => lines.push(l)), null, 'an altered record counts as not done');
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^job ipa\.s1: .*done\.json is altered: its content does not match its SHA-256 \('sha256'\); running it again$/);
  });
});
