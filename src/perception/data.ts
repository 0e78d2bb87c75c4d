/**
 * Ground-truth frames for the perception network: training batches rendered on the fly from the world's
 * 'pretrain' stream (identities and motions disjoint from every stored split), keyed by step so a resumed run
 * sees the same batches; and whole test splits rendered on the fly (identical to the stored ones).
 */
import { SplitName, WorldConfig } from '../world/config';
import { UsageError } from '../core/errors';
import { rng } from '../core/seeds';
import { makeClip } from '../world/clip';
import { HAND_KEYPOINTS, KEYPOINT_DIMS, NUM_KEYPOINTS, handStart } from '../world/layout';
import { SplitData } from '../world/store';
import { PerceptionConfig } from './config';
import { HandCrop, handCropAt } from './net';

/** Frames with their ground truth, stacked over clips: what accuracy is measured on (a stored split fits). */
export type KeypointFrames = Pick<SplitData, 'count' | 'numFrames' | 'size' | 'frames' | 'keypoints' | 'handBoxes' | 'handVisible'>;

/** One training batch: n frames, their keypoints, and a crop around every visible hand. */
export interface PerceptionBatch {
  n: number;
  /** [n, S, S, 3] uint8 frames. */
  frames: Uint8Array;
  /** [n, K, 3] keypoints (x, y, visible) in pixels. */
  keypoints: Float32Array;
  /** [n, 2] 1 where the hand (left, right) is visible. */
  handVisible: Uint8Array;
  /** Crops of the visible hands, centred on the true hand centre plus a jitter of up to handJitter px. */
  crops: HandCrop[];
}

/** Check that the config's frame size is the world's. */
export function checkWorldFits(c: PerceptionConfig, world: WorldConfig): void {
  if (c.size !== world.size) throw new UsageError(`perception config size ${c.size} does not match the world's frame size ${world.size}`);
}

/** Centre of hand `side` in frame f: the mean of its 21 keypoints (every keypoint has coordinates, visible or not). */
export function handCentre(keypoints: Float32Array, f: number, side: 0 | 1): [number, number] {
  let x = 0;
  let y = 0;
  for (let k = 0; k < HAND_KEYPOINTS; k++) {
    const o = (f * NUM_KEYPOINTS + handStart(side) + k) * KEYPOINT_DIMS;
    x += keypoints[o];
    y += keypoints[o + 1];
  }
  return [x / HAND_KEYPOINTS, y / HAND_KEYPOINTS];
}

/**
 * The batch of step `step`: clips step * m .. step * m + m - 1 of the 'pretrain' stream (m = batch / framesPerClip),
 * each rendered with the world's profile but only its first `framesPerClip` frames (clip start times are random
 * per motion, so these are no less varied than later frames). Crop jitter comes from rng(seed, 'perception-crops', step).
 */
export function trainingBatch(c: PerceptionConfig, worldSeed: number, world: WorldConfig, seed: number, step: number): PerceptionBatch {
  checkWorldFits(c, world);
  const m = c.batch / c.framesPerClip;
  const short: WorldConfig = { ...world, frames: c.framesPerClip };
  const img = c.size * c.size * 3;
  const frames = new Uint8Array(c.batch * img);
  const keypoints = new Float32Array(c.batch * NUM_KEYPOINTS * KEYPOINT_DIMS);
  const visible = new Uint8Array(c.batch * 2);
  for (let i = 0; i < m; i++) {
    const clip = makeClip(worldSeed, 'pretrain', step * m + i, short);
    frames.set(clip.frames, i * c.framesPerClip * img);
    keypoints.set(clip.keypoints, i * clip.keypoints.length);
    visible.set(clip.handVisible, i * clip.handVisible.length);
  }
  const r = rng(seed, 'perception-crops', step);
  const J = Math.floor(c.handJitter);
  const crops: HandCrop[] = [];
  for (let f = 0; f < c.batch; f++) {
    for (const side of [0, 1] as const) {
      if (!visible[2 * f + side]) continue;
      const [cx, cy] = handCentre(keypoints, f, side);
      crops.push(handCropAt(c, f, cx + r.int(2 * J + 1) - J, cy + r.int(2 * J + 1) - J, side));
    }
  }
  return { n: c.batch, frames, keypoints, handVisible: visible, crops };
}

/** A stored split of the world rendered on the fly (the same clips `buildWorld` stores), ground-truth arrays only. */
export function renderSplit(worldSeed: number, split: SplitName, world: WorldConfig): KeypointFrames {
  const count = world.splits[split];
  const F = world.frames;
  const S = world.size;
  const out: KeypointFrames = {
    count,
    numFrames: F,
    size: S,
    frames: new Uint8Array(count * F * S * S * 3),
    keypoints: new Float32Array(count * F * NUM_KEYPOINTS * KEYPOINT_DIMS),
    handBoxes: new Float32Array(count * F * 8),
    handVisible: new Uint8Array(count * F * 2),
  };
  for (let i = 0; i < count; i++) {
    const clip = makeClip(worldSeed, split, i, world);
    out.frames.set(clip.frames, i * clip.frames.length);
    out.keypoints.set(clip.keypoints, i * clip.keypoints.length);
    out.handBoxes.set(clip.handBoxes, i * clip.handBoxes.length);
    out.handVisible.set(clip.handVisible, i * clip.handVisible.length);
  }
  return out;
}
