import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { coupledMode, modeThreshold, normalQuantile, sampleMode } from '../src/model/mode';
import { UNET_MODEL, UnetConfig } from '../src/model/config';
import { forward, initParams } from '../src/model/network';
import { PretrainConfig, pretrain, pretrainSample, validatePretrainConfig } from '../src/model/pretrain';
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
    const plain = { ...TOY, modeNoise: false };
    const p2 = initParams(plain, 1);
    assert.ok(!('temb.wm' in p2));
    assert.throws(() => forward(plain, p2, { video, cond, t, mode: tf.tensor1d([0, 0]) }), /without modeNoise/);
    tf.dispose([...Object.values(params), ...Object.values(p2), video, cond, t]);
  });

  it('pretraining couples the mode to defective clips (modeShare required), post-training draws it fresh, no tensor leaks', async () => {
    const world = { ...getProfile('smoke').world, pretrainDefects: { ...getProfile('smoke').world.pretrainDefects!, poseShiftRate: 0, mittenRate: 0.5 } };
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
});
