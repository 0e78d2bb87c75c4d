/**
 * The study's results gathered from its folders for the report: the finished jobs, their stored scores, the
 * training logs and the selection, handed to report/results.ts as plain data.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobResult, readJobResult } from './job-run';
import { DataError } from '../core/errors';
import { ClipFeatureFn, ReferenceFeatures } from '../eval/frechet';
import { ScoredSplit, loadScores } from '../eval/score';
import { ResultInputs, ResultSettings, StepScores, SweepScores, TrainingCurve } from '../report/results';
import { readPositives } from '../select/positives';
import { readStepLog } from '../train/loop';
import { CURVE_METHODS, mainJobName, studyJobs, sweepPoints } from './jobs';
import { Study } from './study';
import { methodConfig } from './profiles';

/** Load a job's stored scores for a split. */
export function jobScores(study: Study, job: JobResult, split: string): ScoredSplit | null {
  const rel = job.scores[split];
  return rel ? storedScores(study, rel, job.name) : null;
}

/** A job's stored scores of the snapshot after `step` steps (jobs with snapshots), or null. */
export function jobSnapshotScores(study: Study, job: JobResult, step: number, split: string): ScoredSplit | null {
  const rel = job.snapshotScores?.[String(step)]?.[split];
  return rel ? storedScores(study, rel, job.name) : null;
}

/** Scores stored under `<work>/jobs/<rel>` (a folder a job's done.json lists; missing ones are a DataError). */
function storedScores(study: Study, rel: string, jobName: string): ScoredSplit {
  const dir = path.join(study.paths.work, 'jobs', rel);
  const scored = loadScores(dir);
  if (!scored) throw new DataError(`${path.join(dir, 'scores.json')} is missing (listed by job ${jobName})`);
  return scored;
}

/** The finished jobs of a study by name (reads each done.json). */
export function readJobs(study: Study): Record<string, JobResult> {
  const out: Record<string, JobResult> = {};
  for (const job of studyJobs(study.profile.align, study.profile.ablations, study.profile.eval)) {
    const file = path.join(study.paths.work, 'jobs', job.name, 'done.json');
    if (fs.existsSync(file)) out[job.name] = readJobResult(file);
  }
  return out;
}

/** Training logs of the main jobs (method, seed, records), for the curves. */
export function trainingCurves(study: Study): TrainingCurve[] {
  const out: TrainingCurve[] = [];
  for (const seed of study.profile.align.seeds) {
    for (const method of study.profile.align.methods) {
      const dir = path.join(study.paths.work, 'jobs', mainJobName(method, seed), 'train');
      if (fs.existsSync(path.join(dir, 'log.jsonl'))) out.push({ method, seed, records: readStepLog(dir) });
    }
  }
  return out;
}

/** The settings of the study's tables: its bootstrap, main-table methods and splits, sweep splits. */
export function resultSettings(study: Study): ResultSettings {
  const p = study.profile;
  return {
    profileName: study.profileName,
    worldSeed: study.worldSeed,
    bootstrap: { seed: p.eval.seed, resamples: p.eval.resamples },
    methods: [...p.align.methods],
    splits: [...p.eval.splits],
    sweepSplits: [...p.ablations.splits],
  };
}

/**
 * Everything the tables need, from the study's folders: for each main-table method the scores of its finished
 * (not skipped) jobs over the training seeds, in seed order; each sweep point's run; the selection.
 */
export function resultInputs(
  study: Study,
  given: { base: Record<string, ScoredSplit>; jobs: Record<string, JobResult>; reference?: Record<string, ReferenceFeatures>; clipFeatures?: ClipFeatureFn },
): ResultInputs {
  const p = study.profile;
  const scoresOf = (name: string, split: string): ScoredSplit | null => {
    const job = given.jobs[name];
    return job && !job.skipped ? jobScores(study, job, split) : null;
  };
  const runs: ResultInputs['runs'] = {};
  for (const method of p.align.methods) {
    runs[method] = {};
    for (const split of p.eval.splits) {
      runs[method][split] = p.align.seeds.map((seed) => scoresOf(mainJobName(method, seed), split)).filter((s): s is ScoredSplit => s !== null);
    }
  }
  const sweeps: SweepScores[] = sweepPoints(p.align, p.ablations, p.selection.maxPositives).map((pt) => {
    const byScore: Record<string, ScoredSplit> = {};
    for (const split of p.ablations.splits) {
      const s = scoresOf(pt.job, split);
      if (s) byScore[split] = s;
    }
    return { group: pt.group, value: pt.value, job: pt.job, runs: byScore };
  });
  const steps: StepScores[] = [];
  for (const method of CURVE_METHODS) {
    const job = given.jobs[mainJobName(method, p.align.seeds[0])];
    if (!job || job.skipped) continue;
    const at = (rel: Record<string, string>): Record<string, ScoredSplit> =>
      Object.fromEntries(Object.entries(rel).map(([split, dir]) => [split, storedScores(study, dir, job.name)]));
    for (const [step, rel] of Object.entries(job.snapshotScores ?? {})) steps.push({ method, step: Number(step), runs: at(rel) });
    if (job.snapshotScores) steps.push({ method, step: methodConfig(p.align, method).steps, runs: at(job.scores) });
  }
  const posFile = path.join(study.paths.work, 'selection', 'positives.json');
  return {
    settings: resultSettings(study),
    base: given.base,
    runs,
    sweeps,
    ...(steps.length ? { steps } : {}),
    ...(fs.existsSync(posFile) ? { selection: readPositives(posFile) } : {}),
    ...(given.reference ? { reference: given.reference } : {}),
    ...(given.clipFeatures ? { clipFeatures: given.clipFeatures } : {}),
  };
}

/** Inputs with the base's scores only (for one model compared with the base, outside the study's tables). */
export function baseOnlyInputs(study: Study, base: Record<string, ScoredSplit>, extra: { reference?: Record<string, ReferenceFeatures>; clipFeatures?: ClipFeatureFn } = {}): ResultInputs {
  return { settings: resultSettings(study), base, runs: {}, sweeps: [], ...extra };
}
