/**
 * The stored world: a folder (a study keeps it in `data/worlds/<profile>-<seed>/`) holds a manifest.json (config,
 * seed, counts, shapes, clip metadata and a size and SHA-256 per file, sealed by the SHA-256 of the manifest itself)
 * and one raw little-endian array per split and field. buildWorld writes it atomically, skips a matching complete
 * world and replaces only a folder that is a world the kit wrote; loadWorld checks the manifest's shape and seal,
 * that clip ids are plain names, and every file's size and hash, and throws a DataError naming the file that is
 * missing, truncated or altered.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ArrayDType, bytesOf, manifestFolder, readJson, readTypedArray, recoverDir, sha256, writeDirAtomic } from '../core/files';
import { DataError, UsageError } from '../core/errors';
import { PLAIN_NAME, Shape, array, checkSeal, checkShape, count as countShape, number, object, oneOf, optional, plainName, record, sealed, string } from '../core/json';
import { SPLITS, SplitName, WorldConfig } from './config';
import { CLIP_ARRAYS, Clip, ClipArray, hardShare, makeClip, validateWorld } from './clip';
import { KEYPOINT_DIMS, NUM_KEYPOINTS } from './layout';
import { Difficulty, FPS, MotionFamily } from './motion';

/**
 * Bumped whenever the generator's output or the manifest changes, so an old world on disk is rebuilt rather than
 * reused (2: figure masks added; 3: the manifest carries its own SHA-256).
 */
export const WORLD_FORMAT_VERSION = 3;
const FORMAT = 'ipa-kit-world';

/** A world folder as writeDirAtomic recognises it: manifest.json with the world format, and the files it lists. */
export const WORLD_FOLDER = manifestFolder('world', 'manifest.json', FORMAT);

/** Per-split arrays stored as files, with their element type. */
export const SPLIT_FIELDS = {
  ref: 'uint8',
  refPose: 'uint8',
  refKeypoints: 'float32',
  frames: 'uint8',
  poses: 'uint8',
  handMasks: 'uint8',
  figureMasks: 'uint8',
  handBoxes: 'float32',
  handVisible: 'uint8',
  keypoints: 'float32',
  identity: 'int32',
  motion: 'int32',
} as const satisfies Record<string, ArrayDType>;
export type SplitField = keyof typeof SPLIT_FIELDS;

/** One stored file: where it belongs, its element type and shape, size and SHA-256. */
export interface WorldFile {
  split: SplitName;
  field: SplitField;
  dtype: ArrayDType;
  shape: number[];
  bytes: number;
  sha256: string;
}

/** Metadata of one stored clip. */
export interface ClipMeta {
  id: string;
  identity: number;
  motion: number;
  difficulty: Difficulty;
  motionFamily: MotionFamily;
}

/** The manifest of a stored world (deterministic: no times or absolute paths). */
export interface WorldManifest {
  format: typeof FORMAT;
  version: number;
  /** The world's name (the study's profile name). */
  profile: string;
  seed: number;
  config: StoredWorldConfig;
  fps: number;
  keypoints: { count: number; dims: number; layout: string };
  counts: Record<SplitName, number>;
  files: Record<string, WorldFile>;
  clips: Record<SplitName, ClipMeta[]>;
  /** SHA-256 of this manifest without this field (canonical JSON): any edit of the manifest breaks it. */
  sha256: string;
}

const SHA256 = string({ pattern: /^[0-9a-f]{64}$/, what: 'a SHA-256 (64 hex digits)' });
const INTEGER = number({ integer: true });

/** The shape of manifest.json (checked before any field is used). */
const MANIFEST_SHAPE: Shape = object({
  format: string(),
  version: INTEGER,
  profile: string(),
  seed: countShape,
  config: object({ size: countShape, frames: countShape, splits: record(countShape), hardShare: number({ min: 0, max: 1 }), framing: optional(object({ zoom: number(), aim: number() })) }),
  fps: number(),
  keypoints: object({ count: countShape, dims: countShape, layout: string() }),
  counts: record(countShape),
  files: record(object({ split: string(), field: string(), dtype: string(), shape: array(countShape), bytes: countShape, sha256: SHA256 }), { keys: PLAIN_NAME, what: 'a plain file name' }),
  clips: record(array(object({ id: plainName, identity: INTEGER, motion: INTEGER, difficulty: oneOf('moderate', 'hard'), motionFamily: object({ body: string(), left: string(), right: string() }) }))),
  sha256: SHA256,
});

/**
 * A stored split: each clip array stacked over its N clips with a leading N axis (ref [N, S, S, 3], frames
 * [N, F, S, S, 3], keypoints [N, F, K, 3], ...), plus the clips' metadata.
 */
export interface SplitData extends Pick<Clip, ClipArray> {
  split: SplitName;
  count: number;
  size: number;
  numFrames: number;
  ids: string[];
  identity: Int32Array;
  motion: Int32Array;
  difficulty: Difficulty[];
  motionFamily: MotionFamily[];
}

/** A loaded, verified world. */
export interface World {
  manifest: WorldManifest;
  dir: string;
  splits: Record<SplitName, SplitData>;
}

/** Options of buildWorld. */
export interface BuildWorldOptions {
  /** The world's settings. */
  config: WorldConfig;
  /** A name for the world, stored in its manifest as `profile` (a study passes its profile's name). */
  name: string;
  /** World seed. */
  seed: number;
  /** Output folder. */
  out: string;
  /** Called after every clip with (clips done, clips in total). */
  onProgress?: (done: number, total: number) => void;
}

/** Result of buildWorld: the folder, whether it was (re)built, and its manifest. */
export interface BuildWorldResult {
  dir: string;
  built: boolean;
  manifest: WorldManifest;
}

/** File name of a split's field. */
export function worldFileName(split: SplitName, field: SplitField): string {
  const ext = { uint8: 'u8', float32: 'f32', int32: 'i32', uint16: 'u16' }[SPLIT_FIELDS[field]];
  return `${split}.${field}.${ext}`;
}

/** Shapes of a split's fields for N clips. */
function fieldShapes(n: number, w: WorldConfig): Record<SplitField, number[]> {
  const { size: S, frames: F } = w;
  const K = NUM_KEYPOINTS;
  return {
    ref: [n, S, S, 3],
    refPose: [n, S, S, 3],
    refKeypoints: [n, K, KEYPOINT_DIMS],
    frames: [n, F, S, S, 3],
    poses: [n, F, S, S, 3],
    handMasks: [n, F, S, S, 2],
    figureMasks: [n, F, S, S],
    handBoxes: [n, F, 2, 4],
    handVisible: [n, F, 2],
    keypoints: [n, F, K, KEYPOINT_DIMS],
    identity: [n],
    motion: [n],
  };
}

const count = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/** The config of the stored splits: the world config with defaults filled in, without the pretrain stream's defects (a full-body world has no `framing`). */
export type StoredWorldConfig = Required<Omit<WorldConfig, 'pretrainDefects' | 'framing'>> & Pick<WorldConfig, 'framing'>;

/** The stored splits' config with defaults filled in; the pretrain stream's defects are not part of it (never stored). */
function fullConfig(w: WorldConfig): StoredWorldConfig {
  return { size: w.size, frames: w.frames, splits: { ...w.splits }, hardShare: hardShare(w), ...(w.framing ? { framing: { zoom: w.framing.zoom, aim: w.framing.aim } } : {}) };
}

/** Empty SplitData for N clips (filled by putClip). */
function emptySplit(split: SplitName, n: number, w: WorldConfig): SplitData {
  const shapes = fieldShapes(n, w);
  const array = (f: ClipArray): Uint8Array | Float32Array => (SPLIT_FIELDS[f] === 'float32' ? new Float32Array(count(shapes[f])) : new Uint8Array(count(shapes[f])));
  const arrays = Object.fromEntries(CLIP_ARRAYS.map((f) => [f, array(f)])) as Pick<Clip, ClipArray>;
  return { split, count: n, size: w.size, numFrames: w.frames, ids: [], identity: new Int32Array(n), motion: new Int32Array(n), difficulty: [], motionFamily: [], ...arrays };
}

/** Copy clip c into slot i of a split. */
function putClip(data: SplitData, i: number, c: Clip): void {
  data.ids[i] = c.id;
  data.identity[i] = c.identity;
  data.motion[i] = c.motion;
  data.difficulty[i] = c.difficulty;
  data.motionFamily[i] = c.motionFamily;
  for (const f of CLIP_ARRAYS) data[f].set(c[f], i * c[f].length);
}

/** Clip i of a stored split as a Clip (views into the split's arrays, no copies). */
export function getClip(data: SplitData, i: number): Clip {
  if (!Number.isInteger(i) || i < 0 || i >= data.count) throw new UsageError(`clip index must be in 0..${data.count - 1} for split '${data.split}', got ${i}`);
  const view = (f: ClipArray): Uint8Array | Float32Array => {
    const per = data[f].length / data.count;
    return data[f].subarray(i * per, (i + 1) * per);
  };
  const arrays = Object.fromEntries(CLIP_ARRAYS.map((f) => [f, view(f)])) as Pick<Clip, ClipArray>;
  return {
    id: data.ids[i],
    split: data.split,
    index: i,
    identity: data.identity[i],
    motion: data.motion[i],
    difficulty: data.difficulty[i],
    motionFamily: data.motionFamily[i],
    size: data.size,
    numFrames: data.numFrames,
    ...arrays,
  };
}

/** Whether `dir` holds a complete, unaltered world built from exactly this config and seed. */
function matchingWorld(dir: string, expected: Omit<WorldManifest, 'files' | 'clips' | 'sha256'>): WorldManifest | null {
  if (!fs.existsSync(path.join(dir, 'manifest.json'))) return null;
  try {
    const world = loadWorld(dir);
    const m = world.manifest;
    const same = m.version === expected.version && m.profile === expected.profile && m.seed === expected.seed && JSON.stringify(m.config) === JSON.stringify(expected.config);
    return same ? m : null;
  } catch (err) {
    if (err instanceof DataError) return null;
    throw err;
  }
}

/** Build a world from its config and seed (or find it already built) and return its folder and manifest. */
export function buildWorld(opts: BuildWorldOptions): BuildWorldResult {
  const seed = opts.seed;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new UsageError(`seed must be an integer in [0, 4294967295], got ${seed}`);
  const w = opts.config;
  validateWorld(w);
  const dir = opts.out;
  const head = {
    format: FORMAT,
    version: WORLD_FORMAT_VERSION,
    profile: opts.name,
    seed,
    config: fullConfig(w),
    fps: FPS,
    keypoints: { count: NUM_KEYPOINTS, dims: KEYPOINT_DIMS, layout: 'body 0-17 (OpenPose/COCO-18), left hand 18-38, right hand 39-59 (OpenPose hand order); x, y pixels, visible 0/1' },
    counts: { ...w.splits },
  } as const;
  recoverDir(dir);
  const existing = matchingWorld(dir, head);
  if (existing) return { dir, built: false, manifest: existing };
  const total = SPLITS.reduce((a, s) => a + w.splits[s], 0);
  let done = 0;
  const files: Record<string, WorldFile> = {};
  const clips = {} as Record<SplitName, ClipMeta[]>;
  let manifest = { ...head, files, clips } as WorldManifest;
  // Plain writes inside the temporary folder (fsynced before the swap): renaming the folder into place is the
  // atomic step. An existing folder is replaced only when it is a world the kit wrote.
  writeDirAtomic(dir, (tmp) => {
    for (const split of SPLITS) {
      const n = w.splits[split];
      const data = emptySplit(split, n, w);
      for (let i = 0; i < n; i++) {
        putClip(data, i, makeClip(seed, split, i, w));
        opts.onProgress?.(++done, total);
      }
      clips[split] = data.ids.map((id, i) => ({ id, identity: data.identity[i], motion: data.motion[i], difficulty: data.difficulty[i], motionFamily: data.motionFamily[i] }));
      const shapes = fieldShapes(n, w);
      for (const field of Object.keys(SPLIT_FIELDS) as SplitField[]) {
        const bytes = bytesOf(data[field]);
        const name = worldFileName(split, field);
        fs.writeFileSync(path.join(tmp, name), bytes);
        files[name] = { split, field, dtype: SPLIT_FIELDS[field], shape: shapes[field], bytes: bytes.byteLength, sha256: sha256(bytes) };
      }
    }
    manifest = sealed(manifest, 'sha256');
    fs.writeFileSync(path.join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  }, WORLD_FOLDER);
  return { dir, built: true, manifest };
}

/** Load a stored world, verifying the manifest's shape and seal, and every file's size and SHA-256 against it. */
export function loadWorld(dir: string): World {
  recoverDir(dir);
  const manifestFile = path.join(dir, 'manifest.json');
  const head = checkShape<{ format: unknown; version: unknown }>(readJson<unknown>(manifestFile), object({ format: string(), version: INTEGER }), manifestFile);
  if (head.format !== FORMAT) throw new DataError(`${manifestFile} is not a world manifest (format '${String(head.format)}')`);
  if (head.version !== WORLD_FORMAT_VERSION) throw new DataError(`${manifestFile} has world format version ${head.version}; this kit reads version ${WORLD_FORMAT_VERSION}: rebuild it with 'ipa-kit world'`);
  const m = checkShape<WorldManifest>(head, MANIFEST_SHAPE, manifestFile);
  checkSeal(m as unknown as Record<string, unknown>, 'sha256', manifestFile);
  const w = m.config;
  try {
    validateWorld(w);
  } catch (err) {
    throw new DataError(`${manifestFile}: bad config (${(err as Error).message})`);
  }
  const splits = {} as Record<SplitName, SplitData>;
  for (const split of SPLITS) {
    const n = m.counts?.[split];
    const metas = m.clips?.[split];
    if (!Number.isInteger(n) || !Array.isArray(metas) || metas.length !== n) throw new DataError(`${manifestFile}: counts and clips of split '${split}' disagree`);
    const ids = new Set(metas.map((c) => c.id));
    if (ids.size !== n) throw new DataError(`${manifestFile}: clip ids of split '${split}' repeat`);
    const shapes = fieldShapes(n, w);
    const arrays = {} as Record<SplitField, ReturnType<typeof readTypedArray>>;
    for (const field of Object.keys(SPLIT_FIELDS) as SplitField[]) {
      const name = worldFileName(split, field);
      const entry = m.files?.[name];
      const file = path.join(dir, name);
      if (!entry) throw new DataError(`${manifestFile} lists no file ${name}`);
      if (JSON.stringify(entry.shape) !== JSON.stringify(shapes[field]) || entry.dtype !== SPLIT_FIELDS[field]) {
        throw new DataError(`${file}: manifest shape ${JSON.stringify(entry.shape)} ${entry.dtype} does not match the config (${JSON.stringify(shapes[field])} ${SPLIT_FIELDS[field]})`);
      }
      const arr = readTypedArray(file, SPLIT_FIELDS[field], count(shapes[field]));
      if (sha256(bytesOf(arr)) !== entry.sha256) throw new DataError(`${file} is altered: its SHA-256 does not match the manifest`);
      arrays[field] = arr;
    }
    splits[split] = {
      split,
      count: n,
      size: w.size,
      numFrames: w.frames,
      ids: metas.map((c) => c.id),
      identity: arrays.identity as Int32Array,
      motion: arrays.motion as Int32Array,
      difficulty: metas.map((c) => c.difficulty),
      motionFamily: metas.map((c) => c.motionFamily),
      ...(Object.fromEntries(CLIP_ARRAYS.map((f) => [f, arrays[f]])) as Pick<Clip, ClipArray>),
    };
  }
  return { manifest: m, dir, splits };
}

/** One hash for a whole stored world: the SHA-256 of its files' names and hashes (the content, not the paths). */
export function worldHash(m: WorldManifest): string {
  const files = Object.keys(m.files).sort().map((f) => [f, m.files[f].sha256]);
  return sha256(JSON.stringify({ profile: m.profile, seed: m.seed, files }));
}

const loaded = new Map<string, World>();

/** `loadWorld`, once per thread and folder (worker threads and long notebook sessions reuse it). */
export function loadWorldCached(dir: string): World {
  const key = path.resolve(dir);
  let w = loaded.get(key);
  if (!w) {
    w = loadWorld(key);
    loaded.set(key, w);
  }
  return w;
}
