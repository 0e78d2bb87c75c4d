import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { LoopSpec, readStepLog, runLoop } from '../src/train/loop';
import { readCheckpointMeta, readTensorFile } from '../src/train/checkpoint';
import { rng } from '../src/core/seeds';
import { recordFsyncs, useWasm } from './helpers';

/** A toy regression problem whose batches are drawn from step-keyed streams, like the real trainers. */
function toySpec(outDir: string, vars: Record<string, tf.Variable>, totalSteps: number, resume: boolean, poison = -1, stopAfter?: number): LoopSpec {
  return {
    stopAfter,
    outDir,
    totalSteps,
    checkpointEvery: 2,
    optim: { lr: 0.05, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0.01, clipNorm: 1, warmupSteps: 2, totalSteps, minLrFraction: 0.1 },
    emaDecay: 0.9,
    trainable: vars,
    resume,
    label: 'toy',
    meta: { head: { kind: 'toy' }, seed: 3, worldHash: 'none' },
    stepLoss: (step) => {
      const r = rng(3, 'toy-batch', step);
      const x = tf.tensor(r.normals(16 * 4), [16, 4]);
      const y = tf.sum(tf.mul(x, tf.tensor([1, -2, 0.5, 3])), 1, true);
      const pred = tf.add(tf.matMul(x, vars.w), vars.b);
      const loss = tf.mean(tf.square(tf.sub(pred, y))) as tf.Scalar;
      return { loss: step === poison ? (tf.mul(loss, NaN) as tf.Scalar) : loss, metrics: { predMean: tf.mean(pred) as tf.Scalar } };
    },
  };
}

function freshVars(): Record<string, tf.Variable> {
  return { w: tf.variable(tf.zeros([4, 1])), b: tf.variable(tf.zeros([1])) };
}

function tmp(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ipa-${name}-`));
}

/**
 * A child process for the crash tests: runs the toy loop (IPA_LOOP_CHILD = { dir, total, resume }) and exits;
 * IPA_TEST_CRASH_AT in its environment kills it (SIGKILL) at a crash point.
 */
function runChild(job: { dir: string; total: number; resume: boolean }, crashAt: string): ReturnType<typeof spawnSync> {
  const env: NodeJS.ProcessEnv = { ...process.env, IPA_LOOP_CHILD: JSON.stringify(job), IPA_TEST_CRASH_AT: crashAt, IPA_QUIET: '1' };
  delete env.NODE_TEST_CONTEXT;
  return spawnSync(process.execPath, [__filename], { env, encoding: 'utf8' });
}

if (process.env.IPA_LOOP_CHILD) {
  const job = JSON.parse(process.env.IPA_LOOP_CHILD) as { dir: string; total: number; resume: boolean };
  void useWasm()
    .then(() => runLoop(toySpec(job.dir, freshVars(), job.total, job.resume)))
    .then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`${String(err)}\n`);
        process.exit(3);
      },
    );
} else describe('training loop', () => {
  before(useWasm);

  it('a run stopped and resumed reaches the same weights, optimizer state and EMA as an uninterrupted run', async () => {
    const a = freshVars();
    const dirA = tmp('straight');
    await runLoop(toySpec(dirA, a, 7, false));
    const b = freshVars();
    const dirB = tmp('resumed');
    await runLoop(toySpec(dirB, b, 7, false, -1, 3)); // stopped after step 3 (its last checkpoint; 2 is the regular one)
    const b2 = freshVars(); // a new process: fresh variables, everything from the checkpoint
    const res = await runLoop(toySpec(dirB, b2, 7, true));
    assert.equal(res.resumedFrom, 3);
    assert.deepEqual(Array.from(b2.w.dataSync()), Array.from(a.w.dataSync()));
    assert.deepEqual(Array.from(b2.b.dataSync()), Array.from(a.b.dataSync()));
    for (const f of ['weights', 'optimizer_m', 'optimizer_v', 'ema']) {
      const ma = readTensorFile(path.join(dirA, 'checkpoint'), readCheckpointMeta(path.join(dirA, 'checkpoint')), f);
      const mb = readTensorFile(path.join(dirB, 'checkpoint'), readCheckpointMeta(path.join(dirB, 'checkpoint')), f);
      assert.deepEqual(Array.from(mb.w.data), Array.from(ma.w.data), `${f} differs after resume`);
    }
    assert.deepEqual(readStepLog(dirB).map((r) => r.step), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(readStepLog(dirB).map((r) => r.loss), readStepLog(dirA).map((r) => r.loss));
    // Resumed with nothing left: no step here, yet the timing and the last record come from the log.
    const after = await runLoop(toySpec(dirB, freshVars(), 7, true));
    assert.deepEqual([after.steps, after.resumedFrom], [7, 7]);
    const log = readStepLog(dirB);
    assert.deepEqual(after.lastRecord, log[6]);
    assert.ok(Math.abs(after.secondsPerStep - log.reduce((a, r) => a + r.seconds, 0) / 7) < 1e-12);
  });

  it('an existing checkpoint without resume is an error; the loss falls on the toy problem', async () => {
    const dir = tmp('exists');
    await runLoop(toySpec(dir, freshVars(), 12, false));
    const log = readStepLog(dir);
    assert.ok(log[log.length - 1].loss < log[0].loss / 2, `loss should fall: ${log[0].loss} -> ${log[log.length - 1].loss}`);
    await assert.rejects(() => runLoop(toySpec(dir, freshVars(), 12, false)), /already holds a checkpoint/);
  });

  it('a NaN loss stops the run with a clear message and keeps the last good checkpoint', async () => {
    const dir = tmp('nan');
    const vars = freshVars();
    await assert.rejects(() => runLoop(toySpec(dir, vars, 8, false, 5)), /loss became NaN at step 6.*last good checkpoint \(step 4\)/);
    assert.equal(readCheckpointMeta(path.join(dir, 'checkpoint')).step, 4);
  });

  it('a crash (SIGKILL) between the two renames of a checkpoint swap loses nothing: resume starts from the previous checkpoint, not step 0', async () => {
    const straight = tmp('straight-6');
    const a = freshVars();
    await runLoop(toySpec(straight, a, 6, false));
    const dir = tmp('swap-crash');
    // Checkpoints at steps 2, 4, 6: die in the second swap (step 4), after the step-2 folder was set aside.
    const child = runChild({ dir, total: 6, resume: false }, 'dir-swap:2');
    assert.equal(child.signal, 'SIGKILL', `the child must die at the crash point (status ${child.status}): ${child.stderr}`);
    assert.ok(!fs.existsSync(path.join(dir, 'checkpoint')), 'no checkpoint folder at the moment of the crash');
    const b = freshVars();
    const res = await runLoop(toySpec(dir, b, 6, true));
    assert.equal(res.resumedFrom, 2, 'the step-2 checkpoint was put back');
    assert.deepEqual(Array.from(b.w.dataSync()), Array.from(a.w.dataSync()), 'same weights as an uninterrupted run');
    assert.deepEqual(readStepLog(dir).map((r) => r.loss), readStepLog(straight).map((r) => r.loss), 'same log');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['checkpoint', 'log.jsonl'], 'no old or temporary folder left');
  });

  it('a log that must be trimmed on resume is replaced atomically: a crash during the trim keeps it whole', async () => {
    const dir = tmp('trim');
    await runLoop(toySpec(dir, freshVars(), 6, false, -1, 4)); // checkpoint at step 4, log 1..4
    const file = path.join(dir, 'log.jsonl');
    // As a crash in step 5 leaves it: a record past the checkpoint and a partial line.
    fs.appendFileSync(file, '{"step":5,"loss":1,"lr":0.01,"gradNorm":1,"seconds":0}\n{"step":6,"lo');
    const before = fs.readFileSync(file);
    const child = runChild({ dir, total: 6, resume: true }, 'replace-log.jsonl');
    assert.equal(child.signal, 'SIGKILL', `the child must die at the crash point (status ${child.status}): ${child.stderr}`);
    assert.ok(fs.readFileSync(file).equals(before), 'the log is as it was, not truncated or half-written');
    const inode = fs.statSync(file).ino;
    const res = await runLoop(toySpec(dir, freshVars(), 6, true));
    assert.equal(res.resumedFrom, 4);
    assert.notEqual(fs.statSync(file).ino, inode, 'trimmed by replacing the file, not by rewriting it in place');
    assert.deepEqual(readStepLog(dir).map((r) => r.step), [1, 2, 3, 4, 5, 6]);
    assert.ok(!fs.readdirSync(dir).some((f) => f.endsWith('.tmp')), 'the dead process\'s temporary copy is removed');
    // Nothing to trim: the log is appended to, not rewritten.
    const again = tmp('no-trim');
    await runLoop(toySpec(again, freshVars(), 6, false, -1, 2));
    const ino2 = fs.statSync(path.join(again, 'log.jsonl')).ino;
    await runLoop(toySpec(again, freshVars(), 6, true));
    assert.equal(fs.statSync(path.join(again, 'log.jsonl')).ino, ino2);
  });

  it('fsyncs the log before every checkpoint, so resume never finds a checkpoint ahead of its log', async () => {
    const dir = tmp('fsync-log');
    const synced = await recordFsyncs(() => runLoop(toySpec(dir, freshVars(), 6, false))); // checkpoints at 2, 4, 6
    const log = path.join(dir, 'log.jsonl');
    const order = synced.map((p) => (p === log ? 'log' : p.endsWith('weights.bin') ? 'weights' : '')).filter((x) => x);
    assert.deepEqual(order, ['log', 'weights', 'log', 'weights', 'log', 'weights']);
  });

  it('writes into a run folder only when it holds nothing but the run\'s own entries', async () => {
    const dir = tmp('foreign');
    fs.writeFileSync(path.join(dir, 'thesis.tex'), 'mine');
    await assert.rejects(() => runLoop(toySpec(dir, freshVars(), 2, false)), /is not a toy run folder: it holds 'thesis\.tex'/);
    assert.deepEqual(fs.readdirSync(dir), ['thesis.tex']);
    const notLog = tmp('not-a-log');
    fs.writeFileSync(path.join(notLog, 'log.jsonl'), 'null\n{"step":1}\n');
    await assert.rejects(() => runLoop(toySpec(notLog, freshVars(), 2, false)), /log\.jsonl: line 1 is not a step record/);
    assert.equal(fs.readFileSync(path.join(notLog, 'log.jsonl'), 'utf8'), 'null\n{"step":1}\n');
  });

  it('leaks no tensors over many steps', async () => {
    const vars = freshVars();
    const before = tf.memory().numTensors;
    await runLoop(toySpec(tmp('leak'), vars, 20, false));
    assert.equal(tf.memory().numTensors, before);
  });
});
