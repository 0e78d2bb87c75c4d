import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { checkMeasureSettings } from '../src/study/drift-measures';
import { costPoints, curveJobs, ipaSharesHaloSettings, mainJobName, regimeConfig, regimeJobName, shardJobs, studyJobs, sweepPoints } from '../src/study/jobs';
import { getProfile, methodConfig } from '../src/study/profiles';
import { notebooksFor } from '../src/study/reproduce';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { openStudy, studyPaths } from '../src/study/study';
import { worldStage } from '../src/study/pipeline';

describe('study jobs', () => {
  const p = getProfile('paper');
  const jobs = studyJobs(p.align, p.ablations, p.eval);

  it('lists every method x seed, then only the sweep points that no main run covers', () => {
    const main = jobs.filter((j) => j.group === 'main');
    assert.equal(main.length, p.align.methods.length * p.align.seeds.length);
    assert.ok(main.every((j) => j.config.method === j.method && j.config.beta === p.align.defaults.beta));
    assert.ok(main.every((j) => JSON.stringify(j.config) === JSON.stringify(methodConfig(p.align, j.method))), 'each method with its own settings');
    const names = jobs.map((j) => j.name);
    assert.equal(new Set(names).size, names.length, 'unique names');
    assert.ok(!names.includes('beta-600.s1') && p.ablations.betas.every((b) => b === 600 || names.includes(`beta-${b}.s1`)));
    assert.ok(!names.includes('hand-weight-10.s1'), 'lambda 10 is ipa-halo');
    // lambda 1 reads the main ipa run only when ipa trains with ipa-halo's settings; the paper profile tunes them apart.
    assert.equal(names.includes('hand-weight-1.s1'), !ipaSharesHaloSettings(p.align));
    assert.equal(ipaSharesHaloSettings({ ...p.align, methodSettings: {} }), true);
    assert.equal(studyJobs({ ...p.align, methodSettings: {} }, p.ablations, p.eval).some((j) => j.name === 'hand-weight-1.s1'), false);
    const hw = jobs.find((j) => j.name === 'hand-weight-100.s1');
    assert.equal(hw?.config.handWeight, 100);
    assert.equal(hw?.method, 'ipa-halo');
    const pts = sweepPoints(p.align, p.ablations, p.selection.maxPositives);
    assert.equal(pts.find((x) => x.group === 'hand-weight' && x.value === 1)?.job, ipaSharesHaloSettings(p.align) ? mainJobName('ipa', p.align.seeds[0]) : 'hand-weight-1.s1');
    const shared = { ...p.align, methodSettings: {} };
    assert.equal(sweepPoints(shared, p.ablations, p.selection.maxPositives).find((x) => x.group === 'hand-weight' && x.value === 1)?.job, mainJobName('ipa', p.align.seeds[0]));
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

  it("a method's own settings go over the shared defaults", () => {
    const align = { ...p.align, methodSettings: { 'flow-dpo': { lr: 1e-5 } } };
    assert.equal(methodConfig(align, 'flow-dpo').lr, 1e-5);
    assert.equal(methodConfig(align, 'flow-dpo').beta, p.align.defaults.beta);
    assert.equal(methodConfig(align, 'ipa').lr, p.align.defaults.lr);
    assert.equal(studyJobs(align, p.ablations, p.eval).find((j) => j.name === 'flow-dpo.s1')?.config.lr, 1e-5);
  });

  it('the extended profile shares the paper profile\'s data and writes results/extended', () => {
    const x = studyPaths('/r', 'extended', 1);
    const paper = studyPaths('/r', 'paper', 1);
    assert.deepEqual([x.world, x.shipped, x.work], [paper.world, paper.shipped, paper.work]);
    assert.equal(x.results, path.join('/r', 'results', 'extended'));
    // Same world: the world's config is the paper profile's (the world stage builds it under that name).
    assert.deepEqual(getProfile('extended').world, getProfile('paper').world);
    assert.equal(studyPaths('/r', 'extended', 4).results, path.join('/r', 'results', 'extended-seed4'));
    const names = (profile: string) => notebooksFor(profile).map((n) => path.basename(n, '.ipynb'));
    assert.deepEqual(names('paper'), ['00_world', '01_pretrain', '02_baseline', '03_positives', '04_alignment', '05_results_ablations']);
    assert.deepEqual(names('extended'), ['00_world', '01_pretrain', '02_baseline', '03_positives', '06_premise_sweep', '07_curves', '08_iterate']);
    assert.equal(names('smoke').length, 9);
  });

  it('lists the curve jobs: long drift runs with snapshots and probe, annotation budgets, and the main runs of the full budget', () => {
    const x = getProfile('extended');
    const c = x.curves;
    assert.ok(c);
    const cj = curveJobs(c, x.align, x.ablations, x.eval, x.world.splits.train);
    const names = cj.map((j) => j.name);
    assert.equal(new Set(names).size, names.length, 'unique names');
    for (const m of c.drift.methods) {
      const j = cj.find((k) => k.name === `drift-${m}.s1`);
      assert.equal(j?.config.steps, c.drift.steps);
      assert.deepEqual(j?.snapshots, c.drift.snapshots);
      assert.deepEqual(j?.probe, c.drift.probe);
      assert.equal(j?.config.lr, methodConfig(x.align, m).lr);
    }
    const withBeta = curveJobs({ ...c, drift: { ...c.drift, betas: [6000] } }, x.align, x.ablations, x.eval, x.world.splits.train);
    assert.equal(withBeta.find((k) => k.name === 'drift-ipa-halo-beta6000.s1')?.config.beta, 6000, "a further beta is IPA+HALO's long run at it");
    const cost = cj.find((k) => k.name === 'cost-ipa-halo-32.s1');
    assert.deepEqual(cost?.selection, { maxPositives: null, annotationNoise: 0, judgedInputs: 32 });
    // The full budget is the main table's run: the same name and the same job, so a study that ran it reuses it.
    const main = studyJobs(x.align, x.ablations, x.eval).find((j) => j.name === 'ipa-halo.s1');
    assert.ok(main);
    assert.deepEqual(cj.find((k) => k.name === 'ipa-halo.s1'), main);
    const pts = costPoints(c, 1, x.world.splits.train);
    assert.equal(pts.length, c.annotation.methods.length * (c.annotation.judgedInputs.length + 1));
    assert.throws(() => costPoints({ ...c, annotation: { ...c.annotation, judgedInputs: [0] } }, 1, 256), /0 judged inputs is not in 1\.\.256/);
    assert.throws(() => costPoints({ ...c, annotation: { ...c.annotation, judgedInputs: [300] } }, 1, 256), /300 judged inputs/);
  });

  it('lists the regime jobs first, each run on every seed with its overrides, on the best positives only, measured at its snapshots', () => {
    const x = getProfile('extended');
    const c = x.curves;
    assert.ok(c?.regime);
    const r = c.regime;
    const cj = curveJobs(c, x.align, x.ablations, x.eval, x.world.splits.train);
    const regime = cj.filter((j) => j.group === 'regime');
    assert.equal(regime.length, r.runs.length * r.seeds.length);
    assert.deepEqual(cj.slice(0, regime.length), regime, 'the regime comes first');
    assert.equal(regimeJobName({ method: 'ipa', beta: 6000, clipNorm: 0, loraRank: 8, lr: 6e-3 }, 2), 'regime-ipa-beta6000-clip0-lora8-lr0.006.s2');
    const unclipped = cj.find((j) => j.name === 'regime-ipa-beta6000-clip0.s2');
    assert.equal(unclipped?.seed, 2);
    assert.equal(unclipped?.config.beta, 6000);
    assert.equal(unclipped?.config.clipNorm, 0);
    assert.equal(unclipped?.config.steps, r.steps);
    assert.equal(unclipped?.config.lr, methodConfig(x.align, 'ipa').lr, "the method's own lr when the run sets none");
    assert.deepEqual(unclipped?.selection, { maxPositives: r.positives, annotationNoise: 0 });
    assert.deepEqual(unclipped?.snapshots, r.snapshots);
    assert.deepEqual(unclipped?.snapshotSplits, [], 'no test scores at the snapshots');
    assert.ok(unclipped?.probe?.measures, 'measured');
    const lora = regimeConfig(x.align, { method: 'sft', loraRank: 8, lr: 6e-3 }, r.steps);
    assert.deepEqual(lora.lora, { rank: 8, alpha: 8 });
    assert.equal(lora.lr, 6e-3);
    assert.equal(regimeConfig(x.align, { method: 'sft', loraRank: 0 }, r.steps).lora, null, 'rank 0: full fine-tuning');
    assert.equal(cj.find((j) => j.name === 'regime-sft.s1')?.config.clipNorm, x.align.defaults.clipNorm);
    assert.throws(() => curveJobs({ ...c, regime: { ...r, runs: [{ method: 'flow-dpo' }] } }, x.align, x.ablations, x.eval, 256), /'flow-dpo' trains on pairs/);
    assert.throws(() => curveJobs({ ...c, regime: { ...r, snapshots: [r.steps] } }, x.align, x.ablations, x.eval, 256), /snapshot 480 is not a step in 1\.\.479/);
    assert.throws(() => curveJobs({ ...c, regime: { ...r, positives: 0 } }, x.align, x.ablations, x.eval, 256), /positives must be a positive integer/);
  });

  it('checkMeasureSettings: inputs and held-out clips within val, at least 2 draws an input', () => {
    checkMeasureSettings({ inputs: 8, samples: 8, heldoutClips: 16 }, 48);
    assert.throws(() => checkMeasureSettings({ inputs: 49, samples: 8, heldoutClips: 16 }, 48), /inputs must be an integer in 1\.\.48, got 49/);
    assert.throws(() => checkMeasureSettings({ inputs: 8, samples: 1, heldoutClips: 16 }, 48), /samples must be an integer in 2\.\.64, got 1/);
    assert.throws(() => checkMeasureSettings({ inputs: 8, samples: 8, heldoutClips: 0.5 }, 48), /heldoutClips must be an integer/);
  });

  it('profiles that share the close-up data build the shared world under its name, so each other\'s runs stay valid', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-dataof-'));
    const x = openStudy({ profile: 'extended', root });
    const w = worldStage(x);
    assert.equal(w.world.manifest.profile, 'closeup');
    assert.equal(worldStage(openStudy({ profile: 'paper', root })).built, false, 'the paper profile finds its world as built');
    assert.equal(openStudy({ profile: 'paper', root }).paths.work, x.paths.work);
    assert.equal(openStudy({ profile: 'extended', root }).paths.results, path.join(root, 'results', 'extended'));
    assert.equal(openStudy({ profile: 'paper', root }).paths.results, path.join(root, 'results'));
    fs.rmSync(root, { recursive: true, force: true });
  });
});
