/**
 * The drift measures SSIM cannot see (issue 31), taken at every snapshot of a drift job: per-input diversity (the
 * spread of `samples` draws of one val input), memorisation (each draw's distance to the nearest training
 * positive) and the held-out flow-matching error on ground-truth val clips by region. Every model is measured on
 * the same inputs, noise and timesteps, so two runs (or a run and its base, step 0) compare input by input.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DriftMeasures, HeldoutBand, RegionClip, heldoutError } from '../align/drift';
import { sha256, writeJsonAtomic } from '../core/files';
import { array, nullable, number, object, readJsonShape, string } from '../core/json';
import { handBoxMask, inputDiversity, nearestDistance } from '../eval/diversity';
import { EngineName } from '../model/engine';
import { videoAt } from '../model/generations';
import { readModelCheckpointMeta } from '../model/checkpoint';
import { loadModel } from '../model/load';
import { generateSplit } from '../model/sample-split';
import { SplitData, getClip, loadWorldCached } from '../world/store';

/** How much of `val` the drift measures look at (CurvesProfile.drift.probe.measures). */
export interface MeasureSettings {
  /** The first N val inputs whose diversity and memorisation are measured. */
  inputs: number;
  /** Draws per input (different noise; the sampler of the study): the diversity is their mean pairwise distance. >= 2. */
  samples: number;
  /** The first N val clips of the held-out error (one draw of noise and t per clip and band). */
  heldoutClips: number;
}

/** Timestep bands of the held-out error; a clip's value is the mean over them (every band weighs the same). */
export const HELDOUT_BANDS: readonly number[] = [0, 0.25, 0.5, 0.75, 1];

const MEASURE_FIELDS = {
  diversity: array(number()),
  diversityHands: array(nullable(number())),
  nearestPositive: array(number()),
  heldout: object({ all: array(number()), hands: array(nullable(number())), body: array(nullable(number())), background: array(nullable(number())) }),
};

/** The shape of stored measures (a drift job's done.json). */
export const DRIFT_MEASURES_SHAPE = object(MEASURE_FIELDS);
/** The shape of `measures.json`: the measures and the key of what they depend on. */
const MEASURES_FILE_SHAPE = object({ key: string(), ...MEASURE_FIELDS });

/** What `measureModel` needs: the model (base + adapter), the sampler, the training positives' videos and a folder. */
export interface MeasureArgs {
  worldDir: string;
  baseDir: string;
  /** null: the base itself (step 0). */
  adapterDir: string | null;
  settings: MeasureSettings;
  sampler: { steps: number; eta?: number; frameCorrelation?: number; seed: number; batch: number };
  engine: EngineName;
  /** The training positives, videos back to back (each the size of a generated video). */
  positives: Uint8Array;
  /** Where the measures are kept (`measures.json`; the draws are written under it and deleted once measured). */
  outDir: string;
  /** Seed of the held-out noise and timesteps (the same for every model that is to be compared). */
  seed: number;
}

/** Check the settings; a bad one is an Error naming it. */
export function checkMeasureSettings(s: MeasureSettings, val: number): void {
  for (const [k, v, min] of [['inputs', s.inputs, 1], ['samples', s.samples, 2], ['heldoutClips', s.heldoutClips, 1]] as const) {
    if (!(Number.isInteger(v) && v >= min && v <= (k === 'samples' ? 64 : val))) throw new Error(`drift measures: ${k} must be an integer in ${min}..${k === 'samples' ? 64 : val}, got ${v}`);
  }
}

/** A clip of a split with its region masks on the generated frames (hands, and the figure with its hands). */
export function regionClip(val: SplitData, row: number): RegionClip {
  const c = getClip(val, row);
  const px = c.figureMasks.length;
  const hands = new Float32Array(px);
  const figure = new Float32Array(px);
  for (let p = 0; p < px; p++) {
    hands[p] = Math.max(c.handMasks[2 * p], c.handMasks[2 * p + 1]) / 255;
    figure[p] = Math.max(c.figureMasks[p] / 255, hands[p]);
  }
  return { clip: { ref: c.ref, refPose: c.refPose, frames: c.frames, poses: c.poses }, hands, figure };
}

/** Mean of the bands' values of one region (null when the region has no pixel in any band). */
function bandMean(bands: HeldoutBand[], k: 'all' | 'hands' | 'body' | 'background'): number | null {
  const v = bands.map((b) => b[k]).filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/**
 * Measure one model; the result is kept in `<outDir>/measures.json` under a key of everything it depends on, so a
 * resumed job reads it back instead of measuring again.
 */
export async function measureModel(a: MeasureArgs): Promise<DriftMeasures> {
  const world = loadWorldCached(a.worldDir);
  const val = world.splits.val as SplitData;
  checkMeasureSettings(a.settings, val.count);
  // the models by their weights' hashes (as recorded in their checkpoints), not by folder: a retrained base is measured again
  const weightsSha = (dir: string) => readModelCheckpointMeta(dir).files['weights.bin'].sha256;
  const key = sha256(JSON.stringify({ base: weightsSha(a.baseDir), adapter: a.adapterDir ? weightsSha(a.adapterDir) : '', settings: a.settings, sampler: a.sampler, engine: a.engine, positives: sha256(Buffer.from(a.positives.buffer, a.positives.byteOffset, a.positives.byteLength)), seed: a.seed }));
  const file = path.join(a.outDir, 'measures.json');
  if (fs.existsSync(file)) {
    const kept = readJsonShape<DriftMeasures & { key: string }>(file, MEASURES_FILE_SHAPE);
    if (kept.key === key) {
      const { key: _k, ...m } = kept;
      return m;
    }
  }

  // 1. Draws: `samples` videos of each of the first `inputs` val inputs (the candidates' noise streams).
  const genDir = path.join(a.outDir, 'gen');
  const gens = await generateSplit({
    world, worldDir: a.worldDir, split: 'val', baseDir: a.baseDir, adapterDir: a.adapterDir, candidates: a.settings.samples, rows: a.settings.inputs,
    steps: a.sampler.steps, eta: a.sampler.eta, frameCorrelation: a.sampler.frameCorrelation, seed: a.sampler.seed, batch: a.sampler.batch,
    outDir: genDir, workers: 1, engine: a.engine, threads: 1,
  });
  const { frames: F, size: S } = gens.manifest;
  const vsize = videoAt(gens, 0).length;
  if (a.positives.length % vsize || !a.positives.length) throw new Error(`drift measures: ${a.positives.length} positive values are not videos of ${vsize}`);

  // 2. Diversity and memorisation, per input.
  const m: DriftMeasures = { diversity: [], diversityHands: [], nearestPositive: [], heldout: { all: [], hands: [], body: [], background: [] } };
  for (let row = 0; row < a.settings.inputs; row++) {
    const idx = gens.manifest.entries.flatMap((e, i) => (e.row === row ? [i] : []));
    const videos = new Uint8Array(idx.length * vsize);
    idx.forEach((i, j) => videos.set(videoAt(gens, i), j * vsize));
    const truth = getClip(val, row);
    const hands = handBoxMask(truth.handBoxes, truth.handVisible, F, S);
    m.diversity.push(inputDiversity(videos, idx.length));
    m.diversityHands.push(hands.some((x) => x > 0) ? inputDiversity(videos, idx.length, hands) : null);
    const near = nearestDistance(videos, a.positives, vsize);
    m.nearestPositive.push(near.reduce((x, y) => x + y, 0) / near.length);
  }

  // 3. Held-out error, per clip (one clip per call: each clip's value is its own, the draws those of a batched call).
  const model = loadModel(a.baseDir, a.adapterDir ?? undefined);
  try {
    for (let i = 0; i < a.settings.heldoutClips; i++) {
      const bands = heldoutError({ model: model.config, params: model.params, clips: [regionClip(val, i)], bands: HELDOUT_BANDS, seed: a.seed + i, batch: 1 });
      m.heldout.all.push(bandMean(bands, 'all') as number);
      m.heldout.hands.push(bandMean(bands, 'hands'));
      m.heldout.body.push(bandMean(bands, 'body'));
      m.heldout.background.push(bandMean(bands, 'background'));
    }
  } finally {
    tf.dispose(Object.values(model.params));
  }
  writeJsonAtomic(file, { key, ...m });
  fs.rmSync(genDir, { recursive: true, force: true }); // the draws are large and the measures are what is kept
  return m;
}

