/**
 * Video-model checkpoints: the head the generator writes into a checkpoint (train/checkpoint.ts holds the format).
 * 'base' holds the full model weights; 'adapter' holds LoRA adapters (or fully fine-tuned weights) trained on a
 * base, with that base's weights hash.
 */
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../core/errors';
import { Shape, array, number, object, optional, string } from '../core/json';
import { variableFrom } from '../gpu';
import { CheckpointMeta, TensorDict, readCheckpointMeta } from '../train/checkpoint';
import { ModelConfig, configDiff, validateModelConfig } from './config';
import { Params } from './types';
import { LoraConfig } from './lora';

/** The head of a video-model checkpoint. */
export interface ModelCheckpointHead {
  /** 'base': full model weights; 'adapter': LoRA adapters (or fully fine-tuned weights) on top of a base. */
  kind: 'base' | 'adapter';
  model: ModelConfig;
  lora?: LoraConfig;
  /** For adapters: the SHA-256 of the base checkpoint's weights.bin they were trained on. */
  baseWeightsSha256?: string;
}

/** A video-model checkpoint's metadata. */
export type ModelCheckpointMeta = CheckpointMeta<ModelCheckpointHead>;

/** The head of a base or adapter checkpoint (fields in their stored order; absent options are left out). */
export function modelHead(kind: 'base' | 'adapter', model: ModelConfig, opts: { lora?: LoraConfig | null; baseWeightsSha256?: string } = {}): ModelCheckpointHead {
  return {
    kind,
    model,
    ...(opts.lora ? { lora: opts.lora } : {}),
    ...(opts.baseWeightsSha256 ? { baseWeightsSha256: opts.baseWeightsSha256 } : {}),
  };
}

/** Check that a checkpoint holds the video model: kind 'base' or 'adapter' and a valid model config. */
export function checkModelHead(meta: CheckpointMeta): void {
  if (meta.kind !== 'base' && meta.kind !== 'adapter') throw new Error(`a '${meta.kind}' checkpoint, not a video model`);
  const m = meta as ModelCheckpointMeta;
  if (!m.model) throw new Error(`a '${meta.kind}' checkpoint without its 'model' config`);
  HEAD_SHAPE(m, ''); // a ShapeError naming the field (readCheckpointMeta adds the file)
  validateModelConfig(m.model);
}

/** The shape of the head's optional fields (the model config has its own validator). */
const HEAD_SHAPE: Shape = object({
  lora: optional(object({ rank: number({ integer: true, min: 1 }), alpha: number(), targets: optional(array(string())) })),
  baseWeightsSha256: optional(string({ pattern: /^[0-9a-f]{64}$/, what: 'a SHA-256 (64 hex digits)' })),
});

/** Read a video-model checkpoint's metadata (base or adapter); any other kind is a DataError. */
export function readModelCheckpointMeta(dir: string): ModelCheckpointMeta {
  return readCheckpointMeta<ModelCheckpointHead>(dir, checkModelHead);
}

/** Check that a checkpoint's model config equals the expected one; the error lists the differing fields. */
export function assertSameConfig(meta: CheckpointMeta, expected: ModelConfig, where: string): void {
  if (meta.kind !== 'base' && meta.kind !== 'adapter') throw new DataError(`${where}: a '${meta.kind}' checkpoint, not a video model`);
  const diff = configDiff((meta as ModelCheckpointMeta).model, expected);
  if (diff.length) throw new DataError(`${where}: model config does not match (${diff.join('; ')})`);
}

/** Params of a model from a base checkpoint's weights (fresh variables). */
export function paramsFromDict(dict: TensorDict): Params {
  const out: Params = {};
  for (const [n, { shape, data }] of Object.entries(dict)) {
    out[n] = variableFrom(tf.tensor(data, shape));
  }
  return out;
}
