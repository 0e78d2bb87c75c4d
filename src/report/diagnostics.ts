/**
 * Training diagnostics of post-training runs (docs/design.md, "Error scale"): from each run's log (per-step
 * scalars and the per-sample `sampleT`, `sampleLogit`, `sampleLoss` arrays), how saturated the preference logits
 * were, how often the gradient was clipped, where the loss sat at the end, and the loss by timestep band. Pure
 * functions of stored logs.
 */
import type { VegaLiteSpec } from './figures';
import type { TrainingCurve } from './results';
import type { StepRecord } from '../train/loop';

/** A logit beyond this magnitude is a saturated sigmoid: its sample's gradient is ~0 (z > 8) or ~constant (z < -8). */
export const SATURATED_LOGIT = 8;

/** Timestep bands of the loss-by-band columns: [low, high). */
export const T_BANDS: readonly (readonly [number, number])[] = [[0, 0.1], [0.1, 0.3], [0.3, 0.6], [0.6, 1.0001]];

/** The label of a band, e.g. `loss_t0.1-0.3`. */
export function bandLabel(b: readonly [number, number]): string {
  return `loss_t${b[0]}-${Math.min(b[1], 1)}`;
}

/** One row of `training-diagnostics.csv`: a run (method, seed). Null where a run has no such value (SFT: no logit). */
export interface DiagnosticsRow {
  method: string;
  seed: number;
  steps: number;
  /** Share of per-sample logits with |z| > 8 over the run. */
  saturated_share: number | null;
  /** Share of steps whose gradient norm (before clipping) exceeded the clip norm. */
  clipped_share: number;
  /** Mean loss over the last 20 steps (log 2 = 0.693 is a preference loss at gap 0). */
  loss_last20: number;
  /** Mean gap e_ref - e_theta over the last 20 steps (null without a reference). */
  gap_last20: number | null;
  /** Largest step loss of the run. */
  loss_max: number;
  [band: string]: string | number | null;
}

const arr = (r: StepRecord, k: string): number[] => (Array.isArray(r[k]) ? (r[k] as number[]) : []);
const num = (r: StepRecord, k: string): number | null => (typeof r[k] === 'number' && Number.isFinite(r[k] as number) ? (r[k] as number) : null);
const mean = (xs: readonly number[]): number | null => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

/** The diagnostics of each run; `clipNorm` is the runs' gradient clip (0: none). */
export function trainingDiagnostics(curves: readonly TrainingCurve[], clipNorm: number): DiagnosticsRow[] {
  return curves.map((c) => {
    const recs = c.records;
    const logits = recs.flatMap((r) => arr(r, 'sampleLogit'));
    const tail = recs.slice(-20);
    const gaps = tail.map((r) => num(r, 'gap')).filter((v): v is number => v !== null);
    const row: DiagnosticsRow = {
      method: c.method,
      seed: c.seed,
      steps: recs.length,
      saturated_share: logits.length ? logits.filter((z) => Math.abs(z) > SATURATED_LOGIT).length / logits.length : null,
      clipped_share: recs.length && clipNorm > 0 ? recs.filter((r) => r.gradNorm > clipNorm).length / recs.length : 0,
      loss_last20: mean(tail.map((r) => r.loss)) ?? NaN,
      gap_last20: mean(gaps),
      loss_max: recs.reduce((m, r) => Math.max(m, r.loss), -Infinity),
    };
    for (const b of T_BANDS) {
      const xs: number[] = [];
      for (const r of recs) {
        const t = arr(r, 'sampleT');
        const l = arr(r, 'sampleLoss');
        t.forEach((tv, i) => {
          if (tv >= b[0] && tv < b[1] && Number.isFinite(l[i])) xs.push(l[i]);
        });
      }
      row[bandLabel(b)] = mean(xs);
    }
    return row;
  });
}

/** Every per-sample logit of the runs, by method (for the distribution figure). */
export function logitPoints(curves: readonly TrainingCurve[]): { method: string; seed: number; step: number; t: number; logit: number }[] {
  return curves.flatMap((c) =>
    c.records.flatMap((r) => {
      const t = arr(r, 'sampleT');
      return arr(r, 'sampleLogit').map((z, i) => ({ method: c.method, seed: c.seed, step: r.step, t: t[i] ?? NaN, logit: z }));
    }),
  );
}

/**
 * The logit distribution per method: per-sample logits z against t (every draw of every seed), with the
 * saturation band |z| > 8 marked. Logits beyond +-`clip` are drawn at the edge (the axis would hide the rest).
 */
export function logitChart(points: readonly { method: string; t: number; logit: number }[], clip = 40): VegaLiteSpec {
  const data = points.map((p) => ({ method: p.method, t: p.t, logit: Math.max(-clip, Math.min(clip, p.logit)) }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Per-sample logits z = (beta/2) w(t) gap during post-training (|z| > ${SATURATED_LOGIT}: saturated; clipped at +-${clip})`,
    data: { values: data },
    facet: { column: { field: 'method', type: 'nominal', title: null } },
    spec: {
      width: 200,
      height: 180,
      layer: [
        { mark: { type: 'rule', color: 'red', strokeDash: [4, 3] }, encoding: { y: { datum: SATURATED_LOGIT } } },
        { mark: { type: 'rule', color: 'red', strokeDash: [4, 3] }, encoding: { y: { datum: -SATURATED_LOGIT } } },
        {
          mark: { type: 'point', size: 8, opacity: 0.4, filled: true },
          encoding: {
            x: { field: 't', type: 'quantitative', title: 'timestep t', scale: { domain: [0, 1] } },
            y: { field: 'logit', type: 'quantitative', title: 'logit z', scale: { domain: [-clip, clip] } },
          },
        },
      ],
    },
    config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 } },
  };
}
