/**
 * Drift that SSIM against the truth cannot see (issue 31): the variety among a model's samples of one input, and how
 * close its samples come to the clips it was trained on.
 *
 * Videos are uint8 `[F, S, S, 3]`; a distance is the root mean square difference of pixel values in [0, 1] over the
 * pixels a mask keeps (1: every pixel). SSIM rewards the conditional mean, so a model whose samples of an input all
 * collapse onto one video can score better while its diversity falls; these measures show that collapse.
 * - `videoDistance`: the RMS distance of two videos over a pixel mask `[F, S, S]` (or all pixels);
 * - `inputDiversity`: the mean over the K(K-1)/2 pairs of one input's K samples;
 * - `nearestDistance`: each sample's distance to its nearest reference video (memorisation: small when a model
 *   reproduces its positives).
 */
import { checkInt } from './check';

/** RMS difference in [0, 1] units of two videos of n values each, over the pixels `mask` keeps (`[F, S, S]`, > 0 kept). */
export function videoDistance(a: ArrayLike<number>, b: ArrayLike<number>, mask?: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`videoDistance: videos of ${a.length} and ${b.length} values`);
  if (a.length % 3 !== 0 || a.length === 0) throw new Error(`videoDistance: ${a.length} values is not a non-empty RGB video`);
  if (mask && mask.length * 3 !== a.length) throw new Error(`videoDistance: a mask of ${mask.length} pixels for a video of ${a.length / 3}`);
  let sum = 0;
  let n = 0;
  for (let p = 0; p < a.length / 3; p++) {
    if (mask && !(mask[p] > 0)) continue;
    for (let c = 0; c < 3; c++) {
      const d = (a[3 * p + c] - b[3 * p + c]) / 255;
      sum += d * d;
    }
    n += 3;
  }
  if (!n) throw new Error('videoDistance: the mask keeps no pixel');
  return Math.sqrt(sum / n);
}

/** One video (index i) of n videos stored back to back in `videos`. */
function videoOf(videos: Uint8Array, i: number, size: number): Uint8Array {
  return videos.subarray(i * size, (i + 1) * size);
}

/**
 * Mean pairwise distance among the K samples `videos[k]` (uint8, K videos of `videoSize` values back to back) of one
 * input, over `mask`'s pixels.
 */
export function inputDiversity(videos: Uint8Array, k: number, mask?: ArrayLike<number>): number {
  checkInt('k', k, 2);
  if (videos.length % k !== 0) throw new Error(`inputDiversity: ${videos.length} values is not ${k} videos`);
  const size = videos.length / k;
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      sum += videoDistance(videoOf(videos, i, size), videoOf(videos, j, size), mask);
      pairs++;
    }
  }
  return sum / pairs;
}

/** Each sample's distance to its nearest reference video (both uint8 videos of the same size, back to back). */
export function nearestDistance(samples: Uint8Array, references: Uint8Array, videoSize: number): number[] {
  checkInt('videoSize', videoSize, 3);
  if (samples.length % videoSize || references.length % videoSize) throw new Error(`nearestDistance: ${samples.length} and ${references.length} values are not videos of ${videoSize}`);
  const nr = references.length / videoSize;
  if (!nr) throw new Error('nearestDistance: no reference video');
  const out: number[] = [];
  for (let i = 0; i < samples.length / videoSize; i++) {
    const s = videoOf(samples, i, videoSize);
    let best = Infinity;
    for (let r = 0; r < nr; r++) best = Math.min(best, videoDistance(s, videoOf(references, r, videoSize)));
    out.push(best);
  }
  return out;
}

/** A mask `[F, S, S]` of the pixels inside any visible hand box (boxes `[F, 2, 4]` as x0, y0, x1, y1; flags `[F, 2]`). */
export function handBoxMask(boxes: ArrayLike<number>, visible: ArrayLike<number | boolean>, frames: number, size: number): Uint8Array {
  checkInt('frames', frames, 1);
  checkInt('size', size, 1);
  if (boxes.length !== frames * 8 || visible.length !== frames * 2) throw new Error(`handBoxMask: boxes of ${boxes.length} and flags of ${visible.length} values for ${frames} frames`);
  const mask = new Uint8Array(frames * size * size);
  for (let f = 0; f < frames; f++) {
    for (let h = 0; h < 2; h++) {
      if (!visible[f * 2 + h]) continue;
      const o = (f * 2 + h) * 4;
      const [x0, y0, x1, y1] = [0, 1, 2, 3].map((i) => Math.max(0, Math.min(size, Math.round(boxes[o + i]))));
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) mask[(f * size + y) * size + x] = 1;
    }
  }
  return mask;
}
