import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, ConvRouting, avgPool2x2, concatChannels, conv2d, film, groupNorm, groupNormAct, initBackend, setConvRouting, silu, upsample2x } from '../src/gpu';
import { assertClose } from './helpers';

/** A seeded random array (values and cotangents are made as plain data, so every backend sees the same numbers). */
function randArray(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

type Case = { x: number[]; w: number[] };
/** Odd sizes, batch 1, one channel in or out, and both filter sizes. */
const CASES: Case[] = [
  { x: [1, 5, 7, 1], w: [3, 3, 1, 3] },
  { x: [2, 6, 4, 3], w: [3, 3, 3, 1] },
  { x: [3, 9, 9, 4], w: [3, 3, 4, 5] },
  { x: [1, 1, 3, 2], w: [3, 3, 2, 2] },
  { x: [2, 7, 5, 3], w: [1, 1, 3, 4] },
];

/** Value and gradients (x, w, b) of sum(conv2d(x, w, b) * cot) under the active backend and routing. */
function convRun(c: Case, seed: number): Float32Array[] {
  return tf.tidy(() => {
    const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
    const x = tf.tensor4d(randArray(size(c.x), seed), c.x as [number, number, number, number]);
    const w = tf.tensor4d(randArray(size(c.w), seed + 1), c.w as [number, number, number, number]);
    const b = tf.tensor1d(randArray(c.w[3], seed + 2));
    const y = conv2d(x, w, b);
    const cot = tf.tensor(randArray(y.size, seed + 3), y.shape);
    const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, bb as tf.Tensor1D), cot)))([x, w, b]);
    return [y, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

/** The same numbers under tfjs's own conv on the cpu backend. */
async function cpuReference(fn: () => Float32Array[]): Promise<Float32Array[]> {
  await initBackend({ backend: 'cpu' });
  setConvRouting('tfjs');
  try {
    return fn();
  } finally {
    setConvRouting('auto');
  }
}

const NAMES = ['value', 'grad x', 'grad w', 'grad b'];

describe('conv2d', () => {
  for (const [i, c] of CASES.entries()) {
    for (const route of ['kit', 'im2col', 'taps', 'auto'] as ConvRouting[]) {
      it(`x ${c.x.join('x')} w ${c.w.join('x')} on wasm, route ${route}: value and gradients match tf.conv2d on cpu`, async () => {
        const ref = await cpuReference(() => convRun(c, 10 + i));
        await initBackend({ backend: 'wasm' });
        setConvRouting(route);
        try {
          const before = tf.memory().numTensors;
          const got = convRun(c, 10 + i);
          assert.equal(tf.memory().numTensors, before, 'conv2d and its gradients leak no tensor');
          got.forEach((g, k) => assertClose(g, ref[k], 1e-4, NAMES[k]));
        } finally {
          setConvRouting('auto');
        }
      });
    }
  }

  it('the kit route on the cpu backend matches tf.conv2d there (the kernel registers per backend)', async () => {
    const c = CASES[2];
    const ref = await cpuReference(() => convRun(c, 3));
    setConvRouting('kit');
    try {
      convRun(c, 3).forEach((g, k) => assertClose(g, ref[k], 1e-4, NAMES[k]));
    } finally {
      setConvRouting('auto');
    }
  });

  it('only the gradient asked for is computed (frozen filter: no filter gradient)', async () => {
    await initBackend({ backend: 'wasm' });
    tf.tidy(() => {
      const x = tf.tensor4d(randArray(2 * 6 * 6 * 3, 1), [2, 6, 6, 3]);
      const w = tf.tensor4d(randArray(9 * 3 * 4, 2), [3, 3, 3, 4]);
      const [gx] = tf.grads((xx: tf.Tensor) => tf.sum(conv2d(xx as tf.Tensor4D, w)))([x]);
      assert.deepEqual(gx.shape, [2, 6, 6, 3]);
    });
  });

  it('rejects bad shapes with one-line errors', () => {
    const x = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D;
    assert.throws(() => conv2d(x, tf.zeros([5, 5, 2, 1]) as tf.Tensor4D), /filter must be \[1, 1, Cin, Cout\] or \[3, 3, Cin, Cout\]/);
    assert.throws(() => conv2d(x, tf.zeros([3, 3, 3, 1]) as tf.Tensor4D), /input has 2 channels, filter expects 3/);
    tf.dispose(x);
  });
});

/** Value and gradients of sum(op(inputs) * cot) under the active backend. */
function opRun(shapes: number[][], op: (...t: tf.Tensor[]) => tf.Tensor, seed: number): Float32Array[] {
  return tf.tidy(() => {
    const inputs = shapes.map((s, k) => tf.tensor(randArray(s.reduce((a, b) => a * b, 1), seed + k), s));
    const y = op(...inputs);
    const cot = tf.tensor(randArray(y.size, seed + 99), y.shape);
    const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(op(...xs), cot)))(inputs);
    return [y, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

/** GroupNorm written out with plain ops (the reference for the kit's). */
function groupNormRef(x: tf.Tensor4D, G: number, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const [N, H, W, C] = x.shape;
  const xr = tf.reshape(x, [N, H * W, G, C / G]);
  const mean = tf.mean(tf.mean(xr, 3, true), 1, true);
  const d = tf.sub(xr, mean);
  const v = tf.mean(tf.mean(tf.square(d), 3, true), 1, true);
  return tf.add(tf.mul(tf.reshape(tf.div(d, tf.sqrt(tf.add(v, 1e-5))), [N, H, W, C]), gamma), beta);
}

const OPS: { name: string; shapes: number[][]; op: (...t: tf.Tensor[]) => tf.Tensor; ref?: (...t: tf.Tensor[]) => tf.Tensor }[] = [
  { name: 'avgPool2x2', shapes: [[2, 6, 4, 3]], op: (x) => avgPool2x2(x as tf.Tensor4D) },
  { name: 'upsample2x', shapes: [[3, 3, 5, 2]], op: (x) => upsample2x(x as tf.Tensor4D) },
  { name: 'silu', shapes: [[3, 5, 7]], op: (x) => silu(x), ref: (x) => tf.mul(x, tf.sigmoid(x)) },
  {
    name: 'groupNorm (4 groups of 2)',
    shapes: [[2, 3, 5, 8], [8], [8]],
    op: (x, g, b) => groupNorm(x as tf.Tensor4D, 4, g as tf.Tensor1D, b as tf.Tensor1D),
    ref: (x, g, b) => groupNormRef(x as tf.Tensor4D, 4, g, b),
  },
  { name: 'groupNorm (1 channel)', shapes: [[1, 5, 3, 1], [1], [1]], op: (x, g, b) => groupNorm(x as tf.Tensor4D, 1, g as tf.Tensor1D, b as tf.Tensor1D), ref: (x, g, b) => groupNormRef(x as tf.Tensor4D, 1, g, b) },
  {
    name: 'groupNormAct: GN + FiLM + SiLU fused (2 clips of 3 frames, 2 groups)',
    shapes: [[6, 3, 5, 4], [4], [4], [2, 4], [2, 4]],
    op: (x, g, b, s, sh) => groupNormAct(x as tf.Tensor4D, 2, g as tf.Tensor1D, b as tf.Tensor1D, { scale: s as tf.Tensor2D, shift: sh as tf.Tensor2D, silu: true }),
    ref: (x, g, b, s, sh) => {
      const u = film(groupNormRef(x as tf.Tensor4D, 2, g, b) as tf.Tensor4D, s as tf.Tensor2D, sh as tf.Tensor2D);
      return tf.mul(u, tf.sigmoid(u));
    },
  },
  {
    name: 'groupNormAct: GN alone (1 channel, batch 1)',
    shapes: [[1, 5, 3, 1], [1], [1]],
    op: (x, g, b) => groupNormAct(x as tf.Tensor4D, 1, g as tf.Tensor1D, b as tf.Tensor1D),
    ref: (x, g, b) => groupNormRef(x as tf.Tensor4D, 1, g, b),
  },
  { name: 'concatChannels', shapes: [[2, 3, 5, 1], [2, 3, 5, 4]], op: (a, b) => concatChannels(a as tf.Tensor4D, b as tf.Tensor4D), ref: (a, b) => tf.concat([a, b], 3) },
  {
    name: 'film (2 clips of 3 frames)',
    shapes: [[6, 3, 5, 4], [2, 4], [2, 4]],
    op: (x, s, b) => film(x as tf.Tensor4D, s as tf.Tensor2D, b as tf.Tensor2D),
    ref: (x, s, b) => tf.reshape(tf.add(tf.mul(tf.reshape(x, [2, 3, 3, 5, 4]), tf.reshape(tf.add(s, 1), [2, 1, 1, 1, 4])), tf.reshape(b, [2, 1, 1, 1, 4])), [6, 3, 5, 4]),
  },
];

describe('U-Net ops on wasm against the cpu backend', () => {
  for (const [i, o] of OPS.entries()) {
    it(`${o.name}: value and gradients match${o.ref ? ' the plain-op reference' : ''} on cpu, no leak`, async () => {
      await initBackend({ backend: 'cpu' });
      const ref = opRun(o.shapes, o.ref ?? o.op, 40 + i);
      await initBackend({ backend: 'wasm' });
      const before = tf.memory().numTensors;
      const got = opRun(o.shapes, o.op, 40 + i);
      assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
      assert.equal(got.length, ref.length);
      got.forEach((g, k) => assertClose(g, ref[k], 1e-4, k === 0 ? 'value' : `grad ${k - 1}`));
    });
  }
});

describe('every backend that loads runs the ops', () => {
  for (const backend of BACKENDS) {
    it(`${backend}: conv 3x3 + 1x1, pooling, upsampling, GroupNorm, FiLM, SiLU with gradients match cpu`, async (t) => {
      await initBackend({ backend: 'cpu' });
      const chain = (x: tf.Tensor, w3: tf.Tensor, w1: tf.Tensor, g: tf.Tensor, b: tf.Tensor, s: tf.Tensor) => {
        const h = silu(film(groupNorm(conv2d(x as tf.Tensor4D, w3 as tf.Tensor4D), 2, g as tf.Tensor1D, b as tf.Tensor1D), s as tf.Tensor2D, s as tf.Tensor2D));
        return conv2d(upsample2x(avgPool2x2(h)), w1 as tf.Tensor4D);
      };
      const shapes = [[4, 6, 6, 3], [3, 3, 3, 4], [1, 1, 4, 2], [4], [4], [2, 4]];
      const ref = opRun(shapes, chain, 7);
      try {
        await initBackend({ backend });
      } catch (err) {
        t.skip(`backend ${backend} does not load here: ${(err as Error).message.replace(/^.*cannot load: /, '')}`);
        return;
      }
      const got = opRun(shapes, chain, 7);
      // A chain through GroupNorm's backward sums cancelling terms: compare relative to each array's scale.
      const scale = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 1);
      got.forEach((g, k) => assertClose(g, ref[k], 1e-4 * scale(ref[k]), k === 0 ? 'value' : `grad ${k - 1}`));
    });
  }
});
