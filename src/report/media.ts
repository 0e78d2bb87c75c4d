/**
 * Media: PNG and animated GIF encoding of raw uint8 images through sharp, atomic file writes, and nearest-neighbour
 * upscaling for viewing small frames.
 */
import type { Sharp, SharpOptions } from 'sharp';
import { writeFileAtomic } from '../core/files';

/** sharp, loaded on first use so that importing the kit does not load its native library. */
async function sharpOf(input: Buffer, options: SharpOptions): Promise<Sharp> {
  const sharp = (await import('sharp')).default;
  return sharp(input, options);
}

/** Channels sharp accepts for raw input. */
export type Channels = 1 | 2 | 3 | 4;

function checkRaw(pixels: Uint8Array, width: number, height: number, channels: number, what: string): void {
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) throw new Error(`${what}: width and height must be positive integers, got ${width}x${height}`);
  if (![1, 2, 3, 4].includes(channels)) throw new Error(`${what}: channels must be 1..4, got ${channels}`);
  if (pixels.length !== width * height * channels) {
    throw new Error(`${what}: ${pixels.length} bytes for ${width}x${height}x${channels} (expected ${width * height * channels})`);
  }
}

/** A PNG of a raw row-major image. */
export async function encodePng(pixels: Uint8Array, width: number, height: number, channels: Channels = 3): Promise<Buffer> {
  checkRaw(pixels, width, height, channels, 'encodePng');
  return (await sharpOf(Buffer.from(pixels.buffer, pixels.byteOffset, pixels.byteLength), { raw: { width, height, channels } })).png().toBuffer();
}

/** Write a PNG atomically. */
export async function writePng(file: string, pixels: Uint8Array, width: number, height: number, channels: Channels = 3): Promise<void> {
  writeFileAtomic(file, await encodePng(pixels, width, height, channels));
}

/** Nearest-neighbour upscale of a raw image by an integer factor. */
export function upscaleNearest(pixels: Uint8Array, width: number, height: number, factor: number, channels = 3): Uint8Array {
  checkRaw(pixels, width, height, channels, 'upscaleNearest');
  if (!Number.isInteger(factor) || factor < 1) throw new Error(`upscaleNearest: factor must be a positive integer, got ${factor}`);
  const W = width * factor;
  const out = new Uint8Array(W * height * factor * channels);
  for (let y = 0; y < height * factor; y++) {
    const sy = Math.floor(y / factor);
    for (let x = 0; x < W; x++) {
      const src = (sy * width + Math.floor(x / factor)) * channels;
      const dst = (y * W + x) * channels;
      for (let c = 0; c < channels; c++) out[dst + c] = pixels[src + c];
    }
  }
  return out;
}

/** An animated GIF (looping) of equally sized RGB frames, each shown for delayMs. */
export async function encodeGif(frames: Uint8Array[], width: number, height: number, delayMs: number): Promise<Buffer> {
  if (frames.length === 0) throw new Error('encodeGif: no frames');
  if (!(delayMs >= 0)) throw new Error(`encodeGif: delayMs must be >= 0, got ${delayMs}`);
  frames.forEach((f, i) => checkRaw(f, width, height, 3, `encodeGif frame ${i}`));
  const all = Buffer.concat(frames.map((f) => Buffer.from(f.buffer, f.byteOffset, f.byteLength)));
  return (await sharpOf(all, { raw: { width, height: height * frames.length, channels: 3, pageHeight: height } }))
    .gif({ delay: frames.map(() => Math.round(delayMs)), loop: 0 })
    .toBuffer();
}

/** Write an animated GIF atomically. */
export async function writeGif(file: string, frames: Uint8Array[], width: number, height: number, delayMs: number): Promise<void> {
  writeFileAtomic(file, await encodeGif(frames, width, height, delayMs));
}
