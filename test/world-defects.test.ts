/** Hand defects of the pretraining stream: zero knobs are today's world, each defect touches only hand pixels, eval splits untouched, export. */
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { UsageError } from '../src/core/errors';
import { PROFILES } from '../src/study/profiles';
import {
  CLIP_ARRAYS, Clip, HandDefects, NUM_KEYPOINTS, applyHandDefects, clipDefects, exportClips, handDefects, handStart, makeClip, makePretrainClip,
} from '../src/world';

// The smoke world without its pretraining defects: the clean world these tests add defects to.
const WORLD = { ...PROFILES.smoke.world, pretrainDefects: undefined };
const SEED = 1;
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-defects-test-'));
after(() => fs.rmSync(TMP, { recursive: true, force: true }));

/** A pretraining clip that draws the given defect: the first index whose draw says so. */
function defective(d: Partial<HandDefects>): { clean: Clip; bad: Clip; index: number } {
  const cfg = handDefects(d);
  for (let i = 0; i < 50; i++) {
    const c = clipDefects(SEED, i, cfg);
    if (!(c.blur || c.mitten || c.ghost || c.poseDrop || c.poseShift)) continue;
    return { clean: makeClip(SEED, 'pretrain', i, WORLD), bad: makePretrainClip(SEED, i, WORLD, cfg).clip, index: i };
  }
  throw new Error('no defective clip among the first 50');
}

/** Indices (frame, pixel) where two [F, S, S, 3] arrays differ. */
function changed(a: Uint8Array, b: Uint8Array, S: number): { f: number; x: number; y: number }[] {
  const out: { f: number; x: number; y: number }[] = [];
  for (let i = 0; i < a.length; i += 3) {
    if (a[i] !== b[i] || a[i + 1] !== b[i + 1] || a[i + 2] !== b[i + 2]) {
      const p = i / 3;
      out.push({ f: Math.floor(p / (S * S)), y: Math.floor((p % (S * S)) / S), x: p % S });
    }
  }
  return out;
}

/** Whether (x, y) lies inside a hand box of frame f grown by `grow` px. */
function inHandBox(c: Clip, f: number, x: number, y: number, grow: number): boolean {
  for (let s = 0; s < 2; s++) {
    if (!c.handVisible[2 * f + s]) continue;
    const o = (2 * f + s) * 4;
    const b = c.handBoxes;
    if (x >= b[o] - grow && x < b[o + 2] + grow && y >= b[o + 1] - grow && y < b[o + 3] + grow) return true;
  }
  return false;
}

/** Whether (x, y) is within `r` px of a hand keypoint of frame f (true or turned positions: anywhere in the hand's reach). */
function nearHandSkeleton(c: Clip, f: number, x: number, y: number, r: number): boolean {
  const K3 = NUM_KEYPOINTS * 3;
  for (const side of [0, 1] as const) {
    const b = handStart(side);
    const wx = c.keypoints[f * K3 + 3 * b];
    const wy = c.keypoints[f * K3 + 3 * b + 1];
    let reach = 0;
    for (let i = 0; i < 21; i++) reach = Math.max(reach, Math.hypot(c.keypoints[f * K3 + 3 * (b + i)] - wx, c.keypoints[f * K3 + 3 * (b + i) + 1] - wy));
    if (Math.hypot(x + 0.5 - wx, y + 0.5 - wy) <= reach + r) return true;
  }
  return false;
}

describe('hand defects', () => {
  it('zero knobs give byte-identical pretraining clips', () => {
    for (const i of [0, 1, 7]) {
      const clean = makeClip(SEED, 'pretrain', i, WORLD);
      const same = makePretrainClip(SEED, i, WORLD).clip;
      for (const f of CLIP_ARRAYS) assert.deepEqual(Buffer.from(same[f].buffer), Buffer.from(clean[f].buffer), `${f} of clip ${i}`);
    }
  });

  it('are deterministic from the seed, and the rate sets the share of defective clips', () => {
    const d = handDefects({ blurRate: 0.5, mittenRate: 0.3 });
    const a = makePretrainClip(SEED, 3, WORLD, d);
    const b = makePretrainClip(SEED, 3, WORLD, d);
    assert.deepEqual(a.defects, b.defects);
    assert.deepEqual(Buffer.from(a.clip.frames.buffer), Buffer.from(b.clip.frames.buffer));
    const n = 2000;
    let blur = 0;
    let mitten = 0;
    for (let i = 0; i < n; i++) {
      const c = clipDefects(SEED, i, d);
      blur += c.blur ? 1 : 0;
      mitten += c.mitten ? 1 : 0;
    }
    assert.ok(Math.abs(blur / n - 0.5) < 0.04, `blur share ${blur / n}`);
    assert.ok(Math.abs(mitten / n - 0.3) < 0.04, `mitten share ${mitten / n}`);
  });

  for (const [name, knobs, grow] of [
    ['blur', { blurRate: 1, blurMinLength: 4 }, 8],
    ['mitten', { mittenRate: 1 }, 2],
    ['ghost', { ghostRate: 1 }, 0],
  ] as const) {
    it(`${name} changes only pixels in the hand boxes of the frames, never pose maps, masks or the reference`, () => {
      const { clean, bad } = defective(knobs);
      const diff = changed(clean.frames, bad.frames, clean.size);
      assert.ok(diff.length > 20, `${name} changed only ${diff.length} pixels`);
      for (const p of diff) assert.ok(inHandBox(clean, p.f, p.x, p.y, grow), `${name} changed pixel (${p.x}, ${p.y}) of frame ${p.f} outside the hand boxes`);
      for (const f of CLIP_ARRAYS.filter((a) => a !== 'frames')) assert.deepEqual(Buffer.from(bad[f].buffer), Buffer.from(clean[f].buffer), `${name} changed ${f}`);
    });
  }

  for (const [name, knobs] of [['pose drop', { poseDropRate: 1, poseDropFrames: 1 }], ['pose shift', { poseShiftRate: 1 }]] as const) {
    it(`${name} changes only hand pixels of the pose maps, never the frames or the truth`, () => {
      const { clean, bad } = defective(knobs);
      const diff = changed(clean.poses, bad.poses, clean.size);
      assert.ok(diff.length > 20, `${name} changed only ${diff.length} pose-map pixels`);
      for (const p of diff) assert.ok(nearHandSkeleton(clean, p.f, p.x, p.y, 2), `${name} changed pose pixel (${p.x}, ${p.y}) of frame ${p.f} away from the hands`);
      for (const f of CLIP_ARRAYS.filter((a) => a !== 'poses')) assert.deepEqual(Buffer.from(bad[f].buffer), Buffer.from(clean[f].buffer), `${name} changed ${f}`);
    });
  }

  it('leave the evaluation splits untouched and reject bad knobs', () => {
    const val = makeClip(SEED, 'val', 0, WORLD);
    assert.throws(() => applyHandDefects(val, SEED, handDefects({ blurRate: 1 })), UsageError);
    assert.throws(() => handDefects({ blurRate: 1.5 }), /blurRate/);
    assert.throws(() => handDefects({ mitenRate: 1 } as unknown as Partial<HandDefects>), /mitenRate/);
    assert.throws(() => exportClips({ worldSeed: SEED, world: WORLD, split: 'val', count: 1, out: path.join(TMP, 'x'), defects: { blurRate: 1 } }), UsageError);
  });

  it('export writes every field field-major with a header that locates it', () => {
    const out = path.join(TMP, 'pre');
    const h = exportClips({ worldSeed: SEED, world: WORLD, split: 'pretrain', start: 2, count: 3, out, defects: { mittenRate: 1 } });
    const bin = fs.readFileSync(`${out}.bin`);
    const json = JSON.parse(fs.readFileSync(`${out}.json`, 'utf8'));
    assert.deepEqual(json.fields, h.fields);
    assert.equal(bin.length, Object.values(h.fields).reduce((a, f) => a + f.bytes, 0));
    assert.equal(h.clips.length, 3);
    assert.ok(h.clips.every((c) => c.defects?.mitten));
    const second = makePretrainClip(SEED, 3, WORLD, handDefects({ mittenRate: 1 })).clip;
    const fr = h.fields.frames;
    const per = fr.bytes / 3;
    assert.ok(bin.subarray(fr.offset + per, fr.offset + 2 * per).equals(Buffer.from(second.frames.buffer)));
    const kp = h.fields.keypoints;
    const kper = kp.bytes / 3;
    assert.ok(bin.subarray(kp.offset + 2 * kper, kp.offset + 3 * kper).equals(Buffer.from(makeClip(SEED, 'pretrain', 4, WORLD).keypoints.buffer)));
  });
});
