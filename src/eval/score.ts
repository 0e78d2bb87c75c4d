/**
 * Scoring a split: a model's generations for a split, scored clip by clip against the ground truth, with
 * the perception features of every generated frame (for FD-frame and FD-clip). Stored per model and split as
 * `scores.json` + `features.f32` next to the generations; reused while the generations and the detector are the
 * same.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Generations, videoAt } from '../model/generations';
import { bytesOf, readJson, sha256, writeDirAtomic, writeFileAtomic } from '../core/files';
import { DataError } from '../core/errors';
import { SplitData, getClip } from '../world/store';
import { ClipScores, FrameDetector, scoreClip } from './evaluate';

export const SCORES_FORMAT = 'ipa-kit-scores/1';

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

function load(dir: string): ScoredSplit | null {
  const file = path.join(dir, 'scores.json');
  if (!fs.existsSync(file)) return null;
  const scores = readJson<SplitScores>(file);
  if (scores.format !== SCORES_FORMAT) throw new DataError(`${file}: unknown format '${scores.format}'`);
  if (!scores.files['features.f32']) return { scores, features: null };
  const buf = fs.readFileSync(path.join(dir, 'features.f32'));
  if (sha256(buf) !== scores.files['features.f32'].sha256) throw new DataError(`${path.join(dir, 'features.f32')} does not match its SHA-256: altered or corrupted`);
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return { scores, features: new Float32Array(copy.buffer) };
}

/** Score generations against the split's ground truth (or reuse matching stored scores). */
export function scoreGenerations(a: ScoreArgs): ScoredSplit {
  const genSha = a.gens.manifest.files['frames.u8'].sha256;
  const detSha = a.detector ? (a.detectorSha256 ?? 'unnamed') : '';
  const prev = load(a.outDir);
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
  const scores: SplitScores = {
    format: SCORES_FORMAT,
    split: manifest.split,
    generationsSha256: genSha,
    detectorSha256: detSha,
    clips,
    featureDim,
    framesPerClip: F,
    files: {},
  };
  writeDirAtomic(a.outDir, (tmp) => {
    if (features) {
      const bytes = bytesOf(features);
      fs.writeFileSync(path.join(tmp, 'features.f32'), bytes);
      scores.files['features.f32'] = { sha256: sha256(bytes), bytes: bytes.byteLength };
    }
    writeFileAtomic(path.join(tmp, 'scores.json'), `${JSON.stringify(scores, null, 1)}\n`);
  });
  return { scores, features };
}
