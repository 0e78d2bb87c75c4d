/**
 * Benches of the study's work (rows of `npm run bench`; the speed and memory targets of the issues live here,
 * not in timed tests): world build, sampling, pretraining and post-training steps, scoring, memory and tensor
 * counts. They run on the wasm backend (the default) at the paper profile's sizes, on synthetic inputs.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { alignTrain, AlignConfig, AlignSample } from '../align/trainer';
import { AlignMethod, ALIGN_METHODS } from '../align/objectives';
import { MaskGrid, handMaskOnGrid } from '../align/masks';
import { scoreClip } from '../eval/evaluate';
import { initParams, Params } from '../model/network';
import { snapshot } from '../train/checkpoint';
import { readStepLog } from '../train/loop';
import { generate, generateOnnx, sampleBatch, sampleBatchOnnx } from '../model/sample';
import { ModelConfig, UnetConfig } from '../model/config';
import { UnetOnnx } from '../model/unet-onnx';
import { ORT_PROVIDERS, ortStatus, probeProvider } from '../gpu/onnx';
import { PretrainConfig, pretrain, pretrainSample } from '../model/pretrain';
import type { EngineName } from '../model/engine';
import type { WorldConfig } from '../world/config';
import { benchWorldBuild } from '../world/bench';
import { makeClip } from '../world/clip';
import { rng } from '../core/seeds';
import { BenchDefinition, BenchMeasurement, median } from '../gpu/bench-harness';
import { getProfile, methodConfig } from './profiles';

const paper = () => getProfile('paper');
/** The profile a bench measures: the paper's, or the smoke profile's at `--tiny` (BenchContext.tiny). */
const sized = (ctx: { tiny: boolean }) => getProfile(ctx.tiny ? 'smoke' : 'paper');

function tmp(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ipa-bench-${name}-`));
}

/** Paper-size weights with non-zero gates, FiLM and output layers (a zero-initialised model would give trivial outputs). */
export function benchParams(seed = 1, model: ModelConfig = paper().pretrain.model): Params {
  const p = initParams(model, seed);
  for (const [n, v] of Object.entries(p)) if (/ada|final|film|c2|attn\.out|head\.w/.test(n)) tf.tidy(() => v.assign(tf.tensor(rng(seed, n).normals(v.size, 0.02), v.shape)));
  return p;
}

const worldBench: BenchDefinition = {
  name: 'world build',
  group: 'world',
  description: 'build the paper world (all splits) into a temporary folder (target: at most 60 s)',
  backends: ['wasm'],
  async run(ctx) {
    const samples: number[] = [];
    const p = sized(ctx);
    for (let r = 0; r < Math.max(1, Math.min(ctx.repeats, 2)); r++) samples.push((await benchWorldBuild(p.world, p.name)).seconds);
    return [{ case: `${p.name} world`, variant: 'build', unit: 's', samples, higherIsBetter: false }];
  },
};

const sampleBench: BenchDefinition = {
  name: 'sampling',
  group: 'sampling',
  description:
    "generate 16 clips with the paper model and sampler (4 steps, batch 8) per engine: tfjs wasm (the reference), ONNX Runtime on 1 and 2 threads; seconds per clip (targets: 16 clips at most 30 s, ONNX at least 3x faster than tfjs) and the engines' max abs difference per pixel on the same noise (target: under 1e-3)",
  backends: ['wasm'],
  async run(ctx) {
    const p = sized(ctx);
    const c = p.pretrain.model as UnetConfig;
    const params = benchParams(1, c);
    const clips = Array.from({ length: ctx.tiny ? 2 : 16 }, (_, i) => makeClip(1, 'val', i % p.world.splits.val, p.world));
    const jobs = clips.map((cl) => ({ key: `${cl.id}#0`, clip: cl }));
    const opts = { steps: p.sampler.steps, eta: p.sampler.eta, frameCorrelation: p.sampler.frameCorrelation, seed: 1, batch: p.sampler.batch };
    const repeats = Math.max(1, Math.min(ctx.repeats, 2));
    const out: BenchMeasurement[] = [];
    const row = (variant: string, seconds: number[], note?: string): BenchMeasurement => ({ case: `${jobs.length} clips, ${opts.steps} steps`, variant, unit: 's/clip', samples: seconds.map((x) => x / jobs.length), higherIsBetter: false, note });
    try {
      const tfjsSeconds: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const t0 = performance.now();
        generate(c, params, jobs, opts);
        tfjsSeconds.push((performance.now() - t0) / 1000);
      }
      out.push(row('tfjs wasm', tfjsSeconds, `${(median(tfjsSeconds)).toFixed(1)} s for ${jobs.length} clips`));
      if (!ortStatus().ok) {
        ctx.log(`sampling: ONNX Runtime does not load (${ortStatus().reason}); tfjs row only`);
        return out;
      }
      for (const threads of [1, 2]) {
        const runner = new UnetOnnx(c, params, undefined, threads);
        try {
          await generateOnnx(runner, jobs.slice(0, opts.batch), { ...opts, steps: 1 }); // session creation and warm-up, untimed
          const seconds: number[] = [];
          for (let r = 0; r < repeats; r++) {
            const t0 = performance.now();
            await generateOnnx(runner, jobs, opts);
            seconds.push((performance.now() - t0) / 1000);
          }
          out.push(row(`onnx ${threads} thread${threads > 1 ? 's' : ''}`, seconds, `${median(seconds).toFixed(1)} s for ${jobs.length} clips, x${(median(tfjsSeconds) / median(seconds)).toFixed(1)} of tfjs`));
          if (threads === 1) {
            const a = sampleBatch(c, params, jobs.slice(0, opts.batch), opts);
            const b = await sampleBatchOnnx(runner, jobs.slice(0, opts.batch), opts);
            const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
            tf.dispose([a, b]);
            out.push({ case: `${opts.batch} clips, ${opts.steps} steps, same noise`, variant: 'onnx vs tfjs', unit: 'max |diff| per pixel', samples: [d], higherIsBetter: false, note: 'in [-1, 1] pixel units (1 grey level = 0.0078)' });
          }
        } finally {
          await runner.release();
        }
      }
      return out;
    } finally {
      tf.dispose(Object.values(params));
    }
  },
};

/**
 * Seconds per warm pretraining step of `config` on `workers` data-parallel workers (tfjs) or intra-op threads (onnx),
 * on the stream of `world` (default: the paper world's): `steps` steps timed from the step callbacks, the first two
 * left out (the first starts the workers or the session and warms the kernels; wasm heaps and ONNX Runtime's arenas
 * still grow over the next one). The run folder is removed afterwards.
 */
export async function pretrainSecondsPerStep(config: PretrainConfig, steps: number, workers: number, engine: EngineName = 'tfjs', world: WorldConfig = paper().world): Promise<number> {
  const outDir = tmp('pretrain');
  const stamps: number[] = [];
  try {
    await pretrain({
      config: { ...config, steps, checkpointEvery: 1000 },
      seed: 1,
      source: (i) => pretrainSample(1, i, world),
      worldHash: 'bench',
      outDir,
      resume: false,
      workers,
      engine,
      stream: { worldSeed: 1, world },
      onStep: () => stamps.push(performance.now()),
    });
    const timed = stamps.slice(Math.min(1, stamps.length - 2));
    return (timed[timed.length - 1] - timed[0]) / 1000 / (timed.length - 1);
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

const pretrainBench: BenchDefinition = {
  name: 'pretraining step',
  group: 'train',
  description:
    "seconds per pretraining step of the paper profile (its batch and frame windows) per engine: tfjs on 1 and 2 data-parallel workers, onnx on 1 and 2 intra-op threads; the paper base's minutes (target: 3,000 steps in at most 20 on onnx)",
  backends: ['wasm'],
  async run(ctx) {
    const p = sized(ctx);
    const steps = ctx.tiny ? 3 : 10;
    const kase = `${p.name} model, batch ${p.pretrain.batch}${p.pretrain.clipFrames ? ` x ${p.pretrain.clipFrames}-frame windows` : ''}`;
    const out: BenchMeasurement[] = [];
    const engines: EngineName[] = ortStatus().ok ? ['tfjs', 'onnx'] : ['tfjs'];
    for (const engine of engines) {
      for (const workers of [1, 2]) {
        const secondsPerStep = await pretrainSecondsPerStep(p.pretrain, steps, workers, engine, p.world);
        ctx.log(`pretraining: ${secondsPerStep.toFixed(2)} s/step, ${engine} on ${workers}`);
        const variant = engine === 'tfjs' ? `tfjs ${workers} worker${workers > 1 ? 's' : ''}` : `onnx ${workers} thread${workers > 1 ? 's' : ''}`;
        out.push({ case: kase, variant, unit: 's/step', samples: [secondsPerStep], higherIsBetter: false, note: `${p.pretrain.steps} steps -> ${((secondsPerStep * p.pretrain.steps) / 60).toFixed(1)} min` });
      }
    }
    return out;
  },
};

/** Synthetic positives at a profile's sizes (default the paper's): world clips with their own frames as the "generated" videos. */
export function benchPositives(n: number, grid: MaskGrid = { kind: 'patch', size: 8 }, profile = paper()): AlignSample[] {
  const p = profile;
  return Array.from({ length: n }, (_, i) => {
    const c = makeClip(1, 'train', i % p.world.splits.train, p.world);
    return { key: `${c.id}~${i}`, clip: { ref: c.ref, refPose: c.refPose, poses: c.poses, frames: c.frames }, handMask: handMaskOnGrid(c.handMasks, c.size, grid) };
  });
}

const alignBench: BenchDefinition = {
  name: 'post-training step',
  group: 'align',
  description: 'seconds per post-training step of each method (its tuned settings: LoRA on QKV, batch 8) on the paper model, per engine (tfjs; onnx, one thread as in a study job); IPA+HALO on onnx at least 3x faster than on tfjs',
  backends: ['wasm'],
  async run(ctx) {
    const p = sized(ctx);
    const weights = (() => {
      const params = benchParams(1, p.pretrain.model);
      const d = snapshot(params);
      tf.dispose(Object.values(params));
      return d;
    })();
    const B = ctx.tiny ? 2 : 8;
    const positives = benchPositives(2 * B, p.align.defaults.maskGrid, p);
    const pairs = positives.slice(0, B).map((w, i) => ({ win: w, lose: positives[i + B] }));
    const out: BenchMeasurement[] = [];
    const engines: EngineName[] = ortStatus().ok ? ['tfjs', 'onnx'] : ['tfjs'];
    const tfjsOf: Partial<Record<AlignMethod, number>> = {};
    for (const method of ALIGN_METHODS as readonly AlignMethod[]) {
      for (const engine of engines) {
        // 6 steps, the first two left out of the mean (session creation and ONNX Runtime's first-run allocations on
        // onnx, kernel warm-up on tfjs).
        const config: AlignConfig = { ...methodConfig(p.align, method), steps: ctx.tiny ? 3 : 6, batch: B, checkpointEvery: 1000 };
        const outDir = tmp(method);
        await alignTrain({ config, seed: 1, base: { model: p.pretrain.model, weights, weightsSha256: 'bench', worldHash: 'bench' }, positives, pairs, outDir, resume: false, engine });
        const timed = readStepLog(outDir).slice(2);
        const perStep = timed.reduce((t, r) => t + r.seconds, 0) / timed.length;
        fs.rmSync(outDir, { recursive: true, force: true });
        if (engine === 'tfjs') tfjsOf[method] = perStep;
        const vs = engine === 'onnx' && tfjsOf[method] ? `x${((tfjsOf[method] as number) / perStep).toFixed(2)} of tfjs` : undefined;
        ctx.log(`${method} on ${engine}: ${perStep.toFixed(2)} s/step`);
        out.push({ case: `${p.name} model, ${config.lora ? 'LoRA' : 'full'}, batch ${B}, ${method}`, variant: engine === 'tfjs' ? 'tfjs' : 'onnx 1 thread', unit: 's/step', samples: [perStep], higherIsBetter: false, note: vs });
      }
    }
    return out;
  },
};

const scoreBench: BenchDefinition = {
  name: 'scoring',
  group: 'eval',
  description: 'score one model on both test splits (metrics only, generations given: 164 clips; target: at most 2 minutes)',
  backends: ['wasm'],
  async run(ctx) {
    const p = sized(ctx);
    const clips = [...Array.from({ length: p.world.splits['test-general'] }, (_, i) => makeClip(1, 'test-general', i, p.world)), ...Array.from({ length: p.world.splits['test-hands'] }, (_, i) => makeClip(1, 'test-hands', i, p.world))];
    const t0 = Date.now();
    for (const c of clips) {
      const gen = Uint8Array.from(c.frames, (v, k) => Math.min(255, v + (k % 7)));
      scoreClip(c.id, c.id, gen, c, c.size);
    }
    return [{ case: `${clips.length} clips (SSIM, PSNR, regions)`, variant: 'score', unit: 's', samples: [(Date.now() - t0) / 1000], higherIsBetter: false, note: 'without the perception network' }];
  },
};

const memoryBench: BenchDefinition = {
  name: 'memory',
  group: 'memory',
  description: 'resident memory and live tensors over 100 pretraining steps of the paper model per engine (tfjs: batch 2; onnx: the profile batch, 2 threads): tensors must not grow, RSS under 4 GiB',
  backends: ['wasm'],
  async run(ctx) {
    const p = sized(ctx);
    const steps = ctx.tiny ? 4 : 100;
    const out: BenchMeasurement[] = [];
    const engines: EngineName[] = ortStatus().ok ? ['tfjs', 'onnx'] : ['tfjs'];
    for (const engine of engines) {
      let first = -1;
      let last = -1;
      let rssAt10 = 0;
      let rssLast = 0;
      let peak = 0;
      await pretrain({
        config: { ...p.pretrain, steps, batch: engine === 'tfjs' ? 2 : p.pretrain.batch, checkpointEvery: 1000 },
        seed: 1,
        source: (i) => pretrainSample(1, i, p.world),
        worldHash: 'bench',
        outDir: tmp('memory'),
        resume: false,
        engine,
        workers: engine === 'onnx' ? 2 : 1,
        onStep: (step) => {
          const n = tf.memory().numTensors;
          const rss = process.memoryUsage().rss;
          if (step === 1) first = n;
          if (step === Math.min(10, steps)) rssAt10 = rss;
          last = n;
          rssLast = rss;
          peak = Math.max(peak, rss);
          if (step % 25 === 0) ctx.log(`memory (${engine}): step ${step}, ${n} tensors, RSS ${(rss / 2 ** 30).toFixed(2)} GiB`);
        },
      });
      const kase = `${steps} steps, ${engine}`;
      out.push(
        { case: kase, variant: 'tensors after step 1', unit: 'tensors', samples: [first], higherIsBetter: false },
        { case: kase, variant: `tensors after step ${steps}`, unit: 'tensors', samples: [last], higherIsBetter: false },
        { case: kase, variant: 'peak RSS', unit: 'GiB', samples: [peak / 2 ** 30], higherIsBetter: false },
        { case: kase, variant: `RSS growth, step ${Math.min(10, steps)} to the end`, unit: 'GiB', samples: [(rssLast - rssAt10) / 2 ** 30], higherIsBetter: false },
      );
    }
    return out;
  },
};

/**
 * The rows to get on a GPU machine in one go (`npm run bench:device`): on every backend that loads there
 * (tensorflow with tfjs-node-gpu, webgpu through Dawn, and wasm for comparison), the paper model's pretraining step on
 * one worker and its sampling of 8 clips on tfjs; and on every ONNX Runtime provider that runs there (cpu, webgpu,
 * cuda) the onnx engine's pretraining step and sampling.
 */
const deviceBench: BenchDefinition = {
  name: 'device',
  group: 'device',
  description: 'on each backend that loads: seconds per pretraining step of the paper model (one worker) and per sampled clip (tfjs, 8 clips, the paper sampler); on each ONNX Runtime provider that runs: the same on the onnx engine',
  backends: ['tensorflow', 'webgpu', 'wasm'],
  async run(ctx) {
    const p = sized(ctx);
    const perStep = await pretrainSecondsPerStep(p.pretrain, ctx.tiny ? 3 : 6, 1, 'tfjs', p.world);
    const params = benchParams(1, p.pretrain.model);
    try {
      const n = ctx.tiny ? 2 : 8;
      const jobs = Array.from({ length: n }, (_, i) => makeClip(1, 'val', i % p.world.splits.val, p.world)).map((cl, i) => ({ key: `${cl.id}#${i}`, clip: cl }));
      const opts = { steps: p.sampler.steps, eta: p.sampler.eta, frameCorrelation: p.sampler.frameCorrelation, seed: 1, batch: Math.min(n, p.sampler.batch) };
      generate(p.pretrain.model, params, jobs.slice(0, 1), { ...opts, batch: 1, steps: 1 }); // warm-up (shader compilation on GPUs)
      const t0 = performance.now();
      generate(p.pretrain.model, params, jobs, opts);
      const sampleSeconds = (performance.now() - t0) / 1000 / jobs.length;
      ctx.log(`device ${ctx.backend}: ${perStep.toFixed(2)} s/step, ${sampleSeconds.toFixed(2)} s/clip`);
      const out: BenchMeasurement[] = [
        { case: `pretraining step, batch ${p.pretrain.batch}`, variant: ctx.backend, unit: 's/step', samples: [perStep], higherIsBetter: false, note: `${p.pretrain.steps} steps -> ${((perStep * p.pretrain.steps) / 60).toFixed(1)} min` },
        { case: `sampling, ${opts.steps} steps, batch ${opts.batch}`, variant: ctx.backend, unit: 's/clip', samples: [sampleSeconds], higherIsBetter: false },
      ];
      // The onnx engine on each provider that runs here (once, with the wasm pass: it does not depend on tfjs's backend).
      if (ctx.backend === 'wasm' && ortStatus().ok) {
        const was = process.env.IPA_ENGINE;
        for (const provider of ORT_PROVIDERS) {
          const why = probeProvider(provider);
          if (why) {
            ctx.log(`device: onnx:${provider} skipped: ${why}`);
            continue;
          }
          process.env.IPA_ENGINE = `onnx:${provider}`;
          try {
            const step = await pretrainSecondsPerStep(p.pretrain, ctx.tiny ? 3 : 8, 1, 'onnx', p.world);
            const runner = new UnetOnnx(p.pretrain.model as UnetConfig, params, undefined, 1);
            await generateOnnx(runner, jobs.slice(0, 1), { ...opts, batch: 1, steps: 1 });
            const t1 = performance.now();
            await generateOnnx(runner, jobs, opts);
            const clipSeconds = (performance.now() - t1) / 1000 / jobs.length;
            await runner.release();
            ctx.log(`device onnx:${provider}: ${step.toFixed(2)} s/step, ${clipSeconds.toFixed(2)} s/clip`);
            out.push(
              { case: `pretraining step, batch ${p.pretrain.batch}`, variant: `onnx:${provider}`, unit: 's/step', samples: [step], higherIsBetter: false, note: `${p.pretrain.steps} steps -> ${((step * p.pretrain.steps) / 60).toFixed(1)} min` },
              { case: `sampling, ${opts.steps} steps, batch ${opts.batch}`, variant: `onnx:${provider}`, unit: 's/clip', samples: [clipSeconds], higherIsBetter: false },
            );
          } finally {
            if (was === undefined) delete process.env.IPA_ENGINE;
            else process.env.IPA_ENGINE = was;
          }
        }
      }
      return out;
    } finally {
      tf.dispose(Object.values(params));
    }
  },
};

export const STUDY_BENCHES: BenchDefinition[] = [worldBench, sampleBench, pretrainBench, alignBench, scoreBench, memoryBench, deviceBench];
