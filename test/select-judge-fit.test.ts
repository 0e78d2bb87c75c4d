import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { HandEvidence, HandScores, KeypointJudge, handPasses, judgeVideo, judgeVideos, keypointProbability } from '../src/select/judge';
import { fitKeypointJudge, fitLogistic, judgeAgreement, solveLinear } from '../src/select/judge-fit';
import { handPoseScores, turnDegrees, TIP_SEEN } from '../src/eval/handpose';
import { NUM_KEYPOINTS, handStart, LEFT, RIGHT } from '../src/world/layout';

/** A hand's scores with pose features. */
function hand(ssim: number, keypointError: number, missing = 0, angleError = 10, confidence = 0.9): HandScores {
  return { ssim, psnr: 20, keypointError, pck: 1, pose: { fingers: 5, fingersSeen: 5 - missing, angleError, confidence } };
}

describe('eval/handpose', () => {
  it('turnDegrees: straight 0, right angle 90, reversal 180, zero-length segment 0', () => {
    assert.equal(turnDegrees(0, 0, 1, 0, 2, 0), 0);
    assert.ok(Math.abs(turnDegrees(0, 0, 1, 0, 1, 1) - 90) < 1e-9);
    assert.ok(Math.abs(turnDegrees(0, 0, 1, 0, 0, 0) - 180) < 1e-6);
    assert.equal(turnDegrees(0, 0, 0, 0, 1, 0), 0);
  });

  it('counts seen fingertips, bend errors and confidence by hand (hand-worked: one finger curled by 90 degrees)', () => {
    const input = new Float32Array(NUM_KEYPOINTS * 3);
    const det = new Float32Array(NUM_KEYPOINTS * 3);
    for (const side of [LEFT, RIGHT]) {
      const s = handStart(side);
      for (let j = 0; j < 21; j++) {
        // straight fingers along x: finger f at y = f, joints at x = 1..4
        const finger = j === 0 ? -1 : Math.floor((j - 1) / 4);
        const along = j === 0 ? 0 : ((j - 1) % 4) + 1;
        const o = (s + j) * 3;
        input.set([along, finger, 1], o);
        det.set([along, finger, 0.8], o);
      }
    }
    // the left hand's index finger (finger 1): detected tip bent up by 90 degrees at the dip, and its tip unseen
    const tip = (handStart(LEFT) + 1 + 4 + 3) * 3;
    det.set([3, 2, TIP_SEEN - 0.1], tip);
    const [row] = handPoseScores(det, input, new Uint8Array([1, 1]), 1);
    const left = row[0]!;
    assert.equal(left.fingers, 5);
    assert.equal(left.fingersSeen, 4);
    assert.ok(Math.abs((left.angleError as number) - 90 / 5) < 1e-4, `${left.angleError}`);
    assert.ok(Math.abs((left.confidence as number) - (20 * 0.8 + 0.4) / 21) < 1e-6);
    assert.deepEqual(row[1], { fingers: 5, fingersSeen: 5, angleError: 0, confidence: row[1]!.confidence });
    assert.equal(handPoseScores(det, input, new Uint8Array([0, 1]), 1)[0][0], null);
  });

  it('rejects bad shapes', () => {
    assert.throws(() => handPoseScores(new Float32Array(3), new Float32Array(NUM_KEYPOINTS * 3), new Uint8Array(2), 1), /detected has 3 values/);
    assert.throws(() => handPoseScores(new Float32Array(NUM_KEYPOINTS * 3), new Float32Array(NUM_KEYPOINTS * 3), new Uint8Array(3), 1), /visible has 3 flags/);
  });
});

describe('select/judge-fit', () => {
  it('solveLinear solves a pivoting system; singular is an error', () => {
    const x = solveLinear([[0, 2], [3, 1]], [4, 5]);
    assert.ok(Math.abs(x[0] - 1) < 1e-12 && Math.abs(x[1] - 2) < 1e-12);
    assert.throws(() => solveLinear([[1, 2], [2, 4]], [1, 2]), /singular/);
  });

  it('fitLogistic: balanced labels give bias 0, and the weight grows with separation', () => {
    const w = fitLogistic([[-1], [1], [-1], [1]], [0, 1, 1, 0], 0.1);
    assert.ok(Math.abs(w[0]) < 1e-9 && Math.abs(w[1]) < 1e-9);
    const v = fitLogistic([[-2], [-1], [1], [2], [-0.5], [0.5]], [0, 0, 1, 1, 1, 0], 0.1);
    assert.ok(v[1] > 0.5, `${v}`);
  });

  it('keypointProbability is the logistic of the standardised features; a missing feature sits at its mean', () => {
    const j: KeypointJudge = { kind: 'keypoints', features: ['keypointError', 'confidence'], mean: [1, 0.5], std: [2, 0.25], weights: [-1, 2], bias: 0.5, minProbability: 0.6 };
    const s = hand(0.5, Math.E - 1, 0, 10, 1); // log1p -> 1: the mean; confidence 1 -> +2 std
    const p = 1 / (1 + Math.exp(-(0.5 + 2 * 2)));
    assert.ok(Math.abs(keypointProbability(s, j) - p) < 1e-12);
    assert.equal(handPasses(s, j), true);
    const noPose: HandScores = { ssim: 0.5, psnr: 20, keypointError: null, pose: { fingers: 0, fingersSeen: 0, angleError: null, confidence: null } };
    assert.ok(Math.abs(keypointProbability(noPose, j) - 1 / (1 + Math.exp(-0.5))) < 1e-12);
    assert.throws(() => handPasses({ ssim: 0.5, psnr: 20 }, j, 'h'), /h has no keypoint or pose scores/);
  });

  it('fits on val, reaches the target acceptance, ranks by p(good), and agrees with an oracle its features explain', () => {
    // 40 videos of 2 frames x 1 hand: the oracle passes hands of SSIM >= 0.5; keypoint error tracks SSIM exactly
    const evidence: HandEvidence[] = [];
    for (let i = 0; i < 40; i++) {
      const ssim = (i + 0.5) / 40;
      const err = 10 * (1 - ssim);
      evidence.push({ id: `v${i}`, inputId: `in${i >> 2}`, hands: [[hand(ssim, err)], [hand(ssim, err)]] });
    }
    const fit = fitKeypointJudge(evidence, { minSsimHand: 0.5 }, { targetAcceptance: 0.25 });
    assert.equal(fit.hands, 80);
    assert.equal(fit.oraclePassShare, 0.5);
    assert.ok(Math.abs(fit.acceptance - 0.25) <= 0.05, `acceptance ${fit.acceptance}`);
    assert.ok(fit.judge.weights[0] < 0, 'a larger keypoint error lowers p(good)');
    const learned = judgeVideos(evidence, fit.judge);
    const oracle = judgeVideos(evidence, { minSsimHand: 0.5 });
    const a = judgeAgreement(oracle, learned);
    assert.equal(a.precision, 1, 'the stricter learned judge accepts only oracle-good videos');
    assert.equal(a.recall, learned.filter((j) => j.verdict === 'good').length / 20);
    assert.equal(a.videos.n, 40);
    // its score is its own mean p(good), never the ground truth
    assert.ok(Math.abs((judgeVideo(evidence[39], fit.judge).score as number) - keypointProbability(evidence[39].hands[0][0]!, fit.judge)) < 1e-12);
  });

  it('kappa: 1 for identical labels, 0 for labels independent of the oracle', () => {
    const v = (id: string, marks: ('good' | 'bad')[]) => judgeVideo({ id, inputId: 'x', hands: marks.map((m) => [hand(m === 'good' ? 0.9 : 0.1, 1)]) }, { minSsimHand: 0.5 });
    const o = [v('a', ['good', 'good']), v('b', ['bad', 'bad'])];
    assert.equal(judgeAgreement(o, o).videos.kappa, 1);
    const other = [v('a', ['good', 'bad']), v('b', ['good', 'bad'])];
    const k = judgeAgreement(o, other).frames;
    assert.equal(k.agree, 0.5);
    assert.equal(k.kappa, 0);
    assert.throws(() => judgeAgreement(o, [o[0]]), /2 oracle judgments against 1/);
  });

  it('rejects what it cannot learn from', () => {
    const ev: HandEvidence[] = Array.from({ length: 12 }, (_, i) => ({ id: `v${i}`, inputId: 'x', hands: [[hand(0.9, 1)]] }));
    assert.throws(() => fitKeypointJudge(ev, { minSsimHand: 0.5 }, { targetAcceptance: 0.1 }), /passes every val hand/);
    assert.throws(() => fitKeypointJudge(ev.slice(0, 3), { minSsimHand: 0.5 }, { targetAcceptance: 0.1 }), /at least 10 needed/);
    assert.throws(() => fitKeypointJudge(ev, { minSsimHand: 0.5 }, { targetAcceptance: 1 }), /targetAcceptance/);
    const bad = { kind: 'keypoints', features: ['nope'], mean: [0], std: [1], weights: [0], bias: 0, minProbability: 0.5 } as unknown as KeypointJudge;
    assert.throws(() => judgeVideo(ev[0], bad), /feature 'nope' is unknown/);
  });
});
