/**
 * Rendering: a character frame (with per-hand ownership masks and per-keypoint visibility from the same shapes)
 * and a pose map drawn the way DWPose renders look (black background, OpenPose limb colours, joints as dots,
 * hand bones coloured along a rainbow, hand joints as blue dots).
 */
import { Appearance, Identity, hsv } from './character';
import {
  BODY_LIMBS, HAND_BONES, HAND_KEYPOINTS, HandSide, KEYPOINT_DIMS, LEFT, NUM_KEYPOINTS, OPENPOSE_COLORS, RIGHT, handStart,
} from './layout';
import { Canvas, Capsule, Ellipse, Paint, Polygon, RGB, Shape } from './raster';
import { Pose, Skeleton, forwardKinematics, mirror } from './skeleton';

/** Drawing groups: which body part a shape belongs to (for keypoint occlusion). */
const enum Group {
  Torso = 0,
  Head = 1,
  LegL = 2,
  LegR = 3,
  ArmL = 4,
  ArmR = 5,
  HandL = 6,
  HandR = 7,
}

const ARM: readonly [Group, Group] = [Group.ArmL, Group.ArmR];
const HAND: readonly [Group, Group] = [Group.HandL, Group.HandR];
const LEG: readonly [Group, Group] = [Group.LegL, Group.LegR];

/** The groups whose shapes a keypoint belongs to (shapes of other groups drawn after them hide it). */
function ownGroups(k: number): number {
  const bit = (g: Group): number => 1 << g;
  if (k >= handStart(RIGHT)) return bit(Group.HandR) | (k === handStart(RIGHT) ? bit(Group.ArmR) : 0);
  if (k >= handStart(LEFT)) return bit(Group.HandL) | (k === handStart(LEFT) ? bit(Group.ArmL) : 0);
  switch (k) {
    case 1: return bit(Group.Torso) | bit(Group.Head);
    case 2: return bit(Group.Torso) | bit(Group.ArmR);
    case 3: return bit(Group.ArmR);
    case 4: return bit(Group.ArmR) | bit(Group.HandR);
    case 5: return bit(Group.Torso) | bit(Group.ArmL);
    case 6: return bit(Group.ArmL);
    case 7: return bit(Group.ArmL) | bit(Group.HandL);
    case 8: return bit(Group.Torso) | bit(Group.LegR);
    case 9: case 10: return bit(Group.LegR);
    case 11: return bit(Group.Torso) | bit(Group.LegL);
    case 12: case 13: return bit(Group.LegL);
    default: return bit(Group.Head);
  }
}
const OWN_GROUPS = Array.from({ length: NUM_KEYPOINTS }, (_, k) => ownGroups(k));

/** Options for a character frame. */
export interface FrameOptions {
  /** Paint every shape of the left and right hand in these colours (to check the masks against the final pixels). */
  handColours?: readonly [RGB, RGB];
  /** The camera; absent: the full-body camera (`fullView`). */
  view?: View;
  /** Per side, a drawing defect: the hand drawn is `redraw(true shape)` (world/defects.ts). */
  redraw?: readonly [HandRedraw | undefined, HandRedraw | undefined];
}

/** A drawing defect of one hand: the shape drawn instead of the true one. */
export type HandRedraw = (h: HandShape) => HandShape;

/** A rendered character frame: colours, hand masks and keypoints (pixels) with visibility. */
export interface RenderedFrame {
  canvas: Canvas;
  /** [K, 3]: x, y in pixels, visible in {0, 1}. */
  keypoints: Float32Array;
}

interface Recorded {
  shape: Shape;
  group: Group;
}

/** Draws shapes onto a canvas and records them with their group for occlusion queries. */
class Painter {
  readonly shapes: Recorded[] = [];
  /** Index of the last recorded shape of each group (-1: none). */
  readonly last = new Int32Array(8).fill(-1);

  constructor(readonly canvas: Canvas) {}

  draw(shape: Shape, paint: Paint, group: Group, layer = -1): void {
    this.canvas.draw(shape, paint, layer);
    this.last[group] = this.shapes.length;
    this.shapes.push({ shape, group });
  }

  /** Whether a point is inside a shape of a foreign group drawn after every shape of its own groups. */
  hidden(x: number, y: number, own: number): boolean {
    let after = -1;
    for (let g = 0; g < 8; g++) if (own & (1 << g)) after = Math.max(after, this.last[g]);
    for (let i = after + 1; i < this.shapes.length; i++) {
      const r = this.shapes[i];
      if (!(own & (1 << r.group)) && r.shape.sd(x, y) < 0) return true;
    }
    return false;
  }
}

function scale(c: RGB, k: number): RGB {
  return [c[0] * k, c[1] * k, c[2] * k];
}

function mixColour(a: RGB, b: RGB, t: number): RGB {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

/** The background paint of an appearance at frame side S. */
function backgroundPaint(app: Appearance, S: number): Paint {
  const bg = app.background;
  const { a, b } = bg;
  const period = bg.period * S;
  const c = Math.cos(bg.angle);
  const s = Math.sin(bg.angle);
  switch (bg.kind) {
    case 'plain':
      return a;
    case 'gradient':
      return (x, y, out) => {
        const t = Math.min(1, Math.max(0, (c * (x - S / 2) + s * (y - S / 2)) / S + 0.5));
        out[0] = a[0] + (b[0] - a[0]) * t;
        out[1] = a[1] + (b[1] - a[1]) * t;
        out[2] = a[2] + (b[2] - a[2]) * t;
      };
    case 'checker':
      return (x, y, out) => {
        const k = (Math.floor(x / period) + Math.floor(y / period)) & 1;
        const col = k ? b : a;
        out[0] = col[0];
        out[1] = col[1];
        out[2] = col[2];
      };
    case 'stripes':
      return (x, y, out) => {
        const k = Math.floor((c * x + s * y) / (period * 0.5)) & 1;
        const col = k ? b : a;
        out[0] = col[0];
        out[1] = col[1];
        out[2] = col[2];
      };
  }
}

/** The shirt paint: plain, stripes or dots in torso-relative coordinates (the pattern moves with the body). */
function shirtPaint(app: Appearance, S: number, ox: number, oy: number, spine: number): Paint {
  if (app.shirtPattern === 'plain') return app.shirt;
  const period = app.patternPeriod * S;
  const a = spine + Math.PI / 2 + app.patternAngle;
  const c = Math.cos(a);
  const s = Math.sin(a);
  const shirt = app.shirt;
  const pat = app.patternColor;
  const write = (col: RGB, out: Float64Array): void => {
    out[0] = col[0];
    out[1] = col[1];
    out[2] = col[2];
  };
  if (app.shirtPattern === 'stripes') {
    return (x, y, out) => {
      const v = (-s * (x - ox) + c * (y - oy)) / period;
      write(v - Math.floor(v) < 0.45 ? pat : shirt, out);
    };
  }
  return (x, y, out) => {
    const u = (c * (x - ox) + s * (y - oy)) / period;
    const v = (-s * (x - ox) + c * (y - oy)) / period;
    const du = u - Math.round(u);
    const dv = v - Math.round(v);
    write(du * du + dv * dv < 0.07 ? pat : shirt, out);
  };
}

/**
 * The camera of a frame: a world point (frame units) maps to pixel `p * unit + offset`; `unit` is also the length
 * scale of every drawn shape. The full-body camera is unit = S, offset 0 (`fullView`).
 */
export interface View {
  unit: number;
  ox: number;
  oy: number;
}

/** The full-body camera of a frame of side S (the character fills ~90% of the frame height). */
export function fullView(S: number): View {
  return { unit: S, ox: 0, oy: 0 };
}

/** Pixel position of keypoint k. */
function at(sk: Skeleton, v: View, k: number): [number, number] {
  return [sk.points[2 * k] * v.unit + v.ox, sk.points[2 * k + 1] * v.unit + v.oy];
}

/** One finger as drawn: its base and three joints in pixels, pinky first, thumb last. */
export interface FingerChain {
  points: [number, number][];
  /** Radius at the base in px (tapering 7% per bone). */
  radius: number;
}

/**
 * One hand as it is drawn: where its wrist and axis are, and its finger chains. `handShape` gives the true hand;
 * a drawing defect (world/defects.ts) returns another shape, so the frame shows a wrong hand while the pose map,
 * masks and keypoints stay the truth.
 */
export interface HandShape {
  /** Wrist in pixels. */
  wrist: [number, number];
  /** Hand axis direction (radians) and the thumb side's sign (`mirror(side)`). */
  dir: number;
  mirror: number;
  /** Wrist to middle fingertip with the hand straight, px. */
  length: number;
  /** Pixels per 64th of the frame's length unit (outline widths scale with it). */
  px: number;
  /** Finger chains in drawing order: pinky, ring, middle, index (the index lies on top), then the thumb. */
  fingers: FingerChain[];
}

/** The true shape of one hand of a skeleton under a camera. */
export function handShape(sk: Skeleton, v: View, side: HandSide, L: number): HandShape {
  const b = handStart(side);
  const len = L * v.unit;
  const rFinger = Math.max(0.5, 0.056 * len);
  const rThumb = Math.max(0.55, 0.068 * len);
  const fingers: FingerChain[] = [];
  for (let f = 4; f >= 0; f--) {
    const start = b + 1 + 4 * f;
    fingers.push({ points: [0, 1, 2, 3].map((j) => at(sk, v, start + j)), radius: f === 0 ? rThumb : rFinger });
  }
  return { wrist: at(sk, v, b), dir: sk.handDir[side], mirror: mirror(side), length: len, px: v.unit / 64, fingers };
}

/** Draws one hand (palm, fingers with a darker rim, thumb) in skin or the override colour, owned by mask layer = side. */
function drawHand(pt: Painter, h: HandShape, side: HandSide, skin: RGB, override: RGB | undefined): void {
  const g = HAND[side];
  const m = h.mirror;
  const ux = Math.cos(h.dir);
  const uy = Math.sin(h.dir);
  const vx = -m * uy;
  const vy = m * ux;
  const [wx, wy] = h.wrist;
  const len = h.length;
  const local = (u: number, v: number): [number, number] => [wx + len * (u * ux + v * vx), wy + len * (u * uy + v * vy)];
  const fill = override ?? skin;
  const edge = override ?? scale(skin, 0.7);
  // Palm: a rounded quad from the wrist to the knuckles.
  const palm = [
    local(0.0, -0.12), local(0.03, 0.13), local(0.24, 0.2), local(0.46, 0.2), local(0.51, 0.06), local(0.48, -0.08), local(0.42, -0.18), local(0.18, -0.17),
  ].flat();
  pt.draw(new Polygon(palm), fill, g, side);
  const outline = 0.32 * h.px;
  for (const finger of h.fingers) {
    const segs: Shape[] = [];
    const edges: Shape[] = [];
    for (let j = 0; j < 3; j++) {
      const [ax, ay] = finger.points[j];
      const [bx, by] = finger.points[j + 1];
      const ra = finger.radius * (1 - 0.07 * j);
      const rb = finger.radius * (1 - 0.07 * (j + 1));
      edges.push(new Capsule(ax, ay, bx, by, ra + outline, rb + outline));
      segs.push(new Capsule(ax, ay, bx, by, ra, rb));
    }
    for (const e of edges) pt.draw(e, edge, g, side);
    for (const s of segs) pt.draw(s, fill, g, side);
  }
}

/** Draws one arm (upper arm, forearm) and its hand. */
function drawArm(pt: Painter, sk: Skeleton, v: View, side: HandSide, id: Identity, override: RGB | undefined, redraw: HandRedraw | undefined): void {
  const S = v.unit;
  const app = id.appearance;
  const p = id.proportions;
  const [sh, el, wr] = side === RIGHT ? [2, 3, 4] : [5, 6, 7];
  const [sx, sy] = at(sk, v, sh);
  const [ex, ey] = at(sk, v, el);
  const [wx, wy] = at(sk, v, wr);
  const rUpper = 0.032 * S;
  const rFore = 0.026 * S;
  const rWrist = 0.02 * S;
  const sleeve = scale(app.shirt, 0.8);
  pt.draw(new Capsule(sx, sy, ex, ey, rUpper, rFore * 1.05), sleeve, ARM[side]);
  pt.draw(new Capsule(ex, ey, wx, wy, rFore, rWrist), app.sleeves === 'long' ? sleeve : app.skin, ARM[side]);
  if (app.sleeves === 'long') {
    // A cuff just above the wrist separates sleeve and hand.
    const t = 0.86;
    pt.draw(new Capsule(ex + (wx - ex) * t, ey + (wy - ey) * t, wx, wy, rWrist * 1.15), scale(sleeve, 0.75), ARM[side]);
  }
  const hand = handShape(sk, v, side, p.hand);
  drawHand(pt, redraw ? redraw(hand) : hand, side, app.skin, override);
}

/** Draws the legs (thigh, shin, shoe) of one side. */
function drawLeg(pt: Painter, sk: Skeleton, v: View, side: HandSide, app: Appearance): void {
  const S = v.unit;
  const [hip, knee, ankle] = side === RIGHT ? [8, 9, 10] : [11, 12, 13];
  const [hx, hy] = at(sk, v, hip);
  const [kx, ky] = at(sk, v, knee);
  const [ax, ay] = at(sk, v, ankle);
  const g = LEG[side];
  pt.draw(new Capsule(hx, hy, kx, ky, 0.042 * S, 0.034 * S), app.trousers, g);
  pt.draw(new Capsule(kx, ky, ax, ay, 0.032 * S, 0.026 * S), app.legwear === 'shorts' ? app.skin : app.trousers, g);
  const outward = -mirror(side);
  pt.draw(new Ellipse(ax + outward * 0.012 * S, ay + 0.014 * S, 0.032 * S, 0.018 * S), app.shoes, g);
}

/** Draws the torso (shirt with pattern, waistband), neck and head (face, hair, eyes). */
function drawTorsoHead(pt: Painter, sk: Skeleton, v: View, id: Identity): void {
  const S = v.unit;
  const app = id.appearance;
  const p = id.proportions;
  const [nx, ny] = at(sk, v, 1);
  const [rsx, rsy] = at(sk, v, 2);
  const [lsx, lsy] = at(sk, v, 5);
  const [rhx, rhy] = at(sk, v, 8);
  const [lhx, lhy] = at(sk, v, 11);
  const cs = Math.cos(sk.spine);
  const ss = Math.sin(sk.spine);
  // Right of the character: spine turned by -pi/2.
  const rx = ss;
  const ry = -cs;
  const wide = 0.026 * S;
  const waistIn = 0.012 * S;
  const mx = (rhx + lhx) / 2;
  const my = (rhy + lhy) / 2;
  const wy = 0.4;
  const waistR: [number, number] = [rhx + (rsx - rhx) * wy - rx * waistIn, rhy + (rsy - rhy) * wy - ry * waistIn];
  const waistL: [number, number] = [lhx + (lsx - lhx) * wy + rx * waistIn, lhy + (lsy - lhy) * wy + ry * waistIn];
  const torso = [
    rsx + rx * wide, rsy + ry * wide, rsx - cs * 0.02 * S, rsy - ss * 0.02 * S, nx - cs * 0.01 * S, ny - ss * 0.01 * S,
    lsx - cs * 0.02 * S, lsy - ss * 0.02 * S, lsx - rx * wide, lsy - ry * wide,
    ...waistL, lhx - rx * 0.018 * S, lhy - ry * 0.018 * S, rhx + rx * 0.018 * S, rhy + ry * 0.018 * S, ...waistR,
  ];
  pt.draw(new Polygon(torso), shirtPaint(app, S, nx, ny, sk.spine), Group.Torso);
  // Trousers top from the waistline to below the hips.
  const below = 0.035 * S;
  const band = [
    rhx + rx * 0.02 * S + cs * 0.03 * S, rhy + ry * 0.02 * S + ss * 0.03 * S,
    lhx - rx * 0.02 * S + cs * 0.03 * S, lhy - ry * 0.02 * S + ss * 0.03 * S,
    lhx - rx * 0.02 * S - cs * below, lhy - ry * 0.02 * S - ss * below,
    mx - cs * 0.01 * S, my - ss * 0.01 * S,
    rhx + rx * 0.02 * S - cs * below, rhy + ry * 0.02 * S - ss * below,
  ];
  pt.draw(new Polygon(band), app.trousers, Group.Torso);
  // Head: hair behind and above the face, then the face, eyes.
  const hc = Math.cos(sk.head);
  const hs = Math.sin(sk.head);
  const [nox, noy] = at(sk, v, 0);
  const hw = p.headHalfWidth * S;
  const hh = p.headHalfHeight * S;
  const cx = nox + hc * 0.2 * hh;
  const cy = noy + hs * 0.2 * hh;
  pt.draw(new Capsule(nx, ny, cx, cy, 0.028 * S), scale(app.skin, 0.9), Group.Head);
  if (app.hairStyle === 'long') {
    pt.draw(new Capsule(cx, cy, cx - hc * 1.5 * hh, cy - hs * 1.5 * hh, hw * 1.12, hw * 1.0), app.hair, Group.Head);
  }
  pt.draw(new Ellipse(cx + hc * 0.22 * hh, cy + hs * 0.22 * hh, hh * 0.95, hw * 1.1, sk.head), app.hair, Group.Head);
  if (app.hairStyle === 'bun') pt.draw(new Capsule(cx + hc * 1.12 * hh, cy + hs * 1.12 * hh, cx + hc * 1.12 * hh, cy + hs * 1.12 * hh, 0.42 * hw), app.hair, Group.Head);
  pt.draw(new Ellipse(cx - hc * 0.08 * hh, cy - hs * 0.08 * hh, hh * 0.88, hw * 0.9, sk.head), app.skin, Group.Head);
  const eye = mixColour(app.hair, [20, 20, 30], 0.6);
  for (const k of [14, 15]) {
    const [ex, ey] = at(sk, v, k);
    pt.draw(new Capsule(ex, ey, ex, ey, 0.008 * S + 0.25), eye, Group.Head);
  }
}

/** Renders a character frame of side S into `canvas` (2 mask layers) and returns keypoints with visibility. */
export function renderFrame(canvas: Canvas, id: Identity, pose: Pose, opts: FrameOptions = {}): RenderedFrame {
  const S = canvas.size;
  if (canvas.layers !== 2) throw new Error(`renderFrame needs a canvas with 2 mask layers, got ${canvas.layers}`);
  const sk = forwardKinematics(pose, id.proportions);
  const app = id.appearance;
  const v = opts.view ?? fullView(S);
  canvas.fill(backgroundPaint(app, S));
  const pt = new Painter(canvas);
  const sides: HandSide[] = [LEFT, RIGHT];
  const behind = sides.filter((s) => pose.armDepth[s] < 0);
  const front = sides.filter((s) => pose.armDepth[s] >= 0).sort((a, b) => pose.armDepth[a] - pose.armDepth[b]);
  for (const s of behind) drawArm(pt, sk, v, s, id, opts.handColours?.[s], opts.redraw?.[s]);
  drawLeg(pt, sk, v, RIGHT, app);
  drawLeg(pt, sk, v, LEFT, app);
  drawTorsoHead(pt, sk, v, id);
  for (const s of front) drawArm(pt, sk, v, s, id, opts.handColours?.[s], opts.redraw?.[s]);
  const keypoints = new Float32Array(NUM_KEYPOINTS * KEYPOINT_DIMS);
  for (let k = 0; k < NUM_KEYPOINTS; k++) {
    const [x, y] = at(sk, v, k);
    const inside = x >= 0 && y >= 0 && x < S && y < S;
    keypoints[3 * k] = x;
    keypoints[3 * k + 1] = y;
    keypoints[3 * k + 2] = inside && !pt.hidden(x, y, OWN_GROUPS[k]) ? 1 : 0;
  }
  return { canvas, keypoints };
}

const HAND_BONE_COLOURS: readonly RGB[] = HAND_BONES.map((_, i) => hsv(i / HAND_BONES.length, 1, 1));
const HAND_JOINT: RGB = [0, 0, 255];

/** Draws a DWPose-style pose map of keypoints [K, 3] (pixels) onto a canvas of side S; hidden keypoints are left out. */
export function renderPoseMap(canvas: Canvas, keypoints: Float32Array): void {
  const S = canvas.size;
  const f = S / 64;
  canvas.fill([0, 0, 0]);
  const vis = (k: number): boolean => keypoints[3 * k + 2] > 0;
  const x = (k: number): number => keypoints[3 * k];
  const y = (k: number): number => keypoints[3 * k + 1];
  const stick = 0.75 * f;
  BODY_LIMBS.forEach(([a, b], i) => {
    if (!vis(a) || !vis(b)) return;
    const mx = (x(a) + x(b)) / 2;
    const my = (y(a) + y(b)) / 2;
    const len = Math.hypot(x(b) - x(a), y(b) - y(a));
    const ang = Math.atan2(y(b) - y(a), x(b) - x(a));
    canvas.draw(new Ellipse(mx, my, Math.max(len / 2, stick), stick, ang), scale(OPENPOSE_COLORS[i], 0.6));
  });
  for (let k = 0; k < 18; k++) if (vis(k)) canvas.draw(new Capsule(x(k), y(k), x(k), y(k), 1.0 * f), OPENPOSE_COLORS[k]);
  for (const side of [LEFT, RIGHT] as const) {
    const b = handStart(side);
    HAND_BONES.forEach(([i, j], e) => {
      if (!vis(b + i) || !vis(b + j)) return;
      canvas.draw(new Capsule(x(b + i), y(b + i), x(b + j), y(b + j), 0.42 * f), HAND_BONE_COLOURS[e]);
    });
    for (let i = 0; i < HAND_KEYPOINTS; i++) if (vis(b + i)) canvas.draw(new Capsule(x(b + i), y(b + i), x(b + i), y(b + i), 0.5 * f), HAND_JOINT);
  }
}
