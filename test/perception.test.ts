import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sealed } from '../src/core/json';
import * as tf from '@tensorflow/tfjs';
import { frechetDistance } from '../src/eval/frechet';
import { loadBase } from '../src/model/load';
import { saveCheckpoint, snapshot } from '../src/train/checkpoint';
import { assertSameConfig, modelHead } from '../src/model/checkpoint';
import { perceptionHead, readPerceptionCheckpointMeta } from '../src/perception/checkpoint';
import { DEFAULT_MODEL } from '../src/model/config';
import { AdamW } from '../src/train/optim';
import {
  PerceptionConfig, Perception, clipFeatures, disposePerception, featureDim, globalForward, handCropAt, handCropRows, handForward, handTokens,
  initPerceptionParams, loadPerception, patchRows, perceive, perceptionAccuracy, perceptionFromWeights, perceptionLoss, perceptionTokens,
  renderSplit, toCropX, fromCropX, trainPerception, trainingBatch, validatePerceptionConfig,
} from '../src/perception';
import { WorldConfig } from '../src/world/config';
import { rng } from '../src/core/seeds';
import { cliInProcess as cli, useWasm } from './helpers';

process.env.IPA_QUIET = '1';
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-perception-test-'));

/** A 32x32 world and a tiny network: 16 global tokens, 16 hand tokens, one block each. */
const WORLD: WorldConfig = { size: 32, frames: 4, splits: { train: 0, val: 0, 'test-general': 6, 'test-hands': 2 }, hardShare: 0.25 };
const TINY: PerceptionConfig = {
  size: 32, patch: 8, dim: 16, depth: 1, mlpRatio: 2, handCrop: 16, handPatch: 4, handDim: 16, handDepth: 1, handPasses: 2,
  steps: 6, batch: 8, framesPerClip: 2, lr: 3e-3, warmupSteps: 1, minLrFraction: 0.1, weightDecay: 0.01, clipNorm: 1, emaDecay: 0.5, checkpointEvery: 3,
  handWeight: 1, handJitter: 2, heatmapWeight: 0.5, visibilityWeight: 0.2,
};

/** Every value of every weight of two networks, by name. */
function weightsOf(p: Perception): Record<string, number[]> {
  return Object.fromEntries(Object.entries(p.params).map(([n, v]) => [n, Array.from(v.dataSync())]));
}

/** A copy of frames [n, S, S, 3] with a 3x3 box blur applied `times` times. */
function blurred(frames: Uint8Array, n: number, S: number, times: number): Uint8Array {
  let src = frames.slice();
  for (let t = 0; t < times; t++) {
    const dst = new Uint8Array(src.length);
    for (let f = 0; f < n; f++) {
      for (let y = 0; y < S; y++) {
        for (let x = 0; x < S; x++) {
          for (let c = 0; c < 3; c++) {
            let s = 0;
            let k = 0;
            for (let dy = -1; dy <= 1; dy++) {
              for (let dx = -1; dx <= 1; dx++) {
                const yy = y + dy;
                const xx = x + dx;
                if (yy < 0 || yy >= S || xx < 0 || xx >= S) continue;
                s += src[((f * S + yy) * S + xx) * 3 + c];
                k++;
              }
            }
            dst[((f * S + y) * S + x) * 3 + c] = Math.round(s / k);
          }
        }
      }
    }
    src = dst;
  }
  return src;
}

/** A copy of frames with Gaussian noise of standard deviation `sigma` (pixel levels), clamped to 0..255. */
function noised(frames: Uint8Array, sigma: number, seed: number): Uint8Array {
  const r = rng(seed, 'test-noise');
  return Uint8Array.from(frames, (v) => Math.max(0, Math.min(255, Math.round(v + sigma * r.normal()))));
}

describe('perception network', () => {
  let trained: Perception;
  let runDir: string;
  let ckptDir: string;

  before(async () => {
    await useWasm();
    runDir = path.join(TMP, 'run');
    const res = await trainPerception({ config: TINY, worldSeed: 1, world: WORLD, seed: 2, outDir: runDir, resume: false });
    assert.ok(res.dir);
    ckptDir = res.dir;
    trained = loadPerception(ckptDir);
  });

  it('computes outputs of the documented shapes, and perceive returns [n, 60, 3] keypoints and [n, D] features', () => {
    const params = initPerceptionParams(TINY, 1);
    const n = 3;
    const frames = renderSplit(1, 'test-general', WORLD).frames.subarray(0, n * 32 * 32 * 3);
    tf.tidy(() => {
      const T = perceptionTokens(TINY);
      const g = globalForward(TINY, params, tf.tensor2d(patchRows(TINY, frames, 0, n), [n * T, 8 * 8 * 3]));
      assert.deepEqual(g.x.shape, [n, 20]); // 18 body keypoints, 2 hand centres
      assert.deepEqual(g.visLogit.shape, [n, 20]);
      assert.deepEqual(g.logits.shape, [n, 20, T]);
      assert.deepEqual(g.features.shape, [n, 16]);
      const crops = [handCropAt(TINY, 0, 10, 12, 0), handCropAt(TINY, 2, 20, 5, 1)];
      const h = handForward(TINY, params, tf.tensor2d(handCropRows(TINY, frames, crops), [2 * handTokens(TINY), 4 * 4 * 3]), [0, 1]);
      assert.deepEqual(h.x.shape, [2, 21]);
      assert.deepEqual(h.logits.shape, [2, 21, handTokens(TINY)]);
      assert.deepEqual(h.features.shape, [2, 16]);
      assert.throws(() => handForward(TINY, params, tf.zeros([3 * handTokens(TINY), 48]) as tf.Tensor2D, [0, 1]), /2 sides for 3 crops/);
      assert.throws(() => globalForward(TINY, params, tf.zeros([5, 192]) as tf.Tensor2D), /patch rows \[N\*16, 192\]/);
    });
    const p = { config: TINY, params, meta: null };
    const out = perceive(p, frames, n, { batch: 2 });
    assert.equal(out.keypoints.length, n * 60 * 3);
    assert.equal(out.dim, featureDim(TINY));
    assert.equal(out.dim, 16 + 2 * 16);
    assert.equal(out.features.length, n * out.dim);
    const whole = perceive(p, frames, n);
    assert.deepEqual(Array.from(whole.features), Array.from(out.features), 'batching does not change the result');
    disposePerception(p);
  });

  it('places keypoints in pixel coordinates: a flat heatmap with fixed offsets lands where the head says', () => {
    const params = initPerceptionParams(TINY, 1);
    for (const [n, v] of Object.entries(params)) if (n.includes('.head.')) v.assign(tf.zerosLike(v));
    params['global.head.dy.b'].assign(tf.fill([20], 0.25)); // +0.25 token = +2 px down
    params['hand.head.dx.b'].assign(tf.fill([21], 0.5)); // +0.5 token = +2 px right in the (mirrored for left) crop
    const frames = renderSplit(1, 'test-general', WORLD).frames.subarray(0, 2 * 32 * 32 * 3);
    const { keypoints } = perceive({ config: TINY, params, meta: null }, frames, 2);
    for (let f = 0; f < 2; f++) {
      for (let k = 0; k < 60; k++) {
        const [x, y, v] = keypoints.subarray((f * 60 + k) * 3, (f * 60 + k) * 3 + 3);
        // Uniform softmax: the mean of the token centres is the frame (or crop) centre, plus the offsets. Body and
        // hand centres land at (16, 18); each of the 2 hand passes moves the hand 2 px right in its crop, which is
        // mirrored for the left hand, and the second pass is centred on the first one's keypoints.
        const wantX = k < 18 ? 16 : k < 39 ? 16 - 4 : 16 + 4;
        const wantY = 18;
        assert.ok(Math.abs(x - wantX) < 1e-4 && Math.abs(y - wantY) < 1e-4, `keypoint ${k}: (${x}, ${y}) != (${wantX}, ${wantY})`);
        assert.equal(v, 0.5);
      }
    }
    tf.dispose(Object.values(params));
  });

  it('crops mirror left hands, and crop coordinates map back to frame coordinates', () => {
    const S = 32;
    const frames = new Uint8Array(S * S * 3).map((_, i) => i % 251);
    const right = handCropRows(TINY, frames, [handCropAt(TINY, 0, 16, 16, 1)]);
    const left = handCropRows(TINY, frames, [handCropAt(TINY, 0, 16, 16, 0)]);
    // Crop pixel (u, v): right reads frame (8 + u, 8 + v); left reads frame (8 + 15 - u, 8 + v).
    const at = (rows: Float32Array, u: number, v: number, c: number) => rows[(((Math.floor(v / 4) * 4 + Math.floor(u / 4)) * 4 + (v % 4)) * 4 + (u % 4)) * 3 + c];
    const px = (x: number, y: number, c: number) => frames[(y * S + x) * 3 + c] / 127.5 - 1;
    for (const [u, v] of [[0, 0], [3, 5], [15, 15], [9, 2]]) {
      assert.equal(at(right, u, v, 1), Math.fround(px(8 + u, 8 + v, 1)));
      assert.equal(at(left, u, v, 2), Math.fround(px(8 + 15 - u, 8 + v, 2)));
    }
    const outside = handCropRows(TINY, frames, [handCropAt(TINY, 0, 0, 0, 1)]);
    assert.equal(at(outside, 0, 0, 0), -1, 'pixels outside the frame read as black');
    for (const side of [0, 1] as const) {
      const cr = handCropAt(TINY, 0, 12.4, 20.6, side);
      for (const x of [3.25, 12.4, 19.9]) assert.ok(Math.abs(fromCropX(TINY, cr, toCropX(TINY, cr, x)) - x) < 1e-12);
    }
    assert.ok(toCropX(TINY, handCropAt(TINY, 0, 16, 16, 0), 9) > toCropX(TINY, handCropAt(TINY, 0, 16, 16, 0), 10), 'mirrored');
  });

  it('draws batches by step from the pretrain stream, and a few steps on one batch reduce its loss', () => {
    const b0 = trainingBatch(TINY, 1, WORLD, 2, 0);
    assert.deepEqual(trainingBatch(TINY, 1, WORLD, 2, 0), b0, 'same step, same batch and crops');
    assert.notDeepEqual(trainingBatch(TINY, 1, WORLD, 2, 1).frames, b0.frames);
    assert.equal(b0.frames.length, 8 * 32 * 32 * 3);
    assert.ok(b0.crops.length > 0 && b0.crops.every((c) => c.frame >= 0 && c.frame < 8));
    const params = initPerceptionParams(TINY, 1);
    const lossOf = () => tf.tidy(() => perceptionLoss(TINY, params, b0).loss.dataSync()[0]);
    assert.equal(lossOf(), lossOf(), 'the loss is deterministic');
    const opt = new AdamW({ lr: 3e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, clipNorm: 0, warmupSteps: 0, totalSteps: 30, minLrFraction: 1 }, params);
    const first = lossOf();
    for (let i = 0; i < 30; i++) {
      const { value, grads } = tf.variableGrads(() => perceptionLoss(TINY, params, b0).loss, Object.values(params));
      opt.apply(Object.fromEntries(Object.entries(params).map(([n, v]) => [n, grads[v.name]])));
      tf.dispose([value, ...Object.values(grads)]);
    }
    const last = lossOf();
    assert.ok(last < 0.8 * first, `loss should fall on a fixed batch: ${first} -> ${last}`);
    opt.dispose();
    tf.dispose(Object.values(params));
  });

  it('a run stopped and resumed ends with exactly the weights of the uninterrupted run; a changed config is refused', async () => {
    const dir = path.join(TMP, 'resumed');
    const first = await trainPerception({ config: TINY, worldSeed: 1, world: WORLD, seed: 2, outDir: dir, resume: false, stopAfter: 4, evaluate: false });
    assert.equal(first.dir, null);
    assert.equal(first.metrics.steps, 4);
    const again = await trainPerception({ config: TINY, worldSeed: 1, world: WORLD, seed: 2, outDir: dir, resume: true, evaluate: false });
    assert.ok(again.dir);
    const resumed = loadPerception(again.dir);
    assert.deepEqual(weightsOf(resumed), weightsOf(trained));
    disposePerception(resumed);
    await assert.rejects(() => trainPerception({ config: { ...TINY, lr: 1e-3 }, worldSeed: 1, world: WORLD, seed: 2, outDir: dir, resume: true }), /perception config differs .*lr: 0\.003 != 0\.001/);
    await assert.rejects(() => trainPerception({ config: TINY, worldSeed: 1, world: WORLD, seed: 3, outDir: dir, resume: true }), /seed 2, this run has seed 3/);
    await assert.rejects(() => trainPerception({ config: TINY, worldSeed: 1, world: WORLD, seed: 2, outDir: dir, resume: false }), /already holds a checkpoint/);
  });

  it('gives the same keypoints and features for the same frames and weights, in memory and from the checkpoint', async () => {
    const data = renderSplit(1, 'test-general', WORLD);
    const n = 8;
    const frames = data.frames.subarray(0, n * 32 * 32 * 3);
    const a = perceive(trained, frames, n);
    const b = perceive(trained, frames, n);
    assert.deepEqual(Array.from(a.features), Array.from(b.features));
    assert.deepEqual(Array.from(a.keypoints), Array.from(b.keypoints));
    const fromRun = loadPerception(runDir); // the run folder works as well as the checkpoint folder
    const c = perceive(fromRun, frames, n);
    assert.deepEqual(Array.from(c.features), Array.from(a.features));
    disposePerception(fromRun);
  });

  it('stores a hash-verified checkpoint of kind perception that video loaders refuse, and a tampered one is an error', () => {
    const meta = readPerceptionCheckpointMeta(ckptDir);
    assert.equal(meta.kind, 'perception');
    assert.ok(!('model' in meta));
    assert.deepEqual(meta.perception, TINY);
    assert.ok(typeof meta.metrics['test-general.handPck'] === 'number');
    assert.deepEqual(Object.keys(meta).slice(0, 4), ['format', 'kind', 'perception', 'step']); // the head comes first
    assert.throws(() => loadBase(ckptDir), /a 'perception' checkpoint, not a video model/);
    assert.throws(() => assertSameConfig(meta, DEFAULT_MODEL, ckptDir), /a 'perception' checkpoint, not a video model/);
    const copy = path.join(TMP, 'tampered');
    fs.cpSync(ckptDir, copy, { recursive: true });
    const file = path.join(copy, 'weights.bin');
    const buf = fs.readFileSync(file);
    buf[40] ^= 0x01;
    fs.writeFileSync(file, buf);
    assert.throws(() => loadPerception(copy), /weights\.bin does not match its SHA-256/);
    const badConfig = path.join(TMP, 'bad-config');
    fs.cpSync(ckptDir, badConfig, { recursive: true });
    const json = JSON.parse(fs.readFileSync(path.join(badConfig, 'checkpoint.json'), 'utf8'));
    json.perception.handPatch = 5;
    fs.writeFileSync(path.join(badConfig, 'checkpoint.json'), JSON.stringify(json));
    assert.throws(() => loadPerception(badConfig), /checkpoint\.json is altered: its content does not match its SHA-256/); // any edit breaks the seal
    fs.writeFileSync(path.join(badConfig, 'checkpoint.json'), JSON.stringify(sealed(json, 'sha256')));
    assert.throws(() => loadPerception(badConfig), /handPatch 5 must divide handCrop 16/); // a re-sealed bad config is still checked
    // A video checkpoint is not a perception network; a perception head is checked before anything is written.
    const video = path.join(TMP, 'video');
    saveCheckpoint(video, { head: modelHead('base', DEFAULT_MODEL), step: 0, seed: 1, worldHash: 'w', files: { weights: snapshot(trained.params) } });
    assert.throws(() => loadPerception(video), /is a 'base' checkpoint, not a perception network/);
    assert.throws(() => perceptionHead({ ...TINY, handPatch: 5 }), /handPatch 5 must divide handCrop 16/); // nothing written with a bad config
    // A checkpoint whose tensors do not fit its config.
    assert.throws(() => perceptionFromWeights({ ...TINY, dim: 8 }, snapshot(trained.params)), /has shape \[192,16\], the config expects \[192,8\]/);
  });

  it('leaves no tensor behind in perceive, accuracy, the loss or a training run', async () => {
    const data = renderSplit(1, 'test-hands', WORLD);
    perceive(trained, data.frames.subarray(0, 2 * 32 * 32 * 3), 2); // warm the constant caches
    const before = tf.memory().numTensors;
    perceive(trained, data.frames, data.count * data.numFrames, { batch: 3 });
    perceptionAccuracy(trained, data);
    tf.tidy(() => {
      perceptionLoss(TINY, trained.params, trainingBatch(TINY, 1, WORLD, 2, 5));
    });
    assert.equal(tf.memory().numTensors, before);
    await trainPerception({ config: { ...TINY, steps: 2 }, worldSeed: 1, world: WORLD, seed: 2, outDir: path.join(TMP, 'leak'), resume: false });
    assert.equal(tf.memory().numTensors, before, 'training and evaluation leave no tensor either');
  });

  it('reports accuracy with the kit keypoint metrics', () => {
    const acc = perceptionAccuracy(trained, renderSplit(1, 'test-general', WORLD));
    assert.equal(acc.frames, 6 * 4);
    for (const v of [acc.handPck, acc.bodyPck, acc.visibilityAccuracy]) assert.ok(v !== null && v >= 0 && v <= 1);
    assert.ok(acc.handErrorPx !== null && acc.handErrorPx > 0 && acc.bodyErrorPx !== null && acc.bodyErrorPx > 0);
    assert.ok(acc.handKeypoints > 0 && acc.bodyKeypoints > 0);
  });

  it('FD of a set against itself is ~0 and grows as the frames are degraded', () => {
    const data = renderSplit(1, 'test-general', WORLD);
    const n = data.count * data.numFrames;
    const S = 32;
    const clean = perceive(trained, data.frames, n);
    const D = clean.dim;
    const fd = (frames: Uint8Array) => frechetDistance(clean.features, n, perceive(trained, frames, n).features, n, D);
    const self = fd(data.frames);
    const noise1 = fd(noised(data.frames, 12, 1));
    const noise2 = fd(noised(data.frames, 48, 1));
    const blur1 = fd(blurred(data.frames, n, S, 1));
    const blur3 = fd(blurred(data.frames, n, S, 3));
    assert.ok(self < 1e-6, `FD(X, X) = ${self}`);
    assert.ok(noise1 > 1e-3 && noise2 > noise1, `noise: ${noise1} -> ${noise2}`);
    assert.ok(blur1 > 1e-3 && blur3 > blur1, `blur: ${blur1} -> ${blur3}`);
    // Clip features: FD-clip of the set against itself is ~0 as well, and grows under noise.
    const cf = clipFeatures(clean.features, data.count, data.numFrames);
    const cn = clipFeatures(perceive(trained, noised(data.frames, 48, 1), n).features, data.count, data.numFrames);
    assert.ok(frechetDistance(cf, data.count, cf, data.count, 2 * D) < 1e-6);
    assert.ok(frechetDistance(cf, data.count, cn, data.count, 2 * D) > 1e-3);
  });

  it('makes clip features from the frame-feature mean and the mean absolute frame-to-frame difference', () => {
    // 2 clips x 3 frames x D = 2.
    const f = Float32Array.from([0, 1, 2, 1, 4, 1, /* clip 1 */ 1, 1, 1, 1, 1, 1]);
    assert.deepEqual(Array.from(clipFeatures(f, 2, 3)), [2, 1, 2, 0, /* clip 1 */ 1, 1, 0, 0]);
    assert.deepEqual(Array.from(clipFeatures(Float32Array.from([3, 4]), 1, 1)), [3, 4, 0, 0]);
    assert.throws(() => clipFeatures(Float32Array.from([1, 2, 3]), 2, 1), /do not split into 2 x 1 frames/);
    assert.throws(() => clipFeatures(f, 0, 3), /clips must be a positive integer/);
  });

  it('rejects bad input with errors that name it', async () => {
    assert.throws(() => validatePerceptionConfig({ ...TINY, patch: 7 }), /patch 7 must divide size 32/);
    assert.throws(() => validatePerceptionConfig({ ...TINY, batch: 7 }), /framesPerClip 2 must divide batch 7/);
    assert.throws(() => validatePerceptionConfig({ ...TINY, lr: 0 }), /'lr' must be > 0/);
    assert.throws(() => perceive(trained, new Uint8Array(10), 1), /frames has 10 values, expected \[1, 32, 32, 3\]/);
    assert.throws(() => perceive(trained, new Uint8Array(0), 0), /n must be a positive integer/);
    await assert.rejects(() => trainPerception({ config: TINY, worldSeed: 1, world: { ...WORLD, size: 64 }, seed: 1, outDir: path.join(TMP, 'y'), resume: false }), /size 32 does not match the world's frame size 64/);
    assert.throws(() => perceptionAccuracy(trained, { ...renderSplit(1, 'test-hands', WORLD), size: 64 }), /frames are 64x64/);
  });

  it('CLI: trains a profile into a folder and prints the accuracy table; bad input exits 2 with one line', async () => {
    const out = path.join(TMP, 'cli');
    const ok = await cli(['perception', '--profile', 'smoke', '--steps', '2', '--out', out]);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /perception smoke-1: 2 steps/);
    assert.match(ok.out, /\| split \| frames \| hand PCK@0\.2 \| hand error px \| body PCK@0\.1 \| body error px \| visibility acc \|/);
    assert.match(ok.out, /\| test-hands \| 32 \|/);
    assert.ok(fs.existsSync(path.join(out, 'perception', 'checkpoint.json')));
    for (const args of [['--profile', 'nope'], ['--steps', '0'], ['--world-seed', 'x'], ['--bogus'], ['extra']]) {
      const bad = await cli(['perception', ...args]);
      assert.equal(bad.code, 2, args.join(' '));
      assert.equal(bad.err.trim().split('\n').length, 1, bad.err);
    }
    const again = await cli(['perception', '--profile', 'smoke', '--steps', '2', '--out', out]);
    assert.equal(again.code, 2);
    assert.match(again.err, /already holds a checkpoint: resume it \(--resume\)/);
  });
});
