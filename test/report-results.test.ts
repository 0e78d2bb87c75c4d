import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ClipScores } from '../src/eval/evaluate';
import { SCORES_FORMAT, ScoredSplit } from '../src/eval/score';
import { getProfile } from '../src/study/profiles';
import { openStudy } from '../src/study/study';
import { baseOnlyInputs } from '../src/study/results';
import { METRICS, ResultInputs, mainTable, methodRows, pairedDifference, stepTable, sweepTable, wideTable } from '../src/report/results';
import { casesChart, curveChart, metricChart, premiseSweepChart, stepChart, sweepChart } from '../src/report/charts';
import { stepFigure } from '../src/report/plotly';
import { CLAIM_COMPARISONS, CLAIM_METRICS, claimRows } from '../src/report/claims';
import { renderVegaLite } from '../src/report/figures';
import { rng } from '../src/core/seeds';

function scores(split: string, values: (i: number) => Partial<ClipScores>, n = 30): ScoredSplit {
  const clips: ClipScores[] = Array.from({ length: n }, (_, i) => ({
    id: `c${i}#0`, clipId: `c${i}`, ssim: 0.5, psnr: 20, ssimBody: 0.6, psnrBody: 22, ssimBackground: 0.9, psnrBackground: 30, ssimHand: 0.3, psnrHand: 15,
    handKeypointError: null, handPck: null, handWorseShare: 0.5, ...values(i),
  }));
  return { scores: { format: SCORES_FORMAT, split, generationsSha256: 'x', detectorSha256: '', clips, featureDim: 0, framesPerClip: 8, files: {}, sha256: '' }, features: null };
}

describe('results', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-results-'));
  const study = openStudy({ profile: 'smoke', root });

  it('gives interval-bracketed means, and paired differences that find a real improvement', () => {
    const r = rng(5, 'noise');
    const noise = Array.from({ length: 30 }, () => r.normal() * 0.05);
    const base = scores('test-hands', (i) => ({ ssimHand: 0.3 + noise[i] }));
    const better = scores('test-hands', (i) => ({ ssimHand: 0.33 + noise[i] }));
    const inp: ResultInputs = baseOnlyInputs(study, { 'test-hands': base });
    const rows = methodRows(inp, 'x', 'test-hands', [better]);
    const hand = rows.find((x) => x.metric === 'ssimHand');
    assert.ok(hand && hand.mean !== null && (hand.ci_low as number) < hand.mean && hand.mean < (hand.ci_high as number));
    assert.equal(rows.find((x) => x.metric === 'winRate')?.mean, 1, 'better on every clip');
    assert.equal(rows.find((x) => x.metric === 'fdFrame')?.mean, null, 'no features: no FD');
    assert.equal(rows.length, METRICS.length);
    // The per-clip noise is shared, so the paired difference is exactly 0.03 with a tight interval.
    const inp2: ResultInputs = { ...inp, runs: { better: { 'test-hands': [better] } } };
    assert.equal(pairedDifference(inp2, 'base', 'base', 'test-hands', 'ssimHand')?.mean, 0);
    const d = pairedDifference(inp2, 'better', 'base', 'test-hands', 'ssimHand');
    assert.ok(d && Math.abs(d.mean - 0.03) < 1e-9 && d.low > 0.029 && d.high < 0.031, JSON.stringify(d));
  });

  it('claimRows: every comparison x split x metric; verdicts from the paired interval and the smallest effect', () => {
    const r = rng(6, 'noise');
    const noise = Array.from({ length: 30 }, () => r.normal() * 0.05);
    const split = (d: number, dSsim = 0) => scores('test-hands', (i) => ({ ssimHand: 0.3 + d + noise[i], ssim: 0.5 + dSsim + noise[i] }));
    const base = baseOnlyInputs(study, { 'test-hands': split(0) });
    // IPA+HALO beats IPA by 0.02 in SSIM-Hand, which beats the base by 0.001 (below the 0.002 effect); SFT is worse
    // than the base by 0.01; IPA+HALO loses 0.01 full-frame SSIM; Flow-DPO was never trained.
    const inp: ResultInputs = {
      ...base,
      settings: { ...base.settings, splits: ['test-hands'] },
      runs: { ipa: { 'test-hands': [split(0.001)] }, 'ipa-halo': { 'test-hands': [split(0.021, -0.01)] }, sft: { 'test-hands': [split(-0.01)] }, 'sft-halo': { 'test-hands': [split(0.021, -0.01)] } },
    };
    const rows = claimRows(inp);
    assert.equal(rows.length, CLAIM_COMPARISONS.length * CLAIM_METRICS.length);
    const get = (comparison: string, metric: string) => rows.find((x) => x.comparison === comparison && x.metric === metric);
    assert.equal(get('ipa vs base', 'ssimHand')?.verdict, 'not detected');
    assert.ok(Math.abs((get('ipa vs base', 'ssimHand')?.difference as number) - 0.001) < 1e-9);
    assert.equal(get('ipa-halo vs ipa', 'ssimHand')?.verdict, 'holds');
    assert.equal(get('ipa-halo vs sft', 'ssimHand')?.verdict, 'holds');
    assert.equal(get('ipa-halo vs sft-halo', 'ssimHand')?.verdict, 'not detected');
    assert.equal(get('ipa-halo vs base', 'ssim')?.verdict, 'reverses');
    const dpo = get('ipa-halo vs flow-dpo', 'ssimHand');
    assert.equal(dpo?.verdict, 'not measured');
    assert.equal(dpo?.difference, null);
    assert.equal(get('ipa-halo vs base', 'ssimHand')?.min_effect, 0.002);
  });

  it('stepTable: step 0 is the base (difference 0), each snapshot its paired difference; charts of it render', async () => {
    const r = rng(7, 'noise');
    const noise = Array.from({ length: 30 }, () => r.normal() * 0.05);
    const at = (d: number) => scores('test-hands', (i) => ({ ssimHand: 0.3 + d + noise[i], ssim: 0.5 + noise[i] }));
    const inp: ResultInputs = {
      ...baseOnlyInputs(study, { 'test-hands': at(0) }),
      steps: [
        { method: 'sft', step: 40, runs: { 'test-hands': at(-0.02) } },
        { method: 'sft', step: 20, runs: { 'test-hands': at(-0.01) } },
        { method: 'ipa-halo', step: 20, runs: { 'test-hands': at(0.01) } },
      ],
    };
    const rows = stepTable(inp);
    const hand = rows.filter((x) => x.metric === 'ssimHand');
    assert.deepEqual(hand.map((x) => [x.method, x.step]), [['ipa-halo', 0], ['ipa-halo', 20], ['sft', 0], ['sft', 20], ['sft', 40]]);
    assert.deepEqual(hand.filter((x) => x.step === 0).map((x) => x.diff), [0, 0]);
    const sft40 = hand.find((x) => x.method === 'sft' && x.step === 40);
    assert.ok(sft40 && Math.abs((sft40.diff as number) + 0.02) < 1e-9 && (sft40.diff_high as number) < 0, JSON.stringify(sft40));
    assert.equal(rows.find((x) => x.metric === 'ssim' && x.step === 20 && x.method === 'sft')?.diff, 0);
    assert.deepEqual(stepTable(baseOnlyInputs(study, { 'test-hands': at(0) })), [], 'no snapshots: no rows');
    // A sweep point carries its paired difference to the base next to its mean (none for the FDs: no per-clip pairs).
    const sweep = sweepTable({ ...inp, settings: { ...inp.settings, sweepSplits: ['test-hands'] }, sweeps: [{ group: 'beta', value: 200, job: 'beta-200.s1', runs: { 'test-hands': at(0.03) } }] });
    const sh = sweep.find((x) => x.metric === 'ssimHand');
    assert.ok(sh && Math.abs((sh.diff as number) - 0.03) < 1e-9 && (sh.diff_low as number) > 0.029, JSON.stringify(sh));
    assert.equal(sweep.find((x) => x.metric === 'fdFrame')?.diff, null);
    const fig = stepFigure(rows, 'ssimHand');
    assert.equal(fig.data.length, 2, 'one trace per method and split');
    assert.throws(() => stepFigure(rows, 'psnr'), /no step rows for 'psnr'/);
    const svg = (await renderVegaLite(stepChart(rows, 'ssimHand', 'SSIM-Hand'))).svg;
    assert.match(svg, /post-training steps/);
    const chart = (await renderVegaLite(premiseSweepChart([
      { defect: 'pose-shift', rate: 0, withinShare: 0.02, acceptance: 0.4, gainSsimHand: 0.001, gainLow: -0.002, gainHigh: 0.004 },
      { defect: 'pose-shift', rate: 0.5, withinShare: 0.1, acceptance: 0.15, gainSsimHand: 0.01, gainLow: 0.004, gainHigh: 0.016 },
    ]))).svg;
    assert.match(chart, /pose-shift 0\.5/);
  });

  it('builds the long main table with every method, split and metric, null where nothing ran', () => {
    const base = { 'test-general': scores('test-general', () => ({})), 'test-hands': scores('test-hands', () => ({})) };
    const rows = mainTable(baseOnlyInputs(study, base));
    const p = getProfile('smoke');
    assert.equal(rows.length, (1 + p.align.methods.length) * p.eval.splits.length * METRICS.length);
    assert.ok(rows.filter((x) => x.method === 'base' && x.metric === 'ssim').every((x) => x.mean === 0.5 && x.n_seeds === 1));
    assert.ok(rows.filter((x) => x.method === 'ipa').every((x) => x.mean === null && x.n_seeds === 0));
    const wide = wideTable(rows);
    assert.equal(wide[0].SSIM, '0.500 [0.500, 0.500]');
  });

  it('chart specifications render to SVG and PNG', async () => {
    const rows = mainTable(baseOnlyInputs(study, { 'test-general': scores('test-general', () => ({})), 'test-hands': scores('test-hands', () => ({})) }));
    for (const spec of [
      casesChart({ case1: 3, case2: 10, case3: 30, case4: 2 }),
      metricChart(rows, 'ssim', 'SSIM'),
      curveChart([{ series: 'ipa', step: 1, value: 0.7 }, { series: 'ipa', step: 2, value: 0.6 }], { title: 'loss', y: 'loss', window: 2 }),
      sweepChart(rows.map((x) => ({ ...x, sweep: 'beta', value: 200, diff: 0.01, diff_low: 0, diff_high: 0.02 })), 'beta', 'ssim', 'SSIM', 'beta', true),
    ]) {
      const r = await renderVegaLite(spec);
      assert.match(r.svg, /^<svg/);
      assert.ok(r.png.length > 1000);
    }
  });
});
