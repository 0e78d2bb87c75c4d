import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { capPsnr, meanPsnr, mse, psnr, psnrFromMse, PSNR_CAP_DB } from '../src';

const img = (data: Float32Array | Uint8Array, height: number, width: number, channels: number) => ({ data, height, width, channels });

describe('psnr', () => {
  it('is Infinity for identical images', () => {
    const a = new Float32Array(4 * 5 * 3).map((_, i) => (i % 7) / 7);
    assert.equal(psnr(img(a, 4, 5, 3), img(a.slice(), 4, 5, 3)), Infinity);
  });

  it('equals 10 log10(1 / MSE) on a fixture', () => {
    // 2x2 gray: errors 0.1, 0, -0.2, 0.05 -> MSE = (0.01 + 0 + 0.04 + 0.0025) / 4 = 0.013125
    const a = new Float64Array([0.5, 0.5, 0.5, 0.5]);
    const b = new Float64Array([0.4, 0.5, 0.7, 0.45]);
    assert.ok(Math.abs(mse(img(a as unknown as Float32Array, 2, 2, 1), img(b as unknown as Float32Array, 2, 2, 1)) - 0.013125) < 1e-15);
    const expected = 10 * Math.log10(1 / 0.013125);
    assert.ok(Math.abs(psnr(img(a as unknown as Float32Array, 2, 2, 1), img(b as unknown as Float32Array, 2, 2, 1)) - expected) < 1e-12);
    assert.ok(Math.abs(expected - 18.8190) < 1e-4);
  });

  it('reads bytes as v / 255: black vs white is 0 dB, one grey level everywhere is 48.13 dB', () => {
    assert.equal(psnr(img(new Uint8Array(12), 2, 2, 3), img(new Uint8Array(12).fill(255), 2, 2, 3)), 0);
    const one = psnr(img(new Uint8Array(12).fill(10), 2, 2, 3), img(new Uint8Array(12).fill(11), 2, 2, 3));
    assert.ok(Math.abs(one - 20 * Math.log10(255)) < 1e-9);
  });

  it('caps Infinity at PSNR_CAP_DB when averaging, and nothing else', () => {
    assert.equal(PSNR_CAP_DB, 100);
    assert.equal(capPsnr(Infinity), 100);
    assert.equal(capPsnr(37.5), 37.5);
    assert.equal(meanPsnr([20, Infinity]), 60);
    assert.equal(meanPsnr([20, 30]), 25);
    assert.ok(Number.isNaN(meanPsnr([])));
    assert.throws(() => meanPsnr([20, NaN]), /values\[1\] must be a number/);
    assert.equal(psnrFromMse(0), Infinity);
    assert.throws(() => psnrFromMse(-1), /mse must be/);
  });

  it('rejects mismatched shapes with an Error naming the argument', () => {
    assert.throws(() => psnr(img(new Float32Array(12), 2, 2, 3), img(new Float32Array(12), 3, 4, 1)), /^Error: b has shape \[3, 4, 1\] but a has \[2, 2, 3\]/);
    assert.throws(() => psnr(img(new Float32Array(12), 2, 2, 3), { data: [1, 2] } as never), /b must be a tensor|b\.height/);
  });
});
