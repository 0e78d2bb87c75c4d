import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { checkThresholds, clipHandMetrics, flipJudgments, handEvidence, handKeypointMetrics, judgeVideo, judgeVideos, KEYPOINT_COUNT, verdictOf, VideoJudgment } from '../src';
import { rng } from '../src/core/seeds';
import { HandEvidence, calibrateJudge } from '../src/select/judge';

const F = 4;
const H = 48;
const W = 48;
const C = 3;
const FRAME = H * W * C;
// frames 0-2: left hand at [6, 20, 20, 34), right hand at [28, 20, 42, 34); frame 3: no visible hand
const boxes = new Int32Array(F * 2 * 4);
const visible = new Uint8Array([1, 1, 1, 1, 1, 1, 0, 0]);
for (let f = 0; f < F; f++) boxes.set([6, 20, 20, 34, 28, 20, 42, 34], f * 8);
const dims = { frames: F, height: H, width: W, channels: C };

/** Ground truth: a smooth body with finely striped 'fingers' inside the hand boxes. */
function groundTruth(): Float32Array {
  const gt = new Float32Array(F * FRAME);
  for (let f = 0; f < F; f++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++)
        for (let c = 0; c < C; c++) {
          const inHand = y >= 20 && y < 34 && ((x >= 6 && x < 20) || (x >= 28 && x < 42));
          const v = inHand ? (x % 3 === 0 ? 0.85 : 0.25) + 0.05 * c : 0.5 + 0.2 * Math.sin((x + f) / 6 + c) * Math.cos(y / 9);
          gt[f * FRAME + (y * W + x) * C + c] = v;
        }
  return gt;
}

/** Generated frames: the truth with a little noise (a good generation). */
function generated(gt: Float32Array): Float32Array {
  const r = rng(11, 'test', 'judge-noise');
  return gt.map((v) => Math.min(1, Math.max(0, v + 0.02 * r.normal())));
}

/** Blur the left hand box of one frame (a horizontal box blur of radius 2 that wipes out the finger stripes). */
function blurLeftHand(gen: Float32Array, f: number): void {
  const src = gen.slice(f * FRAME, (f + 1) * FRAME);
  for (let y = 20; y < 34; y++)
    for (let x = 6; x < 20; x++)
      for (let c = 0; c < C; c++) {
        let s = 0;
        for (let k = -2; k <= 2; k++) s += src[(y * W + Math.min(W - 1, Math.max(0, x + k))) * C + c];
        gen[f * FRAME + (y * W + x) * C + c] = s / 5;
      }
}

const thresholds = { minSsimHand: 0.6 };

describe('judge', () => {
  it('judges a clean clip good, leaves frames without visible hands unjudged, and scores by mean SSIM-Hand', () => {
    const gt = groundTruth();
    const m = clipHandMetrics(generated(gt), gt, boxes, visible, dims);
    const j = judgeVideo(handEvidence('v0', 'in0', m), thresholds);
    assert.deepEqual(j.marks, ['good', 'good', 'good', 'unjudged']);
    assert.equal(j.verdict, 'good');
    assert.equal(j.judgedFrames, 3);
    assert.equal(j.goodFrames, 3);
    assert.ok(Math.abs((j.score as number) - (m.hands.meanSsim as number)) < 1e-12);
  });

  it('marks the frame with a deliberately blurred hand bad, keeps the other frames good, and fails the video', () => {
    const gt = groundTruth();
    const gen = generated(gt);
    blurLeftHand(gen, 1);
    const m = clipHandMetrics(gen, gt, boxes, visible, dims);
    const blurred = m.hands.ssim[1][0] as number;
    const clean = m.hands.ssim[0][0] as number;
    assert.ok(blurred < 0.6 && clean > 0.6, `blurred ${blurred}, clean ${clean}`);
    assert.ok((m.body.ssim[1] as number) > 0.6, 'the body of the blurred frame stays good');
    const j = judgeVideo(handEvidence('v1', 'in0', m), thresholds);
    assert.deepEqual(j.marks, ['good', 'bad', 'good', 'unjudged']);
    assert.equal(j.verdict, 'bad');
    // PSNR-Hand alone catches it too
    const byPsnr = judgeVideo(handEvidence('v1', 'in0', m), { minPsnrHand: (m.hands.psnr[1][0] as number) + 1 });
    assert.equal(byPsnr.marks[1], 'bad');
  });

  it('uses keypoint thresholds when keypoint evidence is given, and refuses them without it', () => {
    const gt = groundTruth();
    const m = clipHandMetrics(generated(gt), gt, boxes, visible, dims);
    const kgt = new Float32Array(F * KEYPOINT_COUNT * 3);
    for (let f = 0; f < F; f++) for (let k = 0; k < KEYPOINT_COUNT; k++) kgt.set([k % 40, 20 + (k % 10), 1], (f * KEYPOINT_COUNT + k) * 3);
    const kpred = kgt.slice();
    for (let k = 39; k < 60; k++) kpred[(2 * KEYPOINT_COUNT + k) * 3] += 6; // frame 2, right hand: 6 px off
    const km = handKeypointMetrics(kpred, kgt, boxes, visible, F);
    const j = judgeVideo(handEvidence('v2', 'in0', m, km), { minSsimHand: 0.6, maxKeypointErrorPx: 2 });
    assert.deepEqual(j.marks, ['good', 'good', 'bad', 'unjudged']);
    const p = judgeVideo(handEvidence('v2', 'in0', m, km), { minPck: 0.9 });
    assert.deepEqual(p.marks, ['good', 'good', 'bad', 'unjudged']);
    assert.throws(() => judgeVideo(handEvidence('v2', 'in0', m), { maxKeypointErrorPx: 2 }), /evidence\.hands\[0\]\[0\]\.keypointError is missing/);
  });

  it('gives an unjudged verdict to a video without judged frames', () => {
    const j = judgeVideo({ id: 'v', inputId: 'i', hands: [[null, null], [null, null]] }, thresholds);
    assert.equal(j.verdict, 'unjudged');
    assert.equal(j.score, null);
    assert.equal(verdictOf(['unjudged', 'good']), 'good');
    assert.equal(verdictOf(['good', 'bad']), 'bad');
  });

  it('rejects bad thresholds and duplicate ids, naming the argument', () => {
    assert.throws(() => checkThresholds({}), /thresholds must set at least one threshold/);
    assert.throws(() => checkThresholds({ minSsimHand: 2 }), /thresholds\.minSsimHand must be a finite number in \[-1, 1\]/);
    assert.throws(() => checkThresholds({ minPck: NaN }), /thresholds\.minPck/);
    assert.throws(() => checkThresholds({ minSSIM: 0.5 } as never), /thresholds\.minSSIM is not a threshold/);
    const e = { id: 'a', inputId: 'i', hands: [[{ ssim: 0.9, psnr: 30 }, null]] };
    assert.throws(() => judgeVideos([e, e], thresholds), /evidence\[1\]\.id 'a' is not unique/);
  });
});

describe('flipJudgments', () => {
  const base: VideoJudgment[] = Array.from({ length: 10 }, (_, v) => {
    const marks = Array.from({ length: 8 }, (_, f) => (f === 7 ? 'unjudged' : v < 3 ? 'good' : f % 2 ? 'bad' : 'good')) as VideoJudgment['marks'];
    return { id: `v${v}`, inputId: `i${v >> 2}`, marks, verdict: verdictOf(marks), judgedFrames: 7, goodFrames: marks.filter((m) => m === 'good').length, score: v / 10 };
  });

  it('flips exactly round(share x judged frames) judged marks, deterministically, never an unjudged one', () => {
    const changed = (a: VideoJudgment[], b: VideoJudgment[]) => a.reduce((s, j, v) => s + j.marks.filter((m, f) => m !== b[v].marks[f]).length, 0);
    assert.deepEqual(flipJudgments(base, 0, 1), base);
    const half = flipJudgments(base, 0.1, 1);
    assert.equal(changed(half, base), 7); // 10 % of 70
    assert.deepEqual(flipJudgments(base, 0.1, 1), half);
    assert.notDeepEqual(flipJudgments(base, 0.1, 2), half);
    const all = flipJudgments(base, 1, 1);
    assert.equal(changed(all, base), 70);
    for (const j of all) assert.equal(j.marks[7], 'unjudged');
    assert.equal(all[0].verdict, 'bad');
    assert.equal(all[0].score, base[0].score);
    assert.equal(base[0].marks[0], 'good', 'input left untouched');
    assert.throws(() => flipJudgments(base, 1.5, 1), /share must be a finite number in \[0, 1\]/);
  });

  it('calibrateJudge: keypoint limit at the 75th percentile, SSIM-Hand threshold with the val acceptance nearest the target', () => {
    // Ten one-frame videos with one hand each: SSIM 0.1 .. 1.0, keypoint error 10 .. 1 px (the best hand errs least),
    // and one video with no visible hand (left out of the acceptance).
    const ev: HandEvidence[] = Array.from({ length: 10 }, (_, i) => ({ id: `v${i}`, inputId: `in${i}`, hands: [[{ ssim: (i + 1) / 10, psnr: 20, keypointError: 10 - i }, null]] }));
    ev.push({ id: 'none', inputId: 'in-none', hands: [[null, null]] });
    // Errors sorted 1..10: index floor(0.75 * 9) = 6 -> 7 px. Threshold 0.9 keeps SSIM 0.9 and 1.0 (errors 2, 1): 2 of 10.
    const c = calibrateJudge(ev, { targetAcceptance: 0.2 });
    assert.deepEqual(c.thresholds, { minSsimHand: 0.9, maxKeypointErrorPx: 7 });
    assert.equal(c.acceptance, 0.2);
    assert.equal(c.judgedVideos, 10);
    // A target between two reachable acceptances (0.3 at 0.8, 0.4 at 0.7): 0.34 -> 0.3; keypoints absent -> SSIM alone.
    const noKp = ev.map((e) => ({ ...e, hands: e.hands.map((row) => row.map((h) => (h ? { ssim: h.ssim, psnr: h.psnr } : null))) }));
    const d = calibrateJudge(noKp, { targetAcceptance: 0.34 });
    assert.deepEqual(d.thresholds, { minSsimHand: 0.8 });
    assert.ok(Math.abs(d.acceptance - 0.3) < 1e-12);
    assert.throws(() => calibrateJudge(ev, { targetAcceptance: 0 }), /targetAcceptance must be in \(0, 1\)/);
    assert.throws(() => calibrateJudge([ev[10]], { targetAcceptance: 0.1 }), /no video has a judged frame/);
  });
});
