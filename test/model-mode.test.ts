import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { coupledMode, modeThreshold, normalQuantile, sampleMode } from '../src/model/mode';
import { UNET_MODEL, UnetConfig } from '../src/model/config';
import { forward, initParams } from '../src/model/network';
import { generate } from '../src/model/sample';
import { PretrainConfig, flowStepLoss, pretrain, pretrainSample, trainingClip, validatePretrainConfig } from '../src/model/pretrain';
import { handMaskBatch } from '../src/model/inputs';
import { readCheckpointMeta, readTensorFile } from '../src/train/checkpoint';
import { alignTrain, AlignConfig, AlignSample } from '../src/align/trainer';
import { getProfile } from '../src/study/profiles';
import { rng } from '../src/core/seeds';
import { useWasm, values } from './helpers';

const TOY: UnetConfig = { ...UNET_MODEL, height: 16, width: 16, frames: 3, levels: [4, 4], embedDim: 8, freqDim: 8, groups: 2, heads: 1, modeNoise: true };

describe('mode noise (model/mode.ts)', () => {
  before(useWasm);

  it('normalQuantile inverts the normal CDF at known points, symmetrically, and refuses p outside (0, 1)', () => {
    assert.equal(normalQuantile(0.5), 0);
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959963985) < 1e-8);
    assert.ok(Math.abs(normalQuantile(0.001) + 3.090232306) < 1e-8);
    assert.ok(Math.abs(normalQuantile(0.3) + normalQuantile(0.7)) < 1e-12);
    assert.throws(() => normalQuantile(0), /p must be in \(0, 1\)/);
    assert.throws(() => modeThreshold(1), /share must be in \(0, 1\)/);
  });

  it('couples defective clips to the top share of the normal and clean ones to the rest; the mixture stays standard normal', () => {
    const share = 0.3;
    const q = modeThreshold(share);
    const r = rng(1, 'mode-test');
    const modes: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const defective = r.uniform() < share;
      const m = coupledMode(r.uniform(), defective, share);
      assert.ok(defective ? m >= q : m < q, `mode ${m}, defective ${defective}, threshold ${q}`);
      modes.push(m);
    }
    const mean = modes.reduce((s, x) => s + x, 0) / modes.length;
    const variance = modes.reduce((s, x) => s + (x - mean) ** 2, 0) / modes.length;
    assert.ok(Math.abs(mean) < 0.03 && Math.abs(variance - 1) < 0.05, `mean ${mean}, variance ${variance}`);
    assert.equal(sampleMode(1, 'val-0#2'), sampleMode(1, 'val-0#2'));
    assert.notEqual(sampleMode(1, 'val-0#2'), sampleMode(1, 'val-0#3'));
  });

  it('a modeNoise U-Net reads the mode through its zero-init weight, and checks that the mode is given', () => {
    const params = initParams(TOY, 1);
    assert.deepEqual(params['temb.wm'].shape, [1, 8]);
    const B = 2;
    const r = rng(2, 'inputs');
    const n = (ch: number) => B * TOY.frames * 16 * 16 * ch;
    const video = tf.tensor(r.normals(n(3)), [B, TOY.frames, 16, 16, 3]);
    const cond = tf.tensor(r.uniforms(n(9), -1, 1), [B, TOY.frames, 16, 16, 9]);
    const t = tf.tensor1d([0.3, 0.7]);
    for (const [k, v] of Object.entries(params)) if (/film|c2|head\.w|temb\.wm/.test(k)) v.assign(tf.tensor(rng(3, k).normals(v.size, 0.3), v.shape));
    const at = (m: number[]) => values(tf.tidy(() => forward(TOY, params, { video, cond, t, mode: tf.tensor1d(m) })));
    const a = at([-1, -1]);
    const b = at([2, -1]);
    const per = a.length / B;
    let d0 = 0;
    let d1 = 0;
    for (let i = 0; i < per; i++) {
      d0 = Math.max(d0, Math.abs(a[i] - b[i]));
      d1 = Math.max(d1, Math.abs(a[per + i] - b[per + i]));
    }
    assert.ok(d0 > 1e-3, 'the first clip\'s mode changes its velocity');
    assert.equal(d1, 0, 'the second clip\'s does not');
    assert.throws(() => forward(TOY, params, { video, cond, t }), /model input 'mode' must be \[2\]/);
    // Sampling: a job's mode defaults to its own stream; a probe's explicit mode replaces it and nothing else.
    const px = (k: number, seed: number) => Uint8Array.from(rng(seed, 'px').uniforms(k, 0, 255), (v) => Math.floor(v));
    const clip = { ref: px(16 * 16 * 3, 1), refPose: px(16 * 16 * 3, 2), poses: px((TOY.frames - 1) * 16 * 16 * 3, 3) };
    const opts = { steps: 2, eta: 0.5, seed: 4, batch: 2 };
    const own = generate(TOY, params, [{ key: 'k', clip }], opts);
    assert.deepEqual(generate(TOY, params, [{ key: 'k', clip, mode: sampleMode(4, 'k') }], opts), own, 'the stream\'s mode, given explicitly, is the default');
    assert.notDeepEqual(generate(TOY, params, [{ key: 'k', clip, mode: sampleMode(4, 'k') + 2 }], opts), own, 'another mode, another video');
    const plain = { ...TOY, modeNoise: false };
    const p2 = initParams(plain, 1);
    assert.ok(!('temb.wm' in p2));
    assert.throws(() => forward(plain, p2, { video, cond, t, mode: tf.tensor1d([0, 0]) }), /without modeNoise/);
    tf.dispose([...Object.values(params), ...Object.values(p2), video, cond, t]);
  });

  it('pretraining couples the mode to defective clips (modeShare required), post-training draws it fresh, no tensor leaks', async () => {
    const world = { ...getProfile('smoke').world, pretrainDefects: { rates: { mitten: 0.5 } } };
    const model: UnetConfig = { ...TOY, height: 64, width: 64, frames: 9 };
    const config: PretrainConfig = {
      // 4 steps: the zero-init chain (c2, then FiLM, then the mode weight) passes a gradient to the mode from step 4 on.
      model, steps: 4, batch: 2, clipFrames: 2, lr: 1e-2, warmupSteps: 1, minLrFraction: 0.1, weightDecay: 0.01, clipNorm: 1,
      emaDecay: 0, checkpointEvery: 4, timesteps: { kind: 'uniform' }, modeShare: 0.5,
    };
    assert.throws(() => validatePretrainConfig({ ...config, modeShare: undefined }), /needs 'modeShare' in \(0, 1\)/);
    assert.throws(() => validatePretrainConfig({ ...config, model: { ...model, modeNoise: false } }), /no modeNoise/);
    const flags = Array.from({ length: 8 }, (_, i) => pretrainSample(1, i, world).defective);
    assert.ok(flags.includes(true) && flags.includes(false), `defect flags ${flags}`);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-mode-'));
    const res = await pretrain({ config, seed: 2, source: (i) => pretrainSample(1, i, world), worldHash: 'stream', outDir: out, resume: false });
    assert.ok(res.baseDir);
    const weights = readTensorFile(res.baseDir as string, readCheckpointMeta(res.baseDir as string), 'weights');
    assert.ok(weights['temb.wm'].data.some((x) => x !== 0), 'the mode weight was trained');
    const S = 64;
    const bytes = (k: number, seed: number) => Uint8Array.from(rng(seed, 'px').uniforms(k, 0, 255), (v) => Math.floor(v));
    const positives: AlignSample[] = Array.from({ length: 2 }, (_, i) => ({
      key: `p-${i}`,
      clip: { ref: bytes(S * S * 3, i), refPose: bytes(S * S * 3, 10 + i), frames: bytes(8 * S * S * 3, 20 + i), poses: bytes(8 * S * S * 3, 30 + i) },
      handMask: new Float32Array(8 * S * S).fill(0.5),
    }));
    const align: AlignConfig = { ...getProfile('smoke').align.defaults, method: 'ipa-halo', steps: 1, batch: 2, clipFrames: 2, checkpointEvery: 1, lora: null };
    const before = tf.memory().numTensors;
    const r = await alignTrain({ config: align, seed: 1, base: { model, weights, weightsSha256: 'm', worldHash: 'w' }, positives, pairs: [], outDir: path.join(out, 'align'), resume: false });
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    assert.ok(Number.isFinite(r.loop.lastRecord?.loss));
  });

  it('a hand-weighted pretraining loss is affine in the weight, counts hand pixels only, and reads the window\'s own masks', () => {
    const world = getProfile('smoke').world;
    const model: UnetConfig = { ...TOY, height: 64, width: 64, frames: 3, modeNoise: false };
    const params = initParams(model, 3);
    const clip = pretrainSample(1, 0, world);
    const win = trainingClip(clip, 5, 0, 2);
    const S = 64;
    const m = handMaskBatch([win], S); // [1, 2, S, S, 1]
    assert.deepEqual(m.shape, [1, 2, S, S, 1]);
    const full = handMaskBatch([clip], S).arraySync() as number[][][][][];
    const start = (win.frames.byteOffset - clip.frames.byteOffset) / (S * S * 3);
    assert.deepEqual(m.arraySync(), [full[0].slice(start, start + 2)], 'the window keeps its own frames\' masks');
    const hand = values(tf.sum(m))[0];
    assert.ok(hand > 0, 'the clip shows hands');
    m.dispose();
    // Trained weights, so the prediction error is not ~0 at zero-init heads.
    for (const v of Object.values(params)) tf.tidy(() => v.assign(tf.add(v, tf.randomNormal(v.shape, 0, 0.05, 'float32', 7))));
    const loss = (w: number | undefined, clips = [win]) => tf.tidy(() => flowStepLoss(model, params, clips, 1, 0, { kind: 'uniform' }, 0, w === undefined ? {} : { handWeight: w }).dataSync()[0]);
    const [l1, l2, l3] = [loss(undefined), loss(2), loss(3)];
    assert.equal(loss(1), l1, 'weight 1 is plain flow matching');
    assert.ok(l2 > l1, `hand pixels add to the loss: ${l1} -> ${l2}`);
    assert.ok(Math.abs(l3 - l2 - (l2 - l1)) < 1e-6 * l3, `affine in the weight: ${l1}, ${l2}, ${l3}`);
    const noHands = { ...win, handMasks: new Uint8Array(win.handMasks!.length) };
    assert.equal(loss(5, [noHands]), loss(undefined, [noHands]), 'no hand pixels, no extra weight');
    assert.throws(() => handMaskBatch([{ ...win, handMasks: undefined }], S), /has no hand masks/);
    const config = getProfile('smoke').pretrain;
    for (const bad of [0, -1, Number.NaN]) assert.throws(() => validatePretrainConfig({ ...config, handWeight: bad }), /'handWeight' must be a finite number > 0/);
    validatePretrainConfig({ ...config, handWeight: 10 });
  });
});
