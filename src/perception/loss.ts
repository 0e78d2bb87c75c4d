/**
 * The perception network's training loss on one batch of ground-truth frames:
 *
 *     loss = L(global network, the 18 body keypoints and the 2 hand centres of each frame)
 *          + handWeight * L(hand network, the 21 keypoints of each visible hand's crop)
 *     L = coord + heatmapWeight * heatmap + visibilityWeight * visibility
 *     coord      = mean over visible keypoints of huber(x - gx) + huber(y - gy)   (pixels, Huber delta 1 px)
 *     heatmap    = mean over visible keypoints of the cross-entropy of the token softmax against the bilinear
 *                  weights of the four token centres around the keypoint (whose mean is the keypoint itself), which
 *                  sharpens the heatmap that the soft-argmax averages
 * A hand centre (the mean of the hand's 21 keypoints) counts as visible when the hand is.
 *     visibility = mean binary cross-entropy of the visibility logits against the visible flags
 */
import * as tf from '@tensorflow/tfjs';
import { BODY_KEYPOINTS, HAND_KEYPOINTS, KEYPOINT_DIMS, NUM_KEYPOINTS, handStart } from '../world/layout';
import { PerceptionConfig, handTokens, perceptionTokens } from './config';
import { PerceptionBatch, handCentre } from './data';
import { GLOBAL_KEYPOINTS, PerceptionOutput, PerceptionParams, centreIndex, globalForward, handCropRows, handForward, patchRows, toCropX } from './net';

/** Loss terms and mean keypoint errors (px) of the batch as tf scalars. */
export interface PerceptionLoss {
  loss: tf.Scalar;
  metrics: { global: tf.Scalar; hand: tf.Scalar; bodyErrorPx: tf.Scalar; handErrorPx: tf.Scalar };
}

/** Targets of n inputs with K keypoints each: coordinates, visibility and the heatmap target [n, K, cells]. */
interface Targets {
  n: number;
  K: number;
  gx: Float32Array;
  gy: Float32Array;
  vis: Float32Array;
  heat: Float32Array;
  count: number;
  /** Token grid side and token side in pixels. */
  grid: number;
  patch: number;
}

function emptyTargets(n: number, K: number, grid: number, patch: number): Targets {
  return { n, K, gx: new Float32Array(n * K), gy: new Float32Array(n * K), vis: new Float32Array(n * K), heat: new Float32Array(n * K * grid * grid), count: 0, grid, patch };
}

/** Set target (i, k) at (x, y) pixels when visible: coordinates, and bilinear heatmap mass on the four nearest token centres. */
function setTarget(t: Targets, i: number, k: number, x: number, y: number, visible: boolean): void {
  const j = i * t.K + k;
  if (!visible || !Number.isFinite(x) || !Number.isFinite(y)) return;
  t.gx[j] = x;
  t.gy[j] = y;
  t.vis[j] = 1;
  t.count++;
  const G = t.grid;
  const u = Math.min(G - 1, Math.max(0, x / t.patch - 0.5));
  const v = Math.min(G - 1, Math.max(0, y / t.patch - 0.5));
  const u0 = Math.floor(u);
  const v0 = Math.floor(v);
  const wu = u - u0;
  const wv = v - v0;
  const base = j * G * G;
  for (const [U, V, w] of [[u0, v0, (1 - wu) * (1 - wv)], [u0 + 1, v0, wu * (1 - wv)], [u0, v0 + 1, (1 - wu) * wv], [u0 + 1, v0 + 1, wu * wv]]) {
    if (w > 0) t.heat[base + V * G + U] += w;
  }
}

/** Huber loss with delta 1, elementwise: 0.5 d^2 for |d| <= 1, |d| - 0.5 beyond. */
function huber(d: tf.Tensor): tf.Tensor {
  const a = tf.abs(d);
  const q = tf.minimum(a, 1);
  return tf.add(tf.mul(tf.square(q), 0.5), tf.sub(a, q));
}

/** L (see the module docstring) of one head's output against its targets, and the mean pixel error of `errMask` keypoints. */
function headLoss(c: PerceptionConfig, out: PerceptionOutput, t: Targets, errMask: Float32Array): { loss: tf.Scalar; errorPx: tf.Scalar } {
  const shape: [number, number] = [t.n, t.K];
  const T = out.logits.shape[2];
  const vis = tf.tensor2d(t.vis, shape);
  const dx = tf.sub(out.x, tf.tensor2d(t.gx, shape));
  const dy = tf.sub(out.y, tf.tensor2d(t.gy, shape));
  const count = Math.max(1, t.count);
  const coord = tf.div(tf.sum(tf.mul(vis, tf.add(huber(dx), huber(dy)))), count);
  const heatmap = tf.div(tf.neg(tf.sum(tf.mul(tf.tensor3d(t.heat, [t.n, t.K, T]), tf.logSoftmax(out.logits)))), count);
  const z = out.visLogit;
  const visibility = tf.mean(tf.add(tf.sub(tf.relu(z), tf.mul(z, vis)), tf.log1p(tf.exp(tf.neg(tf.abs(z))))));
  const loss = tf.addN([coord, tf.mul(heatmap, c.heatmapWeight), tf.mul(visibility, c.visibilityWeight)]) as tf.Scalar;
  const errCount = Math.max(1, errMask.reduce((a, v) => a + v, 0));
  const errorPx = tf.div(tf.sum(tf.mul(tf.tensor2d(errMask, shape), tf.sqrt(tf.add(tf.add(tf.square(dx), tf.square(dy)), 1e-12)))), errCount) as tf.Scalar;
  return { loss, errorPx };
}

/** The loss of one batch (see the module docstring). Call inside tf.tidy or a gradient tape. */
export function perceptionLoss(c: PerceptionConfig, params: PerceptionParams, b: PerceptionBatch): PerceptionLoss {
  const K = NUM_KEYPOINTS;
  const kp = b.keypoints;
  const g = emptyTargets(b.n, GLOBAL_KEYPOINTS, c.size / c.patch, c.patch);
  const bodyMask = new Float32Array(b.n * GLOBAL_KEYPOINTS);
  for (let f = 0; f < b.n; f++) {
    for (let k = 0; k < BODY_KEYPOINTS; k++) {
      const o = (f * K + k) * KEYPOINT_DIMS;
      setTarget(g, f, k, kp[o], kp[o + 1], kp[o + 2] > 0);
      bodyMask[f * GLOBAL_KEYPOINTS + k] = g.vis[f * GLOBAL_KEYPOINTS + k];
    }
    for (const side of [0, 1] as const) {
      const [x, y] = handCentre(kp, f, side);
      setTarget(g, f, centreIndex(side), x, y, b.handVisible[2 * f + side] > 0);
    }
  }
  const m = b.crops.length;
  const h = emptyTargets(m, HAND_KEYPOINTS, c.handCrop / c.handPatch, c.handPatch);
  b.crops.forEach((cr, i) => {
    for (let k = 0; k < HAND_KEYPOINTS; k++) {
      const o = (cr.frame * K + handStart(cr.side) + k) * KEYPOINT_DIMS;
      setTarget(h, i, k, toCropX(c, cr, kp[o]), kp[o + 1] - cr.y0, kp[o + 2] > 0);
    }
  });
  return tf.tidy(() => {
    const gl = headLoss(c, globalForward(c, params, tf.tensor2d(patchRows(c, b.frames, 0, b.n), [b.n * perceptionTokens(c), c.patch * c.patch * 3])), g, bodyMask);
    if (m === 0) {
      // No visible hand: a zero-weighted term keeps every hand parameter in the gradient (the optimizer expects all).
      const zero = tf.mul(tf.addN(Object.keys(params).filter((n) => n.startsWith('hand.')).map((n) => tf.sum(params[n]))), 0) as tf.Scalar;
      return { loss: tf.add(gl.loss, zero) as tf.Scalar, metrics: { global: gl.loss, hand: tf.scalar(0), bodyErrorPx: gl.errorPx, handErrorPx: tf.scalar(0) } };
    }
    const rows = tf.tensor2d(handCropRows(c, b.frames, b.crops), [m * handTokens(c), c.handPatch * c.handPatch * 3]);
    const hl = headLoss(c, handForward(c, params, rows, b.crops.map((cr) => cr.side)), h, h.vis);
    const loss = tf.add(gl.loss, tf.mul(hl.loss, c.handWeight)) as tf.Scalar;
    return { loss, metrics: { global: gl.loss, hand: hl.loss, bodyErrorPx: gl.errorPx, handErrorPx: hl.errorPx } };
  });
}
