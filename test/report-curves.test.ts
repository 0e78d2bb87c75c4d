import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClipScores } from '../src/eval/evaluate';
import { SCORES_FORMAT, ScoredSplit } from '../src/eval/score';
import { openStudy } from '../src/study/study';
import { baseOnlyInputs } from '../src/study/results';
import { ResultInputs, handShareTable } from '../src/report/results';
import { MeasureRun, ScoreRun, costChart, costTable, driftChart, driftRows, measureChart, measureContrasts, measureRows, scoreContrasts } from '../src/report/curves';
import type { DriftMeasures } from '../src/align/drift';
import { handShareChart } from '../src/report/charts';
import { renderVegaLite } from '../src/report/figures';
import { rng } from '../src/core/seeds';

function scores(split: string, ssimHand: (i: number) => number, n = 30): ScoredSplit {
  const clips: ClipScores[] = Array.from({ length: n }, (_, i) => ({
    id: `c${i}#0`, clipId: `c${i}`, ssim: 0.5, psnr: 20, ssimBody: 0.6, psnrBody: 22, ssimBackground: 0.9, psnrBackground: 30, ssimHand: ssimHand(i), psnrHand: 15,
    handKeypointError: null, handPck: null, handWorseShare: 0.5,
  }));
  return { scores: { format: SCORES_FORMAT, split, generationsSha256: 'x', detectorSha256: '', clips, featureDim: 0, framesPerClip: 8, files: {}, sha256: '' }, features: null };
}

const study = openStudy({ profile: 'smoke', root: fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-curves-')) });
const noise = (() => {
  const r = rng(11, 'noise');
  return Array.from({ length: 30 }, () => r.normal() * 0.05);
})();

describe('curves', () => {
  it('driftRows: step 0 is the base (no distance, no gap), then each probed step in order', async () => {
    const gap = (g: number, e: number) => ({ gap: g, modelError: e - g, referenceError: e });
    const rows = driftRows([{ label: 'sft (beta 600)', points: [
      { step: 240, probe: { distance: 0.04, good: gap(0.02, 0.3), bad: gap(0.015, 0.4), margin: 0.005 } },
      { step: 60, probe: { distance: 0.01, good: gap(0.01, 0.3), bad: gap(0.004, 0.4), margin: 0.006 } },
    ] }]);
    assert.deepEqual(rows.map((r) => [r.step, r.distance, r.margin]), [[0, 0, 0], [60, 0.01, 0.006], [240, 0.04, 0.005]]);
    assert.equal(rows[0].errorGood, 0.3, "the base's error is the reference's");
    assert.ok(Math.abs(rows[1].errorGood - 0.29) < 1e-12);
    assert.deepEqual(driftRows([{ label: 'x', points: [] }]), []);
    assert.match((await renderVegaLite(driftChart(rows, 'distance', 'distance'))).svg, /post-training steps/);
  });

  it('measureRows: the means of each step (nulls left out); measureContrasts: paired by input, pooled over seeds, against step 0 or another run', async () => {
    // 3 inputs, 2 held-out clips; the second input has no visible hand
    const m = (d: number[], held: number[], hands: (number | null)[] = [0.2, null, 0.4]): DriftMeasures => ({
      diversity: d, diversityHands: hands, nearestPositive: d.map((x) => 2 * x),
      heldout: { all: held, hands: held.map((x) => x + 1), body: held, background: [null, held[1]] },
    });
    const runs: MeasureRun[] = [
      { label: 'sft', seed: 1, points: [{ step: 4, measures: m([0.1, 0.2, 0.3], [0.02, 0.04]) }, { step: 0, measures: m([0.3, 0.3, 0.3], [0.01, 0.01]) }] },
      { label: 'sft', seed: 2, points: [{ step: 0, measures: m([0.3, 0.3, 0.3], [0.01, 0.01]) }, { step: 4, measures: m([0.2, 0.2, 0.2], [0.03, 0.03]) }] },
      { label: 'ipa', seed: 1, points: [{ step: 0, measures: m([0.3, 0.3, 0.3], [0.01, 0.01]) }, { step: 4, measures: m([0.2, 0.3, 0.4], [0.01, 0.02]) }] },
    ];
    const rows = measureRows(runs);
    assert.deepEqual(rows.map((r) => [r.run, r.seed, r.step]), [['sft', 1, 0], ['sft', 1, 4], ['sft', 2, 0], ['sft', 2, 4], ['ipa', 1, 0], ['ipa', 1, 4]]);
    const r1 = rows[1];
    assert.ok(Math.abs(r1.diversity - 0.2) < 1e-12 && Math.abs(r1.nearest_positive - 0.4) < 1e-12);
    assert.ok(Math.abs((r1.diversity_hands as number) - 0.3) < 1e-12, 'the input without a hand is left out: (0.2 + 0.4) / 2');
    assert.ok(Math.abs(r1.heldout_error - 0.03) < 1e-12 && Math.abs((r1.heldout_hands as number) - 1.03) < 1e-12 && r1.heldout_background === 0.04);
    // sft vs its base at step 4: seed 1 diffs -0.2, -0.1, 0; seed 2 -0.1 x 3: grand mean -0.1
    const vsBase = measureContrasts(runs, [{ a: 'sft', b: 'base' }], 4, ['diversity', 'heldout_error']);
    assert.deepEqual(vsBase.map((c) => [c.measure, c.seeds]), [['diversity', 2], ['heldout_error', 2]]);
    assert.ok(Math.abs(vsBase[0].diff + 0.1) < 1e-12 && vsBase[0].low <= -0.1 && vsBase[0].high >= -0.1);
    assert.ok(Math.abs(vsBase[1].diff - 0.02) < 1e-12, '(0.01 + 0.03) / 2 on seed 1, 0.02 on seed 2');
    // ipa - sft at step 4: only seed 1 ran both: +0.1, +0.1, +0.1 -> exactly +0.1, a zero-width interval
    const [d] = measureContrasts(runs, [{ a: 'ipa', b: 'sft' }], 4, ['diversity']);
    assert.equal(d.seeds, 1);
    assert.ok(Math.abs(d.diff - 0.1) < 1e-12 && Math.abs(d.low - 0.1) < 1e-12 && Math.abs(d.high - 0.1) < 1e-12);
    // hands: the null input is left out on both sides
    const [h] = measureContrasts(runs, [{ a: 'ipa', b: 'sft' }], 4, ['diversity_hands']);
    assert.equal(h.diff, 0);
    assert.deepEqual(measureContrasts(runs, [{ a: 'ipa', b: 'sft' }], 60, ['diversity']), [], 'no run has step 60');
    assert.deepEqual(measureContrasts(runs, [{ a: 'dpo', b: 'base' }], 4, ['diversity']), []);
    assert.match((await renderVegaLite(measureChart(rows, 'diversity', 'diversity'))).svg, /post-training steps/);
  });

  it('scoreContrasts: paired by clip, pooled over seeds, against the base or another run, per split; only clips scored everywhere', () => {
    // 4 clips; the base scores 0.5 + i/10 on both splits
    const at = (split: string, v: (i: number) => number, n = 4) => scores(split, v, n);
    const base = { home: at('home', (i) => 0.5 + i / 10), away: at('away', (i) => 0.5 + i / 10) };
    const runs: ScoreRun[] = [
      // ipa: +0.04 on every clip at home under both seeds; away +0.02 (seed 1) and 0 (seed 2)
      { label: 'ipa', seed: 1, split: 'home', scores: at('home', (i) => 0.54 + i / 10) },
      { label: 'ipa', seed: 2, split: 'home', scores: at('home', (i) => 0.54 + i / 10) },
      { label: 'ipa', seed: 1, split: 'away', scores: at('away', (i) => 0.52 + i / 10) },
      { label: 'ipa', seed: 2, split: 'away', scores: at('away', (i) => 0.5 + i / 10) },
      // sft: home +0.01 under seed 1 only; seed 2 lost its last clip (3 clips scored)
      { label: 'sft', seed: 1, split: 'home', scores: at('home', (i) => 0.51 + i / 10) },
      { label: 'sft', seed: 2, split: 'home', scores: at('home', (i) => 0.51 + i / 10, 3) },
    ];
    const near = (x: number, y: number) => Math.abs(x - y) < 1e-9;
    const vsBase = scoreContrasts(runs, base, [{ a: 'ipa', b: 'base' }], 'ssimHand', { seed: 1, resamples: 1000 });
    assert.deepEqual(vsBase.map((c) => [c.split, c.a, c.b, c.seeds, c.clips]), [['home', 'ipa', 'base', 2, 4], ['away', 'ipa', 'base', 2, 4]]);
    assert.ok(near(vsBase[0].diff, 0.04) && near(vsBase[0].low, 0.04) && near(vsBase[0].high, 0.04), 'a constant +0.04: a zero-width interval');
    // away: the seed means 0.02 and 0 pool to 0.01; resampling seeds spans [0, 0.02]
    assert.ok(near(vsBase[1].diff, 0.01) && vsBase[1].low >= -1e-9 && vsBase[1].high <= 0.02 + 1e-9 && vsBase[1].low < vsBase[1].high);
    // ipa - sft at home: both seeds, only the 3 clips sft's seed 2 scored; +0.03 on each
    const [d] = scoreContrasts(runs, base, [{ a: 'ipa', b: 'sft' }], 'ssimHand', { seed: 1, resamples: 1000 });
    assert.deepEqual([d.split, d.seeds, d.clips, d.metric], ['home', 2, 3, 'ssimHand']);
    assert.ok(near(d.diff, 0.03));
    // away has no sft run; an unknown label has no row
    assert.deepEqual(scoreContrasts(runs, base, [{ a: 'dpo', b: 'base' }]), []);
    assert.deepEqual(scoreContrasts(runs, {}, [{ a: 'ipa', b: 'base' }]), [], 'no base scores: nothing to pair');
  });

  it('costTable: the paired gain over the base of each budget, in budget order; the chart renders', async () => {
    const base = scores('test-hands', (i) => 0.3 + noise[i]);
    const inp: ResultInputs = baseOnlyInputs(study, { 'test-hands': base });
    const at = (d: number) => ({ 'test-hands': scores('test-hands', (i) => 0.3 + d + noise[i]) });
    const rows = costTable(inp, [
      { method: 'ipa-halo', judgedInputs: 256, judgedCandidates: 1024, annotations: 96, trainedOn: 96, runs: at(0.05) },
      { method: 'ipa-halo', judgedInputs: 32, judgedCandidates: 128, annotations: 17, trainedOn: 17, runs: at(0.02) },
      { method: 'flow-dpo-relaxed', judgedInputs: 32, judgedCandidates: 128, annotations: 128, trainedOn: 32, runs: at(-0.01) },
    ]);
    assert.deepEqual(rows.map((r) => [r.method, r.judgedInputs]), [['flow-dpo-relaxed', 32], ['ipa-halo', 32], ['ipa-halo', 256]]);
    assert.ok(Math.abs((rows[1].gain as number) - 0.02) < 1e-9 && (rows[1].gain_low as number) > 0.019, JSON.stringify(rows[1]));
    assert.ok((rows[0].gain_high as number) < 0);
    assert.match((await renderVegaLite(costChart(rows))).svg, /judged samples/);
  });

  it('handShareTable: equal-count bins from the smallest hands, each with the paired IPA+HALO - IPA difference', async () => {
    const n = 30;
    const base = scores('test-hands', (i) => 0.3 + noise[i], n);
    // HALO helps by 0.03 on the 10 clips with the smallest hands, 0.01 on the next 10, nothing on the largest.
    const share = (i: number) => 0.01 + 0.001 * ((i * 7) % n); // a permutation of the clips
    const gain = (i: number) => { const rank = (i * 7) % n; return rank < 10 ? 0.03 : rank < 20 ? 0.01 : 0; };
    const inp: ResultInputs = {
      ...baseOnlyInputs(study, { 'test-hands': base }),
      runs: {
        ipa: { 'test-hands': [scores('test-hands', (i) => 0.35 + noise[i], n)] },
        'ipa-halo': { 'test-hands': [scores('test-hands', (i) => 0.35 + gain(i) + noise[i], n)] },
      },
    };
    const shares = new Map(Array.from({ length: n }, (_, i) => [`c${i}`, share(i)]));
    const rows = handShareTable(inp, shares, 'test-hands');
    assert.deepEqual(rows.map((r) => r.clips), [10, 10, 10]);
    assert.deepEqual(rows.map((r) => r.bin), [1, 2, 3]);
    assert.ok(rows[0].shareHigh < rows[1].shareLow && rows[1].shareHigh < rows[2].shareLow, 'bins sorted by share');
    const diffs = rows.map((r) => r.diff as number);
    for (const [d, want] of diffs.map((d, k) => [d, [0.03, 0.01, 0][k]])) assert.ok(Math.abs(d - want) < 1e-9, `${d} vs ${want}`);
    assert.deepEqual(handShareTable(inp, shares, 'test-general'), [], 'no runs on the split: no rows');
    assert.deepEqual(handShareTable(inp, new Map([...shares].slice(0, 5)), 'test-hands'), [], 'fewer than 2 clips per bin: no rows');
    assert.match((await renderVegaLite(handShareChart(rows))).svg, /hand-pixel share/);
  });
});
