import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { OnnxFeeds, OnnxGraph, OnnxSession, ortStatus, probeProvider } from '../src/gpu/onnx';
import { UNET_MODEL, UnetConfig } from '../src/model/config';
import { resolveEngine } from '../src/model/engine';
import { createLora } from '../src/model/lora';
import { forward, initParams } from '../src/model/network';
import { SampleJob, generate, generateOnnx, sampleBatch, sampleBatchOnnx } from '../src/model/sample';
import { UnetOnnx, unetOnnx } from '../src/model/unet-onnx';
import { rng } from '../src/core/seeds';
import { TINY, useWasm, values } from './helpers';

/** A small U-Net: 16x16, two generated frames, three levels (attention at 4 px over 2 * 16 tokens). */
const SMALL: UnetConfig = { ...UNET_MODEL, height: 16, width: 16, frames: 3, levels: [8, 16, 16], embedDim: 16, freqDim: 8, groups: 4, heads: 2 };

/** Every parameter random (the zero-initialised ones too), so each one is on a path to the output. */
function randomParams(c: UnetConfig, seed: number) {
  const params = initParams(c, seed);
  for (const [n, v] of Object.entries(params)) tf.tidy(() => v.assign(tf.add(v, tf.tensor(rng(seed, n).normals(v.size, 0.1), v.shape))));
  return params;
}

function inputs(c: UnetConfig, B: number, seed: number) {
  const r = rng(seed, 'inputs');
  const n = (ch: number) => B * c.frames * c.height * c.width * ch;
  return {
    video: tf.tensor(r.normals(n(c.channels)), [B, c.frames, c.height, c.width, c.channels]),
    cond: tf.tensor(r.uniforms(n(c.condChannels), -1, 1), [B, c.frames, c.height, c.width, c.condChannels]),
    t: tf.tensor(r.uniforms(B, 0.02, 1)), // below PRED_T_MIN too: the clamp is part of the graph
  };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function jobs(c: UnetConfig, n: number): SampleJob[] {
  const S = c.height;
  const F = c.frames - 1;
  return Array.from({ length: n }, (_, k) => {
    const r = rng(7, 'clip', k);
    const bytes = (len: number) => Uint8Array.from(r.uniforms(len, 0, 255), (v) => Math.floor(v));
    return { key: `clip-${k}#0`, clip: { ref: bytes(S * S * 3), refPose: bytes(S * S * 3), poses: bytes(F * S * S * 3) } };
  });
}

describe('ONNX Runtime engine', () => {
  before(useWasm);

  it('loads from the npm package (its CPU library ships inside it)', () => {
    const s = ortStatus();
    assert.ok(s.ok, `onnxruntime-node does not load: ${s.reason}`);
    assert.match(s.version ?? '', /^\d+\.\d+\.\d+/);
  });

  it('a hand-built graph computes what its ops say: relu(x . W + b), and attributes are checked', async () => {
    const g = new OnnxGraph('probe');
    const x = g.input('x', [2, 2]);
    const y = g.op('Relu', [g.op('Add', [g.op('MatMul', [x, g.constant('w', [1, 2, 3, 4], [2, 2])]), g.constant('b', [-10, 0], [2])])]);
    g.output(y, 'y', [2, 2]);
    const s = await OnnxSession.create(g.encode());
    const out = await s.run({ x: { data: Float32Array.from([1, 1, 2, 3]), dims: [2, 2] } });
    // [1, 1] . W = [4, 6] -> [-6, 6] -> [0, 6]; [2, 3] . W = [11, 16] -> [1, 16]
    assert.deepEqual(Array.from(out.y), [0, 6, 1, 16]);
    await s.release();
    assert.throws(() => g.op('Softmax', [y], { axis: 0.5 }), /not an integer/);
    assert.throws(() => g.constant('bad', [1, 2, 3], [2, 2]), /3 values for dims \[2,2\]/);
  });

  for (const variant of [
    { name: "predict 'x', no input gate (the paper profile)", c: { ...SMALL, inputGate: false }, B: 1, lora: false },
    { name: "predict 'v', input gate, batch 3", c: { ...SMALL, predict: 'v' as const }, B: 3, lora: false },
    { name: "predict 'eps', with a LoRA adapter merged", c: { ...SMALL, predict: 'eps' as const }, B: 2, lora: true },
    { name: 'mode noise', c: { ...SMALL, inputGate: false, modeNoise: true }, B: 2, lora: false },
  ]) {
    it(`the exported U-Net is the tfjs U-Net: ${variant.name}`, async () => {
      const { c, B } = variant;
      const params = randomParams(c, 3);
      const lora = variant.lora ? createLora(c, params, { rank: 2, alpha: 4, targets: ['mid.attn.q.w', 'mid.attn.v.w'] }, 5) : undefined;
      if (lora) for (const p of Object.values(lora)) tf.tidy(() => p.b.assign(tf.randomNormal(p.b.shape, 0, 0.1, 'float32', 9)));
      const inp = { ...inputs(c, B, 4), ...(c.modeNoise ? { mode: tf.tensor1d(rng(6, 'mode').normals(B)) } : {}) };
      const want = values(tf.tidy(() => forward(c, params, inp, lora)));
      const s = await OnnxSession.create(unetOnnx(c, params, B, lora));
      const feeds: OnnxFeeds = { video: { data: values(inp.video), dims: inp.video.shape }, cond: { data: values(inp.cond), dims: inp.cond.shape }, t: { data: values(inp.t), dims: [B] } };
      if (inp.mode) feeds.mode = { data: values(inp.mode), dims: [B] };
      const got = await s.run(feeds);
      await s.release();
      const scale = want.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      assert.ok(scale > 1, `the test's velocities are not trivial (max |v| ${scale})`);
      const d = maxAbsDiff(got.v, want);
      assert.ok(d < 1e-4 * scale, `max abs difference ${d} (max |v| ${scale})`);
      tf.dispose([...Object.values(params), inp.video, inp.cond, inp.t, ...(inp.mode ? [inp.mode] : []), ...Object.values(lora ?? {}).flatMap((p) => [p.a, p.b])]);
    });
  }

  for (const c of [SMALL, { ...SMALL, modeNoise: true }])
  it(`a 4-step stochastic sample through ONNX Runtime matches tfjs within 1e-3 per pixel, with no tensor left behind${c.modeNoise ? ' (mode noise)' : ''}`, async () => {
    const params = randomParams(c, 5);
    const opts = { steps: 4, eta: 0.5, frameCorrelation: 0.9, seed: 1, batch: 2 };
    const js = jobs(c, 3);
    const runner = new UnetOnnx(c, params);
    const before = tf.memory().numTensors;
    const a = sampleBatch(c, params, js, opts);
    const b = await sampleBatchOnnx(runner, js, opts);
    const d = maxAbsDiff(values(a), values(b));
    assert.ok(d < 1e-3, `max abs difference per pixel ${d}`);
    tf.dispose([a, b]);
    assert.equal(tf.memory().numTensors, before);
    // The byte videos: the same but for a rare rounding step.
    const u = generate(c, params, js, opts);
    const v = await generateOnnx(runner, js, opts);
    assert.ok(maxAbsDiff(u, v) <= 1);
    assert.equal(tf.memory().numTensors, before);
    await runner.release();
    tf.dispose(Object.values(params));
  });

  it('engine choice: auto takes ONNX Runtime for a U-Net and tfjs for the DiT; a bad name is refused', () => {
    assert.equal(resolveEngine(SMALL, 'auto').engine, 'onnx');
    const dit = resolveEngine(TINY, 'auto');
    assert.equal(dit.engine, 'tfjs');
    assert.match(dit.reason ?? '', /no ONNX graphs/);
    assert.throws(() => resolveEngine(TINY, 'onnx'), /not available/);
    assert.equal(resolveEngine(SMALL, 'tfjs').engine, 'tfjs');
    assert.throws(() => resolveEngine(SMALL, 'gpu'), /unknown engine 'gpu'/);
  });

  it('a provider asked for by name runs, or is an error saying why (the probe is quiet: a child process)', () => {
    for (const provider of ['webgpu', 'cuda'] as const) {
      const why = probeProvider(provider);
      if (why === null) assert.equal(resolveEngine(SMALL, `onnx:${provider}`).provider, provider);
      else assert.throws(() => resolveEngine(SMALL, `onnx:${provider}`), new RegExp(`engine 'onnx:${provider}': ONNX Runtime's ${provider} provider does not run here: .+`));
    }
    assert.equal(resolveEngine(SMALL, 'onnx').provider, 'cpu');
    assert.equal(probeProvider('cpu'), null);
  });
});
