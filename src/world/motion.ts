/**
 * Motions: smooth dance-like body motion and rich hand motion from named families, as functions of time, so any
 * moment of a motion (the clip's frames, the reference's other moment) is a pose. A motion is drawn from the
 * stream `rng(worldSeed, 'motion', id)`; its difficulty sets how fast and how independently the fingers move.
 *
 * Body: pelvis sway and bounce, spine lean, head tilt, feet planted or stepping (two-bone IK for the legs), wrists
 * following smooth targets (two-bone IK for the arms). Hands: per-finger curl, spread, thumb opposition and wrist
 * turn from the hand family. Every joint is clamped to JOINT_LIMITS.
 */
import { Rng, rng } from '../core/seeds';
import { Identity } from './character';
import { HandSide, LEFT, RIGHT } from './layout';
import { HandPose, JOINT_LIMITS, Pose, clampTo, forwardKinematics, mirror, twoBoneIk, wrapAngle } from './skeleton';

/** How hard the hands are: moderate (general) or hard (fast, independent finger articulation). */
export type Difficulty = 'moderate' | 'hard';

/** Hand motion families. */
export const HAND_FAMILIES = ['open-close', 'fist', 'spread', 'wave', 'counting', 'pinch', 'wrist-turn'] as const;
export type HandFamily = (typeof HAND_FAMILIES)[number];

/** Body motion families: free dance, hands crossing in front of the body, one hand passing behind it. */
export const BODY_FAMILIES = ['dance', 'crossing', 'behind'] as const;
export type BodyFamily = (typeof BODY_FAMILIES)[number];

/** The named families of a motion: the body's and each hand's. */
export interface MotionFamily {
  body: BodyFamily;
  left: HandFamily;
  right: HandFamily;
}

/** Frames per second of the world's clips (about 8 fps sampling of a dance). */
export const FPS = 8;

/** A sinusoid amp * sin(2 pi freq t + phase). */
interface Osc {
  amp: number;
  freq: number;
  phase: number;
}

function osc(o: Osc, t: number): number {
  return o.amp * Math.sin(2 * Math.PI * o.freq * t + o.phase);
}

function makeOsc(r: Rng, amp: [number, number], freq: [number, number]): Osc {
  return { amp: r.range(amp[0], amp[1]), freq: r.range(freq[0], freq[1]), phase: r.range(0, 2 * Math.PI) };
}

/** Where the wrist sits and where the hand points: raised and front point up, low points down, cross follows the forearm. */
type ArmStyle = 'raised' | 'front' | 'low' | 'cross';

/** One arm's wrist target (offsets from the shoulder, outwards / downwards) and hand direction. */
interface ArmParams {
  style: ArmStyle;
  /** Which way the elbow points: +1 out and down (forearm swings up), -1 the other way (forearm across the body). */
  bend: 1 | -1;
  out: number;
  down: number;
  outOsc: Osc;
  downOsc: Osc;
  /** Hand direction: base tilt away from the style's direction and its oscillation. */
  tilt: number;
  tiltOsc: Osc;
  /** Crossing/behind: the wrist sweeps between `out` and `sweepTo` with this oscillation (0..1). */
  sweepTo: number;
  sweep: Osc | null;
}

/** One hand's finger driver. */
interface HandParams {
  family: HandFamily;
  /** Per-finger (thumb, index, middle, ring, pinky) frequency and phase of its own cycle. */
  freq: number[];
  phase: number[];
  /** Hard clips: per-finger MCP-versus-PIP split oscillation. */
  split: Osc[];
  /** Fixed per-clip choices: base curl of the unused fingers (pinch), count rate and start (counting). */
  rest: number[];
  rate: number;
  start: number;
  spread: Osc;
  wristOsc: Osc;
}

/** A motion: id, difficulty, families and every parameter of its time functions. */
export interface Motion {
  id: number;
  difficulty: Difficulty;
  family: MotionFamily;
  /** Start of the clip window (seconds) and the reference image's moment (outside the window). */
  start: number;
  refTime: number;
  pelvisX: number;
  sway: [Osc, Osc];
  bounce: Osc;
  lean: Osc;
  headTilt: Osc;
  stance: number;
  steps: [Osc, Osc];
  arms: [ArmParams, ArmParams];
  hands: [HandParams, HandParams];
  armDepth: [number, number];
}

/** Smallest distance (frame units) from the shoulder to a wrist target. */
const MIN_REACH = 0.09;

function armParams(r: Rng, style: Exclude<ArmStyle, 'cross'>, hard: boolean): ArmParams {
  const speed = hard ? 1.3 : 1;
  const f: [number, number] = [0.3 * speed, 0.8 * speed];
  const base = {
    raised: { out: [0.12, 0.18], down: [-0.05, 0.05], tilt: [0, 0.4] },
    front: { out: [-0.1, 0.0], down: [0.12, 0.18], tilt: [-0.9, -0.4] },
    low: { out: [0.05, 0.12], down: [0.19, 0.24], tilt: [0.1, 0.5] },
  }[style];
  const out = r.range(base.out[0], base.out[1]);
  const down = r.range(base.down[0], base.down[1]);
  // The wrist target keeps at least MIN_REACH from the shoulder: close to it the arm would swing round fast.
  const room = Math.max(0, Math.hypot(out, down) - MIN_REACH) / 2;
  const outOsc = makeOsc(r, [0.02, 0.06], f);
  const downOsc = makeOsc(r, [0.02, 0.06], f);
  outOsc.amp = Math.min(outOsc.amp, room);
  downOsc.amp = Math.min(downOsc.amp, room);
  return {
    style,
    bend: style === 'front' ? -1 : 1,
    out,
    down,
    outOsc,
    downOsc,
    tilt: r.range(base.tilt[0], base.tilt[1]),
    tiltOsc: makeOsc(r, [0.05, 0.25], f),
    sweepTo: 0,
    sweep: null,
  };
}

function handParams(r: Rng, family: HandFamily, hard: boolean): HandParams {
  const base = hard ? r.range(1.2, 2.0) : r.range(0.35, 0.8);
  const freq: number[] = [];
  const phase: number[] = [];
  const phase0 = r.range(0, 2 * Math.PI);
  const lag = r.range(0, 0.3);
  for (let i = 0; i < 5; i++) {
    // Moderate: the fingers move together (a small lag); hard: each finger on its own cycle.
    freq.push(hard ? base * r.range(0.75, 1.3) : base);
    phase.push(hard ? r.range(0, 2 * Math.PI) : phase0 + lag * i);
  }
  const split = Array.from({ length: 5 }, () => (hard ? makeOsc(r, [0.15, 0.35], [base * 0.7, base * 1.3]) : { amp: 0, freq: 0, phase: 0 }));
  const rest = Array.from({ length: 5 }, () => (r.uniform() < 0.5 ? r.range(0, 0.15) : r.range(0.75, 0.95)));
  return {
    family,
    freq,
    phase,
    split,
    rest,
    rate: hard ? r.range(6, 9) : r.range(1.6, 2.8),
    start: r.range(0, 10),
    spread: makeOsc(r, [0.3, 0.5], hard ? [1.0, 1.8] : [0.3, 0.7]),
    // Wrist swings: at most ~0.5 rad per frame at 8 fps (amp * 2 pi f / FPS), so fingertips stay trackable.
    wristOsc: family === 'wave'
      ? hard ? makeOsc(r, [0.4, 0.55], [1.0, 1.2]) : makeOsc(r, [0.45, 0.7], [0.5, 0.8])
      : family === 'wrist-turn'
        ? hard ? makeOsc(r, [0.5, 0.7], [0.8, 1.0]) : makeOsc(r, [0.5, 0.8], [0.3, 0.5])
        : makeOsc(r, [0.05, 0.15], [0.3, 0.8]),
  };
}

function armStyleFor(r: Rng, family: HandFamily): Exclude<ArmStyle, 'cross'> {
  if (family === 'wave') return 'raised';
  if (family === 'counting' || family === 'pinch') return r.uniform() < 0.6 ? 'raised' : 'front';
  const u = r.uniform();
  return u < 0.55 ? 'raised' : u < 0.75 ? 'front' : 'low';
}

/** The motion with this id and difficulty in this world (deterministic). */
export function makeMotion(worldSeed: number, id: number, difficulty: Difficulty): Motion {
  const r = rng(worldSeed, 'motion', id);
  const hard = difficulty === 'hard';
  const u = r.uniform();
  const body: BodyFamily = u < 0.7 ? 'dance' : u < 0.85 ? 'crossing' : 'behind';
  const left = r.pick(HAND_FAMILIES);
  const right = r.uniform() < 0.5 ? left : r.pick(HAND_FAMILIES);
  const family: MotionFamily = { body, left, right };
  const arms: [ArmParams, ArmParams] = [armParams(r, armStyleFor(r, left), hard), armParams(r, armStyleFor(r, right), hard)];
  const armDepth: [number, number] = r.uniform() < 0.5 ? [1, 2] : [2, 1];
  if (body === 'crossing') {
    // Both wrists sweep from outside the body to past the midline, together, so the hands cross in front; they stay
    // well below the shoulder, where the arm's inverse kinematics is smooth.
    const sweep = makeOsc(r, [1, 1], [0.25, 0.45]);
    for (const side of [LEFT, RIGHT] as const) {
      arms[side] = { ...arms[side], style: 'cross', bend: -1, out: r.range(0.06, 0.12), down: r.range(0.13, 0.18), tilt: r.range(-0.2, 0.2), sweepTo: r.range(-0.24, -0.18), sweep };
    }
  } else if (body === 'behind') {
    // One arm is behind the torso; its wrist sweeps from beside the body to behind it and back.
    const side: HandSide = r.uniform() < 0.5 ? LEFT : RIGHT;
    armDepth[side] = -1;
    arms[side] = { ...arms[side], style: 'low', bend: 1, out: r.range(0.08, 0.13), down: r.range(0.12, 0.2), tilt: r.range(0, 0.3), sweepTo: r.range(-0.17, -0.12), sweep: makeOsc(r, [1, 1], [0.3, 0.55]) };
  }
  const span = 7 / FPS;
  const start = r.range(0, 30);
  const gap = r.range(1.5, 4);
  return {
    id,
    difficulty,
    family,
    start,
    refTime: r.uniform() < 0.5 ? start - gap : start + span + gap,
    pelvisX: r.range(0.47, 0.53),
    sway: [makeOsc(r, [0.02, 0.05], [0.3, 0.8]), makeOsc(r, [0.005, 0.015], [0.6, 1.2])],
    bounce: makeOsc(r, [0.008, 0.025], [0.5, 1.2]),
    lean: makeOsc(r, [0.05, 0.15], [0.25, 0.7]),
    headTilt: makeOsc(r, [0.08, 0.25], [0.25, 0.8]),
    stance: r.range(0.05, 0.09),
    steps: [makeOsc(r, [0, 0.04], [0.4, 1.0]), makeOsc(r, [0, 0.04], [0.4, 1.0])],
    arms,
    hands: [handParams(r, left, hard), handParams(r, right, hard)],
    armDepth,
  };
}

function smoothstep(x: number): number {
  const c = x < 0 ? 0 : x > 1 ? 1 : x;
  return c * c * (3 - 2 * c);
}

/** 0..1 cycle value of finger i at time t. */
function cycle(h: HandParams, i: number, t: number): number {
  return 0.5 - 0.5 * Math.cos(2 * Math.PI * h.freq[i] * t + h.phase[i]);
}

/** Curl (0 straight .. 1 fully flexed) of thumb, index..pinky, spread (0..1), thumb opposition (0..1). */
function fingerState(h: HandParams, hard: boolean, t: number): { curl: number[]; spread: number; oppose: number } {
  const curl = [0, 0, 0, 0, 0];
  let spread = 0.5 + osc(h.spread, t);
  let oppose = 0.3;
  switch (h.family) {
    case 'open-close':
      for (let i = 0; i < 5; i++) curl[i] = 0.95 * cycle(h, i, t);
      curl[0] *= 0.7;
      spread = 0.8 * (1 - curl[2]);
      oppose = 0.2 + 0.6 * curl[0];
      break;
    case 'fist':
      for (let i = 0; i < 5; i++) curl[i] = hard ? 0.5 + 0.48 * cycle(h, i, t) : 0.78 + 0.2 * cycle(h, i, t);
      curl[0] *= 0.7;
      spread = 0.1;
      oppose = 0.8;
      break;
    case 'spread':
      for (let i = 0; i < 5; i++) curl[i] = hard ? 0.45 * cycle(h, i, t) : 0.12 * cycle(h, i, t);
      oppose = 0.1;
      break;
    case 'wave':
      for (let i = 0; i < 5; i++) curl[i] = hard ? 0.5 * cycle(h, i, t) : 0.1 * cycle(h, i, t);
      spread = 0.7 + 0.3 * Math.sin(2 * Math.PI * h.spread.freq * t + h.spread.phase);
      oppose = 0.15;
      break;
    case 'counting': {
      // A count that rises and falls (triangle wave over 0..5); fingers open in the order index..pinky, thumb.
      const period = 10 / h.rate;
      const x = (((h.start + t) % period) + period) % period;
      const count = x < period / 2 ? x * h.rate : 10 - x * h.rate;
      const order = [4, 0, 1, 2, 3];
      for (let i = 0; i < 5; i++) curl[i] = 0.95 * (1 - smoothstep(count - order[i]));
      curl[0] *= 0.75;
      spread = 0.55;
      oppose = 0.2 + 0.7 * (curl[0] / 0.71);
      break;
    }
    case 'pinch': {
      const p = cycle(h, 1, t);
      curl[1] = 0.3 + 0.3 * p;
      curl[0] = 0.25 * p;
      for (let i = 2; i < 5; i++) curl[i] = hard ? 0.9 * cycle(h, i, t) : h.rest[i];
      spread = 0.35;
      oppose = 0.55 + 0.4 * p;
      break;
    }
    case 'wrist-turn':
      for (let i = 0; i < 5; i++) curl[i] = hard ? 0.8 * cycle(h, i, t) : 0.15 + 0.2 * cycle(h, i, t);
      oppose = 0.3;
      break;
  }
  return { curl, spread: Math.max(0, Math.min(1, spread)), oppose: Math.max(0, Math.min(1, oppose)) };
}

const ABD_CLOSED = [0.02, 0, -0.03, -0.07];
const ABD_OPEN = [0.32, 0.03, -0.28, -0.55];

/** Finger joint angles of one hand at time t (wrist left at 0; set by the arm). */
function handPose(h: HandParams, hard: boolean, t: number): HandPose {
  const { curl, spread, oppose } = fingerState(h, hard, t);
  const L = JOINT_LIMITS;
  const pose: HandPose = {
    wrist: 0,
    abd: [0, 0, 0, 0],
    mcp: [0, 0, 0, 0],
    pip: [0, 0, 0, 0],
    dip: [0, 0, 0, 0],
    thumbAngle: clampTo(1.05 - 0.8 * oppose, L.thumbAngle),
    thumbMcp: clampTo(0.85 * curl[0], L.thumbMcp),
    thumbIp: clampTo(1.2 * curl[0], L.thumbIp),
  };
  for (let f = 0; f < 4; f++) {
    const c = curl[f + 1];
    const s = osc(h.split[f + 1], t);
    const a = ABD_CLOSED[f] + (ABD_OPEN[f] - ABD_CLOSED[f]) * spread * (1 - 0.7 * c);
    pose.abd[f] = clampTo(a, L.abd[f]);
    pose.mcp[f] = clampTo(1.35 * Math.max(0, Math.min(1, c + s)), L.mcp);
    pose.pip[f] = clampTo(1.65 * Math.max(0, Math.min(1, c - s)), L.pip);
    pose.dip[f] = clampTo(0.7 * pose.pip[f], L.dip);
  }
  return pose;
}

/** The character's pose at time t (seconds) under a motion. */
export function poseAt(motion: Motion, identity: Identity, t: number): Pose {
  const p = identity.proportions;
  const hard = motion.difficulty === 'hard';
  const L = JOINT_LIMITS;
  const legLength = p.thigh + p.shin;
  const groundY = 0.955;
  const pelvisX = motion.pelvisX + osc(motion.sway[0], t) + osc(motion.sway[1], t);
  const bounce = motion.bounce.amp * (0.5 - 0.5 * Math.cos(2 * Math.PI * motion.bounce.freq * t + motion.bounce.phase));
  const pelvisY = groundY - 0.975 * legLength + bounce;
  const pose: Pose = {
    pelvis: [pelvisX, pelvisY],
    lean: clampTo(osc(motion.lean, t), L.lean),
    headTilt: clampTo(osc(motion.headTilt, t), L.headTilt),
    shoulder: [0, 0],
    elbow: [0, 0],
    hip: [0, 0],
    knee: [0, 0],
    hands: [handPose(motion.hands[LEFT], hard, t), handPose(motion.hands[RIGHT], hard, t)],
    armDepth: [motion.armDepth[0], motion.armDepth[1]],
  };
  // Root positions of the limbs for this pelvis and lean.
  const rest = forwardKinematics(pose, p);
  const down = rest.spine + Math.PI;
  for (const side of [LEFT, RIGHT] as const) {
    const m = mirror(side);
    // Legs: feet planted at the stance width (a lifted foot when stepping); knees bend inwards.
    const [hip, ankleBase] = side === RIGHT ? [8, -1] : [11, 1];
    const lift = Math.max(0, osc(motion.steps[side], t));
    const ax = motion.pelvisX + ankleBase * motion.stance;
    const ay = groundY - lift;
    const leg = twoBoneIk(rest.points[2 * hip], rest.points[2 * hip + 1], ax, ay, p.thigh, p.shin, -m, L.knee[1]);
    pose.hip[side] = clampTo(m * wrapAngle(leg.first - down), L.hip);
    pose.knee[side] = clampTo(leg.flex, L.knee);
    // Arms: the wrist follows its target; the elbow points the way the style bends it.
    const arm = motion.arms[side];
    const sh = side === RIGHT ? 2 : 5;
    const sx = rest.points[2 * sh];
    const sy = rest.points[2 * sh + 1];
    let out = arm.out + osc(arm.outOsc, t);
    if (arm.sweep) {
      const w = 0.5 + 0.5 * Math.sin(2 * Math.PI * arm.sweep.freq * t + arm.sweep.phase);
      out = arm.out + (arm.sweepTo - arm.out) * w + 0.3 * osc(arm.outOsc, t);
    }
    const tx = sx - m * out;
    const ty = sy + arm.down + osc(arm.downOsc, t);
    const ik = twoBoneIk(sx, sy, tx, ty, p.upperArm, p.forearm, m * arm.bend, L.elbow[1]);
    pose.shoulder[side] = clampTo(m * wrapAngle(ik.first - down), L.shoulder);
    pose.elbow[side] = clampTo(arm.bend * ik.flex, L.elbow);
    // Hand direction: up (raised, front) or down (low), tilted outwards (raised, low) or inwards (front).
    const aFore = down + m * (pose.shoulder[side] + pose.elbow[side]);
    const tilt = arm.tilt + osc(arm.tiltOsc, t);
    const want = arm.style === 'low' ? Math.PI / 2 + m * tilt : -Math.PI / 2 - m * tilt;
    const wristOsc = osc(motion.hands[side].wristOsc, t);
    // sin() keeps the wrist continuous even when the forearm points away from the wanted direction; crossing
    // hands follow the forearm.
    const wrist = arm.style === 'cross' ? tilt : 1.25 * Math.sin(m * (want - aFore));
    pose.hands[side].wrist = clampTo(wrist + wristOsc, L.wrist);
  }
  return pose;
}
