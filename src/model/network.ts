/**
 * One entry point for the video model, whatever its network: `forward`, `initParams` and `qkvNames` dispatch on
 * the config's `kind` ('dit' or absent: ./dit; 'unet': ./unet), and `condLayout` says which conditioning
 * layout of ./inputs the network reads. Callers (pretraining, sampling, post-training, LoRA) import from here.
 */
import type * as tf from '@tensorflow/tfjs';
import { ModelConfig } from './config';
import { forward as ditForward, initParams as ditInit, qkvNames as ditQkv } from './dit';
import { LoraSet, ModelInput, Params } from './types';
import { CondLayout } from './inputs';
import { initUnetParams, unetForward, unetQkvNames } from './unet';

export type { LoraPair, LoraSet, ModelInput, Params } from './types';
export { countParams } from './types';

/** Velocity prediction v(Z_t; t, I, P): [B, F, H, W, C]. Call inside tf.tidy or dispose the result. */
export function forward(c: ModelConfig, params: Params, inp: ModelInput, lora?: LoraSet): tf.Tensor {
  return c.kind === 'unet' ? unetForward(c, params, inp, lora) : ditForward(c, params, inp, lora);
}

/** Fresh parameters of the config's network from a seed. */
export function initParams(c: ModelConfig, seed: number): Params {
  return c.kind === 'unet' ? initUnetParams(c, seed) : ditInit(c, seed);
}

/** Names of the attention Q, K, V projections (where LoRA goes). */
export function qkvNames(c: ModelConfig): string[] {
  return c.kind === 'unet' ? unetQkvNames() : ditQkv(c);
}

/** The conditioning layout the config's network reads ('dit': 6 channels; the U-Net: the reference on every frame). */
export function condLayout(c: ModelConfig): CondLayout {
  return c.kind === 'unet' ? 'ref-every-frame' : 'dit';
}
