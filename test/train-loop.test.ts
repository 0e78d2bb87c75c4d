import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { LoopSpec, readStepLog, runLoop } from '../src/train/loop';
import { readCheckpointMeta, readTensorFile } from '../src/train/checkpoint';
import { rng } from '../src/core/seeds';
import { useWasm } from './helpers';

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

describe('training loop', () => {
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

  it('leaks no tensors over many steps', async () => {
    const vars = freshVars();
    const before = tf.memory().numTensors;
    await runLoop(toySpec(tmp('leak'), vars, 20, false));
    assert.equal(tf.memory().numTensors, before);
  });
});
