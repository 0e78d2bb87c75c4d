/**
 * Scoring generated clips against the world's ground truth (docs/design.md, "Protocol"). Per clip: full-frame,
 * body, background and hand-region SSIM and PSNR (hand regions = ground-truth hand boxes of frames where a hand is
 * visible), hand keypoint error and PCK from the perception network, and the share of frames whose hand region
 * is clearly worse than the frame (SSIM-Hand below full-frame SSIM by more than HAND_GAP). Perception features
 * of every generated frame are kept for the Frechet distances.
 */
import { ClipHandMetrics, clipHandMetrics } from './regions';
import { HandKeypointMetrics, handKeypointMetrics } from './keypoints';

/** A frame-level keypoint detector and feature extractor (the kit's perception network). */
export interface FrameDetector {
  /** Feature width per frame. */
  featureDim: number;
  /** uint8 frames [n, S, S, 3] -> keypoints [n, 60, 3] (x, y, visibility) and features [n, featureDim]. */
  detect(frames: Uint8Array, n: number): { keypoints: Float32Array; features: Float32Array };
}

/** A frame's hand region counts as clearly worse than the frame when SSIM-Hand < SSIM - HAND_GAP. */
export const HAND_GAP = 0.2;

/** Scores of one generated clip (means over its frames / visible hands; null where nothing was measured). */
export interface ClipScores {
  id: string;
  clipId: string;
  ssim: number;
  psnr: number;
  /** The character minus its hand boxes (see regions.ts). */
  ssimBody: number | null;
  psnrBody: number | null;
  /** Pixels the character does not touch. */
  ssimBackground: number | null;
  psnrBackground: number | null;
  ssimHand: number | null;
  psnrHand: number | null;
  handKeypointError: number | null;
  handPck: number | null;
  /** Share of frames with a visible hand whose hand region is clearly worse than the frame. */
  handWorseShare: number | null;
}

/** Ground truth of one clip, as the world stores it. */
export interface ClipTruth {
  frames: Uint8Array; // [F, S, S, 3]
  handBoxes: Float32Array; // [F, 2, 4]
  handVisible: Uint8Array; // [F, 2]
  figureMasks: Uint8Array; // [F, S, S] character coverage 0..255
  keypoints: Float32Array; // [F, 60, 3]
}

/** Share of frames (with a visible hand) whose mean SSIM-Hand is below the frame's SSIM by more than HAND_GAP. */
export function handWorseShare(m: ClipHandMetrics): number | null {
  let judged = 0;
  let worse = 0;
  for (let f = 0; f < m.frames; f++) {
    const hands = m.hands.ssim[f].filter((s): s is number => s !== null);
    const full = m.full.ssim[f];
    if (!hands.length || full === null) continue;
    judged++;
    if (hands.reduce((a, b) => a + b, 0) / hands.length < full - HAND_GAP) worse++;
  }
  return judged ? worse / judged : null;
}

/** Score one generated clip; `detected` are the detector's keypoints of its frames (optional). */
export function scoreClip(
  id: string,
  clipId: string,
  gen: Uint8Array,
  truth: ClipTruth,
  size: number,
  detected?: Float32Array,
): { scores: ClipScores; metrics: ClipHandMetrics; keypoints: HandKeypointMetrics | null } {
  const F = truth.handVisible.length / 2;
  const m = clipHandMetrics(gen, truth.frames, truth.handBoxes, truth.handVisible, { frames: F, height: size, width: size, channels: 3 }, truth.figureMasks);
  const kp = detected ? handKeypointMetrics(detected, truth.keypoints, truth.handBoxes, truth.handVisible, F) : null;
  return {
    metrics: m,
    keypoints: kp,
    scores: {
      id,
      clipId,
      ssim: m.full.meanSsim as number,
      psnr: m.full.meanPsnr as number,
      ssimBody: m.body.meanSsim,
      psnrBody: m.body.meanPsnr,
      ssimBackground: m.background.meanSsim,
      psnrBackground: m.background.meanPsnr,
      ssimHand: m.hands.meanSsim,
      psnrHand: m.hands.meanPsnr,
      handKeypointError: kp ? kp.meanError : null,
      handPck: kp ? kp.pck : null,
      handWorseShare: handWorseShare(m),
    },
  };
}
