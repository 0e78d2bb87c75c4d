/**
 * The premise sweep (issue 14, notebook 06): when does pair-free alignment help? The hand-defect strength of the
 * pretraining data -> the base's within-input hand variance and acceptance -> IPA+HALO's gain over that base.
 *
 * For each defect strength (the value of the profile's defect knob, e.g. `world.pretrainDefects.rates.ghost`, the share
 * of pretraining clips whose hands vanish; the shipped base was pretrained at 0.5), the shipped base is fine-tuned on
 * fresh clips of the pretraining stream made at that strength, the same schedule for every strength (the shipped
 * strength included, as the control for the extra training). Each fine-tuned base then goes through the study's
 * steps at a smaller size: 4 candidates of the first `inputs` train inputs, frame judgments with the profile's
 * judge thresholds (fixed, so "good" means the same for every base), the premise metrics, IPA+HALO with the main
 * defaults on its positives, and the paired gain over its own base on `evalSplit`. A mode-noise base
 * (UnetConfig.modeNoise) is fine-tuned with its modes coupled to each stream's own defect share (world/defects
 * `defectShare`).
 *
 * Folders: `<work>/premise-sweep/<defect>-<rate>/{finetune,candidates,selection,eval-base,jobs}`. Every step is
 * cached like the main stages (a finished fine-tune, stored candidates and done jobs are reused).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AlignJob, JOB_TASK, JobPaths, JobResult } from './job-run';
import { writeJsonAtomic } from '../core/files';
import { parallelMap } from '../core/pool';
import { loadScores, scoreGenerations } from '../eval/score';
import { backendSetup } from '../gpu/workers';
import { readModelCheckpointMeta } from '../model/checkpoint';
import { loadBase } from '../model/load';
import { PretrainConfig, pretrain, pretrainSample } from '../model/pretrain';
import { resolveEngine } from '../model/engine';
import { pairedVsBase, splitMean } from '../report/results';
import { selectFromEvidence, writePositives } from '../select/positives';
import { premiseReport } from '../select/premise';
import { NO_HAND_DEFECTS, defectShare, modeShares } from '../world/defects';
import { BaseInfo, pretrainStreamHash } from './base';
import { valueTag } from './jobs';
import { DetectorInfo, cachedEvidence, sampleSplit, studyEngine, workPath, worldStage } from './pipeline';
import { PremiseSweepProfile, SweepDefect } from './profiles';
import { baseOnlyInputs } from './results';
import { Study } from './study';

/** One defect strength of the sweep: its base's premise metrics and IPA+HALO's gain over it. */
export interface PremiseSweepRow {
  /** The knob turned (PremiseSweepProfile.defect) and its value. */
  defect: SweepDefect;
  rate: number;
  candidates: number;
  /** Within-input share of the variance of per-candidate hand scores. */
  withinShare: number | null;
  /** Share of inputs with a good and a bad candidate. */
  goodAndBadShare: number | null;
  acceptance: number | null;
  positives: number;
  strictPairs: number;
  /** The fine-tuned base and IPA+HALO on `split`: SSIM-Hand means and the paired gain with its 95% interval. */
  split: string;
  baseSsimHand: number | null;
  ipaHaloSsimHand: number | null;
  gainSsimHand: number | null;
  gainLow: number | null;
  gainHigh: number | null;
  /** The same for full-frame SSIM (global quality kept?). */
  gainSsim: number | null;
  gainSsimLow: number | null;
  gainSsimHigh: number | null;
  /** Why IPA+HALO was not trained (no positives), else absent. */
  skipped?: string;
}

/** The sweep's folder for one strength. */
export function sweepDir(study: Study, rate: number): string {
  return workPath(study, 'premise-sweep', `${sweepProfile(study).defect}-${valueTag(rate)}`);
}

/** Stage: the shipped base fine-tuned on pretraining clips with defect strength `rate` (resumes; reused when done). */
export async function fineTunedBase(study: Study, base: BaseInfo, rate: number): Promise<string> {
  const ps = sweepProfile(study);
  const p = study.profile;
  const given = p.world.pretrainDefects ?? NO_HAND_DEFECTS;
  const defects = { ...given, rates: { ...given.rates, [ps.defect]: rate } };
  const world = { ...p.world, pretrainDefects: defects };
  const config: PretrainConfig = {
    ...p.pretrain,
    ...(p.pretrain.modeShare !== undefined ? { modeShare: defectShare(defects) } : {}),
    ...(p.pretrain.noiseCoupling !== undefined ? { noiseCoupling: { shares: modeShares(defects) } } : {}),
    steps: ps.fineTune.steps,
    lr: ps.fineTune.lr,
    warmupSteps: ps.fineTune.warmupSteps,
    emaDecay: ps.fineTune.emaDecay,
    checkpointEvery: Math.max(1, Math.round(ps.fineTune.steps / 4)),
  };
  const outDir = path.join(sweepDir(study, rate), 'finetune');
  const done = path.join(outDir, 'base', 'checkpoint.json');
  if (fs.existsSync(done)) return path.dirname(done);
  const { weights } = loadBase(base.dir);
  const res = await pretrain({
    config,
    seed: p.pretrainSeed,
    source: (i) => pretrainSample(study.worldSeed, i, world),
    worldHash: `${pretrainStreamHash(study)}:${ps.defect}=${rate}`,
    outDir,
    resume: true,
    workers: p.jobs,
    engine: resolveEngine(p.pretrain.model).engine,
    stream: { worldSeed: study.worldSeed, world },
    // Clips after the ones the base was pretrained on: the fine-tune sees fresh videos.
    init: { weights, sha256: base.meta.files['weights.bin'].sha256, streamOffset: p.pretrain.steps * p.pretrain.batch },
    info: { profile: study.profileName, worldSeed: study.worldSeed, premiseSweep: { [ps.defect]: rate } },
  });
  if (!res.baseDir) throw new Error(`premise sweep: fine-tuning at ${ps.defect} ${rate} stopped after ${res.loop.steps} steps; run again to resume`);
  return res.baseDir;
}

/** The profile's sweep settings (an error naming the profile when it has none). */
export function sweepProfile(study: Study): PremiseSweepProfile {
  const ps = study.profile.premiseSweep;
  if (!ps) throw new Error(`profile '${study.profileName}' has no premiseSweep settings`);
  return ps;
}

/** Stage: candidates, judgments and positives of one fine-tuned base; returns its positives file and premise metrics. */
export async function sweepSelection(study: Study, baseDir: string, rate: number, detector: DetectorInfo) {
  const ps = sweepProfile(study);
  const p = study.profile;
  const { world } = worldStage(study);
  const dir = sweepDir(study, rate);
  const candidatesDir = path.join(dir, 'candidates');
  const gens = await sampleSplit(study, { baseDir }, 'train', candidatesDir, {
    candidates: p.selection.candidatesPerInput,
    rows: ps.inputs,
    label: `candidates (${ps.defect} ${rate})`,
  });
  const selDir = path.join(dir, 'selection');
  const evidence = cachedEvidence(selDir, gens, world.splits.train, detector);
  const args = { evidence, thresholds: p.selection.judge, maxPositives: ps.maxPositives, override: null };
  const r = selectFromEvidence(args);
  const positivesFile = path.join(selDir, 'positives.json');
  writePositives(positivesFile, candidatesDir, gens, args, r);
  return { positivesFile, report: premiseReport(r.judgments), positives: r.selection.positives.length, strictPairs: r.cases.strictPairs.length, candidates: gens.manifest.count };
}

/** The IPA+HALO job of one strength (main defaults, first seed, evaluated on the sweep's split). */
export function sweepJob(study: Study, rate: number): AlignJob {
  const a = study.profile.align;
  return {
    name: `premise-shift-${valueTag(rate)}.s${a.seeds[0]}`,
    group: 'premise',
    method: 'ipa-halo',
    seed: a.seeds[0],
    config: { ...a.defaults, method: 'ipa-halo' },
    selection: { maxPositives: null, annotationNoise: 0 },
    evalSplits: [sweepProfile(study).evalSplit],
  };
}

/**
 * The whole sweep: fine-tune, select and measure each strength in turn (each uses every worker), then train and
 * evaluate IPA+HALO for all strengths in parallel, and the fine-tuned bases on the sweep's split. Returns one row
 * per strength.
 */
export async function premiseSweepStage(study: Study, base: BaseInfo, detector: DetectorInfo): Promise<PremiseSweepRow[]> {
  const ps = sweepProfile(study);
  const p = study.profile;
  const { world } = worldStage(study);
  const split = ps.evalSplit;
  const per: { rate: number; baseDir: string; sel: Awaited<ReturnType<typeof sweepSelection>> }[] = [];
  for (const rate of ps.rates) {
    const baseDir = await fineTunedBase(study, base, rate);
    per.push({ rate, baseDir, sel: await sweepSelection(study, baseDir, rate, detector) });
  }
  const results: JobResult[] = await parallelMap(
    JOB_TASK,
    per.map(({ rate, baseDir, sel }) => ({
      job: sweepJob(study, rate),
      paths: {
        worldDir: study.paths.world,
        baseDir,
        positivesFile: sel.positivesFile,
        jobsDir: path.join(sweepDir(study, rate), 'jobs'),
        sampler: p.sampler,
        engine: studyEngine(study).engine,
        detector: { dir: detector.dir },
      } satisfies JobPaths,
    })),
    { workers: p.jobs, setup: backendSetup(), label: 'premise sweep: IPA+HALO', unit: 'job' },
  );
  const rows: PremiseSweepRow[] = [];
  for (const [i, { rate, baseDir, sel }] of per.entries()) {
    const evalDir = path.join(sweepDir(study, rate), 'eval-base', split);
    const gens = await sampleSplit(study, { baseDir }, split, path.join(evalDir, 'gen'), { label: `base (${ps.defect} ${rate}) ${split}` });
    const baseScores = scoreGenerations({ gens, split: world.splits[split], outDir: path.join(evalDir, 'scores'), detector: detector.detector, detectorSha256: detector.sha256 });
    const job = results[i];
    const jobScores = job.skipped ? null : loadScores(path.join(sweepDir(study, rate), 'jobs', job.scores[split]));
    const inp = baseOnlyInputs(study, { [split]: baseScores });
    const g = jobScores ? pairedVsBase(inp, jobScores, split, 'ssimHand') : null;
    const gs = jobScores ? pairedVsBase(inp, jobScores, split, 'ssim') : null;
    rows.push({
      defect: ps.defect,
      rate,
      candidates: sel.candidates,
      withinShare: sel.report.handScore?.withinShare ?? null,
      goodAndBadShare: sel.report.goodAndBadShare,
      acceptance: sel.report.acceptance,
      positives: sel.positives,
      strictPairs: sel.strictPairs,
      split,
      baseSsimHand: g ? g.meanB : splitMean(baseScores.scores, 'ssimHand'),
      ipaHaloSsimHand: g ? g.meanA : null,
      gainSsimHand: g ? g.mean : null,
      gainLow: g ? g.low : null,
      gainHigh: g ? g.high : null,
      gainSsim: gs ? gs.mean : null,
      gainSsimLow: gs ? gs.low : null,
      gainSsimHigh: gs ? gs.high : null,
      ...(job.skipped ? { skipped: job.skipped } : {}),
    });
  }
  // The bases' own folders are named by the strength; their hashes say which weights the rows came from.
  writeJsonAtomic(workPath(study, 'premise-sweep', 'rows.json'), { rows, bases: per.map(({ rate, baseDir }) => ({ rate, weightsSha256: readModelCheckpointMeta(baseDir).files['weights.bin'].sha256 })) });
  return rows;
}
