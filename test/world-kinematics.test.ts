/** World skeleton, kinematics and motions: bone lengths, joint limits, smoothness, difficulty, determinism of clips. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { PROFILES } from '../src/study/profiles';
import { SplitName, WorldConfig } from '../src/world/config';
import {
  BODY_RANGE, Clip, ClipSplit, HAND_KEYPOINTS, HandSide, JOINT_LIMITS, KEYPOINT_DIMS, LEFT, LEFT_HAND_RANGE, NUM_KEYPOINTS, RIGHT,
  RIGHT_HAND_RANGE, HAND_GEOMETRY, handStart, makeClip, mirror, skeletonBones, wrapAngle,
} from '../src/world';

const WORLD: WorldConfig = PROFILES.fullbody.world;
const K3 = NUM_KEYPOINTS * KEYPOINT_DIMS;
const EPS = 2e-3;

/** A sample of clips over every split, both difficulties and the pretraining stream. */
function sample(): Clip[] {
  const out: Clip[] = [];
  const splits: ClipSplit[] = ['train', 'val', 'test-general', 'test-hands', 'pretrain'];
  for (const s of splits) for (let i = 0; i < 8; i++) out.push(makeClip(7, s, i * 3, WORLD));
  return out;
}
const CLIPS = sample();

/** (x, y) of keypoint k in frame f (f = -1: the reference). */
function xy(c: Clip, f: number, k: number): [number, number] {
  const a = f < 0 ? c.refKeypoints : c.keypoints.subarray(f * K3, (f + 1) * K3);
  return [a[3 * k], a[3 * k + 1]];
}

function angle(c: Clip, f: number, a: number, b: number): number {
  const [ax, ay] = xy(c, f, a);
  const [bx, by] = xy(c, f, b);
  return Math.atan2(by - ay, bx - ax);
}

/** Signed turn from bone a->b to bone b->c. */
function turn(c: Clip, f: number, a: number, b: number, d: number): number {
  return wrapAngle(angle(c, f, b, d) - angle(c, f, a, b));
}

function within(x: number, [lo, hi]: readonly [number, number], what: string): void {
  assert.ok(x >= lo - EPS && x <= hi + EPS, `${what} = ${x.toFixed(4)} outside [${lo}, ${hi}]`);
}

describe('world keypoint layout', () => {
  it('has 18 body + 2 x 21 hand keypoints in the documented ranges', () => {
    assert.equal(NUM_KEYPOINTS, 60);
    assert.deepEqual(BODY_RANGE, { start: 0, end: 18 });
    assert.deepEqual(LEFT_HAND_RANGE, { start: 18, end: 39 });
    assert.deepEqual(RIGHT_HAND_RANGE, { start: 39, end: 60 });
    assert.equal(HAND_KEYPOINTS, 21);
    assert.equal(handStart(LEFT), 18);
    assert.equal(handStart(RIGHT), 39);
  });
});

describe('world kinematics', () => {
  it('keeps every bone length constant through a clip, reference included', () => {
    const bones = skeletonBones();
    for (const c of CLIPS) {
      for (const [a, b] of bones) {
        const len = (f: number): number => Math.hypot(xy(c, f, b)[0] - xy(c, f, a)[0], xy(c, f, b)[1] - xy(c, f, a)[1]);
        const l0 = len(-1);
        assert.ok(l0 > 0.3, `${c.id}: bone ${a}-${b} has length ${l0}`);
        for (let f = 0; f < c.numFrames; f++) assert.ok(Math.abs(len(f) - l0) < 1e-3, `${c.id} frame ${f}: bone ${a}-${b} ${len(f)} != ${l0}`);
      }
    }
  });

  it('gives identities their own bone lengths', () => {
    const hand = (c: Clip): number => Math.hypot(xy(c, 0, 39 + 9)[0] - xy(c, 0, 39)[0], xy(c, 0, 39 + 9)[1] - xy(c, 0, 39)[1]);
    const lengths = new Set(CLIPS.map((c) => hand(c).toFixed(3)));
    assert.ok(lengths.size > CLIPS.length * 0.8, `only ${lengths.size} distinct palm lengths over ${CLIPS.length} clips`);
  });

  it('keeps finger, thumb, wrist, elbow and knee angles within their limits and flexing only one way', () => {
    const L = JOINT_LIMITS;
    let maxPip = 0;
    let maxMcp = 0;
    for (const c of CLIPS) {
      for (let f = -1; f < c.numFrames; f++) {
        for (const side of [LEFT, RIGHT] as HandSide[]) {
          const s = mirror(side);
          const b = handStart(side);
          // Hand axis u: the wrist -> middle-MCP direction, less the MCP's fixed offset towards the thumb side.
          const [mu, mv] = HAND_GEOMETRY.mcp[1];
          const u = angle(c, f, b, b + 9) - s * Math.atan2(mv, mu);
          for (let g = 0; g < 4; g++) {
            const k = b + 5 + 4 * g;
            const prox = s * wrapAngle(angle(c, f, k, k + 1) - u);
            within(prox, [L.abd[g][0] + L.mcp[0], L.abd[g][1] + L.mcp[1]], `${c.id} f${f} finger ${g} abduction+MCP`);
            const pip = s * turn(c, f, k, k + 1, k + 2);
            const dip = s * turn(c, f, k + 1, k + 2, k + 3);
            within(pip, L.pip, `${c.id} f${f} finger ${g} PIP`);
            within(dip, L.dip, `${c.id} f${f} finger ${g} DIP`);
            maxPip = Math.max(maxPip, pip);
            maxMcp = Math.max(maxMcp, prox);
          }
          // The thumb opposes: it flexes towards the fingers (the other way round).
          within(s * wrapAngle(angle(c, f, b + 1, b + 2) - u), L.thumbAngle, `${c.id} f${f} thumb angle`);
          within(-s * turn(c, f, b + 1, b + 2, b + 3), L.thumbMcp, `${c.id} f${f} thumb MCP`);
          within(-s * turn(c, f, b + 2, b + 3, b + 4), L.thumbIp, `${c.id} f${f} thumb IP`);
          const [sh, el, wr] = side === RIGHT ? [2, 3, 4] : [5, 6, 7];
          within(s * wrapAngle(u - angle(c, f, el, wr)), L.wrist, `${c.id} f${f} wrist`);
          within(s * turn(c, f, sh, el, wr), L.elbow, `${c.id} f${f} elbow`);
          const [hip, knee, ankle] = side === RIGHT ? [8, 9, 10] : [11, 12, 13];
          within(-s * turn(c, f, hip, knee, ankle), L.knee, `${c.id} f${f} knee`);
        }
      }
    }
    // The sample must actually exercise flexion (fists, counting), or the checks above prove little.
    assert.ok(maxPip > 1.2, `max PIP flexion ${maxPip}`);
    assert.ok(maxMcp > 0.9, `max MCP angle ${maxMcp}`);
  });
});

describe('world motions', () => {
  it('moves smoothly: bounded steps between frames (body 10% of the frame, hands 15%, 25% in hard clips)', () => {
    for (const c of CLIPS) {
      const handStep = (c.difficulty === 'hard' ? 0.25 : 0.15) * c.size;
      for (let f = 1; f < c.numFrames; f++) {
        for (let k = 0; k < NUM_KEYPOINTS; k++) {
          const d = Math.hypot(xy(c, f, k)[0] - xy(c, f - 1, k)[0], xy(c, f, k)[1] - xy(c, f - 1, k)[1]);
          assert.ok(d < (k < 18 ? 0.1 * c.size : handStep), `${c.id} frame ${f} keypoint ${k} moved ${d.toFixed(2)} px`);
        }
      }
    }
  });

  it('moves fingers faster in hard clips than in moderate ones', () => {
    const fingerSpeed = (c: Clip): number => {
      let sum = 0;
      for (let f = 1; f < c.numFrames; f++) {
        for (const side of [LEFT, RIGHT] as HandSide[]) {
          const b = handStart(side);
          // Tip positions in the hand's own frame (wrist origin, palm axis): finger articulation without arm or wrist motion.
          for (const tip of [4, 8, 12, 16, 20]) {
            const rel = (g: number): [number, number] => {
              const u = angle(c, g, b, b + 9);
              const dx = xy(c, g, b + tip)[0] - xy(c, g, b)[0];
              const dy = xy(c, g, b + tip)[1] - xy(c, g, b)[1];
              return [dx * Math.cos(u) + dy * Math.sin(u), -dx * Math.sin(u) + dy * Math.cos(u)];
            };
            sum += Math.hypot(rel(f)[0] - rel(f - 1)[0], rel(f)[1] - rel(f - 1)[1]);
          }
        }
      }
      return sum / ((c.numFrames - 1) * 10);
    };
    const mean = (cs: Clip[]): number => cs.reduce((a, c) => a + fingerSpeed(c), 0) / cs.length;
    const hard = CLIPS.filter((c) => c.difficulty === 'hard');
    const moderate = CLIPS.filter((c) => c.difficulty === 'moderate');
    assert.ok(hard.length >= 8 && moderate.length >= 8);
    assert.ok(mean(hard) > 2 * mean(moderate), `hard ${mean(hard).toFixed(2)} vs moderate ${mean(moderate).toFixed(2)} px/frame`);
  });

  it('draws every motion family and all body families over a stream of clips', () => {
    const hands = new Set<string>();
    const bodies = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const c = makeClip(3, 'pretrain', i, { ...WORLD, frames: 1 });
      hands.add(c.motionFamily.left).add(c.motionFamily.right);
      bodies.add(c.motionFamily.body);
    }
    assert.deepEqual([...hands].sort(), ['counting', 'fist', 'open-close', 'pinch', 'spread', 'wave', 'wrist-turn']);
    assert.deepEqual([...bodies].sort(), ['behind', 'crossing', 'dance']);
  });

  it('sets difficulty per split: test-hands all hard, elsewhere the profile share', () => {
    const split: SplitName = 'train';
    const hardTrain = Array.from({ length: WORLD.splits[split] }, (_, i) => i).filter((i) => makeClip(1, split, i, { ...WORLD, frames: 1, size: 32 }).difficulty === 'hard').length;
    assert.equal(hardTrain, Math.floor(WORLD.splits.train * (WORLD.hardShare ?? 0.25)));
    for (let i = 0; i < 10; i++) assert.equal(makeClip(1, 'test-hands', i, { ...WORLD, frames: 1, size: 32 }).difficulty, 'hard');
  });
});

describe('world clips', () => {
  it('are deterministic from (seed, split, index) and differ for another seed', () => {
    const a = makeClip(11, 'val', 5, WORLD);
    const b = makeClip(11, 'val', 5, WORLD);
    const c = makeClip(12, 'val', 5, WORLD);
    for (const f of ['ref', 'refPose', 'frames', 'poses', 'handMasks', 'handVisible'] as const) assert.deepEqual(a[f], b[f], f);
    for (const f of ['refKeypoints', 'keypoints', 'handBoxes'] as const) assert.deepEqual(a[f], b[f], f);
    assert.notDeepEqual(a.frames, c.frames);
    assert.notDeepEqual(a.keypoints, c.keypoints);
  });

  it('have the documented shapes at 32, 64 and 256 pixels', () => {
    for (const size of [32, 64, 256]) {
      const w = { ...WORLD, size, frames: size === 256 ? 2 : 8 };
      const c = makeClip(1, 'train', 0, w);
      const S = size;
      const F = w.frames;
      assert.equal(c.ref.length, S * S * 3);
      assert.equal(c.refPose.length, S * S * 3);
      assert.equal(c.refKeypoints.length, 60 * 3);
      assert.equal(c.frames.length, F * S * S * 3);
      assert.equal(c.poses.length, F * S * S * 3);
      assert.equal(c.handMasks.length, F * S * S * 2);
      assert.equal(c.handBoxes.length, F * 8);
      assert.equal(c.handVisible.length, F * 2);
      assert.equal(c.keypoints.length, F * 60 * 3);
      // Keypoints scale with the frame: the neck sits at the same relative place.
      assert.ok(Math.abs(c.keypoints[4] / S - 0.27) < 0.06, `neck y ${c.keypoints[4] / S}`);
    }
  });

  it('show the same identity at another moment in the reference', () => {
    for (const c of CLIPS.slice(0, 10)) {
      const S = c.size;
      for (let f = 0; f < c.numFrames; f++) assert.notDeepEqual(c.ref, c.frames.subarray(f * S * S * 3, (f + 1) * S * S * 3));
      // The background (top-left corner) is the identity's, so the reference and frame 0 agree there.
      assert.deepEqual(c.ref.subarray(0, 3), c.frames.subarray(0, 3), `${c.id} background corner`);
    }
  });

  it('reject bad arguments with errors naming them', () => {
    assert.throws(() => makeClip(1, 'train', WORLD.splits.train, WORLD), /index for split 'train'/);
    assert.throws(() => makeClip(1, 'nope' as SplitName, 0, WORLD), /unknown split 'nope'/);
    assert.throws(() => makeClip(1.5, 'train', 0, WORLD), /seed must be an integer/);
    assert.throws(() => makeClip(1, 'train', 0, { ...WORLD, size: 16 }), /world.size/);
    assert.throws(() => makeClip(1, 'train', 0, { ...WORLD, hardShare: 2 }), /hardShare/);
  });
});
