/**
 * Running a post-training job (the study's orchestration of align/'s trainer, so it lives in study/): build its training data (the positives or strict pairs of its selection variant,
 * from the stored candidates), train the adapter (resumable), then generate and score its evaluation splits.
 * `<work>/jobs/<name>/done.json` records what the job depended on (hashes) and where its results are; a job
 * whose dependencies are unchanged is skipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadDetector } from '../perception/detector';
import { loadScores, scoreGenerations } from '../eval/score';
import { EngineName } from '../model/engine';
import { generateSplit } from '../model/sample-split';
import { loadGenerations, videoAt } from '../model/generations';
import { readModelCheckpointMeta } from '../model/checkpoint';
import { loadBase, loadModel } from '../model/load';
import { paramsFromDict } from '../model/checkpoint';
import { TensorDict, snapshot } from '../train/checkpoint';
import * as tf from '@tensorflow/tfjs';
import { DriftMeasures, DriftPoint, driftProbe } from '../align/drift';
import { DRIFT_MEASURES_SHAPE, MeasureSettings, measureModel } from './drift-measures';
import { sha256, writeJsonAtomic } from '../core/files';
import { DataError } from '../core/errors';
import { checkSeal, count, number, object, optional, readJsonShape, record, sealed, string } from '../core/json';
import { TaskContext, defineTask } from '../core/pool';
import { PositivesFile, readEvidence, readPositives, selectFromEvidence, writePositives } from '../select/positives';
import type { StrictPair } from '../select/cases';
import { SplitData, getClip, loadWorldCached, worldHash } from '../world/store';
import { handMaskOnGrid } from '../align/masks';
import { AlignMethod, OBJECTIVES } from '../align/objectives';
import { AlignConfig, AlignPair, AlignSample, alignTrain } from '../align/trainer';
import { SplitName } from '../world/config';

export type JobGroup = 'main' | 'beta' | 'hand-weight' | 'positives' | 'noise' | 'tune' | 'premise' | 'drift' | 'regime' | 'annotation' | 'iterate';

/** One post-training job: a method and seed with its settings, the selection variant it trains on, and the
 * splits it is evaluated on (the study lists its jobs in study/jobs.ts). */
export interface AlignJob {
  name: string;
  group: JobGroup;
  method: AlignMethod;
  seed: number;
  config: AlignConfig;
  /**
   * Selection variant the job trains on: a cap on the positives, a share of judgments flipped, and an annotation
   * budget (only the first `judgedInputs` train inputs' candidates judged; absent: all).
   */
  selection: { maxPositives: number | null; annotationNoise: number; judgedInputs?: number };
  evalSplits: SplitName[];
  /** Steps before the last at which the adapter is also saved and evaluated (a curve over steps). */
  snapshots?: number[];
  /** Splits the snapshots are evaluated on (default `evalSplits`). */
  snapshotSplits?: SplitName[];
  /**
   * The drift probe (drift.ts) at every snapshot and at the end: `samples` implicit positives and as many
   * candidates judged bad (the losers of the relaxed pairs), `draws` noise draws each; with `measures`, also the
   * drift measures (study/drift-measures.ts) of the base (step 0), every snapshot and the end. Absent: no probe.
   */
  probe?: { samples: number; draws: number; measures?: MeasureSettings };
}

/** Everything a job reads, as paths (plain data: jobs run on worker threads). */
export interface JobPaths {
  worldDir: string;
  baseDir: string;
  /** The main selection's positives.json; its folder also holds evidence.json. */
  positivesFile: string;
  jobsDir: string;
  sampler: { steps: number; eta?: number; frameCorrelation?: number; seed: number; batch: number };
  /** The run's one engine (model/engine.ts): it trains the job and samples its evaluations. */
  engine: EngineName;
  /** Loads the frame detector in the worker (module path and folder), or null for none. */
  detector: { dir: string } | null;
}

export interface JobResult {
  name: string;
  dir: string;
  adapterDir: string;
  positives: number;
  pairs: number;
  trainSeconds: number;
  secondsPerStep: number;
  /** Scores folder per evaluated split. */
  scores: Record<string, string>;
  /** Scores folder per snapshot step and split (jobs with `snapshots`). */
  snapshotScores?: Record<string, Record<string, string>>;
  /** The drift probe per step (jobs with `probe`; the last step is the finished run). */
  drift?: Record<string, DriftPoint>;
  /** The drift measures per step, step 0 the base (jobs whose probe has `measures`). */
  measures?: Record<string, DriftMeasures>;
  dependsOn: string;
  /** Why the job trained nothing (no positives, or no strict pairs for Flow-DPO); absent when it ran. */
  skipped?: string;
  /** SHA-256 of the rest of the record (core/json.ts `sealed`): an edited done.json is detected. */
  sha256?: string;
}

const REWARD_GAP = object({ gap: number(), modelError: number(), referenceError: number() });

/** The shape of a job's done.json. */
const JOB_RESULT_SHAPE = object({
  name: string(),
  dir: string(),
  adapterDir: string(),
  positives: count,
  pairs: count,
  trainSeconds: number(),
  secondsPerStep: number(),
  scores: record(string()),
  snapshotScores: optional(record(record(string()))),
  drift: optional(record(object({ distance: number(), good: REWARD_GAP, bad: REWARD_GAP, margin: number() }))),
  measures: optional(record(DRIFT_MEASURES_SHAPE)),
  dependsOn: string(),
  skipped: optional(string()),
  sha256: optional(string()),
});

/**
 * Read a job's done.json: shape checked and its seal verified (an edited or unsealed record is a DataError that
 * names the job to run again).
 */
export function readJobResult(file: string): JobResult {
  const r = readJsonShape<JobResult>(file, JOB_RESULT_SHAPE);
  try {
    checkSeal(r as unknown as Record<string, unknown>, 'sha256', file);
  } catch (err) {
    throw new DataError(`${(err as Error).message}; job ${path.basename(path.dirname(file))} must run again (its next run redoes it)`);
  }
  return r;
}

/** Write a job's done.json, sealed by its SHA-256. */
export function writeJobResult(file: string, r: JobResult): void {
  writeJsonAtomic(file, sealed({ ...r, sha256: '' }, 'sha256'));
}

/**
 * A finished job's record, if it is whole and still current: sealed, depending on `dependsOn`, and every scores
 * folder it lists intact (hashes checked). An altered record or scores folder is reported in one line and the job
 * counts as not done (it is redone: training resumes from its last checkpoint, the evaluations run again).
 */
export function currentResult(doneFile: string, dependsOn: string, jobsDir: string, log: (line: string) => void): JobResult | null {
  if (!fs.existsSync(doneFile)) return null;
  let done: JobResult;
  try {
    done = readJobResult(doneFile);
    const folders = [...Object.values(done.scores), ...Object.values(done.snapshotScores ?? {}).flatMap((s) => Object.values(s))];
    for (const rel of folders) if (!loadScores(path.join(jobsDir, rel))) throw new DataError(`${path.join(jobsDir, rel, 'scores.json')} is missing`);
  } catch (err) {
    if (!(err instanceof DataError)) throw err;
    log(`job ${path.basename(path.dirname(doneFile))}: ${err.message.replace(/; job \S+ must run again.*$/, '')}; running it again`);
    return null;
  }
  return done.dependsOn === dependsOn ? done : null;
}

function sampleOf(key: string, clip: ReturnType<typeof getClip>, video: Uint8Array, grid: AlignJob['config']['maskGrid']): AlignSample {
  return {
    key,
    clip: { ref: clip.ref, refPose: clip.refPose, poses: clip.poses, frames: video },
    handMask: handMaskOnGrid(clip.handMasks, clip.size, grid.kind === 'patch' ? grid : { kind: 'pixel' }),
  };
}

/**
 * Training data of a positives file: each positive (or strict pair) is its candidate video with the input's
 * conditioning and HALO mask. The world is the one the candidates were generated on.
 */
export function loadTrainingData(pos: PositivesFile & { candidatesDir: string }, worldDir: string, grid: AlignJob['config']['maskGrid'], pairing: Pairing = 'strict'): { positives: AlignSample[]; pairs: AlignPair[] } {
  const world = loadWorldCached(worldDir);
  const gens = loadGenerations(pos.candidatesDir);
  if (gens.manifest.files['frames.u8'].sha256 !== pos.candidates.sha256) {
    throw new DataError(`the candidates in ${pos.candidatesDir} changed since the positives were selected: run the selection again`);
  }
  const train = world.splits.train as SplitData;
  const byId = new Map(gens.manifest.entries.map((e, i) => [e.id, i]));
  const sample = (id: string): AlignSample => {
    const i = byId.get(id);
    if (i === undefined) throw new DataError(`candidate '${id}' is not in ${pos.candidatesDir}`);
    return sampleOf(id, getClip(train, gens.manifest.entries[i].row), videoAt(gens, i), grid);
  };
  return { positives: pos.positives.map(sample), pairs: pairsOf(pos, pairing).map((sp) => ({ win: sample(sp.winner), lose: sample(sp.loser) })) };
}

/** Which pairs a pairs objective trains on (objectives.ts `pairing`). */
export type Pairing = 'strict' | 'relaxed';

/** The pairs of a positives file of one kind; a file written before relaxed pairs existed has none to give. */
export function pairsOf(pos: PositivesFile & { candidatesDir: string }, pairing: Pairing): StrictPair[] {
  if (pairing === 'strict') return pos.strictPairs;
  if (!pos.relaxedPairs) throw new DataError(`${pos.candidatesDir}: the positives file predates relaxed pairs; run the selection again (notebook 03)`);
  return pos.relaxedPairs;
}

/** The positives file of a job's selection variant (the main one, or one made from the stored evidence). */
function jobPositives(job: AlignJob, p: JobPaths, dir: string): PositivesFile & { candidatesDir: string } {
  const main = readPositives(p.positivesFile);
  if (job.selection.maxPositives === null && job.selection.annotationNoise === 0 && job.selection.judgedInputs === undefined) return main;
  const evidence = readEvidence(path.join(path.dirname(p.positivesFile), 'evidence.json'));
  const args = {
    evidence,
    thresholds: main.thresholds,
    maxPositives: job.selection.maxPositives ?? main.maxPositives,
    annotationNoise: job.selection.annotationNoise,
    noiseSeed: job.seed,
    ...(job.selection.judgedInputs !== undefined ? { judgedInputs: job.selection.judgedInputs } : {}),
  };
  const file = path.join(dir, 'positives.json');
  writePositives(file, main.candidatesDir, loadGenerations(main.candidatesDir), args, selectFromEvidence(args));
  return readPositives(file);
}

/** The pairs a method trains on ('strict' or 'relaxed'), or null for a method on positives. */
export function pairingOf(method: AlignMethod): Pairing | null {
  const o = OBJECTIVES[method];
  return o.data === 'pairs' ? o.pairing : null;
}

/** Run (or skip) one job; `ctx` reports generated clips for progress. */
export async function runJob(job: AlignJob, p: JobPaths, ctx?: TaskContext): Promise<JobResult> {
  const dir = path.join(p.jobsDir, job.name);
  fs.mkdirSync(dir, { recursive: true });
  const world = loadWorldCached(p.worldDir);
  const baseMeta = readModelCheckpointMeta(p.baseDir);
  const baseSha = baseMeta.files['weights.bin'].sha256;
  const pos = jobPositives(job, p, dir);
  const detector = p.detector ? loadDetector(p.detector.dir) : null;
  const pairing = pairingOf(job.method);
  const dependsOn = sha256(JSON.stringify({ job, baseSha, world: worldHash(world.manifest), positives: pos.positives, pairs: pairsOf(pos, pairing ?? 'strict'), candidates: pos.candidates.sha256, sampler: p.sampler, detector: detector?.sha256 ?? '' }));
  const doneFile = path.join(dir, 'done.json');
  const done = currentResult(doneFile, dependsOn, p.jobsDir, (l) => process.stderr.write(`${l}\n`));
  if (done) return done;

  const { positives, pairs } = loadTrainingData(pos, p.worldDir, job.config.maskGrid, pairing ?? 'strict');
  const empty = pairing ? (pairs.length ? null : `no ${pairing === 'strict' ? 'strict (Case 4)' : 'relaxed'} pairs among the candidates`) : positives.length ? null : 'no implicit positives were selected';
  if (empty) {
    const skipped: JobResult = { name: job.name, dir: path.relative(p.jobsDir, dir), adapterDir: '', positives: positives.length, pairs: pairs.length, trainSeconds: 0, secondsPerStep: 0, scores: {}, dependsOn, skipped: empty };
    writeJobResult(doneFile, skipped);
    return skipped;
  }
  const { weights } = loadBase(p.baseDir);
  const t0 = Date.now();
  const res = await alignTrain({
    config: job.config,
    seed: job.seed,
    base: { model: baseMeta.model, weights, weightsSha256: baseSha, worldHash: worldHash(world.manifest) },
    positives,
    pairs,
    outDir: path.join(dir, 'train'),
    resume: true,
    onMismatch: 'restart', // a job whose inputs changed trains again from the base
    info: { job: job.name, group: job.group },
    snapshots: job.snapshots,
    engine: p.engine, // the run's one engine trains as it samples (one intra-op thread: jobs run side by side)
  });
  if (!res.adapterDir) throw new Error(`job ${job.name}: training stopped early`);
  const trainSeconds = (Date.now() - t0) / 1000;

  // Generate and score every eval split with an adapter; its videos and scores go under `evalDir`.
  const evaluate = async (adapterDir: string, evalDir: string, splits: SplitName[]): Promise<Record<string, string>> => {
    const scores: Record<string, string> = {};
    for (const split of splits) {
      const g = await generateSplit({
        world,
        worldDir: p.worldDir,
        split,
        baseDir: p.baseDir,
        adapterDir,
        candidates: 1,
        steps: p.sampler.steps,
        eta: p.sampler.eta,
        frameCorrelation: p.sampler.frameCorrelation,
        seed: p.sampler.seed,
        batch: p.sampler.batch,
        outDir: path.join(evalDir, split, 'gen'),
        workers: 1,
        engine: p.engine,
        threads: 1, // jobs run side by side, one per core
      });
      ctx?.progress(g.manifest.count);
      const out = path.join(evalDir, split, 'scores');
      scoreGenerations({ gens: g, split: world.splits[split], outDir: out, detector: detector?.detector, detectorSha256: detector?.sha256 });
      scores[split] = path.relative(p.jobsDir, out);
    }
    return scores;
  };
  const scores = await evaluate(res.adapterDir, path.join(dir, 'eval'), job.evalSplits);
  const snapshotScores: Record<string, Record<string, string>> = {};
  for (const [step, snap] of Object.entries(res.snapshots)) snapshotScores[step] = await evaluate(snap, path.join(dir, `eval-step-${step}`), job.snapshotSplits ?? job.evalSplits);
  const adapters = { ...res.snapshots, [job.config.steps]: res.adapterDir };
  const drift = job.probe ? probeJob(job, p, pos, weights, adapters) : null;
  const measures = job.probe?.measures ? await measureJob(job, job.probe.measures, p, positives, dir, adapters) : null;
  const result: JobResult = {
    name: job.name,
    dir: path.relative(p.jobsDir, dir),
    adapterDir: path.relative(p.jobsDir, res.adapterDir),
    positives: positives.length,
    pairs: pairs.length,
    trainSeconds,
    secondsPerStep: res.loop.secondsPerStep,
    scores,
    ...(job.snapshots?.length ? { snapshotScores } : {}),
    ...(drift ? { drift } : {}),
    ...(measures ? { measures } : {}),
    dependsOn,
  };
  writeJobResult(doneFile, result);
  return result;
}

/** The drift probe (drift.ts) of a job's adapters by step: weight distance and implicit reward on good and bad samples. */
function probeJob(job: AlignJob, p: JobPaths, pos: PositivesFile & { candidatesDir: string }, base: TensorDict, adapters: Record<string, string>): Record<string, DriftPoint> {
  const probe = job.probe as NonNullable<AlignJob['probe']>;
  const { positives, pairs } = loadTrainingData(pos, p.worldDir, job.config.maskGrid, 'relaxed');
  const good = positives.slice(0, probe.samples);
  const bad = pairs.slice(0, probe.samples).map((q) => q.lose);
  if (!good.length || !bad.length) throw new DataError(`job ${job.name}: the drift probe needs positives and relaxed pairs`);
  const reference = paramsFromDict(base);
  const out: Record<string, DriftPoint> = {};
  try {
    for (const [step, adapterDir] of Object.entries(adapters)) {
      const m = loadModel(p.baseDir, adapterDir);
      try {
        out[step] = driftProbe({
          model: m.config, clipFrames: job.config.clipFrames, params: m.params, reference, base, tuned: snapshot(m.params), good, bad,
          draws: probe.draws, seed: job.seed, timesteps: job.config.timesteps, batch: job.config.batch,
        });
      } finally {
        tf.dispose(Object.values(m.params));
      }
    }
  } finally {
    tf.dispose(Object.values(reference));
  }
  return out;
}

/** The drift measures of a job's base (step 0) and adapters by step, each kept in `<dir>/measures-step-<S>/`. */
async function measureJob(job: AlignJob, settings: MeasureSettings, p: JobPaths, positives: AlignSample[], dir: string, adapters: Record<string, string>): Promise<Record<string, DriftMeasures>> {
  if (!positives.length) throw new DataError(`job ${job.name}: the drift measures need the job's positives (memorisation is the distance to them)`);
  const size = positives[0].clip.frames.length;
  const videos = new Uint8Array(positives.length * size);
  positives.forEach((s, i) => videos.set(s.clip.frames, i * size));
  const out: Record<string, DriftMeasures> = {};
  for (const [step, adapterDir] of [['0', null] as const, ...Object.entries(adapters)]) {
    // the same draws for every job and step (the sampler's seed, a fixed held-out seed), so runs pair input by input
    out[step] = await measureModel({ worldDir: p.worldDir, baseDir: p.baseDir, adapterDir, settings, sampler: p.sampler, engine: p.engine, positives: videos, outDir: path.join(dir, `measures-step-${step}`), seed: 1 });
  }
  return out;
}

/** A job with its paths: the input of the job task. */
export interface JobTaskInput {
  job: AlignJob;
  paths: JobPaths;
}

/** `runJob` as a worker-thread task. */
export function runJobTask(input: JobTaskInput, ctx: TaskContext): Promise<JobResult> {
  return runJob(input.job, input.paths, ctx);
}

/** The job task, for the worker pool. */
export const JOB_TASK = defineTask(__filename, 'runJobTask', runJobTask);
