/**
 * The curves of a profile with `curves` (notebook 07): its jobs run through the study's job stage, and their
 * stored results gathered for report/curves.ts: the drift runs' snapshots (scores and drift probe) and the
 * annotation-cost points (scores and what each method needed of the judge).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobResult, pairsOf, readJobResult } from './job-run';
import { OBJECTIVES } from '../align/objectives';
import { DataError } from '../core/errors';
import { ScoredSplit } from '../eval/score';
import { CostScores, DriftRun } from '../report/curves';
import { ResultInputs, StepScores } from '../report/results';
import { readPositives } from '../select/positives';
import { costPoints, curveJobs, driftJobName } from './jobs';
import { methodConfig, CurvesProfile } from './profiles';
import { jobScores } from './results';
import { Study } from './study';
import type { AlignJob } from './job-run';

/** The study's curves settings; a profile without them is a DataError naming the one that has them. */
export function curvesOf(study: Study): CurvesProfile {
  const c = study.profile.curves;
  if (!c) throw new DataError(`profile '${study.profileName}' has no curves: run them with --profile extended`);
  return c;
}

/** The curve jobs of a study (drift runs, annotation budgets and the main runs the full budgets read). */
export function studyCurveJobs(study: Study): AlignJob[] {
  const p = study.profile;
  return curveJobs(curvesOf(study), p.align, p.ablations, p.eval, p.world.splits.train);
}

/** What the curve tables read: the base's scores (inputs.base), the drift runs as step scores, the probes, the costs. */
export interface CurveResults {
  /** inputs.steps holds every drift run's snapshots, labelled like the DriftRun. */
  inputs: ResultInputs;
  drift: DriftRun[];
  costs: CostScores[];
  /** Curve jobs not finished (or skipped), by name, with why. */
  missing: { job: string; why: string }[];
}

/** Read a finished job's done.json, or null. */
function done(study: Study, name: string): JobResult | null {
  const file = path.join(study.paths.work, 'jobs', name, 'done.json');
  return fs.existsSync(file) ? readJobResult(file) : null;
}

/** The judged samples behind a job's pairs: every candidate of each input its pairs come from. */
function pairAnnotations(study: Study, job: JobResult, method: keyof typeof OBJECTIVES): number {
  const o = OBJECTIVES[method];
  if (o.data !== 'pairs') return job.positives;
  const own = path.join(study.paths.work, 'jobs', job.dir, 'positives.json');
  const pos = readPositives(fs.existsSync(own) ? own : path.join(study.paths.work, 'selection', 'positives.json'));
  return new Set(pairsOf(pos, o.pairing).map((q) => q.inputId)).size * study.profile.selection.candidatesPerInput;
}

/** Gather the curves from the study's folders; `inputs` carries the base's scores and the report settings. */
export function curveResults(study: Study, inputs: ResultInputs): CurveResults {
  const c = curvesOf(study);
  const p = study.profile;
  const seed = p.align.seeds[0];
  const missing: CurveResults['missing'] = [];
  const scoresAt = (job: JobResult, rel: Record<string, string>): Record<string, ScoredSplit> =>
    Object.fromEntries(Object.keys(rel).map((split) => [split, jobScores(study, { ...job, scores: rel }, split) as ScoredSplit]));

  const steps: StepScores[] = [];
  const drift: DriftRun[] = [];
  const runs = [...c.drift.methods.map((m) => ({ method: m, beta: undefined as number | undefined })), ...c.drift.betas.map((b) => ({ method: 'ipa-halo' as const, beta: b }))];
  for (const r of runs) {
    const name = driftJobName(r.method, seed, r.beta);
    const job = done(study, name);
    if (!job || job.skipped) {
      missing.push({ job: name, why: job?.skipped ?? 'not run yet' });
      continue;
    }
    const beta = r.beta ?? methodConfig(p.align, r.method).beta;
    const label = `${r.method} (beta ${beta})`;
    for (const [step, rel] of Object.entries(job.snapshotScores ?? {})) steps.push({ method: label, step: Number(step), runs: scoresAt(job, rel) });
    steps.push({ method: label, step: c.drift.steps, runs: scoresAt(job, job.scores) });
    if (job.drift) drift.push({ label, points: Object.entries(job.drift).map(([step, probe]) => ({ step: Number(step), probe })) });
  }

  const costs: CostScores[] = [];
  for (const pt of costPoints(c, seed, p.world.splits.train)) {
    const job = done(study, pt.job);
    if (!job || job.skipped) {
      missing.push({ job: pt.job, why: job?.skipped ?? 'not run yet' });
      continue;
    }
    const runs: Record<string, ScoredSplit> = {};
    for (const split of c.annotation.splits) {
      const s = jobScores(study, job, split);
      if (s) runs[split] = s;
    }
    const pairs = OBJECTIVES[pt.method].data === 'pairs';
    costs.push({
      method: pt.method,
      judgedInputs: pt.judgedInputs,
      judgedCandidates: pt.judgedInputs * p.selection.candidatesPerInput,
      annotations: pairAnnotations(study, job, pt.method),
      trainedOn: pairs ? job.pairs : job.positives,
      runs,
    });
  }
  return { inputs: { ...inputs, steps }, drift, costs, missing };
}
