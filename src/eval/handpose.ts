/**
 * Hand pose agreement: what a keypoint detector sees of a generated hand, against the pose the video was asked for.
 *
 * The learned judge (select/judge.ts `KeypointJudge`) reads these, never the ground-truth pixels: the detector's
 * keypoints `[F, 60, 3]` of the generated frames (x, y in px, visibility probability in [0, 1]) and the input pose's
 * keypoints `[F, 60, 3]` (x, y, visible flag; in this world the pose input is drawn from exactly these keypoints).
 * Per visible hand (flags `[F, 2]`):
 * - `fingers`: the input's fingers whose tip is visible, and `fingersSeen`: those whose detected tip has visibility
 *   >= TIP_SEEN (a mitten or a missing finger should lower it, an extra finger cannot raise it above 5);
 * - `angleError`: the mean over the input's fully visible fingers of |bend(detected) - bend(input)| in degrees, a
 *   finger's bend being the sum of the turns at its two middle joints (0 for a straight finger, ~180 for a curled one);
 *   null when no finger is fully visible;
 * - `confidence`: the mean detected visibility over the hand's keypoints the input marks visible; null when none.
 */
import { checkInt } from './check';
import { handVisible, HANDS } from './boxes';
import { checkKeypoints } from './keypoints';
import { FINGER_NAMES, HAND_KEYPOINTS, NUM_KEYPOINTS, handStart, HandSide } from '../world/layout';

/** A detected fingertip counts as seen at this visibility probability or more. */
export const TIP_SEEN = 0.5;

/** What the detector sees of one visible hand against the input pose. */
export interface HandPoseScores {
  fingers: number;
  fingersSeen: number;
  /** Degrees; null when the input shows no whole finger. */
  angleError: number | null;
  /** Mean detected visibility of the input's visible keypoints; null when it has none. */
  confidence: number | null;
}

/** Turn in degrees at b on the path a -> b -> c (0 when straight); 0 when a segment has no length. */
export function turnDegrees(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  const ux = bx - ax;
  const uy = by - ay;
  const vx = cx - bx;
  const vy = cy - by;
  const n = Math.hypot(ux, uy) * Math.hypot(vx, vy);
  if (!(n > 0)) return 0;
  return (Math.acos(Math.max(-1, Math.min(1, (ux * vx + uy * vy) / n))) * 180) / Math.PI;
}

/** Bend of finger `finger` (0 thumb .. 4 pinky) of the hand starting at keypoint `start`, frame offset `o` (values). */
function bend(kp: ArrayLike<number>, o: number, start: number, finger: number): number {
  const at = (j: number) => o + (start + 1 + 4 * finger + j) * 3;
  const [p0, p1, p2, p3] = [at(0), at(1), at(2), at(3)];
  return turnDegrees(kp[p0], kp[p0 + 1], kp[p1], kp[p1 + 1], kp[p2], kp[p2 + 1]) + turnDegrees(kp[p1], kp[p1 + 1], kp[p2], kp[p2 + 1], kp[p3], kp[p3 + 1]);
}

/** `[frame][hand]` pose agreement of detected vs input keypoints; null where the hand is not visible. */
export function handPoseScores(detected: ArrayLike<number>, input: ArrayLike<number>, visible: ArrayLike<number | boolean>, frames: number): (HandPoseScores | null)[][] {
  checkInt('frames', frames, 1);
  checkKeypoints('detected', detected, frames);
  checkKeypoints('input', input, frames);
  if (visible.length !== frames * HANDS) throw new Error(`visible has ${visible.length} flags, expected [${frames}, ${HANDS}]`);
  const out: (HandPoseScores | null)[][] = [];
  for (let f = 0; f < frames; f++) {
    const o = f * NUM_KEYPOINTS * 3;
    const row: (HandPoseScores | null)[] = [];
    for (let hand = 0; hand < HANDS; hand++) {
      if (!handVisible(visible, f, hand)) {
        row.push(null);
        continue;
      }
      const start = handStart(hand as HandSide);
      let fingers = 0;
      let seen = 0;
      let angleSum = 0;
      let whole = 0;
      let confSum = 0;
      let confN = 0;
      for (let k = start; k < start + HAND_KEYPOINTS; k++) {
        const ok = o + k * 3;
        if (!(input[ok + 2] > 0)) continue;
        if (!Number.isFinite(detected[ok]) || !Number.isFinite(detected[ok + 1]) || !Number.isFinite(detected[ok + 2])) throw new Error(`detected keypoint ${k} of frame ${f} is not finite`);
        confSum += detected[ok + 2];
        confN++;
      }
      for (let finger = 0; finger < FINGER_NAMES.length; finger++) {
        const first = o + (start + 1 + 4 * finger) * 3;
        const tip = first + 3 * 3;
        if (!(input[tip + 2] > 0)) continue;
        fingers++;
        if (detected[tip + 2] >= TIP_SEEN) seen++;
        if (input[first + 2] > 0 && input[first + 5] > 0 && input[first + 8] > 0) {
          angleSum += Math.abs(bend(detected, o, start, finger) - bend(input, o, start, finger));
          whole++;
        }
      }
      row.push({ fingers, fingersSeen: seen, angleError: whole ? angleSum / whole : null, confidence: confN ? confSum / confN : null });
    }
    out.push(row);
  }
  return out;
}
