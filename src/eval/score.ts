/**
 * Scoring a split: a model's generations for a split, scored clip by clip against the ground truth, with
 * the perception features of every generated frame (for FD-frame and FD-clip). Stored per model and split as
 * `scores.json` (sealed by its own SHA-256) + `features.f32` next to the generations; reused while the
 * generations and the detector are the same.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Generations, videoAt } from '../model/generations';
import { bytesOf, manifestFolder, readJson, readTypedArray, recoverDir, sha256, writeDirAtomic, writeFileAtomic } from '../core/files';
import { DataError } from '../core/errors';
import { Shape, array, checkSeal, checkShape, count, nullable, number, object, record, sealed, string } from '../core/json';
import { SplitData, getClip } from '../world/store';
import { ClipScores, FrameDetector, scoreClip } from './evaluate';

/** 2: scores.json carries its own SHA-256 (`sha256`). */
export const SCORES_FORMAT = 'ipa-kit-scores/2';

/** A scores folder as writeDirAtomic recognises it: scores.json of a kit format and its features file. */
export const SCORES_FOLDER = manifestFolder('scores', 'scores.json', { prefix: 'ipa-kit-scores/' });

const SHA256 = string({ pattern: /^[0-9a-f]{64}$/, what: 'a SHA-256 (64 hex digits)' });
const METRIC = nullable(number());

/** The shape of scores.json. */
const SCORES_SHAPE: Shape = object({
  format: string(),
  split: string(),
  generationsSha256: string(),
  detectorSha256: string(),
  clips: array(
    object({
      id: string(), clipId: string(), ssim: METRIC, psnr: METRIC, ssimBody: METRIC, psnrBody: METRIC, ssimHand: METRIC, psnrHand: METRIC,
      handKeypointError: METRIC, handPck: METRIC, handWorseShare: METRIC,
    }),
  ),
  featureDim: count,
  framesPerClip: count,
  files: record(object({ sha256: SHA256, bytes: count })),
  sha256: SHA256,
});

/** Read and check a scores.json (shape, format, seal); a problem is a DataError naming the file. */
export function readScoresFile(file: string): SplitScores {
  const head = checkShape<{ format: string }>(readJson<unknown>(file), object({ format: string() }), file);
  if (head.format !== SCORES_FORMAT) throw new DataError(`${file}: unknown format '${head.format}' (expected ${SCORES_FORMAT}; score it again)`);
  const scores = checkShape<SplitScores>(head, SCORES_SHAPE, file);
  checkSeal(scores as unknown as Record<string, unknown>, 'sha256', file);
  return scores;
}

export interface SplitScores {
  format: string;
  split: string;
  /** SHA-256 of the generations scored (frames.u8), and of the detector's weights ('' when none). */
  generationsSha256: string;
  detectorSha256: string;
  clips: ClipScores[];
  /** Frame features [clips * frames, featureDim] in features.f32 (absent without a detector). */
  featureDim: number;
  framesPerClip: number;
  files: Record<string, { sha256: string; bytes: number }>;
  /** SHA-256 of this file without this field (canonical JSON). */
  sha256: string;
}

export interface ScoredSplit {
  scores: SplitScores;
  features: Float32Array | null;
}

export interface ScoreArgs {
  gens: Generations;
  split: SplitData;
  outDir: string;
  detector?: FrameDetector | null;
  /** Identifies the detector's weights, so its outputs are recomputed when it changes. */
  detectorSha256?: string;
}

/** Stored scores (and features) in `dir`, checked (shape, seal, the features' size and hash), or null when none. */
export function loadScores(dir: string): ScoredSplit | null {
  recoverDir(dir);
  const file = path.join(dir, 'scores.json');
  if (!fs.existsSync(file)) return null;
  const scores = readScoresFile(file);
  const rec = scores.files['features.f32'];
  if (!rec) return { scores, features: null };
  const features = readTypedArray(path.join(dir, 'features.f32'), 'float32', scores.clips.length * scores.framesPerClip * scores.featureDim) as Float32Array;
  if (sha256(bytesOf(features)) !== rec.sha256) throw new DataError(`${path.join(dir, 'features.f32')} does not match its SHA-256: altered or corrupted`);
  return { scores, features };
}

/** Score generations against the split's ground truth (or reuse matching stored scores). */
export function scoreGenerations(a: ScoreArgs): ScoredSplit {
  const genSha = a.gens.manifest.files['frames.u8'].sha256;
  const detSha = a.detector ? (a.detectorSha256 ?? 'unnamed') : '';
  let prev: ScoredSplit | null = null;
  try {
    prev = loadScores(a.outDir);
  } catch (err) {
    if (!(err instanceof DataError)) throw err; // an older or damaged store is scored again (only a kit folder is replaced)
  }
  if (prev && prev.scores.generationsSha256 === genSha && prev.scores.detectorSha256 === detSha) return prev;
  const { manifest } = a.gens;
  const F = manifest.frames;
  const S = manifest.size;
  const clips: ClipScores[] = [];
  const featureDim = a.detector ? a.detector.featureDim : 0;
  const features = a.detector ? new Float32Array(manifest.count * F * featureDim) : null;
  manifest.entries.forEach((e, i) => {
    const video = videoAt(a.gens, i);
    const truth = getClip(a.split, e.row);
    let detected: Float32Array | undefined;
    if (a.detector && features) {
      const d = a.detector.detect(video, F);
      detected = d.keypoints;
      features.set(d.features, i * F * featureDim);
    }
    clips.push(scoreClip(e.id, e.clipId, video, truth, S, detected).scores);
  });
  let scores: SplitScores = {
    format: SCORES_FORMAT,
    split: manifest.split,
    generationsSha256: genSha,
    detectorSha256: detSha,
    clips,
    featureDim,
    framesPerClip: F,
    files: {},
    sha256: '',
  };
  writeDirAtomic(a.outDir, (tmp) => {
    if (features) {
      const bytes = bytesOf(features);
      fs.writeFileSync(path.join(tmp, 'features.f32'), bytes);
      scores.files['features.f32'] = { sha256: sha256(bytes), bytes: bytes.byteLength };
    }
    scores = sealed(scores, 'sha256');
    writeFileAtomic(path.join(tmp, 'scores.json'), `${JSON.stringify(scores, null, 1)}\n`);
  }, SCORES_FOLDER);
  return { scores, features };
}
