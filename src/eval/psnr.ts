/**
 * PSNR in dB with peak 1 (data in [0, 1]): 10 log10(1 / MSE), the MSE taken over every pixel and channel.
 *
 * Identical images give MSE 0 and PSNR = Infinity, which is what `psnr` returns. Averages cannot hold
 * Infinity, so every aggregate (`meanPsnr`, and the clip and region means built on it) first caps each value
 * at PSNR_CAP_DB = 100 dB. The cap changes nothing else: one pixel off by one grey level (1/255) in a 64x64x3
 * frame is already 89 dB, so only exact copies reach it.
 */
import { pixelScale, PixelArray } from './check';
import { ImageInput, toImagePair } from './image';

/** The value a PSNR is capped at before averaging (dB). */
export const PSNR_CAP_DB = 100;

/** PSNR in dB of a mean squared error with peak 1 (Infinity for 0). */
export function psnrFromMse(mse: number): number {
  if (!(mse >= 0) || !Number.isFinite(mse)) throw new Error(`mse must be a finite number >= 0, got ${mse}`);
  return mse === 0 ? Infinity : 10 * Math.log10(1 / mse);
}

/** A PSNR capped at PSNR_CAP_DB, for averaging. */
export function capPsnr(db: number): number {
  if (Number.isNaN(db)) throw new Error('db must be a number, got NaN');
  return Math.min(db, PSNR_CAP_DB);
}

/** Mean of PSNR values (dB) with each capped at PSNR_CAP_DB first; NaN for an empty list. */
export function meanPsnr(values: ArrayLike<number>): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number' || Number.isNaN(values[i])) throw new Error(`values[${i}] must be a number, got ${values[i]}`);
    s += capPsnr(values[i]);
  }
  return s / values.length;
}

/** Mean squared error of two pixel arrays over `count` values from the given offsets (no checks). */
export function mseRaw(a: PixelArray, b: PixelArray, count: number, offsetA = 0, offsetB = 0): number {
  const sa = pixelScale(a);
  const sb = pixelScale(b);
  let s = 0;
  for (let i = 0; i < count; i++) {
    const d = a[offsetA + i] * sa - b[offsetB + i] * sb;
    s += d * d;
  }
  return s / count;
}

/** Mean squared error of two images `[H, W, C]` in [0, 1]. */
export function mse(a: ImageInput, b: ImageInput): number {
  const [ia, ib] = toImagePair(a, b);
  return mseRaw(ia.data, ib.data, ia.data.length);
}

/** PSNR (dB, peak 1) of two images `[H, W, C]` in [0, 1] (tensors or { data, height, width, channels }); Infinity when identical. */
export function psnr(a: ImageInput, b: ImageInput): number {
  return psnrFromMse(mse(a, b));
}
