/**
 * Iterated self-improvement (issue 31, notebook 08): rounds of generate, select and train, each round starting from
 * the last round's model (IterateProfile). Self-consuming training with quality-biased selection is where plain
 * likelihood on one's own samples is known to lose variety; each run is its own chain, so SFT's and IPA's chains
 * can be compared round by round on the drift measures and on the eval split.
 *
 * Round r of a run: candidates of the first `inputs` train inputs from the run's model M_{r-1} (M_0: the base;
 * every chain shares round 1's candidates), the profile's judge, the best `maxPositives` kept, then the run trained
 * `steps` steps from M_{r-1} with M_{r-1} as IPA's reference, probed and measured at its start and end and evaluated
 * on `evalSplit` and on the shifted splits (study/shifted.ts: inputs unlike the positives). M_r is M_{r-1} + the
 * trained weights, written as a base checkpoint. Each run is a chain per training seed.
 *
 * Folders: `<work>/iterate/models/<sha12>/{candidates,selection}` per model (keyed by its weights, so a shared model
 * is sampled once), `<work>/iterate/<run>.s<seed>/round-<r>/{jobs,model}`. Every step is cached like the main stages.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OBJECTIVES } from '../align/objectives';
import { DriftMeasures } from '../align/drift';
import { UsageError } from '../core/errors';
import { writeJsonAtomic } from '../core/files';
import { parallelMap } from '../core/pool';
import { ScoredSplit, loadScores } from '../eval/score';
import { backendSetup } from '../gpu/workers';
import { readModelCheckpointMeta } from '../model/checkpoint';
import { saveMergedBase } from '../model/load';
import { MeasureRun, ScoreContrast, ScoreRun, scoreContrasts } from '../report/curves';
import { pairedVsBase } from '../report/results';
import { selectFromEvidence, writePositives } from '../select/positives';
import { premiseReport } from '../select/premise';
import { BaseInfo } from './base';
import { referencePairs, regimeLabel } from './curves';
import { checkMeasureSettings } from './drift-measures';
import { AlignJob, JOB_TASK, JobPaths, JobResult } from './job-run';
import { regimeConfig, regimeJobName } from './jobs';
import { DetectorInfo, cachedEvidence, evaluateStage, sampleSplit, studyEngine, workPath, worldStage } from './pipeline';
import { IterateProfile, RegimeRun } from './profiles';
import { baseOnlyInputs } from './results';
import { checkShifted, evaluateShifted } from './shifted';
import { Study } from './study';

/** The profile's iterate settings, checked (a usage error naming the profile and the setting). */
export function iterateProfile(study: Study): IterateProfile {
  const it = study.profile.iterate;
  const where = `profile '${study.profileName}' iterate`;
  if (!it) throw new UsageError(`profile '${study.profileName}' has no iterate settings`);
  const train = study.profile.world.splits.train;
  const positiveInt = (name: string, v: number, max = Infinity) => {
    if (!(Number.isInteger(v) && v >= 1 && v <= max)) throw new UsageError(`${where}: ${name} must be an integer from 1 to ${max}, got ${v}`);
  };
  positiveInt('rounds', it.rounds);
  positiveInt('inputs', it.inputs, train);
  positiveInt('maxPositives', it.maxPositives);
  positiveInt('steps', it.steps);
  if (!it.runs.length) throw new UsageError(`${where}: runs must name at least one run`);
  if (!it.seeds.length || new Set(it.seeds).size !== it.seeds.length || !it.seeds.every((x) => Number.isInteger(x) && x >= 1)) throw new UsageError(`${where}: seeds must be distinct positive integers, at least one, got [${it.seeds.join(', ')}]`);
  checkShifted(study, it.shifted, where);
  for (const run of it.runs) if (OBJECTIVES[run.method].data === 'pairs') throw new UsageError(`${where}: '${run.method}' trains on pairs; the rounds train on positives`);
  checkMeasureSettings(it.measures, study.profile.world.splits.val);
  return it;
}

/** A chain's label, the same in every table and figure: `iterate: ipa-halo (beta 6000, no clip)`. */
export function iterateLabel(study: Study, run: RegimeRun): string {
  return regimeLabel(study, run).replace(/^regime:/, 'iterate:');
}

/** One round of one chain on one split: its selection, and its end model's scores there against the base's. */
export interface IterateRow {
  run: string;
  seed: number;
  round: number;
  /** Candidates judged, judged good (acceptance) and kept. */
  candidates: number;
  acceptance: number | null;
  positives: number;
  /** The round's end model on `split` (the eval split, or a shifted split's name): SSIM-Hand, and its paired gain over the base with the 95% interval. */
  split: string;
  ssimHand: number | null;
  gainSsimHand: number | null;
  gainLow: number | null;
  gainHigh: number | null;
  /** Full-frame SSIM's paired gain over the base. */
  gainSsim: number | null;
  /** Why the round did not train (no positives), else absent. */
  skipped?: string;
}

/** What the stage returns: a row per chain, round and split, each chain's measures over cumulative steps, and the last round's quality contrasts. */
export interface IterateResults {
  rows: IterateRow[];
  /** Per chain: the measures at step 0 (the base) and after each round (step = rounds so far x steps). */
  measures: MeasureRun[];
  /** Pairs to contrast: every chain against the base, and each chain with a reference against its SFT twin. */
  pairs: { a: string; b: string }[];
  /** SSIM-Hand at each chain's last round, per split (eval and shifted), for every pair: paired by clip, seeds pooled. */
  quality: ScoreContrast[];
}

/** Candidates, judgments and positives of one model (cached by its weights). */
async function roundSelection(study: Study, it: IterateProfile, modelDir: string, detector: DetectorInfo) {
  const { world } = worldStage(study);
  const sha = readModelCheckpointMeta(modelDir).files['weights.bin'].sha256;
  const dir = workPath(study, 'iterate', 'models', sha.slice(0, 12));
  const candidatesDir = path.join(dir, 'candidates');
  const gens = await sampleSplit(study, { baseDir: modelDir }, 'train', candidatesDir, {
    candidates: study.profile.selection.candidatesPerInput,
    rows: it.inputs,
    label: `candidates (model ${sha.slice(0, 8)})`,
  });
  const selDir = path.join(dir, 'selection');
  const evidence = cachedEvidence(selDir, gens, world.splits.train, detector);
  const args = { evidence, thresholds: study.profile.selection.judge, maxPositives: it.maxPositives, override: null };
  const r = selectFromEvidence(args);
  const positivesFile = path.join(selDir, 'positives.json');
  writePositives(positivesFile, candidatesDir, gens, args, r);
  return { positivesFile, candidates: gens.manifest.count, acceptance: premiseReport(r.judgments).acceptance, positives: r.selection.positives.length };
}

/** A chain's name in folders and job names: `ipa-halo-beta6000-clip0.s2` (its regime job name without prefix). */
function chainName(run: RegimeRun, seed: number): string {
  return regimeJobName(run, seed).replace(/^regime-/, '');
}

/** The job of one chain's round: the run's settings for `steps` steps, probed and measured, evaluated on the split. */
export function iterateJob(study: Study, it: IterateProfile, run: RegimeRun, round: number, seed: number): AlignJob {
  return {
    name: `iterate-r${round}-${chainName(run, seed)}`,
    group: 'iterate',
    method: run.method,
    seed,
    config: regimeConfig(study.profile.align, run, it.steps),
    selection: { maxPositives: null, annotationNoise: 0 },
    evalSplits: [it.evalSplit],
    probe: { samples: Math.min(8, it.maxPositives), draws: 1, measures: it.measures },
  };
}

/**
 * The whole stage: for each round, every chain's selection on its current model (one after another, each using
 * every worker), then the chains' training jobs side by side, then each chain's next model, scored on the eval split
 * and the shifted splits. Returns the rows, measures and quality contrasts, and writes the rows to
 * `<work>/iterate/rows.json`.
 */
export async function iterateStage(study: Study, base: BaseInfo, detector: DetectorInfo): Promise<IterateResults> {
  const it = iterateProfile(study);
  const p = study.profile;
  // The base on every split each round is scored on: the eval split and the shifted ones, keyed by the rows' split names.
  const baseScores: Record<string, ScoredSplit> = { ...(await evaluateStage(study, { label: 'base', baseDir: base.dir }, [it.evalSplit], detector)) };
  for (const s of it.shifted) baseScores[s.name] = await evaluateShifted(study, { label: 'base', baseDir: base.dir }, s);
  const inp = baseOnlyInputs(study, baseScores);
  const chains = it.runs.flatMap((run) =>
    it.seeds.map((seed) => ({ run, seed, label: iterateLabel(study, run), model: base.dir, points: [] as { step: number; measures: DriftMeasures }[], last: new Map<string, ScoredSplit>() })),
  );
  const rows: IterateRow[] = [];
  let active = chains;
  for (let round = 1; round <= it.rounds; round++) {
    const sel: Awaited<ReturnType<typeof roundSelection>>[] = [];
    for (const c of active) sel.push(await roundSelection(study, it, c.model, detector));
    const roundDir = (c: (typeof chains)[number]) => workPath(study, 'iterate', chainName(c.run, c.seed), `round-${round}`);
    const results: JobResult[] = await parallelMap(
      JOB_TASK,
      active.map((c, i) => ({
        job: iterateJob(study, it, c.run, round, c.seed),
        paths: {
          worldDir: study.paths.world,
          baseDir: c.model,
          positivesFile: sel[i].positivesFile,
          jobsDir: path.join(roundDir(c), 'jobs'),
          sampler: p.sampler,
          engine: studyEngine(study).engine,
          detector: { dir: detector.dir },
        } satisfies JobPaths,
      })),
      { workers: p.jobs, setup: backendSetup(), label: `iterate: round ${round} of ${it.rounds}`, unit: 'job' },
    );
    for (const [i, c] of active.entries()) {
      const job = results[i];
      const row = { run: c.label, seed: c.seed, round, candidates: sel[i].candidates, acceptance: sel[i].acceptance, positives: sel[i].positives };
      const blank = { ssimHand: null, gainSsimHand: null, gainLow: null, gainHigh: null, gainSsim: null };
      if (job.skipped || !job.measures) {
        rows.push({ ...row, split: it.evalSplit, ...blank, skipped: job.skipped ?? 'no measures' });
        continue;
      }
      if (round === 1) c.points.push({ step: 0, measures: job.measures['0'] });
      c.points.push({ step: round * it.steps, measures: job.measures[String(it.steps)] });
      // The next round's model: this round's start model with the trained weights (reused while it was merged from
      // this very adapter; a job that trained again is merged again).
      const next = path.join(roundDir(c), 'model');
      const adapterDir = path.join(roundDir(c), 'jobs', job.adapterDir);
      const adapterSha = readModelCheckpointMeta(adapterDir).files['weights.bin'].sha256;
      const merged = fs.existsSync(path.join(next, 'checkpoint.json')) ? (readModelCheckpointMeta(next).info.mergedFrom as { adapterWeightsSha256?: string } | undefined) : undefined;
      if (merged?.adapterWeightsSha256 !== adapterSha) saveMergedBase(c.model, adapterDir, next);
      c.model = next;
      // Its scores: the job's own evaluation on the eval split, and the merged model's on each shifted split.
      const own = loadScores(path.join(roundDir(c), 'jobs', job.scores[it.evalSplit]));
      const scored: [string, ScoredSplit | null][] = [[it.evalSplit, own]];
      for (const s of it.shifted) scored.push([s.name, await evaluateShifted(study, { label: `${chainName(c.run, c.seed)}.r${round}`, baseDir: next }, s)]);
      for (const [split, scores] of scored) {
        const g = scores ? pairedVsBase(inp, scores, split, 'ssimHand') : null;
        const gs = scores ? pairedVsBase(inp, scores, split, 'ssim') : null;
        if (scores) c.last.set(split, scores);
        rows.push({ ...row, split, ssimHand: g?.meanA ?? null, gainSsimHand: g?.mean ?? null, gainLow: g?.low ?? null, gainHigh: g?.high ?? null, gainSsim: gs?.mean ?? null });
      }
    }
    // A chain that could not train this round stops: its model did not change, so later rounds would repeat it.
    active = active.filter((_, i) => !results[i].skipped && results[i].measures);
    if (!active.length) break;
  }
  writeJsonAtomic(workPath(study, 'iterate', 'rows.json'), { rows });
  const pairs = iteratePairs(study, it);
  const last: ScoreRun[] = chains.flatMap((c) => [...c.last].map(([split, scores]) => ({ label: c.label, seed: c.seed, split, scores })));
  const ev = inp.settings.bootstrap;
  return {
    rows,
    measures: chains.map((c) => ({ label: c.label, seed: c.seed, points: c.points })),
    pairs,
    quality: scoreContrasts(last, baseScores, pairs, 'ssimHand', { seed: ev.seed, resamples: ev.resamples }),
  };
}

/** Every chain against the base, and each chain with a reference against its twin without one (study/curves referencePairs). */
export function iteratePairs(study: Study, it: IterateProfile): { a: string; b: string }[] {
  const label = (r: RegimeRun) => iterateLabel(study, r);
  return [...it.runs.map((r) => ({ a: label(r), b: 'base' })), ...referencePairs(it.runs, label)];
}
