/**
 * Stored generations: the videos a model produced for the clips of a split (candidates for selection, or test
 * generations for evaluation). A folder holds `generations.json` (which model, which world and split, sampler
 * settings, one entry per video, file hashes, and the SHA-256 of generations.json itself) and `frames.u8` (uint8
 * [N, F, S, S, 3], generated frames only). Written atomically; loading checks the manifest's shape and seal and
 * the frames' size and hash.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { manifestFolder, readJson, recoverDir, sha256, writeDirAtomic, writeFileAtomic } from '../core/files';
import { DataError } from '../core/errors';
import { Shape, array, checkSeal, checkShape, count, nullable, number, object, oneOf, optional, plainName, sealed, string } from '../core/json';

/** 2: generations.json carries its own SHA-256 (`sha256`). */
export const GENERATIONS_FORMAT = 'ipa-kit-generations/2';

/**
 * A generations folder as writeDirAtomic recognises it: generations.json of a kit format, its frames, and the GIF
 * and PNG per clip that `ipa-kit sample` adds.
 */
export const GENERATIONS_FOLDER = manifestFolder('generations', 'generations.json', { prefix: 'ipa-kit-generations/' }, (m) =>
  (Array.isArray(m.entries) ? m.entries : []).flatMap((e: { clipId?: unknown }) => (typeof e?.clipId === 'string' ? [`${e.clipId}.gif`, `${e.clipId}.png`] : [])),
);

const SHA256 = string({ pattern: /^[0-9a-f]{64}$/, what: 'a SHA-256 (64 hex digits)' });

/** The shape of generations.json. */
const GENERATIONS_SHAPE: Shape = object({
  format: string(),
  split: string(),
  worldDir: string(),
  worldHash: string(),
  baseWeightsSha256: SHA256,
  adapterWeightsSha256: nullable(SHA256),
  seed: count,
  steps: count,
  eta: optional(number({ min: 0, max: 1 })),
  frameCorrelation: optional(number({ min: 0, max: 1 })),
  engine: optional(oneOf('tfjs', 'onnx')),
  frames: count,
  size: count,
  count: count,
  entries: array(object({ id: string(), clipId: plainName, row: count, candidate: count })),
  seconds: number(),
  files: object({ 'frames.u8': object({ sha256: SHA256, bytes: count }) }),
  sha256: SHA256,
});

/** One generated video: candidate `candidate` of the split's clip at `row`. */
export interface GenerationEntry {
  id: string; // `${clipId}#${candidate}`
  clipId: string;
  row: number;
  candidate: number;
}

export interface GenerationsManifest {
  format: string;
  split: string;
  /** The world folder, relative to this generations folder. */
  worldDir: string;
  worldHash: string;
  /** SHA-256 of the base weights, and of the adapter weights when one was applied. */
  baseWeightsSha256: string;
  adapterWeightsSha256: string | null;
  seed: number;
  steps: number;
  /** Stochastic sampler's eta (absent in generations written before it existed: Euler, 0). */
  eta?: number;
  /** Correlation of the generated frames' noise (model/sample.ts; absent: 0, independent frames). */
  frameCorrelation?: number;
  /** Sampling engine that computed the velocities (./engine; absent in generations written before it existed: 'tfjs'). */
  engine?: 'tfjs' | 'onnx';
  frames: number;
  size: number;
  count: number;
  entries: GenerationEntry[];
  seconds: number;
  files: Record<string, { sha256: string; bytes: number }>;
  /** SHA-256 of this manifest without this field (canonical JSON). */
  sha256: string;
}

export interface Generations {
  manifest: GenerationsManifest;
  /** uint8 [N, F, S, S, 3] */
  frames: Uint8Array;
}

/** The stream key (and id) of candidate k of a clip: the same key gives the same noise for every model. */
export function generationKey(clipId: string, candidate: number): string {
  return `${clipId}#${candidate}`;
}

/** Write a generations folder atomically. */
export function saveGenerations(dir: string, manifest: Omit<GenerationsManifest, 'format' | 'files' | 'count' | 'sha256'>, frames: Uint8Array): GenerationsManifest {
  const per = manifest.frames * manifest.size * manifest.size * 3;
  if (frames.length !== manifest.entries.length * per) throw new Error(`saveGenerations: ${frames.length} bytes do not fit ${manifest.entries.length} videos`);
  const full: GenerationsManifest = sealed(
    {
      format: GENERATIONS_FORMAT,
      ...manifest,
      count: manifest.entries.length,
      files: { 'frames.u8': { sha256: sha256(frames), bytes: frames.byteLength } },
      sha256: '',
    },
    'sha256',
  );
  writeDirAtomic(dir, (tmp) => {
    fs.writeFileSync(path.join(tmp, 'frames.u8'), frames);
    writeFileAtomic(path.join(tmp, 'generations.json'), `${JSON.stringify(full, null, 2)}\n`);
  }, GENERATIONS_FOLDER);
  return full;
}

/** The manifest of a generations folder (shape and seal checked), or null when there is none. */
export function readGenerationsManifest(dir: string): GenerationsManifest | null {
  recoverDir(dir);
  const file = path.join(dir, 'generations.json');
  if (!fs.existsSync(file)) return null;
  const head = checkShape<{ format: string }>(readJson<unknown>(file), object({ format: string() }), file);
  if (head.format !== GENERATIONS_FORMAT) throw new DataError(`${file}: unknown format '${head.format}' (expected ${GENERATIONS_FORMAT}; generate it again)`);
  const m = checkShape<GenerationsManifest>(head, GENERATIONS_SHAPE, file);
  checkSeal(m as unknown as Record<string, unknown>, 'sha256', file);
  if (m.count !== m.entries.length || m.files['frames.u8'].bytes !== m.count * m.frames * m.size * m.size * 3) {
    throw new DataError(`${file}: ${m.count} videos of ${m.frames} frames of ${m.size}x${m.size} do not match its ${m.entries.length} entries and ${m.files['frames.u8'].bytes} bytes`);
  }
  return m;
}

/** Load and verify a generations folder. */
export function loadGenerations(dir: string): Generations {
  const manifest = readGenerationsManifest(dir);
  if (!manifest) throw new DataError(`no generations in ${dir} (generations.json is missing)`);
  const file = path.join(dir, 'frames.u8');
  if (!fs.existsSync(file)) throw new DataError(`generations file missing: ${file}`);
  const buf = fs.readFileSync(file);
  const rec = manifest.files['frames.u8'];
  if (buf.byteLength !== rec.bytes) throw new DataError(`${file} has ${buf.byteLength} bytes, expected ${rec.bytes}: truncated or replaced`);
  if (sha256(buf) !== rec.sha256) throw new DataError(`${file} does not match its SHA-256 in generations.json: altered or corrupted`);
  const frames = new Uint8Array(buf.byteLength);
  frames.set(buf);
  return { manifest, frames };
}

/** The frames of entry i: uint8 [F, S, S, 3] (a view). */
export function videoAt(g: Generations, i: number): Uint8Array {
  const per = g.manifest.frames * g.manifest.size * g.manifest.size * 3;
  return g.frames.subarray(i * per, (i + 1) * per);
}
