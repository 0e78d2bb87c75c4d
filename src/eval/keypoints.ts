/**
 * Keypoint accuracy: hand keypoint error (judging generated hands, and the perception network) and body PCK.
 *
 * Keypoints are `[F, K, 3]` (x, y, visible) with K = 60: 0-17 body (OpenPose/COCO-18 order), 18-38 left hand,
 * 39-59 right hand (OpenPose hand order), x and y in pixels. A keypoint counts when the ground truth marks it
 * visible (> 0) and, for hand keypoints, when its hand is visible (flags `[F, 2]`); the predicted visibility
 * column is ignored (the predictor must give coordinates for every keypoint).
 *
 * - Hand: mean pixel (Euclidean) error, and PCK@0.2: the share of counted keypoints whose error is <= 0.2 x
 *   the hand box size, box size = max(box width, box height) of the ground-truth hand box (boxes.ts).
 * - Body: PCK@0.1 of the body box diagonal, the body box being the tight box around the frame's visible
 *   ground-truth body keypoints; frames with fewer than 2 visible body keypoints (no box) are skipped.
 * Clip totals weigh every counted keypoint equally.
 */
import { checkInt, checkRange } from './check';
import { checkHandBoxes, handBox, handVisible, HANDS } from './boxes';
import { BODY_RANGE, LEFT_HAND_RANGE, NUM_KEYPOINTS, RIGHT_HAND_RANGE } from '../world/layout';

/** Keypoints per frame (the world's layout: 18 body, 21 left hand, 21 right hand). */
export const KEYPOINT_COUNT = NUM_KEYPOINTS;
/** Keypoint index ranges [start, end) of each hand (left = 0, right = 1), from the world's layout. */
const HAND_RANGES = [LEFT_HAND_RANGE, RIGHT_HAND_RANGE] as const;

/** Per-hand and clip-level hand keypoint accuracy. */
export interface HandKeypointMetrics {
  /** `[frame][hand]` mean pixel error; null where the hand is not visible or has no visible keypoint. */
  handError: (number | null)[][];
  /** `[frame][hand]` share of counted keypoints within the PCK threshold; null likewise. */
  handPck: (number | null)[][];
  /** Counted keypoints over the clip. */
  count: number;
  /** Mean pixel error over all counted keypoints; null when none. */
  meanError: number | null;
  /** PCK over all counted keypoints; null when none. */
  pck: number | null;
  pckFactor: number;
}

/** Body keypoint accuracy over a clip. */
export interface BodyKeypointMetrics {
  /** Per frame PCK; null where the frame has no body box. */
  framePck: (number | null)[];
  count: number;
  meanError: number | null;
  pck: number | null;
  pckFactor: number;
}

/** Check that `kp` holds keypoints `[frames, 60, 3]`; an Error names it. */
export function checkKeypoints(name: string, kp: ArrayLike<number>, frames: number): void {
  if (kp === null || typeof kp !== 'object' || typeof kp.length !== 'number') throw new Error(`${name} must be an array [F, ${KEYPOINT_COUNT}, 3]`);
  if (kp.length !== frames * KEYPOINT_COUNT * 3) {
    throw new Error(`${name} has ${kp.length} values, expected [${frames}, ${KEYPOINT_COUNT}, 3] = ${frames * KEYPOINT_COUNT * 3}`);
  }
}

function checkPoint(name: string, kp: ArrayLike<number>, o: number): void {
  if (!Number.isFinite(kp[o]) || !Number.isFinite(kp[o + 1])) throw new Error(`${name} keypoint at offset ${o} has non-finite coordinates (${kp[o]}, ${kp[o + 1]})`);
}

/** Hand keypoint error and PCK (default 0.2 of the hand box size) of predicted vs true keypoints `[F, 60, 3]`. */
export function handKeypointMetrics(
  pred: ArrayLike<number>,
  gt: ArrayLike<number>,
  boxes: ArrayLike<number>,
  visible: ArrayLike<number | boolean>,
  frames: number,
  opts: { pckFactor?: number } = {},
): HandKeypointMetrics {
  checkInt('frames', frames, 1);
  checkKeypoints('pred', pred, frames);
  checkKeypoints('gt', gt, frames);
  checkHandBoxes(boxes, visible, frames, Infinity, Infinity);
  const pckFactor = opts.pckFactor ?? 0.2;
  checkRange('opts.pckFactor', pckFactor, Number.MIN_VALUE, 10);
  const handError: (number | null)[][] = [];
  const handPck: (number | null)[][] = [];
  let count = 0;
  let errSum = 0;
  let hits = 0;
  for (let f = 0; f < frames; f++) {
    const fe: (number | null)[] = [];
    const fp: (number | null)[] = [];
    for (let hand = 0; hand < HANDS; hand++) {
      if (!handVisible(visible, f, hand)) {
        fe.push(null);
        fp.push(null);
        continue;
      }
      const [x0, y0, x1, y1] = handBox(boxes, f, hand);
      const threshold = pckFactor * Math.max(x1 - x0, y1 - y0);
      let n = 0;
      let e = 0;
      let h = 0;
      for (let k = HAND_RANGES[hand].start; k < HAND_RANGES[hand].end; k++) {
        const o = (f * KEYPOINT_COUNT + k) * 3;
        if (!(gt[o + 2] > 0)) continue;
        checkPoint('gt', gt, o);
        checkPoint('pred', pred, o);
        const d = Math.hypot(pred[o] - gt[o], pred[o + 1] - gt[o + 1]);
        n++;
        e += d;
        if (d <= threshold) h++;
      }
      fe.push(n ? e / n : null);
      fp.push(n ? h / n : null);
      count += n;
      errSum += e;
      hits += h;
    }
    handError.push(fe);
    handPck.push(fp);
  }
  return { handError, handPck, count, meanError: count ? errSum / count : null, pck: count ? hits / count : null, pckFactor };
}

/** Body PCK (default 0.1 of the body box diagonal) and mean pixel error of predicted vs true keypoints `[F, 60, 3]`. */
export function bodyKeypointMetrics(pred: ArrayLike<number>, gt: ArrayLike<number>, frames: number, opts: { pckFactor?: number } = {}): BodyKeypointMetrics {
  checkInt('frames', frames, 1);
  checkKeypoints('pred', pred, frames);
  checkKeypoints('gt', gt, frames);
  const pckFactor = opts.pckFactor ?? 0.1;
  checkRange('opts.pckFactor', pckFactor, Number.MIN_VALUE, 10);
  const framePck: (number | null)[] = [];
  let count = 0;
  let errSum = 0;
  let hits = 0;
  for (let f = 0; f < frames; f++) {
    let xmin = Infinity;
    let ymin = Infinity;
    let xmax = -Infinity;
    let ymax = -Infinity;
    let visibleCount = 0;
    for (let k = BODY_RANGE.start; k < BODY_RANGE.end; k++) {
      const o = (f * KEYPOINT_COUNT + k) * 3;
      if (!(gt[o + 2] > 0)) continue;
      checkPoint('gt', gt, o);
      checkPoint('pred', pred, o);
      visibleCount++;
      xmin = Math.min(xmin, gt[o]);
      xmax = Math.max(xmax, gt[o]);
      ymin = Math.min(ymin, gt[o + 1]);
      ymax = Math.max(ymax, gt[o + 1]);
    }
    const diag = Math.hypot(xmax - xmin, ymax - ymin);
    if (visibleCount < 2 || !(diag > 0)) {
      framePck.push(null);
      continue;
    }
    let h = 0;
    for (let k = BODY_RANGE.start; k < BODY_RANGE.end; k++) {
      const o = (f * KEYPOINT_COUNT + k) * 3;
      if (!(gt[o + 2] > 0)) continue;
      const d = Math.hypot(pred[o] - gt[o], pred[o + 1] - gt[o + 1]);
      errSum += d;
      if (d <= pckFactor * diag) h++;
    }
    count += visibleCount;
    hits += h;
    framePck.push(h / visibleCount);
  }
  return { framePck, count, meanError: count ? errSum / count : null, pck: count ? hits / count : null, pckFactor };
}
