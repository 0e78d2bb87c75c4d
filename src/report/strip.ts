/**
 * Clip strips: one RGB image laying out a clip for viewing: the reference then the frames (row 1), their pose maps
 * (row 2), and the frames with the hand masks overlaid and the hand boxes outlined (row 3).
 */
import { upscaleNearest } from './media';
import { Clip } from '../world/clip';

/** A raw RGB image. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Options for clipStrip. */
export interface StripOptions {
  /** Integer nearest-neighbour upscale factor (default 1). */
  scale?: number;
  /** Pixels between tiles (before scaling; default 1) and their colour. */
  gap?: number;
  gapColour?: readonly [number, number, number];
  /** Rows to include (default all three). */
  rows?: readonly ('frames' | 'poses' | 'masks')[];
}

const LEFT_TINT = [255, 40, 40] as const;
const RIGHT_TINT = [40, 120, 255] as const;
const BOX = [255, 230, 0] as const;

/** The clip laid out in rows (frames, poses, masks) with the reference in the first column. */
export function clipStrip(clip: Clip, opts: StripOptions = {}): RgbImage {
  const S = clip.size;
  const F = clip.numFrames;
  const scale = opts.scale ?? 1;
  const gap = opts.gap ?? 1;
  const rows = opts.rows ?? ['frames', 'poses', 'masks'];
  if (!Number.isInteger(scale) || scale < 1) throw new Error(`clipStrip: scale must be a positive integer, got ${scale}`);
  if (!Number.isInteger(gap) || gap < 0) throw new Error(`clipStrip: gap must be a non-negative integer, got ${gap}`);
  const cols = F + 1;
  const w = cols * S + (cols - 1) * gap;
  const h = rows.length * S + (rows.length - 1) * gap;
  const base = new Uint8Array(w * h * 3);
  const gc = opts.gapColour ?? [128, 128, 128];
  for (let i = 0; i < w * h; i++) base.set(gc, 3 * i);
  const tile = (row: number, col: number, img: Uint8Array, offset: number): void => {
    const ox = col * (S + gap);
    const oy = row * (S + gap);
    for (let y = 0; y < S; y++) base.set(img.subarray(offset + y * S * 3, offset + (y + 1) * S * 3), ((oy + y) * w + ox) * 3);
  };
  const img = S * S * 3;
  rows.forEach((kind, r) => {
    if (kind === 'frames') {
      tile(r, 0, clip.ref, 0);
      for (let f = 0; f < F; f++) tile(r, f + 1, clip.frames, f * img);
    } else if (kind === 'poses') {
      tile(r, 0, clip.refPose, 0);
      for (let f = 0; f < F; f++) tile(r, f + 1, clip.poses, f * img);
    } else {
      tile(r, 0, clip.ref, 0);
      for (let f = 0; f < F; f++) tile(r, f + 1, overlayHands(clip, f), 0);
    }
  });
  return { data: scale === 1 ? base : upscaleNearest(base, w, h, scale), width: w * scale, height: h * scale };
}

/** Frame f with each hand's mask blended in its tint and its box outlined. */
export function overlayHands(clip: Clip, f: number): Uint8Array {
  const S = clip.size;
  const img = S * S * 3;
  const out = clip.frames.slice(f * img, (f + 1) * img);
  const m0 = f * S * S * 2;
  for (let p = 0; p < S * S; p++) {
    for (let c = 0; c < 2; c++) {
      const a = (0.65 * clip.handMasks[m0 + 2 * p + c]) / 255;
      if (a === 0) continue;
      const tint = c === 0 ? LEFT_TINT : RIGHT_TINT;
      for (let k = 0; k < 3; k++) out[3 * p + k] = Math.round(out[3 * p + k] * (1 - a) + tint[k] * a);
    }
  }
  for (let c = 0; c < 2; c++) {
    if (!clip.handVisible[2 * f + c]) continue;
    const b = clip.handBoxes.subarray((2 * f + c) * 4, (2 * f + c) * 4 + 4);
    const [x0, y0, x1, y1] = [b[0] - 1, b[1] - 1, b[2], b[3]];
    for (let x = x0; x <= x1; x++) {
      for (const y of [y0, y1]) if (x >= 0 && y >= 0 && x < S && y < S) out.set(BOX, 3 * (y * S + x));
    }
    for (let y = y0; y <= y1; y++) {
      for (const x of [x0, x1]) if (x >= 0 && y >= 0 && x < S && y < S) out.set(BOX, 3 * (y * S + x));
    }
  }
  return out;
}
