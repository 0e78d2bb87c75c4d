/**
 * The stages of a study, as the notebooks and `ipa-kit` call them. Each stage reads what the one before wrote
 * and skips work whose inputs are unchanged, so a run interrupted anywhere continues where it stopped.
 *
 * Folders under `<work>` (= data/runs/<profile>-<seed>/):
 *   candidates/                 the base model's candidates for every `train` input
 *   selection/                  evidence.json (what the judge saw), positives.json, cases
 *   models/base/<split>/        the base model's test generations (gen/) and scores (scores/)
 *   jobs/<name>/                one post-training run: train/ (log, adapter), eval/<split>/{gen,scores}
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { shardJobs, studyJobs } from './jobs';
import { AlignJob, JOB_TASK, JobPaths, JobResult } from '../align/run';
import { FrameDetector } from '../eval/evaluate';
import { ScoredSplit, scoreGenerations } from '../eval/score';
import { generateSplit } from '../model/sample-split';
import { Generations } from '../model/generations';
import { BaseInfo, ensureBase } from './base';
import { HandEvidence, VideoJudgment } from '../select/judge';
import { SelectionOverride } from '../select/override';
import { PositivesFile, candidateEvidence, readPositives, selectFromEvidence, writePositives } from '../select/positives';
import { World, buildWorld, getClip, loadWorldCached, worldHash } from '../world/store';
import { loadDetector } from '../perception/detector';
import { trainPerception } from '../perception/train';
import { ClipFeatureFn, ReferenceFeatures, featureStats } from '../eval/frechet';
import { bytesOf, readJson, sha256, writeFileAtomic, writeJsonAtomic } from '../core/files';
import { parallelMap } from '../core/pool';
import { backendSetup } from '../gpu/workers';
import { SplitName } from '../world/config';
import { Study } from './study';

/** Stage 0: the world (built when missing; every file's hash checked on load). */
export function worldStage(study: Study): { world: World; dir: string; built: boolean } {
  const r = buildWorld({ config: study.profile.world, name: study.profileName, seed: study.worldSeed, out: study.paths.world });
  return { world: loadWorldCached(study.paths.world), dir: study.paths.world, built: r.built };
}

/** Stage 1: the base model (shipped, or pretrained with --pretrain / for another world seed). */
export function baseStage(study: Study, opts: { stopAfter?: number } = {}): Promise<BaseInfo> {
  return ensureBase(study, opts);
}

export const workPath = (study: Study, ...parts: string[]) => path.join(study.paths.work, ...parts);

/**
 * Videos of a model (the base, or base + adapter) for every clip of a split with the profile's sampler, in
 * `outDir`; stored videos of the same weights, world and settings are reused.
 */
export function sampleSplit(
  study: Study,
  model: { baseDir: string; adapterDir?: string | null },
  split: SplitName,
  outDir: string,
  opts: { candidates?: number; label?: string; workers?: number } = {},
): Promise<Generations> {
  const { world } = worldStage(study);
  const s = study.profile.sampler;
  return generateSplit({
    world,
    worldDir: study.paths.world,
    split,
    baseDir: model.baseDir,
    adapterDir: model.adapterDir ?? null,
    candidates: opts.candidates ?? 1,
    steps: s.steps,
    seed: s.seed,
    batch: s.batch,
    outDir,
    label: opts.label,
    workers: opts.workers ?? study.profile.jobs,
  });
}

/** Stage 2a: candidates of the base model for every `train` input. */
export function candidatesStage(study: Study, base: BaseInfo, opts: { workers?: number } = {}): Promise<Generations> {
  return sampleSplit(study, { baseDir: base.dir }, 'train', workPath(study, 'candidates'), {
    candidates: study.profile.selection.candidatesPerInput,
    label: 'candidates',
    workers: opts.workers,
  });
}

/** Stage 2b: a model's test generations and scores (base: no adapter). */
export async function evaluateStage(
  study: Study,
  model: { label: string; baseDir: string; adapterDir?: string | null },
  splits: SplitName[],
  detector: { detector: FrameDetector; sha256: string } | null,
  opts: { workers?: number } = {},
): Promise<Record<string, ScoredSplit>> {
  const { world } = worldStage(study);
  const out: Record<string, ScoredSplit> = {};
  for (const split of splits) {
    const dir = workPath(study, 'models', model.label, split);
    const gens = await sampleSplit(study, model, split, path.join(dir, 'gen'), { label: `${model.label} ${split}`, workers: opts.workers });
    out[split] = scoreGenerations({ gens, split: world.splits[split], outDir: path.join(dir, 'scores'), detector: detector?.detector, detectorSha256: detector?.sha256 });
  }
  return out;
}

/** Stage 3: judge every candidate, select the implicit positives, analyse Cases 1-4; writes positives.json. */
export function selectionStage(
  study: Study,
  gens: Generations,
  detector: { detector: FrameDetector; sha256: string } | null,
  opts: { override?: SelectionOverride | null } = {},
): PositivesFile & { candidatesDir: string } {
  const { world } = worldStage(study);
  const dir = workPath(study, 'selection');
  const evidenceFile = path.join(dir, 'evidence.json');
  const key = sha256(JSON.stringify({ gens: gens.manifest.files['frames.u8'].sha256, detector: detector?.sha256 ?? '' }));
  const keyFile = path.join(dir, 'evidence.key');
  let evidence: HandEvidence[];
  if (fs.existsSync(evidenceFile) && fs.existsSync(keyFile) && fs.readFileSync(keyFile, 'utf8') === key) {
    evidence = readJson<HandEvidence[]>(evidenceFile);
  } else {
    evidence = candidateEvidence(gens, world.splits.train, detector?.detector);
    writeJsonAtomic(evidenceFile, evidence);
    fs.writeFileSync(keyFile, key);
  }
  const sel = study.profile.selection;
  const args = { evidence, thresholds: sel.judge, maxPositives: sel.maxPositives, override: opts.override ?? null };
  const file = path.join(dir, 'positives.json');
  const r = selectFromEvidence(args);
  writeJsonAtomic(path.join(dir, 'judgments.json'), r.judgments);
  writePositives(file, workPath(study, 'candidates'), gens, args, r);
  return readPositives(file);
}

/** The study's post-training jobs (optionally one group, one shard). */
export function jobsOf(study: Study, opts: { group?: 'main' | 'sweeps'; shard?: string } = {}): AlignJob[] {
  const all = studyJobs(study.profile.align, study.profile.ablations, study.profile.eval);
  const picked = opts.group === 'main' ? all.filter((j) => j.group === 'main') : opts.group === 'sweeps' ? all.filter((j) => j.group !== 'main') : all;
  return shardJobs(picked, opts.shard);
}

/** Stage 4/5: train and evaluate jobs, in parallel worker threads (finished jobs are skipped). */
export async function alignStage(
  study: Study,
  base: BaseInfo,
  jobs: AlignJob[],
  detectorDir: string | null,
  opts: { workers?: number } = {},
): Promise<JobResult[]> {
  const paths: JobPaths = {
    worldDir: study.paths.world,
    baseDir: base.dir,
    positivesFile: workPath(study, 'selection', 'positives.json'),
    jobsDir: workPath(study, 'jobs'),
    sampler: study.profile.sampler,
    detector: detectorDir ? { dir: detectorDir } : null,
  };
  return parallelMap(
    JOB_TASK,
    jobs.map((job) => ({ job, paths })),
    { workers: opts.workers ?? study.profile.jobs, setup: backendSetup(), label: 'post-training jobs', unit: 'job' },
  );
}

/** A loaded perception network as the evaluation's frame detector, with its weights' hash. */
export interface DetectorInfo {
  dir: string;
  detector: FrameDetector;
  sha256: string;
}

/**
 * The perception network of the study as a frame detector: the shipped one (`data/base/<profile>-<seed>/perception`),
 * or, with --pretrain or when none is shipped for this profile and world seed, one trained on the world's ground
 * truth into `<work>/perception/` (resuming an interrupted run).
 */
export async function detectorStage(study: Study): Promise<DetectorInfo> {
  const shipped = path.join(study.paths.shipped, 'perception');
  let dir = shipped;
  if (study.pretrain || !fs.existsSync(path.join(shipped, 'checkpoint.json'))) {
    const runDir = workPath(study, 'perception');
    dir = path.join(runDir, 'perception');
    if (!fs.existsSync(path.join(dir, 'checkpoint.json'))) {
      await trainPerception({ config: study.profile.perception, worldSeed: study.worldSeed, world: study.profile.world, seed: 1, outDir: runDir, resume: true, info: { profile: study.profileName } });
    }
  }
  return loadDetector(dir);
}

/**
 * Reference features for the Frechet distances: the detector's features of the ground-truth frames of a split
 * (frame level) and their clip features. Cached in `<work>/reference/<split>/` with the detector's hash.
 */
export function referenceStage(
  study: Study,
  detector: { detector: FrameDetector; sha256: string },
  splits: SplitName[],
  clipFeatures: ClipFeatureFn,
): Record<string, ReferenceFeatures> {
  const { world } = worldStage(study);
  const out: Record<string, ReferenceFeatures> = {};
  for (const split of splits) {
    const d = world.splits[split];
    const F = d.numFrames;
    const dim = detector.detector.featureDim;
    const dir = workPath(study, 'reference', split);
    const file = path.join(dir, 'features.f32');
    const keyFile = path.join(dir, 'key');
    const key = sha256(JSON.stringify({ detector: detector.sha256, world: worldHash(world.manifest), split }));
    let feats: Float32Array;
    if (fs.existsSync(file) && fs.existsSync(keyFile) && fs.readFileSync(keyFile, 'utf8') === key) {
      const buf = fs.readFileSync(file);
      const copy = new Uint8Array(buf.byteLength);
      copy.set(buf);
      feats = new Float32Array(copy.buffer);
    } else {
      feats = new Float32Array(d.count * F * dim);
      for (let i = 0; i < d.count; i++) feats.set(detector.detector.detect(getClip(d, i).frames, F).features, i * F * dim);
      writeFileAtomic(file, bytesOf(feats));
      writeFileAtomic(keyFile, key);
    }
    const cf = clipFeatures(feats, d.count, F);
    out[split] = { frame: featureStats(feats, d.count * F, dim, `reference ${split}`), clip: featureStats(cf.features, d.count, cf.dim, `reference ${split} clips`) };
  }
  return out;
}

/** The frame judgments of every candidate from the last selection (for galleries). */
export function readJudgments(study: Study): VideoJudgment[] {
  return readJson<VideoJudgment[]>(workPath(study, 'selection', 'judgments.json'));
}

/**
 * What the judge's thresholds are set against: the base model's generations of `val` (one per clip), scored
 * hand by hand, as quantiles of SSIM-Hand, PSNR-Hand and hand keypoint error over visible (frame, hand)
 * instances. The thresholds in the profile were chosen from these numbers (never from the test splits).
 */
export async function judgeCalibration(study: Study, base: BaseInfo, detector: DetectorInfo): Promise<{ quantile: number; ssimHand: number; psnrHand: number; keypointErrorPx: number }[]> {
  const { world } = worldStage(study);
  const gens = await sampleSplit(study, { baseDir: base.dir }, 'val', workPath(study, 'models', 'base', 'val', 'gen'), { label: 'base val' });
  const ev = candidateEvidence(gens, world.splits.val, detector.detector);
  const ssim: number[] = [];
  const psnr: number[] = [];
  const kp: number[] = [];
  for (const e of ev) {
    for (const frame of e.hands) {
      for (const h of frame) {
        if (!h) continue;
        ssim.push(h.ssim);
        psnr.push(h.psnr);
        if (typeof h.keypointError === 'number') kp.push(h.keypointError);
      }
    }
  }
  const q = (v: number[], p: number) => {
    const a = [...v].sort((x, y) => x - y);
    return a.length ? a[Math.min(a.length - 1, Math.floor(p * (a.length - 1)))] : NaN;
  };
  return [0.1, 0.25, 0.5, 0.75, 0.9].map((p) => ({ quantile: p, ssimHand: q(ssim, p), psnrHand: q(psnr, p), keypointErrorPx: q(kp, 1 - p) }));
}
