/**
 * Running the perception network: load a checkpoint, perceive frames (keypoints and features, batched, no
 * tensors left behind), and clip features for FD-clip.
 *
 * Features: FD-frame uses per-frame features [n, D], D = dim + 2 * handDim (`featureDim`): the mean over tokens of
 * the global network's final layer-normalised token features, then the same for the left- and the right-hand crop
 * (so the distance sees hands, which matter most here, not only the whole frame). FD-clip uses per-clip features
 * [clips, 2D]: the mean of the frame features over the clip's frames, concatenated with the mean absolute
 * frame-to-frame difference of the frame features (the motion part, as FVD's I3D features see motion; zeros for
 * one-frame clips).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { variableFrom } from '../gpu';
import { TensorDict, readCheckpointMeta, readTensorFile } from '../train/checkpoint';
import { DataError } from '../core/errors';
import { BODY_KEYPOINTS, HAND_KEYPOINTS, KEYPOINT_DIMS, NUM_KEYPOINTS, handStart } from '../world/layout';
import { PerceptionCheckpointHead, PerceptionCheckpointMeta, checkPerceptionHead } from './checkpoint';
import { PerceptionConfig, featureDim, handTokens, perceptionTokens, validatePerceptionConfig } from './config';
import { GLOBAL_KEYPOINTS, HandCrop, PerceptionParams, centreIndex, fromCropX, globalForward, handCropAt, handCropRows, handForward, patchRows, perceptionParamShapes } from './net';

/** A perception network ready to run: its config and weights (dispose with `disposePerception`). */
export interface Perception {
  config: PerceptionConfig;
  params: PerceptionParams;
  /** The checkpoint it came from (null when built in memory). */
  meta: PerceptionCheckpointMeta | null;
}

/** What `perceive` returns for n frames. */
export interface Perceived {
  /** [n, 60, 3] keypoints: x, y in pixels, visibility probability in [0, 1]. */
  keypoints: Float32Array;
  /** [n, D] per-frame features (FD-frame), D = `dim` = featureDim(config). */
  features: Float32Array;
  dim: number;
}

/** A Perception from weights in memory (fresh variables; names and shapes checked against the config). */
export function perceptionFromWeights(config: PerceptionConfig, weights: TensorDict, meta: PerceptionCheckpointMeta | null = null, where = 'perception weights'): Perception {
  validatePerceptionConfig(config);
  const want = perceptionParamShapes(config);
  const missing = Object.keys(want).filter((n) => !weights[n]);
  const extra = Object.keys(weights).filter((n) => !want[n]);
  if (missing.length || extra.length) throw new DataError(`${where}: tensors do not match the config (missing: ${missing.join(', ') || 'none'}; unexpected: ${extra.join(', ') || 'none'})`);
  for (const [n, s] of Object.entries(want)) {
    if (weights[n].shape.join() !== s.join()) throw new DataError(`${where}: '${n}' has shape [${weights[n].shape}], the config expects [${s}]`);
  }
  const params: PerceptionParams = {};
  for (const n of Object.keys(want).sort()) params[n] = variableFrom(tf.tensor(weights[n].data, weights[n].shape));
  return { config, params, meta };
}

/**
 * Load a perception checkpoint (hashes verified). `dir` is the checkpoint folder, or a training run's folder
 * holding it as `perception/`.
 */
export function loadPerception(dir: string): Perception {
  const ckpt = !fs.existsSync(path.join(dir, 'checkpoint.json')) && fs.existsSync(path.join(dir, 'perception', 'checkpoint.json')) ? path.join(dir, 'perception') : dir;
  const meta = readCheckpointMeta<PerceptionCheckpointHead>(ckpt, (m) => {
    if (m.kind !== 'perception') throw new DataError(`${ckpt} is a '${m.kind}' checkpoint, not a perception network`);
    checkPerceptionHead(m);
  });
  return perceptionFromWeights(meta.perception, readTensorFile(ckpt, meta, 'weights'), meta, ckpt);
}

/** Free a Perception's weights. */
export function disposePerception(p: Perception): void {
  tf.dispose(Object.values(p.params));
}

/** Frames per forward pass in `perceive` (bounds memory; larger batches gain little on wasm). */
export const PERCEIVE_BATCH = 128;

/** Read a tensor's values and dispose it. */
function take(t: tf.Tensor): Float32Array {
  const v = t.dataSync() as Float32Array;
  t.dispose();
  return v;
}

/** A further hand pass re-runs a crop only when re-centring moves it by at least this many pixels (in x or y). */
export const RECENTRE_MIN_PX = 2;

/** The hand network on crops: keypoints mapped back to frame pixels (x, y [M, 21]), visibility [M, 21], features [M, handDim]. */
function handPass(p: Perception, frames: Uint8Array, crops: readonly HandCrop[]): { x: Float32Array; y: Float32Array; v: Float32Array; f: Float32Array } {
  const c = p.config;
  const rows = handCropRows(c, frames, crops);
  const h = tf.tidy(() => {
    const out = handForward(c, p.params, tf.tensor2d(rows, [crops.length * handTokens(c), c.handPatch * c.handPatch * 3]), crops.map((cr) => cr.side));
    return { x: out.x, y: out.y, v: tf.sigmoid(out.visLogit), f: out.features };
  });
  const [x, y, v, f] = [take(h.x), take(h.y), take(h.v), take(h.f)];
  crops.forEach((cr, j) => {
    for (let k = j * HAND_KEYPOINTS; k < (j + 1) * HAND_KEYPOINTS; k++) {
      x[k] = fromCropX(c, cr, x[k]);
      y[k] = cr.y0 + y[k];
    }
  });
  return { x, y, v, f };
}

/**
 * Frames start..start+m: the global pass (body keypoints, hand centres); then up to `handPasses` hand passes, the
 * first on crops around the global hand centres, each next one on the crops that re-centring on the previous
 * pass's 21 keypoints moves by RECENTRE_MIN_PX or more (measured on the paper world: the same accuracy as re-running
 * every crop, for 43% of the crops). Writes keypoints [m, 60, 3] and features [m, F] at `start`.
 */
function perceiveChunk(p: Perception, frames: Uint8Array, start: number, m: number, keypoints: Float32Array, features: Float32Array): void {
  const c = p.config;
  const K = NUM_KEYPOINTS;
  const KG = GLOBAL_KEYPOINTS;
  const F = featureDim(c);
  const rows = patchRows(c, frames, start, m);
  const g = tf.tidy(() => {
    const out = globalForward(c, p.params, tf.tensor2d(rows, [m * perceptionTokens(c), c.patch * c.patch * 3]));
    return { x: out.x, y: out.y, v: tf.sigmoid(out.visLogit), f: out.features };
  });
  const [gx, gy, gv, gf] = [take(g.x), take(g.y), take(g.v), take(g.f)];
  let crops: HandCrop[] = [];
  for (let i = 0; i < m; i++) for (const side of [0, 1] as const) crops.push(handCropAt(c, start + i, gx[i * KG + centreIndex(side)], gy[i * KG + centreIndex(side)], side));
  const h = handPass(p, frames, crops);
  for (let pass = 1; pass < c.handPasses; pass++) {
    // Re-centre each crop on its keypoints' mean; only crops that move by RECENTRE_MIN_PX or more are run again.
    const moved: number[] = [];
    crops = crops.map((cr, j) => {
      let cx = 0;
      let cy = 0;
      for (let k = j * HAND_KEYPOINTS; k < (j + 1) * HAND_KEYPOINTS; k++) {
        cx += h.x[k] / HAND_KEYPOINTS;
        cy += h.y[k] / HAND_KEYPOINTS;
      }
      const next = handCropAt(c, cr.frame, cx, cy, cr.side);
      if (Math.max(Math.abs(next.x0 - cr.x0), Math.abs(next.y0 - cr.y0)) < RECENTRE_MIN_PX) return cr;
      moved.push(j);
      return next;
    });
    if (moved.length === 0) break;
    const again = handPass(p, frames, moved.map((j) => crops[j]));
    moved.forEach((j, i) => {
      const [a, b] = [j * HAND_KEYPOINTS, i * HAND_KEYPOINTS];
      h.x.set(again.x.subarray(b, b + HAND_KEYPOINTS), a);
      h.y.set(again.y.subarray(b, b + HAND_KEYPOINTS), a);
      h.v.set(again.v.subarray(b, b + HAND_KEYPOINTS), a);
      h.f.set(again.f.subarray(i * c.handDim, (i + 1) * c.handDim), j * c.handDim);
    });
  }
  for (let i = 0; i < m; i++) {
    const o = (start + i) * K * KEYPOINT_DIMS;
    for (let k = 0; k < BODY_KEYPOINTS; k++) {
      keypoints[o + k * KEYPOINT_DIMS] = gx[i * KG + k];
      keypoints[o + k * KEYPOINT_DIMS + 1] = gy[i * KG + k];
      keypoints[o + k * KEYPOINT_DIMS + 2] = gv[i * KG + k];
    }
    for (const side of [0, 1] as const) {
      const j = 2 * i + side;
      for (let k = 0; k < HAND_KEYPOINTS; k++) {
        const q = o + (handStart(side) + k) * KEYPOINT_DIMS;
        keypoints[q] = h.x[j * HAND_KEYPOINTS + k];
        keypoints[q + 1] = h.y[j * HAND_KEYPOINTS + k];
        keypoints[q + 2] = h.v[j * HAND_KEYPOINTS + k];
      }
    }
    features.set(gf.subarray(i * c.dim, (i + 1) * c.dim), (start + i) * F);
    features.set(h.f.subarray(2 * i * c.handDim, (2 * i + 2) * c.handDim), (start + i) * F + c.dim);
  }
}

/**
 * Keypoints [n, 60, 3] and features [n, D] of n uint8 frames [n, S, S, 3] (S = config.size): body keypoints from
 * the global network, hand keypoints from the hand network (see `perceiveChunk`); batched, every tensor disposed.
 */
export function perceive(p: Perception, frames: Uint8Array, n: number, opts: { batch?: number } = {}): Perceived {
  const c = p.config;
  const S = c.size;
  if (!(frames instanceof Uint8Array)) throw new Error('perceive: frames must be a Uint8Array [n, S, S, 3]');
  if (!Number.isInteger(n) || n < 1) throw new Error(`perceive: n must be a positive integer, got ${n}`);
  if (frames.length !== n * S * S * 3) throw new Error(`perceive: frames has ${frames.length} values, expected [${n}, ${S}, ${S}, 3] = ${n * S * S * 3}`);
  const B = opts.batch ?? PERCEIVE_BATCH;
  if (!Number.isInteger(B) || B < 1) throw new Error(`perceive: batch must be a positive integer, got ${B}`);
  const dim = featureDim(c);
  const keypoints = new Float32Array(n * NUM_KEYPOINTS * KEYPOINT_DIMS);
  const features = new Float32Array(n * dim);
  for (let s = 0; s < n; s += B) perceiveChunk(p, frames, s, Math.min(B, n - s), keypoints, features);
  return { keypoints, features, dim };
}

/**
 * Clip features [clips, 2D] from frame features [clips * framesPerClip, D] (clip-major): per clip, the mean of
 * its frame features, then the mean absolute difference between consecutive frames' features.
 */
export function clipFeatures(frameFeatures: Float32Array, clips: number, framesPerClip: number): Float32Array {
  if (!(frameFeatures instanceof Float32Array)) throw new Error('clipFeatures: frameFeatures must be a Float32Array [clips * framesPerClip, D]');
  if (!Number.isInteger(clips) || clips < 1) throw new Error(`clipFeatures: clips must be a positive integer, got ${clips}`);
  if (!Number.isInteger(framesPerClip) || framesPerClip < 1) throw new Error(`clipFeatures: framesPerClip must be a positive integer, got ${framesPerClip}`);
  const rows = clips * framesPerClip;
  const D = frameFeatures.length / rows;
  if (!Number.isInteger(D) || D < 1) throw new Error(`clipFeatures: ${frameFeatures.length} values do not split into ${clips} x ${framesPerClip} frames of equal dimension`);
  const out = new Float32Array(clips * 2 * D);
  for (let c = 0; c < clips; c++) {
    const o = c * 2 * D;
    for (let f = 0; f < framesPerClip; f++) {
      const r = (c * framesPerClip + f) * D;
      for (let j = 0; j < D; j++) {
        out[o + j] += frameFeatures[r + j] / framesPerClip;
        if (f > 0) out[o + D + j] += Math.abs(frameFeatures[r + j] - frameFeatures[r - D + j]) / (framesPerClip - 1);
      }
    }
  }
  return out;
}
