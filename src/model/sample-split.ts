/**
 * Sampling a whole split: videos of a model (base, or base + adapter) for the clips of a world split, sharded over
 * worker threads and stored as a generations folder. Stored generations made with the same model weights, world,
 * split, candidates and sampler settings are reused; anything else is regenerated.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../core/errors';
import * as os from 'node:os';
import { TaskContext, defineTask, parallelMap, workerCount } from '../core/pool';
import { backendSetup } from '../gpu/workers';
import { World, getClip, loadWorldCached, worldHash as computeWorldHash } from '../world/store';
import { readModelCheckpointMeta } from './checkpoint';
import { GenerationEntry, Generations, GenerationsManifest, generationKey, loadGenerations, readGenerationsManifest, saveGenerations } from './generations';
import { loadModel } from './load';
import { UnetConfig, modelKind } from './config';
import { EngineName } from './engine';
import { generate, generateOnnx } from './sample';
import { UnetOnnx } from './unet-onnx';

export interface GenerateSplitArgs {
  world: World;
  worldDir: string;
  split: string;
  baseDir: string;
  adapterDir?: string | null;
  /** Candidates per clip (their noise streams are `<clipId>#0..k-1`). */
  candidates: number;
  /** Only the split's first `rows` clips (default: all); a clip's videos are the same either way. */
  rows?: number;
  steps: number;
  /** Stochastic sampler's share of renewed noise per step; 0 or absent = Euler. */
  eta?: number;
  /** Noise correlation of a clip's generated frames (SampleOptions.frameCorrelation); 0 or absent = independent. */
  frameCorrelation?: number;
  seed: number;
  batch: number;
  outDir: string;
  label?: string;
  workers?: number;
  /** Where the velocity is computed (./engine; default 'tfjs'; 'onnx' applies to U-Net bases only); recorded in the generations' manifest. */
  engine?: EngineName;
  /** ONNX Runtime's threads per worker (default: the cores over the workers). */
  threads?: number;
}

/** Input of the generation task: videos for (row, candidate) pairs of one split. */
export interface GenerateInput {
  baseDir: string;
  adapterDir: string | null;
  worldDir: string;
  split: string;
  items: { row: number; candidate: number }[];
  steps: number;
  eta: number;
  frameCorrelation?: number;
  seed: number;
  batch: number;
  engine: EngineName;
  /** ONNX Runtime's intra-op threads in this task (the cores over the pool's workers). */
  threads: number;
}

/** Generate the videos of `items` (uint8 [n, F, S, S, 3]); each video's noise depends only on its clip and candidate. */
export async function generateTask(input: GenerateInput, ctx: TaskContext): Promise<Uint8Array> {
  const world = loadWorldCached(input.worldDir);
  const split = world.splits[input.split as keyof World['splits']];
  if (!split) throw new Error(`generate: world has no split '${input.split}'`);
  const model = loadModel(input.baseDir, input.adapterDir ?? undefined);
  const c = model.config;
  if (input.engine === 'onnx' && c.kind !== 'unet') throw new Error(`generate: the 'onnx' engine needs a U-Net, this base is a '${c.kind ?? 'dit'}'`);
  const runner = input.engine === 'onnx' ? new UnetOnnx(c as UnetConfig, model.params, undefined, input.threads) : null;
  try {
    const out: Uint8Array[] = [];
    for (let i = 0; i < input.items.length; i += input.batch) {
      const part = input.items.slice(i, i + input.batch);
      const jobs = part.map(({ row, candidate }) => {
        const clip = getClip(split, row);
        return { key: generationKey(clip.id, candidate), clip };
      });
      const opts = { steps: input.steps, eta: input.eta, frameCorrelation: input.frameCorrelation, seed: input.seed, batch: input.batch };
      out.push(runner ? await generateOnnx(runner, jobs, opts) : generate(c, model.params, jobs, opts));
      ctx.progress(part.length);
    }
    const total = out.reduce((s, a) => s + a.length, 0);
    const frames = new Uint8Array(total);
    let o = 0;
    for (const a of out) {
      frames.set(a, o);
      o += a.length;
    }
    return frames;
  } finally {
    await runner?.release();
    tf.dispose(Object.values(model.params));
  }
}

const GENERATE_TASK = defineTask(__filename, 'generateTask', generateTask);

function weightsSha(dir: string): string {
  return readModelCheckpointMeta(dir).files['weights.bin'].sha256;
}

/** Generate (or reuse) the split's videos; returns them loaded and verified. */
export async function generateSplit(a: GenerateSplitArgs): Promise<Generations> {
  const split = a.world.splits[a.split as keyof World['splits']];
  if (!split) throw new Error(`generateSplit: the world has no split '${a.split}'`);
  const baseSha = weightsSha(a.baseDir);
  const adapterSha = a.adapterDir ? weightsSha(a.adapterDir) : null;
  const worldHash = computeWorldHash(a.world.manifest);
  const entries: GenerationEntry[] = [];
  const rows = a.rows ?? split.count;
  if (!(Number.isInteger(rows) && rows >= 1 && rows <= split.count)) throw new Error(`generateSplit: rows must be an integer in 1..${split.count}, got ${a.rows}`);
  for (let row = 0; row < rows; row++) {
    for (let k = 0; k < a.candidates; k++) entries.push({ id: generationKey(split.ids[row], k), clipId: split.ids[row], row, candidate: k });
  }
  // The run's engine for a network that has an ONNX exporter (the U-Net); a DiT base always samples on tfjs.
  const engine = a.engine === 'onnx' && modelKind(readModelCheckpointMeta(a.baseDir).model) === 'unet' ? 'onnx' : 'tfjs';
  let existing: GenerationsManifest | null = null;
  try {
    existing = readGenerationsManifest(a.outDir);
  } catch (err) {
    if (!(err instanceof DataError)) throw err; // an older or damaged store is made again (only a kit folder is replaced)
  }
  if (
    existing &&
    existing.baseWeightsSha256 === baseSha &&
    existing.adapterWeightsSha256 === adapterSha &&
    existing.worldHash === worldHash &&
    existing.split === a.split &&
    existing.steps === a.steps &&
    (existing.eta ?? 0) === (a.eta ?? 0) &&
    (existing.frameCorrelation ?? 0) === (a.frameCorrelation ?? 0) &&
    existing.seed === a.seed &&
    (existing.engine ?? 'tfjs') === engine &&
    JSON.stringify(existing.entries) === JSON.stringify(entries)
  ) {
    return loadGenerations(a.outDir);
  }
  const t0 = Date.now();
  // Chunks of whole batches, several per worker for load balance.
  const chunk = a.batch * Math.max(1, Math.floor(entries.length / (a.batch * 8)));
  const inputs: GenerateInput[] = [];
  const threads = a.threads ?? Math.max(1, Math.floor(os.cpus().length / workerCount(Math.ceil(entries.length / chunk), a.workers)));
  for (let i = 0; i < entries.length; i += chunk) {
    inputs.push({
      baseDir: a.baseDir,
      adapterDir: a.adapterDir ?? null,
      worldDir: a.worldDir,
      split: a.split,
      items: entries.slice(i, i + chunk).map((e) => ({ row: e.row, candidate: e.candidate })),
      steps: a.steps,
      eta: a.eta ?? 0,
      frameCorrelation: a.frameCorrelation,
      seed: a.seed,
      batch: a.batch,
      engine,
      threads,
    });
  }
  const parts = await parallelMap(GENERATE_TASK, inputs, { workers: a.workers, setup: backendSetup(), label: a.label, units: entries.length, unit: 'clip' });
  const frames = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    frames.set(p, o);
    o += p.length;
  }
  saveGenerations(
    a.outDir,
    {
      split: a.split,
      worldDir: path.relative(a.outDir, a.worldDir),
      worldHash,
      baseWeightsSha256: baseSha,
      adapterWeightsSha256: adapterSha,
      seed: a.seed,
      steps: a.steps,
      eta: a.eta ?? 0,
      engine,
      ...(a.frameCorrelation ? { frameCorrelation: a.frameCorrelation } : {}),
      frames: split.numFrames,
      size: split.size,
      entries,
      seconds: (Date.now() - t0) / 1000,
    },
    frames,
  );
  return loadGenerations(a.outDir);
}
