/**
 * Region metrics on ground-truth hand boxes (SSIM-Hand, PSNR-Hand), on the body and on the background, so
 * "bodies right, hands not" shows up as a gap between the first two. With the world's figure mask (coverage of
 * the character in each pixel): body = pixels at least half covered by the character, outside every visible hand
 * box; background = pixels the character does not touch at all, outside the hand boxes (visible in the
 * reference: a good model copies it). Without a figure mask the body is the frame minus the hand boxes and the
 * background is not measured.
 *
 * Region SSIM is the mean of the 'same'-size SSIM map (see ssim.ts: truncated, renormalised windows at the
 * border) over the region's pixels; the windows still see the pixels around the region, as in the standard
 * map. Region PSNR is 10 log10(1 / MSE) with the MSE over the region's pixels and channels. Boxes follow
 * boxes.ts: integer, half-open `[x0, y0, x1, y1]`.
 */
import { checkInt, checkPixels, pixelScale, PixelArray } from './check';
import { Box, checkBox, checkHandBoxes, handBox, handVisible, HANDS } from './boxes';
import { checkClipDims, ClipDims, ImageInput, toImagePair } from './image';
import { meanPsnr, psnrFromMse } from './psnr';
import { ssimFromMap, ssimMap64 } from './ssim';

/** A per-pixel SSIM map `[H, W]` with its shape. */
export interface SsimMap {
  map: Float32Array | Float64Array;
  height: number;
  width: number;
}

/** The 'same'-size SSIM map of two images `[H, W, C]`. */
export function ssimMapOf(a: ImageInput, b: ImageInput): SsimMap {
  const [ia, ib] = toImagePair(a, b);
  return { map: ssimMap64(ia.data, ib.data, ia.height, ia.width, ia.channels), height: ia.height, width: ia.width };
}

function isSsimMap(x: unknown): x is SsimMap {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && 'map' in x;
}

/** Mean of the SSIM map over a box: from a map, or from a pair of images `[a, b]`. */
export function regionSsim(source: SsimMap | readonly [ImageInput, ImageInput], box: Box): number {
  let m: SsimMap;
  if (isSsimMap(source)) {
    checkInt('source.height', source.height, 1);
    checkInt('source.width', source.width, 1);
    if (!(source.map instanceof Float32Array || source.map instanceof Float64Array) || source.map.length !== source.height * source.width) {
      throw new Error(`source.map must be a Float32Array or Float64Array of height * width = ${source.height * source.width} values`);
    }
    m = source;
  } else if (Array.isArray(source) && source.length === 2) {
    m = ssimMapOf(source[0], source[1]);
  } else {
    throw new Error('source must be an SSIM map { map, height, width } or a pair of images [a, b]');
  }
  const [x0, y0, x1, y1] = checkBox('box', box, m.height, m.width);
  let s = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) s += m.map[y * m.width + x];
  return s / ((x1 - x0) * (y1 - y0));
}

/** Per-pixel squared error summed over channels `[H, W]`, for one frame at the given offset (no checks). */
function sqErrorMap(a: PixelArray, b: PixelArray, offset: number, h: number, w: number, c: number, sa: number, sb: number): Float64Array {
  const out = new Float64Array(h * w);
  for (let i = 0; i < h * w; i++) {
    let s = 0;
    for (let ch = 0; ch < c; ch++) {
      const d = a[offset + i * c + ch] * sa - b[offset + i * c + ch] * sb;
      s += d * d;
    }
    out[i] = s;
  }
  return out;
}

/** PSNR (dB, peak 1) of two images over a box; Infinity when the box pixels are identical. */
export function regionPsnr(a: ImageInput, b: ImageInput, box: Box): number {
  const [ia, ib] = toImagePair(a, b);
  const [x0, y0, x1, y1] = checkBox('box', box, ia.height, ia.width);
  const sa = pixelScale(ia.data);
  const sb = pixelScale(ib.data);
  const c = ia.channels;
  let s = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const o = (y * ia.width + x) * c;
      for (let ch = 0; ch < c; ch++) {
        const d = ia.data[o + ch] * sa - ib.data[o + ch] * sb;
        s += d * d;
      }
    }
  }
  return psnrFromMse(s / ((x1 - x0) * (y1 - y0) * c));
}

/** Figure coverage (0..255) from which a pixel counts as the character's (body region). */
export const FIGURE_BODY_MIN = 128;

/**
 * Body mask `[H, W]` of one frame: 1 outside every visible hand box (boxes `[F, 2, 4]`, flags `[F, 2]`), 0 inside;
 * with `figure` (`[F, H, W]` coverage 0..255) also 0 where the character covers less than FIGURE_BODY_MIN.
 */
export function bodyMask(
  boxes: ArrayLike<number>,
  visible: ArrayLike<number | boolean>,
  frame: number,
  height: number,
  width: number,
  figure?: ArrayLike<number>,
): Uint8Array {
  checkInt('frame', frame, 0);
  checkInt('height', height, 1);
  checkInt('width', width, 1);
  if (boxes.length < (frame + 1) * HANDS * 4 || visible.length < (frame + 1) * HANDS) {
    throw new Error(`frame ${frame} is past the end of boxes or visible`);
  }
  const mask = new Uint8Array(height * width).fill(1);
  for (let hand = 0; hand < HANDS; hand++) {
    if (!handVisible(visible, frame, hand)) continue;
    const [x0, y0, x1, y1] = checkBox(`boxes[${frame}][${hand}]`, handBox(boxes, frame, hand), height, width);
    for (let y = y0; y < y1; y++) mask.fill(0, y * width + x0, y * width + x1);
  }
  if (figure) {
    checkFigure(figure, frame + 1, height, width);
    const o = frame * height * width;
    for (let i = 0; i < height * width; i++) if (figure[o + i] < FIGURE_BODY_MIN) mask[i] = 0;
  }
  return mask;
}

/** Background mask `[H, W]` of one frame: 1 where the character's coverage is 0, outside every visible hand box. */
export function backgroundMask(
  boxes: ArrayLike<number>,
  visible: ArrayLike<number | boolean>,
  figure: ArrayLike<number>,
  frame: number,
  height: number,
  width: number,
): Uint8Array {
  const mask = bodyMask(boxes, visible, frame, height, width);
  checkFigure(figure, frame + 1, height, width);
  const o = frame * height * width;
  for (let i = 0; i < height * width; i++) if (figure[o + i] !== 0) mask[i] = 0;
  return mask;
}

function checkFigure(figure: ArrayLike<number>, frames: number, height: number, width: number): void {
  if (figure.length < frames * height * width) throw new Error(`figure has ${figure.length} values, expected at least ${frames} x ${height} x ${width}`);
}

/** Metrics of one region kind over a clip: per-frame values (null where the region is absent) and clip means. */
export interface RegionSeries {
  /** Per frame. */
  ssim: (number | null)[];
  /** Per frame, dB; Infinity where identical. */
  psnr: (number | null)[];
  /** Mean over frames where present; null when absent everywhere. */
  meanSsim: number | null;
  /** Mean of capped PSNR (see psnr.ts) over frames where present; null when absent everywhere. */
  meanPsnr: number | null;
}

/** Hand metrics over a clip, per frame and hand. */
export interface HandSeries {
  /** `[frame][hand]` SSIM-Hand (left = 0, right = 1); null where the hand is not visible. */
  ssim: (number | null)[][];
  /** `[frame][hand]` PSNR-Hand in dB; null where not visible, Infinity where identical. */
  psnr: (number | null)[][];
  /** Visible (frame, hand) instances. */
  count: number;
  /** Mean SSIM-Hand over the visible (frame, hand) instances; null when none. */
  meanSsim: number | null;
  /** Mean capped PSNR-Hand over the visible (frame, hand) instances; null when none. */
  meanPsnr: number | null;
}

/** Full-frame, hand, body and background metrics of a generated clip against ground truth. */
export interface ClipHandMetrics {
  frames: number;
  /** Full-frame SSIM (valid windows, the standard) and PSNR per frame. */
  full: RegionSeries;
  hands: HandSeries;
  /** The character minus the visible hand boxes (the frame minus the hand boxes without a figure mask). */
  body: RegionSeries;
  /** Pixels the character does not touch (absent everywhere without a figure mask). */
  background: RegionSeries;
}

function meanOf(values: (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null);
  return v.length ? v.reduce((s, x) => s + x, 0) / v.length : null;
}

function meanPsnrOf(values: (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null);
  return v.length ? meanPsnr(v) : null;
}

/** Mean SSIM and PSNR of one frame over a mask's pixels (null where the mask is empty). */
function maskedSeriesPush(series: RegionSeries, mask: Uint8Array, map: ArrayLike<number>, sq: ArrayLike<number>, C: number): void {
  let s = 0;
  let e = 0;
  let n = 0;
  for (let i = 0; i < mask.length; i++) {
    if (mask[i]) {
      s += map[i];
      e += sq[i];
      n++;
    }
  }
  series.ssim.push(n ? s / n : null);
  series.psnr.push(n ? psnrFromMse(e / (n * C)) : null);
}

/**
 * Full-frame, hand, body and background metrics of a clip: `gen`, `gt` are `[F, H, W, C]` generated and true
 * frames, `boxes` `[F, 2, 4]` and `visible` `[F, 2]` the ground-truth hand boxes, `figure` `[F, H, W]` the
 * character's coverage 0..255 (optional; see the module docstring). Clip means weigh every visible (frame, hand)
 * instance equally (hands) or every frame equally (full, body, background); PSNR means cap at PSNR_CAP_DB.
 */
export function clipHandMetrics(
  gen: PixelArray,
  gt: PixelArray,
  boxes: ArrayLike<number>,
  visible: ArrayLike<number | boolean>,
  dims: ClipDims,
  figure?: ArrayLike<number>,
): ClipHandMetrics {
  checkClipDims('dims', dims);
  const { frames: F, height: H, width: W, channels: C } = dims;
  const frameLen = H * W * C;
  checkPixels('gen', gen, F * frameLen);
  checkPixels('gt', gt, F * frameLen);
  checkHandBoxes(boxes, visible, F, H, W);
  if (figure !== undefined && figure.length !== F * H * W) throw new Error(`figure has ${figure.length} values, expected ${F} x ${H} x ${W} = ${F * H * W}`);
  const sa = pixelScale(gen);
  const sb = pixelScale(gt);
  const full: RegionSeries = { ssim: [], psnr: [], meanSsim: null, meanPsnr: null };
  const body: RegionSeries = { ssim: [], psnr: [], meanSsim: null, meanPsnr: null };
  const background: RegionSeries = { ssim: [], psnr: [], meanSsim: null, meanPsnr: null };
  const hands: HandSeries = { ssim: [], psnr: [], count: 0, meanSsim: null, meanPsnr: null };
  const handSsimAll: number[] = [];
  const handPsnrAll: number[] = [];
  for (let f = 0; f < F; f++) {
    const off = f * frameLen;
    const map = ssimMap64(gen.subarray(off, off + frameLen), gt.subarray(off, off + frameLen), H, W, C);
    const sq = sqErrorMap(gen, gt, off, H, W, C, sa, sb);
    full.ssim.push(ssimFromMap(map, H, W));
    full.psnr.push(psnrFromMse(sq.reduce((s, v) => s + v, 0) / frameLen));
    const fs: (number | null)[] = [];
    const fp: (number | null)[] = [];
    for (let hand = 0; hand < HANDS; hand++) {
      if (!handVisible(visible, f, hand)) {
        fs.push(null);
        fp.push(null);
        continue;
      }
      const [x0, y0, x1, y1] = handBox(boxes, f, hand);
      let ss = 0;
      let se = 0;
      for (let y = y0; y < y1; y++) {
        for (let x = x0; x < x1; x++) {
          ss += map[y * W + x];
          se += sq[y * W + x];
        }
      }
      const area = (x1 - x0) * (y1 - y0);
      fs.push(ss / area);
      fp.push(psnrFromMse(se / (area * C)));
      handSsimAll.push(ss / area);
      handPsnrAll.push(psnrFromMse(se / (area * C)));
    }
    hands.ssim.push(fs);
    hands.psnr.push(fp);
    maskedSeriesPush(body, bodyMask(boxes, visible, f, H, W, figure), map, sq, C);
    if (figure) maskedSeriesPush(background, backgroundMask(boxes, visible, figure, f, H, W), map, sq, C);
    else {
      background.ssim.push(null);
      background.psnr.push(null);
    }
  }
  full.meanSsim = meanOf(full.ssim);
  full.meanPsnr = meanPsnrOf(full.psnr);
  body.meanSsim = meanOf(body.ssim);
  body.meanPsnr = meanPsnrOf(body.psnr);
  background.meanSsim = meanOf(background.ssim);
  background.meanPsnr = meanPsnrOf(background.psnr);
  hands.count = handSsimAll.length;
  hands.meanSsim = meanOf(handSsimAll);
  hands.meanPsnr = meanPsnrOf(handPsnrAll);
  return { frames: F, full, hands, body, background };
}
