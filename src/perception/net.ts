/**
 * The perception network, top-down like DWPose: a global MLP-Mixer over the frame's pixel patches finds the 18 body
 * keypoints and the centre of each hand (the mean of its 21 keypoints); a hand MLP-Mixer over a `handCrop`-pixel
 * crop around each hand centre places the hand's 21 keypoints precisely. Both end in the same keypoint head: per
 * keypoint a softmax over tokens (a heatmap at token resolution) and per-token offsets, so a keypoint lands between
 * token centres with sub-token precision:
 *
 *     xy_k = sum_t softmax_t(logit_{t,k}) * (centre_t + patch * offset_{t,k})        (pixels)
 *     visible_k = sigmoid( sum_t softmax_t(logit_{t,k}) * vis_{t,k} )
 *
 * Trunk (both): patches scaled to [-1, 1], one linear embedding plus a learned position embedding, then Mixer
 * blocks (pre-norm token-mixing MLP over the token axis, hidden width = tokens; pre-norm channel MLP, hidden
 * width = mlpRatio * dim) and a final layer norm. Mixer rather than attention because every product is then a
 * 2-D product with a shared weight (the wasm fast path); measured on this machine, attention over 64 tokens was
 * slower and learned hands more slowly (see the README of this folder).
 *
 * Left-hand crops are mirrored, so the hand network sees every hand as a right hand; a learned side embedding
 * tells them apart where the mirror image is not exact.
 */
import * as tf from '@tensorflow/tfjs';
import { linear } from '../gpu';
import { ParamSpec, initFromSpecs } from '../train/init';
import { BODY_KEYPOINTS, HAND_KEYPOINTS } from '../world/layout';
import { PerceptionConfig, handTokens, perceptionTokens, validatePerceptionConfig } from './config';

/** Named parameters of the network (a flat record of variables, as the video model's): 'global.*' and 'hand.*'. */
export type PerceptionParams = Record<string, tf.Variable>;

/** Parts of the keypoint head: heatmap logits, x and y offsets (in cells), visibility logits. */
const HEAD_PARTS = ['logit', 'dx', 'dy', 'vis'] as const;

type Spec = ParamSpec;

/** Outputs of the global head: the 18 body keypoints, then the left- and the right-hand centre. */
export const GLOBAL_KEYPOINTS = BODY_KEYPOINTS + 2;
/** Index of a hand's centre among the global head's outputs. */
export function centreIndex(side: 0 | 1): number {
  return BODY_KEYPOINTS + side;
}

/** One trunk's shape: tokens T of `patch` x `patch` RGB pixels, width D, `depth` blocks, K keypoints. */
interface Trunk {
  prefix: 'global' | 'hand';
  tokens: number;
  patch: number;
  dim: number;
  depth: number;
  keypoints: number;
  /** Grid side (tokens per row). */
  grid: number;
}

function trunks(c: PerceptionConfig): [Trunk, Trunk] {
  return [
    { prefix: 'global', tokens: perceptionTokens(c), patch: c.patch, dim: c.dim, depth: c.depth, keypoints: GLOBAL_KEYPOINTS, grid: c.size / c.patch },
    { prefix: 'hand', tokens: handTokens(c), patch: c.handPatch, dim: c.handDim, depth: c.handDepth, keypoints: HAND_KEYPOINTS, grid: c.handCrop / c.handPatch },
  ];
}

function trunkSpecs(t: Trunk, mlpRatio: number): Spec[] {
  const { prefix: p, tokens: T, dim: D } = t;
  const specs: Spec[] = [
    [`${p}.embed.w`, [t.patch * t.patch * 3, D], 'xavier'],
    [`${p}.embed.b`, [D], 'zeros'],
    [`${p}.pos`, [T, D], 'normal'],
  ];
  for (let i = 0; i < t.depth; i++) {
    const b = `${p}.blocks.${i}`;
    specs.push([`${b}.tok.fc1.w`, [T, T], 'xavier'], [`${b}.tok.fc1.b`, [T], 'zeros'], [`${b}.tok.fc2.w`, [T, T], 'xavier'], [`${b}.tok.fc2.b`, [T], 'zeros']);
    specs.push([`${b}.mlp.fc1.w`, [D, mlpRatio * D], 'xavier'], [`${b}.mlp.fc1.b`, [mlpRatio * D], 'zeros'], [`${b}.mlp.fc2.w`, [mlpRatio * D, D], 'xavier'], [`${b}.mlp.fc2.b`, [D], 'zeros']);
  }
  for (const h of HEAD_PARTS) specs.push([`${p}.head.${h}.w`, [D, t.keypoints], 'normal'], [`${p}.head.${h}.b`, [t.keypoints], 'zeros']);
  return specs;
}

/** Shapes and initialisations of all parameters. */
function paramSpecs(c: PerceptionConfig): Spec[] {
  const [g, h] = trunks(c);
  return [...trunkSpecs(g, c.mlpRatio), ...trunkSpecs(h, c.mlpRatio), ['hand.side', [2, c.handDim], 'normal']];
}

/** Fresh parameters from a seed (xavier-uniform linears, N(0, 0.02) embeddings and heads, zero biases). */
export function initPerceptionParams(c: PerceptionConfig, seed: number): PerceptionParams {
  validatePerceptionConfig(c);
  return initFromSpecs(paramSpecs(c), seed, 'perception-init');
}

/** Parameter names and shapes the config expects (for checking a checkpoint). */
export function perceptionParamShapes(c: PerceptionConfig): Record<string, number[]> {
  return Object.fromEntries(paramSpecs(c).map(([n, s]) => [n, s]));
}

/**
 * uint8 frames [n, S, S, 3] (frames start..start+n of `frames`) -> patch rows [n * T, p*p*3] scaled to [-1, 1],
 * tokens row-major over the patch grid, pixels row-major inside a patch (done in JS: no tf transposes).
 */
export function patchRows(c: PerceptionConfig, frames: Uint8Array, start: number, n: number): Float32Array {
  const S = c.size;
  const p = c.patch;
  const g = S / p;
  const out = new Float32Array(n * S * S * 3);
  let o = 0;
  for (let f = start; f < start + n; f++) {
    const base = f * S * S * 3;
    for (let ty = 0; ty < g; ty++) {
      for (let tx = 0; tx < g; tx++) {
        for (let py = 0; py < p; py++) {
          let i = base + ((ty * p + py) * S + tx * p) * 3;
          for (let k = 0; k < p * 3; k++) out[o++] = frames[i++] / 127.5 - 1;
        }
      }
    }
  }
  return out;
}

/** A hand crop to cut: frame index, top-left corner in pixels (may lie partly outside the frame) and side (0 left, mirrored). */
export interface HandCrop {
  frame: number;
  x0: number;
  y0: number;
  side: 0 | 1;
}

/** The crop of side `handCrop` centred (to the nearest pixel) on (cx, cy) in frame `frame`. */
export function handCropAt(c: PerceptionConfig, frame: number, cx: number, cy: number, side: 0 | 1): HandCrop {
  const half = c.handCrop / 2;
  return { frame, x0: Math.round(cx - half), y0: Math.round(cy - half), side };
}

/** A frame x coordinate in crop pixels (mirrored for a left-hand crop). */
export function toCropX(c: PerceptionConfig, cr: HandCrop, x: number): number {
  return cr.side === 0 ? cr.x0 + c.handCrop - x : x - cr.x0;
}

/** A crop x coordinate back in frame pixels (the inverse of `toCropX`). */
export function fromCropX(c: PerceptionConfig, cr: HandCrop, u: number): number {
  return cr.side === 0 ? cr.x0 + c.handCrop - u : cr.x0 + u;
}

/**
 * Patch rows [m * Th, q*q*3] of `handCrop`-pixel crops (pixels outside the frame read as black, i.e. -1); a
 * left-hand crop (side 0) is mirrored left-right, so crop column u shows frame column x0 + C - 1 - u.
 */
export function handCropRows(c: PerceptionConfig, frames: Uint8Array, crops: readonly HandCrop[]): Float32Array {
  const S = c.size;
  const C = c.handCrop;
  const q = c.handPatch;
  const g = C / q;
  const out = new Float32Array(crops.length * C * C * 3).fill(-1);
  let o = 0;
  for (const cr of crops) {
    const base = cr.frame * S * S * 3;
    for (let ty = 0; ty < g; ty++) {
      for (let tx = 0; tx < g; tx++) {
        for (let py = 0; py < q; py++) {
          const y = cr.y0 + ty * q + py;
          for (let px = 0; px < q; px++) {
            const u = tx * q + px;
            const x = cr.side === 0 ? cr.x0 + C - 1 - u : cr.x0 + u;
            if (y >= 0 && y < S && x >= 0 && x < S) {
              const i = base + (y * S + x) * 3;
              out[o] = frames[i] / 127.5 - 1;
              out[o + 1] = frames[i + 1] / 127.5 - 1;
              out[o + 2] = frames[i + 2] / 127.5 - 1;
            }
            o += 3;
          }
        }
      }
    }
  }
  return out;
}

/** What one trunk and its head compute for n inputs. Call inside tf.tidy or dispose every tensor. */
export interface PerceptionOutput {
  /** [n, K] keypoint coordinates in pixels of the input (frame, or mirrored crop). */
  x: tf.Tensor2D;
  y: tf.Tensor2D;
  /** [n, K] visibility logits. */
  visLogit: tf.Tensor2D;
  /** [n, K, T] heatmap logits over tokens. */
  logits: tf.Tensor3D;
  /** [n, D] mean over tokens of the final token features. */
  features: tf.Tensor2D;
}

function layerNorm(x: tf.Tensor, eps = 1e-6): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps)));
}

/** GELU, sigmoid form x * sigmoid(1.702 x) (tanh and erf are slow on wasm). */
function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(tf.mul(x, 1.702)));
}

/** Two-layer GELU MLP by parameter prefix on the last axis of x [R, I]. */
function mlp(params: PerceptionParams, p: string, x: tf.Tensor): tf.Tensor {
  return linear(gelu(linear(x, params[`${p}.fc1.w`], params[`${p}.fc1.b`])), params[`${p}.fc2.w`], params[`${p}.fc2.b`]);
}

/** Token-mixing MLP: x [N*T, D] -> [N*T, D], the MLP applied along the token axis (one 2-D product per layer). */
function tokenMixing(params: PerceptionParams, p: string, x: tf.Tensor, N: number, T: number, D: number): tf.Tensor {
  const xt = tf.reshape(tf.transpose(tf.reshape(x, [N, T, D]), [0, 2, 1]), [N * D, T]);
  return tf.reshape(tf.transpose(tf.reshape(mlp(params, p, xt), [N, D, T]), [0, 2, 1]), [N * T, D]);
}

/** Token centres in pixels, each [1, 1, T] (row-major grid), cached per grid. */
const centreCache = new Map<string, { cx: tf.Tensor; cy: tf.Tensor }>();
function centres(grid: number, patch: number): { cx: tf.Tensor; cy: tf.Tensor } {
  const key = `${grid}/${patch}`;
  let t = centreCache.get(key);
  if (!t || t.cx.isDisposed || t.cy.isDisposed) {
    const T = grid * grid;
    const cx = new Float32Array(T);
    const cy = new Float32Array(T);
    for (let i = 0; i < T; i++) {
      cx[i] = ((i % grid) + 0.5) * patch;
      cy[i] = (Math.floor(i / grid) + 0.5) * patch;
    }
    t = { cx: tf.keep(tf.tensor3d(cx, [1, 1, T])), cy: tf.keep(tf.tensor3d(cy, [1, 1, T])) };
    centreCache.set(key, t);
  }
  return t;
}

/** One trunk and its keypoint head on patch rows [N*T, p*p*3]; `sides` [N, 2] (one-hot) selects a side embedding added to every token. */
function runTrunk(t: Trunk, params: PerceptionParams, rows: tf.Tensor2D, sides?: Float32Array): PerceptionOutput {
  const { prefix: p, tokens: T, dim: D, keypoints: K } = t;
  const P = t.patch * t.patch * 3;
  if (rows.rank !== 2 || rows.shape[1] !== P || rows.shape[0] % T) throw new Error(`perception ${p} input must be patch rows [N*${T}, ${P}], got ${JSON.stringify(rows.shape)}`);
  const N = rows.shape[0] / T;
  return tf.tidy(() => {
    let h = tf.add(tf.reshape(linear(rows, params[`${p}.embed.w`], params[`${p}.embed.b`]), [N, T, D]), params[`${p}.pos`]); // [N, T, D]
    if (sides) h = tf.add(h, tf.reshape(linear(tf.tensor2d(sides, [N, 2]), params['hand.side']), [N, 1, D]));
    h = tf.reshape(h, [N * T, D]);
    for (let i = 0; i < t.depth; i++) {
      const b = `${p}.blocks.${i}`;
      h = tf.add(h, tokenMixing(params, `${b}.tok`, layerNorm(h), N, T, D));
      h = tf.add(h, mlp(params, `${b}.mlp`, layerNorm(h)));
    }
    const z = layerNorm(h); // [N*T, D]
    const features = tf.mean(tf.reshape(z, [N, T, D]), 1) as tf.Tensor2D; // [N, D]
    // Each head part: [N*T, K] -> [N, K, T].
    const part = (n: (typeof HEAD_PARTS)[number]) => tf.transpose(tf.reshape(linear(z, params[`${p}.head.${n}.w`], params[`${p}.head.${n}.b`]), [N, T, K]), [0, 2, 1]);
    const logits = part('logit') as tf.Tensor3D;
    const prob = tf.softmax(logits); // [N, K, T]
    const { cx, cy } = centres(t.grid, t.patch);
    const x = tf.sum(tf.mul(prob, tf.add(cx, tf.mul(part('dx'), t.patch))), 2) as tf.Tensor2D;
    const y = tf.sum(tf.mul(prob, tf.add(cy, tf.mul(part('dy'), t.patch))), 2) as tf.Tensor2D;
    const visLogit = tf.sum(tf.mul(prob, part('vis')), 2) as tf.Tensor2D;
    return { x, y, visLogit, logits, features };
  });
}

/** The global network on frame patch rows [N*T, p*p*3] (`patchRows`): body keypoints and hand centres [N, 20] in frame pixels, features [N, dim]. */
export function globalForward(c: PerceptionConfig, params: PerceptionParams, rows: tf.Tensor2D): PerceptionOutput {
  return runTrunk(trunks(c)[0], params, rows);
}

/**
 * The hand network on crop patch rows [M*Th, q*q*3] (`handCropRows`) with each crop's side [M] (0 left, 1 right):
 * 21 keypoints in the (mirrored, for left hands) crop's pixels, features [M, handDim].
 */
export function handForward(c: PerceptionConfig, params: PerceptionParams, rows: tf.Tensor2D, sides: readonly (0 | 1)[]): PerceptionOutput {
  if (rows.shape[0] !== sides.length * handTokens(c)) throw new Error(`handForward: ${sides.length} sides for ${rows.shape[0] / handTokens(c)} crops`);
  const oneHot = new Float32Array(sides.length * 2);
  sides.forEach((s, i) => (oneHot[2 * i + s] = 1));
  return runTrunk(trunks(c)[1], params, rows, oneHot);
}
