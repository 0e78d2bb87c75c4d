#!/usr/bin/env node
/*
 * Oracle for the pose-shift defect (needs `npm run build`): an ideal sampler trained on pretraining clips whose pose
 * maps turn a hand skeleton by theta draws, given an exact pose map, the true hand turned by -theta about the wrist
 * in the clips it treats as "shifted". Renders val clips 0..N-1 with both hands turned by +-U(0.5, 1) x ANGLE and
 * reports the hand-box SSIM of the turned hands against the truth, and the share of an ideal 50/50 sampler.
 *   node research/oracle_shift.js [ANGLE_DEG=45] [N=120]
 */
'use strict';
const path = require('node:path');
const W = require(path.join(__dirname, '..', 'dist', 'world'));
const { regionSsim } = require(path.join(__dirname, '..', 'dist', 'eval', 'regions'));
const { rng } = require(path.join(__dirname, '..', 'dist', 'core', 'seeds'));

const angle = Number(process.argv[2] ?? 45) * Math.PI / 180;
const n = Number(process.argv[3] ?? 120);
const world = { size: 64, frames: 2, splits: { train: 1000, val: 1000, 'test-general': 1000, 'test-hands': 1000 }, hardShare: 0.25 };
const r = rng(7, 'oracle-shift');
const S = 64;
const scores = [];
for (let i = 0; i < n; i++) {
  const clip = W.makeClip(1, 'val', i, world);
  const id = W.makeIdentity(1, W.identityId('val', i));
  const motion = W.makeMotion(1, W.motionId('val', i), W.clipDifficulty('val', i, world));
  const turn = [0, 1].map(() => (r.uniform() < 0.5 ? -1 : 1) * r.range(0.5, 1) * angle);
  const canvas = new W.Canvas(S, 2);
  const s = [];
  for (let f = 0; f < world.frames; f++) {
    const pose = W.poseAt(motion, id, motion.start + f / W.FPS);
    const turned = { ...pose, hands: pose.hands.map((h, side) => ({ ...h, wrist: h.wrist + W.mirror(side) * turn[side] })) };
    W.renderFrame(canvas, id, turned);
    const img = new Uint8Array(S * S * 3);
    canvas.writeRgb(img);
    const truth = clip.frames.subarray(f * S * S * 3, (f + 1) * S * S * 3);
    for (let side = 0; side < 2; side++) {
      if (!clip.handVisible[2 * f + side]) continue;
      const b = Array.from(clip.handBoxes.subarray((2 * f + side) * 4, (2 * f + side) * 4 + 4));
      s.push(regionSsim([{ data: img, height: S, width: S, channels: 3 }, { data: truth, height: S, width: S, channels: 3 }], b));
    }
  }
  if (s.length) scores.push(s.reduce((a, b) => a + b, 0) / s.length);
}
const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
const sorted = [...scores].sort((a, b) => a - b);
const q = (p) => sorted[Math.floor(p * (sorted.length - 1))];
const gap2 = scores.reduce((a, x) => a + (1 - x) ** 2, 0) / scores.length;
const gapVar = scores.reduce((a, x) => a + (x - mean) ** 2, 0) / scores.length;
const share = (0.25 * gap2) / (0.25 * gap2 + 0.01 + 0.25 * gapVar);
process.stdout.write(`shift ${(angle * 180 / Math.PI).toFixed(0)} deg: ${scores.length} clips, turned-hand box SSIM mean ${mean.toFixed(3)} q10 ${q(0.1).toFixed(3)} q50 ${q(0.5).toFixed(3)} q90 ${q(0.9).toFixed(3)}; ideal 50/50 share with between-input sd 0.10: ${share.toFixed(2)}\n`);
