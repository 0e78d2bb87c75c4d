/**
 * The choice `ipa-kit tune` makes on val (docs/design.md, "Fair tuning"): per method, among its grid points, the
 * highest val SSIM-Hand gain over the base whose full-frame SSIM gain is not negative. Pure functions of scores.
 */

/** A paired difference to the base: mean and 95% interval. */
export interface Diff {
  mean: number;
  low: number;
  high: number;
}

/** One evaluated grid point. */
export interface TuningResult {
  method: string;
  lr: number;
  steps: number;
  ssimHand: Diff | null;
  psnrHand: Diff | null;
  ssim: Diff | null;
  secondsPerStep: number | null;
}

/**
 * Why a point was or was not chosen: 'chosen'; 'fallback' (chosen although its full-frame SSIM is below the base's,
 * because every point of its method's grid is: the least loss of full-frame SSIM); 'quality' (full-frame SSIM below
 * the base's); or '' (a better point won).
 */
export type TuningVerdict = 'chosen' | 'fallback' | 'quality' | '';

/** a before b: higher key, then fewer steps, then the lower lr. */
function better(a: TuningResult, b: TuningResult, key: (p: TuningResult) => number): boolean {
  const ka = key(a);
  const kb = key(b);
  return ka > kb || (ka === kb && (a.steps < b.steps || (a.steps === b.steps && a.lr < b.lr)));
}

/**
 * The chosen point of each method: the highest val SSIM-Hand gain among points whose full-frame SSIM gain is >= 0
 * (ties: fewer steps, then the lower lr). A method none of whose points keeps full-frame SSIM gets its point with the
 * highest full-frame SSIM gain instead (`tuningVerdicts` marks it 'fallback'); a method with no scored point, none.
 */
export function chooseTuned(points: readonly TuningResult[]): Map<string, TuningResult> {
  const out = new Map<string, TuningResult>();
  const scored = points.filter((p) => p.ssimHand && p.ssim);
  for (const p of scored) {
    if ((p.ssim as Diff).mean < 0) continue;
    const cur = out.get(p.method);
    if (!cur || better(p, cur, (x) => (x.ssimHand as Diff).mean)) out.set(p.method, p);
  }
  for (const p of scored) {
    const cur = out.get(p.method);
    if (cur && (cur.ssim as Diff).mean >= 0) continue;
    if (!cur || better(p, cur, (x) => (x.ssim as Diff).mean)) out.set(p.method, p);
  }
  return out;
}

/** The verdict of each point, in order. */
export function tuningVerdicts(points: readonly TuningResult[]): TuningVerdict[] {
  const chosen = chooseTuned(points);
  return points.map((p) => {
    const below = p.ssim !== null && p.ssim.mean < 0;
    if (chosen.get(p.method) === p) return below ? 'fallback' : 'chosen';
    return below ? 'quality' : '';
  });
}
