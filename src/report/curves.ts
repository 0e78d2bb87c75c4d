/**
 * The curves beyond the paper's tables (notebook 07): how far each method drifts from its reference over long
 * post-training (the drift probe of align/drift.ts next to the hand metrics of report/results.ts `stepTable`),
 * and the hand gain against the annotations a method needed. Pure functions of stored results.
 */
import { DriftMeasures, DriftPoint, summarizeMeasures } from '../align/drift';
import { meanCI } from '../eval/bootstrap';
import type { ScoredSplit } from '../eval/score';
import type { VegaLiteSpec } from './figures';
import { ResultInputs, clipValues, pairedVsBase } from './results';

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

/** One run's drift measures by step (step 0: its base), on one training seed. */
export interface MeasureRun {
  /** The curve's label, the same for every seed of a setting (`regime: sft (beta 600)`). */
  label: string;
  seed: number;
  points: { step: number; measures: DriftMeasures }[];
}

/** One row of the drift-measures table (`results/extended/tables/drift-measures.csv`): a run's means after `step` steps. */
export interface MeasureRow {
  run: string;
  seed: number;
  step: number;
  /** Mean pairwise RMS distance among an input's draws, over the frame and over its hand boxes. */
  diversity: number;
  diversity_hands: number | null;
  /** Mean RMS distance of a draw to its nearest training positive. */
  nearest_positive: number;
  /** Held-out x0-scale flow-matching error on ground-truth val clips, overall and by region. */
  heldout_error: number;
  heldout_hands: number | null;
  heldout_body: number | null;
  heldout_background: number | null;
}

/** The measures as rows, by run, seed and step. */
export function measureRows(runs: readonly MeasureRun[]): MeasureRow[] {
  const rows: MeasureRow[] = [];
  for (const r of runs) {
    for (const p of [...r.points].sort((a, b) => a.step - b.step)) {
      const m = summarizeMeasures(p.measures);
      rows.push({
        run: r.label, seed: r.seed, step: p.step, diversity: m.diversity, diversity_hands: m.diversityHands, nearest_positive: m.nearestPositive,
        heldout_error: m.heldoutError, heldout_hands: m.heldoutHands, heldout_body: m.heldoutBody, heldout_background: m.heldoutBackground,
      });
    }
  }
  return rows;
}

/** The numeric columns of MeasureRow. */
export type MeasureField = Exclude<keyof MeasureRow, 'run' | 'seed' | 'step'>;

/** A drift measure over post-training steps, one line per run and seed (seeds dashed apart), from step 0 (the base). */
export function measureChart(rows: readonly MeasureRow[], field: MeasureField, title: string): VegaLiteSpec {
  const values = rows.filter((r) => r[field] !== null).map((r) => ({ ...r, line: `${r.run} s${r.seed}` }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 320,
    height: 200,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'post-training steps' },
      y: { field, type: 'quantitative', title, scale: { zero: false } },
      // labels such as 'regime: ipa-halo (beta 6000, no clip)' whole, not cut at vega's 160 px
      color: { field: 'run', type: 'nominal', title: null, legend: { labelLimit: 400 } },
      strokeDash: { field: 'seed', type: 'nominal', title: 'seed' },
      detail: { field: 'line', type: 'nominal' },
    },
    ...FONT,
  };
}

/** Per-input values of a measure (inputs for diversity and memorisation, clips for the held-out error). */
function valuesOf(m: DriftMeasures, field: MeasureField): (number | null)[] {
  switch (field) {
    case 'diversity': return m.diversity;
    case 'diversity_hands': return m.diversityHands;
    case 'nearest_positive': return m.nearestPositive;
    case 'heldout_error': return m.heldout.all;
    case 'heldout_hands': return m.heldout.hands;
    case 'heldout_body': return m.heldout.body;
    case 'heldout_background': return m.heldout.background;
  }
}

/** A paired difference of a measure between two settings at one step, pooled over the seeds both ran. */
export interface MeasureContrast {
  measure: MeasureField;
  /** `a - b`; b = 'base' compares a run with its own step 0. */
  a: string;
  b: string;
  step: number;
  seeds: number;
  diff: number;
  low: number;
  high: number;
}

/**
 * Paired differences `a - b` of each measure at `step`: per seed, input by input (the same inputs, noise and t for
 * every model), then the two-way (inputs x seeds) bootstrap of eval/bootstrap `meanCI`, 95%. `b` = 'base': each of
 * a's seeds against its own step 0. Inputs null on either side (no hand) are left out; a pair no seed of both ran is
 * skipped.
 */
export function measureContrasts(runs: readonly MeasureRun[], pairs: readonly { a: string; b: string }[], step: number, fields: readonly MeasureField[], seed = 1): MeasureContrast[] {
  const at = (label: string, s: number, st: number) => runs.find((r) => r.label === label && r.seed === s)?.points.find((p) => p.step === st)?.measures;
  const out: MeasureContrast[] = [];
  for (const { a, b } of pairs) {
    const seeds = [...new Set(runs.filter((r) => r.label === a).map((r) => r.seed))].filter((s) => at(a, s, step) && (b === 'base' ? at(a, s, 0) : at(b, s, step)));
    if (!seeds.length) continue;
    for (const field of fields) {
      const diffs = seeds.map((s) => {
        const x = valuesOf(at(a, s, step) as DriftMeasures, field);
        const y = valuesOf((b === 'base' ? at(a, s, 0) : at(b, s, step)) as DriftMeasures, field);
        return x.map((v, i) => (v === null || y[i] === null ? null : v - (y[i] as number)));
      });
      // keep the inputs defined on every seed, so that each seed's row has the same inputs
      const keep = diffs[0].map((_, i) => diffs.every((d) => d[i] !== null));
      if (!keep.some(Boolean)) continue;
      const rows = diffs.map((d) => d.filter((_, i) => keep[i]) as number[]);
      const ci = meanCI(rows, { seed, resamples: 2000 });
      out.push({ measure: field, a, b, step, seeds: seeds.length, diff: ci.mean, low: ci.low, high: ci.high });
    }
  }
  return out;
}

/** One model's scores on one split, a chain's or run's under one training seed. */
export interface ScoreRun {
  label: string;
  seed: number;
  split: string;
  scores: ScoredSplit;
}

/** A paired difference `a - b` of a per-clip metric on one split, seeds pooled (95%). */
export interface ScoreContrast {
  split: string;
  metric: string;
  a: string;
  b: string;
  seeds: number;
  clips: number;
  diff: number;
  low: number;
  high: number;
}

/**
 * Paired differences `a - b` of a per-clip score (default SSIM-Hand) on every split both sides have: per seed, clip
 * by clip (every model samples a clip from the same noise), then the two-way (clips x seeds) bootstrap of
 * eval/bootstrap `meanCI`. `b` = 'base': each of a's seeds against `base[split]`. Only the clips scored in every
 * seed on both sides are kept; a pair with no shared seed or fewer than 2 clips is skipped.
 */
export function scoreContrasts(
  runs: readonly ScoreRun[],
  base: Readonly<Record<string, ScoredSplit>>,
  pairs: readonly { a: string; b: string }[],
  metric = 'ssimHand',
  opts: { seed: number; resamples: number } = { seed: 1, resamples: 2000 },
): ScoreContrast[] {
  const find = (label: string, seed: number, split: string) => runs.find((r) => r.label === label && r.seed === seed && r.split === split)?.scores;
  const splits = [...new Set(runs.map((r) => r.split))];
  const out: ScoreContrast[] = [];
  for (const { a, b } of pairs) {
    for (const split of splits) {
      const seeds = [...new Set(runs.filter((r) => r.label === a && r.split === split).map((r) => r.seed))]
        .sort((x, y) => x - y)
        .filter((s) => (b === 'base' ? base[split] : find(b, s, split)));
      if (!seeds.length) continue;
      const sides = seeds.map((s) => [clipValues((find(a, s, split) as ScoredSplit).scores, metric), clipValues((b === 'base' ? base[split] : (find(b, s, split) as ScoredSplit)).scores, metric)]);
      const ids = [...sides[0][0].keys()].filter((id) => sides.every(([x, y]) => x.has(id) && y.has(id))).sort();
      if (ids.length < 2) continue;
      const ci = meanCI(
        sides.map(([x, y]) => ids.map((id) => (x.get(id) as number) - (y.get(id) as number))),
        opts,
      );
      out.push({ split, metric, a, b, seeds: seeds.length, clips: ids.length, diff: ci.mean, low: ci.low, high: ci.high });
    }
  }
  return out;
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
