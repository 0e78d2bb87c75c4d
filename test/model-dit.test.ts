import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DitConfig as ModelConfig } from '../src/model/config';
import { X_PRED_T_MIN, forward, initParams, patchify, qkvNames, unpatchify } from '../src/model/dit';
import { createLora, loraVariables, mergeLora, unmergeLora } from '../src/model/lora';
import { readCheckpointMeta, readTensorFile, saveCheckpoint, snapshot } from '../src/train/checkpoint';
import { assertSameConfig, modelHead, paramsFromDict } from '../src/model/checkpoint';
import { eulerSample } from '../src/flow/sampler';
import { rng } from '../src/core/seeds';
import { TINY, assertClose, useWasm, values } from './helpers';


function inputs(c: ModelConfig, B: number, seed: number) {
  const r = rng(seed, 'inputs');
  const n = (ch: number) => B * c.frames * c.height * c.width * ch;
  return {
    video: tf.tensor(r.normals(n(3)), [B, c.frames, c.height, c.width, 3]),
    cond: tf.tensor(r.normals(n(6)), [B, c.frames, c.height, c.width, 6]),
    t: tf.tensor(r.uniforms(B)),
  };
}

/** Give zero-initialised weights random values so the model computes something non-trivial. */
function randomise(params: Record<string, tf.Variable>, seed: number): void {
  for (const [n, v] of Object.entries(params)) {
    if (/ada|final/.test(n)) v.assign(tf.tensor(rng(seed, n).normals(v.size, 0.1), v.shape));
  }
}

describe('DiT model', () => {
  before(useWasm);

  it('patchify and unpatchify are exact inverses, and patches are the pixel blocks', () => {
    const x = tf.tensor(Float32Array.from({ length: 2 * 3 * 16 * 16 * 3 }, (_, i) => i), [2, 3, 16, 16, 3]);
    const p = patchify(x, 4);
    assert.deepEqual(p.shape, [2, 3, 16, 48]);
    assert.deepEqual(Array.from(values(unpatchify(p, 4, 16, 16, 3))), Array.from(values(x)));
    // token 1 of frame 0 is the block at rows 0..3, columns 4..7; its first pixel is (0, 4)
    assert.equal(values(p)[48], (0 * 16 + 4) * 3);
  });

  it('the untrained model predicts x0_hat = 0 on generated frames and the reference on frame 0 (zero-init)', () => {
    const params = initParams(TINY, 1);
    const inp = inputs(TINY, 2, 2);
    const out = forward(TINY, params, inp);
    assert.deepEqual(out.shape, [2, 3, 16, 16, 3]);
    // v_hat = (z - x0_hat) / max(t, 0.05), with x0_hat = [reference, 0, 0]
    const ref = tf.slice(inp.cond, [0, 0, 0, 0, 0], [2, 1, 16, 16, 3]);
    const x0Hat = tf.concat([ref, tf.zeros([2, 2, 16, 16, 3])], 1);
    const expected = tf.div(tf.sub(inp.video, x0Hat), tf.reshape(tf.maximum(inp.t, X_PRED_T_MIN), [2, 1, 1, 1, 1]));
    assertClose(values(out), values(expected), 1e-5, 'velocity');
  });

  it('is deterministic from the seed; another seed gives other weights', () => {
    const a = initParams(TINY, 5);
    const b = initParams(TINY, 5);
    const c = initParams(TINY, 6);
    assert.deepEqual(Array.from(values(a['blocks.0.attn.q.w'])), Array.from(values(b['blocks.0.attn.q.w'])));
    assert.notDeepEqual(Array.from(values(a['blocks.0.attn.q.w'])), Array.from(values(c['blocks.0.attn.q.w'])));
  });

  it('rejects inputs that do not fit the config, naming the argument', () => {
    const params = initParams(TINY, 1);
    const inp = inputs(TINY, 2, 2);
    assert.throws(() => forward(TINY, params, { ...inp, video: tf.zeros([2, 4, 16, 16, 3]) }), /'video'/);
    assert.throws(() => forward(TINY, params, { ...inp, cond: tf.zeros([2, 3, 16, 16, 3]) }), /'cond'/);
    assert.throws(() => forward(TINY, params, { ...inp, t: tf.zeros([3]) }), /'t'/);
  });

  it('LoRA: a fresh adapter changes nothing; merged weights give the adapter output; unmerge restores', () => {
    const params = initParams(TINY, 1);
    randomise(params, 3);
    const inp = inputs(TINY, 2, 4);
    const base = values(forward(TINY, params, inp)).slice();
    const lora = createLora(TINY, params, { rank: 4, alpha: 8 }, 7);
    assert.deepEqual(Object.keys(lora).sort(), qkvNames(TINY).sort());
    assertClose(values(forward(TINY, params, inp, lora)), base, 1e-6, 'fresh adapter');
    for (const p of Object.values(lora)) p.b.assign(tf.tensor(rng(9, 'b').normals(p.b.size, 0.5), p.b.shape));
    const adapted = values(forward(TINY, params, inp, lora)).slice();
    assert.ok(adapted.some((v, i) => Math.abs(v - base[i]) > 1e-4), 'a trained adapter changes the output');
    const w0 = values(params['blocks.0.attn.q.w']).slice();
    mergeLora(params, lora);
    assertClose(values(forward(TINY, params, inp)), adapted, 1e-4, 'merged');
    unmergeLora(params, lora);
    assertClose(values(params['blocks.0.attn.q.w']), w0, 1e-5, 'unmerged weight');
    assert.equal(Object.keys(loraVariables(lora)).length, 2 * qkvNames(TINY).length);
  });

  it('checkpoints round-trip; an altered file or a different config is a clear error', () => {
    const params = initParams(TINY, 1);
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-ckpt-')), 'base');
    saveCheckpoint(dir, { head: modelHead('base', TINY), step: 3, seed: 1, worldHash: 'w', files: { weights: snapshot(params) } });
    const meta = readCheckpointMeta(dir);
    const loaded = paramsFromDict(readTensorFile(dir, meta, 'weights'));
    for (const n of Object.keys(params)) assert.deepEqual(Array.from(values(loaded[n])), Array.from(values(params[n])));
    assert.throws(() => assertSameConfig(meta, { ...TINY, dim: 32 }, dir), /model config does not match \(dim: 16 != 32\)/);
    const file = path.join(dir, 'weights.bin');
    const buf = fs.readFileSync(file);
    buf[10] ^= 0xff;
    fs.writeFileSync(file, buf);
    assert.throws(() => readTensorFile(dir, meta, 'weights'), /weights\.bin does not match its SHA-256/);
    fs.writeFileSync(file, buf.subarray(0, 100));
    assert.throws(() => readTensorFile(dir, meta, 'weights'), /weights\.bin has 100 bytes/);
  });
});

describe('Euler sampler', () => {
  before(useWasm);

  it('integrates the straight-line field of a known x0 exactly and ends on the reference in frame 0', () => {
    const shape = [2, 3, 4, 4, 3];
    const x0 = tf.tensor(rng(1, 'x0').normals(2 * 3 * 48), shape);
    const noise = tf.tensor(rng(1, 'eps').normals(2 * 3 * 48), shape);
    const ref = tf.slice(x0, [0, 0, 0, 0, 0], [2, 1, 4, 4, 3]);
    // The exact velocity toward x0 from z at time t: v = (z - x0) / t.
    const field = (z: tf.Tensor, t: tf.Tensor) => tf.div(tf.sub(z, x0), tf.reshape(t, [-1, 1, 1, 1, 1]));
    const out = eulerSample(field, noise, ref, { steps: 5 });
    assertClose(values(out), values(x0), 1e-4, 'x0');
    assert.throws(() => eulerSample(field, noise, ref, { steps: 0 }), /steps/);
  });
});
