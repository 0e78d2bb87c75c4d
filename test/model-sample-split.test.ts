import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { generateSplit } from '../src/model/sample-split';
import { initParams } from '../src/model/dit';
import { initParams as initUnet } from '../src/model/network';
import { saveCheckpoint, snapshot } from '../src/train/checkpoint';
import { modelHead } from '../src/model/checkpoint';
import { ModelConfig } from '../src/model/config';
import { buildWorld, loadWorld } from '../src/world/store';
import { PROFILES } from '../src/study/profiles';
import { rng } from '../src/core/seeds';
import { useWasm } from './helpers';

/** A tiny model on the smoke world's 64x64 frames (patch 16 keeps it fast). */
const SMALL: ModelConfig = { height: 64, width: 64, channels: 3, frames: 9, condChannels: 6, patch: 16, dim: 16, depth: 1, heads: 1, mlpRatio: 2, freqDim: 8 };

describe('sampling a split (generateSplit)', () => {
  before(useWasm);

  it('gives the same videos on 1 or 2 worker threads, reuses stored ones, and regenerates for another model', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-gen-'));
    const worldDir = path.join(tmp, 'world');
    buildWorld({ config: PROFILES.smoke.world, name: 'smoke', seed: 1, out: worldDir });
    const world = loadWorld(worldDir);
    const params = initParams(SMALL, 1);
    for (const [n, v] of Object.entries(params)) if (/ada|final/.test(n)) v.assign(tf.tensor(rng(2, n).normals(v.size, 0.05), v.shape));
    const baseDir = path.join(tmp, 'base');
    saveCheckpoint(baseDir, { head: modelHead('base', SMALL), step: 0, seed: 1, worldHash: 'w', files: { weights: snapshot(params) } });
    const args = { world, worldDir, split: 'val', baseDir, candidates: 2, steps: 2, seed: 1, batch: 3 };
    const one = await generateSplit({ ...args, outDir: path.join(tmp, 'g1'), workers: 1 });
    const two = await generateSplit({ ...args, outDir: path.join(tmp, 'g2'), workers: 2 });
    assert.equal(one.manifest.count, 8);
    assert.equal(path.resolve(tmp, 'g1', one.manifest.worldDir), path.resolve(worldDir), 'worldDir is relative to the generations folder');
    assert.deepEqual(one.manifest.entries.map((e) => e.id).slice(0, 2), [`${world.splits.val.ids[0]}#0`, `${world.splits.val.ids[0]}#1`]);
    assert.ok(Buffer.from(one.frames).equals(Buffer.from(two.frames)), 'same bytes whatever the number of workers');
    const before = fs.statSync(path.join(tmp, 'g1', 'frames.u8')).mtimeMs;
    await generateSplit({ ...args, outDir: path.join(tmp, 'g1'), workers: 1 });
    assert.equal(fs.statSync(path.join(tmp, 'g1', 'frames.u8')).mtimeMs, before, 'a matching generation is reused');
    params['final.b'].assign(tf.add(params['final.b'], 0.1));
    saveCheckpoint(baseDir, { head: modelHead('base', SMALL), step: 1, seed: 1, worldHash: 'w', files: { weights: snapshot(params) } });
    const again = await generateSplit({ ...args, outDir: path.join(tmp, 'g1'), workers: 1 });
    assert.ok(!Buffer.from(again.frames).equals(Buffer.from(one.frames)), 'another base gives other videos');
    tf.dispose(Object.values(params));
  });

  it("samples a U-Net base through ONNX Runtime ('onnx' engine): recorded, within one grey level of tfjs, and made again under another engine", async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-gen-onnx-'));
    const worldDir = path.join(tmp, 'world');
    buildWorld({ config: PROFILES.smoke.world, name: 'smoke', seed: 1, out: worldDir });
    const world = loadWorld(worldDir);
    const c = PROFILES.smoke.pretrain.model;
    const params = initUnet(c, 1);
    for (const [n, v] of Object.entries(params)) if (/film|c2|out|head\.w/.test(n)) v.assign(tf.tensor(rng(2, n).normals(v.size, 0.05), v.shape));
    const baseDir = path.join(tmp, 'base');
    saveCheckpoint(baseDir, { head: modelHead('base', c), step: 0, seed: 1, worldHash: 'w', files: { weights: snapshot(params) } });
    tf.dispose(Object.values(params));
    const args = { world, worldDir, split: 'val', baseDir, candidates: 1, rows: 3, steps: 2, eta: 0.5, frameCorrelation: 0.9, seed: 1, batch: 2, workers: 1 };
    const ref = await generateSplit({ ...args, outDir: path.join(tmp, 'g'), engine: 'tfjs' });
    assert.equal(ref.manifest.engine, 'tfjs');
    const ort = await generateSplit({ ...args, outDir: path.join(tmp, 'g'), engine: 'onnx' });
    assert.equal(ort.manifest.engine, 'onnx', 'a store of another engine is made again');
    let worst = 0;
    for (let i = 0; i < ref.frames.length; i++) worst = Math.max(worst, Math.abs(ref.frames[i] - ort.frames[i]));
    assert.ok(worst <= 1, `largest byte difference ${worst}`);
  });
});
