/**
 * Hand defects of the pretraining stream: why a base animator learns to draw bad hands *sometimes*.
 *
 * Real dance videos carry hand defects that an animator pretrained on them reproduces: fused or missing fingers,
 * a hand in the wrong gesture or turned off its wrist, hands that fade into the background or blur, and pose
 * estimators that drop or misplace hand keypoints. Each defect mode is one row of `DEFECT_MODES`: what a reader
 * sees, the stage it acts at, its settings with their ranges, and the function that applies it. Adding a mode is
 * adding a row (its rate then appears in `HandDefects.rates` under the row's name).
 *
 * Stages, in the order a defective clip is made:
 * - `gesture`: the hand's joint angles drawn differ from the truth (world/clip.ts FrameDefects.handPose);
 * - `draw`: the hand's shape drawn differs (render.ts HandShape: fingers fused, missing, extra, the hand turned);
 * - `pixels`: the rendered frame is changed inside the hand's box (ghost, motion blur);
 * - `pose`: the pose map's hand keypoints are dropped or misplaced (the frame stays exact).
 * The hand masks, boxes and keypoints stay the truth (where the hand is), and the reference image and its pose map
 * stay clean.
 *
 * Who draws a defect: a *unit* is a clip (both hands share its draw) or, with `perHand`, one hand of a clip; a unit
 * draws at most one mode (the rates are shares of units and sum to at most 1) from the world seed and the clip index
 * (`clipDefects`), so the same input comes with clean or defective hands. A defective unit shows its defect on every frame, or
 * with `frameRate` < 1 on each frame with that probability (mixed clips: wrong on some frames only). The result is
 * a per-(frame, hand) bit mask of active modes (`ClipDefects.active`), which pretraining couples to the noise
 * (model/coupling.ts). Only the `pretrain` stream has defects; the stored splits keep exact pose maps and sharp
 * ground truth. No rates (NO_HAND_DEFECTS) gives the clean world, byte for byte.
 */
import { UsageError } from '../core/errors';
import { Rng, rng } from '../core/seeds';
import { Clip, ClipSplit, FrameDefects, makeClip } from './clip';
import { HAND_KEYPOINTS, HAND_SIDES, HandSide, KEYPOINT_DIMS, NUM_KEYPOINTS, handStart } from './layout';
import type { HandDefects } from './config';
import { Canvas } from './raster';
import { FingerChain, HandRedraw, HandShape, renderPoseMap } from './render';
import { HandPose } from './skeleton';

export type { HandDefects };

/** What a mode's function gets for one hand of one clip: where its draws come from, and the mode's settings. */
export interface DefectUnit {
  worldSeed: number;
  index: number;
  side: HandSide;
  /** The mode's settings (its row's defaults under the config's). */
  settings: Record<string, number>;
  /** A stream of this (clip, side, mode), the same on every frame: a unit's choices (which finger) stay put. */
  pick(): Rng;
}

/** One setting of a mode: its default and allowed range, and what it means. */
export interface DefectSetting {
  default: number;
  range: readonly [number, number];
  doc: string;
}

interface ModeBase {
  /** What a reader sees. */
  description: string;
  /** The stream key of the mode's per-unit draw (the first rows keep the keys of earlier rounds, so their streams stay the same). */
  key: string;
  settings: Readonly<Record<string, DefectSetting>>;
}

/** A defect mode: one row of the table, by stage. */
export type DefectMode =
  | (ModeBase & { stage: 'gesture'; apply: (truth: HandPose, u: DefectUnit) => HandPose })
  | (ModeBase & { stage: 'draw'; apply: (h: HandShape, u: DefectUnit) => HandShape })
  | (ModeBase & { stage: 'pixels'; apply: (clip: Clip, f: number, u: DefectUnit) => void })
  | (ModeBase & { stage: 'pose'; apply: (keypoints: Float32Array, size: number, u: DefectUnit) => void });

/** Gestures a wrong-gesture hand can take: the one furthest from the true hand's angles is drawn. */
const GESTURES: Record<string, Omit<HandPose, 'wrist'>> = {
  open: { abd: [0.3, 0.05, -0.25, -0.5], mcp: [0, 0, 0, 0], pip: [0, 0, 0, 0], dip: [0, 0, 0, 0], thumbAngle: 1.1, thumbMcp: 0, thumbIp: 0 },
  fist: { abd: [0, 0, 0, 0], mcp: [1.4, 1.4, 1.4, 1.4], pip: [1.7, 1.7, 1.7, 1.7], dip: [1.2, 1.2, 1.2, 1.2], thumbAngle: 0.3, thumbMcp: 0.8, thumbIp: 1.2 },
  point: { abd: [0.05, 0, 0, 0], mcp: [0, 1.4, 1.4, 1.4], pip: [0, 1.7, 1.7, 1.7], dip: [0, 1.2, 1.2, 1.2], thumbAngle: 0.4, thumbMcp: 0.8, thumbIp: 1.0 },
  spread: { abd: [0.36, 0.1, -0.34, -0.6], mcp: [0.3, 0, 0.3, 0], pip: [0.2, 0, 0.2, 0], dip: [0, 0, 0, 0], thumbAngle: 1.2, thumbMcp: 0.2, thumbIp: 0 },
};

/** Sum of squared joint-angle differences of two hands (wrist left out). */
function gestureDistance(a: Omit<HandPose, 'wrist'>, b: Omit<HandPose, 'wrist'>): number {
  let d = (a.thumbAngle - b.thumbAngle) ** 2 + (a.thumbMcp - b.thumbMcp) ** 2 + (a.thumbIp - b.thumbIp) ** 2;
  for (let i = 0; i < 4; i++) d += (a.abd[i] - b.abd[i]) ** 2 + (a.mcp[i] - b.mcp[i]) ** 2 + (a.pip[i] - b.pip[i]) ** 2 + (a.dip[i] - b.dip[i]) ** 2;
  return d;
}

/** The points of a finger chain moved by f. */
function mapChain(c: FingerChain, f: (p: [number, number], j: number) => [number, number], radius = c.radius): FingerChain {
  return { points: c.points.map((p, j) => f(p, j)), radius };
}

/**
 * The defect modes, in the order they are applied within a stage. Chains of a HandShape are pinky, ring, middle,
 * index, thumb (render.ts handShape).
 */
export const DEFECT_MODES = {
  mitten: {
    description: 'fused fingers: the four fingers drawn as one flat blob (a mitten), the thumb apart',
    key: 'mitten',
    stage: 'draw',
    settings: {},
    apply: (h: HandShape): HandShape => {
      const fingers = h.fingers.slice(0, 4);
      const mean = (j: number): [number, number] => [fingers.reduce((s, c) => s + c.points[j][0], 0) / 4, fingers.reduce((s, c) => s + c.points[j][1], 0) / 4];
      const [a, b] = [fingers[0].points[0], fingers[3].points[0]];
      const radius = Math.hypot(a[0] - b[0], a[1] - b[1]) / 2 + fingers[0].radius;
      return { ...h, fingers: [{ points: [0, 1, 2, 3].map(mean), radius }, h.fingers[4]] };
    },
  },
  'missing-finger': {
    description: 'a missing finger: one of index, middle, ring or pinky (the same one on every frame) is not drawn',
    key: 'missing-finger',
    stage: 'draw',
    settings: {},
    apply: (h: HandShape, u: DefectUnit): HandShape => {
      const drop = u.pick().int(4);
      return { ...h, fingers: h.fingers.filter((_, i) => i !== drop) };
    },
  },
  'extra-finger': {
    description: 'an extra finger: a sixth finger beside the pinky, as far from it as the ring finger is',
    key: 'extra-finger',
    stage: 'draw',
    settings: {},
    apply: (h: HandShape): HandShape => {
      const [pinky, ring] = h.fingers;
      const extra = mapChain(pinky, (p, j) => [2 * p[0] - ring.points[j][0], 2 * p[1] - ring.points[j][1]], pinky.radius * 0.9);
      return { ...h, fingers: [extra, ...h.fingers] };
    },
  },
  'turned-hand': {
    description: 'a hand turned off its wrist: the whole hand rotated about the wrist by a large angle, either way',
    key: 'turned-hand',
    stage: 'draw',
    settings: {
      minAngle: { default: 90, range: [0, 180], doc: 'smallest turn, degrees' },
      maxAngle: { default: 180, range: [0, 180], doc: 'largest turn, degrees (each unit draws its turn uniformly in between, its sign at random)' },
    },
    apply: (h: HandShape, u: DefectUnit): HandShape => {
      const r = u.pick();
      const sign = r.uniform() < 0.5 ? -1 : 1;
      const a = (sign * r.range(Math.min(u.settings.minAngle, u.settings.maxAngle), Math.max(u.settings.minAngle, u.settings.maxAngle)) * Math.PI) / 180;
      const [wx, wy] = h.wrist;
      const c = Math.cos(a);
      const s = Math.sin(a);
      const turn = (p: [number, number]): [number, number] => [wx + c * (p[0] - wx) - s * (p[1] - wy), wy + s * (p[0] - wx) + c * (p[1] - wy)];
      return { ...h, dir: h.dir + a, fingers: h.fingers.map((f) => mapChain(f, turn)) };
    },
  },
  'wrong-gesture': {
    description: 'a wrong gesture: the hand drawn open, in a fist, pointing or spread (whichever is furthest from the true gesture)',
    key: 'wrong-gesture',
    stage: 'gesture',
    settings: {},
    apply: (truth: HandPose): HandPose => {
      let best = GESTURES.open;
      for (const g of Object.values(GESTURES)) if (gestureDistance(g, truth) > gestureDistance(best, truth)) best = g;
      return { ...best, abd: [...best.abd], mcp: [...best.mcp], pip: [...best.pip], dip: [...best.dip], wrist: truth.wrist };
    },
  },
  blur: {
    description: 'motion blur: the hand smeared along its velocity by the clip exposure (a slow shutter)',
    key: 'blur',
    stage: 'pixels',
    settings: {
      exposure: { default: 1, range: [0, 2], doc: 'longest shutter time, frame intervals; each blurred clip draws U(0.25, 1) x this' },
      minLength: { default: 2, range: [0, 8], doc: 'blur length added to every hand, px at 64 px frames (camera shake)' },
    },
    apply: (clip: Clip, f: number, u: DefectUnit): void => {
      const exposure = rng(u.worldSeed, 'hand-defects', 'exposure', u.index).range(0.25, 1) * u.settings.exposure;
      blurHand(clip, f, u.side, exposure * wristSpeed(clip, f, u.side) + u.settings.minLength * (clip.size / 64));
    },
  },
  ghost: {
    description: 'a ghost hand: the hand fades into the colour around it',
    key: 'ghost',
    stage: 'pixels',
    settings: { opacity: { default: 0.7, range: [0, 1], doc: 'how far the hand fades: 0 no change, 1 gone' } },
    apply: (clip: Clip, f: number, u: DefectUnit): void => ghostHand(clip, f, u.side, u.settings.opacity),
  },
  'pose-drop': {
    description: 'dropped hand keypoints in the pose map: the whole hand or 1-3 fingers (the frame is exact)',
    key: 'pose-drop',
    stage: 'pose',
    settings: {},
    apply: (kp: Float32Array, _size: number, u: DefectUnit): void => {
      const b = handStart(u.side);
      const r = u.pick();
      if (r.uniform() < 0.5) {
        for (let i = 0; i < HAND_KEYPOINTS; i++) kp[3 * (b + i) + 2] = 0;
        return;
      }
      const fingers = 1 + r.int(3);
      for (const finger of r.shuffle([0, 1, 2, 3, 4]).slice(0, fingers)) for (let j = 1; j <= 4; j++) kp[3 * (b + 4 * finger + j) + 2] = 0;
    },
  },
  'pose-shift': {
    description: 'a misplaced hand skeleton in the pose map: turned about the wrist (the frame is exact)',
    key: 'pose-shift',
    stage: 'pose',
    settings: { angle: { default: 45, range: [0, 180], doc: 'largest turn, degrees; each unit draws +-U(0.5, 1) x this' } },
    apply: (kp: Float32Array, size: number, u: DefectUnit): void => {
      const r = u.pick();
      const turn = (r.uniform() < 0.5 ? -1 : 1) * r.range(0.5, 1) * (u.settings.angle * Math.PI) / 180;
      const b = handStart(u.side);
      const wx = kp[3 * b];
      const wy = kp[3 * b + 1];
      const cs = Math.cos(turn);
      const sn = Math.sin(turn);
      for (let i = 1; i < HAND_KEYPOINTS; i++) {
        const k = 3 * (b + i);
        const ux = kp[k] - wx;
        const uy = kp[k + 1] - wy;
        kp[k] = wx + cs * ux - sn * uy;
        kp[k + 1] = wy + sn * ux + cs * uy;
        if (kp[k] < 0 || kp[k + 1] < 0 || kp[k] >= size || kp[k + 1] >= size) kp[k + 2] = 0;
      }
    },
  },
} satisfies Record<string, DefectMode>;

/** A defect mode's name (a row of DEFECT_MODES). */
export type DefectModeName = keyof typeof DEFECT_MODES;
/** The mode names in table order: bit k of `ClipDefects.active` is mode k. */
export const DEFECT_MODE_NAMES = Object.keys(DEFECT_MODES) as DefectModeName[];
const MODES: Record<DefectModeName, DefectMode> = DEFECT_MODES;

/** The clean world: no defects. */
export const NO_HAND_DEFECTS: Readonly<HandDefects> = Object.freeze({ rates: {} });

/** A complete, checked defect config: every rate (0 where left out), frameRate, perHand and every mode's settings. */
export interface ResolvedDefects {
  rates: Record<DefectModeName, number>;
  frameRate: number;
  perHand: boolean;
  settings: Record<DefectModeName, Record<string, number>>;
}

/** Complete a defect config with the defaults and check every field (a UsageError naming it). */
export function handDefects(d: HandDefects = NO_HAND_DEFECTS): ResolvedDefects {
  if (typeof d !== 'object' || d === null || typeof d.rates !== 'object' || d.rates === null) throw new UsageError(`hand defects must be { rates: { <mode>: share } }, got ${JSON.stringify(d)}`);
  const known = (m: string): m is DefectModeName => m in MODES;
  for (const key of Object.keys(d)) if (!['rates', 'frameRate', 'perHand', 'settings'].includes(key)) throw new UsageError(`unknown hand-defect field '${key}' (fields: rates, frameRate, perHand, settings)`);
  for (const m of [...Object.keys(d.rates), ...Object.keys(d.settings ?? {})]) if (!known(m)) throw new UsageError(`unknown hand-defect mode '${m}' (modes: ${DEFECT_MODE_NAMES.join(', ')})`);
  const rates = Object.fromEntries(DEFECT_MODE_NAMES.map((m) => [m, d.rates[m] ?? 0])) as Record<DefectModeName, number>;
  for (const [m, v] of Object.entries(rates)) if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new UsageError(`handDefects.rates['${m}'] must be a share in [0, 1], got ${v}`);
  const total = Object.values(rates).reduce((a, b) => a + b, 0);
  if (total > 1 + 1e-12) throw new UsageError(`handDefects.rates must sum to at most 1 (a unit draws one mode at most), got ${total}`);
  const frameRate = d.frameRate ?? 1;
  if (typeof frameRate !== 'number' || !(frameRate > 0 && frameRate <= 1)) throw new UsageError(`handDefects.frameRate must be in (0, 1], got ${frameRate}`);
  if (d.perHand !== undefined && typeof d.perHand !== 'boolean') throw new UsageError(`handDefects.perHand must be true or false, got ${d.perHand}`);
  const settings = {} as Record<DefectModeName, Record<string, number>>;
  for (const m of DEFECT_MODE_NAMES) {
    const given = d.settings?.[m] ?? {};
    const row = MODES[m].settings;
    for (const k of Object.keys(given)) if (!(k in row)) throw new UsageError(`unknown setting '${k}' of hand-defect mode '${m}' (settings: ${Object.keys(row).join(', ') || 'none'})`);
    settings[m] = {};
    for (const [k, s] of Object.entries(row)) {
      const v = given[k] ?? s.default;
      if (typeof v !== 'number' || !(v >= s.range[0] && v <= s.range[1])) throw new UsageError(`handDefects.settings['${m}'].${k} must be a number in [${s.range[0]}, ${s.range[1]}], got ${v}`);
      settings[m][k] = v;
    }
  }
  return { rates, frameRate, perHand: d.perHand ?? false, settings };
}

/** Which modes are active where in one pretraining clip. */
export interface ClipDefects {
  /** [F, 2]: bit k set when mode DEFECT_MODE_NAMES[k] is active on (frame, hand) (one bit at most: a unit draws one mode). */
  active: Uint32Array;
  /** The modes active anywhere in the clip. */
  modes: DefectModeName[];
}

/**
 * The defects of pretraining clip `index` with `frames` frames. A unit draws at most one mode: one uniform per
 * unit from stream ('hand-defects', key of the first mode with a rate, index[, side]) falls into the modes'
 * consecutive intervals of widths `rate` in table order (with one mode this is `uniform < rate` on that mode's own
 * stream, as in earlier rounds); then, at frameRate < 1, per frame a draw against it from stream
 * ('hand-defect-frames', key, index, side).
 */
export function clipDefects(worldSeed: number, index: number, r: ResolvedDefects, frames: number): ClipDefects {
  const active = new Uint32Array(frames * 2);
  const used = DEFECT_MODE_NAMES.filter((m) => r.rates[m] > 0);
  if (used.length === 0) return { active, modes: [] };
  const key = MODES[used[0]].key;
  const pickMode = (u: number): DefectModeName | null => {
    let edge = 0;
    for (const m of used) {
      edge += r.rates[m];
      if (u < edge) return m;
    }
    return null;
  };
  const clipMode = r.perHand ? null : pickMode(rng(worldSeed, 'hand-defects', key, index).uniform());
  const modes = new Set<DefectModeName>();
  for (const side of HAND_SIDES) {
    const m = r.perHand ? pickMode(rng(worldSeed, 'hand-defects', key, index, side).uniform()) : clipMode;
    if (m === null) continue;
    const bit = 1 << DEFECT_MODE_NAMES.indexOf(m);
    const fr = r.frameRate < 1 ? rng(worldSeed, 'hand-defect-frames', MODES[m].key, index, side) : null;
    for (let f = 0; f < frames; f++) {
      if (fr && !(fr.uniform() < r.frameRate)) continue;
      active[2 * f + side] |= bit;
      modes.add(m);
    }
  }
  return { active, modes: DEFECT_MODE_NAMES.filter((m) => modes.has(m)) };
}

/** The mode active on (frame, hand) of a clip's defects, or null. */
export function activeMode(c: ClipDefects, f: number, side: HandSide): DefectModeName | null {
  const bits = c.active[2 * f + side];
  if (bits === 0) return null;
  return DEFECT_MODE_NAMES[31 - Math.clz32(bits)];
}

/**
 * The share of (frame, hand) instances on which each mode is active, in expectation: rate x frameRate (per clip
 * or per hand alike). These are the shares a noise-coupled pretraining couples to (model/coupling.ts).
 */
export function modeShares(d: HandDefects): Record<DefectModeName, number> {
  const r = handDefects(d);
  return Object.fromEntries(DEFECT_MODE_NAMES.map((m) => [m, r.rates[m] * r.frameRate])) as Record<DefectModeName, number>;
}

/**
 * The share of pretraining units with a defect: a unit draws at most one mode, so the sum of the rates. This is
 * the modeShare a mode-input model's pretraining couples to (model/mode.ts).
 */
export function defectShare(d: HandDefects): number {
  const r = handDefects(d);
  return DEFECT_MODE_NAMES.reduce((sum, m) => sum + r.rates[m], 0);
}

/** Whether any defect applies. */
export function hasDefect(c: ClipDefects): boolean {
  return c.modes.length > 0;
}

/** A pretraining clip with its hand defects, and which defects it got. */
export interface DefectiveClip {
  clip: Clip;
  defects: ClipDefects;
}

/** Pretraining clip `index` with the hand defects of `d` (the clean clip of makeClip when it draws none). */
export function makePretrainClip(worldSeed: number, index: number, world: Parameters<typeof makeClip>[3], d: HandDefects = world.pretrainDefects ?? NO_HAND_DEFECTS): DefectiveClip {
  const r = handDefects(d);
  const c = clipDefects(worldSeed, index, r, world.frames);
  if (!hasDefect(c)) return { clip: makeClip(worldSeed, 'pretrain', index, world), defects: c };
  const unit = unitsOf(worldSeed, index, r);
  const on = (f: number, side: HandSide, stage: DefectMode['stage']): DefectModeName[] =>
    DEFECT_MODE_NAMES.filter((m, k) => MODES[m].stage === stage && (c.active[2 * f + side] & (1 << k)) !== 0);
  const hooks: FrameDefects = {
    handPose: (f, side, truth) => {
      const ms = on(f, side, 'gesture');
      return ms.length ? ms.reduce((h, m) => (MODES[m] as Extract<DefectMode, { stage: 'gesture' }>).apply(h, unit(m, side)), truth) : undefined;
    },
    redraw: (f) => {
      const per = HAND_SIDES.map((side): HandRedraw | undefined => {
        const ms = on(f, side, 'draw');
        return ms.length ? (h) => ms.reduce((s, m) => (MODES[m] as Extract<DefectMode, { stage: 'draw' }>).apply(s, unit(m, side)), h) : undefined;
      });
      return per[0] || per[1] ? [per[0], per[1]] : undefined;
    },
  };
  const clip = makeClip(worldSeed, 'pretrain', index, world, hooks);
  return { clip: applyAfterRender(clip, c, unit), defects: c };
}

/**
 * Apply the pixel and pose-map stages of a clip's defects to an already rendered clip, in place (the gesture and
 * draw stages need the render: makePretrainClip); throws for any split but `pretrain`.
 */
export function applyHandDefects(clip: Clip, worldSeed: number, d: HandDefects): DefectiveClip {
  const split: ClipSplit = clip.split;
  if (split !== 'pretrain') throw new UsageError(`hand defects belong to the pretrain stream only, got a '${split}' clip`);
  const r = handDefects(d);
  const c = clipDefects(worldSeed, clip.index, r, clip.numFrames);
  const unit = unitsOf(worldSeed, clip.index, r);
  return { clip: applyAfterRender(clip, c, unit), defects: c };
}

/** The DefectUnit of (mode, side) of clip `index`: its settings, and its pick stream ('hand-defect-pick', key, index, side). */
function unitsOf(worldSeed: number, index: number, r: ResolvedDefects): (m: DefectModeName, side: HandSide) => DefectUnit {
  return (m, side) => ({ worldSeed, index, side, settings: r.settings[m], pick: () => rng(worldSeed, 'hand-defect-pick', MODES[m].key, index, side) });
}

/** The pixel and pose-map stages of a clip's active modes, in table order, in place. */
function applyAfterRender(clip: Clip, c: ClipDefects, unit: (m: DefectModeName, side: HandSide) => DefectUnit): Clip {
  const S = clip.size;
  const K3 = NUM_KEYPOINTS * KEYPOINT_DIMS;
  const canvas = new Canvas(S, 0);
  for (let f = 0; f < clip.numFrames; f++) {
    for (let k = 0; k < DEFECT_MODE_NAMES.length; k++) {
      const row = MODES[DEFECT_MODE_NAMES[k]];
      if (row.stage !== 'pixels') continue;
      for (const side of HAND_SIDES) if (c.active[2 * f + side] & (1 << k)) row.apply(clip, f, unit(DEFECT_MODE_NAMES[k], side));
    }
    let kp: Float32Array | null = null;
    for (let k = 0; k < DEFECT_MODE_NAMES.length; k++) {
      const row = MODES[DEFECT_MODE_NAMES[k]];
      if (row.stage !== 'pose') continue;
      for (const side of HAND_SIDES) {
        if (!(c.active[2 * f + side] & (1 << k))) continue;
        kp ??= clip.keypoints.slice(f * K3, (f + 1) * K3);
        row.apply(kp, S, unit(DEFECT_MODE_NAMES[k], side));
      }
    }
    if (!kp) continue;
    renderPoseMap(canvas, kp);
    canvas.writeRgb(clip.poses, f * S * S * 3);
  }
  return clip;
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

function clamp255(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}
