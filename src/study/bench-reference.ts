/**
 * The yardstick (group 'reference'): the kit's pretraining step against the same network, batch and step in
 * PyTorch (bench/reference/: models.py, step.py), for the paper U-Net (its profile's step: 8 clips x 2-frame windows)
 * and the first rounds' DiT, on 1 and 2 threads on
 * both sides (kit: 1 or 2 data-parallel workers; PyTorch: torch.set_num_threads and OPENBLAS_NUM_THREADS).
 * PyTorch runs only when Debian's python3-torch is importable by /usr/bin/python3; the row is skipped with the
 * reason otherwise (the kit itself never needs Python). The replica's parameter count is checked against the
 * kit's. Also the op profile of one kit step by kernel name (`opProfile`, printed with `--profile`).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { BenchDefinition, BenchMeasurement } from '../gpu/bench-harness';
import { DEFAULT_MODEL, ModelConfig, UnetConfig } from '../model/config';
import { countParams, initParams } from '../model/network';
import { ClipPixels } from '../model/inputs';
import { PretrainConfig, StepLoss, flowStepBatch, flowStepLoss, microBatchGrads, trainingModel } from '../model/pretrain';
import { UnetOnnxTrainer } from '../model/unet-train';
import { ortStatus } from '../gpu/onnx';
import { AdamW, adamwConfig } from '../train/optim';
import { mm2d } from '../gpu/ops';
import { unetFrameMacs } from '../model/unet';
import { rng } from '../core/seeds';
import { getProfile } from './profiles';

/** The Python that has Debian's python3-torch (the `python3` on PATH may be another one). */
export const REFERENCE_PYTHON = process.env.IPA_REFERENCE_PYTHON ?? '/usr/bin/python3';

/** bench/reference/ of the package (from dist/study/ or src/study/). */
function referenceDir(): string {
  return path.resolve(__dirname, '..', '..', 'bench', 'reference');
}

/** Why PyTorch cannot run here, or null when it can. */
export function torchUnavailable(): string | null {
  if (!fs.existsSync(path.join(referenceDir(), 'step.py'))) return `no bench/reference/step.py next to the kit (${referenceDir()})`;
  const r = spawnSync(REFERENCE_PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 60_000 });
  if (r.error) return `${REFERENCE_PYTHON} does not run (${r.error.message})`;
  if (r.status !== 0) return `${REFERENCE_PYTHON} cannot import torch (install Debian's python3-torch)`;
  return null;
}

/** One PyTorch run: per-step seconds after a warm-up step, and the replica's parameter count. */
export function torchSteps(model: ModelConfig, batch: number, threads: number, repeats: number): { params: number; seconds: number[]; torch: string; blas: string } {
  const env = { ...process.env, OPENBLAS_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const r = spawnSync(REFERENCE_PYTHON, ['step.py', JSON.stringify(model), String(batch), String(threads), String(repeats)], { cwd: referenceDir(), env, encoding: 'utf8', timeout: 1_800_000 });
  if (r.status !== 0) throw new Error(`reference step.py failed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').pop()}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() as string) as { params: number; seconds: number[]; torch: string; blas: string };
}

/** Random clips (timing only: the step does not depend on the pictures). */
function randomClips(c: ModelConfig, n: number, seed: number): ClipPixels[] {
  const px = c.height * c.width * 3;
  const F = c.frames - 1;
  const bytes = (k: number, label: string) => Uint8Array.from(rng(seed, label).uniforms(k, 0, 255), (v) => Math.floor(v));
  return Array.from({ length: n }, (_, i) => ({ ref: bytes(px, `ref${i}`), refPose: bytes(px, `rp${i}`), frames: bytes(F * px, `f${i}`), poses: bytes(F * px, `p${i}`) }));
}

/** The loss terms of the replica's step: plain flow matching, the mode noise's share where the model has one. */
function replicaTerms(model: ModelConfig): StepLoss {
  return model.kind === 'unet' && model.modeNoise ? { modeShare: 0.5 } : {};
}

/**
 * A kit pretraining step on the onnx engine (the batch's arrays, one run of the training graph with `threads`
 * intra-op threads, AdamW on the kit's side), `repeats` times after two warm-up steps (session creation, then
 * ONNX Runtime's first-run allocations).
 */
export async function kitOnnxSteps(model: UnetConfig, batch: number, threads: number, repeats: number): Promise<{ params: number; seconds: number[] }> {
  const params = initParams(model, 1);
  const opt = new AdamW(adamwConfig({ lr: 1e-4, weightDecay: 0.01, clipNorm: 1, warmupSteps: 0, minLrFraction: 1 }, 1000), params);
  const trainer = new UnetOnnxTrainer(model, threads);
  const clips = randomClips(model, batch, 2);
  const seconds: number[] = [];
  try {
    for (let i = 0; i < repeats + 2; i++) {
      const start = performance.now();
      const weights = Object.fromEntries(Object.entries(params).map(([n, v]) => [n, v.dataSync() as Float32Array]));
      const r = await trainer.step(weights, flowStepBatch(model, clips, 1, i, { kind: 'uniform' }, 0, replicaTerms(model)));
      const g = Object.fromEntries(Object.entries(r.grads).map(([n, d]) => [n, tf.tensor(d, params[n].shape)]));
      opt.apply(g);
      tf.dispose(Object.values(g));
      if (i >= 2) seconds.push((performance.now() - start) / 1000);
    }
    return { params: countParams(params), seconds };
  } finally {
    await trainer.release();
    opt.dispose();
    tf.dispose(Object.values(params));
  }
}

/** A kit pretraining step on one worker (loss, gradients, AdamW), `repeats` times after one warm-up step. */
export function kitSteps(model: ModelConfig, batch: number, repeats: number, micro?: number): { params: number; seconds: number[] } {
  const params = initParams(model, 1);
  const opt = new AdamW(adamwConfig({ lr: 1e-4, weightDecay: 0.01, clipNorm: 1, warmupSteps: 0, minLrFraction: 1 }, 1000), params);
  const clips = randomClips(model, batch, 2);
  const seconds: number[] = [];
  try {
    for (let i = 0; i <= repeats; i++) {
      const start = performance.now();
      if (micro && micro < batch) {
        const r = microBatchGrads(model, params, clips, 1, i, { kind: 'uniform' }, micro, 0, replicaTerms(model));
        const g = Object.fromEntries(Object.entries(r.grads).map(([n, d]) => [n, tf.tensor(d, params[n].shape)]));
        opt.apply(g);
        tf.dispose(Object.values(g));
      } else {
        const { value, grads } = tf.variableGrads(() => flowStepLoss(model, params, clips, 1, i, { kind: 'uniform' }, 0, replicaTerms(model)));
        opt.apply(Object.fromEntries(Object.entries(params).map(([n, v]) => [n, grads[v.name]])));
        value.dataSync();
        tf.dispose([value, ...Object.values(grads)]);
      }
      if (i > 0) seconds.push((performance.now() - start) / 1000);
    }
    return { params: countParams(params), seconds };
  } finally {
    opt.dispose();
    tf.dispose(Object.values(params));
  }
}

/** Kernel time of one kit training step (forward + backward), summed by kernel name, largest first. */
export async function opProfile(model: ModelConfig, batch: number): Promise<{ kernel: string; ms: number; calls: number }[]> {
  const params = initParams(model, 1);
  const clips = randomClips(model, batch, 3);
  const step = () => {
    const { value, grads } = tf.variableGrads(() => flowStepLoss(model, params, clips, 1, 0, { kind: 'uniform' }, 0, replicaTerms(model)));
    return [value, ...Object.values(grads)];
  };
  tf.dispose(step()); // warm-up
  const info = await tf.profile(() => step());
  tf.dispose(Object.values(params));
  const by = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const e = by.get(k.name) ?? { ms: 0, calls: 0 };
    e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    e.calls += 1;
    by.set(k.name, e);
  }
  return [...by.entries()].map(([kernel, e]) => ({ kernel, ...e })).sort((a, b) => b.ms - a.ms);
}

/** The op profile of one pretraining step of each reference model, as text tables (`ipa-kit bench --profile`). */
export async function stepProfiles(top = 15): Promise<string> {
  const out: string[] = [];
  for (const { name, model, batch: full, micro } of referenceModels()) {
    const batch = micro ?? full;
    const rows = await opProfile(model, batch);
    const total = rows.reduce((s, r) => s + r.ms, 0);
    out.push(`op profile: ${name}, one forward+backward pass of ${batch} clips on ${tf.getBackend()}: ${total.toFixed(0)} ms of kernel time in ${rows.reduce((s, r) => s + r.calls, 0)} kernel calls`);
    out.push(`  ${'kernel'.padEnd(26)} ${'ms'.padStart(8)} ${'share'.padStart(6)} ${'calls'.padStart(6)}`);
    for (const r of rows.slice(0, top)) out.push(`  ${r.kernel.padEnd(26)} ${r.ms.toFixed(0).padStart(8)} ${((100 * r.ms) / total).toFixed(1).padStart(5)}% ${String(r.calls).padStart(6)}`);
  }
  return out.join('\n');
}

/** A reference row's network and step: the model config the passes run, batch, passes of `micro` clips, the pretraining config. */
export interface ReferenceModel {
  name: string;
  model: ModelConfig;
  batch: number;
  micro?: number;
  pretrain: PretrainConfig;
}

/**
 * The models of the reference rows: the paper U-Net as its profile trains it, and the first rounds' DiT (batch 8);
 * `tiny`: the smoke profile's U-Net and DiT at their own sizes (what `npm test` runs).
 */
export function referenceModels(tiny = false): ReferenceModel[] {
  const p = getProfile(tiny ? 'smoke' : 'paper').pretrain;
  const ditModel = tiny ? { ...DEFAULT_MODEL, height: 32, width: 32, frames: 3, dim: 32, depth: 1 } : DEFAULT_MODEL;
  const dit: PretrainConfig = { ...p, model: ditModel, clipFrames: undefined, microBatch: undefined, modeShare: undefined, batch: tiny ? 2 : 8 };
  return [
    { name: `U-Net (${tiny ? 'smoke' : 'paper'} base, ${p.clipFrames ?? DEFAULT_MODEL.frames - 1}-frame clips)`, model: trainingModel(p), batch: p.batch, micro: p.microBatch, pretrain: p },
    { name: `DiT (${tiny ? 'a tiny one' : "first rounds' base"})`, model: ditModel, batch: dit.batch, pretrain: dit },
  ];
}

const referenceBench: BenchDefinition = {
  name: 'pytorch reference',
  group: 'reference',
  description: "seconds per pretraining step (batch 8) of the kit (tfjs 1 worker, onnx 1 thread, onnx 2 cores) vs the same network in PyTorch (bench/reference), 1 and 2 threads (targets: onnx at least 1.0x PyTorch on 1 and on 2 threads)",
  backends: ['wasm'],
  async run(ctx) {
    const why = torchUnavailable();
    if (why) ctx.log(`reference: PyTorch rows skipped: ${why}`);
    const out: BenchMeasurement[] = [];
    const repeats = Math.max(2, Math.min(ctx.repeats, 3));
    for (const { name, model, batch, micro } of referenceModels(ctx.tiny)) {
      // Back to back in one run: PyTorch 1 thread, the kit on tfjs (1 worker) and on onnx (1 thread), then 2 threads
      // and the kit's onnx engine on both cores (one session, 2 intra-op threads: docs/design.md, "Engines").
      const row = (variant: string, samples: number[], note?: string): BenchMeasurement => ({ case: `${name}, batch ${batch}`, variant, unit: 's/step', samples, higherIsBetter: false, note });
      const vsTorch = (mine: number[], torch: number[] | null) => (torch ? ` = ${(median(torch) / median(mine)).toFixed(2)}x PyTorch's speed` : '');
      let torch1: number[] | null = null;
      let torch2: number[] | null = null;
      let torchParams: number | null = null;
      if (!why) {
        const r = torchSteps(model, batch, 1, repeats);
        torch1 = r.seconds;
        torchParams = r.params;
        out.push(row('pytorch 1 thread', r.seconds, `torch ${r.torch}, BLAS ${r.blas}, ${r.params} params`));
      }
      const kit = kitSteps(model, batch, repeats, micro);
      if (torchParams !== null && torchParams !== kit.params) throw new Error(`reference: the PyTorch ${name} has ${torchParams} parameters, the kit's ${kit.params}`);
      out.push(row('kit tfjs 1 worker', kit.seconds, `${kit.params} params${vsTorch(kit.seconds, torch1)}${micro ? `, passes of ${micro} clips` : ''}`));
      ctx.log(`reference: ${name}: kit tfjs ${median(kit.seconds).toFixed(2)} s/step${vsTorch(kit.seconds, torch1)}`);
      const onnx = model.kind === 'unet' && ortStatus().ok;
      const onnx1 = onnx ? await kitOnnxSteps(model, batch, 1, repeats) : null;
      if (onnx1) {
        out.push(row('kit onnx 1 thread', onnx1.seconds, `x${(median(kit.seconds) / median(onnx1.seconds)).toFixed(2)} of kit tfjs${vsTorch(onnx1.seconds, torch1)}`));
        ctx.log(`reference: ${name}: kit onnx ${median(onnx1.seconds).toFixed(2)} s/step${vsTorch(onnx1.seconds, torch1)}`);
      }
      if (!why) {
        const r = torchSteps(model, batch, 2, repeats);
        torch2 = r.seconds;
        out.push(row('pytorch 2 threads', r.seconds));
      }
      if (onnx) {
        const onnx2 = await kitOnnxSteps(model as UnetConfig, batch, 2, repeats);
        out.push(row('kit onnx 2 cores', onnx2.seconds, `one session, 2 intra-op threads${vsTorch(onnx2.seconds, torch2)}`));
      }
      if (model.kind === 'unet') {
        const ceiling = convCeiling(model, batch, median(kit.seconds), torch1 ? median(torch1) : null);
        ctx.log(`reference: ${name}: ${ceiling}`);
      }
    }
    return out;
  },
};

/** The best rate of the kit's 2-D product on this backend (GFLOP/s): the im2col conv path cannot run faster. */
function matmulPeak(): number {
  const n = 768;
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  let best = Infinity;
  for (let i = 0; i < 4; i++) {
    const t0 = performance.now();
    const c = mm2d(a, b);
    c.dataSync();
    best = Math.min(best, (performance.now() - t0) / 1000);
    c.dispose();
  }
  tf.dispose([a, b]);
  return (2 * n ** 3) / best / 1e9;
}

/**
 * Why the U-Net step cannot reach PyTorch's speed on wasm, measured: the step's conv and projection math
 * (`unetFrameMacs` x 2 FLOPs x 3 passes x frames) over the kit's best 2-D product rate is a floor on its time even
 * if every other op (normalisation, SiLU, FiLM, reductions) were free.
 */
function convCeiling(model: ModelConfig & { kind: 'unet' }, batch: number, kitSeconds: number, torchSeconds: number | null): string {
  const frames = batch * (model.frames - 1);
  const gflop = (2 * 3 * unetFrameMacs(model) * frames) / 1e9;
  const peak = matmulPeak();
  const floor = gflop / peak;
  const torch = torchSeconds ? `, PyTorch ${(gflop / torchSeconds).toFixed(1)} GFLOP/s` : '';
  const ratio = torchSeconds ? `: the kit's ceiling is ${(torchSeconds / floor).toFixed(2)}x PyTorch's step even if every other op were free` : '';
  return `${gflop.toFixed(1)} GFLOP of conv and projection math per step (${frames} frames); kit ${(gflop / kitSeconds).toFixed(1)} GFLOP/s effective${torch}; at the kit's best 2-D product rate here (${peak.toFixed(1)} GFLOP/s) that math alone takes ${floor.toFixed(2)} s${ratio}`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export const REFERENCE_BENCHES: BenchDefinition[] = [referenceBench];
