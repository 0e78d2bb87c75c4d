import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { bodyKeypointMetrics, handKeypointMetrics, KEYPOINT_COUNT } from '../src';

/** Keypoints [F, 60, 3] with every keypoint at (10 + k % 5, 20 + k % 7), visible. */
function truth(frames: number): Float32Array {
  const kp = new Float32Array(frames * KEYPOINT_COUNT * 3);
  for (let f = 0; f < frames; f++)
    for (let k = 0; k < KEYPOINT_COUNT; k++) {
      const o = (f * KEYPOINT_COUNT + k) * 3;
      kp[o] = 10 + (k % 5);
      kp[o + 1] = 20 + (k % 7);
      kp[o + 2] = 1;
    }
  return kp;
}

describe('handKeypointMetrics', () => {
  // hand boxes 10 px wide, 5 px tall -> box size 10 -> PCK@0.2 threshold 2 px
  const boxes = [5, 5, 15, 10, 30, 30, 40, 35, 5, 5, 15, 10, 30, 30, 40, 35];

  it('is 0 px and PCK 1 for perfect predictions', () => {
    const gt = truth(2);
    const m = handKeypointMetrics(gt, gt, boxes, [1, 1, 1, 1], 2);
    assert.equal(m.meanError, 0);
    assert.equal(m.pck, 1);
    assert.equal(m.count, 4 * 21);
  });

  it('measures pixel error and PCK at 0.2 x max(box w, h) over visible keypoints of visible hands only', () => {
    const gt = truth(2);
    const pred = gt.slice();
    // frame 0, left hand (18..38): shift 7 keypoints by (3, 4) = 5 px (> 2 px: misses), others exact
    for (let k = 18; k < 25; k++) {
      pred[k * 3] += 3;
      pred[k * 3 + 1] += 4;
    }
    // frame 0, right hand: shift every keypoint by exactly 2 px (== threshold: hits)
    for (let k = 39; k < 60; k++) pred[k * 3] += 2;
    // frame 1, right hand: hidden; huge errors there must not count
    for (let k = 39; k < 60; k++) pred[(KEYPOINT_COUNT + k) * 3] += 100;
    // frame 1, left hand: keypoint 18 not visible in the truth, huge error must not count
    gt[(KEYPOINT_COUNT + 18) * 3 + 2] = 0;
    pred[(KEYPOINT_COUNT + 18) * 3] += 100;
    const m = handKeypointMetrics(pred, gt, boxes, [1, 1, 1, 0], 2);
    assert.ok(Math.abs((m.handError[0][0] as number) - (7 * 5) / 21) < 1e-12);
    assert.ok(Math.abs((m.handPck[0][0] as number) - 14 / 21) < 1e-12);
    assert.equal(m.handError[0][1], 2);
    assert.equal(m.handPck[0][1], 1);
    assert.equal(m.handError[1][0], 0);
    assert.equal(m.handError[1][1], null);
    assert.equal(m.count, 21 + 21 + 20);
    assert.ok(Math.abs((m.meanError as number) - (35 + 42) / 62) < 1e-12);
    assert.ok(Math.abs((m.pck as number) - (14 + 21 + 20) / 62) < 1e-12);
  });

  it('rejects wrong lengths and bad boxes, naming the argument', () => {
    const gt = truth(2);
    assert.throws(() => handKeypointMetrics(gt.subarray(3), gt, boxes, [1, 1, 1, 1], 2), /pred has 357 values, expected \[2, 60, 3\]/);
    assert.throws(() => handKeypointMetrics(gt, gt, boxes.slice(0, 8), [1, 1, 1, 1], 2), /boxes has 8 entries, expected 16/);
    assert.throws(() => handKeypointMetrics(gt, gt, boxes, [1, 1, 1, 1], 2, { pckFactor: 0 }), /opts\.pckFactor/);
    const empty = boxes.slice();
    empty[2] = 5;
    assert.throws(() => handKeypointMetrics(gt, gt, empty, [1, 1, 1, 1], 2), /boxes\[0\]\[0\] = \[5, 5, 5, 10\] must satisfy 0 <= x0 < x1 and 0 <= y0 < y1 \(/);
  });
});

describe('bodyKeypointMetrics', () => {
  it('uses PCK at 0.1 of the diagonal of the tight box around the visible true body keypoints', () => {
    const gt = truth(1);
    // body keypoints span x 10..14, y 20..26 -> diagonal sqrt(16 + 36) = 7.21 -> threshold 0.721 px
    const pred = gt.slice();
    pred[0] += 0.7; // hit
    pred[3] += 0.8; // miss
    const m = bodyKeypointMetrics(pred, gt, 1);
    assert.equal(m.count, 18);
    assert.ok(Math.abs((m.pck as number) - 17 / 18) < 1e-12);
    assert.ok(Math.abs((m.meanError as number) - 1.5 / 18) < 1e-6);
  });

  it('skips frames with fewer than two visible body keypoints', () => {
    const gt = truth(2);
    for (let k = 1; k < 18; k++) gt[(KEYPOINT_COUNT + k) * 3 + 2] = 0;
    const m = bodyKeypointMetrics(gt, gt, 2);
    assert.deepEqual(m.framePck, [1, null]);
    assert.equal(m.count, 18);
  });
});
