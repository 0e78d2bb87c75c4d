/**
 * The paper run's minutes by notebook, predicted (group 'pipeline', `npm run bench -- --only pipeline`): the units of
 * work each notebook does, counted from the profile and the study's job list, times unit costs measured here and now
 * (sampling a clip through the run's engine on one worker, scoring a clip with its perception frames, a
 * post-training step of each method, a fine-tuning step on two workers). Parallel stages divide by the profile's
 * workers. It is a model of the run, not the run: it leaves out start-up, figures, and uneven job lengths (the
 * last job of a stage runs alone), so a measured run comes out somewhat longer; the README states both.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { alignTrain, AlignConfig } from '../align/trainer';
import { scoreClip } from '../eval/evaluate';
import { BenchDefinition, BenchMeasurement } from '../gpu/bench-harness';
import { UnetConfig } from '../model/config';
import { resolveEngine } from '../model/engine';
import { generate, generateOnnx } from '../model/sample';
import { UnetOnnx } from '../model/unet-onnx';
import { initPerceptionParams } from '../perception/net';
import { perceive } from '../perception/perceive';
import { snapshot } from '../train/checkpoint';
import { makeClip } from '../world/clip';
import { AlignMethod, OBJECTIVES } from '../align/objectives';
import { studyJobs } from './jobs';
import { benchParams, benchPositives, pretrainSecondsPerStep } from './bench-pipeline';
import { getProfile, methodConfig, perceptionConfigFor } from './profiles';
import { readStepLog } from '../train/loop';

/** Unit costs in seconds (one worker unless said). */
export interface UnitCosts {
  engine: string;
  /** Sampling one clip with the profile's sampler on one worker. */
  sampleClip: number;
  /** Scoring one clip: metrics plus the perception network on its frames. */
  scoreClip: number;
  /** One post-training step of each method (the profile's defaults). */
  alignStep: Partial<Record<AlignMethod, number>>;
  /** One fine-tuning step of the premise sweep on the profile's workers. */
  fineTuneStep: number;
}

/** Predicted seconds per notebook of the paper profile from unit costs (see the module docstring). */
export function predictPaperRun(u: UnitCosts): { notebook: string; seconds: number; what: string }[] {
  const p = getProfile('paper');
  const W = p.jobs;
  const n = p.world.splits;
  const testClips = p.eval.splits.reduce((s, sp) => s + n[sp], 0);
  const clip = u.sampleClip + u.scoreClip;
  const split = (clips: number) => (clips * clip) / W; // a split sampled and scored by the pool
  // A Flow-DPO step is costed as two of IPA's (model and reference on both sides of a pair): an upper bound, since
  // a job without pairs of its kind is skipped.
  const jobs = studyJobs(p.align, p.ablations, p.eval);
  const jobSeconds = (j: (typeof jobs)[number]) => {
    const evalClips = j.evalSplits.reduce((s, sp) => s + n[sp], 0) * (1 + (j.snapshots?.length ?? 0));
    const step = u.alignStep[j.method] ?? (OBJECTIVES[j.method].data === 'pairs' ? 2 * (u.alignStep.ipa ?? 0) : 0);
    return j.config.steps * step + evalClips * clip;
  };
  const group = (g: (j: (typeof jobs)[number]) => boolean) => jobs.filter(g).reduce((s, j) => s + jobSeconds(j), 0) / W;
  const candidates = n.train * p.selection.candidatesPerInput;
  const ps = p.premiseSweep;
  const sweep = ps
    ? ps.rates.length * (ps.fineTune.steps * u.fineTuneStep + split(ps.inputs * p.selection.candidatesPerInput)) +
      (ps.rates.length * (p.align.defaults.steps * (u.alignStep['ipa-halo'] ?? 0) + n[ps.evalSplit] * clip)) / W +
      split(ps.rates.length * n[ps.evalSplit])
    : 0;
  return [
    { notebook: '01_pretrain', seconds: split(testClips), what: `the shipped base on the test splits (${testClips} clips)` },
    { notebook: '02_baseline', seconds: split(candidates), what: `${candidates} candidates (${n.train} inputs x ${p.selection.candidatesPerInput})` },
    { notebook: '03_positives', seconds: split(n.val), what: `the judge's calibration on ${n.val} val clips` },
    { notebook: '04_alignment', seconds: group((j) => j.group === 'main'), what: `${jobs.filter((j) => j.group === 'main').length} main jobs and their step snapshots` },
    { notebook: '05_results_ablations', seconds: group((j) => j.group !== 'main'), what: `${jobs.filter((j) => j.group !== 'main').length} sweep jobs` },
    // The premise sweep belongs to the extended profile (notebook 06); a paper profile that has one again is counted.
    ...(ps ? [{ notebook: '06_premise_sweep', seconds: sweep, what: `${ps.rates.length} fine-tunes of ${ps.fineTune.steps} steps, their candidates and IPA+HALO runs` }] : []),
  ];
}

/** Measure the unit costs on this machine (a few minutes; `tiny`: at the smoke profile's sizes, to check that it runs). */
export async function measureUnitCosts(log: (l: string) => void, tiny = false): Promise<UnitCosts> {
  const p = getProfile(tiny ? 'smoke' : 'paper');
  const c = p.pretrain.model as UnetConfig;
  const params = benchParams(1, c);
  const jobs = Array.from({ length: tiny ? 2 : 8 }, (_, i) => makeClip(1, 'val', i % p.world.splits.val, p.world)).map((cl, i) => ({ key: `${cl.id}#${i}`, clip: cl }));
  const opts = { steps: p.sampler.steps, eta: p.sampler.eta, frameCorrelation: p.sampler.frameCorrelation, seed: 1, batch: p.sampler.batch };
  const engine = resolveEngine(c).engine;
  let sampleClip: number;
  if (engine === 'onnx') {
    const runner = new UnetOnnx(c, params, undefined, 1);
    await generateOnnx(runner, jobs.slice(0, 1), { ...opts, steps: 1 });
    const t0 = performance.now();
    await generateOnnx(runner, jobs, opts);
    sampleClip = (performance.now() - t0) / 1000 / jobs.length;
    await runner.release();
  } else {
    const t0 = performance.now();
    generate(c, params, jobs, opts);
    sampleClip = (performance.now() - t0) / 1000 / jobs.length;
  }
  log(`pipeline: sampling ${sampleClip.toFixed(2)} s/clip (${engine})`);
  const weights = snapshot(params);
  tf.dispose(Object.values(params));
  // Scoring: the metrics and the perception network on a clip's frames.
  const pc = perceptionConfigFor(p.name);
  const pp = initPerceptionParams(pc, 1);
  const t1 = performance.now();
  for (const { clip: cl } of jobs) {
    const full = cl as ReturnType<typeof makeClip>;
    scoreClip(full.id, full.id, full.frames, full, full.size);
    perceive({ config: pc, params: pp, meta: null }, full.frames, full.numFrames);
  }
  const scoreSeconds = (performance.now() - t1) / 1000 / jobs.length;
  tf.dispose(Object.values(pp));
  log(`pipeline: scoring ${scoreSeconds.toFixed(3)} s/clip`);
  const alignStep: Partial<Record<AlignMethod, number>> = {};
  const pos = benchPositives(8, p.align.defaults.maskGrid, p);
  for (const method of p.align.methods.filter((m) => OBJECTIVES[m].data === 'positives')) {
    const config: AlignConfig = { ...methodConfig(p.align, method), steps: tiny ? 3 : 5, checkpointEvery: 1000 };
    const outDir = fs.mkdtempSync(path.join(os.tmpdir(), `ipa-predict-${method}-`));
    try {
      await alignTrain({ config, seed: 1, base: { model: c, weights, weightsSha256: 'bench', worldHash: 'bench' }, positives: pos, pairs: [], outDir, resume: false, engine });
      const timed = readStepLog(outDir).slice(2); // the first two steps make the session and its arenas, or warm the kernels
      alignStep[method] = timed.reduce((t, r) => t + r.seconds, 0) / timed.length;
    } finally {
      fs.rmSync(outDir, { recursive: true, force: true });
    }
    log(`pipeline: ${method} ${alignStep[method]?.toFixed(2)} s/step`);
  }
  const fineTuneStep = await pretrainSecondsPerStep(p.pretrain, 4, p.jobs, engine, p.world);
  log(`pipeline: fine-tuning ${fineTuneStep.toFixed(2)} s/step on ${p.jobs} workers`);
  return { engine, sampleClip, scoreClip: scoreSeconds, alignStep, fineTuneStep };
}

const pipelineBench: BenchDefinition = {
  name: 'paper run prediction',
  group: 'pipeline',
  description: "the paper run's minutes by notebook from the shipped base, predicted from unit costs measured now (target: at most 60 in all)",
  backends: ['wasm'],
  async run(ctx) {
    const u = await measureUnitCosts((l) => ctx.log(l), ctx.tiny);
    const rows = predictPaperRun(u);
    const total = rows.reduce((s, r) => s + r.seconds, 0);
    const out: BenchMeasurement[] = rows.map((r) => ({ case: r.notebook, variant: `predicted (${u.engine})`, unit: 'min', samples: [r.seconds / 60], higherIsBetter: false, note: r.what }));
    out.push({ case: 'total', variant: `predicted (${u.engine})`, unit: 'min', samples: [total / 60], higherIsBetter: false, note: `sampling ${u.sampleClip.toFixed(2)} s/clip, scoring ${u.scoreClip.toFixed(3)} s/clip per worker; steps ${Object.entries(u.alignStep).map(([m, s]) => `${m} ${(s as number).toFixed(2)}`).join(', ')} s; fine-tune ${u.fineTuneStep.toFixed(2)} s/step` });
    return out;
  },
};

export const PREDICT_BENCHES: BenchDefinition[] = [pipelineBench];
