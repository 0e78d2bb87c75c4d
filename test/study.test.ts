import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mainJobName, shardJobs, studyJobs, sweepPoints } from '../src/study/jobs';
import { ClipScores } from '../src/eval/evaluate';
import { SCORES_FORMAT, ScoredSplit } from '../src/eval/score';
import { getProfile } from '../src/study/profiles';
import { openStudy, studyPaths } from '../src/study/study';
import { baseOnlyInputs } from '../src/study/results';
import { METRICS, ResultInputs, mainTable, methodRows, pairedDifference, wideTable } from '../src/report/results';
import { casesChart, curveChart, metricChart, sweepChart } from '../src/report/charts';
import { renderVegaLite } from '../src/report/figures';
import { rng } from '../src/core/seeds';

function scores(split: string, values: (i: number) => Partial<ClipScores>, n = 30): ScoredSplit {
  const clips: ClipScores[] = Array.from({ length: n }, (_, i) => ({
    id: `c${i}#0`, clipId: `c${i}`, ssim: 0.5, psnr: 20, ssimBody: 0.6, psnrBody: 22, ssimHand: 0.3, psnrHand: 15,
    handKeypointError: null, handPck: null, handWorseShare: 0.5, ...values(i),
  }));
  return { scores: { format: SCORES_FORMAT, split, generationsSha256: 'x', detectorSha256: '', clips, featureDim: 0, framesPerClip: 8, files: {} }, features: null };
}

describe('study jobs', () => {
  const p = getProfile('paper');
  const jobs = studyJobs(p.align, p.ablations, p.eval);

  it('lists every method x seed, then only the sweep points that no main run covers', () => {
    const main = jobs.filter((j) => j.group === 'main');
    assert.equal(main.length, p.align.methods.length * p.align.seeds.length);
    assert.ok(main.every((j) => j.config.method === j.method && j.config.beta === p.align.defaults.beta));
    const names = jobs.map((j) => j.name);
    assert.equal(new Set(names).size, names.length, 'unique names');
    assert.ok(!names.includes('beta-600.s1') && names.includes('beta-200.s1') && names.includes('beta-1000.s1'));
    assert.ok(!names.some((n) => /^hand-weight-(1|10)\.s/.test(n)), 'lambda 1 is ipa and lambda 10 is ipa-halo');
    const hw = jobs.find((j) => j.name === 'hand-weight-100.s1');
    assert.equal(hw?.config.handWeight, 100);
    assert.equal(hw?.method, 'ipa-halo');
    const pts = sweepPoints(p.align, p.ablations, p.selection.maxPositives);
    assert.equal(pts.find((x) => x.group === 'hand-weight' && x.value === 1)?.job, mainJobName('ipa', p.align.seeds[0]));
    assert.equal(pts.find((x) => x.group === 'beta' && x.value === 600)?.job, mainJobName('ipa-halo', p.align.seeds[0]));
    for (const pt of pts) assert.ok(names.includes(pt.job), `sweep point ${pt.group}=${pt.value} reads a job that exists (${pt.job})`);
  });

  it('splits jobs into shards that cover every job exactly once', () => {
    const seen = [1, 2, 3].flatMap((i) => shardJobs(jobs, `${i}/3`).map((j) => j.name));
    assert.deepEqual(seen.sort(), jobs.map((j) => j.name).sort());
    assert.throws(() => shardJobs(jobs, '4/3'), /1 <= i <= n/);
    assert.throws(() => shardJobs(jobs, 'two'), /--shard must look like i\/n/);
  });

  it('puts results of the committed study in results/ and others in their own folder', () => {
    assert.equal(studyPaths('/r', 'paper', 1).results, path.join('/r', 'results'));
    assert.equal(studyPaths('/r', 'paper', 7).results, path.join('/r', 'results', 'paper-seed7'));
    assert.equal(studyPaths('/r', 'smoke', 1).results, path.join('/r', 'results', 'smoke-seed1'));
  });
});

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
      sweepChart(rows.map((x) => ({ ...x, sweep: 'beta', value: 200 })), 'beta', 'ssim', 'SSIM', 'beta', true),
    ]) {
      const r = await renderVegaLite(spec);
      assert.match(r.svg, /^<svg/);
      assert.ok(r.png.length > 1000);
    }
  });
});
