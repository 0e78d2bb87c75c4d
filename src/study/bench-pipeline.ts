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
import { generate, generateOnnx, sampleBatch, sampleBatchOnnx } from '../model/sample';
import { UnetConfig } from '../model/config';
import { UnetOnnx } from '../model/unet-onnx';
import { ortStatus } from '../gpu/onnx';
import { fusedKernelsActive, setFusedKernels } from '../gpu/fused';
import { PretrainConfig, pretrain, pretrainSample } from '../model/pretrain';
import { benchWorldBuild } from '../world/bench';
import { makeClip } from '../world/clip';
import { rng } from '../core/seeds';
import { BenchDefinition, BenchMeasurement, median } from '../gpu/bench-harness';
import { getProfile, methodConfig } from './profiles';

const paper = () => getProfile('paper');

function tmp(name: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ipa-bench-${name}-`));
}

/** Paper-size weights with non-zero gates, FiLM and output layers (a zero-initialised model would give trivial outputs). */
export function benchParams(seed = 1): Params {
  const p = initParams(paper().pretrain.model, seed);
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
    for (let r = 0; r < Math.max(1, Math.min(ctx.repeats, 2)); r++) samples.push((await benchWorldBuild(paper().world, 'paper')).seconds);
    return [{ case: 'paper world', variant: 'build', unit: 's', samples, higherIsBetter: false }];
  },
};

const sampleBench: BenchDefinition = {
  name: 'sampling',
  group: 'sampling',
  description:
    "generate 16 clips with the paper model and sampler (4 steps, batch 8) per engine: tfjs wasm (the reference), ONNX Runtime on 1 and 2 threads; seconds per clip (targets: 16 clips at most 30 s, ONNX at least 3x faster than tfjs) and the engines' max abs difference per pixel on the same noise (target: under 1e-3)",
  backends: ['wasm'],
  async run(ctx) {
    const p = paper();
    const c = p.pretrain.model as UnetConfig;
    const params = benchParams();
    const clips = Array.from({ length: 16 }, (_, i) => makeClip(1, 'val', i, p.world));
    const jobs = clips.map((cl) => ({ key: `${cl.id}#0`, clip: cl }));
    const opts = { steps: p.sampler.steps, eta: p.sampler.eta, frameCorrelation: p.sampler.frameCorrelation, seed: 1, batch: p.sampler.batch };
    const repeats = Math.max(1, Math.min(ctx.repeats, 2));
    const out: BenchMeasurement[] = [];
    const row = (variant: string, seconds: number[], note?: string): BenchMeasurement => ({ case: `16 clips, ${opts.steps} steps`, variant, unit: 's/clip', samples: seconds.map((x) => x / jobs.length), higherIsBetter: false, note });
    try {
      const tfjsSeconds: number[] = [];
      for (let r = 0; r < repeats; r++) {
        const t0 = performance.now();
        generate(c, params, jobs, opts);
        tfjsSeconds.push((performance.now() - t0) / 1000);
      }
      out.push(row('tfjs wasm', tfjsSeconds, `${(median(tfjsSeconds)).toFixed(1)} s for 16 clips`));
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
          out.push(row(`onnx ${threads} thread${threads > 1 ? 's' : ''}`, seconds, `${median(seconds).toFixed(1)} s for 16 clips, x${(median(tfjsSeconds) / median(seconds)).toFixed(1)} of tfjs`));
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
 * Seconds per warm pretraining step of `config` on `workers` data-parallel workers, on the paper world's stream:
 * `steps` steps timed from the step callbacks, the first left out (it starts the workers and warms the kernels; wasm
 * heaps still grow over the next one or two). The run folder is removed afterwards.
 */
export async function pretrainSecondsPerStep(config: PretrainConfig, steps: number, workers: number): Promise<number> {
  const p = paper();
  const outDir = tmp('pretrain');
  const stamps: number[] = [];
  try {
    await pretrain({
      config: { ...config, steps, checkpointEvery: 1000 },
      seed: 1,
      source: (i) => pretrainSample(1, i, p.world),
      worldHash: 'bench',
      outDir,
      resume: false,
      workers,
      stream: { worldSeed: 1, world: p.world },
      onStep: () => stamps.push(performance.now()),
    });
    return (stamps[stamps.length - 1] - stamps[0]) / 1000 / (stamps.length - 1);
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
}

const pretrainBench: BenchDefinition = {
  name: 'pretraining step',
  group: 'train',
  description: 'seconds per pretraining step of the paper profile (its batch and frame windows), on 1 and on 2 data-parallel workers, the speed-up of 2 (target: at least 1.8x) and the paper run\'s minutes (target: at most 90)',
  backends: ['wasm'],
  async run(ctx) {
    const p = paper();
    const out: BenchMeasurement[] = [];
    const steps = 10;
    const perStep: number[] = [];
    // Before: the composed tfjs ops for GroupNorm/FiLM/SiLU and the skip concatenation (one worker, this thread).
    if (fusedKernelsActive()) {
      const was = setFusedKernels(false);
      const composed = await pretrainSecondsPerStep(p.pretrain, steps, 1).finally(() => setFusedKernels(was));
      ctx.log(`pretraining: ${composed.toFixed(2)} s/step on 1 worker with the composed ops`);
      out.push({ case: `paper model, batch ${p.pretrain.batch}${p.pretrain.clipFrames ? ` x ${p.pretrain.clipFrames}-frame windows` : ''}`, variant: '1 worker, composed ops', unit: 's/step', samples: [composed], higherIsBetter: false, note: 'before the fused kernels (IPA_FUSED=0)' });
    }
    for (const workers of [1, 2]) {
      const secondsPerStep = await pretrainSecondsPerStep(p.pretrain, steps, workers);
      ctx.log(`pretraining: ${secondsPerStep.toFixed(2)} s/step on ${workers} worker(s)`);
      perStep.push(secondsPerStep);
      const speedup = workers > 1 ? `, x${(perStep[0] / secondsPerStep).toFixed(2)} of 1 worker` : '';
      out.push({
        case: `paper model, batch ${p.pretrain.batch}${p.pretrain.clipFrames ? ` x ${p.pretrain.clipFrames}-frame windows` : ''}`,
        variant: `${workers} worker${workers > 1 ? 's' : ''}`,
        unit: 's/step',
        samples: [secondsPerStep],
        higherIsBetter: false,
        note: `${p.pretrain.steps} steps -> ${((secondsPerStep * p.pretrain.steps) / 60).toFixed(1)} min${speedup}`,
      });
    }
    return out;
  },
};

/** Synthetic positives at the paper's sizes: world clips with their own frames as the "generated" videos. */
export function benchPositives(n: number, grid: MaskGrid = { kind: 'patch', size: 8 }): AlignSample[] {
  const p = paper();
  return Array.from({ length: n }, (_, i) => {
    const c = makeClip(1, 'train', i, p.world);
    return { key: c.id, clip: { ref: c.ref, refPose: c.refPose, poses: c.poses, frames: c.frames }, handMask: handMaskOnGrid(c.handMasks, c.size, grid) };
  });
}

const alignBench: BenchDefinition = {
  name: 'post-training step',
  group: 'align',
  description: 'seconds per post-training step of each method (LoRA on QKV, batch 8) on the paper model; IPA must cost at most 1.6x SFT',
  backends: ['wasm'],
  async run(ctx) {
    const p = paper();
    const weights = (() => {
      const params = benchParams();
      const d = snapshot(params);
      tf.dispose(Object.values(params));
      return d;
    })();
    const positives = benchPositives(8);
    const pairs = positives.slice(0, 4).map((w, i) => ({ win: w, lose: positives[i + 4] }));
    const out: BenchMeasurement[] = [];
    for (const method of ALIGN_METHODS as readonly AlignMethod[]) {
      const config: AlignConfig = { ...methodConfig(p.align, method), steps: 3, checkpointEvery: 1000 };
      const res = await alignTrain({ config, seed: 1, base: { model: p.pretrain.model, weights, weightsSha256: 'bench', worldHash: 'bench' }, positives, pairs, outDir: tmp(method), resume: false });
      ctx.log(`${method}: ${res.loop.secondsPerStep.toFixed(2)} s/step`);
      out.push({ case: 'paper model, LoRA, batch 8', variant: method, unit: 's/step', samples: [res.loop.secondsPerStep], higherIsBetter: false });
    }
    return out;
  },
};

const scoreBench: BenchDefinition = {
  name: 'scoring',
  group: 'eval',
  description: 'score one model on both test splits (metrics only, generations given: 164 clips; target: at most 2 minutes)',
  backends: ['wasm'],
  async run() {
    const p = paper();
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
  description: 'resident memory and live tensors over 100 pretraining steps of the paper model (batch 2): tensors must not grow, RSS under 4 GiB',
  backends: ['wasm'],
  async run(ctx) {
    const p = paper();
    let first = -1;
    let last = -1;
    let peak = 0;
    await pretrain({
      config: { ...p.pretrain, steps: 100, batch: 2, checkpointEvery: 1000 },
      seed: 1,
      source: (i) => pretrainSample(1, i, p.world),
      worldHash: 'bench',
      outDir: tmp('memory'),
      resume: false,
      onStep: (step) => {
        const n = tf.memory().numTensors;
        if (step === 1) first = n;
        last = n;
        peak = Math.max(peak, process.memoryUsage().rss);
        if (step % 25 === 0) ctx.log(`memory: step ${step}, ${n} tensors, RSS ${(process.memoryUsage().rss / 2 ** 30).toFixed(2)} GiB`);
      },
    });
    return [
      { case: '100 steps', variant: 'tensors after step 1', unit: 'tensors', samples: [first], higherIsBetter: false },
      { case: '100 steps', variant: 'tensors after step 100', unit: 'tensors', samples: [last], higherIsBetter: false },
      { case: '100 steps', variant: 'peak RSS', unit: 'GiB', samples: [peak / 2 ** 30], higherIsBetter: false },
    ];
  },
};

/**
 * The rows to get on a GPU machine in one go (`npm run bench:device`): on every backend that loads there
 * (tensorflow with tfjs-node-gpu, webgpu through Dawn, and wasm for comparison), the paper model's pretraining step on
 * one worker and its sampling of 8 clips on tfjs; ONNX Runtime's CPU row is the sampling bench's.
 */
const deviceBench: BenchDefinition = {
  name: 'device',
  group: 'device',
  description: 'on each backend that loads: seconds per pretraining step of the paper model (one worker) and per sampled clip (tfjs, 8 clips, the paper sampler)',
  backends: ['tensorflow', 'webgpu', 'wasm'],
  async run(ctx) {
    const p = paper();
    const perStep = await pretrainSecondsPerStep(p.pretrain, 6, 1);
    const params = benchParams();
    try {
      const jobs = Array.from({ length: 8 }, (_, i) => makeClip(1, 'val', i, p.world)).map((cl) => ({ key: `${cl.id}#0`, clip: cl }));
      const opts = { steps: p.sampler.steps, eta: p.sampler.eta, frameCorrelation: p.sampler.frameCorrelation, seed: 1, batch: p.sampler.batch };
      generate(p.pretrain.model, params, jobs.slice(0, 1), { ...opts, batch: 1, steps: 1 }); // warm-up (shader compilation on GPUs)
      const t0 = performance.now();
      generate(p.pretrain.model, params, jobs, opts);
      const sampleSeconds = (performance.now() - t0) / 1000 / jobs.length;
      ctx.log(`device ${ctx.backend}: ${perStep.toFixed(2)} s/step, ${sampleSeconds.toFixed(2)} s/clip`);
      return [
        { case: `pretraining step, batch ${p.pretrain.batch}`, variant: ctx.backend, unit: 's/step', samples: [perStep], higherIsBetter: false, note: `${p.pretrain.steps} steps -> ${((perStep * p.pretrain.steps) / 60).toFixed(1)} min` },
        { case: `sampling, ${opts.steps} steps, batch ${opts.batch}`, variant: ctx.backend, unit: 's/clip', samples: [sampleSeconds], higherIsBetter: false },
      ];
    } finally {
      tf.dispose(Object.values(params));
    }
  },
};

export const STUDY_BENCHES: BenchDefinition[] = [worldBench, sampleBench, pretrainBench, alignBench, scoreBench, memoryBench, deviceBench];
