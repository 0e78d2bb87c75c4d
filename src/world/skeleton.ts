/**
 * Skeleton and kinematics: a planar kinematic tree (the world is 2-D) with bone lengths per identity and joint
 * limits. Body joints are angles relative to their parent bone; each hand is a wrist, a palm and five fingers whose
 * joints flex only one way (fingers curl towards the thumb side, the thumb towards the fingers), so every bone
 * length is constant through a clip by construction and every joint angle is checkable against its limits.
 *
 * Lengths are in frame units (1 = the frame side); angles are radians in image coordinates (x right, y down), so a
 * direction angle a points along (cos a, sin a) and "down" is pi/2.
 */
import { HandSide, LEFT, NUM_KEYPOINTS, RIGHT, handStart } from './layout';

/** Bone lengths and fixed offsets of one identity (frame units). */
export interface Proportions {
  /** Pelvis (hip midpoint) to neck. */
  torso: number;
  /** Half distance between the hips. */
  hipHalf: number;
  /** Half distance between the shoulders, and how far below the neck they sit. */
  shoulderHalf: number;
  shoulderDrop: number;
  /** Neck to nose, and the head's half width and half height (for drawing). */
  neckToNose: number;
  headHalfWidth: number;
  headHalfHeight: number;
  upperArm: number;
  forearm: number;
  thigh: number;
  shin: number;
  /** Wrist to middle fingertip with the hand straight. Drawn larger than life so fingers resolve at 64x64. */
  hand: number;
  /** Per-finger length factors (thumb, index, middle, ring, pinky), about 1. */
  fingerScale: readonly [number, number, number, number, number];
}

/** The angles of one hand (radians; flexion >= 0 bends only the way fingers bend). */
export interface HandPose {
  /** Hand direction relative to the forearm, mirrored per side (wrist turn / deviation). */
  wrist: number;
  /** Abduction of index, middle, ring, pinky relative to the hand axis, towards the thumb side positive. */
  abd: [number, number, number, number];
  /** Flexion at the MCP, PIP and DIP joints of index, middle, ring, pinky (towards the thumb side). */
  mcp: [number, number, number, number];
  pip: [number, number, number, number];
  dip: [number, number, number, number];
  /** Thumb: angle of its first bone from the hand axis (towards the thumb side), then MCP and IP flexion. */
  thumbAngle: number;
  thumbMcp: number;
  thumbIp: number;
}

/** The full pose of a character at one moment. Arrays indexed by side are [left, right]. */
export interface Pose {
  /** Pelvis (hip midpoint) position in frame units. */
  pelvis: [number, number];
  /** Spine lean from vertical (positive turns the top towards +x) and head tilt relative to the spine. */
  lean: number;
  headTilt: number;
  /**
   * Shoulder abduction (outwards positive), elbow angle, hip abduction and knee flexion (>= 0). The elbow seen from
   * the front bends either way (the upper arm can roll), so its angle is signed; the knee bends one way only.
   */
  shoulder: [number, number];
  elbow: [number, number];
  hip: [number, number];
  knee: [number, number];
  hands: [HandPose, HandPose];
  /** Drawing depth of each arm: < 0 behind the torso; among arms in front, the larger one is drawn on top. */
  armDepth: [number, number];
}

/** A joint's allowed range [min, max] in radians. */
export type Limit = readonly [number, number];

/** Joint limits of the world (all poses the motions produce stay inside them). */
export const JOINT_LIMITS = {
  lean: [-0.3, 0.3] as Limit,
  headTilt: [-0.4, 0.4] as Limit,
  shoulder: [-1.6, 3.0] as Limit,
  elbow: [-2.7, 2.7] as Limit,
  hip: [-0.35, 0.9] as Limit,
  knee: [0, 2.0] as Limit,
  wrist: [-1.1, 1.1] as Limit,
  /** Abduction per finger: index, middle, ring, pinky. */
  abd: [[-0.06, 0.36], [-0.12, 0.12], [-0.34, 0.06], [-0.6, 0.06]] as readonly Limit[],
  mcp: [0, 1.45] as Limit,
  pip: [0, 1.75] as Limit,
  dip: [0, 1.25] as Limit,
  thumbAngle: [0.2, 1.2] as Limit,
  thumbMcp: [0, 0.9] as Limit,
  thumbIp: [0, 1.3] as Limit,
} as const;

/** Hand geometry in units of the hand length, in the hand frame (u along the hand, v towards the thumb side). */
export const HAND_GEOMETRY = {
  /** Thumb CMC position, then MCP of index, middle, ring, pinky as (u, v). */
  thumbBase: [0.13, 0.16] as const,
  mcp: [[0.47, 0.17], [0.5, 0.055], [0.48, -0.06], [0.43, -0.165]] as const,
  /** Bone lengths of thumb (CMC-MCP, MCP-IP, IP-tip) and of index..pinky (proximal, middle, distal). */
  bones: [[0.19, 0.15, 0.13], [0.21, 0.12, 0.1], [0.23, 0.14, 0.11], [0.21, 0.13, 0.1], [0.16, 0.1, 0.09]] as const,
};

/** +1 for the right side, -1 for the left: the sign of "outwards" and of finger flexion for that side's hand. */
export function mirror(side: HandSide): number {
  return side === RIGHT ? 1 : -1;
}

/** Clamp to a limit. */
export function clampTo(x: number, [lo, hi]: Limit): number {
  return x < lo ? lo : x > hi ? hi : x;
}

/** Wrap an angle to (-pi, pi]. */
export function wrapAngle(a: number): number {
  let x = a % (2 * Math.PI);
  if (x > Math.PI) x -= 2 * Math.PI;
  if (x <= -Math.PI) x += 2 * Math.PI;
  return x;
}

/** Keypoint positions in frame units plus the drawing directions the renderer needs. */
export interface Skeleton {
  /** x, y per keypoint (K x 2), frame units. */
  points: Float64Array;
  /** Spine direction (angle, pointing up) and head direction (angle from neck to head top). */
  spine: number;
  head: number;
  /** Hand direction per side (angle of the hand axis), [left, right]. */
  handDir: [number, number];
}

function put(points: Float64Array, i: number, x: number, y: number): void {
  points[2 * i] = x;
  points[2 * i + 1] = y;
}

/** Body and hand keypoints of a pose (forward kinematics). */
export function forwardKinematics(pose: Pose, p: Proportions): Skeleton {
  const pts = new Float64Array(NUM_KEYPOINTS * 2);
  const [px, py] = pose.pelvis;
  const spine = -Math.PI / 2 + pose.lean;
  const down = spine + Math.PI;
  const cs = Math.cos(spine);
  const ss = Math.sin(spine);
  // Right of the character (image -x when upright) is the spine direction turned by -pi/2.
  const rx = ss;
  const ry = -cs;
  const nx = px + p.torso * cs;
  const ny = py + p.torso * ss;
  put(pts, 1, nx, ny);
  put(pts, 8, px + p.hipHalf * rx, py + p.hipHalf * ry);
  put(pts, 11, px - p.hipHalf * rx, py - p.hipHalf * ry);
  put(pts, 2, nx + p.shoulderHalf * rx - p.shoulderDrop * cs, ny + p.shoulderHalf * ry - p.shoulderDrop * ss);
  put(pts, 5, nx - p.shoulderHalf * rx - p.shoulderDrop * cs, ny - p.shoulderHalf * ry - p.shoulderDrop * ss);
  // Head: nose, eyes and ears are rigid with the head.
  const head = spine + pose.headTilt;
  const hc = Math.cos(head);
  const hs = Math.sin(head);
  const hrx = hs;
  const hry = -hc;
  const nox = nx + p.neckToNose * hc;
  const noy = ny + p.neckToNose * hs;
  put(pts, 0, nox, noy);
  const eyeUp = 0.3 * p.headHalfHeight;
  const eyeSide = 0.36 * p.headHalfWidth;
  const earUp = 0.2 * p.headHalfHeight;
  const earSide = 0.98 * p.headHalfWidth;
  put(pts, 14, nox + eyeUp * hc + eyeSide * hrx, noy + eyeUp * hs + eyeSide * hry);
  put(pts, 15, nox + eyeUp * hc - eyeSide * hrx, noy + eyeUp * hs - eyeSide * hry);
  put(pts, 16, nox + earUp * hc + earSide * hrx, noy + earUp * hs + earSide * hry);
  put(pts, 17, nox + earUp * hc - earSide * hrx, noy + earUp * hs - earSide * hry);
  const handDir: [number, number] = [0, 0];
  for (const side of [LEFT, RIGHT] as const) {
    const m = mirror(side);
    const [sh, el, wr] = side === RIGHT ? [2, 3, 4] : [5, 6, 7];
    const sx = pts[2 * sh];
    const sy = pts[2 * sh + 1];
    const aUpper = down + m * pose.shoulder[side];
    const ex = sx + p.upperArm * Math.cos(aUpper);
    const ey = sy + p.upperArm * Math.sin(aUpper);
    const aFore = aUpper + m * pose.elbow[side];
    const wx = ex + p.forearm * Math.cos(aFore);
    const wy = ey + p.forearm * Math.sin(aFore);
    put(pts, el, ex, ey);
    put(pts, wr, wx, wy);
    const aHand = aFore + m * pose.hands[side].wrist;
    handDir[side] = aHand;
    handKinematics(pts, side, wx, wy, aHand, pose.hands[side], p);
    const [hip, knee, ankle] = side === RIGHT ? [8, 9, 10] : [11, 12, 13];
    const hx = pts[2 * hip];
    const hy = pts[2 * hip + 1];
    const aThigh = down + m * pose.hip[side];
    const kx = hx + p.thigh * Math.cos(aThigh);
    const ky = hy + p.thigh * Math.sin(aThigh);
    const aShin = aThigh - m * pose.knee[side];
    put(pts, knee, kx, ky);
    put(pts, ankle, kx + p.shin * Math.cos(aShin), ky + p.shin * Math.sin(aShin));
  }
  return { points: pts, spine, head, handDir };
}

/** Hand keypoints from the wrist position, the hand direction and the hand's joint angles. */
function handKinematics(pts: Float64Array, side: HandSide, wx: number, wy: number, dir: number, h: HandPose, p: Proportions): void {
  const s = mirror(side);
  const L = p.hand;
  const ux = Math.cos(dir);
  const uy = Math.sin(dir);
  // v: the thumb side, u turned by s * pi/2.
  const vx = -s * uy;
  const vy = s * ux;
  const base = handStart(side);
  put(pts, base, wx, wy);
  const local = (u: number, v: number): [number, number] => [wx + L * (u * ux + v * vx), wy + L * (u * uy + v * vy)];
  // Thumb: first bone at thumbAngle towards the thumb side, then flexing back towards the fingers.
  const [tbx, tby] = local(HAND_GEOMETRY.thumbBase[0], HAND_GEOMETRY.thumbBase[1]);
  put(pts, base + 1, tbx, tby);
  let a = dir + s * h.thumbAngle;
  let x = tbx;
  let y = tby;
  const tb = HAND_GEOMETRY.bones[0];
  const tAngles = [0, -h.thumbMcp, -h.thumbIp];
  for (let j = 0; j < 3; j++) {
    a += s * tAngles[j];
    const len = tb[j] * L * p.fingerScale[0];
    x += len * Math.cos(a);
    y += len * Math.sin(a);
    put(pts, base + 2 + j, x, y);
  }
  for (let f = 0; f < 4; f++) {
    const [mu, mv] = HAND_GEOMETRY.mcp[f];
    const [mx, my] = local(mu, mv);
    const k = base + 5 + 4 * f;
    put(pts, k, mx, my);
    const bones = HAND_GEOMETRY.bones[f + 1];
    const flex = [h.mcp[f], h.pip[f], h.dip[f]];
    let fa = dir + s * h.abd[f];
    x = mx;
    y = my;
    for (let j = 0; j < 3; j++) {
      fa += s * flex[j];
      const len = bones[j] * L * p.fingerScale[f + 1];
      x += len * Math.cos(fa);
      y += len * Math.sin(fa);
      put(pts, k + 1 + j, x, y);
    }
  }
}

/**
 * Two-bone inverse kinematics: the (root, middle) angles that put the end of bones l1, l2 from `root` as close as
 * the joint limit allows to `target`, with the middle joint bending by +sign (flexion in [0, maxFlex]).
 * Returns the absolute direction of the first bone and the flexion of the middle joint.
 */
export function twoBoneIk(rootX: number, rootY: number, tx: number, ty: number, l1: number, l2: number, sign: number, maxFlex: number): { first: number; flex: number } {
  const dx = tx - rootX;
  const dy = ty - rootY;
  // Reachable distances: from the most-flexed configuration to 95% of full extension, approached smoothly
  // (tanh) from 85%: near a straight limb the joint angle moves infinitely fast with the target.
  const dMin = Math.sqrt(l1 * l1 + l2 * l2 + 2 * l1 * l2 * Math.cos(maxFlex)) + 1e-6;
  const soft = 0.85 * (l1 + l2);
  const dMax = 0.95 * (l1 + l2);
  const raw = Math.hypot(dx, dy);
  const d = Math.max(dMin, raw <= soft ? raw : soft + (dMax - soft) * Math.tanh((raw - soft) / (dMax - soft)));
  const theta = Math.atan2(dy, dx);
  const cosInterior = (l1 * l1 + l2 * l2 - d * d) / (2 * l1 * l2);
  const interior = Math.acos(Math.max(-1, Math.min(1, cosInterior)));
  const cosBeta = (l1 * l1 + d * d - l2 * l2) / (2 * l1 * d);
  const beta = Math.acos(Math.max(-1, Math.min(1, cosBeta)));
  return { first: theta - sign * beta, flex: Math.PI - interior };
}

/** Bones as keypoint pairs whose lengths are fixed by the skeleton (body tree plus both hands). */
export function skeletonBones(): [number, number][] {
  const bones: [number, number][] = [
    [1, 2], [1, 5], [2, 3], [3, 4], [5, 6], [6, 7], [1, 8], [1, 11], [8, 11], [2, 5], [8, 9], [9, 10], [11, 12], [12, 13],
    [1, 0], [0, 14], [0, 15], [0, 16], [0, 17], [14, 15],
  ];
  for (const side of [LEFT, RIGHT] as const) {
    const b = handStart(side);
    for (let f = 0; f < 5; f++) {
      bones.push([b, b + 1 + 4 * f]);
      for (let j = 0; j < 3; j++) bones.push([b + 1 + 4 * f + j, b + 2 + 4 * f + j]);
    }
    // The palm is rigid: neighbouring finger bases keep their distances.
    bones.push([b + 1, b + 5], [b + 5, b + 9], [b + 9, b + 13], [b + 13, b + 17]);
  }
  return bones;
}
