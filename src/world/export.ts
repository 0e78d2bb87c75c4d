/**
 * Export clips to a flat binary file plus a JSON header, for prototypes outside the kit (numpy/PyTorch):
 * `<out>.bin` holds each field stacked over the N clips (field-major, little-endian, no padding) and `<out>.json`
 * says where: `fields[name] = { dtype, shape, offset, bytes }`, so `np.fromfile(bin, dtype, count, offset=...)
 * .reshape(shape)` reads one field. Pretraining clips carry their hand defects and a per-clip record of them.
 * Both files are written atomically (the header last, so a header always describes a complete binary).
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from '../core/errors';
import { bytesOf, writeJsonAtomic } from '../core/files';
import type { WorldConfig } from './config';
import { CLIP_ARRAYS, Clip, ClipArray, ClipSplit, makeClip, validateWorld } from './clip';
import { DefectModeName, HandDefects, NO_HAND_DEFECTS, ResolvedDefects, handDefects, makePretrainClip } from './defects';
import { KEYPOINT_DIMS, NUM_KEYPOINTS } from './layout';

/** Element type of each exported field. */
const DTYPES: Record<ClipArray, 'uint8' | 'float32'> = {
  ref: 'uint8', refPose: 'uint8', refKeypoints: 'float32', frames: 'uint8', poses: 'uint8',
  handMasks: 'uint8', figureMasks: 'uint8', handBoxes: 'float32', handVisible: 'uint8', keypoints: 'float32',
};

/** Options of exportClips. */
export interface ExportOptions {
  worldSeed: number;
  world: WorldConfig;
  split: ClipSplit;
  /** First clip index and number of clips. */
  start?: number;
  count: number;
  /** Hand defects (pretrain only; default none). */
  defects?: HandDefects;
  /** Output path without extension: writes <out>.bin and <out>.json. */
  out: string;
  /** Fields to write (default all of CLIP_ARRAYS). */
  fields?: readonly ClipArray[];
  onProgress?: (done: number, total: number) => void;
}

/** The JSON header of an export. */
export interface ExportHeader {
  format: 'ipa-kit-clips';
  version: 1;
  split: ClipSplit;
  worldSeed: number;
  world: WorldConfig;
  start: number;
  count: number;
  size: number;
  numFrames: number;
  defects: ResolvedDefects | null;
  keypointLayout: string;
  fields: Record<string, { dtype: 'uint8' | 'float32'; shape: number[]; offset: number; bytes: number }>;
  /** Per pretraining clip the modes it drew and, per (frame, hand), the bit mask of active modes (bit k = DEFECT_MODE_NAMES[k]). */
  clips: { id: string; identity: number; motion: number; difficulty: string; defects?: { modes: DefectModeName[]; active: number[] } }[];
}

function shapeOf(field: ClipArray, n: number, S: number, F: number): number[] {
  const K = NUM_KEYPOINTS;
  const shapes: Record<ClipArray, number[]> = {
    ref: [n, S, S, 3], refPose: [n, S, S, 3], refKeypoints: [n, K, KEYPOINT_DIMS], frames: [n, F, S, S, 3], poses: [n, F, S, S, 3],
    handMasks: [n, F, S, S, 2], figureMasks: [n, F, S, S], handBoxes: [n, F, 2, 4], handVisible: [n, F, 2], keypoints: [n, F, K, KEYPOINT_DIMS],
  };
  return shapes[field];
}

/** Write clips start..start+count-1 of a split to <out>.bin and <out>.json; returns the header. */
export function exportClips(opts: ExportOptions): ExportHeader {
  const { worldSeed, world, split, count: n } = opts;
  const start = opts.start ?? 0;
  validateWorld(world);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`count must be a positive integer, got ${n}`);
  if (opts.defects && split !== 'pretrain') throw new UsageError(`hand defects belong to the pretrain stream only, not '${split}'`);
  const defects = split === 'pretrain' ? handDefects(opts.defects ?? NO_HAND_DEFECTS) : null;
  const fields = opts.fields ?? CLIP_ARRAYS;
  for (const f of fields) if (!CLIP_ARRAYS.includes(f)) throw new UsageError(`unknown field '${f}' (fields: ${CLIP_ARRAYS.join(', ')})`);
  const S = world.size;
  const F = world.frames;
  const header: ExportHeader = {
    format: 'ipa-kit-clips', version: 1, split, worldSeed, world, start, count: n, size: S, numFrames: F, defects,
    keypointLayout: 'body 0-17 (OpenPose/COCO-18), left hand 18-38, right hand 39-59; x, y pixels, visible 0/1',
    fields: {}, clips: [],
  };
  let offset = 0;
  for (const f of fields) {
    const shape = shapeOf(f, n, S, F);
    const bytes = shape.reduce((a, b) => a * b, 1) * (DTYPES[f] === 'float32' ? 4 : 1);
    header.fields[f] = { dtype: DTYPES[f], shape, offset, bytes };
    offset += bytes;
  }
  fs.mkdirSync(path.dirname(path.resolve(opts.out)), { recursive: true });
  const bin = `${opts.out}.bin`;
  const tmp = `${bin}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    for (let i = 0; i < n; i++) {
      let clip: Clip;
      if (defects) {
        const made = makePretrainClip(worldSeed, start + i, world, opts.defects ?? NO_HAND_DEFECTS);
        clip = made.clip;
        header.clips.push({ id: clip.id, identity: clip.identity, motion: clip.motion, difficulty: clip.difficulty, defects: { modes: made.defects.modes, active: Array.from(made.defects.active) } });
      } else {
        clip = makeClip(worldSeed, split, start + i, world);
        header.clips.push({ id: clip.id, identity: clip.identity, motion: clip.motion, difficulty: clip.difficulty });
      }
      for (const f of fields) {
        const bytes = bytesOf(clip[f]);
        fs.writeSync(fd, bytes, 0, bytes.byteLength, header.fields[f].offset + i * bytes.byteLength);
      }
      opts.onProgress?.(i + 1, n);
    }
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, bin);
  writeJsonAtomic(`${opts.out}.json`, header);
  return header;
}
