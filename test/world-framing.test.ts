/** The camera (world.framing): a close-up magnifies hands by the zoom about the aimed body point; absent, the full-body shot. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { UsageError } from '../src/core/errors';
import { PROFILES } from '../src/study/profiles';
import { makeClip, validateWorld } from '../src/world/clip';
import { WorldConfig } from '../src/world/config';

const FULL: WorldConfig = { ...PROFILES.fullbody.world, splits: { train: 8, val: 1, 'test-general': 1, 'test-hands': 1 } };
const CLOSE: WorldConfig = { ...FULL, framing: { zoom: 1.5, aim: 0.3 } };

/** Mean hand-box side over the visible hands of the first n train clips. */
function meanBoxSide(w: WorldConfig, n: number): number {
  let sum = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const c = makeClip(1, 'train', i, w);
    for (let h = 0; h < 2 * c.numFrames; h++) {
      if (!c.handVisible[h]) continue;
      const b = c.handBoxes.subarray(4 * h, 4 * h + 4);
      const inside = b[0] > 0 && b[1] > 0 && b[2] < c.size && b[3] < c.size;
      if (!inside) continue;
      sum += Math.max(b[2] - b[0], b[3] - b[1]);
      k++;
    }
  }
  return sum / k;
}

describe('framing', () => {
  it('zoom scales the hands and centres the aimed point of the body', () => {
    const ratio = meanBoxSide(CLOSE, 8) / meanBoxSide(FULL, 8);
    assert.ok(ratio > 1.35 && ratio < 1.65, `hand boxes grew ${ratio.toFixed(2)}x at zoom 1.5`);
    // The neck-to-pelvis point at aim, averaged over the frames, lands at the frame centre (the reference counts too).
    const c = makeClip(1, 'train', 0, CLOSE);
    const K3 = 60 * 3;
    let x = 0;
    let y = 0;
    for (let f = 0; f < c.numFrames; f++) {
      const kp = c.keypoints.subarray(f * K3);
      const neck = [kp[3], kp[4]];
      const pelvis = [(kp[24] + kp[33]) / 2, (kp[25] + kp[34]) / 2];
      x += neck[0] + 0.3 * (pelvis[0] - neck[0]);
      y += neck[1] + 0.3 * (pelvis[1] - neck[1]);
    }
    assert.ok(Math.abs(x / c.numFrames - 32) < 3 && Math.abs(y / c.numFrames - 32) < 3, `aimed point at (${(x / c.numFrames).toFixed(1)}, ${(y / c.numFrames).toFixed(1)})`);
  });

  it('is deterministic, and a bad camera is a UsageError naming the field', () => {
    assert.deepEqual(Buffer.from(makeClip(1, 'val', 0, CLOSE).frames.buffer), Buffer.from(makeClip(1, 'val', 0, CLOSE).frames.buffer));
    assert.throws(() => validateWorld({ ...FULL, framing: { zoom: 0.5, aim: 0.3 } }), (e: unknown) => e instanceof UsageError && /framing\.zoom/.test((e as Error).message));
    assert.throws(() => validateWorld({ ...FULL, framing: { zoom: 2, aim: 3 } }), /framing\.aim/);
  });
});
