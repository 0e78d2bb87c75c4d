/** Accuracy of the perception network on ground-truth frames: hand PCK@0.2 and error, body PCK@0.1, visibility. */
import { bodyKeypointMetrics, handKeypointMetrics } from '../eval/keypoints';
import { KEYPOINT_DIMS, NUM_KEYPOINTS } from '../world/layout';
import { KeypointFrames } from './data';
import { Perception, perceive } from './perceive';

/** Keypoint accuracy over a set of frames (every counted keypoint weighs the same). */
export interface PerceptionAccuracy {
  frames: number;
  /** Hand PCK@0.2 of the hand box size, and mean hand keypoint error in pixels (visible hands and keypoints). */
  handPck: number | null;
  handErrorPx: number | null;
  handKeypoints: number;
  /** Body PCK@0.1 of the body-box diagonal, and mean body keypoint error in pixels. */
  bodyPck: number | null;
  bodyErrorPx: number | null;
  bodyKeypoints: number;
  /** Share of all keypoints whose visibility (probability > 0.5) matches the ground truth. */
  visibilityAccuracy: number;
  /** Seconds spent in `perceive`. */
  seconds: number;
}

/** Accuracy of `p` on ground-truth frames (a stored split, or one from `renderSplit`), using src/eval/keypoints.ts. */
export function perceptionAccuracy(p: Perception, data: KeypointFrames): PerceptionAccuracy {
  const n = data.count * data.numFrames;
  if (n < 1) throw new Error('perceptionAccuracy: the split has no frames');
  if (data.size !== p.config.size) throw new Error(`perceptionAccuracy: frames are ${data.size}x${data.size}, the network takes ${p.config.size}x${p.config.size}`);
  const t0 = process.hrtime.bigint();
  const { keypoints } = perceive(p, data.frames, n);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const hand = handKeypointMetrics(keypoints, data.keypoints, data.handBoxes, data.handVisible, n);
  const body = bodyKeypointMetrics(keypoints, data.keypoints, n);
  let agree = 0;
  for (let i = 0; i < n * NUM_KEYPOINTS; i++) {
    const o = i * KEYPOINT_DIMS + 2;
    if (keypoints[o] > 0.5 === data.keypoints[o] > 0) agree++;
  }
  return {
    frames: n,
    handPck: hand.pck,
    handErrorPx: hand.meanError,
    handKeypoints: hand.count,
    bodyPck: body.pck,
    bodyErrorPx: body.meanError,
    bodyKeypoints: body.count,
    visibilityAccuracy: agree / (n * NUM_KEYPOINTS),
    seconds,
  };
}
