/**
 * The post-training jobs of a study: every (method, seed) of the main table, and the ablation sweeps (IPA+HALO
 * with one training seed): beta, hand weight, number of positives, annotation noise. A sweep point that equals
 * a main run (beta = the default, lambda = 1 -> `ipa`, lambda = the default -> `ipa-halo`, all positives, no
 * noise) is not run again: the sweep reads that run. Each job trains one adapter and evaluates it; its name
 * names its folder under `<work>/jobs/`. The list is plain data, in a fixed order, so `--shard i/n` splits it
 * the same way on every machine.
 */
import { UsageError } from '../core/errors';
import { AblationProfile, AlignProfile, CurvesProfile, EvalProfile, RegimeRun, methodConfig } from './profiles';
import { AlignJob, JobGroup } from './job-run';
import { AlignConfig } from '../align/trainer';
import { AlignMethod, OBJECTIVES } from '../align/objectives';

/** Where a sweep point reads its result: its own job, or the main run it coincides with. */
export interface SweepPoint {
  group: Exclude<JobGroup, 'main' | 'tune'>;
  value: number;
  job: string;
}

/** A setting's value as it appears in job and folder names (`0.1`, `200`). */
export function valueTag(v: number): string {
  return String(v).replace(/\.0+$/, '');
}

/** The methods whose first-seed main run is also evaluated over post-training steps (AlignProfile.curveSteps). */
export const CURVE_METHODS: readonly AlignMethod[] = ['ipa-halo', 'sft'];

/** The main-table job name of a method and seed. */
export function mainJobName(method: AlignMethod, seed: number): string {
  return `${method}.s${seed}`;
}

/**
 * Whether the main `ipa` run is IPA+HALO's settings at lambda = 1 (the same settings otherwise), so the hand-weight
 * sweep's lambda = 1 point may read it; with tuned settings of their own it is a sweep job like the others.
 */
export function ipaSharesHaloSettings(align: AlignProfile): boolean {
  const { method: _a, handWeight: _b, ...ipa } = methodConfig(align, 'ipa');
  const { method: _c, handWeight: _d, ...halo } = methodConfig(align, 'ipa-halo');
  return JSON.stringify(ipa) === JSON.stringify(halo);
}

/** All jobs of a study, in a fixed order: main runs first, then the sweeps. */
export function studyJobs(align: AlignProfile, ablations: AblationProfile, evalProfile: EvalProfile): AlignJob[] {
  const jobs: AlignJob[] = [];
  for (const seed of align.seeds) {
    for (const method of align.methods) {
      jobs.push({
        name: mainJobName(method, seed),
        group: 'main',
        method,
        seed,
        config: methodConfig(align, method),
        selection: { maxPositives: null, annotationNoise: 0 },
        evalSplits: evalProfile.splits,
        ...(seed === align.seeds[0] && CURVE_METHODS.includes(method) && align.curveSteps.length ? { snapshots: align.curveSteps } : {}),
      });
    }
  }
  const seed = align.seeds[0];
  const sweep = (group: Exclude<JobGroup, 'main' | 'tune'>, value: number, config: Partial<AlignConfig>, selection: AlignJob['selection']) =>
    jobs.push({
      name: `${group}-${valueTag(value)}.s${seed}`,
      group,
      method: 'ipa-halo',
      seed,
      config: { ...methodConfig(align, 'ipa-halo'), ...config },
      selection,
      evalSplits: ablations.splits,
    });
  for (const beta of ablations.betas) if (beta !== align.defaults.beta) sweep('beta', beta, { beta }, { maxPositives: null, annotationNoise: 0 });
  for (const hw of [...new Set([...ablations.handWeights, 1])]) {
    if (hw === align.defaults.handWeight || (hw === 1 && ipaSharesHaloSettings(align))) continue;
    sweep('hand-weight', hw, { handWeight: hw }, { maxPositives: null, annotationNoise: 0 });
  }
  for (const k of ablations.positives) sweep('positives', k, {}, { maxPositives: k, annotationNoise: 0 });
  for (const noise of ablations.annotationNoise) if (noise > 0) sweep('noise', noise, {}, { maxPositives: null, annotationNoise: noise });
  return jobs;
}

/** The points of each sweep, including those read from main runs. */
export function sweepPoints(align: AlignProfile, ablations: AblationProfile, maxPositives: number): SweepPoint[] {
  const seed = align.seeds[0];
  const halo = mainJobName('ipa-halo', seed);
  const pts: SweepPoint[] = [];
  const betas = [...new Set([...ablations.betas, align.defaults.beta])].sort((a, b) => a - b);
  for (const b of betas) pts.push({ group: 'beta', value: b, job: b === align.defaults.beta ? halo : `beta-${valueTag(b)}.s${seed}` });
  const hws = [...new Set([...ablations.handWeights, 1, align.defaults.handWeight])].sort((a, b) => a - b);
  for (const h of hws) {
    const own = `hand-weight-${valueTag(h)}.s${seed}`;
    pts.push({ group: 'hand-weight', value: h, job: h === 1 ? (ipaSharesHaloSettings(align) ? mainJobName('ipa', seed) : own) : h === align.defaults.handWeight ? halo : own });
  }
  const ks = [...new Set([...ablations.positives, maxPositives])].sort((a, b) => a - b);
  for (const k of ks) pts.push({ group: 'positives', value: k, job: k === maxPositives ? halo : `positives-${valueTag(k)}.s${seed}` });
  const noises = [...new Set([0, ...ablations.annotationNoise])].sort((a, b) => a - b);
  for (const n of noises) pts.push({ group: 'noise', value: n, job: n === 0 ? halo : `noise-${valueTag(n)}.s${seed}` });
  return pts;
}

/** A drift run's name: `drift-ipa-halo.s1`, or with another beta `drift-ipa-halo-beta2000.s1`. */
export function driftJobName(method: AlignMethod, seed: number, beta?: number): string {
  return `drift-${method}${beta === undefined ? '' : `-beta${valueTag(beta)}`}.s${seed}`;
}

/** A regime run's name: `regime-sft.s1`, with its overrides `regime-ipa-beta6000-clip0-lora8-lr0.006.s2`. */
export function regimeJobName(run: RegimeRun, seed: number): string {
  const tags = [
    run.beta === undefined ? '' : `-beta${valueTag(run.beta)}`,
    run.clipNorm === undefined ? '' : `-clip${valueTag(run.clipNorm)}`,
    run.loraRank === undefined ? '' : `-lora${run.loraRank}`,
    run.lr === undefined ? '' : `-lr${valueTag(run.lr)}`,
  ];
  return `regime-${run.method}${tags.join('')}.s${seed}`;
}

/** A regime run's settings: the method's, with the run's overrides (a LoRA rank r gets alpha r, the kit's scale 1). */
export function regimeConfig(align: AlignProfile, run: RegimeRun, steps: number): AlignConfig {
  const c = methodConfig(align, run.method);
  return {
    ...c,
    steps,
    ...(run.beta === undefined ? {} : { beta: run.beta }),
    ...(run.clipNorm === undefined ? {} : { clipNorm: run.clipNorm }),
    ...(run.lr === undefined ? {} : { lr: run.lr }),
    ...(run.loraRank === undefined ? {} : { lora: run.loraRank === 0 ? null : { rank: run.loraRank, alpha: run.loraRank } }),
  };
}

/** An annotation-cost run's name: `cost-ipa-halo-64.s1` (64 judged train inputs). */
export function costJobName(method: AlignMethod, judgedInputs: number, seed: number): string {
  return `cost-${method}-${judgedInputs}.s${seed}`;
}

/** Where an annotation-cost point reads its run: its own job, or the main run when every train input is judged. */
export interface CostPoint {
  method: AlignMethod;
  judgedInputs: number;
  job: string;
}

/** The annotation-cost points of a profile (`trainInputs`: the world's train split). */
export function costPoints(curves: CurvesProfile, seed: number, trainInputs: number): CostPoint[] {
  const budgets = [...new Set([...curves.annotation.judgedInputs, trainInputs])].sort((a, b) => a - b);
  for (const n of budgets) if (!(Number.isInteger(n) && n >= 1 && n <= trainInputs)) throw new UsageError(`curves.annotation: ${n} judged inputs is not in 1..${trainInputs}`);
  return curves.annotation.methods.flatMap((method) =>
    budgets.map((n) => ({ method, judgedInputs: n, job: n === trainInputs ? mainJobName(method, seed) : costJobName(method, n, seed) })),
  );
}

/**
 * The jobs of the curves (CurvesProfile): the regime's runs on every seed (first: they answer the central question),
 * each drift run (first seed: steps, snapshots and the probe), each annotation budget below all, and the main runs the
 * full budgets read (the same jobs as the main table's, so a study that ran them reuses them).
 */
export function curveJobs(curves: CurvesProfile, align: AlignProfile, ablations: AblationProfile, evalProfile: EvalProfile, trainInputs: number): AlignJob[] {
  const seed = align.seeds[0];
  const d = curves.drift;
  const jobs: AlignJob[] = [];
  const main = { maxPositives: null, annotationNoise: 0 };
  const drift = (method: AlignMethod, beta?: number) =>
    jobs.push({
      name: driftJobName(method, seed, beta),
      group: 'drift',
      method,
      seed,
      config: { ...methodConfig(align, method), steps: d.steps, ...(beta === undefined ? {} : { beta }) },
      selection: main,
      evalSplits: d.splits,
      snapshots: d.snapshots,
      snapshotSplits: d.snapshotSplits,
      probe: d.probe,
    });
  const r = curves.regime;
  if (r) {
    if (!(Number.isInteger(r.positives) && r.positives >= 1)) throw new UsageError(`curves.regime: positives must be a positive integer, got ${r.positives}`);
    for (const s of r.snapshots) if (!(Number.isInteger(s) && s >= 1 && s < r.steps)) throw new UsageError(`curves.regime: snapshot ${s} is not a step in 1..${r.steps - 1}`);
    for (const s of r.seeds) {
      for (const run of r.runs) {
        if (OBJECTIVES[run.method].data === 'pairs') throw new UsageError(`curves.regime: '${run.method}' trains on pairs; the regime's runs train on positives`);
        jobs.push({
          name: regimeJobName(run, s),
          group: 'regime',
          method: run.method,
          seed: s,
          config: regimeConfig(align, run, r.steps),
          selection: { maxPositives: r.positives, annotationNoise: 0 },
          evalSplits: r.splits,
          snapshots: r.snapshots,
          snapshotSplits: [],
          probe: d.probe,
        });
      }
    }
  }
  for (const method of d.methods) drift(method);
  for (const beta of d.betas) drift('ipa-halo', beta);
  for (const pt of costPoints(curves, seed, trainInputs)) {
    if (pt.judgedInputs === trainInputs) {
      // The main table's job itself (snapshots included), so its folder and done.json are shared, never redone.
      const same = studyJobs(align, ablations, evalProfile).find((j) => j.name === pt.job);
      if (!same) throw new UsageError(`curves.annotation: '${pt.method}' is not a method of the main table, whose run the full budget reads`);
      jobs.push(same);
    } else {
      jobs.push({ name: pt.job, group: 'annotation', method: pt.method, seed, config: methodConfig(align, pt.method), selection: { ...main, judgedInputs: pt.judgedInputs }, evalSplits: curves.annotation.splits });
    }
  }
  return jobs;
}

/** Parse `--shard i/n` (1-based i); returns the jobs of that shard (every n-th job starting at i-1). */
export function shardJobs<T>(jobs: T[], shard: string | undefined): T[] {
  if (!shard) return jobs;
  const m = /^(\d+)\/(\d+)$/.exec(shard);
  if (!m) throw new UsageError(`--shard must look like i/n (e.g. 2/4), got '${shard}'`);
  const i = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || i < 1 || i > n) throw new UsageError(`--shard ${shard}: need 1 <= i <= n`);
  return jobs.filter((_, k) => k % n === i - 1);
}

/** A tuning run's name: its method and learning rate (`tune-ipa-halo-lr0.0002.s1`); its steps are the grid's. */
export function tuningJobName(method: AlignMethod, lr: number, seed: number): string {
  return `tune-${method}-lr${valueTag(lr)}.s${seed}`;
}

/**
 * The tuning runs (first seed, evaluated on `val` only): one per (method, lr) of the grid, trained to the largest
 * step count with the method's settings otherwise, and snapshots at the other step counts.
 */
export function tuningJobs(align: AlignProfile): AlignJob[] {
  const seed = align.seeds[0];
  const g = align.tuning;
  const steps = [...new Set(g.steps)].sort((a, b) => a - b);
  if (!steps.length || !g.lrs.length || !g.methods.length) throw new UsageError('align.tuning: the grid needs methods, learning rates and step counts');
  for (const n of steps) if (!(Number.isInteger(n) && n >= 1)) throw new UsageError(`align.tuning: step count ${n} is not a positive integer`);
  for (const lr of g.lrs) if (!(lr > 0 && Number.isFinite(lr))) throw new UsageError(`align.tuning: learning rate ${lr} is not > 0`);
  const last = steps[steps.length - 1];
  return g.methods.flatMap((method) =>
    g.lrs.map((lr) => {
      const c = methodConfig(align, method);
      return {
        name: tuningJobName(method, lr, seed),
        group: 'tune' as const,
        method,
        seed,
        config: { ...c, lr, steps: last, checkpointEvery: Math.min(c.checkpointEvery, last) },
        selection: { maxPositives: null, annotationNoise: 0 },
        evalSplits: ['val'],
        ...(steps.length > 1 ? { snapshots: steps.slice(0, -1), snapshotSplits: ['val'] } : {}),
      };
    }),
  );
}
