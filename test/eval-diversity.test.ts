import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { handBoxMask, inputDiversity, nearestDistance, videoDistance } from '../src/eval/diversity';

// 1 frame of 2 x 2 px, RGB: 12 values
const V = 12;
const flat = (v: number) => new Uint8Array(V).fill(v);

describe('eval/diversity', () => {
  it('videoDistance is the RMS difference in [0, 1] units, over the masked pixels only', () => {
    assert.equal(videoDistance(flat(0), flat(255)), 1);
    assert.equal(videoDistance(flat(10), flat(10)), 0);
    const b = flat(0);
    b.set([255, 255, 255], 0); // pixel 0 white
    assert.ok(Math.abs(videoDistance(flat(0), b) - Math.sqrt(0.25)) < 1e-12); // 3 of 12 values differ by 1
    assert.equal(videoDistance(flat(0), b, [1, 0, 0, 0]), 1);
    assert.equal(videoDistance(flat(0), b, [0, 1, 1, 1]), 0);
    assert.throws(() => videoDistance(flat(0), b, [0, 0, 0, 0]), /keeps no pixel/);
    assert.throws(() => videoDistance(flat(0), new Uint8Array(9)), /12 and 9 values/);
  });

  it('inputDiversity is the mean over pairs: three samples at 0, 0 and 255 give (0 + 1 + 1) / 3', () => {
    const v = new Uint8Array(3 * V);
    v.fill(255, 2 * V);
    assert.ok(Math.abs(inputDiversity(v, 3) - 2 / 3) < 1e-12);
    assert.equal(inputDiversity(new Uint8Array(2 * V).fill(7), 2), 0, 'identical samples have no diversity');
    assert.throws(() => inputDiversity(v, 1), /k must be an integer >= 2/);
    assert.throws(() => inputDiversity(new Uint8Array(25), 2), /not 2 videos/);
  });

  it('nearestDistance picks the closest reference for each sample', () => {
    const refs = new Uint8Array(2 * V);
    refs.fill(255, V); // references at 0 and 255
    const samples = new Uint8Array(2 * V);
    samples.fill(51, 0, V); // 0.2 from the first
    samples.fill(204, V); // 0.2 from the second
    const d = nearestDistance(samples, refs, V);
    assert.ok(Math.abs(d[0] - 0.2) < 1e-12 && Math.abs(d[1] - 0.2) < 1e-12, `${d}`);
    assert.throws(() => nearestDistance(samples, new Uint8Array(0), V), /no reference/);
  });

  it('handBoxMask marks the pixels of visible boxes, clipped to the frame', () => {
    // 2 frames of 4 x 4: frame 0 left box [1, 1, 3, 2) visible, right box hidden; frame 1 right box [3, 3, 9, 9) clipped
    const boxes = [1, 1, 3, 2, 0, 0, 4, 4, 0, 0, 0, 0, 3, 3, 9, 9];
    const m = handBoxMask(boxes, [1, 0, 0, 1], 2, 4);
    assert.deepEqual([...m.subarray(0, 16)], [0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual([...m.subarray(16)].map((x, i) => (x ? i : -1)).filter((i) => i >= 0), [15]);
    assert.throws(() => handBoxMask([0], [1, 1], 1, 4), /boxes of 1/);
  });
});
