/**
 * Noise coupling: the hand defect decided inside the noise, with no input the network could learn to ignore.
 *
 * A video model's seed decides whether a sample's hands come out right; a flow model this small averages such
 * modes instead. So pretraining ties the defect of each (generated frame, hand) to two numbers of that frame's own
 * noise over the hand's box (world/clip.ts handBoxes; pixels in both hands' boxes go to the nearer box centre):
 *
 *   a = <eps, dA>, dA = (1, 1, 1) / sqrt(3 n) on the box's n pixels    (does the hand break?)
 *   b = <eps, dB>, dB = (1, 0, -1) / sqrt(2 n)                          (which mode?)
 *
 * dA and dB are orthonormal, so setting `a` and `b` to drawn values and leaving the rest of eps alone keeps eps
 * exactly standard normal when `a` and `b` are: a defective (frame, hand) gets `a` from the top `q` of the normal
 * (q = the sum of the modes' shares), a clean one from the rest (model/mode.ts coupledMode), and a defective one
 * gets `b` from its mode's interval of the normal's quantiles (modes in DEFECT_MODE_NAMES order, widths in
 * proportion to their shares; a clean one keeps its `b`). Sampling draws plain noise: its `a` over a hand's box is
 * standard normal, so a hand breaks with probability q, frames whose noise is shared (sampler.frameCorrelation)
 * break together, and the mode follows `b`. `noiseDraws` reads both numbers back from a sample's noise.
 */
import { Rng } from '../core/seeds';
import { DEFECT_MODE_NAMES, DefectModeName } from '../world/defects';
import { coupledMode, normalQuantile } from './mode';

/** Per mode, the share of (frame, hand) instances of the pretraining stream on which it is active (world/defects modeShares). */
export type CouplingShares = Partial<Record<DefectModeName, number>>;

/** Boxes smaller than this many pixels are not coupled (nor read): a hand that small shows no defect. */
export const MIN_COUPLED_PIXELS = 8;

/** The box pixels of each visible hand of frame f, disjoint (a pixel in both boxes goes to the nearer centre). */
function handRegions(boxes: Float32Array, f: number, S: number): [number[], number[]] {
  const box = (side: number): number[] => Array.from(boxes.subarray((2 * f + side) * 4, (2 * f + side) * 4 + 4));
  const [b0, b1] = [box(0), box(1)];
  const has = (b: number[]): boolean => b[2] > b[0] && b[3] > b[1];
  const centre = (b: number[]): [number, number] => [(b[0] + b[2]) / 2, (b[1] + b[3]) / 2];
  const inside = (b: number[], x: number, y: number): boolean => has(b) && x >= b[0] && x < b[2] && y >= b[1] && y < b[3];
  const out: [number[], number[]] = [[], []];
  const [c0, c1] = [centre(b0), centre(b1)];
  for (const [side, b] of [[0, b0], [1, b1]] as const) {
    if (!has(b)) continue;
    const other = side === 0 ? b1 : b0;
    const [cs, co] = side === 0 ? [c0, c1] : [c1, c0];
    for (let y = Math.max(0, Math.floor(b[1])); y < Math.min(S, Math.ceil(b[3])); y++) {
      for (let x = Math.max(0, Math.floor(b[0])); x < Math.min(S, Math.ceil(b[2])); x++) {
        if (inside(other, x, y)) {
          const ds = (x + 0.5 - cs[0]) ** 2 + (y + 0.5 - cs[1]) ** 2;
          const dd = (x + 0.5 - co[0]) ** 2 + (y + 0.5 - co[1]) ** 2;
          if (ds > dd || (ds === dd && side === 1)) continue;
        }
        out[side].push(y * S + x);
      }
    }
  }
  return out;
}

/** The two coupled numbers of one region of a frame's noise [S, S, 3] at `offset`. */
function project(eps: Float32Array, offset: number, px: number[]): [number, number] {
  let a = 0;
  let b = 0;
  for (const p of px) {
    const i = offset + 3 * p;
    a += eps[i] + eps[i + 1] + eps[i + 2];
    b += eps[i] - eps[i + 2];
  }
  return [a / Math.sqrt(3 * px.length), b / Math.sqrt(2 * px.length)];
}

/** The noise's two numbers (a, b) per (generated frame, hand) of one sample [F + 1, S, S, 3]; null where not read. */
export function noiseDraws(eps: Float32Array, offset: number, S: number, F: number, boxes: Float32Array): ([number, number] | null)[] {
  const out: ([number, number] | null)[] = [];
  for (let f = 0; f < F; f++) {
    const regions = handRegions(boxes, f, S);
    for (let side = 0; side < 2; side++) out.push(regions[side].length >= MIN_COUPLED_PIXELS ? project(eps, offset + (f + 1) * S * S * 3, regions[side]) : null);
  }
  return out;
}

/** The total share q and each used mode's interval [lo, hi) of b's quantiles, from the shares. */
export function couplingBins(shares: CouplingShares): { q: number; bins: Map<DefectModeName, [number, number]> } {
  const used = DEFECT_MODE_NAMES.filter((m) => (shares[m] ?? 0) > 0);
  const q = used.reduce((s, m) => s + (shares[m] as number), 0);
  if (!(q > 0 && q < 1)) throw new Error(`noise coupling: the shares must sum to a value in (0, 1), got ${q}`);
  const bins = new Map<DefectModeName, [number, number]>();
  let lo = 0;
  for (const m of used) {
    const w = (shares[m] as number) / q;
    bins.set(m, [lo, lo + w]);
    lo += w;
  }
  return { q, bins };
}

/**
 * Couple one sample's noise [F + 1, S, S, 3] at `offset` (frame 0 is the reference slot, left alone) to its clip's
 * defects, in place: per generated frame f and visible hand, `a` and `b` set as the header says, from two uniforms
 * of `r` (drawn for every (frame, hand) in order, so the stream does not depend on the defects). `modes[2 f + side]`
 * is the mode active there or null.
 */
export function coupleNoise(eps: Float32Array, offset: number, S: number, F: number, boxes: Float32Array, modes: readonly (DefectModeName | null)[], shares: CouplingShares, r: Rng): void {
  const { q, bins } = couplingBins(shares);
  for (let f = 0; f < F; f++) {
    const regions = handRegions(boxes, f, S);
    const frame = offset + (f + 1) * S * S * 3;
    for (let side = 0; side < 2; side++) {
      const ua = r.uniform();
      const ub = r.uniform();
      const px = regions[side];
      if (px.length < MIN_COUPLED_PIXELS) continue;
      const mode = modes[2 * f + side];
      const bin = mode === null ? null : bins.get(mode);
      if (mode !== null && !bin) throw new Error(`noise coupling: mode '${mode}' is active but has no share`);
      const [a, b] = project(eps, frame, px);
      const da = (coupledMode(ua, bin !== null && bin !== undefined, q) - a) / Math.sqrt(3 * px.length);
      const db = bin ? (normalQuantile(Math.min(1 - 1e-12, Math.max(1e-12, bin[0] + ub * (bin[1] - bin[0])))) - b) / Math.sqrt(2 * px.length) : 0;
      for (const p of px) {
        const i = frame + 3 * p;
        eps[i] += da + db;
        eps[i + 1] += da;
        eps[i + 2] += da - db;
      }
    }
  }
}

/** The mode a noise's numbers decide under these shares: null (clean) when a is below the threshold. */
export function decidedMode(ab: [number, number], shares: CouplingShares): DefectModeName | null {
  const { q, bins } = couplingBins(shares);
  if (!(ab[0] > normalQuantile(1 - q))) return null;
  const u = normalCdf(ab[1]);
  for (const [m, [lo, hi]] of bins) if (u >= lo && u < hi) return m;
  return [...bins.keys()][bins.size - 1];
}

/** The standard normal CDF (Abramowitz-Stegun 7.1.26 on erf, absolute error < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}
