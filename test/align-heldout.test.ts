import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { RegionClip, heldoutError } from '../src/align/drift';
import { initParams } from '../src/model/dit';
import { rng } from '../src/core/seeds';
import { TINY, useWasm } from './helpers';

function toyClips(n: number, hands: number, figure: number): RegionClip[] {
  const S = TINY.height;
  const F = TINY.frames - 1;
  const bytes = (k: number, s: number) => {
    const r = rng(7, 'heldout-bytes', s);
    return Uint8Array.from({ length: k }, () => r.int(256));
  };
  return Array.from({ length: n }, (_, i) => ({
    clip: { ref: bytes(S * S * 3, 4 * i), refPose: bytes(S * S * 3, 4 * i + 1), frames: bytes(F * S * S * 3, 4 * i + 2), poses: bytes(F * S * S * 3, 4 * i + 3) },
    hands: new Float32Array(F * S * S).fill(hands),
    figure: new Float32Array(F * S * S).fill(figure),
  }));
}

describe('held-out flow-matching error', () => {
  before(useWasm);

  it('splits the error by region (all hands: hands = all; no figure: background = all), repeats exactly, batches alike, leaks nothing', () => {
    const params = initParams(TINY, 1);
    heldoutError({ model: TINY, params, clips: toyClips(1, 1, 1), bands: [0, 1], seed: 3, batch: 1 }); // the network's first call builds its cached constants
    const before = tf.memory().numTensors;
    const a = heldoutError({ model: TINY, params, clips: toyClips(3, 1, 1), bands: [0, 0.5, 1], seed: 3, batch: 2 });
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    assert.equal(a.length, 2);
    for (const b of a) {
      assert.ok(b.all > 0 && Number.isFinite(b.all));
      assert.ok(Math.abs((b.hands as number) - b.all) < 1e-9 * b.all);
      assert.equal(b.body, null);
      assert.equal(b.background, null);
    }
    const again = heldoutError({ model: TINY, params, clips: toyClips(3, 0, 0), bands: [0, 0.5, 1], seed: 3, batch: 3 });
    again.forEach((b, i) => {
      assert.ok(Math.abs(b.all - a[i].all) < 1e-6 * a[i].all, 'the same draws whatever the batch or masks');
      assert.ok(Math.abs((b.background as number) - b.all) < 1e-9 * b.all);
      assert.equal(b.hands, null);
    });
    // half figure, no hands: body and background are the same pixels at equal weight
    const half = heldoutError({ model: TINY, params, clips: toyClips(3, 0, 0.5), bands: [0, 1], seed: 3, batch: 3 })[0];
    assert.ok(Math.abs((half.body as number) - half.all) < 1e-9 * half.all && Math.abs((half.background as number) - half.all) < 1e-9 * half.all);
    tf.dispose(Object.values(params));
  });

  it('rejects bad bands, batches and masks', () => {
    const params = initParams(TINY, 1);
    const clips = toyClips(1, 0, 0);
    assert.throws(() => heldoutError({ model: TINY, params, clips, bands: [0.5], seed: 1, batch: 1 }), /increasing edges/);
    assert.throws(() => heldoutError({ model: TINY, params, clips, bands: [0.5, 0.2], seed: 1, batch: 1 }), /increasing edges/);
    assert.throws(() => heldoutError({ model: TINY, params, clips, bands: [0, 1], seed: 1, batch: 0 }), /batch must be/);
    assert.throws(() => heldoutError({ model: TINY, params, clips: [{ ...clips[0], hands: new Float32Array(2) }], bands: [0, 1], seed: 1, batch: 1 }), /masks of 2/);
    assert.throws(() => heldoutError({ model: TINY, params, clips: [], bands: [0, 1], seed: 1, batch: 1 }), /no clips/);
    tf.dispose(Object.values(params));
  });
});
