/** `ipa-kit pretrain` and `ipa-kit sample`: the base model and its generations. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { initBackend } from '../gpu/backend';
import { Command, bool, num, parseArgs, str } from '../core/args';
import { UsageError } from '../core/errors';
import { assertReplaceable } from '../core/files';
import { SPLITS, SplitName } from '../world/config';
import { STUDY_OPTIONS, studyFromArgs, workersFromArgs } from '../study/study';
import { encodeGif, writePng } from '../report/media';
import { clipStrip } from '../report/strip';
import { buildWorld, getClip, loadWorldCached, worldHash } from '../world/store';
import { readModelCheckpointMeta } from '../model/checkpoint';
import { GENERATIONS_FOLDER, generationKey, saveGenerations } from '../model/generations';
import { loadModel } from '../model/load';
import { generate } from '../model/sample';
import { ensureBase, shipBase } from '../study/base';
import { writeFileAtomic } from '../core/files';
import * as tf from '@tensorflow/tfjs';
import { SAMPLER_STEPS, SEED, TRAIN_STEPS, WORKERS, rangeText } from '../core/ranges';

export const pretrainCommand: Command = {
  summary: 'pretrain the base video model on the streamed world (resumable)',
  help: [
    'usage: ipa-kit pretrain [--profile P] [--world-seed N] [--resume] [--stop-after N] [--ship] [--workers N] [--backend B]',
    '',
    '  --profile P       profile (default paper): model size, steps, batch, learning rate',
    `  --world-seed N    world seed (default: the profile's), ${rangeText(SEED)}`,
    '  --resume          continue an interrupted run in data/runs/<profile>-<seed>/pretrain (else an existing run is an error)',
    `  --stop-after N    stop (with a checkpoint) after N steps, ${rangeText(TRAIN_STEPS)}; run again with --resume to continue`,
    `  --workers N       data-parallel worker threads (default: the profile's), ${rangeText(WORKERS)}; must divide the batch`,
    '  --ship            copy the finished base (checkpoint, log, samples) to data/base/<profile>-<seed>/',
    '',
    'Writes data/runs/<profile>-<seed>/pretrain/{checkpoint,log.jsonl,samples,base}.',
  ].join('\n'),
  async run(argv) {
    const args = parseArgs(argv, [...STUDY_OPTIONS, 'resume', 'stop-after', 'ship'], ['resume', 'ship']);
    const study = studyFromArgs(args, true);
    const stopAfter = args.flags['stop-after'] !== undefined ? num(args, 'stop-after', 0, TRAIN_STEPS) : undefined;
    const workers = workersFromArgs(args, study);
    const batch = study.profile.pretrain.batch;
    if (workers > 1 && batch % workers !== 0) throw new UsageError(`--workers ${workers} must divide the profile's pretraining batch of ${batch}`);
    await initBackend({ backend: str(args, 'backend') });
    const runDir = path.join(study.paths.work, 'pretrain');
    if (fs.existsSync(path.join(runDir, 'checkpoint', 'checkpoint.json')) && !fs.existsSync(path.join(runDir, 'base')) && !bool(args, 'resume')) {
      throw new UsageError(`${runDir} holds an unfinished run: continue it with --resume, or remove the folder to start over`);
    }
    const t0 = Date.now();
    const info = await ensureBase(study, { stopAfter, workers });
    process.stdout.write(`base model (${info.source}) at ${info.dir}: step ${info.meta.step}, final loss ${info.meta.metrics.finalLoss?.toFixed(4)}, ${((Date.now() - t0) / 1000).toFixed(0)} s\n`);
    if (bool(args, 'ship')) process.stdout.write(`shipped to ${shipBase(study, info)}\n`);
    return 0;
  },
};

export const sampleCommand: Command = {
  summary: 'generate videos of a split with a base model (and optional adapter): frames + GIFs',
  help: [
    'usage: ipa-kit sample --checkpoint DIR [--adapter DIR] --split S --out DIR [--n N] [--seed S] [--steps K] [--eta E] [--frame-correlation R] [--profile P] [--world-seed N]',
    '',
    '  --checkpoint DIR  base checkpoint folder (e.g. data/base/paper-1/base)',
    '  --adapter DIR     post-training adapter folder (LoRA or fine-tuned weights) trained on that base',
    `  --split S         world split: ${SPLITS.join(', ')}`,
    "  --n N             first N clips of the split (default 4), 1..the split's clips",
    '  --out DIR         must be new, empty, or the --out of an earlier sample (it is replaced)',
    `  --seed S          sampling seed (default: the profile's), ${rangeText(SEED)}; each clip also has its own noise stream`,
    `  --steps K         sampler steps (default: the profile's), ${rangeText(SAMPLER_STEPS)}`,
    "  --eta E           share of the noise renewed per step (default: the profile's), 0 (Euler) .. 1",
    "  --frame-correlation R  correlation of the generated frames' noise (default: the profile's, else 0), 0 .. 0.99",
    `  --world-seed N    world seed (default: the profile's), ${rangeText(SEED)}`,
    '  --out DIR         writes generations.json + frames.u8 (uint8 [N, F, S, S, 3]) and per clip a GIF and a PNG strip',
  ].join('\n'),
  async run(argv) {
    const args = parseArgs(argv, ['profile', 'world-seed', 'backend', 'checkpoint', 'adapter', 'split', 'out', 'n', 'seed', 'steps', 'eta', 'frame-correlation']);
    const study = studyFromArgs(args);
    const ckpt = str(args, 'checkpoint');
    const out = str(args, 'out');
    const split = str(args, 'split') as SplitName | undefined;
    if (!ckpt) throw new UsageError('--checkpoint DIR is required');
    if (!out) throw new UsageError('--out DIR is required');
    if (!split || !(SPLITS as readonly string[]).includes(split)) throw new UsageError(`--split must be one of ${SPLITS.join(', ')}`);
    const seed = num(args, 'seed', study.profile.sampler.seed, SEED);
    const steps = num(args, 'steps', study.profile.sampler.steps, SAMPLER_STEPS);
    const eta = num(args, 'eta', study.profile.sampler.eta ?? 0, { min: 0, max: 1 });
    const frameCorrelation = num(args, 'frame-correlation', study.profile.sampler.frameCorrelation ?? 0, { min: 0, max: 0.99 });
    assertReplaceable(out, GENERATIONS_FOLDER); // a folder the kit did not write is never replaced
    readModelCheckpointMeta(ckpt);
    await initBackend({ backend: str(args, 'backend') });
    buildWorld({ config: study.profile.world, name: study.profileName, seed: study.worldSeed, out: study.paths.world });
    const world = loadWorldCached(study.paths.world);
    const data = world.splits[split];
    const n = num(args, 'n', Math.min(4, data.count), { min: 1, max: data.count, integer: true });
    const model = loadModel(ckpt, str(args, 'adapter'));
    const t0 = Date.now();
    try {
      const clips = Array.from({ length: n }, (_, i) => getClip(data, i));
      const frames = generate(model.config, model.params, clips.map((c) => ({ key: generationKey(c.id, 0), clip: c })), { steps, eta, frameCorrelation, seed, batch: study.profile.sampler.batch, label: 'sample' });
      const seconds = (Date.now() - t0) / 1000;
      saveGenerations(out, {
        split,
        worldDir: path.relative(out, study.paths.world),
        worldHash: worldHash(world.manifest),
        baseWeightsSha256: model.baseWeightsSha256,
        adapterWeightsSha256: model.adapter ? model.adapter.files['weights.bin'].sha256 : null,
        seed,
        steps,
        eta,
        ...(frameCorrelation ? { frameCorrelation } : {}),
        frames: data.numFrames,
        size: data.size,
        entries: clips.map((c, i) => ({ id: generationKey(c.id, 0), clipId: c.id, row: i, candidate: 0 })),
        seconds,
      }, frames);
      const per = frames.length / n;
      for (let i = 0; i < n; i++) {
        const video = frames.slice(i * per, (i + 1) * per);
        const framesList = Array.from({ length: data.numFrames }, (_, f) => video.subarray(f * data.size * data.size * 3, (f + 1) * data.size * data.size * 3));
        writeFileAtomic(path.join(out, `${clips[i].id}.gif`), await encodeGif(framesList, data.size, data.size, 125));
        const strip = clipStrip({ ...clips[i], frames: video }, { scale: 3, rows: ['frames'] });
        await writePng(path.join(out, `${clips[i].id}.png`), strip.data, strip.width, strip.height);
      }
      process.stdout.write(`sampled ${n} clips of ${split} in ${seconds.toFixed(1)} s (${steps} steps) -> ${out}\n`);
    } finally {
      tf.dispose(Object.values(model.params));
    }
    return 0;
  },
};
