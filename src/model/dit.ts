/**
 * The pose-guided video flow model: a small DiT over pixel patches of every frame.
 *
 * Tokens: each frame is cut into `patch` x `patch` pixel patches; a token embeds the noisy patch together with
 * its conditioning patch (frame 0: the clean reference image and its pose map; frames 1..F-1: the pose map).
 * Blocks (DiT with adaLN-Zero on the timestep): full spatio-temporal self-attention over all tokens of the clip,
 * the reference frame's included (appearance comes from there), and an MLP. The final layer is zero-initialised.
 *
 * Parametrisation ("x-prediction, v-loss", as in JiT, Li & He 2025): the network outputs the clean video x0_hat
 * and the model returns the velocity v_hat = (Z_t - x0_hat) / max(t, X_PRED_T_MIN), so every loss stays in
 * v-space as docs/design.md ("Loss conventions") defines it. Predicting v = eps - x0 directly would ask each token (D numbers) to carry
 * its patch's noise (p*p*C numbers) to the output; at D = 96 < 192 it cannot, and the sampler never removes
 * the noise (measured: velocity MSE at t = 0.05 barely below the zero predictor, samples stay noise). The
 * reference slot's clean frame is known, so frame 0 of x0_hat is the reference itself.
 */
import * as tf from '@tensorflow/tfjs';
import { attention, linear } from '../gpu';
import { ParamSpec, initFromSpecs } from '../train/init';
import { DitConfig, tokensPerFrame, validateModelConfig } from './config';
import { LoraSet, ModelInput, Params, timestepFeatures } from './types';

/** Lower clamp of t in the x0 -> velocity conversion (JiT's 0.05). */
export const X_PRED_T_MIN = 0.05;

/** Names of the attention QKV projections (where LoRA goes). */
export function qkvNames(c: DitConfig): string[] {
  const out: string[] = [];
  for (let i = 0; i < c.depth; i++) out.push(`blocks.${i}.attn.q.w`, `blocks.${i}.attn.k.w`, `blocks.${i}.attn.v.w`);
  return out;
}

/** Shapes of all parameters, with their initialisation. */
function paramSpecs(c: DitConfig): ParamSpec[] {
  const D = c.dim;
  const P = c.patch * c.patch;
  const hidden = c.mlpRatio * D;
  const specs: ParamSpec[] = [
    ['embed.x.w', [P * c.channels, D], 'xavier'],
    ['embed.c.w', [P * c.condChannels, D], 'xavier'],
    ['embed.b', [D], 'zeros'],
    ['pos.frame', [c.frames, D], 'normal'],
    ['temb.w1', [c.freqDim, D], 'normal'],
    ['temb.b1', [D], 'zeros'],
    ['temb.w2', [D, D], 'normal'],
    ['temb.b2', [D], 'zeros'],
  ];
  for (let i = 0; i < c.depth; i++) {
    const p = `blocks.${i}`;
    for (const n of ['q', 'k', 'v', 'out']) specs.push([`${p}.attn.${n}.w`, [D, D], 'xavier'], [`${p}.attn.${n}.b`, [D], 'zeros']);
    specs.push(
      [`${p}.ada.w`, [D, 6 * D], 'zeros'],
      [`${p}.ada.b`, [6 * D], 'zeros'],
      [`${p}.mlp.fc1.w`, [D, hidden], 'xavier'],
      [`${p}.mlp.fc1.b`, [hidden], 'zeros'],
      [`${p}.mlp.fc2.w`, [hidden, D], 'xavier'],
      [`${p}.mlp.fc2.b`, [D], 'zeros'],
    );
  }
  specs.push(
    ['final.ada.w', [D, 2 * D], 'zeros'],
    ['final.ada.b', [2 * D], 'zeros'],
    ['final.w', [D, P * c.channels], 'zeros'],
    ['final.b', [P * c.channels], 'zeros'],
  );
  return specs;
}

/** Fresh parameters from a seed (xavier-uniform linears, N(0, 0.02) embeddings, zero-init where DiT has it). */
export function initParams(c: DitConfig, seed: number): Params {
  validateModelConfig(c);
  return initFromSpecs(paramSpecs(c), seed, 'init');
}

/** Fixed 2-D sine-cosine position embedding [T, D] (as in DiT / MAE). */
export function spatialPosEmbed(c: DitConfig): Float32Array {
  const gh = c.height / c.patch;
  const gw = c.width / c.patch;
  const D = c.dim;
  const half = D / 2;
  const out = new Float32Array(gh * gw * D);
  const embed1d = (pos: number, dim: number, o: number) => {
    const quarter = dim / 2;
    for (let i = 0; i < quarter; i++) {
      const omega = 1 / Math.pow(10000, i / quarter);
      out[o + i] = Math.sin(pos * omega);
      out[o + quarter + i] = Math.cos(pos * omega);
    }
  };
  for (let y = 0; y < gh; y++) {
    for (let x = 0; x < gw; x++) {
      const o = (y * gw + x) * D;
      embed1d(y, half, o);
      embed1d(x, D - half, o + half);
    }
  }
  return out;
}

/** [B, F, H, W, C] -> [B, F, T, p*p*C] (row-major patches, pixels row-major inside a patch; rank-4 transposes only). */
export function patchify(x: tf.Tensor, p: number): tf.Tensor {
  const [B, F, H, W, C] = x.shape;
  return tf.tidy(() => {
    const y = tf.reshape(x, [B * F * (H / p), p, W / p, p * C]); // [B*F*gh, py, gw, px*C]
    return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, F, (H / p) * (W / p), p * p * C]);
  });
}

/** Inverse of `patchify`: [B, F, T, p*p*C] -> [B, F, H, W, C]. */
export function unpatchify(x: tf.Tensor, p: number, H: number, W: number, C: number): tf.Tensor {
  const [B, F] = x.shape;
  return tf.tidy(() => {
    const y = tf.reshape(x, [B * F * (H / p), W / p, p, p * C]); // [B*F*gh, gw, py, px*C]
    return tf.reshape(tf.transpose(y, [0, 2, 1, 3]), [B, F, H, W, C]);
  });
}

function layerNorm(x: tf.Tensor, eps = 1e-6): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
}

/** x * (1 + scale) + shift, with [B, D] modulation broadcast over frames and tokens of x [B, F, T, D]. */
function modulate(x: tf.Tensor, shift: tf.Tensor, scale: tf.Tensor): tf.Tensor {
  const [B, , , D] = x.shape;
  return tf.add(tf.mul(x, tf.add(tf.reshape(scale, [B, 1, 1, D]), 1)), tf.reshape(shift, [B, 1, 1, D]));
}

/**
 * Split [B, n*D] into n tensors [B, D]. Done as [n, B, D] chunks, because splitting the last axis is a strided
 * slice, which the wasm backend runs element by element in JavaScript.
 */
function chunks(x: tf.Tensor, n: number): tf.Tensor[] {
  const [B, nD] = x.shape;
  return tf.unstack(tf.transpose(tf.reshape(x, [B, n, nD / n]), [1, 0, 2]));
}

function gate(x: tf.Tensor, g: tf.Tensor): tf.Tensor {
  const [B, , , D] = x.shape;
  return tf.mul(x, tf.reshape(g, [B, 1, 1, D]));
}

/** GELU, sigmoid form x * sigmoid(1.702 x) (tanh and erf are slow on wasm). */
function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
}

/** Linear layer by parameter prefix, with a LoRA adapter on its weight when one is given. */
function proj(params: Params, lora: LoraSet | undefined, prefix: string, x: tf.Tensor): tf.Tensor {
  const y = linear(x, params[`${prefix}.w`], params[`${prefix}.b`]);
  const ad = lora?.[`${prefix}.w`];
  if (!ad) return y;
  return tf.add(y, tf.mul(linear(linear(x, ad.a), ad.b), ad.scale));
}

/** Project to heads: [B, F, T, D] -> [B*h, F*T, dh] (rank-4 transposes only: higher ranks are slow on wasm). */
function heads(params: Params, lora: LoraSet | undefined, name: string, x: tf.Tensor, h: number): tf.Tensor3D {
  const [B, F, T, D] = x.shape;
  const y = tf.transpose(tf.reshape(proj(params, lora, name, x), [B, F * T, h, D / h]), [0, 2, 1, 3]);
  return tf.reshape(y, [B * h, F * T, D / h]) as tf.Tensor3D;
}

/**
 * Full spatio-temporal self-attention over all tokens of the clip, reference frame included (as in Wan/VACE):
 * one group of F*T tokens per (sample, head), so each product is a large 2-D product on the fast path.
 */
function selfAttention(params: Params, lora: LoraSet | undefined, p: string, x: tf.Tensor, h: number): tf.Tensor {
  const [B, F, T, D] = x.shape;
  const o = attention(heads(params, lora, `${p}.q`, x, h), heads(params, lora, `${p}.k`, x, h), heads(params, lora, `${p}.v`, x, h)); // [B*h, F*T, dh]
  const merged = tf.reshape(tf.transpose(tf.reshape(o, [B, h, F * T, D / h]), [0, 2, 1, 3]), [B, F, T, D]);
  return proj(params, lora, `${p}.out`, merged);
}

/** Constant [condC, C] matrix selecting the image channels of the conditioning. */
function imageChannels(c: DitConfig): tf.Tensor {
  return constant(`img/${c.condChannels}/${c.channels}`, () => {
    const m = new Float32Array(c.condChannels * c.channels);
    for (let i = 0; i < c.channels; i++) m[i * c.channels + i] = 1;
    return tf.tensor2d(m, [c.condChannels, c.channels]);
  });
}

/** Constant frame mask [1, F, 1, 1, 1]: 0 on the reference slot, 1 on generated frames. */
function generatedFrames(c: DitConfig): tf.Tensor {
  return constant(`gen/${c.frames}`, () => {
    const m = new Float32Array(c.frames).fill(1);
    m[0] = 0;
    return tf.tensor(m, [1, c.frames, 1, 1, 1]);
  });
}

const constants = new Map<string, tf.Tensor>();
/** A kept constant tensor, made once per key (and remade if someone disposed it). */
function constant(key: string, make: () => tf.Tensor): tf.Tensor {
  let t = constants.get(key);
  if (!t || t.isDisposed) {
    t = tf.keep(tf.tidy(make));
    constants.set(key, t);
  }
  return t;
}

/** The constant sine-cosine position embedding of a config. */
function posEmbed(c: DitConfig): tf.Tensor {
  return constant(`pos/${c.height}x${c.width}/${c.patch}/${c.dim}`, () => tf.tensor2d(spatialPosEmbed(c), [tokensPerFrame(c), c.dim]));
}

/** Check the input shapes against the config; throws naming the argument. */
export function checkInput(c: DitConfig, inp: ModelInput): void {
  const want = [c.frames, c.height, c.width];
  const [B] = inp.video.shape;
  const show = (s: number[]) => JSON.stringify(s);
  if (inp.video.rank !== 5 || show(inp.video.shape.slice(1, 4)) !== show(want) || inp.video.shape[4] !== c.channels) {
    throw new Error(`model input 'video' must be [B, ${c.frames}, ${c.height}, ${c.width}, ${c.channels}], got ${show(inp.video.shape)}`);
  }
  if (inp.cond.rank !== 5 || inp.cond.shape[0] !== B || show(inp.cond.shape.slice(1, 4)) !== show(want) || inp.cond.shape[4] !== c.condChannels) {
    throw new Error(`model input 'cond' must be [${B}, ${c.frames}, ${c.height}, ${c.width}, ${c.condChannels}], got ${show(inp.cond.shape)}`);
  }
  if (inp.t.rank !== 1 || inp.t.shape[0] !== B) throw new Error(`model input 't' must be [${B}], got ${show(inp.t.shape)}`);
}

/** Velocity prediction v(Z_t; t, I, P): [B, F, H, W, C] (through x0_hat, see above). Call inside tf.tidy or dispose the result. */
export function forward(c: DitConfig, params: Params, inp: ModelInput, lora?: LoraSet): tf.Tensor {
  checkInput(c, inp);
  return tf.tidy(() => {
    const D = c.dim;
    // Noisy patches and conditioning patches are embedded by two linears and summed (no channel concat). The
    // noisy patch's embedding is scaled by (1 - t), the share of signal in Z_t: at t = 1 (pure noise) the model
    // starts from its conditioning alone instead of having to learn to ignore the noise first (measured: without
    // it, after 300 steps the t = 1 estimate of x0 still copied the noise's patch pattern).
    const signal = tf.reshape(tf.sub(1, inp.t), [-1, 1, 1, 1]);
    const xEmb = tf.mul(linear(patchify(inp.video, c.patch), params['embed.x.w']), signal);
    let h = tf.add(tf.add(xEmb, linear(patchify(inp.cond, c.patch), params['embed.c.w'])), params['embed.b']); // [B, F, T, D]
    h = tf.add(h, posEmbed(c)); // spatial position
    h = tf.add(h, tf.reshape(params['pos.frame'], [1, c.frames, 1, D])); // frame position
    const temb = timestepFeatures(inp.t, c.freqDim); // [B, freqDim]
    const c1 = linear(temb, params['temb.w1'], params['temb.b1']);
    const cemb = linear(silu(c1), params['temb.w2'], params['temb.b2']); // [B, D]
    const sc = silu(cemb);
    for (let i = 0; i < c.depth; i++) {
      const p = `blocks.${i}`;
      const mod = chunks(linear(sc, params[`${p}.ada.w`], params[`${p}.ada.b`]), 6); // 6 x [B, D]
      h = tf.add(h, gate(selfAttention(params, lora, `${p}.attn`, modulate(layerNorm(h), mod[0], mod[1]), c.heads), mod[2]));
      const m = linear(gelu(linear(modulate(layerNorm(h), mod[3], mod[4]), params[`${p}.mlp.fc1.w`], params[`${p}.mlp.fc1.b`])), params[`${p}.mlp.fc2.w`], params[`${p}.mlp.fc2.b`]);
      h = tf.add(h, gate(m, mod[5]));
    }
    const [shift, scale] = chunks(linear(sc, params['final.ada.w'], params['final.ada.b']), 2);
    const out = linear(modulate(layerNorm(h), shift, scale), params['final.w'], params['final.b']); // [B, F, T, p*p*C]
    const x0Gen = unpatchify(out, c.patch, c.height, c.width, c.channels); // [B, F, H, W, C]
    // Frame 0 of x0_hat is the known reference: the image channels of `cond` on frame 0, taken with a channel
    // projection and a frame mask (no strided slices: the wasm backend runs those element by element in JS).
    const B = inp.video.shape[0];
    const gen = generatedFrames(c); // [1, F, 1, 1, 1]: 0 on the reference slot
    const refSlot = tf.mul(linear(inp.cond, imageChannels(c)), tf.sub(1, gen)); // [B, F, H, W, C]
    const x0Hat = tf.add(tf.mul(x0Gen, gen), refSlot);
    const tDen = tf.reshape(tf.maximum(inp.t, X_PRED_T_MIN), [B, 1, 1, 1, 1]);
    return tf.div(tf.sub(inp.video, x0Hat), tDen); // v_hat = (Z_t - x0_hat) / max(t, t_min)
  });
}

function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}
