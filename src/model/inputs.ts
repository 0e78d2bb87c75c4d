/**
 * Model inputs from world clips. Pixels are scaled to [-1, 1]. A clip of F generated frames becomes a video of
 * F + 1 frames: frame 0 is the reference-image slot (as in VACE), frames 1..F are the generated frames.
 * Conditioning per frame, two layouts:
 * - 'dit' (6 channels, the DiT's): frame 0 = [reference image, reference pose map]; frame f >= 1 =
 *   [zeros, pose map of frame f].
 * - 'ref-every-frame' (9 channels, the U-Net's): every frame f = [reference image, pose map of f, reference
 *   pose map] (frame 0's pose map is the reference pose), so each generated frame sees the reference image.
 */
import type { DefectModeName } from '../world/defects';
import * as tf from '@tensorflow/tfjs';
import { rng } from '../core/seeds';

/** The parts of a clip the model reads (the world's Clip has these fields). */
export interface ClipPixels {
  ref: Uint8Array; // [S, S, 3]
  refPose: Uint8Array; // [S, S, 3]
  frames: Uint8Array; // [F, S, S, 3] ground truth (only needed for x0)
  poses: Uint8Array; // [F, S, S, 3]
  /** Per-hand pixel coverage 0..255 [F, S, S, 2] (only needed for a hand-weighted loss, PretrainConfig.handWeight). */
  handMasks?: Uint8Array;
  /** A pretraining clip's hand defect (world/defects.ts), which the mode noise is coupled to (model/mode.ts). */
  defective?: boolean;
  /** Hand boxes x0, y0, x1, y1 [F, 2, 4] (zeros: not visible), where a noise-coupled pretraining reads and sets the noise (model/coupling.ts). */
  handBoxes?: Float32Array;
  /** Per (frame, hand) [F, 2] the defect mode active there (world/defects.ts) or null, which the noise coupling ties to the noise. */
  defectModes?: (DefectModeName | null)[];
}

/** Pixel value v in 0..255 -> [-1, 1]. */
export function toUnit(v: number): number {
  return v / 127.5 - 1;
}

/** [-1, 1] -> 0..255 (rounded, clamped). */
export function toByte(x: number): number {
  const v = Math.round((x + 1) * 127.5);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

/** Frames `start..start+n-1` of a clip (reference and reference pose kept): a shorter clip of the same video. */
export function frameWindow(clip: ClipPixels, start: number, n: number): ClipPixels {
  const px = clip.ref.length;
  const F = clip.poses.length / px;
  if (!(Number.isInteger(start) && Number.isInteger(n) && n >= 1 && start >= 0 && start + n <= F)) {
    throw new Error(`frameWindow: frames ${start}..${start + n - 1} are not inside a clip of ${F} frames`);
  }
  return {
    ref: clip.ref,
    refPose: clip.refPose,
    frames: clip.frames.subarray(start * px, (start + n) * px),
    poses: clip.poses.subarray(start * px, (start + n) * px),
    ...(clip.handMasks ? { handMasks: clip.handMasks.subarray(((start * px) / 3) * 2, (((start + n) * px) / 3) * 2) } : {}),
    ...(clip.defective !== undefined ? { defective: clip.defective } : {}),
    ...(clip.handBoxes ? { handBoxes: clip.handBoxes.subarray(start * 8, (start + n) * 8) } : {}),
    ...(clip.defectModes ? { defectModes: clip.defectModes.slice(start * 2, (start + n) * 2) } : {}),
  };
}

/** First frame of an n-frame window of an F-frame clip: uniform over the valid starts, from stream (seed, label, index). */
export function windowStart(seed: number, label: string, index: number, F: number, n: number): number {
  if (!(n >= 1 && n <= F)) throw new Error(`windowStart: a window of ${n} frames does not fit a clip of ${F}`);
  return Math.floor(rng(seed, label, index).uniform() * (F - n + 1));
}

/** The union of both hands' coverage (the larger of the two) in [0, 1], [F, S, S] from per-hand masks [F, S, S, 2] (0..255). */
export function handCoverage(handMasks: Uint8Array): Float32Array {
  const out = new Float32Array(handMasks.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Math.max(handMasks[2 * i], handMasks[2 * i + 1]) / 255;
  return out;
}

/**
 * Hand masks of a batch on the generated frames, [B, F, S, S, 1] in [0, 1] (`handCoverage` of each clip), for the
 * hand weight of flow/losses (frame 0, the reference slot, is never weighted).
 */
export function handMaskBatch(clips: ClipPixels[], size: number): tf.Tensor {
  const px = size * size;
  const F = clips[0].poses.length / (px * 3);
  const out = new Float32Array(clips.length * F * px);
  clips.forEach((clip, b) => {
    const m = clip.handMasks;
    if (!m || m.length !== F * px * 2) throw new Error(`handMaskBatch: clip ${b} has no hand masks of ${F} x ${size} x ${size} x 2`);
    out.set(handCoverage(m), b * F * px);
  });
  return tf.tensor(out, [clips.length, F, size, size, 1]);
}

/** Float video [-1, 1] -> uint8. */
export function videoToBytes(x: Float32Array): Uint8Array {
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = toByte(x[i]);
  return out;
}

/** Clean video x0 of one clip: [F+1, S, S, 3] in [-1, 1] (reference, then ground-truth frames). */
export function cleanVideo(clip: Pick<ClipPixels, 'ref' | 'frames'>, out?: Float32Array, offset = 0): Float32Array {
  const n = clip.ref.length + clip.frames.length;
  const dst = out ?? new Float32Array(n);
  for (let i = 0; i < clip.ref.length; i++) dst[offset + i] = toUnit(clip.ref[i]);
  const o = offset + clip.ref.length;
  for (let i = 0; i < clip.frames.length; i++) dst[o + i] = toUnit(clip.frames[i]);
  return dst;
}

/** Conditioning layouts (see the module docstring). */
export type CondLayout = 'dit' | 'ref-every-frame';

/** Channels per frame of a conditioning layout. */
export function condChannelsOf(layout: CondLayout): number {
  return layout === 'dit' ? 6 : 9;
}

/** Conditioning of one clip: [F+1, S, S, 6 or 9] in [-1, 1] (see the module docstring). */
export function conditioning(clip: Pick<ClipPixels, 'ref' | 'refPose' | 'poses'>, out?: Float32Array, offset = 0, layout: CondLayout = 'dit'): Float32Array {
  if (layout === 'ref-every-frame') return refEveryFrame(clip, out, offset);
  const px = clip.ref.length / 3;
  const F = clip.poses.length / (px * 3);
  const dst = out ?? new Float32Array((F + 1) * px * 6);
  for (let p = 0; p < px; p++) {
    const o = offset + p * 6;
    for (let c = 0; c < 3; c++) {
      dst[o + c] = toUnit(clip.ref[p * 3 + c]);
      dst[o + 3 + c] = toUnit(clip.refPose[p * 3 + c]);
    }
  }
  for (let f = 0; f < F; f++) {
    for (let p = 0; p < px; p++) {
      const o = offset + ((f + 1) * px + p) * 6;
      for (let c = 0; c < 3; c++) {
        dst[o + c] = 0;
        dst[o + 3 + c] = toUnit(clip.poses[(f * px + p) * 3 + c]);
      }
    }
  }
  return dst;
}

/** Layout 'ref-every-frame' of one clip: [F+1, S, S, 9]. */
function refEveryFrame(clip: Pick<ClipPixels, 'ref' | 'refPose' | 'poses'>, out?: Float32Array, offset = 0): Float32Array {
  const px = clip.ref.length / 3;
  const F = clip.poses.length / (px * 3);
  const dst = out ?? new Float32Array((F + 1) * px * 9);
  for (let f = 0; f <= F; f++) {
    const pose = f === 0 ? clip.refPose : clip.poses;
    const po = f === 0 ? 0 : (f - 1) * px * 3;
    for (let p = 0; p < px; p++) {
      const o = offset + (f * px + p) * 9;
      for (let c = 0; c < 3; c++) {
        dst[o + c] = toUnit(clip.ref[p * 3 + c]);
        dst[o + 3 + c] = toUnit(pose[po + p * 3 + c]);
        dst[o + 6 + c] = toUnit(clip.refPose[p * 3 + c]);
      }
    }
  }
  return dst;
}

/** Stack clips into tensors: x0 [B, F+1, S, S, 3] (when frames are given) and cond [B, F+1, S, S, 6 or 9]. */
export function batchInputs(clips: ClipPixels[], size: number, layout: CondLayout = 'dit'): { x0: tf.Tensor; cond: tf.Tensor } {
  if (clips.length === 0) throw new Error('batchInputs: no clips');
  const px = size * size;
  const F = clips[0].poses.length / (px * 3);
  if (!Number.isInteger(F) || clips[0].ref.length !== px * 3) throw new Error(`batchInputs: clip arrays do not fit size ${size}`);
  const B = clips.length;
  const x = new Float32Array(B * (F + 1) * px * 3);
  const cc = condChannelsOf(layout);
  const c = new Float32Array(B * (F + 1) * px * cc);
  clips.forEach((clip, b) => {
    cleanVideo(clip, x, b * (F + 1) * px * 3);
    conditioning(clip, c, b * (F + 1) * px * cc, layout);
  });
  return { x0: tf.tensor(x, [B, F + 1, size, size, 3]), cond: tf.tensor(c, [B, F + 1, size, size, cc]) };
}
