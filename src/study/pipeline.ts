/**
 * The study in protocol order (docs/design.md, "Protocol"), the stages that the notebooks and `ipa-kit` call.
 * "Stage" means one of these functions and nothing else. Each reads what the one before returned, stores what it
 * makes under the study's folders, skips work whose inputs are unchanged (so a run interrupted anywhere continues
 * where it stopped), and hands a typed result to the next:
 *
 *   1 worldStage        study                        -> WorldInfo          clips with exact ground truth
 *   2 baseStage         study                        -> BaseInfo           the pretrained video model
 *   3 detectorStage     study                        -> DetectorInfo       the perception network (keypoints, FD features)
 *   4 candidatesStage   base                         -> Generations        4 candidates per `train` input
 *   5 judgeCalibration  base, detector               -> JudgeCalibrationInfo  val quantiles and the thresholds they suggest
 *   6 selectionStage    candidates, detector         -> StudySelection     frame judgments, implicit positives, Cases 1-4
 *   7 premiseStage      selection                    -> StudyPremise       does hand quality vary with the noise? (tables/premise)
 *   8 alignStage        base, jobs, detector         -> JobResult[]        post-trained adapters, scored on their splits
 *   9 evaluateStage     a model, splits, detector    -> ScoredSplit        per-clip scores of a model (the base here)
 *  10 referenceStage    detector, splits             -> ReferenceFeatures  ground-truth features for the FDs
 *  11 resultsStage      base, detector               -> ResultInputs       what the tables are computed from
 *  12 curvesStage       base, detector               -> CurveResults       drift and annotation-cost curves (extended profile)
 *
 * One clip from the world to a figure. The world (stage 1) renders clip `test-hands-00000` from the world seed: a
 * reference image, pose maps drawn like DWPose renders, ground-truth frames and hand masks. Every model draws it
 * from the same noise stream (`test-hands-00000#0`), so comparisons are paired: the base (stage 2) in stage 9, each
 * adapter in stage 8. Where did an adapter come from? From `train` clips such as `train-00000`: the base drew 4
 * candidates of it (stage 4, `train-00000#0..3`), the judge compared each generated frame's hands with the ground
 * truth (stage 6, thresholds from stage 5; stage 7 measures whether the 4 differ in their hands at all), and a
 * candidate whose frames all passed became an implicit positive that every method trained on (stage 8, one table
 * entry per method in align/objectives.ts). The scores of our clip (SSIM, PSNR, SSIM-Hand, hand keypoint error,
 * perception features; eval/score.ts) join the other clips' in stage 11, the tables of report/results.ts turn
 * them into means with bootstrap intervals and paired differences, and report/charts.ts draws
 * `figures/main-ssimHand.png`; notebook 05 also shows the clip itself in `figures/qualitative-test-hands-0.png`
 * (ground truth, base, IPA, IPA+HALO).
 *
 * Folders under `<work>` (= data/runs/<profile>-<seed>/):
 *   candidates/                 the base model's candidates for every `train` input
 *   selection/                  evidence.json (what the judge saw), judgments.json, positives.json (with the cases)
 *   models/base/<split>/        the base model's generations (gen/) and scores (scores/) of a split
 *   jobs/<name>/                one post-training run: train/ (log, adapter), eval/<split>/{gen,scores}
 *   reference/<split>/          the detector's features of the split's ground truth
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AlignJob, JOB_TASK, JobPaths, JobResult } from './job-run';
import { bytesOf, readJson, sha256, writeFileAtomic, writeJsonAtomic } from '../core/files';
import { parallelMap } from '../core/pool';
import { FrameDetector } from '../eval/evaluate';
import { ClipFeatureFn, ReferenceFeatures, featureStats } from '../eval/frechet';
import { ScoredSplit, scoreGenerations } from '../eval/score';
import { backendSetup } from '../gpu/workers';
import { Generations } from '../model/generations';
import { EngineReport, resolveEngine } from '../model/engine';
import { generateSplit } from '../model/sample-split';
import { modeThreshold, sampleMode } from '../model/mode';
import { clipFeatureFn, loadDetector } from '../perception/detector';
import { trainPerception } from '../perception/train';
import { ModeRegions, PremiseRow, premiseRows } from '../report/premise';
import { ResultInputs } from '../report/results';
import { writeTable } from '../report/tables';
import { HandEvidence, Judge, JudgeCalibration, KeypointJudge, VideoJudgment, acceptanceOf, acceptanceOfJudgments, calibrateJudge, checkKeypointJudge, judgeVideos } from '../select/judge';
import { JudgeAgreement, KeypointJudgeFit, fitKeypointJudge, judgeAgreement } from '../select/judge-fit';
import { DataError } from '../core/errors';
import { PremiseReport, premiseReport } from '../select/premise';
import { SelectionOverride } from '../select/override';
import { PositivesFile, candidateEvidence, readEvidence, readJudgmentsFile, readPositives, selectFromEvidence, writePositives } from '../select/positives';
import { SplitName } from '../world/config';
import { clipNoise } from '../model/sample';
import { decidedMode, noiseDraws } from '../model/coupling';
import { SplitData, World, buildWorld, getClip, loadWorldCached, worldHash } from '../world/store';
import { BaseInfo, ensureBase } from './base';
import { shardJobs, studyJobs } from './jobs';
import { readJobs, resultInputs } from './results';
import { CurveResults, curveResults, studyCurveJobs } from './curves';
import { Study } from './study';

/** The world of a study: loaded and verified, its folder, and whether this call built it. */
export interface WorldInfo {
  world: World;
  dir: string;
  built: boolean;
}



/** Stage 1: the world (built when missing; every file's hash checked on load). */
export function worldStage(study: Study): WorldInfo {
  // A profile sharing another's data (Profile.dataOf) builds the world under that profile's name: the name is part
  // of the world's manifest and hash, and a different one would rebuild the shared world and invalidate its runs.
  const r = buildWorld({ config: study.profile.world, name: study.profile.dataOf ?? study.profileName, seed: study.worldSeed, out: study.paths.world });
  return { world: loadWorldCached(study.paths.world), dir: study.paths.world, built: r.built };
}

/** Stage 2: the base model (shipped, or pretrained with --pretrain / for another world seed). */
export function baseStage(study: Study, opts: { stopAfter?: number } = {}): Promise<BaseInfo> {
  return ensureBase(study, opts);
}

/** A loaded perception network as the evaluation's frame detector, with its weights' hash. */
export interface DetectorInfo {
  dir: string;
  detector: FrameDetector;
  sha256: string;
}

/**
 * Stage 3: the perception network of the study as a frame detector: the shipped one (`data/base/<profile>-<seed>/perception`),
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

/** Stage 4: candidates of the base model for every `train` input (protocol step 1). */
export function candidatesStage(study: Study, base: BaseInfo, opts: { workers?: number } = {}): Promise<Generations> {
  return sampleSplit(study, { baseDir: base.dir }, 'train', workPath(study, 'candidates'), {
    candidates: study.profile.selection.candidatesPerInput,
    label: 'candidates',
    workers: opts.workers,
  });
}

/** One row of the judge calibration: a quantile of the per-hand scores. */
export interface JudgeQuantile {
  quantile: number;
  ssimHand: number;
  psnrHand: number;
  keypointErrorPx: number;
}

/** What the judge calibration found on val: per-hand quantiles, the suggested thresholds, the profile's. */
export interface JudgeCalibrationInfo {
  quantiles: JudgeQuantile[];
  /** `calibrateJudge` at the profile's target acceptance. */
  suggested: JudgeCalibration;
  /** The profile's thresholds and the val acceptance they give. */
  profile: { thresholds: SelectionThresholds; acceptance: number };
  /**
   * The learned keypoint judge fit on the same val evidence against the profile's thresholds (also written to
   * `<work>/selection/keypoint-judge.json`, which a 'keypoints' profile selects with); null when it cannot be fit
   * (`learnedError` says why: e.g. the oracle passes every val hand).
   */
  learned: KeypointJudgeFit | null;
  learnedError: string | null;
}

type SelectionThresholds = Study['profile']['selection']['judge'];

/**
 * Stage 5: what the judge's thresholds are set against: the base model's generations of `val` (one per clip), scored
 * hand by hand, as quantiles of SSIM-Hand, PSNR-Hand and hand keypoint error over visible (frame, hand)
 * instances, and the thresholds `calibrateJudge` suggests for the profile's target acceptance (never the test splits).
 */
export async function judgeCalibration(study: Study, base: BaseInfo, detector: DetectorInfo): Promise<JudgeCalibrationInfo> {
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
  const quantiles = [0.1, 0.25, 0.5, 0.75, 0.9].map((p) => ({ quantile: p, ssimHand: q(ssim, p), psnrHand: q(psnr, p), keypointErrorPx: q(kp, 1 - p) }));
  const sel = study.profile.selection;
  const { acceptance } = acceptanceOf(ev, sel.judge);
  // The learned judge needs hands the oracle passes and hands it fails; a profile that selects with it must get one.
  let learned: KeypointJudgeFit | null = null;
  let learnedError: string | null = null;
  try {
    learned = fitKeypointJudge(ev, sel.judge, { targetAcceptance: sel.targetAcceptance });
  } catch (err) {
    if (sel.judgeKind === 'keypoints') throw err;
    learnedError = (err as Error).message;
  }
  if (learned) writeJsonAtomic(keypointJudgeFile(study), learned);
  return { quantiles, suggested: calibrateJudge(ev, { targetAcceptance: sel.targetAcceptance }), profile: { thresholds: sel.judge, acceptance }, learned, learnedError };
}

function keypointJudgeFile(study: Study): string {
  return path.join(workPath(study, 'selection'), 'keypoint-judge.json');
}

/** The learned judge `judgeCalibration` wrote, checked; `missing` is the start of the error when the file is absent. */
function readKeypointJudge(study: Study, missing: string): KeypointJudge {
  const file = keypointJudgeFile(study);
  if (!fs.existsSync(file)) throw new DataError(`${missing}${file} is missing: run the judge calibration (notebook 03, judgeCalibration) first`);
  const judge = readJson<KeypointJudgeFit>(file).judge;
  try {
    checkKeypointJudge(judge);
  } catch (err) {
    throw new DataError(`${file}: ${(err as Error).message}`);
  }
  return judge;
}

/** The judge the study selects with (SelectionProfile.judgeKind): the oracle's thresholds, or the learned judge fit by `judgeCalibration`. */
export function studyJudge(study: Study): Judge {
  const sel = study.profile.selection;
  if ((sel.judgeKind ?? 'oracle') === 'oracle') return sel.judge;
  return readKeypointJudge(study, `profile '${study.profile.name}' selects with the keypoint judge, but `);
}

/** The learned keypoint judge's agreement with the oracle on the selection's candidates (the train split, held out from its val fit). */
export function keypointJudgeAgreement(study: Study): { judge: KeypointJudge; agreement: JudgeAgreement; acceptance: { oracle: number; learned: number } } {
  const judge = readKeypointJudge(study, '');
  const evidence = readEvidence(path.join(workPath(study, 'selection'), 'evidence.json'));
  const oracle = judgeVideos(evidence, study.profile.selection.judge);
  const learned = judgeVideos(evidence, judge);
  // 0 where no video was judged
  const share = (js: VideoJudgment[]) => {
    const a = acceptanceOfJudgments(js);
    return a.judgedVideos ? a.acceptance : 0;
  };
  return { judge, agreement: judgeAgreement(oracle, learned), acceptance: { oracle: share(oracle), learned: share(learned) } };
}

/** The selection a study trains on: positives.json as read back, with the candidates' folder. */
export type StudySelection = PositivesFile & { candidatesDir: string };

/**
 * Stage 6 (protocol steps 2 and 4): judge every candidate frame by frame, select the implicit positives, analyse
 * Cases 1-4; writes evidence.json, judgments.json and positives.json.
 */
export function selectionStage(
  study: Study,
  gens: Generations,
  detector: { detector: FrameDetector; sha256: string } | null,
  opts: { override?: SelectionOverride | null } = {},
): StudySelection {
  const { world } = worldStage(study);
  const dir = workPath(study, 'selection');
  const evidence = cachedEvidence(dir, gens, world.splits.train, detector);
  const sel = study.profile.selection;
  const args = { evidence, thresholds: studyJudge(study), maxPositives: sel.maxPositives, override: opts.override ?? null };
  const file = path.join(dir, 'positives.json');
  const r = selectFromEvidence(args);
  writeJsonAtomic(path.join(dir, 'judgments.json'), r.judgments);
  writePositives(file, workPath(study, 'candidates'), gens, args, r);
  return readPositives(file);
}

/**
 * What the judge sees of every candidate (per frame and hand: SSIM, PSNR, keypoint error), stored in
 * `<dir>/evidence.json` with a key of the candidates' and the detector's hashes, and reused while both are unchanged.
 */
export function cachedEvidence(dir: string, gens: Generations, split: SplitData, detector: { detector: FrameDetector; sha256: string } | null): HandEvidence[] {
  const evidenceFile = path.join(dir, 'evidence.json');
  const keyFile = path.join(dir, 'evidence.key');
  // `evidence: 2`: evidence with the hand pose scores (eval/handpose.ts) the learned judge reads.
  const key = sha256(JSON.stringify({ gens: gens.manifest.files['frames.u8'].sha256, detector: detector?.sha256 ?? '', evidence: 2 }));
  if (fs.existsSync(evidenceFile) && fs.existsSync(keyFile) && fs.readFileSync(keyFile, 'utf8') === key) return readEvidence(evidenceFile);
  const evidence = candidateEvidence(gens, split, detector?.detector);
  writeJsonAtomic(evidenceFile, evidence);
  fs.writeFileSync(keyFile, key);
  return evidence;
}

/** The premise of a study's selection: its metrics, the table's rows (also in `<results>/tables/premise.{csv,md}`), the judgments. */
export interface StudyPremise {
  report: PremiseReport;
  rows: PremiseRow[];
  judgments: VideoJudgment[];
  files: { csv: string; md: string };
}

/**
 * Stage 7 (protocol step 3): the premise metrics of the selection's candidates: the within-input share of the
 * variance of their hand scores, the inputs with both a good and a bad candidate, the strict (Case 4) pairs and the
 * acceptance, each next to its target, and for a mode-noise base the same by mode region (report/premise.ts); writes `<results>/tables/premise.{csv,md}`.
 */
export function premiseStage(study: Study, sel: Pick<StudySelection, 'cases'>): StudyPremise {
  const judgments = readJudgments(study);
  const evidenceFile = path.join(workPath(study, 'selection'), 'evidence.json');
  const rows = premiseRows(judgments, sel.cases, fs.existsSync(evidenceFile) ? readEvidence(evidenceFile) : undefined, studyModeRegions(study));
  const files = writeTable(rows, path.join(study.paths.results, 'tables', 'premise'));
  return { report: premiseReport(judgments), rows, judgments, files };
}

/**
 * The mode regions of the study's train candidates when its base has mode noise (profile.pretrain: the candidate's
 * mode), or noise coupling (the number of its (frame, hand) instances whose initial noise says "defective",
 * model/coupling.ts decidedMode; the defective region is one or more); else undefined.
 */
export function studyModeRegions(study: Study): ModeRegions | undefined {
  const p = study.profile.pretrain;
  if (p.noiseCoupling) {
    const shares = p.noiseCoupling.shares;
    const train = worldStage(study).world.splits.train;
    const rows = new Map(train.ids.map((id, i) => [id, i]));
    const s = study.profile.sampler;
    const { size: S, numFrames: F } = train;
    return {
      modeOf: (id) => {
        const row = rows.get(id.split('#')[0]);
        if (row === undefined) throw new Error(`studyModeRegions: '${id}' is not a train candidate`);
        const eps = clipNoise(s.seed, id, [F + 1, S, S, 3], s.frameCorrelation);
        return noiseDraws(eps, 0, S, F, getClip(train, row).handBoxes).filter((ab) => ab !== null && decidedMode(ab, shares) !== null).length;
      },
      threshold: 0.5,
    };
  }
  if (p.model.kind !== 'unet' || !p.model.modeNoise || p.modeShare === undefined) return undefined;
  const seed = study.profile.sampler.seed;
  return { modeOf: (id) => sampleMode(seed, id), threshold: modeThreshold(p.modeShare) };
}

/** The study's post-training jobs (optionally one group, one shard; 'curves': those of a profile with curves). */
export function jobsOf(study: Study, opts: { group?: 'main' | 'sweeps' | 'curves'; shard?: string } = {}): AlignJob[] {
  if (opts.group === 'curves') return shardJobs(studyCurveJobs(study), opts.shard);
  const all = studyJobs(study.profile.align, study.profile.ablations, study.profile.eval);
  const picked = opts.group === 'main' ? all.filter((j) => j.group === 'main') : opts.group === 'sweeps' ? all.filter((j) => j.group !== 'main') : all;
  return shardJobs(picked, opts.shard);
}

/** Stage 8 (protocol step 5): train and evaluate jobs, in parallel worker threads (finished jobs are skipped). */
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
    engine: studyEngine(study).engine,
    detector: detectorDir ? { dir: detectorDir } : null,
  };
  return parallelMap(
    JOB_TASK,
    jobs.map((job) => ({ job, paths })),
    { workers: opts.workers ?? study.profile.jobs, setup: backendSetup(), label: 'post-training jobs', unit: 'job' },
  );
}

/** Stage 9 (protocol step 6): a model's generations and per-clip scores on splits (base: no adapter). */
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

/**
 * Stage 10: reference features for the Frechet distances: the detector's features of the ground-truth frames of a split
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

/**
 * Stage 11: what the tables are computed from: the base's scores on the main-table and sweep splits, every
 * finished job's scores, the reference features (with a detector), the selection. report/results.ts turns them
 * into the main, ablation and sweep tables; report/charts.ts into figures; report/claims.ts into the summary.
 */
export async function resultsStage(study: Study, base: BaseInfo, detector: DetectorInfo | null): Promise<ResultInputs> {
  const p = study.profile;
  const splits = [...new Set([...p.eval.splits, ...p.ablations.splits])];
  const scores = await evaluateStage(study, { label: 'base', baseDir: base.dir }, splits, detector);
  const reference = detector ? referenceStage(study, detector, splits, clipFeatureFn) : undefined;
  return resultInputs(study, { base: scores, jobs: readJobs(study), reference: reference, clipFeatures: clipFeatureFn });
}

/**
 * Stage 12 (the extended profile, notebook 07): train and evaluate the curve jobs (long drift runs with their
 * snapshots and probes, annotation budgets), then gather them with the base's scores for report/curves.ts.
 */
export async function curvesStage(study: Study, base: BaseInfo, detector: DetectorInfo | null): Promise<CurveResults> {
  await alignStage(study, base, studyCurveJobs(study), detector?.dir ?? null);
  return curveResults(study, await resultsStage(study, base, detector));
}

// Helpers of the stages.

/** A path under the study's work folder. */
export const workPath = (study: Study, ...parts: string[]) => path.join(study.paths.work, ...parts);

/**
 * Videos of a model (the base, or base + adapter) for every clip of a split (or its first `rows`) with the profile's
 * sampler, in `outDir`; stored videos of the same weights, world and settings are reused.
 */
export function sampleSplit(
  study: Study,
  model: { baseDir: string; adapterDir?: string | null },
  split: SplitName,
  outDir: string,
  opts: { candidates?: number; rows?: number; label?: string; workers?: number; world?: { world: World; dir: string } } = {},
): Promise<Generations> {
  // the study's world unless another is given (study/shifted.ts: a shifted world's test split)
  const { world, dir } = opts.world ?? { world: worldStage(study).world, dir: study.paths.world };
  const s = study.profile.sampler;
  return generateSplit({
    world,
    worldDir: dir,
    split,
    baseDir: model.baseDir,
    adapterDir: model.adapterDir ?? null,
    candidates: opts.candidates ?? 1,
    rows: opts.rows,
    steps: s.steps,
    eta: s.eta,
    frameCorrelation: s.frameCorrelation,
    seed: s.seed,
    batch: s.batch,
    outDir,
    label: opts.label,
    workers: opts.workers ?? study.profile.jobs,
    engine: studyEngine(study).engine,
  });
}

const engines = new Map<string, EngineReport>();
/** The engine of this process's studies, for training and sampling (IPA_ENGINE, else auto; resolved once per network kind). */
export function studyEngine(study: Study): EngineReport {
  const key = study.profile.pretrain.model.kind ?? 'dit';
  let e = engines.get(key);
  if (!e) {
    e = resolveEngine(study.profile.pretrain.model);
    engines.set(key, e);
  }
  return e;
}

/** The frame judgments of every candidate from the last selection (for galleries). */
export function readJudgments(study: Study): VideoJudgment[] {
  return readJudgmentsFile(workPath(study, 'selection', 'judgments.json'));
}
