/**
 * Interactive figures as plotly.js JSON (traces and a layout), for notebooks to show with `showPlotly` next to the
 * static vega-lite charts: what a reader wants to explore rather than read. Pure functions of the stored results;
 * the notebook layer renders them.
 */
import type { SplitScores } from '../eval/score';
import type { StepRow, TrainingCurve } from './results';

/** A plotly figure: traces and a layout (https://plotly.com/javascript/reference/). */
export interface PlotlyFigure {
  data: Record<string, unknown>[];
  layout: Record<string, unknown>;
}

/** plotly's default colour cycle ("D3 category 10"), so a method keeps its colour across figures. */
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];

/**
 * Training curves of one logged metric: one line per (method, seed), grouped by method in the legend (a click
 * on a method hides its seeds, a double click isolates it), hover with method, seed, step and value. Runs that
 * did not log the metric are left out; throws when none did.
 */
export function curvesFigure(curves: readonly TrainingCurve[], metric: string, opts: { title?: string; logY?: boolean } = {}): PlotlyFigure {
  const methods = [...new Set(curves.map((c) => c.method))];
  const data: Record<string, unknown>[] = [];
  for (const c of curves) {
    const pts = c.records.filter((r) => typeof r[metric] === 'number' && Number.isFinite(r[metric] as number));
    if (!pts.length) continue;
    const colour = COLOURS[methods.indexOf(c.method) % COLOURS.length];
    data.push({
      type: 'scatter',
      mode: 'lines',
      name: `${c.method} seed ${c.seed}`,
      legendgroup: c.method,
      legendgrouptitle: { text: c.method },
      x: pts.map((r) => r.step),
      y: pts.map((r) => r[metric]),
      line: { color: colour, width: 1.5 },
      hovertemplate: `${c.method}, seed ${c.seed}<br>step %{x}<br>${metric} %{y:.4g}<extra></extra>`,
    });
  }
  if (!data.length) throw new Error(`curvesFigure: no run logged '${metric}'`);
  return {
    data,
    layout: {
      title: { text: opts.title ?? metric },
      xaxis: { title: { text: 'step' } },
      yaxis: { title: { text: metric }, type: opts.logY ? 'log' : 'linear' },
      legend: { groupclick: 'toggleitem' },
      hovermode: 'closest',
    },
  };
}

/**
 * Per-clip scatter of a metric: the base (x) against each method (y) on the same clips and noise, one trace per
 * method, the clip id on hover, and the diagonal (points above it: the method did better on that clip). Clips
 * without a value on both sides are left out; throws when a method shares no clip with the base.
 */
export function clipScatterFigure(base: SplitScores, methods: Readonly<Record<string, SplitScores>>, metric: 'ssimHand' | 'psnrHand' | 'ssim' | 'psnr', opts: { title?: string } = {}): PlotlyFigure {
  const value = (s: SplitScores) => {
    const m = new Map<string, number>();
    for (const c of s.clips) {
      const v = c[metric];
      if (typeof v === 'number' && Number.isFinite(v)) m.set(c.clipId, v);
    }
    return m;
  };
  const b = value(base);
  let lo = Infinity;
  let hi = -Infinity;
  const data: Record<string, unknown>[] = Object.entries(methods).map(([name, s], i) => {
    const ids = [...value(s).entries()].filter(([id]) => b.has(id));
    if (!ids.length) throw new Error(`clipScatterFigure: '${name}' shares no clip with a ${metric} value with the base`);
    const x = ids.map(([id]) => b.get(id) as number);
    const y = ids.map(([, v]) => v);
    for (const v of [...x, ...y]) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return {
      type: 'scatter',
      mode: 'markers',
      name,
      x,
      y,
      text: ids.map(([id]) => id),
      marker: { color: COLOURS[i % COLOURS.length], size: 6, opacity: 0.75 },
      hovertemplate: `%{text}<br>base %{x:.4g}<br>${name} %{y:.4g}<extra></extra>`,
    };
  });
  data.push({ type: 'scatter', mode: 'lines', name: 'no change', x: [lo, hi], y: [lo, hi], line: { color: '#999', dash: 'dot', width: 1 }, hoverinfo: 'skip' });
  return {
    data,
    layout: {
      title: { text: opts.title ?? `${metric} per clip: base vs post-trained` },
      xaxis: { title: { text: `base ${metric}` } },
      yaxis: { title: { text: `post-trained ${metric}` }, scaleanchor: 'x' },
      hovermode: 'closest',
    },
  };
}

/**
 * A metric over post-training steps (paired difference to the base, with 95% error bars), one trace per
 * (method, split); hover shows the step, the difference and its interval. Throws when no row has the metric.
 */
export function stepFigure(rows: readonly StepRow[], metric: string, opts: { title?: string } = {}): PlotlyFigure {
  const pts = rows.filter((r) => r.metric === metric && r.diff !== null);
  if (!pts.length) throw new Error(`stepFigure: no step rows for '${metric}'`);
  const methods = [...new Set(pts.map((r) => r.method))];
  const splits = [...new Set(pts.map((r) => r.split))];
  const data: Record<string, unknown>[] = [];
  for (const m of methods) {
    for (const [k, sp] of splits.entries()) {
      const r = pts.filter((p) => p.method === m && p.split === sp).sort((a, b) => a.step - b.step);
      if (!r.length) continue;
      data.push({
        type: 'scatter',
        mode: 'lines+markers',
        name: `${m} (${sp})`,
        legendgroup: m,
        x: r.map((p) => p.step),
        y: r.map((p) => p.diff),
        error_y: { type: 'data', symmetric: false, array: r.map((p) => (p.diff_high as number) - (p.diff as number)), arrayminus: r.map((p) => (p.diff as number) - (p.diff_low as number)) },
        line: { color: COLOURS[methods.indexOf(m) % COLOURS.length], dash: k === 0 ? 'solid' : 'dot' },
        hovertemplate: `${m}, ${sp}<br>step %{x}<br>${metric} - base %{y:.4f}<extra></extra>`,
      });
    }
  }
  return {
    data,
    layout: {
      title: { text: opts.title ?? `${metric} - base over post-training steps` },
      xaxis: { title: { text: 'post-training steps' } },
      yaxis: { title: { text: `${metric} - base (paired)` }, zeroline: true },
      hovermode: 'closest',
    },
  };
}
