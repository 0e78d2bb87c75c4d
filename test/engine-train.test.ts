/**
 * The ONNX training engine against the tfjs reference: the same weights and batch give the same loss, per-sample
 * errors and gradients (engine/tape's reverse pass over the U-Net's graph), and the tape's rules are right on
 * small hand-checked graphs.
 */
import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { Tape } from '../src/engine/tape';
import { conv2d } from '../src/gpu';
import { OnnxSession } from '../src/gpu/onnx';
import { flowMatchingLoss, haloWeight, weightedError } from '../src/flow/losses';
import { UNET_MODEL, UnetConfig } from '../src/model/config';
import { forward, initParams } from '../src/model/network';
import { UnetOnnxTrainer } from '../src/model/unet-train';
import { rng } from '../src/core/seeds';
import { AlignConfig, AlignSample, alignTrain } from '../src/align/trainer';
import { readCheckpointMeta, readTensorFile, snapshot } from '../src/train/checkpoint';
import { readStepLog } from '../src/train/loop';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AlignOnnxStep } from '../src/align/graph';
import { LossSettings, OBJECTIVES, VideoBatch } from '../src/align/objectives';
import { useWasm } from './helpers';

/** A small U-Net: 16x16, two generated frames, three levels (attention at 4 px over 2 * 16 tokens). */
const SMALL: UnetConfig = { ...UNET_MODEL, height: 16, width: 16, frames: 3, levels: [8, 16, 16], embedDim: 16, freqDim: 8, groups: 4, heads: 2, inputGate: false };

/** Every parameter random (the zero-initialised ones too), so each one is on a path to the loss. */
function randomParams(c: UnetConfig, seed: number) {
  const params = initParams(c, seed);
  for (const [n, v] of Object.entries(params)) tf.tidy(() => v.assign(tf.add(v, tf.tensor(rng(seed, n).normals(v.size, 0.1), v.shape))));
  return params;
}

const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** max |a - b| / max |b|: the gradient's error relative to its own scale. */
function relDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  const m = maxAbs(b);
  return m === 0 ? d : d / m;
}

/** The attention's key bias: its gradient is zero in exact arithmetic (softmax ignores a constant per row). */
const ZERO_GRAD = 'mid.attn.k.b';

async function runTape(build: (t: Tape) => void, feeds: Record<string, { data: number[]; dims: number[] }>) {
  const tape = new Tape('probe');
  build(tape);
  const s = await OnnxSession.create(tape.graph.encode());
  const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, { data: Float32Array.from(v.data), dims: v.dims }])));
  await s.release();
  return out;
}

describe('ONNX training engine', () => {
  before(useWasm);

  it('tape rules, hand-worked: d/dx sum(x * x + x) = 2x + 1, broadcast gradients sum, a matmul weight gets x^T dy', async () => {
    const out = await runTape(
      (t) => {
        const x = t.param('x', [2, 3]);
        const b = t.param('b', [3]); // broadcast over the rows: its gradient sums them
        const w = t.param('w', [3, 1]);
        const y = t.add(t.add(t.mul(x, x), x), b); // [2, 3]
        const loss = t.reduceSum(t.matmul(y, w), [0, 1]); // sum_i sum_j y_ij w_j
        const [dx, db, dw] = t.backward(loss);
        t.output(dx, 'dx');
        t.output(db, 'db');
        t.output(dw, 'dw');
      },
      { x: { data: [1, 2, 3, -1, 0, 1], dims: [2, 3] }, b: { data: [0, 0, 1], dims: [3] }, w: { data: [1, 2, 3], dims: [3, 1] } },
    );
    // dy/dx = (2x + 1) w_j: rows [3, 5, 7] * [1, 2, 3] and [-1, 1, 3] * [1, 2, 3]
    assert.deepEqual(Array.from(out.dx), [3, 10, 21, -1, 2, 9]);
    assert.deepEqual(Array.from(out.db), [2, 4, 6]); // w_j summed over 2 rows
    // dw_j = sum_i y_ij: y = [[2, 6, 13], [0, 0, 3]]
    assert.deepEqual(Array.from(out.dw), [2, 6, 16]);
  });

  it('tape rules: a conv, instance norm and softmax agree with tfjs gradients', async () => {
    const r = rng(3, 'tape');
    const x = r.normals(2 * 4 * 5 * 5);
    const w = r.normals(3 * 3 * 4 * 6, 0.3); // [k, k, cin, cout]
    const b = r.normals(6);
    const out = await runTape(
      (t) => {
        const xv = t.param('x', [2, 4, 5, 5]);
        const wv = t.param('w', [3, 3, 4, 6]);
        const bv = t.param('b', [6]);
        const y = t.conv(xv, t.transpose(wv, [3, 2, 0, 1]), bv); // [2, 6, 5, 5]
        const n = t.reshape(t.instanceNorm(t.reshape(y, [2, 2, 75]), 1e-5), [2, 6, 25]);
        const s = t.softmax(n);
        const loss = t.reduceSum(t.mul(s, t.constant('c', Float32Array.from({ length: 300 }, (_, i) => Math.sin(i)), [2, 6, 25])), [0, 1, 2]);
        const [dx, dw, db] = t.backward(loss);
        t.output(loss, 'loss');
        t.output(dx, 'dx');
        t.output(dw, 'dw');
        t.output(db, 'db');
      },
      { x: { data: Array.from(x), dims: [2, 4, 5, 5] }, w: { data: Array.from(w), dims: [3, 3, 4, 6] }, b: { data: Array.from(b), dims: [6] } },
    );
    const ref = tf.tidy(() => {
      const f = (xt: tf.Tensor, wt: tf.Tensor, bt: tf.Tensor) => {
        const y = conv2d(tf.transpose(xt, [0, 2, 3, 1]) as tf.Tensor4D, wt as tf.Tensor4D, bt as tf.Tensor1D); // NHWC, the kit's conv
        const yc = tf.reshape(tf.transpose(y, [0, 3, 1, 2]), [2, 2, 75]);
        const { mean, variance } = tf.moments(yc, 2, true);
        const n = tf.reshape(tf.div(tf.sub(yc, mean), tf.sqrt(tf.add(variance, 1e-5))), [2, 6, 25]);
        return tf.sum(tf.mul(tf.softmax(n), tf.tensor(Float32Array.from({ length: 300 }, (_, i) => Math.sin(i)), [2, 6, 25])));
      };
      const g = tf.grads(f)([tf.tensor(x, [2, 4, 5, 5]), tf.tensor(w, [3, 3, 4, 6]), tf.tensor(b, [6])]);
      return { loss: f(tf.tensor(x, [2, 4, 5, 5]), tf.tensor(w, [3, 3, 4, 6]), tf.tensor(b, [6])).dataSync()[0], g: g.map((v) => v.dataSync() as Float32Array) };
    });
    assert.ok(Math.abs(out.loss[0] - ref.loss) < 1e-5, `loss ${out.loss[0]} vs ${ref.loss}`);
    for (const [i, k] of ['dx', 'dw', 'db'].entries()) assert.ok(relDiff(out[k], ref.g[i]) < 1e-4, `${k}: relative difference ${relDiff(out[k], ref.g[i])}`);
  });

  for (const variant of [
    { name: "predict 'x', HALO weight, mode noise (the paper's pretraining)", c: { ...SMALL, modeNoise: true }, B: 2, halo: 10 },
    { name: "predict 'v', input gate, unweighted, batch 3", c: { ...SMALL, predict: 'v' as const, inputGate: true }, B: 3, halo: 1 },
  ]) {
    it(`the flow-matching step's loss and gradients equal tfjs's: ${variant.name}`, async () => {
      const { c, B } = variant;
      const params = randomParams(c, 5);
      const r = rng(9, 'batch');
      const dims = [B, c.frames, c.height, c.width];
      const n = B * c.frames * c.height * c.width;
      const video = r.normals(n * c.channels);
      const cond = r.uniforms(n * c.condChannels, -1, 1);
      const target = r.normals(n * c.channels);
      const t = r.uniforms(B, 0.02, 1);
      const mode = c.modeNoise ? r.normals(B) : undefined;
      const mask = tf.tensor(r.uniforms(B * (c.frames - 1) * c.height * c.width, 0, 1), [B, c.frames - 1, c.height, c.width, 1]);
      const weight = variant.halo !== 1 ? (haloWeight(mask, variant.halo).dataSync() as Float32Array) : undefined;
      const names = Object.keys(params);
      const ref = tf.tidy(() => {
        const inp = { video: tf.tensor(video, [...dims, c.channels]), cond: tf.tensor(cond, [...dims, c.condChannels]), t: tf.tensor1d(t), mode: mode ? tf.tensor1d(mode) : undefined };
        const tgt = tf.tensor(target, [...dims, c.channels]);
        const { value, grads } = tf.variableGrads(() => flowMatchingLoss(forward(c, params, inp), tgt, weight ? mask : undefined, weight ? variant.halo : undefined).loss, names.map((k) => params[k]));
        const err = weightedError(forward(c, params, inp), tgt, weight ? mask : undefined, variant.halo).dataSync() as Float32Array;
        return { loss: value.dataSync()[0], err, grads: Object.fromEntries(names.map((k) => [k, grads[params[k].name].dataSync() as Float32Array])) };
      });
      const trainer = new UnetOnnxTrainer(c, 1);
      const weights = Object.fromEntries(names.map((k) => [k, params[k].dataSync() as Float32Array]));
      const out = await trainer.step(weights, { video, cond, t, mode, target, weight });
      await trainer.release();
      assert.ok(Math.abs(out.loss - ref.loss) <= 1e-5 * Math.abs(ref.loss), `loss ${out.loss} vs tfjs ${ref.loss}`);
      for (let i = 0; i < B; i++) assert.ok(Math.abs(out.err[i] - ref.err[i]) <= 1e-5 * Math.abs(ref.err[i]), `err[${i}] ${out.err[i]} vs ${ref.err[i]}`);
      let worst = { name: '', d: 0 };
      const scale = Math.max(...names.map((k) => maxAbs(ref.grads[k])));
      // Float noise on both sides, far below every other gradient.
      assert.ok(maxAbs(out.grads[ZERO_GRAD]) < 1e-6 * scale && maxAbs(ref.grads[ZERO_GRAD]) < 1e-6 * scale, `'${ZERO_GRAD}' should have a zero gradient`);
      for (const k of names.filter((n) => n !== ZERO_GRAD)) {
        const d = relDiff(out.grads[k], ref.grads[k]);
        if (d > worst.d) worst = { name: k, d };
      }
      assert.ok(worst.d < 1e-4, `gradient of '${worst.name}': max relative difference ${worst.d.toExponential(2)} (target < 1e-4)`);
      tf.dispose([mask, ...Object.values(params)]);
    });
  }
});

describe('post-training on the onnx engine', () => {
  before(useWasm);

  for (const v of [
    { method: 'sft-halo', settings: { errorScale: 'x0', timeWeight: 'paper', sftWeight: 0, handWeight: 10 } },
    { method: 'ipa-halo', settings: { errorScale: 'x0', timeWeight: 'paper', sftWeight: 0, handWeight: 10 } },
    { method: 'ipa', settings: { errorScale: 'v', timeWeight: 'paper', sftWeight: 0, handWeight: 1 } },
    { method: 'flow-dpo-const', settings: { errorScale: 'x0', timeWeight: 'constant', sftWeight: 0.5, handWeight: 1 } },
  ] as const) {
    it(`the ${OBJECTIVES[v.method].graph} head (${v.method}, '${v.settings.errorScale}' errors): loss and gradients of a model away from its reference equal tfjs's`, async () => {
      const c: UnetConfig = { ...SMALL, modeNoise: true };
      const obj = OBJECTIVES[v.method];
      const settings: LossSettings = { beta: 6, ...v.settings };
      const base = randomParams(c, 4);
      const model = randomParams(c, 4);
      for (const [n, p] of Object.entries(model)) tf.tidy(() => p.assign(tf.add(p, tf.tensor(rng(6, n).normals(p.size, 0.02), p.shape))));
      const B = 2;
      const Bp = obj.data === 'pairs' ? 2 * B : B;
      const r = rng(11, 'batch');
      const dims = [Bp, c.frames, c.height, c.width];
      const n = Bp * c.frames * c.height * c.width;
      const tB = r.uniforms(B, 0.05, 0.95);
      const batch = {
        video: r.normals(n * c.channels), cond: r.uniforms(n * c.condChannels, -1, 1), target: r.normals(n * c.channels),
        t: Float32Array.from(obj.data === 'pairs' ? [...tB, ...tB] : tB), mode: r.normals(B),
        mask: r.uniforms(Bp * (c.frames - 1) * c.height * c.width, 0, 1),
      };
      const mode = obj.data === 'pairs' ? Float32Array.from([...batch.mode, ...batch.mode]) : batch.mode;
      const names = Object.keys(model);
      const ref = tf.tidy(() => {
        const sideOf = (from: number, to: number): VideoBatch => {
          const sl = (x: Float32Array, ch: number) => tf.tensor(x.subarray(from * (n / Bp) * ch, to * (n / Bp) * ch), [to - from, ...dims.slice(1), ch]);
          const side: VideoBatch = { z: sl(batch.video, c.channels), cond: sl(batch.cond, c.condChannels), target: sl(batch.target, c.channels), handMask: tf.tensor(batch.mask.subarray(from * (n / Bp / c.frames) * (c.frames - 1), to * (n / Bp / c.frames) * (c.frames - 1)), [to - from, c.frames - 1, c.height, c.width, 1]), mode: tf.tensor1d(mode.subarray(from, to)) };
          return { ...side, refPred: forward(c, base, { video: side.z, cond: side.cond, t: tf.tensor1d(tB), mode: side.mode }) };
        };
        const predict = (side: VideoBatch, t: tf.Tensor) => forward(c, model, { video: side.z, cond: side.cond, t, mode: side.mode });
        const t = tf.tensor1d(tB);
        const { value, grads } = tf.variableGrads(() => {
          const res = obj.data === 'pairs' ? obj.loss({ t, win: sideOf(0, B), lose: sideOf(B, 2 * B) }, predict, settings) : obj.loss({ ...sideOf(0, B), t }, predict, settings);
          return res.loss;
        }, names.map((k) => model[k]));
        return { loss: value.dataSync()[0], grads: Object.fromEntries(names.map((k) => [k, grads[model[k].name].dataSync() as Float32Array])) };
      });
      const step = new AlignOnnxStep({ config: c, B, head: obj.graph, reference: obj.reference, weighted: settings.handWeight !== 1, base: Object.fromEntries(names.map((k) => [k, base[k].dataSync() as Float32Array])), lora: null });
      const weight = settings.handWeight !== 1 ? (haloWeight(tf.tensor(batch.mask, [Bp, c.frames - 1, c.height, c.width, 1]), settings.handWeight).dataSync() as Float32Array) : undefined;
      const out = await step.step(Object.fromEntries(names.map((k) => [k, model[k].dataSync() as Float32Array])), { video: batch.video, cond: batch.cond, t: batch.t, mode, target: batch.target, weight }, settings);
      await step.release();
      assert.ok(Math.abs(out.loss - ref.loss) <= 1e-5 * Math.abs(ref.loss) + 1e-7, `loss ${out.loss} vs tfjs ${ref.loss}`);
      const scale = Math.max(...names.map((k) => maxAbs(ref.grads[k])));
      let worst = { name: '', d: 0 };
      for (const k of names.filter((nm) => nm !== ZERO_GRAD)) {
        const d = relDiff(out.grads[k], ref.grads[k]);
        if (maxAbs(ref.grads[k]) > 1e-6 * scale && d > worst.d) worst = { name: k, d };
      }
      assert.ok(worst.d < 1e-4, `gradient of '${worst.name}': max relative difference ${worst.d.toExponential(2)} (target < 1e-4)`);
      tf.dispose([...Object.values(base), ...Object.values(model)]);
    });
  }

  /** Toy positives and pairs for SMALL: random clips with a hand mask in one corner of every generated frame. */
  function toySamples(n: number, seed: number): AlignSample[] {
    const S = SMALL.height;
    const F = SMALL.frames - 1;
    return Array.from({ length: n }, (_, i) => {
      const r = rng(seed, 'toy', i);
      const bytes = (len: number) => Uint8Array.from(r.uniforms(len, 0, 255), (v) => Math.floor(v));
      const mask = new Float32Array(F * S * S);
      for (let f = 0; f < F; f++) for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) mask[(f * S + y) * S + x] = 1;
      return { key: `toy-${seed}-${i}`, clip: { ref: bytes(S * S * 3), refPose: bytes(S * S * 3), frames: bytes(F * S * S * 3), poses: bytes(F * S * S * 3) }, handMask: mask };
    });
  }

  const CONFIG: AlignConfig = {
    method: 'ipa', steps: 3, batch: 2, lr: 3e-3, warmupSteps: 0, minLrFraction: 1, weightDecay: 0.01, clipNorm: 1,
    beta: 600, handWeight: 10, lora: { rank: 2, alpha: 2 }, maskGrid: { kind: 'pixel' }, checkpointEvery: 3, timesteps: { kind: 'uniform' }, errorScale: 'x0',
  };

  for (const v of [
    { method: 'sft-halo', lora: true },
    { method: 'ipa-halo', lora: true },
    { method: 'ipa-const', lora: false },
    { method: 'flow-dpo', lora: true, sftWeight: 0.5 },
    { method: 'sft', lora: false, errorScale: 'v' as const },
  ] as const) {
    it(`${v.method} (${v.lora ? 'LoRA' : 'full fine-tuning'}${'errorScale' in v ? `, '${v.errorScale}' errors` : ''}): the tfjs run's logged loss, metrics and weights`, async () => {
      const c: UnetConfig = { ...SMALL, modeNoise: true };
      const params = randomParams(c, 4);
      const weights = snapshot(params);
      tf.dispose(Object.values(params));
      const positives = toySamples(3, 1);
      const losers = toySamples(3, 2);
      const pairs = positives.map((win, i) => ({ win, lose: losers[i] }));
      const config: AlignConfig = { ...CONFIG, method: v.method, lora: v.lora ? CONFIG.lora : null, sftWeight: 'sftWeight' in v ? v.sftWeight : undefined, errorScale: 'errorScale' in v ? v.errorScale : 'x0' };
      const run = async (engine: 'tfjs' | 'onnx') => {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), `ipa-eng-align-${engine}-`));
        const res = await alignTrain({ config, seed: 3, base: { model: c, weights, weightsSha256: 'w', worldHash: 'toy' }, positives, pairs, outDir: out, resume: false, engine });
        assert.ok(res.adapterDir);
        return { log: readStepLog(out), weights: readTensorFile(res.adapterDir as string, readCheckpointMeta(res.adapterDir as string), 'weights') };
      };
      const tfjs = await run('tfjs');
      const onnx = await run('onnx');
      tfjs.log.forEach((r, i) => {
        const o = onnx.log[i];
        // At step 1 the model is the reference: the gap is 0 in tfjs (one computation) and float noise of either sign
        // in the graph (two branches), so the implicit accuracy of step 1 is not compared.
        for (const k of Object.keys(r).filter((k) => !['seconds', 'lr'].includes(k) && !(i === 0 && k === 'implicitAccuracy'))) {
          const a = r[k];
          const b = o[k];
          // Gaps and logits are differences of nearly equal errors: compared on the scale of the errors they differ by.
          const scale = ['gap', 'sampleLogit'].includes(k) ? Math.max(1, Math.abs(r.modelError as number) * (k === 'sampleLogit' ? config.beta : 1)) : 0;
          const close = (x: number, y: number) => Math.abs(x - y) <= 1e-4 * Math.max(Math.abs(x), scale) + 1e-6;
          if (Array.isArray(a)) assert.ok((a as number[]).every((x, j) => close(x, (b as number[])[j])), `step ${i + 1} ${k}: tfjs ${JSON.stringify(a)}, onnx ${JSON.stringify(b)}`);
          else assert.ok(close(a as number, b as number), `step ${i + 1} ${k}: tfjs ${a}, onnx ${b}`);
        }
      });
      // The weights after 3 AdamW steps, within a quarter of one step's size (lr): AdamW's first steps divide each
      // gradient element by its own size plus eps = 1e-8, so an element whose gradient is near 1e-8 (measured: the full
      // fine-tuning of ipa-const, 4.5% of a step apart after one step, 8.4% after two) moves by a share of a step
      // that float rounding decides. The gradients themselves are compared above; the logged losses and errors of
      // steps 2 and 3, computed at the updated weights, to 1e-4.
      // The key bias (full fine-tuning) is left out: its gradient is zero in exact arithmetic, and AdamW turns either
      // engine's float noise there into steps of the full learning rate in a random direction.
      for (const n of Object.keys(tfjs.weights).filter((n) => n !== ZERO_GRAD)) {
        const a = tfjs.weights[n].data;
        const b = onnx.weights[n].data;
        for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 + 1e-4 * Math.abs(a[i]) + 0.25 * config.lr, `${n}[${i}]: tfjs ${a[i]} vs onnx ${b[i]}`);
      }
    });
  }
});
