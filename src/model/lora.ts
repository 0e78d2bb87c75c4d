/**
 * LoRA adapters (Hu et al. 2021) on the attention Q, K, V projections: W x + (alpha / r) B A x, with A
 * initialised like PEFT (uniform in +-1/sqrt(in)) and B zero, so a fresh adapter leaves the model unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { variableFrom } from '../gpu';
import { rng } from '../core/seeds';
import { ModelConfig } from './config';
import { LoraSet, Params } from './types';
import { qkvNames } from './network';

export interface LoraConfig {
  rank: number;
  alpha: number;
  /** Weight names that get adapters; default: every attention Q, K and V projection. */
  targets?: string[];
}

/** Validate a LoRA config; throws naming the field. */
export function validateLoraConfig(l: LoraConfig): void {
  if (!Number.isInteger(l.rank) || l.rank < 1) throw new Error(`lora: 'rank' must be a positive integer, got ${l.rank}`);
  if (!(l.alpha > 0)) throw new Error(`lora: 'alpha' must be > 0, got ${l.alpha}`);
}

/** Fresh adapters for `targets` of a model with config `c`. */
export function createLora(c: ModelConfig, params: Params, l: LoraConfig, seed: number): LoraSet {
  validateLoraConfig(l);
  const targets = l.targets ?? qkvNames(c);
  const out: LoraSet = {};
  for (const name of targets) {
    const w = params[name];
    if (!w) throw new Error(`lora: no weight named '${name}' in the model`);
    const [inDim, outDim] = w.shape;
    const bound = 1 / Math.sqrt(inDim);
    const a = variableFrom(tf.tensor(rng(seed, 'lora', name).uniforms(inDim * l.rank, -bound, bound), [inDim, l.rank]));
    out[name] = { a, b: variableFrom(tf.zeros([l.rank, outDim])), scale: l.alpha / l.rank };
  }
  return out;
}

/** The adapters' trainable variables by name ('<weight>.lora_a' / '.lora_b'). */
export function loraVariables(lora: LoraSet): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [name, p] of Object.entries(lora)) {
    out[`${name}.lora_a`] = p.a;
    out[`${name}.lora_b`] = p.b;
  }
  return out;
}

function applyDelta(params: Params, lora: LoraSet, sign: 1 | -1): void {
  for (const [name, p] of Object.entries(lora)) {
    const w = params[name];
    tf.tidy(() => w.assign(tf.add(w, tf.mul(tf.matMul(p.a, p.b), sign * p.scale))));
  }
}

/** Fold the adapters into the base weights (faster inference); undo with `unmergeLora`. */
export function mergeLora(params: Params, lora: LoraSet): void {
  applyDelta(params, lora, 1);
}

/** Remove merged adapters from the base weights. */
export function unmergeLora(params: Params, lora: LoraSet): void {
  applyDelta(params, lora, -1);
}

/** Dispose every variable of an adapter set. */
export function disposeLora(lora: LoraSet): void {
  for (const p of Object.values(lora)) tf.dispose([p.a, p.b]);
}
