/**
 * Checkpoints: a folder with `checkpoint.json` and raw float32 tensor files (`weights.bin`, and for resumable runs
 * `optimizer_m.bin`, `optimizer_v.bin` and `ema.bin`). Written atomically (replacing only a checkpoint folder the
 * kit wrote); loading checks the shape and the seal of checkpoint.json, so the tensor index is covered as well as
 * the data, every file's size and hash, and that the tensors tile their file exactly.
 *
 * `checkpoint.json` is the format tag, then the holder's head (its `kind` and the config of the network it holds,
 * e.g. `{ kind: 'base', model }`, defined where that network lives: model/checkpoint.ts, perception/checkpoint.ts),
 * then the fields every checkpoint has (step, seed, world hash, metrics, provenance, tensor index, SHA-256 and size
 * per file), and last the SHA-256 of checkpoint.json itself. This module knows nothing of the heads: a holder
 * checks its own on load.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { bytesOf, manifestFolder, readJson, recoverDir, sha256, writeDirAtomic, writeFileAtomic } from '../core/files';
import { DataError } from '../core/errors';
import { PLAIN_NAME, Shape, anything, array, checkSeal, checkShape, count, nullable, number, object, record, sealed, string } from '../core/json';

/** 2: checkpoint.json carries its own SHA-256 (`sha256`), which covers the tensor index and the file hashes. */
export const CHECKPOINT_FORMAT = 'ipa-kit-checkpoint/2';

/** A checkpoint folder as writeDirAtomic recognises it: checkpoint.json of any kit format, and its tensor files. */
export const CHECKPOINT_FOLDER = manifestFolder('checkpoint', 'checkpoint.json', { prefix: 'ipa-kit-checkpoint/' });

/** One tensor's place in a .bin file. */
export interface TensorEntry {
  name: string;
  shape: number[];
  offset: number; // in float32 elements
}

/** What a holder writes first: the kind of network and its config (checked by the holder on load). */
export interface CheckpointHead {
  kind: string;
}

/** Fields every checkpoint has, whatever it holds. */
export interface CheckpointCommon {
  format: string;
  step: number;
  seed: number;
  worldHash: string;
  metrics: Record<string, number>;
  /** Free-form provenance: command line, profile, method, timings. */
  info: Record<string, unknown>;
  tensors: Record<string, TensorEntry[]>;
  files: Record<string, { sha256: string; bytes: number }>;
  /** SHA-256 of this metadata without this field (canonical JSON): covers the head, the index and the hashes. */
  sha256: string;
}

const SHA256 = string({ pattern: /^[0-9a-f]{64}$/, what: 'a SHA-256 (64 hex digits)' });
const BIN_FILE = { keys: PLAIN_NAME, what: 'a plain file name' };

/** The shape of checkpoint.json's common fields (the head is checked by its holder). */
const CHECKPOINT_SHAPE: Shape = object({
  format: string(),
  kind: string(),
  step: count,
  seed: count,
  worldHash: string(),
  metrics: record(nullable(number())),
  info: record(anything),
  tensors: record(array(object({ name: string(), shape: array(count), offset: count })), BIN_FILE),
  files: record(object({ sha256: SHA256, bytes: count }), BIN_FILE),
  sha256: SHA256,
});

/** A checkpoint's metadata: the holder's head and the common fields. */
export type CheckpointMeta<H extends CheckpointHead = CheckpointHead> = H & CheckpointCommon;

/** Named float32 arrays with shapes: what a checkpoint file holds. */
export type TensorDict = Record<string, { shape: number[]; data: Float32Array }>;

/** Snapshot variables into a TensorDict (sorted by name for a stable layout). */
export function snapshot(vars: Record<string, tf.Variable | tf.Tensor>): TensorDict {
  const out: TensorDict = {};
  for (const name of Object.keys(vars).sort()) out[name] = { shape: vars[name].shape.slice(), data: vars[name].dataSync().slice() as Float32Array };
  return out;
}

/** A TensorDict from plain arrays with the shapes of `like`. */
export function dictFromArrays(arrays: Record<string, Float32Array>, like: Record<string, tf.Variable>): TensorDict {
  const out: TensorDict = {};
  for (const name of Object.keys(arrays).sort()) out[name] = { shape: like[name].shape.slice(), data: arrays[name] };
  return out;
}

function pack(dict: TensorDict): { bytes: Uint8Array; index: TensorEntry[] } {
  const names = Object.keys(dict).sort();
  const total = names.reduce((s, n) => s + dict[n].data.length, 0);
  const buf = new Float32Array(total);
  const index: TensorEntry[] = [];
  let off = 0;
  for (const n of names) {
    buf.set(dict[n].data, off);
    index.push({ name: n, shape: dict[n].shape, offset: off });
    off += dict[n].data.length;
  }
  return { bytes: bytesOf(buf), index };
}

/** What to save: the holder's head, the common fields and the tensor files. */
export interface SaveCheckpointArgs<H extends CheckpointHead = CheckpointHead> {
  head: H;
  step: number;
  seed: number;
  worldHash: string;
  metrics?: Record<string, number>;
  info?: Record<string, unknown>;
  /** Tensor files by base name, e.g. { weights: ..., optimizer_m: ..., ema: ... }. */
  files: Record<string, TensorDict>;
}

/** Write a checkpoint folder atomically (an existing one is replaced only once the new one is complete). */
export function saveCheckpoint<H extends CheckpointHead>(dir: string, a: SaveCheckpointArgs<H>): CheckpointMeta<H> {
  // Key order: format, the head (kind, its config), then the common fields.
  let meta = {
    format: CHECKPOINT_FORMAT,
    ...a.head,
    step: a.step,
    seed: a.seed,
    worldHash: a.worldHash,
    metrics: a.metrics ?? {},
    info: a.info ?? {},
    tensors: {},
    files: {},
    sha256: '',
  } as CheckpointMeta<H>;
  writeDirAtomic(dir, (tmp) => {
    for (const [base, dict] of Object.entries(a.files)) {
      const file = `${base}.bin`;
      const { bytes, index } = pack(dict);
      fs.writeFileSync(path.join(tmp, file), bytes);
      meta.tensors[file] = index;
      meta.files[file] = { sha256: sha256(bytes), bytes: bytes.byteLength };
    }
    meta = sealed(meta, 'sha256');
    writeFileAtomic(path.join(tmp, 'checkpoint.json'), `${JSON.stringify(meta, null, 2)}\n`);
  }, CHECKPOINT_FOLDER);
  return meta;
}

/**
 * Read a checkpoint's metadata, checking its shape, format and seal; `checkHead` (the holder's check of its kind
 * and config) throws an Error naming what is wrong, reported as a DataError naming the file.
 */
export function readCheckpointMeta<H extends CheckpointHead = CheckpointHead>(dir: string, checkHead?: (meta: CheckpointMeta) => void): CheckpointMeta<H> {
  recoverDir(dir);
  const file = path.join(dir, 'checkpoint.json');
  if (!fs.existsSync(file)) throw new DataError(`not a checkpoint: ${file} is missing`);
  const head = checkShape<{ format: string }>(readJson<unknown>(file), object({ format: string() }), file);
  if (head.format === 'ipa-kit-checkpoint/1') {
    throw new DataError(`${file}: checkpoint format 'ipa-kit-checkpoint/1' was written by an older kit and does not cover its tensor index with a hash, so it cannot be verified: remove ${dir} and train it again`);
  }
  if (head.format !== CHECKPOINT_FORMAT) throw new DataError(`${file}: unknown checkpoint format '${head.format}' (expected ${CHECKPOINT_FORMAT})`);
  const meta = checkShape<CheckpointMeta<H>>(head, CHECKPOINT_SHAPE, file);
  checkSeal(meta as unknown as Record<string, unknown>, 'sha256', file);
  if (checkHead) {
    try {
      checkHead(meta);
    } catch (err) {
      throw err instanceof DataError ? err : new DataError(`${file}: ${(err as Error).message}`);
    }
  }
  return meta;
}

/**
 * Read one tensor file of a checkpoint, verifying its size and SHA-256, and that its tensors (by offset) tile the
 * file exactly: each starts where the one before ends, the last ends at the file's end, names are unique.
 */
export function readTensorFile(dir: string, meta: CheckpointMeta, base: string): TensorDict {
  const file = `${base}.bin`;
  const rec = meta.files[file];
  const full = path.join(dir, file);
  if (!rec) throw new DataError(`checkpoint ${dir} has no ${file}`);
  if (!fs.existsSync(full)) throw new DataError(`checkpoint file missing: ${full}`);
  const buf = fs.readFileSync(full);
  if (buf.byteLength !== rec.bytes) throw new DataError(`checkpoint file ${full} has ${buf.byteLength} bytes, expected ${rec.bytes}: truncated or replaced`);
  if (sha256(buf) !== rec.sha256) throw new DataError(`checkpoint file ${full} does not match its SHA-256 in checkpoint.json: altered or corrupted`);
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  if (buf.byteLength % 4) throw new DataError(`checkpoint file ${full} has ${buf.byteLength} bytes, not a whole number of float32 values`);
  const all = new Float32Array(copy.buffer);
  const index = meta.tensors[file];
  if (!index) throw new DataError(`${path.join(dir, 'checkpoint.json')} has no tensor index for ${file}`);
  const out: TensorDict = {};
  let end = 0;
  for (const e of [...index].sort((a, b) => a.offset - b.offset)) {
    const n = e.shape.reduce((p, d) => p * d, 1);
    const where = `${path.join(dir, 'checkpoint.json')}: tensor '${e.name}' of ${file}`;
    if (e.offset !== end) throw new DataError(`${where} starts at element ${e.offset}, expected ${end} (the tensors must tile the file)`);
    if (e.offset + n > all.length) throw new DataError(`${where} ends at element ${e.offset + n}, past the file's ${all.length} elements`);
    if (out[e.name]) throw new DataError(`${where} is listed twice`);
    out[e.name] = { shape: e.shape, data: all.subarray(e.offset, e.offset + n) };
    end = e.offset + n;
  }
  if (end !== all.length) throw new DataError(`${path.join(dir, 'checkpoint.json')}: the tensors of ${file} cover ${end} of its ${all.length} elements`);
  return out;
}

/** Copy a TensorDict into existing variables (names and shapes must match exactly). */
export function assignInto(vars: Record<string, tf.Variable>, dict: TensorDict, where: string): void {
  const want = Object.keys(vars).sort();
  const have = Object.keys(dict).sort();
  const missing = want.filter((n) => !dict[n]);
  const extra = have.filter((n) => !vars[n]);
  if (missing.length || extra.length) {
    throw new DataError(`${where}: tensors do not match the model (missing: ${missing.join(', ') || 'none'}; unexpected: ${extra.join(', ') || 'none'})`);
  }
  for (const n of want) {
    if (dict[n].shape.join() !== vars[n].shape.join()) throw new DataError(`${where}: '${n}' has shape [${dict[n].shape}], model expects [${vars[n].shape}]`);
    tf.tidy(() => vars[n].assign(tf.tensor(dict[n].data, vars[n].shape)));
  }
}
