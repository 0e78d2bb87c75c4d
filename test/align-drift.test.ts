import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { driftProbe, implicitReward, weightDistance } from '../src/align/drift';
import { AlignSample } from '../src/align/trainer';
import { initParams } from '../src/model/dit';
import { paramsFromDict } from '../src/model/checkpoint';
import { rng } from '../src/core/seeds';
import { snapshot } from '../src/train/checkpoint';
import { TINY, useWasm } from './helpers';

function toySamples(n: number, seed: number): AlignSample[] {
  const S = TINY.height;
  const F = TINY.frames - 1;
  const bytes = (k: number, s: number) => {
    const r = rng(seed, 'drift-bytes', s);
    return Uint8Array.from({ length: k }, () => r.int(256));
  };
  return Array.from({ length: n }, (_, i) => ({
    key: `toy-${seed}-${i}`,
    clip: { ref: bytes(S * S * 3, 4 * i), refPose: bytes(S * S * 3, 4 * i + 1), frames: bytes(F * S * S * 3, 4 * i + 2), poses: bytes(F * S * S * 3, 4 * i + 3) },
    handMask: new Float32Array(F * S * S),
  }));
}

describe('drift probe', () => {
  before(useWasm);

  it('weightDistance is ||tuned - base|| / ||base|| (hand-worked) and rejects weights that do not match', () => {
    const base = { a: { shape: [2], data: Float32Array.from([3, 4]) }, b: { shape: [1], data: Float32Array.from([0]) } };
    const tuned = { a: { shape: [2], data: Float32Array.from([3, 5]) }, b: { shape: [1], data: Float32Array.from([0]) } };
    assert.equal(weightDistance(base, base), 0);
    assert.ok(Math.abs(weightDistance(base, tuned) - 0.2) < 1e-12, 'sqrt(1) / sqrt(25)');
    assert.throws(() => weightDistance(base, { a: tuned.a }), /'b' is missing/);
    assert.throws(() => weightDistance(base, { ...tuned, a: { shape: [1], data: Float32Array.from([1]) } }), /'a' has 1 values, the base 2/);
  });

  it('the implicit reward is 0 for the reference itself, moves when the weights do, repeats exactly, and leaks no tensors', () => {
    const ref = initParams(TINY, 1);
    for (const [n, v] of Object.entries(ref)) if (/ada|final/.test(n)) v.assign(tf.tensor(rng(2, n).normals(v.size, 0.05), v.shape));
    const base = snapshot(ref);
    const tunedDict = snapshot(ref);
    for (const [n, t] of Object.entries(tunedDict)) if (/final/.test(n)) t.data.forEach((v, i) => (t.data[i] = v * 1.5 + 0.01));
    const tuned = paramsFromDict(tunedDict);
    const good = toySamples(3, 1);
    const bad = toySamples(2, 2);
    const args = { model: TINY, reference: ref, draws: 2, seed: 7, timesteps: { kind: 'uniform' as const }, batch: 4 };
    implicitReward({ ...args, params: ref, samples: bad }); // warm-up: the network's constant caches
    const before = tf.memory().numTensors;
    const same = implicitReward({ ...args, params: ref, samples: good });
    assert.equal(same.gap, 0);
    assert.equal(same.modelError, same.referenceError);
    assert.ok(same.referenceError > 0);
    const p1 = driftProbe({ ...args, params: tuned, base, tuned: tunedDict, good, bad });
    const p2 = driftProbe({ ...args, params: tuned, base, tuned: tunedDict, good, bad });
    assert.deepEqual(p1, p2, 'the same draws every time');
    assert.notEqual(p1.good.gap, 0);
    assert.equal(p1.good.referenceError, same.referenceError, 'the reference error does not depend on the model');
    assert.ok(Math.abs(p1.margin - (p1.good.gap - p1.bad.gap)) < 1e-12);
    assert.ok(p1.distance > 0);
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    assert.throws(() => implicitReward({ ...args, params: ref, samples: [] }), /no samples/);
    assert.throws(() => implicitReward({ ...args, params: ref, samples: good, draws: 0 }), /draws must be a positive integer/);
    tf.dispose([...Object.values(ref), ...Object.values(tuned)]);
  });
});
