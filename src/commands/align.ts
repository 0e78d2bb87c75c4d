/** `ipa-kit align` (one post-training run) and `ipa-kit sweep` (a study's jobs, shardable across machines). */
import * as path from 'node:path';
import { initBackend } from '../gpu/backend';
import { readModelCheckpointMeta } from '../model/checkpoint';
import { loadBase } from '../model/load';
import { Command, bool, num, parseArgs, str } from '../core/args';
import { DataError, UsageError } from '../core/errors';
import { lockFolders } from '../core/lock';
import { STUDY_OPTIONS, STUDY_OPTIONS_HELP, studyFromArgs, workersFromArgs } from '../study/study';
import { readPositives } from '../select/positives';
import { worldHash } from '../world/store';
import { loadWorldCached } from '../world/store';
import { readGenerationsManifest } from '../model/generations';
import { ALIGN_METHODS, AlignMethod, OBJECTIVES } from '../align/objectives';
import { AlignConfig, alignTrain } from '../align/trainer';
import { loadTrainingData, pairingOf } from '../study/job-run';
import { getProfile, methodConfig } from '../study/profiles';
import { alignStage, baseStage, detectorStage, evaluateStage, jobsOf } from '../study/pipeline';
import { pairedVsBase } from '../report/results';
import { baseOnlyInputs, jobScores, jobSnapshotScores } from '../study/results';
import { Diff, TuningResult, chooseTuned, tuningVerdicts } from '../report/tuning';
import type { ScoredSplit } from '../eval/score';
import { tableToMarkdown, writeTable } from '../report/tables';
import { tuningJobs } from '../study/jobs';
import { BATCH, BETA, CLIP_FRAMES, CLIP_NORM, HAND_WEIGHT, LEARNING_RATE, LORA_RANK, SEED, TRAIN_STEPS, rangeText } from '../core/ranges';

export const alignCommand: Command = {
  summary: 'post-train from a base checkpoint on a positives file (sft, sft-halo, ipa, ipa-halo, flow-dpo)',
  help: [
    'usage: ipa-kit align --method M --positives FILE --base DIR --out DIR [options]',
    '',
    `  --method M        ${ALIGN_METHODS.join(' | ')}`,
    '  --positives FILE  positives.json written by `ipa-kit select` (flow-dpo uses its strict pairs, flow-dpo-relaxed its relaxed pairs)',
    '  --base DIR        base checkpoint folder the candidates were generated with',
    '  --out DIR         run folder: log.jsonl, checkpoint/ (resumable), adapter/',
    "  --profile P       defaults for every option below come from the profile's align settings (default paper)",
    `  --steps N         optimiser steps, ${rangeText(TRAIN_STEPS)}`,
    `  --batch B         videos per batch, ${rangeText(BATCH)}`,
    `  --lr LR           learning rate, ${rangeText(LEARNING_RATE)}`,
    `  --beta BETA       Flow-IPA / Flow-DPO temperature, ${rangeText(BETA)}`,
    `  --hand-weight L   HALO hand weight (the -halo methods), ${rangeText(HAND_WEIGHT)}`,
    `  --clip-norm C     clip the global gradient norm at C (0 = no clipping; default the profile's), ${rangeText(CLIP_NORM)}`,
    `  --rank R          LoRA rank (0 = full fine-tuning), ${rangeText(LORA_RANK)}`,
    '  --clip-frames N   train on N-frame windows of each video (a U-Net base; default: the profile\'s, else whole clips)',
    `  --seed S          training seed (default 1), ${rangeText(SEED)}`,
    '  --resume          continue an interrupted run in --out (its settings, base and positives must be the same;',
    '                    a run folder that holds files of anything else is never written into)',
  ].join('\n'),
  async run(argv) {
    const args = parseArgs(argv, ['profile', 'backend', 'method', 'positives', 'base', 'out', 'steps', 'batch', 'lr', 'beta', 'hand-weight', 'clip-norm', 'rank', 'clip-frames', 'seed', 'resume'], ['resume']);
    const method = str(args, 'method') as AlignMethod | undefined;
    if (!method || !(ALIGN_METHODS as readonly string[]).includes(method)) throw new UsageError(`--method must be one of ${ALIGN_METHODS.join(', ')}`);
    const posFile = str(args, 'positives');
    const baseDir = str(args, 'base');
    const out = str(args, 'out');
    if (!posFile) throw new UsageError('--positives FILE is required');
    if (!baseDir) throw new UsageError('--base DIR is required');
    if (!out) throw new UsageError('--out DIR is required');
    if (args.flags['hand-weight'] !== undefined && !OBJECTIVES[method].halo) throw new UsageError(`--hand-weight applies to the -halo methods, not '${method}' (which trains with lambda = 1)`);
    const d = methodConfig(getProfile(str(args, 'profile', 'paper')).align, method);
    const rank = num(args, 'rank', d.lora ? d.lora.rank : 0, LORA_RANK);
    const config: AlignConfig = {
      ...d,
      steps: num(args, 'steps', d.steps, TRAIN_STEPS),
      batch: num(args, 'batch', d.batch, BATCH),
      lr: num(args, 'lr', d.lr, LEARNING_RATE),
      beta: num(args, 'beta', d.beta, BETA),
      handWeight: num(args, 'hand-weight', d.handWeight, HAND_WEIGHT),
      clipNorm: num(args, 'clip-norm', d.clipNorm, CLIP_NORM),
      lora: rank === 0 ? null : { rank, alpha: d.lora ? (d.lora.alpha / d.lora.rank) * rank : rank },
    };
    // Without --clip-frames the profile's windows (in `d`) stay.
    if (args.flags['clip-frames'] !== undefined) config.clipFrames = num(args, 'clip-frames', 1, CLIP_FRAMES);
    const seed = num(args, 'seed', 1, SEED);
    await initBackend({ backend: str(args, 'backend') });
    const pos = readPositives(posFile);
    const cands = readGenerationsManifest(pos.candidatesDir);
    if (!cands) throw new DataError(`the candidates of ${posFile} are missing: ${path.join(pos.candidatesDir, 'generations.json')}`);
    const worldDir = path.resolve(pos.candidatesDir, cands.worldDir);
    const baseMeta = readModelCheckpointMeta(baseDir);
    if (cands.baseWeightsSha256 !== baseMeta.files['weights.bin'].sha256) {
      throw new UsageError(`the candidates of ${posFile} were generated by another base than ${baseDir}`);
    }
    // A pairs method trains on its own kind of pairs (strict Case 4, or relaxed).
    const { positives, pairs } = loadTrainingData(pos, worldDir, config.maskGrid, pairingOf(method) ?? 'strict');
    const { weights } = loadBase(baseDir);
    const res = await alignTrain({
      config,
      seed,
      base: { model: baseMeta.model, weights, weightsSha256: baseMeta.files['weights.bin'].sha256, worldHash: worldHash(loadWorldCached(worldDir).manifest) },
      positives,
      pairs,
      outDir: out,
      resume: bool(args, 'resume'),
      info: { command: 'align', positives: posFile },
    });
    const last = res.loop.lastRecord;
    // A resumed run whose steps were all done already trains nothing: say so instead of an undefined loss.
    const trained = last
      ? `${res.loop.secondsPerStep.toFixed(2)} s/step; last loss ${last.loss.toFixed(4)}${typeof last.gap === 'number' ? `, gap ${last.gap.toExponential(2)}` : ''}`
      : `all done before this run (resumed at step ${res.loop.resumedFrom})`;
    process.stdout.write(`${method}: ${res.loop.steps} steps on ${OBJECTIVES[method].data === 'pairs' ? `${pairs.length} ${pairingOf(method)} pairs` : `${positives.length} positives`}, ${trained} -> ${res.adapterDir}\n`);
    return 0;
  },
};

export const sweepCommand: Command = {
  summary: "run a study's post-training jobs (main methods x seeds and ablation sweeps), optionally one shard",
  help: [
    'usage: ipa-kit sweep [--profile P] [--world-seed N] [--group main|sweeps|curves] [--shard i/n] [--workers N] [--list]',
    '',
    '  Needs the base, candidates and selection of the study (notebooks 01-03, or `ipa-kit reproduce`).',
    '  --shard i/n   run every n-th job starting at job i (1-based): n machines (a Slurm array, a Kubernetes',
    '                indexed Job) with --shard $((TASK_ID+1))/n share the jobs; each job writes its own folder',
    '                under data/runs/<profile>-<seed>/jobs/, so copying those folders together merges the shards',
    '  --group G     main (methods x seeds), sweeps (the ablations), curves (drift and annotation-cost runs of a',
    '                profile with curves, e.g. extended); default main and sweeps',
    '  --list        print the jobs (of the shard) and exit',
    '',
    ...STUDY_OPTIONS_HELP,
  ].join('\n'),
  async run(argv) {
    const args = parseArgs(argv, [...STUDY_OPTIONS, 'group', 'shard', 'list'], ['list']);
    const study = studyFromArgs(args);
    const group = str(args, 'group') as 'main' | 'sweeps' | 'curves' | undefined;
    if (group && group !== 'main' && group !== 'sweeps' && group !== 'curves') throw new UsageError(`--group must be main, sweeps or curves, got '${group}'`);
    const jobs = jobsOf(study, { group, shard: str(args, 'shard') });
    if (bool(args, 'list')) {
      process.stdout.write(`${jobs.map((j) => j.name).join('\n')}\n`);
      return 0;
    }
    const workers = workersFromArgs(args, study);
    lockFolders([study.paths.work, study.paths.results], 'sweep'); // released when the command exits
    await initBackend({ backend: str(args, 'backend') });
    const base = await baseStage(study);
    const det = await detectorStage(study);
    const results = await alignStage(study, base, jobs, det?.dir ?? null, { workers });
    for (const r of results) process.stdout.write(`${r.name}: ${r.skipped ? `skipped (${r.skipped})` : `${r.trainSeconds.toFixed(0)} s training, scores in ${Object.keys(r.scores).join(', ')}`}\n`);
    return 0;
  },
};

export const tuneCommand: Command = {
  summary: "choose each method's post-training settings on val: the profile's tuning grid (learning rates x steps), the same for every method",
  help: [
    'usage: ipa-kit tune [--profile P] [--world-seed N] [--workers N]',
    '',
    "  Needs the base, candidates and selection of the study. Trains every method of the profile's align.tuning",
    '  grid at each learning rate to the largest step count (first seed; snapshots at the others), evaluates every',
    '  point on val only, and writes <results>/tables/tuning.{csv,md,tex}: val SSIM-Hand, PSNR-Hand and SSIM as',
    "  paired differences to the base, and each method's chosen point (the highest SSIM-Hand gain whose full-frame",
    "  SSIM gain is >= 0; where none is, the least loss of SSIM, marked), printed as the profile's methodSettings.",
    '  The test splits are not touched.',
    '',
    ...STUDY_OPTIONS_HELP,
  ].join('\n'),
  async run(argv) {
    const args = parseArgs(argv, [...STUDY_OPTIONS]);
    const study = studyFromArgs(args);
    const workers = workersFromArgs(args, study);
    lockFolders([study.paths.work, study.paths.results], 'tune'); // released when the command exits
    await initBackend({ backend: str(args, 'backend') });
    const base = await baseStage(study);
    const det = await detectorStage(study);
    const jobs = tuningJobs(study.profile.align);
    const results = await alignStage(study, base, jobs, det?.dir ?? null, { workers });
    const baseScores = await evaluateStage(study, { label: 'base', baseDir: base.dir }, ['val'], det);
    const inp = baseOnlyInputs(study, baseScores);
    const diff = (s: ScoredSplit | null, key: string): Diff | null => {
      const d = s ? pairedVsBase(inp, s, 'val', key) : null;
      return d ? { mean: d.mean, low: d.low, high: d.high } : null;
    };
    const points: TuningResult[] = results.flatMap((r, i) => {
      const c = jobs[i].config;
      const steps = [...(jobs[i].snapshots ?? []), c.steps];
      return steps.map((n) => {
        const s = r.skipped ? null : n === c.steps ? jobScores(study, r, 'val') : jobSnapshotScores(study, r, n, 'val');
        return { method: c.method, lr: c.lr, steps: n, ssimHand: diff(s, 'ssimHand'), psnrHand: diff(s, 'psnrHand'), ssim: diff(s, 'ssim'), secondsPerStep: r.skipped ? null : r.secondsPerStep };
      });
    });
    const verdicts = tuningVerdicts(points);
    const fmt = (d: Diff | null) => (d ? `${d.mean >= 0 ? '+' : ''}${d.mean.toFixed(4)} [${d.low.toFixed(4)}, ${d.high.toFixed(4)}]` : '—');
    const rows = points.map((p, i) => ({
      method: p.method,
      lr: p.lr,
      steps: p.steps,
      's/step': p.secondsPerStep === null ? null : Number(p.secondsPerStep.toFixed(2)),
      'val SSIM-Hand - base': fmt(p.ssimHand),
      'val PSNR-Hand - base': fmt(p.psnrHand),
      'val SSIM - base': fmt(p.ssim),
      chosen: { chosen: 'yes', fallback: 'yes, by fallback: every point of the method lowers full-frame SSIM; this one least', quality: 'no (SSIM below base)', '': '' }[verdicts[i]],
    }));
    const out = path.join(study.paths.results, 'tables', 'tuning');
    writeTable(rows, out);
    const chosen = chooseTuned(points);
    const settings = Object.fromEntries([...chosen].map(([m, p]) => [m, { lr: p.lr, steps: p.steps }]));
    const fallback = study.profile.align.tuning.methods.filter((m) => { const p = chosen.get(m); return !p || (p.ssim as Diff).mean < 0; });
    process.stdout.write(`${tableToMarkdown(rows)}\n-> ${out}.csv / .md\nmethodSettings: ${JSON.stringify(settings)}\n`);
    if (fallback.length) process.stdout.write(`no point kept full-frame SSIM at the base's for: ${fallback.join(', ')} (chosen: the least loss)\n`);
    return 0;
  },
};
