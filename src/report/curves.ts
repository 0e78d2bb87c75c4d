/**
 * The curves beyond the paper's tables (notebook 07): how far each method drifts from its reference over long
 * post-training (the drift probe of align/drift.ts next to the hand metrics of report/results.ts `stepTable`),
 * and the hand gain against the annotations a method needed. Pure functions of stored results.
 */
import type { DriftPoint } from '../align/drift';
import type { ScoredSplit } from '../eval/score';
import type { VegaLiteSpec } from './figures';
import { ResultInputs, pairedVsBase } from './results';

const FONT = { config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 } } };

/** One long post-training run's drift probe by step (step 0, the base, is implicit). */
export interface DriftRun {
  /** The curve's label: the method, with its beta when it is not the default (`ipa-halo beta 2000`). */
  label: string;
  points: { step: number; probe: DriftPoint }[];
}

/** One row of the drift table: where a run stands after `step` steps. */
export interface DriftRow {
  run: string;
  step: number;
  /** ||theta - theta_ref|| / ||theta_ref||. */
  distance: number;
  /** Implicit reward gap e_ref - e_theta on the implicit positives, and on candidates judged bad. */
  gapGood: number;
  gapBad: number;
  /** gapGood - gapBad. */
  margin: number;
  /** The model's error on the positives (the reference's at step 0). */
  errorGood: number;
}

/** The drift probe as rows, step 0 (the base: no distance, no gap) first for each run. */
export function driftRows(runs: readonly DriftRun[]): DriftRow[] {
  const rows: DriftRow[] = [];
  for (const r of runs) {
    const pts = [...r.points].sort((a, b) => a.step - b.step);
    if (!pts.length) continue;
    rows.push({ run: r.label, step: 0, distance: 0, gapGood: 0, gapBad: 0, margin: 0, errorGood: pts[0].probe.good.referenceError });
    for (const p of pts) {
      rows.push({ run: r.label, step: p.step, distance: p.probe.distance, gapGood: p.probe.good.gap, gapBad: p.probe.bad.gap, margin: p.probe.margin, errorGood: p.probe.good.modelError });
    }
  }
  return rows;
}

/** A drift-probe quantity over post-training steps, one line per run (`field`: a numeric column of DriftRow). */
export function driftChart(rows: readonly DriftRow[], field: 'distance' | 'gapGood' | 'gapBad' | 'margin', title: string): VegaLiteSpec {
  const x = { field: 'step', type: 'quantitative', title: 'post-training steps' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 300,
    height: 190,
    data: { values: rows },
    layer: [
      { mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y: { datum: 0 } } },
      { mark: { type: 'line', point: true }, encoding: { x, y: { field, type: 'quantitative', title }, color: { field: 'run', type: 'nominal', title: null } } },
    ],
    ...FONT,
  };
}

/** One annotation-cost point: a method trained on what a budget of judged inputs yields, and its scores. */
export interface CostScores {
  method: string;
  /** Train inputs whose candidates were judged. */
  judgedInputs: number;
  /** Candidates judged (judgedInputs x candidates per input). */
  judgedCandidates: number;
  /**
   * The judged samples the method needed: its positives (IPA, SFT), or the judged candidates of the inputs its
   * pairs come from (Flow-DPO: every candidate of an input is judged to find its pair).
   */
  annotations: number;
  /** Positives or pairs it trained on. */
  trainedOn: number;
  runs: Record<string, ScoredSplit>;
}

/** One row of the annotation-cost table: a point on one split, with the paired SSIM-Hand gain over the base. */
export interface CostRow {
  method: string;
  split: string;
  judgedInputs: number;
  judgedCandidates: number;
  annotations: number;
  trainedOn: number;
  gain: number | null;
  gain_low: number | null;
  gain_high: number | null;
}

/** The annotation-cost table on every split a point was evaluated on (`metric`: a per-clip metric, SSIM-Hand by default). */
export function costTable(inp: ResultInputs, pts: readonly CostScores[], metric = 'ssimHand'): CostRow[] {
  const rows: CostRow[] = [];
  for (const p of pts) {
    for (const [split, run] of Object.entries(p.runs)) {
      const d = pairedVsBase(inp, run, split, metric);
      rows.push({
        method: p.method, split, judgedInputs: p.judgedInputs, judgedCandidates: p.judgedCandidates, annotations: p.annotations, trainedOn: p.trainedOn,
        gain: d ? d.mean : null, gain_low: d ? d.low : null, gain_high: d ? d.high : null,
      });
    }
  }
  return rows.sort((a, b) => a.split.localeCompare(b.split) || a.method.localeCompare(b.method) || a.judgedInputs - b.judgedInputs);
}

/** Hand gain against the judged samples a method needed (log x), one line per method with its 95% band, a panel per split. */
export function costChart(rows: readonly CostRow[], label = 'SSIM-Hand'): VegaLiteSpec {
  const values = rows.filter((r) => r.gain !== null);
  const x = { field: 'annotations', type: 'quantitative', title: 'judged samples the method needed (log)', scale: { type: 'log' } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${label} gain over the base against annotation cost (paired, 95% CI)`,
    data: { values },
    facet: { column: { field: 'split', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 190,
      layer: [
        { mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y: { datum: 0 } } },
        { mark: { type: 'errorband', opacity: 0.2 }, encoding: { x, y: { field: 'gain_low', type: 'quantitative', title: `${label} - base` }, y2: { field: 'gain_high' }, color: { field: 'method', type: 'nominal' } } },
        { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'gain', type: 'quantitative' }, color: { field: 'method', type: 'nominal', title: null } } },
      ],
    },
    ...FONT,
  };
}
