/** Weight initialisation from parameter specs (shared by the video model and the perception network). */
import * as tf from '@tensorflow/tfjs';
import { variableFrom } from '../gpu';
import { rng } from '../core/seeds';

/**
 * How a parameter starts: xavier-uniform (2-D linears; 'conv': conv filters [k, k, in, out] with fan-in k*k*in
 * and fan-out k*k*out), zeros, ones (norm scales), or N(0, 0.02).
 */
export type InitKind = 'xavier' | 'conv' | 'zeros' | 'ones' | 'normal';
export type ParamSpec = [name: string, shape: number[], init: InitKind];

/** Fresh variables for the specs; each parameter's values come from its own stream `rng(seed, label, name)`. */
export function initFromSpecs(specs: readonly ParamSpec[], seed: number, label: string): Record<string, tf.Variable> {
  const out: Record<string, tf.Variable> = {};
  for (const [name, shape, kind] of specs) {
    const n = shape.reduce((a, b) => a * b, 1);
    const r = rng(seed, label, name);
    let data: Float32Array;
    if (kind === 'zeros') data = new Float32Array(n);
    else if (kind === 'ones') data = new Float32Array(n).fill(1);
    else if (kind === 'normal') data = r.normals(n, 0.02);
    else {
      const taps = kind === 'conv' ? shape[0] * shape[1] : 1;
      const [fanIn, fanOut] = kind === 'conv' ? [taps * shape[2], taps * shape[3]] : [shape[0], shape[1]];
      const lim = Math.sqrt(6 / (fanIn + fanOut));
      data = r.uniforms(n, -lim, lim);
    }
    out[name] = variableFrom(tf.tensor(data, shape));
  }
  return out;
}
