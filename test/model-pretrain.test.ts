import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pretrain, PretrainConfig, pretrainSample, trainingClip, trainingModel, validatePretrainConfig } from '../src/model/pretrain';
import { frameWindow } from '../src/model/inputs';
import { readCheckpointMeta, readTensorFile } from '../src/train/checkpoint';
import { ModelConfig, UNET_MODEL } from '../src/model/config';
import { makePretrainClip } from '../src/world/defects';
import { getProfile } from '../src/study/profiles';
import { useWasm } from './helpers';

const SMALL: ModelConfig = { height: 64, width: 64, channels: 3, frames: 9, condChannels: 6, patch: 16, dim: 16, depth: 1, heads: 1, mlpRatio: 2, freqDim: 8 };
const CONFIG: PretrainConfig = {
  model: SMALL, steps: 3, batch: 4, lr: 1e-3, warmupSteps: 1, minLrFraction: 0.1, weightDecay: 0.01, clipNorm: 1,
  emaDecay: 0.9, checkpointEvery: 3, timesteps: { kind: 'logit-normal', mean: 0.8, std: 0.8 },
};

describe('pretraining', () => {
  before(useWasm);

  it('data-parallel on 2 worker threads matches the single-thread run (per-sample noise streams)', async () => {
    const world = getProfile('smoke').world;
    const stream = { worldSeed: 1, world };
    const run = async (workers: number) => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), `ipa-pre-${workers}-`));
      const res = await pretrain({ config: CONFIG, seed: 2, source: (i) => makePretrainClip(1, i, world).clip, worldHash: 'stream', outDir: out, resume: false, workers, stream });
      assert.ok(res.baseDir);
      return readTensorFile(res.baseDir as string, readCheckpointMeta(res.baseDir as string), 'weights');
    };
    const one = await run(1);
    const two = await run(2);
    for (const n of Object.keys(one)) {
      const a = one[n].data;
      const b = two[n].data;
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 + 1e-4 * Math.abs(a[i]), `${n}[${i}]: ${a[i]} vs ${b[i]}`);
    }
  });

  it('pretrains a U-Net on 2-frame windows, the same on 2 workers as on one (windows drawn per clip index)', async () => {
    const world = getProfile('smoke').world;
    const stream = { worldSeed: 1, world };
    const model: ModelConfig = { ...UNET_MODEL, levels: [4, 4], embedDim: 8, freqDim: 8, groups: 2, heads: 1 };
    const config: PretrainConfig = { ...CONFIG, model, steps: 2, batch: 2, clipFrames: 2, checkpointEvery: 2 };
    const run = async (workers: number) => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), `ipa-win-${workers}-`));
      const res = await pretrain({ config, seed: 2, source: (i) => makePretrainClip(1, i, world).clip, worldHash: 'stream', outDir: out, resume: false, workers, stream });
      assert.ok(res.baseDir);
      const meta = readCheckpointMeta(res.baseDir as string);
      assert.equal((meta as unknown as { model: ModelConfig }).model.frames, 9, 'the base keeps the model\'s full frame count');
      return readTensorFile(res.baseDir as string, meta, 'weights');
    };
    const one = await run(1);
    const two = await run(2);
    let moved = 0;
    for (const n of Object.keys(one)) {
      const a = one[n].data;
      const b = two[n].data;
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 + 1e-4 * Math.abs(a[i]), `${n}[${i}]: ${a[i]} vs ${b[i]}`);
      if (n === 'head.w') moved = a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
    }
    assert.ok(moved > 0, 'the zero-init head was trained');
  });

  it("the onnx engine: the tfjs run's weights after 3 U-Net steps, the same numbers twice, and a resume that continues bit for bit", async () => {
    const world = getProfile('smoke').world;
    const model: ModelConfig = { ...UNET_MODEL, height: 64, width: 64, levels: [4, 8], embedDim: 8, freqDim: 8, groups: 2, heads: 1, modeNoise: true };
    const config: PretrainConfig = { ...CONFIG, model, steps: 3, batch: 2, clipFrames: 2, checkpointEvery: 1, modeShare: 0.5, handWeight: 10 };
    const source = (i: number) => pretrainSample(1, i, world);
    const run = async (engine: 'tfjs' | 'onnx', stops: number[] = []) => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), `ipa-eng-${engine}-`));
      for (const stopAfter of stops) await pretrain({ config, seed: 2, source, worldHash: 'stream', outDir: out, resume: true, engine, stopAfter });
      const res = await pretrain({ config, seed: 2, source, worldHash: 'stream', outDir: out, resume: true, engine });
      assert.ok(res.baseDir);
      const meta = readCheckpointMeta(res.baseDir as string);
      assert.equal((meta.info as { engine?: string }).engine, engine, 'the checkpoint names its engine');
      const log = fs.readFileSync(path.join(out, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss: number });
      return { weights: readTensorFile(res.baseDir as string, meta, 'weights'), loss: log.map((r) => r.loss), out };
    };
    const tfjs = await run('tfjs');
    const onnx = await run('onnx');
    const again = await run('onnx');
    const resumed = await run('onnx', [1, 2]);
    // float32 means over ~10^5 elements summed in another order: 1.5e-5 relative measured on the close-up smoke clips.
    tfjs.loss.forEach((l, i) => assert.ok(Math.abs(l - onnx.loss[i]) <= 5e-5 * Math.abs(l), `step ${i + 1} loss: tfjs ${l}, onnx ${onnx.loss[i]}`));
    for (const n of Object.keys(tfjs.weights)) {
      const a = tfjs.weights[n].data;
      const b = onnx.weights[n].data;
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 + 1e-4 * Math.abs(a[i]), `${n}[${i}]: tfjs ${a[i]} vs onnx ${b[i]}`);
      assert.deepEqual(again.weights[n].data, b, `${n}: the same seed, engine and threads give the same numbers`);
      assert.deepEqual(resumed.weights[n].data, b, `${n}: stopped after steps 1 and 2 and resumed, bit for bit`);
    }
    await assert.rejects(pretrain({ config: { ...config, steps: 4 }, seed: 2, source, worldHash: 'stream', outDir: onnx.out, resume: true, engine: 'tfjs' }), /engine tfjs here, onnx in the checkpoint/);
  });
});

describe('frame windows of pretraining clips', () => {
  const S = 2;
  const px = S * S * 3;
  const clip = {
    ref: new Uint8Array(px).fill(200),
    refPose: new Uint8Array(px).fill(201),
    frames: Uint8Array.from({ length: 4 * px }, (_, i) => Math.floor(i / px)), // frame f holds the value f
    poses: Uint8Array.from({ length: 4 * px }, (_, i) => 10 + Math.floor(i / px)),
  };

  it('fine-tunes from given weights on later stream clips (2 workers as on one); a resume from other weights is refused', async () => {
    const world = getProfile('smoke').world;
    const stream = { worldSeed: 1, world };
    const source = (i: number) => makePretrainClip(1, i, world).clip;
    const first = await pretrain({ config: CONFIG, seed: 2, source, worldHash: 'stream', outDir: fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-ft0-')), resume: false });
    const weights = readTensorFile(first.baseDir as string, readCheckpointMeta(first.baseDir as string), 'weights');
    const config: PretrainConfig = { ...CONFIG, steps: 1, lr: 1e-9, warmupSteps: 0, emaDecay: 0, checkpointEvery: 1 };
    const init = { weights, sha256: 'w1', streamOffset: 12 };
    const tune = async (workers: number, dir = fs.mkdtempSync(path.join(os.tmpdir(), `ipa-ft-${workers}-`))) => {
      const res = await pretrain({ config, seed: 2, source, worldHash: 'stream', outDir: dir, resume: true, workers, stream, init });
      return { dir, meta: readCheckpointMeta(res.baseDir as string), w: readTensorFile(res.baseDir as string, readCheckpointMeta(res.baseDir as string), 'weights') };
    };
    const one = await tune(1);
    const two = await tune(2);
    for (const n of Object.keys(weights)) {
      for (let i = 0; i < weights[n].data.length; i++) {
        assert.ok(Math.abs(one.w[n].data[i] - weights[n].data[i]) < 1e-6, `${n}: a 1e-9 step stays at the given weights`);
        assert.ok(Math.abs(one.w[n].data[i] - two.w[n].data[i]) <= 1e-7, `${n}: 2 workers as one`);
      }
    }
    assert.equal(one.meta.info?.init, 'w1');
    assert.equal(one.meta.info?.streamOffset, 12);
    // The run folder's checkpoint came from w1; resuming it from other weights is refused with the reason.
    await assert.rejects(
      pretrain({ config: { ...config, steps: 2 }, seed: 2, source, worldHash: 'stream', outDir: one.dir, resume: true, init: { ...init, sha256: 'w2' } }),
      /initial weights w2 here, w1 in the checkpoint/,
    );
  });

  it('frameWindow keeps the reference and cuts frames start..start+n-1; rejects windows outside the clip', () => {
    const w = frameWindow(clip, 1, 2);
    assert.deepEqual([...new Set(w.frames)], [1, 2]);
    assert.deepEqual([...new Set(w.poses)], [11, 12]);
    assert.equal(w.ref, clip.ref);
    assert.equal(w.refPose, clip.refPose);
    assert.throws(() => frameWindow(clip, 3, 2), /frames 3\.\.4 are not inside a clip of 4 frames/);
    assert.throws(() => frameWindow(clip, 0, 0), /not inside/);
  });

  it('trainingClip draws every valid start, the same for the same (seed, index), and leaves whole clips alone', () => {
    assert.equal(trainingClip(clip, 1, 0, undefined), clip);
    const starts = Array.from({ length: 200 }, (_, i) => trainingClip(clip, 1, i, 2).frames[0]);
    assert.deepEqual([...new Set(starts)].sort(), [0, 1, 2]);
    assert.deepEqual(Array.from({ length: 200 }, (_, i) => trainingClip(clip, 1, i, 2).frames[0]), starts);
    const other = Array.from({ length: 200 }, (_, i) => trainingClip(clip, 2, i, 2).frames[0]);
    assert.notDeepEqual(other, starts, 'another seed draws other windows');
  });

  it('clipFrames needs the U-Net and a length inside its frames; trainingModel sets the frame count', () => {
    assert.throws(() => validatePretrainConfig({ ...CONFIG, clipFrames: 2 }), /'clipFrames' needs the U-Net/);
    const unet = { ...CONFIG, model: UNET_MODEL };
    assert.throws(() => validatePretrainConfig({ ...unet, clipFrames: 9 }), /'clipFrames' must be an integer in \[1, 8\]/);
    assert.throws(() => validatePretrainConfig({ ...unet, clipFrames: 1.5 }), /'clipFrames' must be/);
    validatePretrainConfig({ ...unet, clipFrames: 2 });
    assert.equal(trainingModel({ ...unet, clipFrames: 2 }).frames, 3);
    assert.equal(trainingModel(unet), UNET_MODEL);
  });
});
