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

/** Why a point was or was not chosen: 'chosen', 'quality' (full-frame SSIM below the base's), or '' (a better point won). */
export type TuningVerdict = 'chosen' | 'quality' | '';

/**
 * The chosen point of each method: the highest val SSIM-Hand gain among points whose full-frame SSIM gain is >= 0
 * (ties: fewer steps, then the lower lr). A method with no such point is chosen nothing (absent from the map).
 */
export function chooseTuned(points: readonly TuningResult[]): Map<string, TuningResult> {
  const out = new Map<string, TuningResult>();
  for (const p of points) {
    if (!p.ssimHand || !p.ssim || p.ssim.mean < 0) continue;
    const cur = out.get(p.method);
    const better = !cur || p.ssimHand.mean > (cur.ssimHand as Diff).mean || (p.ssimHand.mean === (cur.ssimHand as Diff).mean && (p.steps < cur.steps || (p.steps === cur.steps && p.lr < cur.lr)));
    if (better) out.set(p.method, p);
  }
  return out;
}

/** The verdict of each point, in order. */
export function tuningVerdicts(points: readonly TuningResult[]): TuningVerdict[] {
  const chosen = chooseTuned(points);
  return points.map((p) => (chosen.get(p.method) === p ? 'chosen' : p.ssim && p.ssim.mean < 0 ? 'quality' : ''));
}
