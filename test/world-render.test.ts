/** World rendering: masks are the hands' share of the final pixels, boxes contain them, hands are big enough, pose maps. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { PROFILES } from '../src/study/profiles';
import { WorldConfig } from '../src/world/config';
import {
  Canvas, Clip, ClipSplit, FPS, OPENPOSE_COLORS, RGB, clipDifficulty, identityId, makeClip, makeIdentity, makeMotion, motionId, poseAt,
  renderFrame, renderPoseMap, Polygon, Capsule, Ellipse,
} from '../src/world';
import { clipStrip } from '../src/report/strip';

const WORLD: WorldConfig = PROFILES.fullbody.world;
const S = WORLD.size;

/** Clips whose families include hands crossing and hands behind the body (occlusion), plus ordinary ones. */
function occlusionSample(): Clip[] {
  const out: Clip[] = [];
  const need = { crossing: 3, behind: 3, dance: 3 };
  for (let i = 0; out.length < 9 && i < 200; i++) {
    const c = makeClip(5, 'pretrain', i, WORLD);
    const body = c.motionFamily.body;
    if (need[body] > 0) {
      need[body]--;
      out.push(c);
    }
  }
  return out;
}
const SAMPLE = occlusionSample();

/** Render frame f of a clip again with the hands painted in the given colours. */
function rerender(c: Clip, f: number, colours: readonly [RGB, RGB]): Uint8Array {
  const seed = 5;
  const split = c.split as ClipSplit;
  const id = makeIdentity(seed, identityId(split, c.index));
  const motion = makeMotion(seed, motionId(split, c.index), clipDifficulty(split, c.index, WORLD));
  const canvas = new Canvas(S, 2);
  renderFrame(canvas, id, poseAt(motion, id, motion.start + f / FPS), { handColours: colours });
  const out = new Uint8Array(S * S * 3);
  canvas.writeRgb(out);
  return out;
}

describe('world rasteriser', () => {
  it('anti-aliases edges: a polygon covers its area to within a pixel of edge', () => {
    const c = new Canvas(32, 1);
    c.fill([0, 0, 0]);
    c.draw(new Polygon([4, 4, 20.5, 4, 20.5, 12.25, 4, 12.25]), [255, 255, 255], 0);
    const m = new Uint8Array(32 * 32);
    c.writeMasks(m);
    const area = m.reduce((a, v) => a + v, 0) / 255;
    assert.ok(Math.abs(area - 16.5 * 8.25) < 0.5, `area ${area}`);
    // Edge pixels are partial: x = 20 is half covered.
    assert.equal(m[8 * 32 + 20], 128);
  });

  it('draws capsules and ellipses with the right area', () => {
    const c = new Canvas(64, 1);
    c.fill([0, 0, 0]);
    c.draw(new Capsule(20, 30, 40, 30, 3), [255, 255, 255], 0);
    const m = new Uint8Array(64 * 64);
    c.writeMasks(m);
    const area = m.reduce((a, v) => a + v, 0) / 255;
    const want = 20 * 6 + Math.PI * 9;
    assert.ok(Math.abs(area - want) / want < 0.02, `capsule area ${area} vs ${want}`);
    c.fill([0, 0, 0]);
    c.draw(new Ellipse(32, 32, 12, 6, 0.5), [255, 255, 255], 0);
    c.writeMasks(m);
    const ea = m.reduce((a, v) => a + v, 0) / 255;
    assert.ok(Math.abs(ea - Math.PI * 72) / (Math.PI * 72) < 0.02, `ellipse area ${ea}`);
  });
});

describe('figure coverage', () => {
  it('is the share of the final pixel that any shape contributed: 1 - prod(1 - a), reset by fill', () => {
    const c = new Canvas(32, 2);
    c.fill([0, 0, 0]);
    c.draw(new Capsule(8, 16, 24, 16, 4), [255, 255, 255]); // no layer: body
    c.draw(new Capsule(16, 8, 16, 24, 3), [255, 255, 255], 1, 0.5); // a hand at half opacity over it
    const fig = new Uint8Array(32 * 32);
    c.writeFigure(fig);
    assert.equal(fig[16 * 32 + 16], 255, 'inside the body');
    assert.equal(fig[10 * 32 + 16], 128, 'the half-opaque hand alone: 0.5');
    assert.equal(fig[2 * 32 + 2], 0, 'untouched background');
    c.fill([0, 0, 0]);
    c.writeFigure(fig);
    assert.equal(fig.reduce((a, v) => a + v, 0), 0);
  });

  it('covers the hands and leaves background in every world frame', () => {
    for (const c of SAMPLE) {
      for (let f = 0; f < c.numFrames; f++) {
        let bg = 0;
        let full = 0;
        for (let p = 0; p < S * S; p++) {
          const fig = c.figureMasks[f * S * S + p];
          const hand = Math.max(c.handMasks[(f * S * S + p) * 2], c.handMasks[(f * S * S + p) * 2 + 1]);
          assert.ok(fig + 1 >= hand, `${c.id} frame ${f} pixel ${p}: figure ${fig} < hand ${hand}`);
          if (fig === 0) bg++;
          if (fig === 255) full++;
        }
        assert.ok(bg > S * S * 0.3 && full > S * S * 0.05, `${c.id} frame ${f}: background ${bg}, character ${full} pixels`);
      }
    }
  });
});

describe('world hand masks', () => {
  it('equal the hands\' share of every final pixel (hand colour swapped: pixel change = mask), occluded parts 0', () => {
    const black: RGB = [0, 0, 0];
    const white: RGB = [255, 255, 255];
    for (const c of SAMPLE) {
      for (let f = 0; f < c.numFrames; f += 3) {
        const plain = rerender(c, f, [black, black]);
        for (const side of [0, 1] as const) {
          const lit = rerender(c, f, side === 0 ? [white, black] : [black, white]);
          for (let p = 0; p < S * S; p++) {
            const mask = c.handMasks[(f * S * S + p) * 2 + side];
            for (let ch = 0; ch < 3; ch++) {
              const diff = lit[3 * p + ch] - plain[3 * p + ch];
              assert.ok(Math.abs(diff - mask) <= 1, `${c.id} frame ${f} hand ${side} pixel ${p}: colour change ${diff} vs mask ${mask}`);
            }
          }
        }
      }
    }
  });

  it('come with boxes that tightly contain all nonzero mask pixels, zeros when not visible', () => {
    for (const c of SAMPLE) {
      for (let f = 0; f < c.numFrames; f++) {
        for (let side = 0; side < 2; side++) {
          let x0 = S, y0 = S, x1 = -1, y1 = -1;
          for (let y = 0; y < S; y++) {
            for (let x = 0; x < S; x++) {
              if (c.handMasks[((f * S + y) * S + x) * 2 + side]) {
                x0 = Math.min(x0, x);
                y0 = Math.min(y0, y);
                x1 = Math.max(x1, x);
                y1 = Math.max(y1, y);
              }
            }
          }
          const box = Array.from(c.handBoxes.subarray((f * 2 + side) * 4, (f * 2 + side) * 4 + 4));
          const visible = c.handVisible[f * 2 + side];
          if (x1 < 0) {
            assert.equal(visible, 0);
            assert.deepEqual(box, [0, 0, 0, 0]);
          } else {
            assert.equal(visible, 1);
            assert.deepEqual(box, [x0, y0, x1 + 1, y1 + 1], `${c.id} frame ${f} hand ${side}`);
          }
        }
      }
    }
  });

  it('agree with keypoint visibility: hidden hand joints lie on (almost) no hand pixels, visible ones on hand pixels', () => {
    let hidden = 0, hiddenLow = 0, shown = 0, shownOn = 0;
    for (const c of SAMPLE) {
      for (let f = 0; f < c.numFrames; f++) {
        for (let k = 18; k < 60; k++) {
          const o = (f * 60 + k) * 3;
          const [x, y, v] = [c.keypoints[o], c.keypoints[o + 1], c.keypoints[o + 2]];
          if (x < 0 || y < 0 || x >= S || y >= S) continue;
          const m = c.handMasks[((f * S + Math.floor(y)) * S + Math.floor(x)) * 2 + (k < 39 ? 0 : 1)];
          if (v) {
            shown++;
            if (m > 0) shownOn++;
          } else {
            hidden++;
            if (m < 128) hiddenLow++;
          }
        }
      }
    }
    assert.ok(hidden > 20, `only ${hidden} hidden hand keypoints in the occlusion sample`);
    assert.ok(hiddenLow / hidden >= 0.9, `${hiddenLow}/${hidden} hidden hand keypoints on pixels mostly not hand`);
    assert.ok(shownOn / shown >= 0.97, `${shownOn}/${shown} visible hand keypoints on hand pixels`);
  });
});

describe('world hand size', () => {
  it('gives each visible hand a box of at least 8x8 pixels in at least 90% of frames at 64x64', () => {
    let visible = 0, big = 0;
    for (const split of ['train', 'val', 'test-general', 'test-hands'] as const) {
      for (let i = 0; i < 25; i++) {
        const c = makeClip(1, split, i, WORLD);
        for (let j = 0; j < c.numFrames * 2; j++) {
          if (!c.handVisible[j]) continue;
          visible++;
          const b = c.handBoxes.subarray(4 * j, 4 * j + 4);
          if (b[2] - b[0] >= 8 && b[3] - b[1] >= 8) big++;
        }
      }
    }
    assert.ok(visible > 1200, `visible hands ${visible}`);
    assert.ok(big / visible >= 0.9, `${big}/${visible} visible hand boxes are at least 8x8`);
  });
});

describe('world pose maps', () => {
  it('are drawn on black with the OpenPose colours, only where keypoints are visible', () => {
    const c = SAMPLE[0];
    let joints = 0;
    let coloured = 0;
    for (let f = 0; f < c.numFrames; f++) {
      const pose = c.poses.subarray(f * S * S * 3, (f + 1) * S * S * 3);
      let black = 0;
      for (let p = 0; p < S * S; p++) if (pose[3 * p] === 0 && pose[3 * p + 1] === 0 && pose[3 * p + 2] === 0) black++;
      assert.ok(black / (S * S) > 0.7, `frame ${f}: only ${black} black pixels`);
      // Each visible body joint is a dot of its OpenPose colour (unless a later joint or a hand bone covers it).
            for (let k = 0; k < 18; k++) {
        const o = (f * 60 + k) * 3;
        const x = c.keypoints[o];
        const y = c.keypoints[o + 1];
        if (x < 0 || y < 0 || x >= S || y >= S) continue;
        const px = (Math.floor(y) * S + Math.floor(x)) * 3;
        const dist = Math.hypot(pose[px] - OPENPOSE_COLORS[k][0], pose[px + 1] - OPENPOSE_COLORS[k][1], pose[px + 2] - OPENPOSE_COLORS[k][2]);
        if (c.keypoints[o + 2]) {
          joints++;
          if (dist < 100) coloured++;
        }
      }
    }
    assert.ok(joints > 100 && coloured / joints > 0.8, `${coloured}/${joints} visible joints drawn in their colour`);
    // With every keypoint hidden the map is all black.
    const hidden = c.keypoints.slice(0, 60 * 3);
    for (let k = 0; k < 60; k++) hidden[3 * k + 2] = 0;
    const canvas = new Canvas(S, 0);
    renderPoseMap(canvas, hidden);
    assert.ok(canvas.rgb.every((v) => v === 0));
  });

  it('lay out in a clip strip of reference + frames over three rows', () => {
    const c = SAMPLE[0];
    const strip = clipStrip(c, { scale: 2 });
    assert.equal(strip.width, 2 * (9 * S + 8));
    assert.equal(strip.height, 2 * (3 * S + 2));
    assert.equal(strip.data.length, strip.width * strip.height * 3);
  });
});
