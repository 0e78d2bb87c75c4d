/**
 * Qualitative grids: rows of videos of the same clip (ground truth, base, methods...), a few frames each, with
 * every visible hand cropped around its ground-truth box and zoomed, so a person can judge the hands. Composed as
 * SVG (embedded PNG tiles + text labels) and rasterised to PNG.
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../core/files';
import { encodePng, upscaleNearest } from './media';

export interface GridRow {
  label: string;
  /** uint8 [F, S, S, 3] */
  video: Uint8Array;
}

export interface GridClip {
  size: number;
  handBoxes: Float32Array; // [F, 2, 4]
  handVisible: Uint8Array; // [F, 2]
}

export interface GridOptions {
  /** Frames to show (default: 0, middle, last). */
  frames?: number[];
  /** Upscale of full frames (default 3) and of hand crops (default 6). */
  frameScale?: number;
  handScale?: number;
  /** Half-size of the square hand crop in pixels (default 8 -> 16x16 crops). */
  crop?: number;
  title?: string;
}

function cropSquare(video: Uint8Array, S: number, f: number, cx: number, cy: number, half: number): Uint8Array {
  const side = 2 * half;
  const out = new Uint8Array(side * side * 3);
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const sx = Math.min(S - 1, Math.max(0, Math.round(cx - half + x)));
      const sy = Math.min(S - 1, Math.max(0, Math.round(cy - half + y)));
      out.set(video.subarray((f * S * S + sy * S + sx) * 3, (f * S * S + sy * S + sx) * 3 + 3), (y * side + x) * 3);
    }
  }
  return out;
}

async function dataUri(rgb: Uint8Array, w: number, h: number, scale: number): Promise<string> {
  const png = await encodePng(upscaleNearest(rgb, w, h, scale), w * scale, h * scale);
  return `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The grid as an SVG string. */
export async function comparisonSvg(clip: GridClip, rows: GridRow[], opts: GridOptions = {}): Promise<string> {
  const S = clip.size;
  const F = clip.handVisible.length / 2;
  const frames = opts.frames ?? [0, Math.floor(F / 2), F - 1];
  const fs = opts.frameScale ?? 3;
  const hs = opts.handScale ?? 6;
  const half = opts.crop ?? 8;
  const labelW = 110;
  const gap = 6;
  const tile = S * fs;
  const handTile = 2 * half * hs;
  // Hand crops: per chosen frame, the visible hands (centred on the ground-truth box).
  const crops: { f: number; cx: number; cy: number }[] = [];
  for (const f of frames) {
    for (let h = 0; h < 2; h++) {
      if (!clip.handVisible[f * 2 + h]) continue;
      const b = clip.handBoxes.subarray((f * 2 + h) * 4, (f * 2 + h) * 4 + 4);
      crops.push({ f, cx: (b[0] + b[2]) / 2, cy: (b[1] + b[3]) / 2 });
    }
  }
  const top = opts.title ? 28 : 8;
  const rowH = Math.max(tile, handTile) + gap;
  const width = labelW + frames.length * (tile + gap) + gap * 2 + crops.length * (handTile + gap);
  const height = top + 18 + rows.length * rowH;
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="Helvetica, Arial, sans-serif">`, `<rect width="100%" height="100%" fill="white"/>`];
  if (opts.title) parts.push(`<text x="8" y="20" font-size="15" font-weight="bold">${esc(opts.title)}</text>`);
  frames.forEach((f, i) => parts.push(`<text x="${labelW + i * (tile + gap) + tile / 2}" y="${top + 12}" font-size="11" text-anchor="middle">frame ${f + 1}</text>`));
  const handX0 = labelW + frames.length * (tile + gap) + gap * 2;
  crops.forEach((c, i) => parts.push(`<text x="${handX0 + i * (handTile + gap) + handTile / 2}" y="${top + 12}" font-size="11" text-anchor="middle">hand, frame ${c.f + 1}</text>`));
  for (let r = 0; r < rows.length; r++) {
    const y = top + 18 + r * rowH;
    parts.push(`<text x="${labelW - 8}" y="${y + tile / 2 + 5}" font-size="13" text-anchor="end">${esc(rows[r].label)}</text>`);
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      const uri = await dataUri(rows[r].video.subarray(f * S * S * 3, (f + 1) * S * S * 3), S, S, fs);
      parts.push(`<image x="${labelW + i * (tile + gap)}" y="${y}" width="${tile}" height="${tile}" href="${uri}"/>`);
    }
    for (let i = 0; i < crops.length; i++) {
      const c = crops[i];
      const uri = await dataUri(cropSquare(rows[r].video, S, c.f, c.cx, c.cy, half), 2 * half, 2 * half, hs);
      parts.push(`<image x="${handX0 + i * (handTile + gap)}" y="${y}" width="${handTile}" height="${handTile}" href="${uri}"/>`);
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}

/** Write the grid as `<dirAndBase>.svg` and `.png`; returns the PNG path. */
export async function saveComparisonGrid(clip: GridClip, rows: GridRow[], dirAndBase: string, opts: GridOptions = {}): Promise<string> {
  const svg = await comparisonSvg(clip, rows, opts);
  const sharp = (await import('sharp')).default;
  const png = await sharp(Buffer.from(svg)).png().toBuffer();
  writeFileAtomic(`${dirAndBase}.svg`, svg);
  writeFileAtomic(`${dirAndBase}.png`, png);
  return path.resolve(`${dirAndBase}.png`);
}

/** Border colours of frame judgments. */
const MARK_COLOURS: Record<string, [number, number, number]> = { good: [40, 170, 60], bad: [215, 40, 40], unjudged: [170, 170, 170] };

/**
 * A video's frames in a row, each framed by its hand judgment (green good, red bad, grey unjudged), upscaled.
 * Returns raw RGB.
 */
export function judgedStrip(video: Uint8Array, size: number, marks: readonly string[], scale = 2, border = 3): { data: Uint8Array; width: number; height: number } {
  const F = marks.length;
  const tile = size * scale + 2 * border;
  const width = F * tile + (F - 1) * 2;
  const height = tile;
  const data = new Uint8Array(width * height * 3).fill(255);
  for (let f = 0; f < F; f++) {
    const x0 = f * (tile + 2);
    const colour = MARK_COLOURS[marks[f]] ?? MARK_COLOURS.unjudged;
    for (let y = 0; y < tile; y++) for (let x = 0; x < tile; x++) data.set(colour, (y * width + x0 + x) * 3);
    const up = upscaleNearest(video.subarray(f * size * size * 3, (f + 1) * size * size * 3), size, size, scale);
    for (let y = 0; y < size * scale; y++) data.set(up.subarray(y * size * scale * 3, (y + 1) * size * scale * 3), ((y + border) * width + x0 + border) * 3);
  }
  return { data, width, height };
}
