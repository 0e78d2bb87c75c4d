/**
 * `ipa-kit evaluate`: any checkpoint (and adapter) on one split of the study's world, scored clip by clip
 * against the ground truth, with a summary of every metric as a mean and a 95% bootstrap interval.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../gpu/backend';
import { readModelCheckpointMeta } from '../model/checkpoint';
import { clipFeatureFn } from '../perception/detector';
import { Command, bool, parseArgs, str } from '../core/args';
import { assertOnlyEntries, assertReplaceable, writeFileAtomic } from '../core/files';
import { UsageError } from '../core/errors';
import { kitRelative } from '../core/kit';
import { GENERATIONS_FOLDER } from '../model/generations';
import { SPLITS, SplitName } from '../world/config';
import { DetectorInfo, detectorStage, referenceStage, sampleSplit, worldStage } from '../study/pipeline';
import { STUDY_OPTIONS, STUDY_OPTIONS_HELP, Study, studyFromArgs, workersFromArgs } from '../study/study';
import { baseOnlyInputs } from '../study/results';
import { METRICS, MetricRow, methodRows, pairedVsBase, REGION_METRICS } from '../report/results';

/** The metrics `ipa-kit evaluate` reports: the main table's, with body and background next to the full frame. */
const EVALUATE_METRICS = [...METRICS.slice(0, 2), ...REGION_METRICS, ...METRICS.slice(2)];
import { writeTable } from '../report/tables';
import { SCORES_FOLDER, ScoredSplit, readScoresFile, scoreGenerations } from '../eval/score';

export interface EvaluateArgs {
  checkpoint: string;
  adapter?: string | null;
  split: SplitName;
  outDir: string;
  /** A label for the summary rows (default: the adapter's or checkpoint's folder name). */
  label?: string;
  /** Scores of another model on the same split (an earlier `evaluate --out`), for the win rate. */
  baselineDir?: string | null;
  /** Without the perception network: no keypoint metrics and no FDs. */
  noDetector?: boolean;
  workers?: number;
}

/** A per-clip metric's paired difference (this model - baseline) over the clips both have, with its 95% interval. */
export interface PairedRow {
  metric: string;
  label: string;
  model: number;
  baseline: number;
  difference: number;
  ci_low: number;
  ci_high: number;
  clips: number;
}

export interface EvaluateResult {
  scored: ScoredSplit;
  summary: MetricRow[];
  /** Paired differences against the baseline (empty without one). */
  paired: PairedRow[];
  files: string[];
}

function readScores(dir: string): ScoredSplit {
  const file = path.join(dir, 'scores', 'scores.json');
  if (!fs.existsSync(file)) throw new UsageError(`${dir} holds no evaluation (no scores/scores.json): pass the --out folder of an earlier 'ipa-kit evaluate'`);
  return { scores: readScoresFile(file), features: null };
}

/** Generate (or reuse) the split's videos, score them, summarise; writes clips.{csv,json} and summary.{csv,md,json}. */
/** The entries `evaluate` writes into its --out folder (a folder holding anything else is not written into). */
const EVALUATE_ENTRIES = /^(gen|scores|clips\.(csv|md|tex|json)|summary\.(csv|md|tex|json)|paired\.(csv|md|tex))$/;

export async function evaluateCheckpoint(study: Study, a: EvaluateArgs): Promise<EvaluateResult> {
  assertOnlyEntries(a.outDir, (n) => EVALUATE_ENTRIES.test(n), 'evaluation');
  assertReplaceable(path.join(a.outDir, 'gen'), GENERATIONS_FOLDER);
  assertReplaceable(path.join(a.outDir, 'scores'), SCORES_FOLDER);
  readModelCheckpointMeta(a.checkpoint);
  if (a.adapter) readModelCheckpointMeta(a.adapter);
  const baseline = a.baselineDir ? readScores(a.baselineDir) : null;
  if (baseline && baseline.scores.split !== a.split) throw new UsageError(`--baseline ${a.baselineDir} was evaluated on '${baseline.scores.split}', not '${a.split}'`);
  const { world } = worldStage(study);
  const gens = await sampleSplit(study, { baseDir: a.checkpoint, adapterDir: a.adapter }, a.split, path.join(a.outDir, 'gen'), { label: `evaluate ${a.split}`, workers: a.workers });
  const det: DetectorInfo | null = a.noDetector ? null : await detectorStage(study);
  const scored = scoreGenerations({ gens, split: world.splits[a.split], outDir: path.join(a.outDir, 'scores'), detector: det?.detector, detectorSha256: det?.sha256 });
  const label = a.label ?? path.basename(path.resolve(a.adapter ?? a.checkpoint));
  const reference = det ? referenceStage(study, det, [a.split], clipFeatureFn) : undefined;
  const summary = methodRows(
    baseOnlyInputs(study, baseline ? { [a.split]: baseline } : {}, { ...(reference ? { reference } : {}), clipFeatures: clipFeatureFn }),
    label,
    a.split,
    [scored],
    EVALUATE_METRICS,
  );
  const paired: PairedRow[] = [];
  if (baseline) {
    const inp = baseOnlyInputs(study, { [a.split]: baseline });
    for (const m of EVALUATE_METRICS.filter((x) => x.kind === 'clip')) {
      const d = pairedVsBase(inp, scored, a.split, m.key);
      if (d) paired.push({ metric: m.key, label: m.label, model: d.meanA, baseline: d.meanB, difference: d.mean, ci_low: d.low, ci_high: d.high, clips: d.n });
    }
  }
  const clips = scored.scores.clips;
  const files = [
    ...Object.values(writeTable(clips, path.join(a.outDir, 'clips'))),
    ...Object.values(writeTable(summary.map((r) => ({ ...r, label: EVALUATE_METRICS.find((m) => m.key === r.metric)?.label ?? r.metric })), path.join(a.outDir, 'summary'))),
  ];
  if (paired.length) files.push(...Object.values(writeTable(paired, path.join(a.outDir, 'paired'))));
  const json = (name: string, v: unknown) => {
    const file = path.join(a.outDir, name);
    writeFileAtomic(file, `${JSON.stringify(v, null, 1)}\n`);
    files.push(file);
  };
  json('clips.json', clips);
  json('summary.json', {
    // Paths relative to the kit (absolute only for folders outside it), so no machine's paths are stored.
    checkpoint: kitRelative(path.resolve(a.checkpoint)),
    adapter: a.adapter ? kitRelative(path.resolve(a.adapter)) : null,
    baseline: a.baselineDir ? kitRelative(path.resolve(a.baselineDir)) : null,
    profile: study.profileName,
    worldSeed: study.worldSeed,
    split: a.split,
    clips: clips.length,
    sampler: study.profile.sampler,
    bootstrap: { resamples: study.profile.eval.resamples, seed: study.profile.eval.seed, level: 0.95 },
    detectorSha256: det?.sha256 ?? null,
    metrics: summary,
    pairedVsBaseline: paired,
  });
  return { scored, summary, paired, files };
}

export const evaluateCommand: Command = {
  summary: 'score a checkpoint (and adapter) on a split: per-clip and summary metrics (CSV + JSON)',
  help: [
    'usage: ipa-kit evaluate --checkpoint DIR [--adapter DIR] --split S --out DIR [--baseline DIR] [--label L]',
    '                        [--no-detector] [--profile P] [--world-seed N] [--workers N] [--backend B]',
    '',
    '  --checkpoint DIR  base checkpoint folder (e.g. data/base/paper-1/base)',
    '  --adapter DIR     post-training adapter trained on that base (e.g. data/runs/paper-1/jobs/ipa-halo-s1/adapter)',
    `  --split S         world split: ${SPLITS.join(', ')}`,
    '  --out DIR         writes gen/ (the videos), scores/, clips.csv|md|tex|json (one row per clip) and',
    '                    summary.csv|md|tex|json (every metric: mean and 95% bootstrap interval)',
    '  --baseline DIR    the --out folder of an earlier evaluation on the same split: adds the hand win rate against it',
    '                    and paired.csv|md|tex (per-clip metrics: this model - baseline on the same clips, 95% interval)',
    '  --label L         method name in the summary (default: the adapter or checkpoint folder name)',
    '  --no-detector     skip the perception network (no keypoint error, PCK or FDs)',
    '',
    "Sampling uses the profile's sampler (steps, seed) with one noise stream per clip, as the study does;",
    'stored videos and scores are reused when the weights, world and settings match.',
    '',
    ...STUDY_OPTIONS_HELP,
  ].join('\n'),
  async run(argv) {
    const args = parseArgs(argv, [...STUDY_OPTIONS, 'checkpoint', 'adapter', 'split', 'out', 'baseline', 'label', 'no-detector'], ['no-detector']);
    if (args.positional.length) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
    const checkpoint = str(args, 'checkpoint');
    const outDir = str(args, 'out');
    const split = str(args, 'split');
    if (!checkpoint) throw new UsageError('--checkpoint DIR is required');
    if (!outDir) throw new UsageError('--out DIR is required');
    if (!split || !(SPLITS as readonly string[]).includes(split)) throw new UsageError(`--split must be one of ${SPLITS.join(', ')}`);
    const study = studyFromArgs(args);
    await initBackend({ backend: str(args, 'backend') });
    const t0 = Date.now();
    const r = await evaluateCheckpoint(study, {
      checkpoint,
      adapter: str(args, 'adapter') ?? null,
      split: split as SplitName,
      outDir,
      label: str(args, 'label'),
      baselineDir: str(args, 'baseline') ?? null,
      noDetector: bool(args, 'no-detector'),
      workers: workersFromArgs(args, study),
    });
    const lines = r.summary.map((row) => {
      const m = EVALUATE_METRICS.find((x) => x.key === row.metric);
      const v = row.mean === null ? 'n/a' : `${row.mean.toFixed(4)} [${row.ci_low?.toFixed(4)}, ${row.ci_high?.toFixed(4)}]`;
      return `  ${(m?.label ?? row.metric).padEnd(30)} ${v}`;
    });
    const pairedLines = r.paired.map((p) => `  ${p.label.padEnd(30)} ${p.difference >= 0 ? '+' : ''}${p.difference.toFixed(4)} [${p.ci_low.toFixed(4)}, ${p.ci_high.toFixed(4)}]`);
    process.stdout.write(
      `${r.scored.scores.clips.length} clips of ${split} scored in ${((Date.now() - t0) / 1000).toFixed(0)} s (mean [95% CI]):\n${lines.join('\n')}\n` +
        (pairedLines.length ? `paired difference to the baseline (same clips and noise):\n${pairedLines.join('\n')}\n` : '') +
        `-> ${outDir}\n`,
    );
    return 0;
  },
};
