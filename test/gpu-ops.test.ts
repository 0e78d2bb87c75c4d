import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { attention, linear, matmul, setMatmulRouting } from '../src/gpu';
import { assertClose, useWasm, values } from './helpers';

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/** tf.matMul with a 2-D operand broadcast explicitly (tf.matMul's own gradient fails for broadcast operands). */
function refMatMul(x: tf.Tensor, y: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor {
  const batch = (x.rank > y.rank ? x : y).shape.slice(0, -2);
  const xb = x.rank === 2 && batch.length ? tf.broadcastTo(x, [...batch, ...x.shape]) : x;
  const yb = y.rank === 2 && batch.length ? tf.broadcastTo(y, [...batch, ...y.shape]) : y;
  return tf.matMul(xb, yb, ta, tb);
}

/** Compare value and both gradients of the fast matmul with tf.matMul under a random cotangent. */
function compare(aShape: number[], bShape: number[], ta: boolean, tb: boolean): void {
  tf.tidy(() => {
    const a = rand(aShape, 1);
    const b = rand(bShape, 2);
    const ref = refMatMul(a, b, ta, tb);
    const w = rand(ref.shape, 3);
    const loss = (fn: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(fn(x, y), w)) as tf.Scalar;
    const fast = matmul(a, b, ta, tb);
    assert.deepEqual(fast.shape, ref.shape);
    assertClose(values(fast), values(ref), 1e-4, 'value');
    const [gaRef, gbRef] = tf.grads(loss((x, y) => refMatMul(x, y, ta, tb)))([a, b]);
    const [ga, gb] = tf.grads(loss((x, y) => matmul(x, y, ta, tb)))([a, b]);
    assertClose(values(ga), values(gaRef), 1e-4, 'grad a');
    assertClose(values(gb), values(gbRef), 1e-4, 'grad b');
  });
}

describe('fast matmul on wasm', () => {
  before(async () => {
    await useWasm();
    setMatmulRouting('auto');
  });

  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      it(`2-D product, transposeA=${ta} transposeB=${tb}`, () => {
        compare(ta ? [7, 5] : [5, 7], tb ? [3, 7] : [7, 3], ta, tb);
      });
      it(`batched product (small groups, tf kernel), transposeA=${ta} transposeB=${tb}`, () => {
        compare(ta ? [2, 3, 6, 4] : [2, 3, 4, 6], tb ? [2, 3, 5, 6] : [2, 3, 6, 5], ta, tb);
      });
      it(`batched product (large groups, split route), transposeA=${ta} transposeB=${tb}`, () => {
        compare(ta ? [3, 40, 48] : [3, 48, 40], tb ? [3, 36, 40] : [3, 40, 36], ta, tb);
      });
      it(`shared 2-D weight under a batch, transposeA=${ta} transposeB=${tb}`, () => {
        compare(ta ? [2, 3, 6, 4] : [2, 3, 4, 6], tb ? [5, 6] : [6, 5], ta, tb);
      });
    }
  }

  it('shared 2-D left operand against a batch', () => {
    compare([4, 6], [3, 6, 5], false, false);
  });

  it('rejects mismatched inner or batch dimensions with a clear error', () => {
    assert.throws(() => matmul(tf.zeros([3, 4]), tf.zeros([5, 2])), /inner dimensions differ/);
    assert.throws(() => matmul(tf.zeros([2, 3, 4]), tf.zeros([3, 4, 2])), /batch shapes differ/);
    assert.throws(() => matmul(tf.zeros([4]), tf.zeros([4, 2])), /rank >= 2/);
  });

  it('linear and attention match plain tf formulas', () => {
    tf.tidy(() => {
      const x = rand([2, 5, 8], 4);
      const w = rand([8, 3], 5);
      const b = rand([3], 6);
      assertClose(values(linear(x, w, b)), values(tf.add(tf.matMul(x, tf.broadcastTo(w, [2, 8, 3])), b)), 1e-4, 'linear');
      const q = rand([4, 6, 8], 7) as tf.Tensor3D;
      const k = rand([4, 9, 8], 8) as tf.Tensor3D;
      const v = rand([4, 9, 5], 9) as tf.Tensor3D;
      const ref = tf.matMul(tf.softmax(tf.div(tf.matMul(q, k, false, true), Math.sqrt(8))), v);
      assertClose(values(attention(q, k, v)), values(ref), 1e-4, 'attention');
    });
  });

  it('linear is differentiable in its weight on the plain route too (tf.matMul fails for broadcast weights)', () => {
    setMatmulRouting('plain');
    try {
      tf.tidy(() => {
        const x = rand([2, 3, 4], 1);
        const w = rand([4, 5], 2);
        const g = tf.grad((ww: tf.Tensor) => tf.sum(linear(x, ww)) as tf.Scalar)(w);
        assertClose(values(g), values(tf.sum(tf.reshape(x, [6, 4]), 0).reshape([4, 1]).tile([1, 5])), 1e-4, 'dW');
      });
    } finally {
      setMatmulRouting('auto');
    }
  });

  it('leaks no tensors through forward and backward', () => {
    const a = rand([3, 48, 40], 1);
    const b = rand([3, 40, 36], 2);
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(matmul(x, y, false, false)) as tf.Scalar)([a, b]);
      return g;
    }).forEach((t) => t.dispose());
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('fused attention (wasm per-group route)', () => {
  before(async () => {
    await useWasm();
    setMatmulRouting('auto');
  });

  it('matches plain tf attention in value and in all three gradients', () => {
    tf.tidy(() => {
      // 96 x 80 x 40 = 307k multiply-adds per group: above FUSED_ATTENTION_MIN_MACS, so the fused route runs.
      const q = rand([3, 96, 40], 11) as tf.Tensor3D;
      const k = rand([3, 80, 40], 12) as tf.Tensor3D;
      const v = rand([3, 80, 24], 13) as tf.Tensor3D;
      const w = rand([3, 96, 24], 14);
      const plain = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.matMul(tf.softmax(tf.div(tf.matMul(a, b, false, true), Math.sqrt(40))), c);
      const lossOf = (fn: (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.mul(fn(a, b, c), w)) as tf.Scalar;
      assertClose(values(attention(q, k, v)), values(plain(q, k, v)), 1e-4, 'value');
      const gRef = tf.grads(lossOf(plain))([q, k, v]);
      const gFast = tf.grads(lossOf((a, b, c) => attention(a as tf.Tensor3D, b as tf.Tensor3D, c as tf.Tensor3D)))([q, k, v]);
      ['dq', 'dk', 'dv'].forEach((name, i) => assertClose(values(gFast[i]), values(gRef[i]), 2e-4, name));
    });
  });
});
