/**
 * Keypoint layout of the world: 18 body keypoints in OpenPose/COCO-18 order, then 21 per hand in OpenPose hand
 * order (left hand, then right hand), K = 60 per frame, stored as (x, y, visible) in pixel coordinates.
 *
 * Pixel convention: x right, y down; pixel (i, j) covers [i, i+1) x [j, j+1), so its centre is (i + 0.5, j + 0.5).
 * "Left" and "right" are the character's own sides: the character faces the camera, so its right hand is on the
 * image's left.
 */

/** Body keypoint names in OpenPose/COCO-18 order (indices 0..17). */
export const BODY_KEYPOINT_NAMES = [
  'nose', 'neck', 'r-shoulder', 'r-elbow', 'r-wrist', 'l-shoulder', 'l-elbow', 'l-wrist', 'r-hip', 'r-knee',
  'r-ankle', 'l-hip', 'l-knee', 'l-ankle', 'r-eye', 'l-eye', 'r-ear', 'l-ear',
] as const;

/** Hand keypoint names in OpenPose hand order (indices 0..20 within a hand). */
export const HAND_KEYPOINT_NAMES = [
  'wrist',
  'thumb-cmc', 'thumb-mcp', 'thumb-ip', 'thumb-tip',
  'index-mcp', 'index-pip', 'index-dip', 'index-tip',
  'middle-mcp', 'middle-pip', 'middle-dip', 'middle-tip',
  'ring-mcp', 'ring-pip', 'ring-dip', 'ring-tip',
  'pinky-mcp', 'pinky-pip', 'pinky-dip', 'pinky-tip',
] as const;

/** Body keypoint indices (OpenPose/COCO-18). */
export const KP = {
  nose: 0, neck: 1, rShoulder: 2, rElbow: 3, rWrist: 4, lShoulder: 5, lElbow: 6, lWrist: 7, rHip: 8, rKnee: 9,
  rAnkle: 10, lHip: 11, lKnee: 12, lAnkle: 13, rEye: 14, lEye: 15, rEar: 16, lEar: 17,
} as const;

/** Number of body keypoints. */
export const BODY_KEYPOINTS = 18;
/** Number of keypoints per hand. */
export const HAND_KEYPOINTS = 21;
/** Keypoints per frame: body + left hand + right hand. */
export const NUM_KEYPOINTS = BODY_KEYPOINTS + 2 * HAND_KEYPOINTS;
/** Values per keypoint: x, y, visible. */
export const KEYPOINT_DIMS = 3;

/** Half-open index range [start, end) into the K keypoints. */
export interface KeypointRange {
  start: number;
  end: number;
}

/** Body keypoints 0..17. */
export const BODY_RANGE: KeypointRange = { start: 0, end: BODY_KEYPOINTS };
/** Left-hand keypoints 18..38. */
export const LEFT_HAND_RANGE: KeypointRange = { start: BODY_KEYPOINTS, end: BODY_KEYPOINTS + HAND_KEYPOINTS };
/** Right-hand keypoints 39..59. */
export const RIGHT_HAND_RANGE: KeypointRange = { start: BODY_KEYPOINTS + HAND_KEYPOINTS, end: NUM_KEYPOINTS };

/** A hand: 0 = left (mask channel 0, keypoints 18..38), 1 = right (mask channel 1, keypoints 39..59). */
export type HandSide = 0 | 1;
export const LEFT: HandSide = 0;
export const RIGHT: HandSide = 1;
export const HAND_SIDES: readonly HandSide[] = [LEFT, RIGHT];

/** First keypoint index of a hand. */
export function handStart(side: HandSide): number {
  return side === LEFT ? LEFT_HAND_RANGE.start : RIGHT_HAND_RANGE.start;
}

/** Fingers in OpenPose order; finger f has hand keypoints 1 + 4f .. 4 + 4f (thumb: CMC, MCP, IP, tip). */
export const FINGER_NAMES = ['thumb', 'index', 'middle', 'ring', 'pinky'] as const;

/** Body limbs as keypoint pairs, in OpenPose drawing order (17 limbs). */
export const BODY_LIMBS: readonly (readonly [number, number])[] = [
  [1, 2], [1, 5], [2, 3], [3, 4], [5, 6], [6, 7], [1, 8], [8, 9], [9, 10], [1, 11], [11, 12], [12, 13],
  [1, 0], [0, 14], [14, 16], [0, 15], [15, 17],
];

/** Hand bones as pairs of hand-local indices (20 bones: wrist to each finger base, then along each finger). */
export const HAND_BONES: readonly (readonly [number, number])[] = [
  [0, 1], [1, 2], [2, 3], [3, 4], [0, 5], [5, 6], [6, 7], [7, 8], [0, 9], [9, 10], [10, 11], [11, 12],
  [0, 13], [13, 14], [14, 15], [15, 16], [0, 17], [17, 18], [18, 19], [19, 20],
];

/** OpenPose body colours (RGB), one per keypoint; limb i is drawn in colour i. */
export const OPENPOSE_COLORS: readonly (readonly [number, number, number])[] = [
  [255, 0, 0], [255, 85, 0], [255, 170, 0], [255, 255, 0], [170, 255, 0], [85, 255, 0], [0, 255, 0], [0, 255, 85],
  [0, 255, 170], [0, 255, 255], [0, 170, 255], [0, 85, 255], [0, 0, 255], [85, 0, 255], [170, 0, 255], [255, 0, 255],
  [255, 0, 170], [255, 0, 85],
];
