import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { backgroundMask, bodyMask, Box, checkBox, clipBox, clipHandMetrics, psnr, regionPsnr, regionSsim, ssim, ssimMap, ssimMapOf } from '../src';
import { rng } from '../src/core/seeds';

const H = 32;
const W = 32;
const C = 3;

function textured(seed: number): Float32Array {
  const r = rng(seed, 'test', 'regions');
  const out = new Float32Array(H * W * C);
  for (let i = 0; i < out.length; i++) {
    const px = Math.floor(i / C);
    const x = px % W;
    const y = Math.floor(px / W);
    out[i] = 0.5 + 0.25 * Math.sin(x / 2 + (i % C)) * Math.cos(y / 3) + 0.1 * (r.uniform() - 0.5);
  }
  return out;
}

const img = (data: Float32Array) => ({ data, height: H, width: W, channels: C });

describe('boxes', () => {
  it('are integer half-open bounds inside the frame', () => {
    assert.deepEqual(checkBox('box', [0, 0, 32, 32], H, W), [0, 0, 32, 32]);
    assert.throws(() => checkBox('box', [0, 0, 33, 32], H, W), /box = \[0, 0, 33, 32\] must satisfy 0 <= x0 < x1 <= 32/);
    assert.throws(() => checkBox('box', [4, 4, 4, 8], H, W), /must satisfy/);
    assert.throws(() => checkBox('box', [1.5, 0, 4, 4], H, W), /integer pixel bounds/);
    assert.throws(() => checkBox('box', [1, 2, 3], H, W), /box must be \[x0, y0, x1, y1\]/);
    assert.deepEqual(clipBox([-2.5, 3.2, 8.1, 40], H, W), [0, 3, 9, 32]);
    assert.equal(clipBox([40, 0, 50, 5], H, W), null);
  });
});

describe('region metrics', () => {
  it('regionSsim is the mean of the same-size map over exactly the box pixels (x0 <= x < x1, y0 <= y < y1)', () => {
    const a = textured(1);
    const b = textured(2);
    const map = ssimMap(a, b, H, W, C);
    const box: Box = [3, 5, 7, 6]; // 4 pixels of row 5: x = 3, 4, 5, 6
    const expected = (map[5 * W + 3] + map[5 * W + 4] + map[5 * W + 5] + map[5 * W + 6]) / 4;
    assert.ok(Math.abs(regionSsim({ map, height: H, width: W }, box) - expected) < 1e-7);
    assert.ok(Math.abs(regionSsim([img(a), img(b)], box) - expected) < 1e-7);
    assert.ok(Math.abs(regionSsim(ssimMapOf(img(a), img(b)), [0, 0, 1, 1]) - map[0]) < 1e-7);
    assert.throws(() => regionSsim({ map, height: H, width: W }, [0, 0, 40, 4]), /box = \[0, 0, 40, 4\]/);
    assert.throws(() => regionSsim({ map, height: H + 1, width: W }, box), /source\.map must be/);
  });

  it('regionPsnr uses only the box pixels; the full-frame box gives the full-frame PSNR', () => {
    const a = textured(1);
    const b = a.slice();
    // change one pixel outside the box and one inside
    b[(20 * W + 20) * C] = 0;
    b[(2 * W + 2) * C + 1] = Math.min(1, a[(2 * W + 2) * C + 1] + 0.5);
    assert.equal(regionPsnr(img(a), img(b), [10, 10, 18, 18]), Infinity);
    const d = b[(2 * W + 2) * C + 1] - a[(2 * W + 2) * C + 1];
    const expected = 10 * Math.log10(1 / ((d * d) / (4 * 4 * C)));
    assert.ok(Math.abs(regionPsnr(img(a), img(b), [0, 0, 4, 4]) - expected) < 1e-9);
    assert.ok(Math.abs(regionPsnr(img(a), img(b), [0, 0, W, H]) - psnr(img(a), img(b))) < 1e-9);
  });

  it('bodyMask removes the union of visible hand boxes only', () => {
    const boxes = [2, 2, 6, 6, 4, 4, 8, 8, /* frame 1 */ 0, 0, 32, 32, 1, 1, 2, 2];
    const mask = bodyMask(boxes, [1, 1, 0, 1], 0, H, W);
    const inside = (x: number, y: number) => (x >= 2 && x < 6 && y >= 2 && y < 6) || (x >= 4 && x < 8 && y >= 4 && y < 8);
    let zeros = 0;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      assert.equal(mask[y * W + x], inside(x, y) ? 0 : 1, `(${x}, ${y})`);
      if (!mask[y * W + x]) zeros++;
    }
    assert.equal(zeros, 16 + 16 - 4);
    const m1 = bodyMask(boxes, [1, 1, 0, 1], 1, H, W); // left hand not visible: its whole-frame box is ignored
    assert.equal(m1.reduce((s, v) => s + v, 0), H * W - 1);
  });
});

describe('clipHandMetrics', () => {
  const F = 3;
  const gt = new Float32Array(F * H * W * C);
  for (let f = 0; f < F; f++) gt.set(textured(10 + f), f * H * W * C);
  const boxes = new Int32Array([
    4, 4, 12, 12, 20, 20, 28, 28, // frame 0: both hands
    4, 4, 12, 12, 20, 20, 28, 28, // frame 1: left only
    0, 0, 0, 0, 0, 0, 0, 0, // frame 2: none (invalid boxes are ignored)
  ]);
  const visible = [1, 1, 1, 0, 0, 0];
  const dims = { frames: F, height: H, width: W, channels: C };

  it('gives SSIM-Hand 1 and PSNR-Hand Infinity for a perfect clip and means over visible hands only', () => {
    const m = clipHandMetrics(gt, gt, boxes, visible, dims);
    assert.equal(m.hands.count, 3);
    assert.deepEqual(m.hands.ssim.map((r) => r.map((v) => (v === null ? null : Math.round(v * 1e6) / 1e6))), [[1, 1], [1, null], [null, null]]);
    assert.deepEqual(m.hands.psnr, [[Infinity, Infinity], [Infinity, null], [null, null]]);
    assert.equal(m.hands.meanPsnr, 100);
    assert.ok(Math.abs((m.full.meanSsim as number) - 1) < 1e-9);
  });

  it('separates hands from body: a damaged hand lowers SSIM-Hand, not the body, and the per-frame values match the image functions', () => {
    const gen = gt.slice();
    const noise = rng(3, 'test', 'hand-noise');
    // damage the right hand of frame 0 only
    for (let y = 20; y < 28; y++) for (let x = 20; x < 28; x++) for (let c = 0; c < C; c++) gen[(y * W + x) * C + c] = noise.uniform();
    const m = clipHandMetrics(gen, gt, boxes, visible, dims);
    const right = m.hands.ssim[0][1] as number;
    assert.ok(right < 0.5, `damaged hand SSIM ${right}`);
    assert.ok(Math.abs((m.hands.ssim[0][0] as number) - 1) < 1e-6, 'untouched left hand stays at 1');
    assert.equal(m.body.psnr[0], Infinity, 'body pixels are untouched');
    assert.ok((m.body.ssim[0] as number) > 0.9);
    const f0 = { data: gen.subarray(0, H * W * C), height: H, width: W, channels: C };
    const g0 = { data: gt.subarray(0, H * W * C), height: H, width: W, channels: C };
    assert.ok(Math.abs(right - regionSsim([f0, g0], [20, 20, 28, 28])) < 1e-7);
    assert.ok(Math.abs((m.hands.psnr[0][1] as number) - regionPsnr(f0, g0, [20, 20, 28, 28])) < 1e-9);
    assert.ok(Math.abs((m.full.ssim[0] as number) - ssim(f0, g0)) < 1e-12);
    assert.ok(Math.abs((m.hands.meanSsim as number) - (right + 2) / 3) < 1e-6);
  });

  it('with a figure mask: body = character outside hand boxes, background = pixels the character does not touch', () => {
    // the character covers columns 0..15 fully, column 16 half (anti-aliased edge), nothing from column 17 on
    const figure = new Uint8Array(F * H * W);
    for (let f = 0; f < F; f++) for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) figure[(f * H + y) * W + x] = x < 16 ? 255 : x === 16 ? 128 : 0;
    const body0 = bodyMask(boxes, visible, 0, H, W, figure);
    const bg0 = backgroundMask(boxes, visible, figure, 0, H, W);
    // frame 0, left hand box x 4..11 y 4..11 is out of the body; the right hand box (x 20..27) is out of the background
    assert.equal(body0[5 * W + 5], 0);
    assert.equal(body0[5 * W + 14], 1);
    assert.equal(body0[5 * W + 16], 1, 'coverage 128 counts as body');
    assert.equal(body0[5 * W + 17], 0);
    assert.equal(bg0[5 * W + 16], 0, 'an edge pixel is neither background...');
    assert.equal(bg0[5 * W + 17], 1);
    assert.equal(bg0[22 * W + 22], 0, '...nor is a hand box');
    assert.equal(body0.reduce((a, v) => a + v, 0), 17 * H - 64); // 17 body columns minus the 8x8 left box
    assert.equal(bg0.reduce((a, v) => a + v, 0), (W - 17) * H - 64); // background columns minus the right box
    // damage the background of frame 0 only: background PSNR drops there, the body stays exact
    const gen = gt.slice();
    for (let y = 0; y < 4; y++) for (let x = 17; x < W; x++) for (let c = 0; c < C; c++) gen[(y * W + x) * C + c] = 1 - gt[(y * W + x) * C + c];
    const m = clipHandMetrics(gen, gt, boxes, visible, dims, figure);
    assert.equal(m.body.psnr[0], Infinity);
    assert.ok((m.background.psnr[0] as number) < 30);
    assert.deepEqual(m.background.psnr.slice(1), [Infinity, Infinity]);
    const plain = clipHandMetrics(gen, gt, boxes, visible, dims);
    assert.deepEqual(plain.background.ssim, [null, null, null], 'no figure mask: no background');
    assert.equal(plain.background.meanPsnr, null);
    assert.throws(() => clipHandMetrics(gen, gt, boxes, visible, dims, figure.subarray(1)), /figure has/);
  });

  it('rejects bad boxes of visible hands and wrong lengths, naming the argument', () => {
    assert.throws(() => clipHandMetrics(gt, gt, boxes, [1, 1, 1, 0, 1, 0], dims), /boxes\[2\]\[0\]/);
    assert.throws(() => clipHandMetrics(gt, gt, boxes.subarray(1), visible, dims), /boxes has 23 entries, expected 24/);
    assert.throws(() => clipHandMetrics(gt, gt.subarray(1), boxes, visible, dims), /^Error: gt has/);
    assert.throws(() => clipHandMetrics(gt, gt, boxes, visible, { ...dims, frames: 0 }), /dims\.frames/);
  });
});
