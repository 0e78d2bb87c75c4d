import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { AlignConfig, AlignSample, alignTrain, windowSample } from '../src/align/trainer';
import { UNET_MODEL, UnetConfig } from '../src/model/config';
import { initParams as initAnyParams } from '../src/model/network';
import { OBJECTIVES, Objective, PositiveBatch, Predict } from '../src/align/objectives';
import { flowMatchingLoss } from '../src/flow/losses';
import { handMaskOnGrid } from '../src/align/masks';
import { initParams } from '../src/model/dit';
import { saveCheckpoint, snapshot } from '../src/train/checkpoint';
import { modelHead } from '../src/model/checkpoint';
import { loadModel } from '../src/model/load';
import { readStepLog } from '../src/train/loop';
import { rng } from '../src/core/seeds';
import { TINY, useWasm } from './helpers';

function randomBytes(n: number, seed: number): Uint8Array {
  const r = rng(seed, 'bytes');
  return Uint8Array.from({ length: n }, () => r.int(256));
}

/** Toy positives for the tiny model: random clips with a hand mask in one corner of every frame. */
function toyPositives(n: number): AlignSample[] {
  const S = TINY.height;
  const F = TINY.frames - 1;
  return Array.from({ length: n }, (_, i) => {
    const masks = new Uint8Array(F * S * S * 2);
    for (let f = 0; f < F; f++) for (let y = 0; y < 4; y++) for (let x = 0; x < 4; x++) masks[((f * S + y) * S + x) * 2] = 255;
    return {
      key: `toy-${i}`,
      clip: { ref: randomBytes(S * S * 3, i), refPose: randomBytes(S * S * 3, 100 + i), frames: randomBytes(F * S * S * 3, 200 + i), poses: randomBytes(F * S * S * 3, 300 + i) },
      handMask: handMaskOnGrid(masks, S, { kind: 'patch', size: TINY.patch }),
    };
  });
}

function baseDict() {
  const params = initParams(TINY, 1);
  // Non-zero gates and output so the base predicts something and LoRA gradients flow.
  for (const [n, v] of Object.entries(params)) if (/ada|final/.test(n)) v.assign(tf.tensor(rng(2, n).normals(v.size, 0.05), v.shape));
  const d = snapshot(params);
  tf.dispose(Object.values(params));
  return d;
}

const CONFIG: AlignConfig = {
  method: 'ipa', steps: 6, batch: 2, lr: 5e-3, warmupSteps: 0, minLrFraction: 1, weightDecay: 0, clipNorm: 1,
  beta: 50, handWeight: 10, lora: { rank: 2, alpha: 2 }, maskGrid: { kind: 'patch', size: 4 }, checkpointEvery: 3, timesteps: { kind: 'uniform' },
};

describe('alignment trainer', () => {
  before(useWasm);

  it('IPA raises the gap against the frozen reference; only the LoRA adapters change; the adapter reloads onto its base', async () => {
    const weights = baseDict();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-align-'));
    const baseDir = path.join(out, 'base');
    saveCheckpoint(baseDir, { head: modelHead('base', TINY), step: 0, seed: 1, worldHash: 'toy', files: { weights } });
    const base = loadModel(baseDir);
    const sha = base.baseWeightsSha256;
    tf.dispose(Object.values(base.params));
    const positives = toyPositives(4);
    const res = await alignTrain({ config: { ...CONFIG, steps: 12 }, seed: 3, base: { model: TINY, weights, weightsSha256: sha, worldHash: 'toy' }, positives, pairs: [], outDir: path.join(out, 'ipa'), resume: false });
    assert.ok(res.adapterDir);
    const log = readStepLog(path.join(out, 'ipa'));
    assert.equal(log[0].gap, 0, 'at step 1 the model equals the reference: gap 0');
    assert.ok(Math.abs(log[0].loss - Math.LN2) < 1e-6, `step-1 loss is log 2, got ${log[0].loss}`);
    const late = log.slice(-4).reduce((s, r) => s + (r.gap as number), 0) / 4;
    assert.ok(late > 0, `the gap grows positive on the positives: late mean ${late}`);
    // Loading base + adapter changes the base weights only where LoRA acts (QKV), through the merge.
    const merged = loadModel(baseDir, res.adapterDir);
    const q = merged.params['blocks.0.attn.q.w'].dataSync();
    const fc = merged.params['blocks.0.mlp.fc1.w'].dataSync();
    assert.ok(q.some((v, i) => v !== weights['blocks.0.attn.q.w'].data[i]), 'QKV weights change through the adapter');
    assert.deepEqual(Array.from(fc), Array.from(weights['blocks.0.mlp.fc1.w'].data), 'other weights are untouched');
    tf.dispose(Object.values(merged.params));
    // An adapter on another base is refused.
    const other = baseDict();
    other['embed.b'].data[0] += 1;
    const otherDir = path.join(out, 'other');
    saveCheckpoint(otherDir, { head: modelHead('base', TINY), step: 0, seed: 1, worldHash: 'toy', files: { weights: other } });
    assert.throws(() => loadModel(otherDir, res.adapterDir as string), /trained on another base/);
  });

  it('--resume refuses a checkpoint made with another method, lr, beta, seed, base or positives, naming the fields', async () => {
    const weights = baseDict();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-align-resume-'));
    const baseDir = path.join(out, 'base');
    saveCheckpoint(baseDir, { head: modelHead('base', TINY), step: 0, seed: 1, worldHash: 'toy', files: { weights } });
    const sha = loadModel(baseDir);
    tf.dispose(Object.values(sha.params));
    const positives = toyPositives(4);
    const base = { model: TINY, weights, weightsSha256: sha.baseWeightsSha256, worldHash: 'toy' };
    const run = path.join(out, 'run');
    const first = await alignTrain({ config: { ...CONFIG, method: 'ipa' }, seed: 3, base, positives, pairs: [], outDir: run, resume: false, stopAfter: 3 });
    assert.equal(first.adapterDir, null);
    const resume = (over: Partial<AlignConfig>, seed = 3, b = base, pos = positives) =>
      alignTrain({ config: { ...CONFIG, method: 'ipa', ...over }, seed, base: b, positives: pos, pairs: [], outDir: run, resume: true });
    await assert.rejects(resume({ method: 'sft' }), /was trained with other settings \(method "sft" here, "ipa" in the checkpoint\)/);
    await assert.rejects(resume({ lr: 1e-2 }), /lr 0\.01 here, 0\.005 in the checkpoint/);
    await assert.rejects(resume({ beta: 600, lr: 1e-2 }), /lr 0\.01 here, 0\.005 in the checkpoint; beta 600 here, 50 in the checkpoint/);
    await assert.rejects(resume({}, 4), /seed 4 here, 3 in the checkpoint/);
    await assert.rejects(resume({}, 3, { ...base, weightsSha256: 'f'.repeat(64) }), /base weights ffffffffffff\.\.\. here/);
    await assert.rejects(resume({}, 3, base, positives.slice(1)), /training data \(positives or pairs\) differ/);
    assert.equal(readStepLog(run).length, 3, 'a refused resume leaves the run as it was');
    const same = await resume({});
    assert.equal(same.loop.resumedFrom, 3);
    assert.ok(same.adapterDir);
    // A pipeline job whose inputs changed starts over instead.
    const again = await alignTrain({ config: { ...CONFIG, method: 'ipa', lr: 1e-2 }, seed: 3, base, positives, pairs: [], outDir: run, resume: true, onMismatch: 'restart' });
    assert.equal(again.loop.resumedFrom, 0);
    assert.deepEqual(readStepLog(run).map((r) => r.step), [1, 2, 3, 4, 5, 6]);
    // ... also when its checkpoint cannot be verified (an older format): a plain resume names the file instead.
    const ckpt = path.join(run, 'checkpoint', 'checkpoint.json');
    fs.writeFileSync(ckpt, JSON.stringify({ ...JSON.parse(fs.readFileSync(ckpt, 'utf8')), format: 'ipa-kit-checkpoint/1' }));
    await assert.rejects(resume({ lr: 1e-2 }), /checkpoint\.json: checkpoint format 'ipa-kit-checkpoint\/1' was written by an older kit/);
    const fresh = await alignTrain({ config: { ...CONFIG, method: 'ipa', lr: 1e-2 }, seed: 3, base, positives, pairs: [], outDir: run, resume: true, onMismatch: 'restart' });
    assert.equal(fresh.loop.resumedFrom, 0);
  });

  it('saves adapter snapshots part-way (a curve over steps) without changing the training; rejects steps outside the run', async () => {
    const weights = baseDict();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-align-snap-'));
    const positives = toyPositives(3);
    const base = { model: TINY, weights, weightsSha256: 'x', worldHash: 'toy' };
    const plain = await alignTrain({ config: { ...CONFIG, steps: 4 }, seed: 3, base, positives, pairs: [], outDir: path.join(out, 'plain'), resume: false });
    const snap = await alignTrain({ config: { ...CONFIG, steps: 4 }, seed: 3, base, positives, pairs: [], outDir: path.join(out, 'snap'), resume: false, snapshots: [2, 1] });
    assert.deepEqual(Object.keys(snap.snapshots).map(Number).sort(), [1, 2]);
    const tensors = (dir: string) => fs.readFileSync(path.join(dir, 'weights.bin'));
    assert.deepEqual(tensors(snap.adapterDir as string), tensors(plain.adapterDir as string), 'the final adapter is the same with or without snapshots');
    assert.notDeepEqual(tensors(snap.snapshots[1]), tensors(snap.snapshots[2]), 'step 1 and step 2 differ');
    assert.notDeepEqual(tensors(snap.snapshots[2]), tensors(snap.adapterDir as string), 'step 2 is not the end');
    assert.equal(JSON.parse(fs.readFileSync(path.join(snap.snapshots[2], 'checkpoint.json'), 'utf8')).step, 2);
    await assert.rejects(
      () => alignTrain({ config: { ...CONFIG, steps: 4 }, seed: 3, base, positives, pairs: [], outDir: path.join(out, 'bad'), resume: false, snapshots: [4] }),
      /snapshot step 4 is not in 1\.\.3/,
    );
  });

  it('runs every method, logs the per-step record, and rejects a method without data', async () => {
    const weights = baseDict();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-align-all-'));
    const positives = toyPositives(3);
    const pairs = [{ win: positives[0], lose: positives[1] }];
    for (const method of ['sft', 'sft-halo', 'ipa-halo', 'flow-dpo'] as const) {
      const before = tf.memory().numTensors;
      const res = await alignTrain({ config: { ...CONFIG, method, steps: 2 }, seed: 3, base: { model: TINY, weights, weightsSha256: 'x', worldHash: 'toy' }, positives, pairs, outDir: path.join(out, method), resume: false });
      assert.equal(tf.memory().numTensors, before, `${method} leaks no tensors`);
      const rec = readStepLog(path.join(out, method))[1];
      assert.ok(Number.isFinite(rec.loss) && Number.isFinite(rec.modelError), `${method} logs loss and model error`);
      if (method !== 'sft' && method !== 'sft-halo') for (const k of ['gap', 'referenceError', 'implicitAccuracy']) assert.ok(k in rec, `${method} logs ${k}`);
      assert.ok(res.adapterDir);
    }
    await assert.rejects(() => alignTrain({ config: { ...CONFIG, method: 'flow-dpo' }, seed: 3, base: { model: TINY, weights, weightsSha256: 'x', worldHash: 'toy' }, positives, pairs: [], outDir: path.join(out, 'none'), resume: false }), /no pairs to train/);
  });

  it('takes a new method as one table entry: a toy objective trains through the same trainer', async () => {
    // Twice the SFT loss: at step 1 (same base, batch, noise and t) its loss must be exactly twice SFT's.
    const toy: Objective = {
      summary: 'twice the flow-matching error (test only)',
      data: 'positives',
      reference: false,
      halo: false,
      timeWeight: 'paper',
      loss: (b: PositiveBatch, predict: Predict) => {
        const r = flowMatchingLoss(predict(b, b.t), b.target);
        return { loss: tf.mul(r.loss, 2) as tf.Scalar, metrics: { halfLoss: r.modelError } };
      },
    };
    const table = { ...OBJECTIVES, toy };
    const weights = baseDict();
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-align-toy-'));
    const positives = toyPositives(3);
    const base = { model: TINY, weights, weightsSha256: 'x', worldHash: 'toy' };
    // A first run warms tfjs's one-time caches (the first flowMatchingLoss call keeps 3 tensors for the process's
    // life, whichever test makes it): the second run must leave the tensor count as it found it.
    await alignTrain({ config: { ...CONFIG, method: 'toy', steps: 1 }, seed: 3, base, positives, pairs: [], outDir: path.join(out, 'warm'), resume: false }, table);
    const before = tf.memory().numTensors;
    await alignTrain({ config: { ...CONFIG, method: 'toy', steps: 2 }, seed: 3, base, positives, pairs: [], outDir: path.join(out, 'toy'), resume: false }, table);
    assert.equal(tf.memory().numTensors, before, 'the toy objective leaks no tensors');
    await alignTrain({ config: { ...CONFIG, method: 'sft', steps: 2 }, seed: 3, base, positives, pairs: [], outDir: path.join(out, 'sft'), resume: false });
    const toyLog = readStepLog(path.join(out, 'toy'));
    const sftLog = readStepLog(path.join(out, 'sft'));
    assert.ok(Math.abs(toyLog[0].loss - 2 * sftLog[0].loss) <= 1e-6 * sftLog[0].loss, `toy ${toyLog[0].loss} vs 2 x sft ${sftLog[0].loss}`);
    assert.equal(toyLog[0].halfLoss, sftLog[0].modelError, 'its own metrics are logged');
    // A name the table lacks is a compile error; at run time (e.g. from a JSON profile) it is a clear one.
    await assert.rejects(
      () => alignTrain({ config: { ...CONFIG, method: 'nope' as 'toy', steps: 1 }, seed: 3, base, positives, pairs: [], outDir: path.join(out, 'nope'), resume: false }, table),
      /unknown method 'nope' \(methods: sft, sft-halo, ipa, ipa-halo, ipa-const, flow-dpo, flow-dpo-relaxed, flow-dpo-const, toy\)/,
    );
  });

  it('windowSample cuts a video and its HALO mask to the same frames', () => {
    const S = 2;
    const px = S * S * 3;
    const s: AlignSample = {
      key: 'k',
      clip: { ref: new Uint8Array(px), refPose: new Uint8Array(px), frames: Uint8Array.from({ length: 4 * px }, (_, i) => Math.floor(i / px)), poses: new Uint8Array(4 * px) },
      handMask: Float32Array.from({ length: 4 * S * S }, (_, i) => Math.floor(i / (S * S))),
    };
    const w = windowSample(s, 2, 2);
    assert.deepEqual([...new Set(w.clip.frames)], [2, 3]);
    assert.deepEqual([...w.handMask], [2, 2, 2, 2, 3, 3, 3, 3]);
    assert.equal(w.key, 'k');
  });

  it('post-trains a U-Net on 2-frame windows (the adapter keeps the base model); the DiT refuses windows', async () => {
    const unet: UnetConfig = { ...UNET_MODEL, height: 16, width: 16, frames: 5, levels: [4, 4], embedDim: 8, freqDim: 8, groups: 2, heads: 1 };
    const params = initAnyParams(unet, 1);
    const weights = snapshot(params);
    tf.dispose(Object.values(params));
    const S = 16;
    const F = 4;
    const positives: AlignSample[] = Array.from({ length: 3 }, (_, i) => ({
      key: `u-${i}`,
      clip: { ref: randomBytes(S * S * 3, i), refPose: randomBytes(S * S * 3, 10 + i), frames: randomBytes(F * S * S * 3, 20 + i), poses: randomBytes(F * S * S * 3, 30 + i) },
      handMask: new Float32Array(F * S * S).fill(0.5),
    }));
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-align-win-'));
    const config: AlignConfig = { ...CONFIG, method: 'ipa-halo', steps: 2, maskGrid: { kind: 'pixel' }, clipFrames: 2, checkpointEvery: 2 };
    const base = { model: unet, weights, weightsSha256: 'u', worldHash: 'toy' };
    const before = tf.memory().numTensors;
    const res = await alignTrain({ config, seed: 3, base, positives, pairs: [], outDir: path.join(out, 'u'), resume: false });
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    assert.ok(res.meta);
    assert.equal((res.meta as unknown as { model: UnetConfig }).model.frames, 5);
    assert.ok(Number.isFinite(res.loop.lastRecord?.loss));
    const dit = { model: TINY, weights: baseDict(), weightsSha256: 'd', worldHash: 'toy' };
    await assert.rejects(() => alignTrain({ config: { ...CONFIG, clipFrames: 1, steps: 1 }, seed: 3, base: dit, positives: toyPositives(2), pairs: [], outDir: path.join(out, 'd'), resume: false }), /'clipFrames' needs the U-Net/);
  });
});
