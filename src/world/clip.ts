/**
 * Clips: one clip of the world in memory (reference image and its pose map, generated-frame slots with ground-truth
 * frames, pose maps, hand masks, hand boxes and keypoints), deterministic from (world seed, split, index).
 *
 * Identity and motion ids are disjoint by construction: each split owns its own block of ids, and the streamed
 * 'pretrain' split owns blocks above every stored split's.
 */
import { DEFAULT_HARD_SHARE, SPLITS, SplitName, WorldConfig } from './config';
import type { HandSide } from './layout';
import type { HandPose, Pose } from './skeleton';
import { forwardKinematics } from './skeleton';
import { UsageError } from '../core/errors';
import { Identity, makeIdentity } from './character';
import { KEYPOINT_DIMS, NUM_KEYPOINTS } from './layout';
import { Difficulty, FPS, MotionFamily, makeMotion, poseAt } from './motion';
import { Canvas } from './raster';
import { FrameOptions, View, fullView, renderFrame, renderPoseMap } from './render';

/** A stored split, or the unbounded stream the base model pretrains on. */
export type ClipSplit = SplitName | 'pretrain';

/** Smallest and largest frame side the rasteriser supports. */
export const MIN_SIZE = 32;
export const MAX_SIZE = 256;

/** One clip; arrays are row-major and channels-last (S = size, F = numFrames, K = 60). */
export interface Clip {
  id: string;
  split: ClipSplit;
  index: number;
  /** Integer ids of the character and the motion (disjoint across splits). */
  identity: number;
  motion: number;
  difficulty: Difficulty;
  motionFamily: MotionFamily;
  size: number;
  numFrames: number;
  /** [S, S, 3] the same character at another moment, and its pose map. */
  ref: Uint8Array;
  refPose: Uint8Array;
  /** [K, 3] keypoints of the reference (x, y, visible). */
  refKeypoints: Float32Array;
  /** [F, S, S, 3] ground-truth frames and their pose maps. */
  frames: Uint8Array;
  poses: Uint8Array;
  /** [F, S, S, 2] per-hand coverage 0..255 of the final pixel (channel 0 left hand, 1 right). */
  handMasks: Uint8Array;
  /** [F, S, S] coverage 0..255 of the character (body, clothes, hair, hands) in the final pixel; 0 = background. */
  figureMasks: Uint8Array;
  /** [F, 2, 4] x0, y0, x1, y1 (x1, y1 exclusive) bounds of the nonzero mask pixels; zeros when not visible. */
  handBoxes: Float32Array;
  /** [F, 2] 1 when the hand has any nonzero mask pixel. */
  handVisible: Uint8Array;
  /** [F, K, 3] keypoints (x, y, visible) in pixels. */
  keypoints: Float32Array;
}

/** The per-clip arrays (a stored split holds each stacked over its clips, with a leading N axis). */
export const CLIP_ARRAYS = ['ref', 'refPose', 'refKeypoints', 'frames', 'poses', 'handMasks', 'figureMasks', 'handBoxes', 'handVisible', 'keypoints'] as const;
export type ClipArray = (typeof CLIP_ARRAYS)[number];

const SPLIT_BLOCK: Record<ClipSplit, number> = { train: 1, val: 2, 'test-general': 3, 'test-hands': 4, pretrain: 100 };
/** Largest index + 1 of a stored split and of the pretraining stream. */
export const MAX_SPLIT_CLIPS = 1_000_000;
export const MAX_PRETRAIN_CLIPS = 1_000_000_000;

/** The identity id of a clip. */
export function identityId(split: ClipSplit, index: number): number {
  return SPLIT_BLOCK[split] * MAX_SPLIT_CLIPS + index;
}

/** The motion id of a clip (a separate block of numbers from the identities). */
export function motionId(split: ClipSplit, index: number): number {
  return split === 'pretrain' ? 1_100_000_000 + index : (10 + SPLIT_BLOCK[split]) * MAX_SPLIT_CLIPS + index;
}

/** The share of hard clips of a world outside `test-hands`. */
export function hardShare(world: WorldConfig): number {
  return world.hardShare ?? DEFAULT_HARD_SHARE;
}

/** Difficulty of a clip: `test-hands` all hard; elsewhere exactly round-down(share * n) of the first n clips are hard. */
export function clipDifficulty(split: ClipSplit, index: number, world: WorldConfig): Difficulty {
  if (split === 'test-hands') return 'hard';
  const share = hardShare(world);
  return Math.floor((index + 1) * share) > Math.floor(index * share) ? 'hard' : 'moderate';
}

/** Check a world profile; a bad field is a UsageError naming it. */
export function validateWorld(world: WorldConfig): void {
  const { size, frames, splits } = world;
  if (!Number.isInteger(size) || size < MIN_SIZE || size > MAX_SIZE) throw new UsageError(`world.size must be an integer in ${MIN_SIZE}..${MAX_SIZE}, got ${size}`);
  if (!Number.isInteger(frames) || frames < 1 || frames > 64) throw new UsageError(`world.frames must be an integer in 1..64, got ${frames}`);
  for (const s of SPLITS) {
    const n = splits?.[s];
    if (!Number.isInteger(n) || n < 0 || n > MAX_SPLIT_CLIPS) throw new UsageError(`world.splits['${s}'] must be an integer in 0..${MAX_SPLIT_CLIPS}, got ${n}`);
  }
  const share = hardShare(world);
  if (!(share >= 0 && share <= 1)) throw new UsageError(`world.hardShare must be in [0, 1], got ${share}`);
  if (world.framing !== undefined) {
    const { zoom, aim } = world.framing;
    if (!(typeof zoom === 'number' && zoom >= 1 && zoom <= 4)) throw new UsageError(`world.framing.zoom must be a number in [1, 4], got ${zoom}`);
    if (!(typeof aim === 'number' && aim >= -0.5 && aim <= 1.5)) throw new UsageError(`world.framing.aim must be a number in [-0.5, 1.5], got ${aim}`);
  }
}

/**
 * The still camera of a clip: the full-body shot, or with `world.framing` the frame centred on the mean of
 * neck + aim (pelvis - neck) over the reference and the generated frames, magnified by the zoom.
 */
export function clipView(world: WorldConfig, poses: readonly Pose[], identity: Identity): View {
  const S = world.size;
  if (!world.framing) return fullView(S);
  const { zoom, aim } = world.framing;
  let cx = 0;
  let cy = 0;
  for (const pose of poses) {
    const p = forwardKinematics(pose, identity.proportions).points;
    const [nx, ny] = [p[2], p[3]];
    const [px, py] = [(p[16] + p[22]) / 2, (p[17] + p[23]) / 2];
    cx += nx + aim * (px - nx);
    cy += ny + aim * (py - ny);
  }
  cx /= poses.length;
  cy /= poses.length;
  const unit = zoom * S;
  return { unit, ox: S / 2 - cx * unit, oy: S / 2 - cy * unit };
}

/**
 * Drawing defects of a clip's generated frames (world/defects.ts): what frame f draws instead of the true hands.
 * A frame with a defect is rendered twice: the truth gives its masks, boxes and keypoints, the defective render its
 * pixels only.
 */
export interface FrameDefects {
  /** The hand pose drawn at frame f (a wrong gesture), or undefined for the true one. */
  handPose(f: number, side: HandSide, truth: HandPose): HandPose | undefined;
  /** The drawing defect of each hand at frame f, or undefined. */
  redraw(f: number): FrameOptions['redraw'];
}

function checkClipArgs(worldSeed: number, split: ClipSplit, index: number, world: WorldConfig): void {
  if (!Number.isInteger(worldSeed)) throw new UsageError(`world seed must be an integer, got ${worldSeed}`);
  if (!(split in SPLIT_BLOCK)) throw new UsageError(`unknown split '${split}' (splits: ${[...SPLITS, 'pretrain'].join(', ')})`);
  const max = split === 'pretrain' ? MAX_PRETRAIN_CLIPS : world.splits[split];
  if (!Number.isInteger(index) || index < 0 || index >= max) throw new UsageError(`clip index for split '${split}' must be an integer in 0..${max - 1}, got ${index}`);
}

/** Hand visibility and box of mask channel c of one frame's masks [S, S, 2]. */
function handBox(masks: Uint8Array, offset: number, S: number, c: number): [number, number, number, number] | null {
  let x0 = S;
  let y0 = S;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < S; y++) {
    const row = offset + y * S * 2 + c;
    for (let x = 0; x < S; x++) {
      if (masks[row + 2 * x] !== 0) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  return x1 < 0 ? null : [x0, y0, x1 + 1, y1 + 1];
}

/** One clip of the world, in memory and deterministic from its arguments (with `defects`, frames drawn wrong: pretraining only). */
export function makeClip(worldSeed: number, split: ClipSplit, index: number, world: WorldConfig, defects?: FrameDefects): Clip {
  validateWorld(world);
  checkClipArgs(worldSeed, split, index, world);
  const S = world.size;
  const F = world.frames;
  const identity = makeIdentity(worldSeed, identityId(split, index));
  const difficulty = clipDifficulty(split, index, world);
  const motion = makeMotion(worldSeed, motionId(split, index), difficulty);
  const img = S * S * 3;
  const K3 = NUM_KEYPOINTS * KEYPOINT_DIMS;
  const canvas = new Canvas(S, 2);
  const poseCanvas = new Canvas(S, 0);
  const clip: Clip = {
    id: `${split}-${String(index).padStart(5, '0')}`,
    split,
    index,
    identity: identity.id,
    motion: motion.id,
    difficulty,
    motionFamily: motion.family,
    size: S,
    numFrames: F,
    ref: new Uint8Array(img),
    refPose: new Uint8Array(img),
    refKeypoints: new Float32Array(K3),
    frames: new Uint8Array(F * img),
    poses: new Uint8Array(F * img),
    handMasks: new Uint8Array(F * S * S * 2),
    figureMasks: new Uint8Array(F * S * S),
    handBoxes: new Float32Array(F * 8),
    handVisible: new Uint8Array(F * 2),
    keypoints: new Float32Array(F * K3),
  };
  const refPose = poseAt(motion, identity, motion.refTime);
  const framePoses = Array.from({ length: F }, (_, f) => poseAt(motion, identity, motion.start + f / FPS));
  const view = clipView(world, [refPose, ...framePoses], identity);
  const ref = renderFrame(canvas, identity, refPose, { view });
  canvas.writeRgb(clip.ref);
  clip.refKeypoints.set(ref.keypoints);
  renderPoseMap(poseCanvas, ref.keypoints);
  poseCanvas.writeRgb(clip.refPose);
  for (let f = 0; f < F; f++) {
    const out = renderFrame(canvas, identity, framePoses[f], { view });
    canvas.writeRgb(clip.frames, f * img);
    canvas.writeMasks(clip.handMasks, f * S * S * 2);
    canvas.writeFigure(clip.figureMasks, f * S * S);
    clip.keypoints.set(out.keypoints, f * K3);
    renderPoseMap(poseCanvas, out.keypoints);
    poseCanvas.writeRgb(clip.poses, f * img);
    for (let c = 0; c < 2; c++) {
      const box = handBox(clip.handMasks, f * S * S * 2, S, c);
      if (box) {
        clip.handVisible[2 * f + c] = 1;
        clip.handBoxes.set(box, (2 * f + c) * 4);
      }
    }
    if (defects) {
      const truth = framePoses[f];
      const hands = truth.hands.map((h, side) => defects.handPose(f, side as HandSide, h));
      const redraw = defects.redraw(f);
      if (hands.some((h) => h !== undefined) || redraw) {
        const pose: Pose = { ...truth, hands: [hands[0] ?? truth.hands[0], hands[1] ?? truth.hands[1]] };
        renderFrame(canvas, identity, pose, { view, redraw });
        canvas.writeRgb(clip.frames, f * img);
      }
    }
  }
  return clip;
}

