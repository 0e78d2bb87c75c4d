/** Per-split statistics of a stored world as plain rows, for tables and plots (hand boxes, motion speed). */
import { SPLITS, SplitName } from './config';
import { BODY_KEYPOINTS, KEYPOINT_DIMS, NUM_KEYPOINTS } from './layout';
import { Difficulty } from './motion';
import { World } from './store';

/** One hand in one frame: its box size in pixels (0 when not visible). */
export interface HandBoxRow {
  split: SplitName;
  clip: string;
  side: 'left' | 'right';
  frame: number;
  width: number;
  height: number;
  visible: boolean;
}

/** One clip's mean keypoint speed (pixels per frame) over keypoints visible in consecutive frames. */
export interface MotionSpeedRow {
  split: SplitName;
  clip: string;
  difficulty: Difficulty;
  bodySpeed: number;
  handSpeed: number;
}

/** Hand box sizes of every hand in every frame of every stored split. */
export function handBoxStats(world: World): HandBoxRow[] {
  const rows: HandBoxRow[] = [];
  for (const split of SPLITS) {
    const d = world.splits[split];
    for (let i = 0; i < d.count; i++) {
      for (let f = 0; f < d.numFrames; f++) {
        for (let side = 0; side < 2; side++) {
          const j = (i * d.numFrames + f) * 2 + side;
          const b = d.handBoxes.subarray(4 * j, 4 * j + 4);
          rows.push({ split, clip: d.ids[i], side: side === 0 ? 'left' : 'right', frame: f, width: b[2] - b[0], height: b[3] - b[1], visible: d.handVisible[j] === 1 });
        }
      }
    }
  }
  return rows;
}

/** Mean displacement per frame of body keypoints (0-17) and hand keypoints (18-59) of every stored clip. */
export function motionSpeedStats(world: World): MotionSpeedRow[] {
  const rows: MotionSpeedRow[] = [];
  for (const split of SPLITS) {
    const d = world.splits[split];
    const per = NUM_KEYPOINTS * KEYPOINT_DIMS;
    for (let i = 0; i < d.count; i++) {
      const sums = [0, 0];
      const counts = [0, 0];
      for (let f = 1; f < d.numFrames; f++) {
        const a = (i * d.numFrames + f - 1) * per;
        const b = a + per;
        for (let k = 0; k < NUM_KEYPOINTS; k++) {
          const kp = d.keypoints;
          if (!kp[a + 3 * k + 2] || !kp[b + 3 * k + 2]) continue;
          const g = k < BODY_KEYPOINTS ? 0 : 1;
          sums[g] += Math.hypot(kp[b + 3 * k] - kp[a + 3 * k], kp[b + 3 * k + 1] - kp[a + 3 * k + 1]);
          counts[g]++;
        }
      }
      rows.push({ split, clip: d.ids[i], difficulty: d.difficulty[i], bodySpeed: counts[0] ? sums[0] / counts[0] : 0, handSpeed: counts[1] ? sums[1] / counts[1] : 0 });
    }
  }
  return rows;
}

/** One clip's share of frame pixels that are hand: the mean over frames and pixels of both hands' union coverage. */
export interface HandShareRow {
  clip: string;
  /** In [0, 1] (the paper-profile world: ~0.035). */
  share: number;
}

/** The hand-pixel share of every clip of a stored split (the union of the two hands' coverage masks, 0..255 -> 0..1). */
export function handShareStats(world: World, split: SplitName): HandShareRow[] {
  const d = world.splits[split];
  const per = d.handMasks.length / d.count; // F x S x S x 2
  return d.ids.map((clip, i) => {
    const m = d.handMasks.subarray(i * per, (i + 1) * per);
    let sum = 0;
    for (let p = 0; p < m.length; p += 2) sum += Math.max(m[p], m[p + 1]);
    return { clip, share: sum / 255 / (per / 2) };
  });
}
