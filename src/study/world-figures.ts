/** What notebook 00 shows of the world: a summary table, a gallery, an animated clip, and the statistics figures. */
import * as path from 'node:path';
import { SPLITS, SplitName } from '../world/config';
import { Study } from './study';
import { writeFileAtomic } from '../core/files';
import { Clip } from '../world/clip';
import { handBoxStats, motionSpeedStats } from '../world/stats';
import { World, getClip } from '../world/store';
import { RgbImage, clipStrip } from '../report/strip';
import { handBoxChart, motionSpeedChart } from '../report/charts';
import { saveFigure } from '../report/figures';
import { encodeGif, upscaleNearest, writePng } from '../report/media';

/** One row per split: clips, distinct identities and motions, the share of hard-hand clips. */
export function worldSummary(world: World): Record<string, string | number>[] {
  return SPLITS.map((s) => {
    const d = world.splits[s];
    const hard = d.difficulty.filter((x) => x === 'hard').length;
    return { split: s, clips: d.count, identities: new Set(d.identity).size, motions: new Set(d.motion).size, 'hard-hand share': d.count ? +(hard / d.count).toFixed(2) : 0 };
  });
}

/** Stack RGB images vertically with a gap (widths may differ; narrower ones are left-aligned). */
export function stackImages(images: RgbImage[], gap = 6, colour: [number, number, number] = [255, 255, 255]): RgbImage {
  const width = Math.max(...images.map((i) => i.width));
  const height = images.reduce((s, i) => s + i.height, 0) + gap * (images.length - 1);
  const data = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) data.set(colour, p * 3);
  let y0 = 0;
  for (const im of images) {
    for (let y = 0; y < im.height; y++) data.set(im.data.subarray(y * im.width * 3, (y + 1) * im.width * 3), ((y0 + y) * width) * 3);
    y0 += im.height + gap;
  }
  return { data, width, height };
}

/** Gallery of clips (reference, pose maps, frames, hand masks), written to `<results>/figures/<name>.png`. */
export async function worldGallery(study: Study, world: World, picks: [SplitName, number][], name = 'world-gallery'): Promise<string> {
  const strips = picks.map(([s, i]) => clipStrip(getClip(world.splits[s], i), { scale: 3 }));
  const im = stackImages(strips, 12);
  const file = path.join(study.paths.results, 'figures', `${name}.png`);
  await writePng(file, im.data, im.width, im.height);
  return file;
}

/** An animated GIF of a clip's frames (upscaled), written to `<results>/media/<name>.gif`. */
export async function clipGif(study: Study, clip: Pick<Clip, 'frames' | 'size' | 'numFrames'>, name: string, scale = 4): Promise<string> {
  const S = clip.size;
  const frames = Array.from({ length: clip.numFrames }, (_, f) => upscaleNearest(clip.frames.subarray(f * S * S * 3, (f + 1) * S * S * 3), S, S, scale));
  const file = path.join(study.paths.results, 'media', `${name}.gif`);
  writeFileAtomic(file, await encodeGif(frames, S * scale, S * scale, 125));
  return file;
}

/** The world's statistics figures (hand box sizes, motion speed), saved as SVG + PNG; returns the specs and files. */
export async function worldFigures(study: Study, world: World): Promise<{ handBoxes: string; motion: string }> {
  const dir = path.join(study.paths.results, 'figures');
  const a = await saveFigure(handBoxChart(handBoxStats(world)), path.join(dir, 'world-hand-boxes'));
  const b = await saveFigure(motionSpeedChart(motionSpeedStats(world)), path.join(dir, 'world-motion-speed'));
  return { handBoxes: a.png, motion: b.png };
}
