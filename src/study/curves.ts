/**
 * The curves of a profile with `curves` (notebook 07): its jobs run through the study's job stage, and their
 * stored results gathered for report/curves.ts: the drift runs' snapshots (scores and drift probe) and the
 * annotation-cost points (scores and what each method needed of the judge).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { JobResult, pairsOf, readJobResult } from './job-run';
import { AlignMethod, OBJECTIVES } from '../align/objectives';
import { DataError } from '../core/errors';
import { ScoredSplit } from '../eval/score';
import { CostScores, DriftRun, MeasureRun } from '../report/curves';
import { ResultInputs, StepScores } from '../report/results';
import { readPositives } from '../select/positives';
import { costPoints, curveJobs, driftJobName, regimeConfig, regimeJobName } from './jobs';
import type { RegimeRun } from './profiles';
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
  /** The drift measures of the drift runs (seed 1) and of every regime run and seed. */
  measures: MeasureRun[];
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

/** The drift runs of a study (each method, then IPA+HALO at each further beta) with their labels: `sft (beta 600)`. */
function driftRuns(study: Study): { method: AlignMethod; beta: number | undefined; label: string }[] {
  const c = curvesOf(study);
  const runs = [...c.drift.methods.map((m) => ({ method: m, beta: undefined as number | undefined })), ...c.drift.betas.map((b) => ({ method: 'ipa-halo' as const, beta: b }))];
  return runs.map((r) => ({ ...r, label: `${r.method} (beta ${r.beta ?? methodConfig(study.profile.align, r.method).beta})` }));
}

/** A job's drift probe, and its drift measures, as points by step (done.json keys them by step). */
const probePoints = (rec: NonNullable<JobResult['drift']>): DriftRun['points'] => Object.entries(rec).map(([step, probe]) => ({ step: Number(step), probe }));
const measurePoints = (rec: NonNullable<JobResult['measures']>): MeasureRun['points'] => Object.entries(rec).map(([step, measures]) => ({ step: Number(step), measures }));

/** A regime run's label, the same for its seeds: `regime: ipa (beta 6000, no clip)`. */
export function regimeLabel(study: Study, run: RegimeRun): string {
  const c = regimeConfig(study.profile.align, run, 1);
  const tags = [
    `beta ${c.beta}`,
    ...(c.clipNorm === 0 ? ['no clip'] : run.clipNorm !== undefined ? [`clip ${c.clipNorm}`] : []),
    ...(c.lora ? [`LoRA ${c.lora.rank}`] : []),
    ...(run.lr !== undefined ? [`lr ${c.lr}`] : []),
  ];
  return `regime: ${run.method} (${tags.join(', ')})`;
}

/**
 * The comparisons of the drift measures a study reports: every measured run against its base (step 0), and each
 * regime run of IPA against the regime's SFT run (IPA+HALO against SFT+HALO) of the same clipping and adapter:
 * whether the reference term holds what plain likelihood loses.
 */
export function measurePairs(study: Study): { a: string; b: string }[] {
  const c = curvesOf(study);
  const labels = [...driftRuns(study).map((r) => r.label), ...(c.regime?.runs ?? []).map((r) => regimeLabel(study, r))];
  return [...labels.map((a) => ({ a, b: 'base' })), ...referencePairs(c.regime?.runs ?? [], (r) => regimeLabel(study, r))];
}

/**
 * Each run with a reference term against its twin without one: the same HALO, clipping, adapter and lr (IPA+HALO
 * against SFT+HALO, IPA without the clip against SFT without it).
 */
export function referencePairs(runs: readonly RegimeRun[], label: (run: RegimeRun) => string): { a: string; b: string }[] {
  const pairs: { a: string; b: string }[] = [];
  for (const run of runs) {
    const o = OBJECTIVES[run.method];
    if (!o.reference) continue;
    const sft = runs.find((q) => !OBJECTIVES[q.method].reference && OBJECTIVES[q.method].halo === o.halo && q.clipNorm === run.clipNorm && q.loraRank === run.loraRank && q.lr === run.lr);
    if (sft) pairs.push({ a: label(run), b: label(sft) });
  }
  return pairs;
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
  const measures: MeasureRun[] = [];
  for (const r of driftRuns(study)) {
    const name = driftJobName(r.method, seed, r.beta);
    const job = done(study, name);
    if (!job || job.skipped) {
      missing.push({ job: name, why: job?.skipped ?? 'not run yet' });
      continue;
    }
    const label = r.label;
    for (const [step, rel] of Object.entries(job.snapshotScores ?? {})) steps.push({ method: label, step: Number(step), runs: scoresAt(job, rel) });
    steps.push({ method: label, step: c.drift.steps, runs: scoresAt(job, job.scores) });
    if (job.drift) drift.push({ label, points: probePoints(job.drift) });
    if (job.measures) measures.push({ label, seed, points: measurePoints(job.measures) });
  }
  const r = c.regime;
  for (const s of r?.seeds ?? []) {
    for (const run of r?.runs ?? []) {
      const name = regimeJobName(run, s);
      const job = done(study, name);
      if (!job || job.skipped) {
        missing.push({ job: name, why: job?.skipped ?? 'not run yet' });
        continue;
      }
      const label = regimeLabel(study, run);
      steps.push({ method: `${label} s${s}`, step: (r as NonNullable<typeof r>).steps, runs: scoresAt(job, job.scores) });
      if (job.drift) drift.push({ label: `${label} s${s}`, points: probePoints(job.drift) });
      if (job.measures) measures.push({ label, seed: s, points: measurePoints(job.measures) });
    }
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
  return { inputs: { ...inputs, steps }, drift, measures, costs, missing };
}
