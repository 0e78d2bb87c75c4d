import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gaussianWindow, ImageArray, psnr, ssim, ssimFromMap, ssimMap, SSIM_K1, SSIM_K2 } from '../src';
import { rng } from '../src/core/seeds';

const C1 = SSIM_K1 ** 2;
const C2 = SSIM_K2 ** 2;

/** A textured test image [h, w, c] in [0.2, 0.8]. */
function textured(h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        const checker = ((x >> 2) + (y >> 2)) % 2 ? 0.1 : -0.1;
        out[(y * w + x) * c + ch] = 0.5 + checker + 0.2 * Math.sin(x / 3 + ch) * Math.cos(y / 4);
      }
  return out;
}

function img(data: Float32Array | Uint8Array, height: number, width: number, channels: number): ImageArray {
  return { data, height, width, channels };
}

/** Separable box blur with radius r (edge-clamped). */
function blur(src: Float32Array, h: number, w: number, c: number, r: number): Float32Array {
  if (r === 0) return src.slice();
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  const at = (v: number, n: number) => Math.min(n - 1, Math.max(0, v));
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let k = -r; k <= r; k++) s += src[(y * w + at(x + k, w)) * c + ch];
        tmp[(y * w + x) * c + ch] = s / (2 * r + 1);
      }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        let s = 0;
        for (let k = -r; k <= r; k++) s += tmp[(at(y + k, h) * w + x) * c + ch];
        out[(y * w + x) * c + ch] = s / (2 * r + 1);
      }
  return out;
}

describe('Gaussian window', () => {
  it('has 11 taps summing to 1 that equal the analytic normalised Gaussian with sigma 1.5', () => {
    const g = gaussianWindow();
    assert.equal(g.length, 11);
    let z = 0;
    for (let k = -5; k <= 5; k++) z += Math.exp(-(k * k) / (2 * 1.5 * 1.5));
    for (let k = -5; k <= 5; k++) assert.ok(Math.abs(g[k + 5] - Math.exp(-(k * k) / 4.5) / z) < 1e-15, `tap ${k}`);
    assert.ok(Math.abs(g.reduce((s, v) => s + v, 0) - 1) < 1e-15);
    // the 2-D window is the outer product; its weights sum to 1 too
    let s2 = 0;
    for (let i = 0; i < 11; i++) for (let j = 0; j < 11; j++) s2 += g[i] * g[j];
    assert.ok(Math.abs(s2 - 1) < 1e-14);
    assert.ok(Math.abs(g[5] - 0.26601) < 1e-5, `centre tap ${g[5]}`);
  });
});

describe('ssim', () => {
  it('is 1 for an image with itself', () => {
    const a = textured(64, 64, 3);
    assert.ok(Math.abs(ssim(img(a, 64, 64, 3), img(a, 64, 64, 3)) - 1) < 1e-12);
    const map = ssimMap(a, a, 64, 64, 3);
    for (const v of map) assert.ok(Math.abs(v - 1) < 1e-6);
  });

  it('matches the closed form (2pq + C1) / (p^2 + q^2 + C1) on constant images, at every pixel including the border', () => {
    for (const [p, q] of [[0.2, 0.7], [0.5, 0.5], [0, 1], [0.9, 0.1]]) {
      const a = new Float32Array(16 * 20 * 2).fill(p);
      const b = new Float32Array(16 * 20 * 2).fill(q);
      const expected = (2 * Math.fround(p) * Math.fround(q) + C1) / (Math.fround(p) ** 2 + Math.fround(q) ** 2 + C1);
      assert.ok(Math.abs(ssim(img(a, 16, 20, 2), img(b, 16, 20, 2)) - expected) < 1e-9, `p=${p} q=${q}`);
      for (const v of ssimMap(a, b, 16, 20, 2)) assert.ok(Math.abs(v - expected) < 1e-6);
    }
  });

  it('matches a hand-computed 11x11 case: one bright pixel at the centre of an all-black image', () => {
    // Only one valid window (centred on pixel (5, 5)); x = 0 everywhere, y = 1 at the centre only.
    let z = 0;
    for (let k = -5; k <= 5; k++) z += Math.exp(-(k * k) / 4.5);
    const w = (1 / z) ** 2; // weight of the centre pixel in the 2-D window
    const muY = w;
    const varY = w - w * w;
    const expected = (C1 * C2) / ((muY * muY + C1) * (varY + C2));
    const a = new Float32Array(121);
    const b = new Float32Array(121);
    b[60] = 1;
    const got = ssim(img(a, 11, 11, 1), img(b, 11, 11, 1));
    assert.ok(Math.abs(got - expected) < 1e-12, `${got} vs ${expected}`);
    assert.ok(Math.abs(ssimFromMap(ssimMap(a, b, 11, 11, 1), 11, 11) - expected) < 1e-7);
  });

  it('falls monotonically as Gaussian noise grows', () => {
    const a = textured(64, 64, 3);
    const noise = rng(7, 'test', 'ssim-noise').normals(a.length);
    let prev = 1;
    for (const sigma of [0.01, 0.02, 0.04, 0.08, 0.16]) {
      const b = a.map((v, i) => Math.min(1, Math.max(0, v + sigma * noise[i])));
      const s = ssim(img(a, 64, 64, 3), img(b, 64, 64, 3));
      assert.ok(s < prev, `sigma ${sigma}: ${s} !< ${prev}`);
      prev = s;
    }
    assert.ok(prev < 0.6, `heavy noise should give a low SSIM, got ${prev}`);
  });

  it('falls monotonically as blur grows', () => {
    const a = textured(64, 64, 3);
    let prev = 1 + 1e-12;
    for (const r of [0, 1, 2, 3, 5]) {
      const s = ssim(img(a, 64, 64, 3), img(blur(a, 64, 64, 3, r), 64, 64, 3));
      assert.ok(s < prev, `radius ${r}: ${s} !< ${prev}`);
      prev = s;
    }
  });

  it('is symmetric and averages over channels', () => {
    const a = textured(32, 32, 3);
    const b = blur(a, 32, 32, 3, 1);
    assert.ok(Math.abs(ssim(img(a, 32, 32, 3), img(b, 32, 32, 3)) - ssim(img(b, 32, 32, 3), img(a, 32, 32, 3))) < 1e-14);
    const perChannel = [0, 1, 2].map((ch) => {
      const pa = new Float32Array(32 * 32);
      const pb = new Float32Array(32 * 32);
      for (let i = 0; i < 32 * 32; i++) {
        pa[i] = a[i * 3 + ch];
        pb[i] = b[i * 3 + ch];
      }
      return ssim(img(pa, 32, 32, 1), img(pb, 32, 32, 1));
    });
    const mean = perChannel.reduce((s, v) => s + v, 0) / 3;
    assert.ok(Math.abs(ssim(img(a, 32, 32, 3), img(b, 32, 32, 3)) - mean) < 1e-12);
  });

  it('reads bytes as v / 255 and accepts tfjs tensors [H, W, C] (float32 and int32)', () => {
    const a = textured(16, 16, 3);
    const b = blur(a, 16, 16, 3, 1);
    const a8 = Uint8Array.from(a, (v) => Math.round(v * 255));
    const b8 = Uint8Array.from(b, (v) => Math.round(v * 255));
    const fromBytes = ssim(img(a8, 16, 16, 3), img(b8, 16, 16, 3));
    const fromFloats = ssim(img(Float32Array.from(a8, (v) => v / 255), 16, 16, 3), img(Float32Array.from(b8, (v) => v / 255), 16, 16, 3));
    assert.ok(Math.abs(fromBytes - fromFloats) < 1e-6);
    const ta = tf.tensor3d(a, [16, 16, 3]);
    const tb = tf.tensor3d(b, [16, 16, 3]);
    assert.ok(Math.abs(ssim(ta, tb) - ssim(img(a, 16, 16, 3), img(b, 16, 16, 3))) < 1e-12);
    assert.ok(Math.abs(psnr(ta, tb) - psnr(img(a, 16, 16, 3), img(b, 16, 16, 3))) < 1e-12);
    const ia = tf.tensor3d(Int32Array.from(a8), [16, 16, 3], 'int32');
    const ib = tf.tensor3d(Int32Array.from(b8), [16, 16, 3], 'int32');
    assert.ok(Math.abs(ssim(ia, ib) - fromBytes) < 1e-12);
    tf.dispose([ta, tb, ia, ib]);
  });

  it('rejects mismatched shapes, bad values and too-small images with an Error naming the argument', () => {
    const a = textured(16, 16, 3);
    assert.throws(() => ssim(img(a, 16, 16, 3), img(textured(16, 12, 3), 16, 12, 3)), /^Error: b has shape \[16, 12, 3\]/);
    assert.throws(() => ssim(img(a, 16, 16, 3), img(a, 16, 16, 2)), /b\.data has 768 values, expected 512/);
    const bad = a.slice();
    bad[5] = 1.5;
    assert.throws(() => ssim(img(bad, 16, 16, 3), img(a, 16, 16, 3)), /a\.data\[5\] = 1\.5 is outside \[0, 1\]/);
    bad[5] = NaN;
    assert.throws(() => ssim(img(a, 16, 16, 3), img(bad, 16, 16, 3)), /b\.data\[5\] = NaN/);
    assert.throws(() => ssim(img(a.subarray(0, 8 * 8 * 3), 8, 8, 3), img(a.subarray(0, 8 * 8 * 3), 8, 8, 3)), /a must be at least 11x11/);
    const t4 = tf.zeros([1, 16, 16, 3]);
    assert.throws(() => ssim(t4 as tf.Tensor, img(a, 16, 16, 3)), /a must be a tensor \[H, W, C\]/);
    t4.dispose();
    assert.throws(() => ssimMap(a, a, 16, 16, 0), /channels must be an integer >= 1/);
    assert.throws(() => ssimMap(a, a.subarray(1), 16, 16, 3), /^Error: b has 767 values/);
  });

  it('keeps the valid interior of the same-size map equal to the standard map, and defines it at the border', () => {
    const a = textured(24, 24, 1);
    const b = blur(a, 24, 24, 1, 2);
    const map = ssimMap(a, b, 24, 24, 1);
    // Standard map at (8, 9) computed directly from the full 11x11 window.
    const g = gaussianWindow();
    let mx = 0, my = 0, mxx = 0, myy = 0, mxy = 0;
    for (let i = 0; i < 11; i++)
      for (let j = 0; j < 11; j++) {
        const o = (8 + i - 5) * 24 + (9 + j - 5);
        const wgt = g[i] * g[j];
        mx += wgt * a[o]; my += wgt * b[o]; mxx += wgt * a[o] * a[o]; myy += wgt * b[o] * b[o]; mxy += wgt * a[o] * b[o];
      }
    const s = ((2 * mx * my + C1) * (2 * (mxy - mx * my) + C2)) / ((mx * mx + my * my + C1) * (mxx - mx * mx + myy - my * my + C2));
    assert.ok(Math.abs(map[8 * 24 + 9] - s) < 1e-6);
    // Corner pixel: truncated window (rows/cols 0..5) renormalised.
    let z = 0;
    mx = my = mxx = myy = mxy = 0;
    for (let i = 5; i < 11; i++)
      for (let j = 5; j < 11; j++) {
        const o = (i - 5) * 24 + (j - 5);
        const wgt = g[i] * g[j];
        z += wgt;
        mx += wgt * a[o]; my += wgt * b[o]; mxx += wgt * a[o] * a[o]; myy += wgt * b[o] * b[o]; mxy += wgt * a[o] * b[o];
      }
    [mx, my, mxx, myy, mxy] = [mx / z, my / z, mxx / z, myy / z, mxy / z];
    const sc = ((2 * mx * my + C1) * (2 * (mxy - mx * my) + C2)) / ((mx * mx + my * my + C1) * (mxx - mx * mx + myy - my * my + C2));
    assert.ok(Math.abs(map[0] - sc) < 1e-6, `${map[0]} vs ${sc}`);
  });
});
