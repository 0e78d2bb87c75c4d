/**
 * Loading models for sampling: a base checkpoint, optionally with a post-training adapter (LoRA adapters, which
 * are merged into the weights for speed, or fully fine-tuned weights). An adapter records the SHA-256 of the
 * base weights it was trained on; loading it on another base is an error.
 */
import * as tf from '@tensorflow/tfjs';
import { variableFrom } from '../gpu';
import { DataError } from '../core/errors';
import { TensorDict, assignInto, readTensorFile, saveCheckpoint, snapshot } from '../train/checkpoint';
import { ModelCheckpointMeta, assertSameConfig, modelHead, paramsFromDict, readModelCheckpointMeta } from './checkpoint';
import { ModelConfig } from './config';
import { LoraSet, Params } from './types';
import { mergeLora } from './lora';

export interface LoadedModel {
  config: ModelConfig;
  params: Params;
  base: ModelCheckpointMeta;
  adapter: ModelCheckpointMeta | null;
  /** SHA-256 of the base weights file. */
  baseWeightsSha256: string;
}

/** Adapters from a checkpoint's tensors named '<weight>.lora_a' / '<weight>.lora_b'. */
export function loraFromDict(dict: TensorDict, scale: number): LoraSet {
  const out: LoraSet = {};
  for (const name of Object.keys(dict)) {
    const m = /^(.*)\.lora_a$/.exec(name);
    if (!m) continue;
    const b = dict[`${m[1]}.lora_b`];
    if (!b) throw new DataError(`adapter: '${name}' has no matching '.lora_b'`);
    out[m[1]] = { a: variableFrom(tf.tensor(dict[name].data, dict[name].shape)), b: variableFrom(tf.tensor(b.data, b.shape)), scale };
  }
  return out;
}

/** Load a base checkpoint (and check its config when `expected` is given). */
export function loadBase(dir: string, expected?: ModelConfig): { meta: ModelCheckpointMeta; weights: TensorDict } {
  const meta = readModelCheckpointMeta(dir);
  if (meta.kind !== 'base') throw new DataError(`${dir} is a '${meta.kind}' checkpoint, not a base model`);
  if (expected) assertSameConfig(meta, expected, dir);
  return { meta, weights: readTensorFile(dir, meta, 'weights') };
}

/** Load a base and optionally an adapter on top (merged). The caller disposes `params`. */
export function loadModel(baseDir: string, adapterDir?: string, expected?: ModelConfig): LoadedModel {
  const { meta, weights } = loadBase(baseDir, expected);
  const params = paramsFromDict(weights);
  const baseWeightsSha256 = meta.files['weights.bin'].sha256;
  if (!adapterDir) return { config: meta.model, params, base: meta, adapter: null, baseWeightsSha256 };
  const ad = readModelCheckpointMeta(adapterDir);
  if (ad.kind !== 'adapter') throw new DataError(`${adapterDir} is a '${ad.kind}' checkpoint, not an adapter`);
  assertSameConfig(ad, meta.model, adapterDir);
  if (ad.baseWeightsSha256 !== baseWeightsSha256) {
    throw new DataError(`${adapterDir} was trained on another base (weights ${ad.baseWeightsSha256?.slice(0, 12)}..., this base is ${baseWeightsSha256.slice(0, 12)}...)`);
  }
  const dict = readTensorFile(adapterDir, ad, 'weights');
  if (ad.lora) {
    const lora = loraFromDict(dict, ad.lora.alpha / ad.lora.rank);
    mergeLora(params, lora);
    for (const p of Object.values(lora)) tf.dispose([p.a, p.b]);
  } else {
    assignInto(params, dict, adapterDir);
  }
  return { config: meta.model, params, base: meta, adapter: ad, baseWeightsSha256 };
}

/**
 * Write base + adapter as a new base checkpoint in `outDir` (atomically): the model a later round of training starts
 * from and samples with. Its info is the base's with `mergedFrom` (both weight hashes); its step, the base's plus the
 * adapter's. Returns the new checkpoint's metadata.
 */
export function saveMergedBase(baseDir: string, adapterDir: string, outDir: string): ModelCheckpointMeta {
  const m = loadModel(baseDir, adapterDir);
  try {
    const ad = m.adapter as ModelCheckpointMeta;
    return saveCheckpoint(outDir, {
      head: modelHead('base', m.config),
      step: m.base.step + ad.step,
      seed: ad.seed,
      worldHash: m.base.worldHash,
      metrics: {},
      info: { ...m.base.info, mergedFrom: { baseWeightsSha256: m.baseWeightsSha256, adapterWeightsSha256: ad.files['weights.bin'].sha256 } },
      files: { weights: snapshot(m.params) },
    });
  } finally {
    tf.dispose(Object.values(m.params));
  }
}
