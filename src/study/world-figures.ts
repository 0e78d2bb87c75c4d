/**
 * What the notebooks show of the world: notebook 00 a summary table, a gallery, an animated clip and the statistics
 * figures; notebook 01 the hand-defect knobs of the pretraining stream and defective clips next to their clean ones.
 */
import * as path from 'node:path';
import { SPLITS, SplitName, WorldConfig } from '../world/config';
import { Study } from './study';
import { writeFileAtomic } from '../core/files';
import { Clip, makeClip } from '../world/clip';
import { ClipDefects, DEFECT_MODES, DEFECT_MODE_NAMES, DefectModeName, HandDefects, NO_HAND_DEFECTS, clipDefects, handDefects, hasDefect, makePretrainClip } from '../world/defects';
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

/** One row per defect mode of the pretraining stream (DEFECT_MODES order): its rate, what it looks like, its stage and settings. */
export function defectModeRows(d: HandDefects | undefined): { mode: DefectModeName; rate: number; stage: string; settings: string; looks: string }[] {
  const full = handDefects(d ?? NO_HAND_DEFECTS);
  return DEFECT_MODE_NAMES.map((m) => ({
    mode: m,
    rate: full.rates[m],
    stage: DEFECT_MODES[m].stage,
    settings: Object.entries(full.settings[m]).map(([k, v]) => `${k} ${v}`).join(', '),
    looks: DEFECT_MODES[m].description,
  }));
}

/** The modes a clip got, with the frames that show each ('mitten (frames 1-8)', 'turned-hand (3 of 8 frames)'). */
export function defectNames(c: ClipDefects): string[] {
  const F = c.active.length / 2;
  return c.modes.map((m) => {
    const bit = 1 << DEFECT_MODE_NAMES.indexOf(m);
    let n = 0;
    for (let f = 0; f < F; f++) if ((c.active[2 * f] | c.active[2 * f + 1]) & bit) n++;
    return n === F ? m : `${m} (${n} of ${F} frames)`;
  });
}

/** Options of defectGallery. */
export interface DefectGalleryOptions {
  /** Defective clips to show (default 3). */
  count?: number;
  /** Pretraining clips to look through for them, from index 0 (default 64). */
  scan?: number;
  /** Integer upscale of the strips (default 3). */
  scale?: number;
}

/**
 * Defective pretraining clips next to their clean versions: the first `count` clips of the `pretrain` stream that
 * draw a defect under `world.pretrainDefects`, each as two strips (clipStrip rows frames and poses, the reference in
 * the first column): clean (makeClip), then defective (makePretrainClip); clips stacked top to bottom. `image` is
 * null when none of the first `scan` clips has a defect (the clean world).
 */
export function defectGallery(worldSeed: number, world: WorldConfig, opts: DefectGalleryOptions = {}): { image: RgbImage | null; clips: { id: string; defects: string[] }[] } {
  const count = opts.count ?? 3;
  const scan = opts.scan ?? 64;
  const scale = opts.scale ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new Error(`defectGallery: count must be a positive integer, got ${count}`);
  if (!Number.isInteger(scan) || scan < 1) throw new Error(`defectGallery: scan must be a positive integer, got ${scan}`);
  const d = world.pretrainDefects ?? NO_HAND_DEFECTS;
  const resolved = handDefects(d);
  const strips: RgbImage[] = [];
  const clips: { id: string; defects: string[] }[] = [];
  for (let i = 0; i < scan && clips.length < count; i++) {
    const c = clipDefects(worldSeed, i, resolved, world.frames);
    if (!hasDefect(c)) continue;
    const rows = { scale, rows: ['frames', 'poses'] as const };
    const clean = clipStrip(makeClip(worldSeed, 'pretrain', i, world), rows);
    const bad = makePretrainClip(worldSeed, i, world, d).clip;
    strips.push(stackImages([clean, clipStrip(bad, rows)], 2 * scale, [128, 128, 128]));
    clips.push({ id: bad.id, defects: defectNames(c) });
  }
  return { image: strips.length ? stackImages(strips, 6 * scale) : null, clips };
}

/**
 * The defect kinds a reader can look at: every mode of DEFECT_MODES on every clip and frame (ghost hands at full
 * opacity, blur at the longest exposure), each as the config that switches on only that mode.
 */
export const DEFECT_KINDS: readonly { name: DefectModeName; defects: HandDefects }[] = DEFECT_MODE_NAMES.map((m) => ({
  name: m,
  defects: { rates: { [m]: 1 }, ...(m === 'ghost' ? { settings: { ghost: { opacity: 1 } } } : m === 'blur' ? { settings: { blur: { exposure: 2 } } } : {}) },
}));

/**
 * One pretraining clip (stream index `index`) under each defect kind of DEFECT_KINDS: for each kind the clean strip
 * (frames, then pose maps) above the defective one, kinds stacked top to bottom in the order of DEFECT_KINDS.
 */
export function defectKindsGallery(worldSeed: number, world: WorldConfig, opts: { index?: number; scale?: number } = {}): RgbImage {
  const index = opts.index ?? 0;
  const scale = opts.scale ?? 3;
  if (!Number.isInteger(index) || index < 0) throw new Error(`defectKindsGallery: index must be a non-negative integer, got ${index}`);
  const rows = { scale, rows: ['frames', 'poses'] as const };
  const clean = clipStrip(makeClip(worldSeed, 'pretrain', index, world), rows);
  const strips = DEFECT_KINDS.map((k) => {
    const bad = makePretrainClip(worldSeed, index, world, k.defects).clip;
    return stackImages([clean, clipStrip(bad, rows)], 2 * scale, [128, 128, 128]);
  });
  return stackImages(strips, 6 * scale);
}

/** defectKindsGallery of the study's world, written to `<results>/figures/defect-kinds.png`; returns the file and the kinds in order. */
export async function defectKindsFigure(study: Study, opts: { index?: number; scale?: number } = {}): Promise<{ file: string; kinds: string[] }> {
  const g = defectKindsGallery(study.worldSeed, study.profile.world, opts);
  const file = path.join(study.paths.results, 'figures', 'defect-kinds.png');
  await writePng(file, g.data, g.width, g.height);
  return { file, kinds: DEFECT_KINDS.map((k) => k.name) };
}

/** defectGallery of the study's world, written to `<results>/figures/pretrain-defects.png` (file null without defects). */
export async function defectGalleryFigure(study: Study, opts: DefectGalleryOptions = {}): Promise<{ file: string | null; clips: { id: string; defects: string[] }[] }> {
  const g = defectGallery(study.worldSeed, study.profile.world, opts);
  if (!g.image) return { file: null, clips: [] };
  const file = path.join(study.paths.results, 'figures', 'pretrain-defects.png');
  await writePng(file, g.image.data, g.image.width, g.image.height);
  return { file, clips: g.clips };
}
