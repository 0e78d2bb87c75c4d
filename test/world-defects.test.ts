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
import { DEFECT_MODES, DEFECT_MODE_NAMES, activeMode, defectShare, modeShares } from '../src/world/defects';

// The smoke world without its pretraining defects: the clean world these tests add defects to.
const WORLD = { ...PROFILES.smoke.world, pretrainDefects: undefined };
const SEED = 1;
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-defects-test-'));
after(() => fs.rmSync(TMP, { recursive: true, force: true }));

/** A pretraining clip that draws the given defect: the first index whose draw says so. */
function defective(d: HandDefects): { clean: Clip; bad: Clip; index: number } {
  const cfg = handDefects(d);
  for (let i = 0; i < 50; i++) {
    const c = clipDefects(SEED, i, cfg, WORLD.frames);
    if (c.modes.length === 0) continue;
    return { clean: makeClip(SEED, 'pretrain', i, WORLD), bad: makePretrainClip(SEED, i, WORLD, d).clip, index: i };
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

  it('are deterministic from the seed; rates set the share of units, one mode at most each; frameRate the share of frames', () => {
    const d: HandDefects = { rates: { blur: 0.5, mitten: 0.3 } };
    const a = makePretrainClip(SEED, 3, WORLD, d);
    const b = makePretrainClip(SEED, 3, WORLD, d);
    assert.deepEqual(a.defects, b.defects);
    assert.deepEqual(Buffer.from(a.clip.frames.buffer), Buffer.from(b.clip.frames.buffer));
    const F = WORLD.frames;
    const count = (cfg: HandDefects, n: number) => {
      const r = handDefects(cfg);
      const seen: Record<string, number> = {};
      let frames = 0;
      let units = 0;
      let sidesDiffer = 0;
      for (let i = 0; i < n; i++) {
        const c = clipDefects(SEED, i, r, F);
        for (let k = 0; k < c.active.length; k++) assert.ok((c.active[k] & (c.active[k] - 1)) === 0, 'two modes on one (frame, hand)');
        for (const side of [0, 1] as const) {
          const on = Array.from({ length: F }, (_, f) => activeMode(c, f, side));
          const m = on.find((x) => x !== null);
          if (m) {
            seen[m] = (seen[m] ?? 0) + 1;
            units++;
            frames += on.filter((x) => x !== null).length;
          }
        }
        if ((activeMode(c, 0, 0) === null) !== (activeMode(c, 0, 1) === null)) sidesDiffer++;
      }
      return { seen, frameShare: frames / Math.max(1, units * F), sidesDiffer };
    };
    const n = 2000;
    const clipLevel = count(d, n);
    assert.ok(Math.abs(clipLevel.seen.blur / (2 * n) - 0.5) < 0.04, `blur share ${clipLevel.seen.blur / (2 * n)}`);
    assert.ok(Math.abs(clipLevel.seen.mitten / (2 * n) - 0.3) < 0.04, `mitten share ${clipLevel.seen.mitten / (2 * n)}`);
    assert.equal(clipLevel.frameShare, 1);
    assert.equal(clipLevel.sidesDiffer, 0, 'without perHand both hands share the clip draw');
    const perHand = count({ rates: { mitten: 0.4 }, perHand: true, frameRate: 0.5 }, n);
    assert.ok(Math.abs(perHand.frameShare - 0.5) < 0.03, `frame share ${perHand.frameShare}`);
    assert.ok(perHand.sidesDiffer > n * 0.2, 'with perHand the hands draw apart');
    assert.ok(Math.abs(defectShare({ rates: { blur: 0.5, mitten: 0.3 } }) - 0.8) < 1e-12);
    assert.deepEqual(modeShares({ rates: { mitten: 0.4 }, frameRate: 0.5 }).mitten, 0.2);
  });

  for (const mode of DEFECT_MODE_NAMES) {
    const stage = DEFECT_MODES[mode].stage;
    const cfg: HandDefects = { rates: { [mode]: 1 }, ...(mode === 'blur' ? { settings: { blur: { minLength: 4 } } } : {}) };
    if (stage === 'pose') {
      it(`${mode} changes only hand pixels of the pose maps, never the frames or the truth`, () => {
        const { clean, bad } = defective(cfg);
        const diff = changed(clean.poses, bad.poses, clean.size);
        assert.ok(diff.length > 20, `${mode} changed only ${diff.length} pose-map pixels`);
        for (const p of diff) assert.ok(nearHandSkeleton(clean, p.f, p.x, p.y, 2), `${mode} changed pose pixel (${p.x}, ${p.y}) of frame ${p.f} away from the hands`);
        for (const f of CLIP_ARRAYS.filter((a) => a !== 'poses')) assert.deepEqual(Buffer.from(bad[f].buffer), Buffer.from(clean[f].buffer), `${mode} changed ${f}`);
      });
    } else {
      it(`${mode} (${stage}) changes only frame pixels within the hands' reach, never pose maps, masks or the reference`, () => {
        const { clean, bad } = defective(cfg);
        const diff = changed(clean.frames, bad.frames, clean.size);
        assert.ok(diff.length > 8, `${mode} changed only ${diff.length} pixels`);
        const near = (p: { f: number; x: number; y: number }) => (stage === 'pixels' ? inHandBox(clean, p.f, p.x, p.y, 8) : nearHandSkeleton(clean, p.f, p.x, p.y, 4));
        for (const p of diff) assert.ok(near(p), `${mode} changed pixel (${p.x}, ${p.y}) of frame ${p.f} away from the hands`);
        for (const f of CLIP_ARRAYS.filter((a) => a !== 'frames')) assert.deepEqual(Buffer.from(bad[f].buffer), Buffer.from(clean[f].buffer), `${mode} changed ${f}`);
      });
    }
  }

  it('a missing finger takes pixels from the true hand, an extra finger adds them beside it', () => {
    const { clean, index } = defective({ rates: { 'missing-finger': 1 } });
    const S = clean.size;
    const onHand = (p: { f: number; x: number; y: number }) => clean.handMasks[((p.f * S + p.y) * S + p.x) * 2] + clean.handMasks[((p.f * S + p.y) * S + p.x) * 2 + 1] > 0;
    const lost = changed(clean.frames, makePretrainClip(SEED, index, WORLD, { rates: { 'missing-finger': 1 } }).clip.frames, S);
    const gained = changed(clean.frames, makePretrainClip(SEED, index, WORLD, { rates: { 'extra-finger': 1 } }).clip.frames, S);
    const share = (xs: typeof lost) => xs.filter(onHand).length / xs.length;
    assert.ok(lost.length > 8 && gained.length > 8, `missing ${lost.length}, extra ${gained.length} pixels changed`);
    assert.ok(share(lost) > 0.8, `${(100 * share(lost)).toFixed(0)}% of a missing finger's pixels lie on the true hand`);
    assert.ok(share(gained) < 0.6, `${(100 * share(gained)).toFixed(0)}% of an extra finger's pixels lie on the true hand`);
  });

  it('leave the evaluation splits untouched and reject bad knobs', () => {
    const val = makeClip(SEED, 'val', 0, WORLD);
    assert.throws(() => applyHandDefects(val, SEED, { rates: { blur: 1 } }), UsageError);
    assert.throws(() => handDefects({ rates: { blur: 1.5 } }), /rates\['blur'\]/);
    assert.throws(() => handDefects({ rates: { miten: 1 } }), /unknown hand-defect mode 'miten'/);
    assert.throws(() => handDefects({ rates: { blur: 0.6, ghost: 0.6 } }), /sum to at most 1/);
    assert.throws(() => handDefects({ rates: {}, frameRate: 0 }), /frameRate/);
    assert.throws(() => handDefects({ rates: {}, settings: { ghost: { opacty: 1 } } }), /unknown setting 'opacty'/);
    assert.throws(() => handDefects({ rates: {}, settings: { ghost: { opacity: 2 } } }), /ghost'\]\.opacity/);
    assert.throws(() => handDefects({ ghostRate: 0.5 } as unknown as HandDefects), /rates/);
    assert.throws(() => exportClips({ worldSeed: SEED, world: WORLD, split: 'val', count: 1, out: path.join(TMP, 'x'), defects: { rates: { blur: 1 } } }), UsageError);
  });

  it('export writes every field field-major with a header that locates it', () => {
    const out = path.join(TMP, 'pre');
    const h = exportClips({ worldSeed: SEED, world: WORLD, split: 'pretrain', start: 2, count: 3, out, defects: { rates: { mitten: 1 } } });
    const bin = fs.readFileSync(`${out}.bin`);
    const json = JSON.parse(fs.readFileSync(`${out}.json`, 'utf8'));
    assert.deepEqual(json.fields, h.fields);
    assert.equal(bin.length, Object.values(h.fields).reduce((a, f) => a + f.bytes, 0));
    assert.equal(h.clips.length, 3);
    assert.ok(h.clips.every((c) => c.defects?.modes.includes('mitten') && c.defects.active.length === 2 * WORLD.frames));
    const second = makePretrainClip(SEED, 3, WORLD, { rates: { mitten: 1 } }).clip;
    const fr = h.fields.frames;
    const per = fr.bytes / 3;
    assert.ok(bin.subarray(fr.offset + per, fr.offset + 2 * per).equals(Buffer.from(second.frames.buffer)));
    const kp = h.fields.keypoints;
    const kper = kp.bytes / 3;
    assert.ok(bin.subarray(kp.offset + 2 * kper, kp.offset + 3 * kper).equals(Buffer.from(makeClip(SEED, 'pretrain', 4, WORLD).keypoints.buffer)));
  });
});
