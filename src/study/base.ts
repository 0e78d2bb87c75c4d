/**
 * The study's base model (stage 2 of pipeline.ts): use the shipped base checkpoint, or pretrain one (with `--pretrain`, or when
 * no base is shipped for the profile and world seed). A finished pretraining run is reused; an interrupted one
 * resumes from its last checkpoint.
 *
 * Pretraining writes `<work>/pretrain/`: `checkpoint/` (resumable), `log.jsonl`, `samples/` (generations of a
 * few `val` clips over training, as PNG strips with their SSIM) and, when done, `base/`. Shipping copies `base/`,
 * the log and the samples to `data/base/<profile>-<seed>/`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { clipHandMetrics } from '../eval/regions';
import { FolderKind, assertOnlyEntries, assertReplaceable, recoverDir, sha256, writeDirAtomic, writeFileAtomic, writeJsonAtomic } from '../core/files';
import { array, nullable, number, object, readJsonShape, string } from '../core/json';
import { Study } from './study';
import { Clip, makeClip } from '../world/clip';
import { clipStrip } from '../report/strip';
import { writePng } from '../report/media';
import { ModelCheckpointMeta, readModelCheckpointMeta } from '../model/checkpoint';
import { CHECKPOINT_FOLDER } from '../train/checkpoint';
import { configDiff } from '../model/config';
import { generate } from '../model/sample';
import { pretrain, pretrainSample } from '../model/pretrain';
import { Params } from '../model/types';
import { resolveEngine } from '../model/engine';

export interface BaseInfo {
  /** The base checkpoint folder. */
  dir: string;
  meta: ModelCheckpointMeta;
  source: 'shipped' | 'pretrained';
  /** The folder with log.jsonl and samples/ of the run that made it. */
  runDir: string;
}

/** Identifies the pretraining data: the world's streamed split for this profile and seed. */
export function pretrainStreamHash(study: Study): string {
  return `stream:${study.profileName}-${study.worldSeed}:${sha256(JSON.stringify(study.profile.world)).slice(0, 16)}`;
}

function matches(dir: string, study: Study): ModelCheckpointMeta | null {
  recoverDir(dir);
  if (!fs.existsSync(path.join(dir, 'checkpoint.json'))) return null;
  const meta = readModelCheckpointMeta(dir);
  return configDiff(meta.model, study.profile.pretrain.model).length === 0 ? meta : null;
}

/** Clips whose generations are saved during pretraining (from `val`). */
function sampleClips(study: Study, n: number): Clip[] {
  return Array.from({ length: n }, (_, i) => makeClip(study.worldSeed, 'val', i, study.profile.world));
}

interface PendingSample {
  step: number;
  strips: { file: string; data: Uint8Array; width: number; height: number }[];
  record: { step: number; clips: { clip: string; ssim: number | null; ssimHand: number | null }[] };
}

/** Generate a few val clips with the current (raw) weights: strips and their SSIM (full and hand). */
function sampleNow(study: Study, params: Params, step: number, dir: string): PendingSample {
  const clips = sampleClips(study, 2);
  const c = study.profile.pretrain.model;
  const frames = generate(c, params, clips.map((cl) => ({ key: `${cl.id}#0`, clip: cl })), { steps: study.profile.sampler.steps, eta: study.profile.sampler.eta, frameCorrelation: study.profile.sampler.frameCorrelation, seed: 1, batch: 2 });
  const per = frames.length / clips.length;
  const tag = String(step).padStart(5, '0');
  const out: PendingSample = { step, strips: [], record: { step, clips: [] } };
  clips.forEach((clip, i) => {
    const gen = frames.slice(i * per, (i + 1) * per);
    const m = clipHandMetrics(gen, clip.frames, clip.handBoxes, clip.handVisible, { frames: clip.numFrames, height: c.height, width: c.width, channels: 3 }, clip.figureMasks);
    out.record.clips.push({ clip: clip.id, ssim: m.full.meanSsim, ssimHand: m.hands.meanSsim });
    const strip = clipStrip({ ...clip, frames: gen }, { scale: 2, rows: ['frames'] });
    out.strips.push({ file: path.join(dir, `step-${tag}-${i}.png`), ...strip });
  });
  return out;
}

/** The base model of the study: shipped, or pretrained (resuming an interrupted run). */
export async function ensureBase(study: Study, opts: { stopAfter?: number; sampleEvery?: number; workers?: number } = {}): Promise<BaseInfo> {
  const shippedBase = path.join(study.paths.shipped, 'base');
  if (!study.pretrain) {
    const meta = matches(shippedBase, study);
    if (meta) return { dir: shippedBase, meta, source: 'shipped', runDir: study.paths.shipped };
  }
  const runDir = path.join(study.paths.work, 'pretrain');
  const baseDir = path.join(runDir, 'base');
  const done = matches(baseDir, study);
  if (done) return { dir: baseDir, meta: done, source: 'pretrained', runDir };
  const samplesDir = path.join(runDir, 'samples');
  const every = opts.sampleEvery ?? Math.max(1, Math.round(study.profile.pretrain.steps / 10));
  // Each sample is written as soon as it is taken (PNGs first, then the step's JSON record), so a run that is
  // interrupted keeps the samples of the steps it got through.
  const writes: Promise<void>[] = [];
  const save = async (p: PendingSample) => {
    for (const s of p.strips) await writePng(s.file, s.data, s.width, s.height);
    writeJsonAtomic(path.join(samplesDir, `step-${String(p.step).padStart(5, '0')}.json`), p.record);
  };
  const res = await pretrain({
    config: study.profile.pretrain,
    seed: study.profile.pretrainSeed,
    source: (i) => pretrainSample(study.worldSeed, i, study.profile.world),
    worldHash: pretrainStreamHash(study),
    outDir: runDir,
    resume: true,
    stopAfter: opts.stopAfter,
    workers: opts.workers ?? study.profile.jobs,
    engine: resolveEngine(study.profile.pretrain.model).engine,
    stream: { worldSeed: study.worldSeed, world: study.profile.world },
    info: { profile: study.profileName, worldSeed: study.worldSeed },
    onStep: (step, params) => {
      if (step % every === 0 || step === study.profile.pretrain.steps) {
        const w = save(sampleNow(study, params, step, samplesDir));
        w.catch(() => undefined); // reported by the Promise.all below, not as an unhandled rejection
        writes.push(w);
      }
    },
  });
  await Promise.all(writes);
  if (!res.baseDir || !res.meta) throw new Error(`pretraining stopped after ${res.loop.steps} of ${study.profile.pretrain.steps} steps; run again to resume`);
  return { dir: res.baseDir, meta: res.meta, source: 'pretrained', runDir };
}

/** What a shipped folder `data/base/<profile>-<seed>/` holds (anything else means it is not only the kit's). */
const SHIPPED_ENTRIES = new Set(['base', 'samples', 'log.jsonl', 'perception', 'perception-log.jsonl']);
/** A samples folder: no manifest; the kit's when it holds only sample strips and records. */
const SAMPLES_FOLDER: FolderKind = { what: 'samples', marker: null, owned: () => true, entries: () => [], allows: (n) => /^step-\d+(-\d+\.png|\.json)$/.test(n) };

/**
 * Copy a pretrained base (checkpoint, log, samples) to the study's shipped folder `data/base/<profile>-<seed>/`.
 * The checkpoint and the samples are swapped in atomically, and only over what the kit put there.
 */
export function shipBase(study: Study, info: BaseInfo): string {
  const dst = study.paths.shipped;
  assertOnlyEntries(dst, (n) => SHIPPED_ENTRIES.has(n), 'shipped base');
  assertReplaceable(path.join(dst, 'base'), CHECKPOINT_FOLDER); // both checked before either is written
  assertReplaceable(path.join(dst, 'samples'), SAMPLES_FOLDER);
  const copyInto = (from: string) => (tmp: string) => fs.cpSync(from, tmp, { recursive: true });
  writeDirAtomic(path.join(dst, 'base'), copyInto(info.dir), CHECKPOINT_FOLDER);
  const samples = path.join(info.runDir, 'samples');
  if (fs.existsSync(samples)) writeDirAtomic(path.join(dst, 'samples'), copyInto(samples), SAMPLES_FOLDER);
  writeFileAtomic(path.join(dst, 'log.jsonl'), fs.readFileSync(path.join(info.runDir, 'log.jsonl')));
  return dst;
}

/** The shape of a samples/step-NNNNN.json record. */
const SAMPLE_RECORD_SHAPE = object({ step: number({ integer: true, min: 0 }), clips: array(object({ clip: string(), ssim: nullable(number()), ssimHand: nullable(number()) })) });

/** The samples saved during pretraining: per step the val clips' SSIM and SSIM-Hand, and the PNG strips. */
export function readPretrainSamples(runDir: string): { step: number; ssim: number | null; ssimHand: number | null; images: string[] }[] {
  const dir = path.join(runDir, 'samples');
  if (!fs.existsSync(dir)) return [];
  const mean = (v: (number | null)[]) => {
    const x = v.filter((a): a is number => a !== null);
    return x.length ? x.reduce((s, a) => s + a, 0) / x.length : null;
  };
  return fs
    .readdirSync(dir)
    .filter((f) => /^step-\d+\.json$/.test(f))
    .sort()
    .map((f) => {
      const r = readJsonShape<PendingSample['record']>(path.join(dir, f), SAMPLE_RECORD_SHAPE);
      const tag = f.replace(/\.json$/, '');
      const images = fs.readdirSync(dir).filter((g) => g.startsWith(`${tag}-`) && g.endsWith('.png')).sort().map((g) => path.join(dir, g));
      return { step: r.step, ssim: mean(r.clips.map((c) => c.ssim)), ssimHand: mean(r.clips.map((c) => c.ssimHand)), images };
    });
}
