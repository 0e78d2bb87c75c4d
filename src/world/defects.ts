/**
 * Hand defects of the pretraining stream: why a base animator learns to draw bad hands *sometimes*.
 *
 * Real dance videos carry hand defects that an animator pretrained on them reproduces: fast hands are
 * motion-blurred by an amount set by each video's exposure, some videos' hands come out as fused blobs
 * ("mittens") or fade into the background (compression, low light), and pose estimators drop or misplace
 * low-confidence hand keypoints in some frames. Each defect is decided per clip (a video either has it or not),
 * from the world seed and the clip index, independently of the clip's identity and motion: so the same input can
 * come with a clean or a defective hand, which is what makes a model that *samples* draw good hands sometimes.
 *
 * Defects are applied to a clean clip after rendering and only in the `pretrain` stream; the stored splits keep
 * exact pose maps and sharp ground truth. Frame defects change only pixels inside a hand's box grown by the
 * defect's reach; pose defects change only pose-map pixels of hand keypoints. The hand and figure masks, boxes and keypoints
 * stay the truth (where the hand is), and the reference image and its pose map are left clean. All rates zero
 * (NO_HAND_DEFECTS) gives today's clean world, byte for byte.
 */
import { UsageError } from '../core/errors';
import { rng } from '../core/seeds';
import { Clip, ClipSplit, makeClip } from './clip';
import { HAND_KEYPOINTS, HAND_SIDES, HandSide, KEYPOINT_DIMS, NUM_KEYPOINTS, handStart } from './layout';
import type { HandDefects } from './config';
import { Canvas } from './raster';
import { renderPoseMap } from './render';

export type { HandDefects };

/** Today's clean world: no defects (the other fields at their defaults). */
export const NO_HAND_DEFECTS: Readonly<HandDefects> = Object.freeze({
  blurRate: 0,
  blurExposure: 1,
  blurMinLength: 2,
  mittenRate: 0,
  ghostRate: 0,
  ghostOpacity: 0.7,
  poseDropRate: 0,
  poseDropFrames: 0.5,
  poseShiftRate: 0,
  poseShiftAngle: 45,
  poseShiftFrames: 1,
});

const RANGES: Record<keyof HandDefects, [number, number]> = {
  blurRate: [0, 1],
  blurExposure: [0, 2],
  blurMinLength: [0, 8],
  mittenRate: [0, 1],
  ghostRate: [0, 1],
  ghostOpacity: [0, 1],
  poseDropRate: [0, 1],
  poseDropFrames: [0, 1],
  poseShiftRate: [0, 1],
  poseShiftAngle: [0, 180],
  poseShiftFrames: [0, 1],
};

/** Complete a partial defect config with the defaults of NO_HAND_DEFECTS and check every field's range (UsageError naming it). */
export function handDefects(partial: Partial<HandDefects> = {}): HandDefects {
  const out = { ...NO_HAND_DEFECTS, ...partial };
  for (const key of Object.keys(partial)) if (!(key in RANGES)) throw new UsageError(`unknown hand defect '${key}' (knobs: ${Object.keys(RANGES).join(', ')})`);
  for (const [key, [lo, hi]] of Object.entries(RANGES) as [keyof HandDefects, [number, number]][]) {
    const v = out[key];
    if (typeof v !== 'number' || !(v >= lo && v <= hi)) throw new UsageError(`handDefects.${key} must be a number in [${lo}, ${hi}], got ${v}`);
  }
  return out;
}

/** Which defects one clip got (all false for a clean clip). */
export interface ClipDefects {
  blur: boolean;
  /** Exposure of a blurred clip in frame intervals (0 when not blurred). */
  exposure: number;
  mitten: boolean;
  ghost: boolean;
  poseDrop: boolean;
  poseShift: boolean;
}

/** The defects of pretraining clip `index` (deterministic from the world seed; each kind its own stream). */
export function clipDefects(worldSeed: number, index: number, d: HandDefects): ClipDefects {
  const draw = (kind: string): number => rng(worldSeed, 'hand-defects', kind, index).uniform();
  const blur = d.blurRate > 0 && draw('blur') < d.blurRate;
  return {
    blur,
    exposure: blur ? rng(worldSeed, 'hand-defects', 'exposure', index).range(0.25, 1) * d.blurExposure : 0,
    mitten: d.mittenRate > 0 && draw('mitten') < d.mittenRate,
    ghost: d.ghostRate > 0 && draw('ghost') < d.ghostRate,
    poseDrop: d.poseDropRate > 0 && draw('pose-drop') < d.poseDropRate,
    poseShift: d.poseShiftRate > 0 && draw('pose-shift') < d.poseShiftRate,
  };
}

/**
 * The share of pretraining clips with at least one defect: the kinds are drawn independently per clip
 * (`clipDefects`), so 1 - prod(1 - rate) over blur, mittens, ghosts, dropped and turned keypoints. This is the
 * modeShare a mode-noise model's pretraining couples to (model/mode.ts).
 */
export function defectShare(d: HandDefects): number {
  const h = handDefects(d);
  return 1 - [h.blurRate, h.mittenRate, h.ghostRate, h.poseDropRate, h.poseShiftRate].reduce((p, r) => p * (1 - r), 1);
}

/** Whether any defect applies. */
export function hasDefect(c: ClipDefects): boolean {
  return c.blur || c.mitten || c.ghost || c.poseDrop || c.poseShift;
}

/** A pretraining clip with its hand defects, and which defects it got. */
export interface DefectiveClip {
  clip: Clip;
  defects: ClipDefects;
}

/** Pretraining clip `index` with the hand defects of `d` (the clean clip of makeClip when it draws none). */
export function makePretrainClip(worldSeed: number, index: number, world: Parameters<typeof makeClip>[3], d: HandDefects = world.pretrainDefects ?? NO_HAND_DEFECTS): DefectiveClip {
  const clip = makeClip(worldSeed, 'pretrain', index, world);
  return applyHandDefects(clip, worldSeed, d);
}

/** Apply the hand defects of `d` to a clean pretraining clip, in place; throws for any other split. */
export function applyHandDefects(clip: Clip, worldSeed: number, d: HandDefects): DefectiveClip {
  const split: ClipSplit = clip.split;
  if (split !== 'pretrain') throw new UsageError(`hand defects belong to the pretrain stream only, got a '${split}' clip`);
  const c = clipDefects(worldSeed, clip.index, handDefects(d));
  const S = clip.size;
  const px = S / 64;
  for (let f = 0; f < clip.numFrames; f++) {
    if (c.blur) for (const side of HAND_SIDES) blurHand(clip, f, side, c.exposure * wristSpeed(clip, f, side) + d.blurMinLength * px);
    if (c.mitten) for (const side of HAND_SIDES) mittenHand(clip, f, side, Math.max(1, Math.round(1.5 * px)));
    if (c.ghost) for (const side of HAND_SIDES) ghostHand(clip, f, side, d.ghostOpacity);
  }
  if (c.poseDrop || c.poseShift) corruptPoses(clip, worldSeed, d, c);
  return { clip, defects: c };
}

/** Wrist speed of a hand at frame f in px per frame (central difference, one-sided at the ends; 0 for one frame). */
function wristSpeed(clip: Clip, f: number, side: HandSide): number {
  const F = clip.numFrames;
  if (F < 2) return 0;
  const a = Math.max(0, f - 1);
  const b = Math.min(F - 1, f + 1);
  const [dx, dy] = wristDelta(clip, a, b, side);
  return Math.hypot(dx, dy) / (b - a);
}

function wristDelta(clip: Clip, a: number, b: number, side: HandSide): [number, number] {
  const K3 = NUM_KEYPOINTS * KEYPOINT_DIMS;
  const w = handStart(side) * KEYPOINT_DIMS;
  const kp = clip.keypoints;
  return [kp[b * K3 + w] - kp[a * K3 + w], kp[b * K3 + w + 1] - kp[a * K3 + w + 1]];
}

/** The hand box of (frame, side) grown by `grow` px and clipped to the frame, or null when the hand is not visible. */
function grownBox(clip: Clip, f: number, side: HandSide, grow: number): [number, number, number, number] | null {
  if (!clip.handVisible[2 * f + side]) return null;
  const o = (2 * f + side) * 4;
  const b = clip.handBoxes;
  const S = clip.size;
  return [Math.max(0, b[o] - grow), Math.max(0, b[o + 1] - grow), Math.min(S, b[o + 2] + grow), Math.min(S, b[o + 3] + grow)];
}

/** Mask coverage of a hand in [0, 1] at integer pixel (x, y) of frame f (0 outside the frame). */
function maskAt(clip: Clip, f: number, side: HandSide, x: number, y: number): number {
  const S = clip.size;
  if (x < 0 || y < 0 || x >= S || y >= S) return 0;
  return clip.handMasks[((f * S + y) * S + x) * 2 + side] / 255;
}

/**
 * Motion blur of length `len` px along the hand's velocity: out = (1 - Mb) * frame + blur(m * frame), with m the
 * hand's coverage and Mb its blur (what lay behind the hand is unknown: the original pixel stands in for it).
 */
function blurHand(clip: Clip, f: number, side: HandSide, len: number): void {
  if (len < 0.5) return;
  const F = clip.numFrames;
  let [dx, dy] = F > 1 ? wristDelta(clip, Math.max(0, f - 1), Math.min(F - 1, f + 1), side) : [1, 0];
  const n = Math.hypot(dx, dy);
  if (n < 1e-6) [dx, dy] = [1, 0];
  else [dx, dy] = [dx / n, dy / n];
  const box = grownBox(clip, f, side, Math.ceil(len / 2) + 1);
  if (!box) return;
  const S = clip.size;
  const taps = Math.ceil(len) + 1;
  const frame = clip.frames;
  const base = f * S * S * 3;
  const src = frame.slice(base, base + S * S * 3);
  for (let y = box[1]; y < box[3]; y++) {
    for (let x = box[0]; x < box[2]; x++) {
      let mb = 0;
      const acc = [0, 0, 0];
      for (let k = 0; k < taps; k++) {
        const s = (k / (taps - 1) - 0.5) * len;
        const sx = Math.round(x + s * dx);
        const sy = Math.round(y + s * dy);
        const m = maskAt(clip, f, side, sx, sy);
        if (m === 0) continue;
        mb += m;
        const i = 3 * (sy * S + sx);
        for (let ch = 0; ch < 3; ch++) acc[ch] += m * src[i + ch];
      }
      if (mb === 0) continue;
      const i = 3 * (y * S + x);
      for (let ch = 0; ch < 3; ch++) frame[base + i + ch] = clamp255((1 - mb / taps) * src[i + ch] + acc[ch] / taps);
    }
  }
}

/** Fingers fused: the hand's morphological closing (disc of radius r) painted in the hand's mean colour. */
function mittenHand(clip: Clip, f: number, side: HandSide, r: number): void {
  const box = grownBox(clip, f, side, r);
  if (!box) return;
  const S = clip.size;
  const [x0, y0, x1, y1] = box;
  const w = x1 - x0;
  const h = y1 - y0;
  const solid = (x: number, y: number): boolean => maskAt(clip, f, side, x, y) >= 0.5;
  const disc: [number, number][] = [];
  for (let v = -r; v <= r; v++) for (let u = -r; u <= r; u++) if (u * u + v * v <= r * r) disc.push([u, v]);
  const dil = new Uint8Array(w * h);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) dil[(y - y0) * w + x - x0] = disc.some(([u, v]) => solid(x + u, y + v)) ? 1 : 0;
  const dilAt = (x: number, y: number): boolean => x >= x0 && y >= y0 && x < x1 && y < y1 && dil[(y - y0) * w + x - x0] === 1;
  const frame = clip.frames;
  const base = f * S * S * 3;
  const mean = [0, 0, 0];
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      if (maskAt(clip, f, side, x, y) < 0.9) continue;
      const i = base + 3 * (y * S + x);
      for (let ch = 0; ch < 3; ch++) mean[ch] += frame[i + ch];
      n++;
    }
  }
  if (n === 0) return;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const closed = disc.every(([u, v]) => dilAt(x + u, y + v)) ? 1 : 0;
      const a = Math.max(maskAt(clip, f, side, x, y), closed);
      if (a === 0) continue;
      const i = base + 3 * (y * S + x);
      for (let ch = 0; ch < 3; ch++) frame[i + ch] = clamp255((1 - a) * frame[i + ch] + (a * mean[ch]) / n);
    }
  }
}

/** The hand fades by `opacity` towards the mean colour of the non-hand pixels around it (its box grown by 2 px). */
function ghostHand(clip: Clip, f: number, side: HandSide, opacity: number): void {
  const box = grownBox(clip, f, side, 2);
  if (!box || opacity === 0) return;
  const S = clip.size;
  const frame = clip.frames;
  const base = f * S * S * 3;
  const mean = [0, 0, 0];
  let n = 0;
  for (let y = box[1]; y < box[3]; y++) {
    for (let x = box[0]; x < box[2]; x++) {
      if (maskAt(clip, f, 0, x, y) > 0 || maskAt(clip, f, 1, x, y) > 0) continue;
      const i = base + 3 * (y * S + x);
      for (let ch = 0; ch < 3; ch++) mean[ch] += frame[i + ch];
      n++;
    }
  }
  if (n === 0) return;
  for (let y = box[1]; y < box[3]; y++) {
    for (let x = box[0]; x < box[2]; x++) {
      const a = opacity * maskAt(clip, f, side, x, y);
      if (a === 0) continue;
      const i = base + 3 * (y * S + x);
      for (let ch = 0; ch < 3; ch++) frame[i + ch] = clamp255((1 - a) * frame[i + ch] + (a * mean[ch]) / n);
    }
  }
}

/** Redraw the pose maps of the frames whose hand keypoints the detector dropped or misplaced. */
function corruptPoses(clip: Clip, worldSeed: number, d: HandDefects, c: ClipDefects): void {
  const S = clip.size;
  const K3 = NUM_KEYPOINTS * KEYPOINT_DIMS;
  const r = rng(worldSeed, 'hand-defects', 'pose-frames', clip.index);
  const turn = HAND_SIDES.map(() => (r.uniform() < 0.5 ? -1 : 1) * r.range(0.5, 1) * (d.poseShiftAngle * Math.PI) / 180);
  const canvas = new Canvas(S, 0);
  for (let f = 0; f < clip.numFrames; f++) {
    const kp = clip.keypoints.slice(f * K3, (f + 1) * K3);
    let changed = false;
    for (const side of HAND_SIDES) {
      const b = handStart(side);
      if (c.poseShift && r.uniform() < d.poseShiftFrames && turn[side] !== 0) {
        const wx = kp[3 * b];
        const wy = kp[3 * b + 1];
        const cs = Math.cos(turn[side]);
        const sn = Math.sin(turn[side]);
        for (let i = 1; i < HAND_KEYPOINTS; i++) {
          const k = 3 * (b + i);
          const ux = kp[k] - wx;
          const uy = kp[k + 1] - wy;
          kp[k] = wx + cs * ux - sn * uy;
          kp[k + 1] = wy + sn * ux + cs * uy;
          if (kp[k] < 0 || kp[k + 1] < 0 || kp[k] >= S || kp[k + 1] >= S) kp[k + 2] = 0;
        }
        changed = true;
      }
      if (c.poseDrop && r.uniform() < d.poseDropFrames) {
        if (r.uniform() < 0.5) {
          for (let i = 0; i < HAND_KEYPOINTS; i++) kp[3 * (b + i) + 2] = 0;
        } else {
          const fingers = 1 + r.int(3);
          for (const finger of r.shuffle([0, 1, 2, 3, 4]).slice(0, fingers)) for (let j = 1; j <= 4; j++) kp[3 * (b + 4 * finger + j) + 2] = 0;
        }
        changed = true;
      }
    }
    if (!changed) continue;
    renderPoseMap(canvas, kp);
    canvas.writeRgb(clip.poses, f * S * S * 3);
  }
}

function clamp255(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}
