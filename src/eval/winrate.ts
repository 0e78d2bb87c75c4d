/**
 * Pairwise win rate of method A over method B on the same inputs, from per-clip hand-quality scores (higher is
 * better, e.g. SSIM-Hand): a clip is a win when a - b > tieTolerance, a tie when |a - b| <= tieTolerance, a
 * loss otherwise; rate = (wins + 0.5 ties) / n, with a percentile bootstrap interval over clips (bootstrap.ts).
 */
import { bootstrapCI, BootstrapOptions } from './bootstrap';
import { checkFiniteValues, checkRange } from './check';

export interface WinRateOptions extends Omit<BootstrapOptions, 'statistic'> {
  /** Score differences within this are ties (default 0). */
  tieTolerance?: number;
}

export interface WinRate {
  /** (wins + 0.5 ties) / n. */
  rate: number;
  low: number;
  high: number;
  wins: number;
  ties: number;
  losses: number;
  n: number;
  level: number;
}

/** Win rate of A over B from per-clip scores a[i], b[i] of the same inputs (higher = better). */
export function winRate(a: ArrayLike<number>, b: ArrayLike<number>, opts: WinRateOptions): WinRate {
  if (a === null || typeof a !== 'object' || a.length === 0) throw new Error('a must be a non-empty array of scores');
  if (b === null || typeof b !== 'object' || b.length !== a.length) throw new Error(`b must have one score per input of a (${a.length})`);
  checkFiniteValues('a', a);
  checkFiniteValues('b', b);
  const tol = opts.tieTolerance ?? 0;
  checkRange('opts.tieTolerance', tol, 0, Number.MAX_VALUE);
  const outcomes = new Float64Array(a.length);
  let wins = 0;
  let ties = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    if (d > tol) {
      outcomes[i] = 1;
      wins++;
    } else if (d >= -tol) {
      outcomes[i] = 0.5;
      ties++;
    }
  }
  const ci = bootstrapCI(outcomes, { seed: opts.seed, resamples: opts.resamples, level: opts.level });
  return { rate: ci.mean, low: ci.low, high: ci.high, wins, ties, losses: a.length - wins - ties, n: a.length, level: ci.level };
}
