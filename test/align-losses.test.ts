import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { flowDpoLoss, ipaLoss, regressionLoss, scaledError } from '../src/align/losses';
import { flowMatchingLoss, haloError, haloWeight } from '../src/flow/losses';
import { rng } from '../src/core/seeds';
import { assertClose, useWasm, values } from './helpers';

const softplus = (x: number) => Math.log1p(Math.exp(x));

function rand(shape: number[], seed: number, scale = 1): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng(seed, 'test').normals(n, scale), shape);
}

function maskOf(shape: number[], seed: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(rng(seed, 'mask').uniforms(n), shape);
}

describe('alignment losses', () => {
  before(useWasm);

  it('hand-worked HALO error: W = 1 + (lambda - 1) M on frames 1.., 1 on frame 0', () => {
    // B=1, F=2, H=W=C=1: pred (1, 2), target 0, mask 0.5 on frame 1, lambda 3 -> W = (1, 2) -> e = (1 + 2*4)/2.
    const pred = tf.tensor([1, 2], [1, 2, 1, 1, 1]);
    const e = haloError(pred, tf.zerosLike(pred), tf.tensor([0.5], [1, 1, 1, 1, 1]), 3);
    assertClose(values(e), [4.5], 1e-6);
    assertClose(values(haloWeight(tf.tensor([0.5], [1, 1, 1, 1, 1]), 10)), [1, 5.5], 1e-6, 'lambda 10 on half a hand pixel');
    // A mask above 1 is clamped: W = lambda at most.
    assertClose(values(haloWeight(tf.tensor([3], [1, 1, 1, 1, 1]), 10)), [1, 10], 1e-6, 'clamped');
  });

  it('hand-worked Flow-IPA, SFT and Flow-DPO values', () => {
    const mask = tf.tensor([0.5], [1, 1, 1, 1, 1]);
    const target = tf.zeros([1, 2, 1, 1, 1]);
    const modelPred = tf.tensor([1, 2], [1, 2, 1, 1, 1]); // e_theta = 4.5 with lambda 3
    const refPred = tf.tensor([1, 1], [1, 2, 1, 1, 1]); // e_ref = (1 + 2)/2 = 1.5
    const t = tf.tensor([0.5]);
    const r = ipaLoss({ modelPred, refPred, target, t, handMask: mask, beta: 2, handWeight: 3 });
    // gap = 1.5 - 4.5 = -3; (beta/2)(1-t)^2 = 0.25; loss = -log sigmoid(-0.75) = softplus(0.75)
    assertClose(values(r.gap), [-3], 1e-6, 'gap');
    assertClose(values(r.modelError), [4.5], 1e-6, 'modelError');
    assertClose(values(r.referenceError), [1.5], 1e-6, 'referenceError');
    assertClose(values(r.loss), [softplus(0.75)], 1e-6, 'loss');
    assertClose(values(r.implicitAccuracy), [0], 0, 'implicit accuracy');
    // SFT: plain MSE without mask = (1 + 4)/2; weighted = 4.5
    assertClose(values(flowMatchingLoss(modelPred, target).loss), [2.5], 1e-6, 'sft');
    assertClose(values(flowMatchingLoss(modelPred, target, mask, 3).loss), [4.5], 1e-6, 'sft-halo');
    // DPO: winner = (model e 4.5, ref e 1.5), loser: model (0, 1) -> e 1, ref (0, 3) -> e 4.5 (lambda 1)
    const d = flowDpoLoss({
      modelWin: modelPred, refWin: refPred, targetWin: target,
      modelLose: tf.tensor([0, 1], [1, 2, 1, 1, 1]), refLose: tf.tensor([0, 3], [1, 2, 1, 1, 1]), targetLose: target,
      t, beta: 2,
    });
    // lambda 1: e_theta_w = 2.5, e_ref_w = 1, e_theta_l = 0.5, e_ref_l = 4.5
    // inner = (2.5 - 1) - (0.5 - 4.5) = 5.5; loss = -log sigmoid(-0.25 * 5.5) = softplus(1.375)
    assertClose(values(d.loss), [softplus(1.375)], 1e-6, 'dpo loss');
    assertClose(values(d.gap), [-5.5], 1e-6, 'dpo gap');
  });

  it('hand-worked error scales and time weights: x0 errors are t^2 e_v, a constant weight drops (1 - t)^2', () => {
    const target = tf.zeros([1, 2, 1, 1, 1]);
    const modelPred = tf.tensor([1, 2], [1, 2, 1, 1, 1]); // e_v = (1 + 4) / 2 = 2.5
    const refPred = tf.tensor([1, 1], [1, 2, 1, 1, 1]); // e_v = 1
    const t = tf.tensor([0.5]);
    // x0: e_theta = 0.25 * 2.5 = 0.625, e_ref = 0.25, gap = -0.375; paper weight (beta/2)(1-t)^2 = 0.25 -> z = -0.09375
    const x0 = ipaLoss({ modelPred, refPred, target, t, beta: 2, errorScale: 'x0' });
    assertClose(values(x0.gap), [-0.375], 1e-6, 'x0 gap');
    assertClose(values(x0.logits), [-0.09375], 1e-6, 'x0 logit');
    assertClose(values(x0.loss), [softplus(0.09375)], 1e-6, 'x0 loss');
    assertClose(values(x0.losses), [softplus(0.09375)], 1e-6, 'per-sample loss');
    // constant weight: z = (beta/2) gap = -0.375 (x0), -1.5 (v)
    assertClose(values(ipaLoss({ modelPred, refPred, target, t, beta: 2, errorScale: 'x0', timeWeight: 'constant' }).logits), [-0.375], 1e-6, 'x0 constant');
    assertClose(values(ipaLoss({ modelPred, refPred, target, t, beta: 2, timeWeight: 'constant' }).loss), [softplus(1.5)], 1e-6, 'v constant');
    // The official form is the default: the same numbers as before the options existed.
    assertClose(values(ipaLoss({ modelPred, refPred, target, t, beta: 2, errorScale: 'v', timeWeight: 'paper' }).loss), values(ipaLoss({ modelPred, refPred, target, t, beta: 2 }).loss), 0, 'defaults');
    // SFT in x0 is IPA's first-order term: (beta/4) mean((1-t)^2 e_x0) = 0.5 * 0.25 * 0.625; in v the plain mean 2.5.
    assertClose(values(regressionLoss(scaledError(tf.tensor([2.5]), t, 'x0'), t, 'x0', 'paper', 2)), [0.078125], 1e-6, 'sft x0');
    assertClose(values(regressionLoss(scaledError(tf.tensor([2.5]), t, 'x0'), t, 'x0', 'constant', 2)), [0.3125], 1e-6, 'sft x0 constant');
    assertClose(values(regressionLoss(tf.tensor([2.5]), t, 'v', 'paper', 2)), [2.5], 1e-6, 'sft v');
    // Flow-DPO plus an SFT term on the winners: the hand-worked DPO above (softplus(1.375)) + 0.5 * e_theta_w (2.5).
    const d = flowDpoLoss({
      modelWin: modelPred, refWin: refPred, targetWin: target,
      modelLose: tf.tensor([0, 1], [1, 2, 1, 1, 1]), refLose: tf.tensor([0, 3], [1, 2, 1, 1, 1]), targetLose: target,
      t, beta: 2, sftWeight: 0.5,
    });
    assertClose(values(d.loss), [softplus(1.375) + 1.25], 1e-6, 'dpo + sft');
    assertClose(values(d.logits), [-1.375], 1e-6, 'dpo logit');
    assert.throws(() => ipaLoss({ modelPred, refPred, target, t, beta: 2, errorScale: 'eps' as never }), /'errorScale' must be 'v' or 'x0'/);
    assert.throws(() => flowDpoLoss({ modelWin: modelPred, refWin: refPred, targetWin: target, modelLose: modelPred, refLose: refPred, targetLose: target, t, beta: 2, sftWeight: -1 }), /'sftWeight' must be a finite number >= 0/);
  });

  it("in the x0 scale SFT is matched to IPA: at gap 0 both take the same gradient, sample weights and all", () => {
    const target = rand([3, 2, 2, 2, 1], 21);
    const pred = rand([3, 2, 2, 2, 1], 22);
    const mask = maskOf([3, 1, 2, 2, 1], 23);
    const t = tf.tensor([0.03, 0.4, 0.9]);
    for (const timeWeight of ['paper', 'constant'] as const) {
      const gIpa = tf.grad((p: tf.Tensor) => ipaLoss({ modelPred: p, refPred: pred, target, t, handMask: mask, beta: 600, handWeight: 10, errorScale: 'x0', timeWeight }).loss)(pred);
      const gSft = tf.grad((p: tf.Tensor) => regressionLoss(scaledError(haloError(p, target, mask, 10), t, 'x0'), t, 'x0', timeWeight, 600))(pred);
      assertClose(values(gIpa), values(gSft), 1e-5, `${timeWeight}: grad IPA = grad SFT at gap 0`);
    }
  });

  it('at step 0 (model equals reference) the gap is exactly 0 and the loss exactly log 2', () => {
    const pred = rand([3, 4, 8, 8, 3], 1);
    const target = rand([3, 4, 8, 8, 3], 2);
    const r = ipaLoss({ modelPred: pred, refPred: tf.clone(pred), target, t: tf.tensor([0.1, 0.5, 0.9]), handMask: maskOf([3, 3, 8, 8, 1], 3), beta: 600, handWeight: 10 });
    assert.equal(values(r.gap)[0], 0);
    assert.equal(values(r.loss)[0], Math.fround(Math.LN2));
  });

  it('handWeight 1 or an all-zero mask gives plain Flow-IPA; frame 0 is unweighted whatever the mask says', () => {
    const modelPred = rand([2, 3, 4, 4, 3], 4);
    const refPred = rand([2, 3, 4, 4, 3], 5);
    const target = rand([2, 3, 4, 4, 3], 6);
    const t = tf.tensor([0.3, 0.7]);
    const plain = values(ipaLoss({ modelPred, refPred, target, t, beta: 50 }).loss)[0];
    const mask = maskOf([2, 2, 4, 4, 1], 7);
    assertClose([values(ipaLoss({ modelPred, refPred, target, t, beta: 50, handMask: mask, handWeight: 1 }).loss)[0]], [plain], 1e-6, 'lambda 1');
    assertClose([values(ipaLoss({ modelPred, refPred, target, t, beta: 50, handMask: tf.zerosLike(mask), handWeight: 10 }).loss)[0]], [plain], 1e-6, 'zero mask');
    // Frame 0: an error placed only on frame 0 counts with weight 1 whatever the mask and lambda.
    const onlyFrame0 = tf.concat([tf.ones([2, 1, 4, 4, 3]), tf.zeros([2, 2, 4, 4, 3])], 1);
    const e = values(haloError(onlyFrame0, tf.zerosLike(onlyFrame0), tf.onesLike(mask), 100));
    assertClose(e, [1 / 3, 1 / 3], 1e-6, 'frame 0 weight');
  });

  it('gradient with respect to modelPred matches finite differences; the reference prediction gets none', () => {
    const shape = [2, 3, 2, 2, 1];
    const modelPred = rand(shape, 8, 0.5);
    const refPred = rand(shape, 9, 0.5);
    const target = rand(shape, 10, 0.5);
    const t = tf.tensor([0.2, 0.6]);
    const handMask = maskOf([2, 2, 2, 2, 1], 11);
    const lossAt = (m: tf.Tensor, r: tf.Tensor) => ipaLoss({ modelPred: m, refPred: r, target, t, handMask, beta: 3, handWeight: 4 }).loss;
    const [gm, gr] = tf.grads((m: tf.Tensor, r: tf.Tensor) => lossAt(m, r))([modelPred, refPred]);
    assert.ok(values(gr).every((v) => v === 0), 'reference branch must get zero gradient');
    const base = values(modelPred).slice();
    const analytic = values(gm);
    const h = 1e-2;
    for (let i = 0; i < base.length; i++) {
      const up = base.slice();
      const down = base.slice();
      up[i] += h;
      down[i] -= h;
      const fd = (values(lossAt(tf.tensor(up, shape), refPred))[0] - values(lossAt(tf.tensor(down, shape), refPred))[0]) / (2 * h);
      assert.ok(Math.abs(fd - analytic[i]) <= 2e-3 + 2e-2 * Math.abs(fd), `element ${i}: finite difference ${fd} vs gradient ${analytic[i]}`);
    }
  });

  it('rejects bad shapes and values with an error naming the argument', () => {
    const p = tf.zeros([2, 3, 4, 4, 3]);
    const t = tf.tensor([0.5, 0.5]);
    const good = { modelPred: p, refPred: p, target: p, t, beta: 1 };
    assert.throws(() => ipaLoss({ ...good, handMask: tf.zeros([2, 3, 4, 4, 1]) }), /'handMask'.*F-1/);
    assert.throws(() => ipaLoss({ ...good, t: tf.tensor([0.5, 1.5]) }), /'t' must lie in \[0, 1\]/);
    assert.throws(() => ipaLoss({ ...good, beta: 0 }), /'beta'/);
    assert.throws(() => ipaLoss({ ...good, beta: 1, handWeight: 0 }), /'handWeight'/);
    assert.throws(() => ipaLoss({ ...good, refPred: tf.zeros([3, 3, 4, 4, 3]) }), /batch size mismatch: 'refPred'/);
    assert.throws(() => ipaLoss({ ...good, t: tf.tensor([0.5]) }), /batch size mismatch: 't'/);
    assert.throws(() => haloError(p, tf.zeros([2, 3, 4, 5, 3]), tf.zeros([2, 2, 4, 4, 1]), 2), /'target'/);
    assert.throws(() => flowMatchingLoss(tf.zeros([2, 4, 4, 3]), tf.zeros([2, 4, 4, 3])), /'pred' must be \[B, F, H, W, C\]/);
  });

  it('a few IPA steps on a toy problem raise the gap while the model stays close to the reference', () => {
    // Toy "model": a learnable velocity field offset; reference = the frozen start. Positives are fixed samples.
    const shape = [4, 3, 2, 2, 1];
    const target = rand(shape, 12); // v = eps - x0 of the positives
    const refPred = rand(shape, 13, 0.5);
    const theta = tf.variable(tf.clone(refPred));
    const t = tf.tensor([0.1, 0.3, 0.5, 0.7]);
    const opt = tf.train.sgd(0.05);
    const gaps: number[] = [];
    for (let step = 0; step < 5; step++) {
      const cost = opt.minimize(() => ipaLoss({ modelPred: theta, refPred, target, t, beta: 1 }).loss, true) as tf.Scalar;
      cost.dispose();
      gaps.push(values(ipaLoss({ modelPred: theta, refPred, target, t, beta: 1 }).gap)[0]);
    }
    for (let i = 1; i < gaps.length; i++) assert.ok(gaps[i] > gaps[i - 1], `gap must grow: ${gaps.join(', ')}`);
    assert.ok(gaps[0] > 0);
    const drift = Math.sqrt(values(tf.mean(tf.square(tf.sub(theta, refPred))))[0]);
    assert.ok(drift < 0.1, `model stays close to the reference for small beta*steps (rms drift ${drift})`);
  });
});
