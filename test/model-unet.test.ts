import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { ModelConfig, UNET_MODEL, UnetConfig, configDiff, validateModelConfig } from '../src/model/config';
import { batchInputs, conditioning } from '../src/model/inputs';
import { countParams, forward, initParams, qkvNames } from '../src/model/network';
import { PRED_T_MIN, unetParamCount } from '../src/model/unet';
import { createLora, loraVariables } from '../src/model/lora';
import { rng } from '../src/core/seeds';
import { TINY, assertClose, useWasm, values } from './helpers';

/** A small U-Net: 16x16, two generated frames, two levels. */
const SMALL: UnetConfig = { ...UNET_MODEL, height: 16, width: 16, frames: 3, levels: [8, 16], embedDim: 16, freqDim: 8, groups: 4, heads: 2 };

function inputs(c: ModelConfig, B: number, seed: number) {
  const r = rng(seed, 'inputs');
  const n = (ch: number) => B * c.frames * c.height * c.width * ch;
  return {
    video: tf.tensor(r.normals(n(3)), [B, c.frames, c.height, c.width, 3]),
    cond: tf.tensor(r.uniforms(n(c.condChannels), -1, 1), [B, c.frames, c.height, c.width, c.condChannels]),
    t: tf.tensor(r.uniforms(B)),
  };
}

/** Give the zero-initialised weights random values so every parameter is on a path to the output. */
function randomise(params: Record<string, tf.Variable>, seed: number): void {
  for (const [n, v] of Object.entries(params)) {
    if (/film|c2|out|head\.w/.test(n)) tf.tidy(() => v.assign(tf.tensor(rng(seed, n).normals(v.size, 0.1), v.shape)));
  }
}

describe('U-Net model', () => {
  before(useWasm);

  it('the spec config is valid, and its parameter count is fixed (the PyTorch replica checks the same number)', () => {
    validateModelConfig(UNET_MODEL);
    assert.equal(unetParamCount(UNET_MODEL), 2_062_643); // = research/unet.py's UNet(UNetConfig()) and bench/reference/unet.py
    const p = initParams(SMALL, 1);
    assert.equal(countParams(p), unetParamCount(SMALL));
    tf.dispose(Object.values(p));
  });

  for (const predict of ['x', 'v', 'eps'] as const) {
    it(`zero-init output, predict '${predict}': frame 0 is the exact reference velocity, the others the closed form`, () => {
      const c: UnetConfig = { ...SMALL, predict };
      const params = initParams(c, 2);
      const inp = inputs(c, 2, 3);
      const v = forward(c, params, inp);
      assert.deepEqual(v.shape, [2, c.frames, 16, 16, 3]);
      const z = values(inp.video);
      const cond = values(inp.cond);
      const t = values(inp.t);
      const vv = values(v);
      const px = 16 * 16;
      const expected = new Float32Array(vv.length);
      for (let b = 0; b < 2; b++) {
        for (let f = 0; f < c.frames; f++) {
          for (let p = 0; p < px; p++) {
            for (let ch = 0; ch < 3; ch++) {
              const i = ((b * c.frames + f) * px + p) * 3 + ch;
              const ref = cond[((b * c.frames + 0) * px + p) * 9 + ch];
              if (f === 0) expected[i] = (z[((b * c.frames) * px + p) * 3 + ch] - ref) / Math.max(t[b], PRED_T_MIN);
              else if (predict === 'x') expected[i] = z[i] / Math.max(t[b], PRED_T_MIN); // x0_hat = 0
              else if (predict === 'v') expected[i] = 0;
              else expected[i] = -z[i] / Math.max(1 - t[b], PRED_T_MIN); // eps_hat = 0
            }
          }
        }
      }
      assertClose(vv, expected, 1e-5, 'v_hat');
      tf.dispose([v, inp.video, inp.cond, inp.t, ...Object.values(params)]);
    });
  }

  it('a training step leaks no tensor, and every parameter gets a non-zero gradient', () => {
    const params = initParams(SMALL, 4);
    randomise(params, 5);
    const inp = inputs(SMALL, 2, 6);
    const target = tf.randomNormal([2, SMALL.frames, 16, 16, 3], 0, 1, 'float32', 7);
    const before = tf.memory().numTensors;
    const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(tf.sub(forward(SMALL, params, inp), target))) as tf.Scalar, Object.values(params));
    assert.ok(Number.isFinite(value.dataSync()[0]));
    for (const [name, g] of Object.entries(grads)) {
      const norm = tf.tidy(() => tf.norm(g).dataSync()[0]);
      assert.ok(norm > 0 && Number.isFinite(norm), `gradient of ${name} is ${norm}`);
    }
    tf.dispose([value, ...Object.values(grads)]);
    assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
    tf.dispose([inp.video, inp.cond, inp.t, target, ...Object.values(params)]);
  });

  it('LoRA attaches to the attention q, k, v and changes the output once its B is non-zero', () => {
    const params = initParams(SMALL, 8);
    randomise(params, 9);
    assert.deepEqual(qkvNames(SMALL), ['mid.attn.q.w', 'mid.attn.k.w', 'mid.attn.v.w']);
    const lora = createLora(SMALL, params, { rank: 2, alpha: 2 }, 10);
    const inp = inputs(SMALL, 1, 11);
    const base = values(tf.tidy(() => forward(SMALL, params, inp)));
    assertClose(values(tf.tidy(() => forward(SMALL, params, inp, lora))), base, 1e-6, 'fresh adapter is a no-op');
    for (const p of Object.values(lora)) tf.tidy(() => p.b.assign(tf.fill(p.b.shape, 0.5)));
    const moved = values(tf.tidy(() => forward(SMALL, params, inp, lora)));
    assert.ok(moved.some((v, i) => Math.abs(v - base[i]) > 1e-4), 'a non-zero adapter changes v_hat');
    tf.dispose([inp.video, inp.cond, inp.t, ...Object.values(params), ...Object.values(loraVariables(lora))]);
  });

  it('the same seed gives the same weights and outputs', () => {
    const out = () => {
      const params = initParams(SMALL, 12);
      randomise(params, 13);
      const inp = inputs(SMALL, 1, 14);
      const v = values(tf.tidy(() => forward(SMALL, params, inp)));
      tf.dispose([inp.video, inp.cond, inp.t, ...Object.values(params)]);
      return v;
    };
    assert.deepEqual(out(), out());
  });

  it('rejects bad configs and inputs with one-line errors naming the field', () => {
    assert.throws(() => validateModelConfig({ ...SMALL, groups: 3 }), /groups 3 must divide every level's channels/);
    assert.throws(() => validateModelConfig({ ...SMALL, height: 15 }), /divisible by 2/);
    assert.throws(() => validateModelConfig({ ...SMALL, predict: 'y' as 'x' }), /'predict' must be 'x', 'v' or 'eps'/);
    assert.throws(() => validateModelConfig({ ...SMALL, condChannels: 6 }), /condChannels must be 3 \* channels/);
    const params = initParams(SMALL, 1);
    const inp = inputs(TINY, 1, 1); // a DiT-shaped input (6 conditioning channels)
    assert.throws(() => forward(SMALL, params, inp), /model input 'cond' must be \[1, 3, 16, 16, 9\] \(layout 'ref-every-frame'\)/);
    tf.dispose([inp.video, inp.cond, inp.t, ...Object.values(params)]);
  });

  it("configs without 'kind' are DiTs, and the kind is part of the config diff", () => {
    const old: ModelConfig = { ...TINY };
    delete old.kind;
    assert.deepEqual(configDiff(old, { ...TINY, kind: 'dit' }), []);
    assert.ok(configDiff(TINY, SMALL).includes('kind: dit != unet'));
  });
});

describe("conditioning layout 'ref-every-frame'", () => {
  it('puts the reference image, the frame pose and the reference pose on every frame; the DiT layout is unchanged', () => {
    const S = 2;
    const F = 2;
    const fill = (n: number, v: number) => new Uint8Array(n).fill(v);
    const clip = { ref: fill(S * S * 3, 255), refPose: fill(S * S * 3, 0), frames: fill(F * S * S * 3, 0), poses: Uint8Array.from({ length: F * S * S * 3 }, (_, i) => (i < S * S * 3 ? 51 : 204)) };
    const c9 = conditioning(clip, undefined, 0, 'ref-every-frame');
    assert.equal(c9.length, (F + 1) * S * S * 9);
    for (let f = 0; f <= F; f++) {
      const o = f * S * S * 9;
      assert.deepEqual(Array.from(c9.subarray(o, o + 9)).map((v) => Math.round(v * 10) / 10), [1, 1, 1, ...Array(3).fill(f === 0 ? -1 : f === 1 ? -0.6 : 0.6), -1, -1, -1]);
    }
    const c6 = conditioning(clip);
    assert.deepEqual(Array.from(c6.subarray(S * S * 6, S * S * 6 + 6)).map((v) => Math.round(v * 10) / 10), [0, 0, 0, -0.6, -0.6, -0.6]);
    tf.tidy(() => assert.deepEqual(batchInputs([clip], S, 'ref-every-frame').cond.shape, [1, F + 1, S, S, 9]));
  });
});
