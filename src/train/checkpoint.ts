/**
 * Checkpoints: a folder with `checkpoint.json` (format, kind, the config of the network it holds, step, seed, world
 * hash, metrics, tensor index, SHA-256 and size per file) and raw float32 tensor files (`weights.bin`, and for
 * resumable runs `optimizer.bin` and `ema.bin`). Written atomically; loading verifies hashes and the config.
 *
 * Kinds: 'base' and 'adapter' hold the video model (its `model` config); 'perception' holds the kit's perception
 * network (its `perception` config, no `model`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { variableFrom } from '../gpu';
import { PerceptionConfig, validatePerceptionConfig } from '../perception/config';
import { DataError, bytesOf, readJson, sha256, writeDirAtomic, writeFileAtomic } from '../core/files';
import { ModelConfig, configDiff, validateModelConfig } from '../model/config';
import { LoraConfig } from '../model/lora';
import { Params } from '../model/dit';

export const CHECKPOINT_FORMAT = 'ipa-kit-checkpoint/1';

/** What a checkpoint holds: the video model ('base', 'adapter') or the perception network ('perception'). */
export type CheckpointKind = 'base' | 'adapter' | 'perception';
const KINDS: readonly CheckpointKind[] = ['base', 'adapter', 'perception'];

/** One tensor's place in a .bin file. */
export interface TensorEntry {
  name: string;
  shape: number[];
  offset: number; // in float32 elements
}

/** Fields every checkpoint has, whatever it holds. */
interface CheckpointCommon {
  format: string;
  step: number;
  seed: number;
  worldHash: string;
  metrics: Record<string, number>;
  /** Free-form provenance: command line, profile, method, timings. */
  info: Record<string, unknown>;
  tensors: Record<string, TensorEntry[]>;
  files: Record<string, { sha256: string; bytes: number }>;
}

/** A video-model checkpoint. */
export interface CheckpointMeta extends CheckpointCommon {
  /** 'base': full model weights; 'adapter': LoRA adapters (or fully fine-tuned weights) on top of a base. */
  kind: 'base' | 'adapter';
  model: ModelConfig;
  lora?: LoraConfig;
  /** For adapters: the SHA-256 of the base checkpoint's weights.bin they were trained on. */
  baseWeightsSha256?: string;
}

/** A perception-network checkpoint. */
export interface PerceptionCheckpointMeta extends CheckpointCommon {
  kind: 'perception';
  perception: PerceptionConfig;
}

/** Any checkpoint's metadata (narrow on `kind`). */
export type AnyCheckpointMeta = CheckpointMeta | PerceptionCheckpointMeta;

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

/** What to save: `model` for the video kinds, `perception` for the perception kind (exactly one of them). */
export interface SaveCheckpointArgs {
  kind: CheckpointKind;
  model?: ModelConfig;
  perception?: PerceptionConfig;
  lora?: LoraConfig;
  baseWeightsSha256?: string;
  step: number;
  seed: number;
  worldHash: string;
  metrics?: Record<string, number>;
  info?: Record<string, unknown>;
  /** Tensor files by base name, e.g. { weights: ..., optimizer: ..., ema: ... }. */
  files: Record<string, TensorDict>;
}

/** Write a checkpoint folder atomically (an existing one is replaced only once the new one is complete). */
export function saveCheckpoint(dir: string, a: SaveCheckpointArgs & { kind: 'base' | 'adapter'; model: ModelConfig }): CheckpointMeta;
export function saveCheckpoint(dir: string, a: SaveCheckpointArgs & { kind: 'perception'; perception: PerceptionConfig }): PerceptionCheckpointMeta;
export function saveCheckpoint(dir: string, a: SaveCheckpointArgs): AnyCheckpointMeta;
export function saveCheckpoint(dir: string, a: SaveCheckpointArgs): AnyCheckpointMeta {
  // Key order as before the perception kind existed: format, kind, its config, then the common fields.
  const common: Omit<CheckpointCommon, 'format'> = {
    step: a.step,
    seed: a.seed,
    worldHash: a.worldHash,
    metrics: a.metrics ?? {},
    info: a.info ?? {},
    tensors: {},
    files: {},
  };
  let meta: AnyCheckpointMeta;
  if (a.kind === 'perception') {
    if (!a.perception || a.model) throw new Error(`saveCheckpoint: a 'perception' checkpoint needs 'perception' and no 'model'`);
    validatePerceptionConfig(a.perception);
    meta = { format: CHECKPOINT_FORMAT, kind: 'perception', perception: a.perception, ...common };
  } else {
    if (!a.model || a.perception) throw new Error(`saveCheckpoint: a '${a.kind}' checkpoint needs 'model' and no 'perception'`);
    meta = {
      format: CHECKPOINT_FORMAT,
      kind: a.kind,
      model: a.model,
      ...(a.lora ? { lora: a.lora } : {}),
      ...(a.baseWeightsSha256 ? { baseWeightsSha256: a.baseWeightsSha256 } : {}),
      ...common,
    };
  }
  writeDirAtomic(dir, (tmp) => {
    for (const [base, dict] of Object.entries(a.files)) {
      const file = `${base}.bin`;
      const { bytes, index } = pack(dict);
      fs.writeFileSync(path.join(tmp, file), bytes);
      meta.tensors[file] = index;
      meta.files[file] = { sha256: sha256(bytes), bytes: bytes.byteLength };
    }
    writeFileAtomic(path.join(tmp, 'checkpoint.json'), `${JSON.stringify(meta, null, 2)}\n`);
  });
  return meta;
}

/** Read a checkpoint's metadata (checks the format, the kind and the config the kind carries). */
export function readCheckpointMeta(dir: string): AnyCheckpointMeta {
  const file = path.join(dir, 'checkpoint.json');
  if (!fs.existsSync(file)) throw new DataError(`not a checkpoint: ${file} is missing`);
  const meta = readJson<AnyCheckpointMeta>(file);
  if (meta.format !== CHECKPOINT_FORMAT) throw new DataError(`${file}: unknown checkpoint format '${meta.format}' (expected ${CHECKPOINT_FORMAT})`);
  if (!KINDS.includes(meta.kind)) throw new DataError(`${file}: unknown checkpoint kind '${String(meta.kind)}' (kinds: ${KINDS.join(', ')})`);
  if (meta.kind === 'perception') {
    if (!meta.perception) throw new DataError(`${file}: a 'perception' checkpoint without its 'perception' config`);
    try {
      validatePerceptionConfig(meta.perception);
    } catch (err) {
      throw new DataError(`${file}: ${(err as Error).message}`);
    }
  } else {
    if (!meta.model) throw new DataError(`${file}: a '${meta.kind}' checkpoint without its 'model' config`);
    validateModelConfig(meta.model);
  }
  return meta;
}

/** Read one tensor file of a checkpoint, verifying its size and SHA-256. */
export function readTensorFile(dir: string, meta: AnyCheckpointMeta, base: string): TensorDict {
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
  const all = new Float32Array(copy.buffer);
  const out: TensorDict = {};
  for (const e of meta.tensors[file]) {
    const n = e.shape.reduce((p, d) => p * d, 1);
    out[e.name] = { shape: e.shape, data: all.subarray(e.offset, e.offset + n) };
  }
  return out;
}

/** Check that a checkpoint's model config equals the expected one; the error lists the differing fields. */
export function assertSameConfig(meta: AnyCheckpointMeta, expected: ModelConfig, where: string): void {
  if (meta.kind === 'perception') throw new DataError(`${where}: a 'perception' checkpoint, not a video model`);
  const diff = configDiff(meta.model, expected);
  if (diff.length) throw new DataError(`${where}: model config does not match (${diff.join('; ')})`);
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

/** Params of a model from a base checkpoint's weights (fresh variables). */
export function paramsFromDict(dict: TensorDict): Params {
  const out: Params = {};
  for (const [n, { shape, data }] of Object.entries(dict)) {
    out[n] = variableFrom(tf.tensor(data, shape));
  }
  return out;
}

/** Read a video-model checkpoint's metadata (base or adapter); a perception checkpoint is a DataError. */
export function readModelCheckpointMeta(dir: string): CheckpointMeta {
  const meta = readCheckpointMeta(dir);
  if (meta.kind === 'perception') throw new DataError(`${dir} is a perception checkpoint, not a video model`);
  return meta;
}
