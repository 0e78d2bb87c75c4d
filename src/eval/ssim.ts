/**
 * SSIM (Wang, Bovik, Sheikh and Simoncelli 2004): 11x11 Gaussian window with sigma 1.5, K1 = 0.01, K2 = 0.03,
 * dynamic range L = 1 (data in [0, 1]), population (biased) weighted statistics, averaged over channels.
 *
 * Border handling. The per-pixel map (`ssimMap`) has the frame's own size ('same'): at pixels within 5 of the
 * border the Gaussian window is truncated to the frame and its weights renormalised to sum to 1 (separably:
 * the truncated 2-D window is the outer product of the truncated 1-D windows). Region metrics (hand boxes of
 * 8-16 px) need a value at every pixel, which is why the map is defined everywhere. Away from the border the
 * truncated window is the full window, so there the map equals the standard one.
 *
 * Full-frame `ssim` is the standard definition: the mean of the map over the 'valid' windows only (pixels at
 * least 5 from every border: 54x54 of a 64x64 frame), as in Wang's MATLAB code and scikit-image's
 * `structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1)`.
 * We keep the standard here so that the full-frame numbers mean what SSIM means in the paper and elsewhere;
 * the 'same' extension is used only where the standard leaves nothing (small regions). Frames must then be at
 * least 11x11.
 *
 * Filtering is separable on Float64Array planes (no tfjs): about 1.4 M multiply-adds per 64x64x3 frame.
 */
import { checkInt, checkPixels, pixelScale, PixelArray } from './check';
import { ImageInput, toImagePair } from './image';

export const SSIM_WINDOW = 11;
export const SSIM_SIGMA = 1.5;
export const SSIM_K1 = 0.01;
export const SSIM_K2 = 0.03;
/** Dynamic range of the data (images in [0, 1]). */
export const SSIM_DATA_RANGE = 1;
/** Half-width of the window: full-frame SSIM averages the map over pixels at least this far from the border. */
export const SSIM_RADIUS = (SSIM_WINDOW - 1) / 2;

const C1 = (SSIM_K1 * SSIM_DATA_RANGE) ** 2;
const C2 = (SSIM_K2 * SSIM_DATA_RANGE) ** 2;

/** The normalised 1-D Gaussian window (taps at -r..r, weights exp(-k^2 / (2 sigma^2)) / sum); the 2-D window is its outer product. */
export function gaussianWindow(size = SSIM_WINDOW, sigma = SSIM_SIGMA): Float64Array {
  checkInt('size', size, 1);
  if (size % 2 !== 1) throw new Error(`size must be odd, got ${size}`);
  if (!(sigma > 0 && Number.isFinite(sigma))) throw new Error(`sigma must be a positive number, got ${sigma}`);
  const r = (size - 1) / 2;
  const g = new Float64Array(size);
  let sum = 0;
  for (let k = 0; k < size; k++) {
    g[k] = Math.exp(-((k - r) ** 2) / (2 * sigma * sigma));
    sum += g[k];
  }
  for (let k = 0; k < size; k++) g[k] /= sum;
  return g;
}

const G = gaussianWindow();
const R = SSIM_RADIUS;

/** For each position along an axis of length n: 1 / (sum of the window taps that fall inside the axis). */
function edgeNorms(n: number): Float64Array {
  const out = new Float64Array(n);
  for (let p = 0; p < n; p++) {
    let s = 0;
    for (let k = Math.max(0, R - p); k <= Math.min(2 * R, R + n - 1 - p); k++) s += G[k];
    out[p] = 1 / s;
  }
  return out;
}

/**
 * The 'same'-size SSIM map averaged over channels, in float64; no argument checks (callers check).
 * One horizontal pass filters x, y, x^2, y^2 and xy together; the vertical pass finishes the five local
 * statistics of a pixel and turns them into its SSIM at once.
 */
export function ssimMap64(a: PixelArray, b: PixelArray, h: number, w: number, c: number): Float64Array {
  const n = h * w;
  const sa = pixelScale(a);
  const sb = pixelScale(b);
  const normH = edgeNorms(h);
  const normW = edgeNorms(w);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const hx = new Float64Array(n);
  const hy = new Float64Array(n);
  const hxx = new Float64Array(n);
  const hyy = new Float64Array(n);
  const hxy = new Float64Array(n);
  const map = new Float64Array(n);
  for (let ch = 0; ch < c; ch++) {
    for (let i = 0; i < n; i++) {
      x[i] = a[i * c + ch] * sa;
      y[i] = b[i * c + ch] * sb;
    }
    for (let r = 0; r < h; r++) {
      const row = r * w;
      for (let col = 0; col < w; col++) {
        const k0 = Math.max(0, R - col);
        const k1 = Math.min(2 * R, R + w - 1 - col);
        const base = row + col - R;
        let s1 = 0;
        let s2 = 0;
        let s11 = 0;
        let s22 = 0;
        let s12 = 0;
        for (let k = k0; k <= k1; k++) {
          const g = G[k];
          const xv = x[base + k];
          const yv = y[base + k];
          s1 += g * xv;
          s2 += g * yv;
          s11 += g * xv * xv;
          s22 += g * yv * yv;
          s12 += g * xv * yv;
        }
        const nw = normW[col];
        hx[row + col] = s1 * nw;
        hy[row + col] = s2 * nw;
        hxx[row + col] = s11 * nw;
        hyy[row + col] = s22 * nw;
        hxy[row + col] = s12 * nw;
      }
    }
    for (let r = 0; r < h; r++) {
      const k0 = Math.max(0, R - r);
      const k1 = Math.min(2 * R, R + h - 1 - r);
      const nh = normH[r];
      for (let col = 0; col < w; col++) {
        let s1 = 0;
        let s2 = 0;
        let s11 = 0;
        let s22 = 0;
        let s12 = 0;
        for (let k = k0; k <= k1; k++) {
          const g = G[k];
          const o = (r + k - R) * w + col;
          s1 += g * hx[o];
          s2 += g * hy[o];
          s11 += g * hxx[o];
          s22 += g * hyy[o];
          s12 += g * hxy[o];
        }
        const ux = s1 * nh;
        const uy = s2 * nh;
        const vx = s11 * nh - ux * ux;
        const vy = s22 * nh - uy * uy;
        const cxy = s12 * nh - ux * uy;
        map[r * w + col] += ((2 * ux * uy + C1) * (2 * cxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2)) / c;
      }
    }
  }
  return map;
}

/** Per-pixel SSIM map `[H, W]` (channel-averaged, 'same' size with truncated renormalised windows at the border). */
export function ssimMap(a: PixelArray, b: PixelArray, height: number, width: number, channels: number): Float32Array {
  checkInt('height', height, 1);
  checkInt('width', width, 1);
  checkInt('channels', channels, 1);
  const n = height * width * channels;
  return Float32Array.from(ssimMap64(checkPixels('a', a, n), checkPixels('b', b, n), height, width, channels));
}

/** Full-frame SSIM from a map: the mean over the valid-window pixels (at least SSIM_RADIUS from every border). */
export function ssimFromMap(map: ArrayLike<number>, height: number, width: number): number {
  checkInt('height', height, 1);
  checkInt('width', width, 1);
  if (map.length !== height * width) throw new Error(`map has ${map.length} values, expected ${height * width}`);
  if (height < SSIM_WINDOW || width < SSIM_WINDOW) {
    throw new Error(`height and width must be at least ${SSIM_WINDOW} for full-frame SSIM, got ${height}x${width} (use ssimMap for smaller images)`);
  }
  let s = 0;
  for (let y = R; y < height - R; y++) for (let x = R; x < width - R; x++) s += map[y * width + x];
  return s / ((height - 2 * R) * (width - 2 * R));
}

/** SSIM of two images `[H, W, C]` in [0, 1] (tensors or { data, height, width, channels }): the standard valid-window mean. */
export function ssim(a: ImageInput, b: ImageInput): number {
  const [ia, ib] = toImagePair(a, b);
  if (ia.height < SSIM_WINDOW || ia.width < SSIM_WINDOW) {
    throw new Error(`a must be at least ${SSIM_WINDOW}x${SSIM_WINDOW} for SSIM, got ${ia.height}x${ia.width}`);
  }
  return ssimFromMap(ssimMap64(ia.data, ib.data, ia.height, ia.width, ia.channels), ia.height, ia.width);
}
