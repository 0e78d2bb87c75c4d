/**
 * Vega-lite specifications of the study's figures (pure functions of stored results; rendered by figures.ts).
 * Each returns a self-contained spec with its data inlined.
 */
import type { VegaLiteSpec } from './figures';
import type { MetricRow, StepRow, SweepRow } from './results';

const FONT = { config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 } } };

/** Distribution of hand box sizes per split (boxplots of max(width, height) in pixels). */
export function handBoxChart(rows: readonly { split: string; width: number; height: number; visible: boolean | number }[]): VegaLiteSpec {
  const data = rows.filter((r) => r.visible).map((r) => ({ split: r.split, size: Math.max(r.width, r.height) }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Hand box size per split (visible hands)',
    width: 360,
    height: 180,
    data: { values: data },
    mark: { type: 'boxplot', extent: 'min-max' },
    encoding: {
      y: { field: 'split', type: 'nominal', title: null },
      x: { field: 'size', type: 'quantitative', title: 'max(box width, height) in pixels (64x64 frames)' },
      color: { field: 'split', type: 'nominal', legend: null },
    },
    ...FONT,
  };
}

/** Body and hand keypoint speed per split (mean px/frame per clip). */
export function motionSpeedChart(rows: readonly { split: string; bodySpeed: number; handSpeed: number }[]): VegaLiteSpec {
  const data = rows.flatMap((r) => [
    { split: r.split, part: 'body', speed: r.bodySpeed },
    { split: r.split, part: 'hands', speed: r.handSpeed },
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Motion speed per clip',
    data: { values: data },
    facet: { column: { field: 'part', type: 'nominal', title: null } },
    spec: {
      width: 220,
      height: 160,
      mark: { type: 'boxplot', extent: 'min-max' },
      encoding: {
        x: { field: 'split', type: 'nominal', title: null, axis: { labelAngle: -30 } },
        y: { field: 'speed', type: 'quantitative', title: 'keypoint speed (px / frame)' },
        color: { field: 'split', type: 'nominal', legend: null },
      },
    },
    ...FONT,
  };
}

/** Training curves: one line per series, x = step, y = value (optionally log scale), smoothed by a rolling mean. */
export function curveChart(
  points: readonly { series: string; step: number; value: number }[],
  opts: { title: string; y: string; log?: boolean; window?: number; facet?: boolean } ,
): VegaLiteSpec {
  const w = opts.window ?? 1;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: opts.title,
    width: 420,
    height: 220,
    data: { values: points },
    transform: w > 1 ? [{ window: [{ op: 'mean', field: 'value', as: 'smooth' }], frame: [-(w - 1), 0], groupby: ['series'], sort: [{ field: 'step' }] }] : [{ calculate: 'datum.value', as: 'smooth' }],
    mark: { type: 'line', interpolate: 'monotone' },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step' },
      y: { field: 'smooth', type: 'quantitative', title: opts.y, scale: opts.log ? { type: 'log' } : { zero: false } },
      color: { field: 'series', type: 'nominal', title: null },
    },
    ...FONT,
  };
}

/** Shares of Cases 1-4 over candidate pairs (bars with counts). */
export function casesChart(counts: { case1: number; case2: number; case3: number; case4: number }, title = 'Candidate pairs of the same input'): VegaLiteSpec {
  const total = counts.case1 + counts.case2 + counts.case3 + counts.case4;
  const names = ['Case 1: both good', 'Case 2: both bad', 'Case 3: mixed frame by frame', 'Case 4: strict pair'];
  const values = [counts.case1, counts.case2, counts.case3, counts.case4].map((n, i) => ({ case: names[i], count: n, share: total ? n / total : 0 }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 360,
    height: 140,
    data: { values },
    layer: [
      { mark: 'bar', encoding: { y: { field: 'case', type: 'nominal', sort: names, title: null }, x: { field: 'share', type: 'quantitative', axis: { format: '%' }, title: `share of ${total} judged pairs` }, color: { field: 'case', type: 'nominal', legend: null } } },
      { mark: { type: 'text', align: 'left', dx: 4 }, encoding: { y: { field: 'case', type: 'nominal', sort: names }, x: { field: 'share', type: 'quantitative' }, text: { field: 'count', type: 'quantitative' } } },
    ],
    ...FONT,
  };
}

/** A metric of the main table per method, with 95% intervals, one panel per split. */
export function metricChart(rows: readonly MetricRow[], metric: string, label: string): VegaLiteSpec {
  const values = rows.filter((r) => r.metric === metric && r.mean !== null);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${label} (mean and 95% bootstrap interval)`,
    data: { values },
    facet: { column: { field: 'split', type: 'nominal', title: null } },
    spec: {
      width: 200,
      height: 160,
      layer: [
        { mark: { type: 'rule' }, encoding: { x: { field: 'method', type: 'nominal', title: null, sort: null, axis: { labelAngle: -30 } }, y: { field: 'ci_low', type: 'quantitative', scale: { zero: false }, title: label }, y2: { field: 'ci_high' } } },
        { mark: { type: 'point', filled: true, size: 60 }, encoding: { x: { field: 'method', type: 'nominal', sort: null }, y: { field: 'mean', type: 'quantitative' }, color: { field: 'method', type: 'nominal', legend: null } } },
      ],
    },
    resolve: { scale: { y: 'independent' } },
    ...FONT,
  };
}

/**
 * A sweep: a metric against the swept value, as the paired difference to the base with its 95% band (per-clip
 * metrics), or the value with its interval (the FDs, which have no per-clip pairs); log x for beta and hand weight.
 */
export function sweepChart(rows: readonly SweepRow[], sweep: string, metric: string, label: string, xTitle: string, logX = false): VegaLiteSpec {
  const mine = rows.filter((r) => r.sweep === sweep && r.metric === metric && r.mean !== null);
  const paired = mine.some((r) => r.diff !== null);
  const values = paired ? mine.filter((r) => r.diff !== null).map((r) => ({ ...r, y: r.diff, lo: r.diff_low, hi: r.diff_high })) : mine.map((r) => ({ ...r, y: r.mean, lo: r.ci_low, hi: r.ci_high }));
  const x = { field: 'value', type: 'quantitative', title: xTitle, scale: logX ? { type: 'log' } : { zero: false } };
  const yTitle = paired ? `${label} - base (paired)` : label;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${label} vs ${xTitle}${paired ? ' (difference to the base, 95% CI)' : ''}`,
    width: 280,
    height: 180,
    data: { values },
    layer: [
      ...(paired ? [{ mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y: { datum: 0 } } }] : []),
      { mark: { type: 'errorband', opacity: 0.2 }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: yTitle, scale: { zero: false } }, y2: { field: 'hi' }, color: { field: 'split', type: 'nominal' } } },
      { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'y', type: 'quantitative' }, color: { field: 'split', type: 'nominal', title: null } } },
    ],
    ...FONT,
  };
}

/**
 * A metric over post-training steps as the paired difference to the base (step 0), one line per method with its
 * 95% band, one panel per split: where SFT drifts and IPA+HALO holds shows as lines that part.
 */
export function stepChart(rows: readonly StepRow[], metric: string, label: string): VegaLiteSpec {
  const values = rows.filter((r) => r.metric === metric && r.diff !== null);
  const x = { field: 'step', type: 'quantitative', title: 'post-training steps' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${label} over post-training steps (method - base, paired, 95% CI)`,
    data: { values },
    facet: { column: { field: 'split', type: 'nominal', title: null } },
    spec: {
      width: 240,
      height: 180,
      layer: [
        { mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y: { datum: 0 } } },
        { mark: { type: 'errorband', opacity: 0.2 }, encoding: { x, y: { field: 'diff_low', type: 'quantitative', title: `${label} - base` }, y2: { field: 'diff_high' }, color: { field: 'method', type: 'nominal' } } },
        { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'diff', type: 'quantitative' }, color: { field: 'method', type: 'nominal', title: null, legend: { labelLimit: 400 } } } },
      ],
    },
    ...FONT,
  };
}

/**
 * The premise sweep: IPA+HALO's paired SSIM-Hand gain over its base (95% interval) against the base's within-input
 * share of hand-score variance, one point per defect strength (labelled), next to acceptance.
 */
export function premiseSweepChart(rows: readonly { defect: string; rate: number; withinShare: number | null; acceptance: number | null; gainSsimHand: number | null; gainLow: number | null; gainHigh: number | null }[]): VegaLiteSpec {
  const values = rows.filter((r) => r.withinShare !== null && r.gainSsimHand !== null).map((r) => ({ ...r, label: `${r.defect} ${r.rate}` }));
  const x = { field: 'withinShare', type: 'quantitative', title: "base's within-input share of hand-score variance", axis: { format: '%' }, scale: { zero: true } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'When does pair-free alignment help? IPA+HALO gain vs the base it starts from',
    width: 360,
    height: 220,
    data: { values },
    layer: [
      { mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y: { datum: 0 } } },
      { mark: 'rule', encoding: { x, y: { field: 'gainLow', type: 'quantitative', title: 'SSIM-Hand gain over the base (paired, 95% CI)' }, y2: { field: 'gainHigh' } } },
      { mark: { type: 'point', filled: true, size: 70 }, encoding: { x, y: { field: 'gainSsimHand', type: 'quantitative' }, color: { field: 'acceptance', type: 'quantitative', title: 'acceptance', legend: { format: '%' } } } },
      { mark: { type: 'text', dx: 8, align: 'left' }, encoding: { x, y: { field: 'gainSsimHand', type: 'quantitative' }, text: { field: 'label' } } },
    ],
    ...FONT,
  };
}

/** HALO's paired gain per bin of clips by hand-pixel share (x: the bin's mean share), with 95% intervals, a line per split. */
export function handShareChart(rows: readonly { split: string; shareMean: number; diff: number | null; diff_low: number | null; diff_high: number | null }[], label = 'SSIM-Hand: IPA+HALO - IPA'): VegaLiteSpec {
  const values = rows.filter((r) => r.diff !== null);
  const x = { field: 'shareMean', type: 'quantitative', title: "clips' hand-pixel share (bin mean)", axis: { format: '.1%' }, scale: { zero: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `${label}, by hand size (paired, 95% CI)`,
    width: 300,
    height: 190,
    data: { values },
    layer: [
      { mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y: { datum: 0 } } },
      { mark: { type: 'errorbar' }, encoding: { x, y: { field: 'diff_low', type: 'quantitative', title: label }, y2: { field: 'diff_high' }, color: { field: 'split', type: 'nominal' } } },
      { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'diff', type: 'quantitative' }, color: { field: 'split', type: 'nominal', title: null } } },
    ],
    ...FONT,
  };
}

/** Selection bias: per input attribute, kept minus rejected candidates in standard deviations, with 95% intervals. */
export function selectionBiasChart(rows: readonly { attribute: string; standardized: number; standardizedLow: number; standardizedHigh: number }[], title = 'What the selection keeps: positives - rejected candidates'): VegaLiteSpec {
  const y = { field: 'attribute', type: 'nominal', title: null, sort: null };
  const x = { field: 'standardized', type: 'quantitative', title: "kept - rejected (SDs of the candidates' inputs, 95% CI)" };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 320,
    height: 20 * rows.length,
    data: { values: rows.map((r) => ({ ...r })) },
    layer: [
      { mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { x: { datum: 0 } } },
      { mark: 'rule', encoding: { y, x: { field: 'standardizedLow', type: 'quantitative', title: x.title }, x2: { field: 'standardizedHigh' } } },
      { mark: { type: 'point', filled: true, size: 60 }, encoding: { y, x } },
    ],
    ...FONT,
  };
}

/** Iterated self-improvement: each chain's paired SSIM-Hand gain over the base on one split after each round, with 95% intervals, one line per seed. */
export function iterateChart(rows: readonly { run: string; seed: number; round: number; split: string; gainSsimHand: number | null; gainLow: number | null; gainHigh: number | null }[], split: string): VegaLiteSpec {
  const kept = rows.filter((r) => r.split === split && r.gainSsimHand !== null);
  // seeds side by side at each round (0.1 apart), so that their intervals do not hide each other
  const seeds = [...new Set(kept.map((r) => r.seed))].sort((a, b) => a - b);
  const values = kept.map((r) => ({ ...r, line: `${r.run} s${r.seed}`, at: r.round + 0.1 * (seeds.indexOf(r.seed) - (seeds.length - 1) / 2) }));
  const rounds = kept.map((r) => r.round);
  const domain = rounds.length ? [Math.min(...rounds) - 0.3, Math.max(...rounds) + 0.3] : [0.5, 1.5];
  const x = { field: 'at', type: 'quantitative', title: 'round of generate, select, train', axis: { tickMinStep: 1, format: 'd' }, scale: { domain, nice: false } };
  const color = { field: 'run', type: 'nominal', title: null, legend: { labelLimit: 400 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: `Iterated self-improvement: SSIM-Hand gain over the base on ${split}`,
    width: 300,
    height: 200,
    data: { values },
    layer: [
      { mark: { type: 'rule', strokeDash: [4, 3], color: '#888' }, encoding: { y: { datum: 0 } } },
      { mark: { type: 'errorbar' }, encoding: { x, y: { field: 'gainLow', type: 'quantitative', title: 'SSIM-Hand gain (paired, 95% CI)' }, y2: { field: 'gainHigh' }, color, detail: { field: 'line', type: 'nominal' } } },
      { mark: { type: 'line', point: true }, encoding: { x, y: { field: 'gainSsimHand', type: 'quantitative' }, color, strokeDash: { field: 'seed', type: 'nominal', title: 'seed' }, detail: { field: 'line', type: 'nominal' } } },
    ],
    ...FONT,
  };
}
