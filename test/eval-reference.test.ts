/**
 * Cross-checks against scikit-image 0.19.3 and scipy 1.10.1 (Debian python3-skimage), numbers computed once and
 * stored here so the tests need no Python. The reference was made with:
 *
 *   def hash01(i, salt): return ((i * 1103515245 + 12345 + salt * 2654435761) % 2147483648) / 2147483648.0
 *   a[y, x, ch] = 0.5 + 0.35 * sin(x / 5 + ch) * cos(y / 7 - ch)
 *   b[y, x, ch] = clip(a + noise * (hash01((y * w + x) * c + ch, salt) - 0.5), 0, 1)      (both cast to float32)
 *   structural_similarity(a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1,
 *                         channel_axis=-1, full=True)  -> ssim and the map (channel mean) at a few valid pixels
 *   peak_signal_noise_ratio(a, b, data_range=1)
 *   ssimUint8: the same on round(255 a) / 255 and round(255 b) / 255
 *   Frechet: feats[i, j] = hash01(i * d + j, salt) + shift * (j % 3) + 0.3 * hash01(i, salt + 7) (float32),
 *            mu, numpy.cov, scipy.linalg.sqrtm(s1 @ s2) as in the FID reference code.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { frechetDistance, psnr, ssim, ssimMap } from '../src';

const REF = {
  smooth64: { h: 64, w: 64, c: 3, salt: 1, noise: 0.2, ssim: 0.6901372659078647, psnr: 24.770546439916792, ssimUint8: 0.6897257050366434,
    mapPoints: [[5, 5, 0.605944835472432], [32, 21, 0.7294363504317508], [58, 58, 0.6862708668816033]] },
  rect40x48: { h: 40, w: 48, c: 3, salt: 2, noise: 0.5, ssim: 0.29565029844556073, psnr: 16.864836896191264, ssimUint8: 0.2959591446926408,
    mapPoints: [[5, 5, 0.19766266134117572], [20, 16, 0.2999177190002571], [34, 42, 0.3475992088592523]] },
  gray32: { h: 32, w: 32, c: 1, salt: 3, noise: 0.1, ssim: 0.893694347316244, psnr: 30.805430603615914, ssimUint8: 0.8927893596209135,
    mapPoints: [[5, 5, 0.8682102176189362], [16, 10, 0.8781479903285504], [26, 26, 0.8958439335714163]] },
} as const;
const FRECHET = { nA: 40, nB: 50, dim: 6, saltA: 11, saltB: 12, shiftA: 0.0, shiftB: 0.2, fd: 0.4217594545766361 };

function hash01(i: number, salt: number): number {
  return ((i * 1103515245 + 12345 + salt * 2654435761) % 2147483648) / 2147483648;
}

function pair(h: number, w: number, c: number, salt: number, noise: number): [Float32Array, Float32Array] {
  const a = new Float32Array(h * w * c);
  const b = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let ch = 0; ch < c; ch++) {
        const i = (y * w + x) * c + ch;
        const v = 0.5 + 0.35 * Math.sin(x / 5 + ch) * Math.cos(y / 7 - ch);
        a[i] = v;
        b[i] = Math.min(1, Math.max(0, v + noise * (hash01(i, salt) - 0.5)));
      }
  return [a, b];
}

describe('cross-check with scikit-image', () => {
  for (const [name, r] of Object.entries(REF)) {
    it(`${name}: SSIM, SSIM map and PSNR agree to 1e-6`, () => {
      const [a, b] = pair(r.h, r.w, r.c, r.salt, r.noise);
      const A = { data: a, height: r.h, width: r.w, channels: r.c };
      const B = { data: b, height: r.h, width: r.w, channels: r.c };
      assert.ok(Math.abs(ssim(A, B) - r.ssim) < 1e-6, `ssim ${ssim(A, B)} vs ${r.ssim}`);
      assert.ok(Math.abs(psnr(A, B) - r.psnr) < 1e-6, `psnr ${psnr(A, B)} vs ${r.psnr}`);
      const map = ssimMap(a, b, r.h, r.w, r.c);
      for (const [y, x, v] of r.mapPoints) assert.ok(Math.abs(map[y * r.w + x] - v) < 1e-6, `map(${y}, ${x}) ${map[y * r.w + x]} vs ${v}`);
      const a8 = Uint8Array.from(a, (v) => Math.round(v * 255));
      const b8 = Uint8Array.from(b, (v) => Math.round(v * 255));
      const s8 = ssim({ data: a8, height: r.h, width: r.w, channels: r.c }, { data: b8, height: r.h, width: r.w, channels: r.c });
      assert.ok(Math.abs(s8 - r.ssimUint8) < 1e-6, `uint8 ssim ${s8} vs ${r.ssimUint8}`);
    });
  }
});

describe('cross-check with the FID reference formula (scipy sqrtm)', () => {
  it('agrees to 1e-6', () => {
    const feats = (n: number, d: number, salt: number, shift: number) =>
      Float32Array.from({ length: n * d }, (_, k) => {
        const i = Math.floor(k / d);
        const j = k % d;
        return hash01(i * d + j, salt) + shift * (j % 3) + 0.3 * hash01(i, salt + 7);
      });
    const f = FRECHET;
    const fd = frechetDistance(feats(f.nA, f.dim, f.saltA, f.shiftA), f.nA, feats(f.nB, f.dim, f.saltB, f.shiftB), f.nB, f.dim);
    assert.ok(Math.abs(fd - f.fd) < 1e-6, `${fd} vs ${f.fd}`);
  });
});
