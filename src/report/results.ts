/**
 * Results of a study: the main table (base and every method on each evaluation split), the paper's ablation
 * table, the sweeps, and training curves, from scored runs handed in (study/results.ts gathers them from the
 * study's folders; nothing here reads a file). Every number is computed from per-clip scores and features;
 * nothing is typed in.
 *
 * Intervals (95%, percentile bootstrap, >= 1,000 resamples, seeded):
 * - per-clip metrics: mean over (training seed, clip) with a two-way bootstrap (clips shared across seeds, and
 *   the seeds resampled), `meanCI`; a single run is a clip bootstrap;
 * - FD-frame / FD-clip: the FD of the resampled clips' features against the ground truth's features of the
 *   split, averaged over the drawn seeds (`frechetCI`);
 * - win rate against the base: per clip 1 if the method's SSIM-Hand beats the base's on the same clip (same
 *   input, same noise), 0.5 on a tie, 0 otherwise; averaged like a per-clip metric.
 */
import { Interval, meanCI, pairedBootstrapCI } from '../eval/bootstrap';
import { ClipScores } from '../eval/evaluate';
import { frechetCI } from '../eval/fdboot';
import { ClipFeatureFn, ReferenceFeatures } from '../eval/frechet';
import { ScoredSplit, SplitScores } from '../eval/score';
import { PositivesFile } from '../select/positives';
import { StepRecord } from '../train/loop';

/** One row of the long-form main table (results/tables/main.csv). */
export interface MetricRow {
  method: string;
  split: string;
  metric: string;
  mean: number | null;
  ci_low: number | null;
  ci_high: number | null;
  n_seeds: number;
}

/** The metrics of the main table, in column order; `lower` marks metrics where lower is better. */
export interface MetricSpec {
  key: string;
  label: string;
  /** Lower is better. */
  lower?: boolean;
  kind: 'clip' | 'fd-frame' | 'fd-clip' | 'win';
}

export const METRICS: MetricSpec[] = [
  { key: 'ssim', label: 'SSIM', kind: 'clip' },
  { key: 'psnr', label: 'PSNR', kind: 'clip' },
  { key: 'ssimHand', label: 'SSIM-Hand', kind: 'clip' },
  { key: 'psnrHand', label: 'PSNR-Hand', kind: 'clip' },
  { key: 'handKeypointError', label: 'Hand kp error (px)', lower: true, kind: 'clip' },
  { key: 'handPck', label: 'Hand PCK@0.2', kind: 'clip' },
  { key: 'fdFrame', label: 'FD-frame (FID-VID stand-in)', lower: true, kind: 'fd-frame' },
  { key: 'fdClip', label: 'FD-clip (FVD stand-in)', lower: true, kind: 'fd-clip' },
  { key: 'winRate', label: 'Win rate vs base (hands)', kind: 'win' },
];

/** Region metrics next to the full frame (`ipa-kit evaluate`, the base-model report): body and background. */
export const REGION_METRICS: MetricSpec[] = [
  { key: 'ssimBody', label: 'SSIM-Body', kind: 'clip' },
  { key: 'psnrBody', label: 'PSNR-Body', kind: 'clip' },
  { key: 'ssimBackground', label: 'SSIM-Background', kind: 'clip' },
  { key: 'psnrBackground', label: 'PSNR-Background', kind: 'clip' },
];

/** The settings the tables follow (plain data from the study's profile). */
export interface ResultSettings {
  /** Name of the profile and world seed the results belong to (for headings). */
  profileName: string;
  worldSeed: number;
  /** Seed and resamples of every bootstrap interval. */
  bootstrap: { seed: number; resamples: number };
  /** Post-training methods of the main table, in row order (the base comes first). */
  methods: string[];
  /** Splits of the main table. */
  splits: string[];
  /** Splits the sweeps are evaluated on. */
  sweepSplits: string[];
}

/** One point of an ablation sweep and the scores of the run it reads, by split (a split is absent when not run). */
export interface SweepScores {
  group: string;
  value: number;
  job: string;
  runs: Record<string, ScoredSplit>;
}

/** One point of a curve over post-training steps: a method's run (first seed) after `step` steps, by split. */
export interface StepScores {
  method: string;
  step: number;
  runs: Record<string, ScoredSplit>;
}

/** What the tables are computed from. */
export interface ResultInputs {
  settings: ResultSettings;
  /** Scores of the base model per split. */
  base: Record<string, ScoredSplit>;
  /** Scored runs of each main-table method per split: one per training seed that finished, in seed order. */
  runs: Record<string, Record<string, ScoredSplit[]>>;
  /** The ablation sweeps' points in order. */
  sweeps: SweepScores[];
  /** Snapshots of the curve methods over post-training steps (not including step 0, the base); absent: none. */
  steps?: StepScores[];
  /** The selection of implicit positives (its counts appear in the claims); absent before one is made. */
  selection?: PositivesFile;
  /** Reference features per split (absent: no FD columns). */
  reference?: Record<string, ReferenceFeatures>;
  clipFeatures?: ClipFeatureFn;
}

/** The per-clip metrics written to clips.csv, in column order. */
export const CLIP_COLUMNS = ['ssim', 'psnr', 'ssimBody', 'psnrBody', 'ssimBackground', 'psnrBackground', 'ssimHand', 'psnrHand', 'handKeypointError', 'handPck', 'handWorseShare'] as const;

/**
 * Every evaluation's per-clip scores as rows (`results/tables/clips.csv`): the base, each main-table run (method,
 * seed) and each sweep point's own run, on every split it was scored on; so every paired claim can be recomputed
 * from the repository. `seeds` are the training seeds of the main runs, in the order `inp.runs` holds them.
 */
export function clipScoreRows(inp: ResultInputs, seeds: readonly number[]): Record<string, string | number | null>[] {
  const out: Record<string, string | number | null>[] = [];
  const add = (run: string, method: string, seed: number | null, split: string, s: SplitScores) => {
    for (const c of s.clips) {
      const row: Record<string, string | number | null> = { run, method, seed, split, clip: c.clipId };
      for (const k of CLIP_COLUMNS) row[k] = c[k];
      out.push(row);
    }
  };
  for (const [split, b] of Object.entries(inp.base)) add('base', 'base', null, split, b.scores);
  for (const [method, bySplit] of Object.entries(inp.runs)) {
    for (const [split, runs] of Object.entries(bySplit)) runs.forEach((r, i) => add(`${method}.s${seeds[i]}`, method, seeds[i] ?? null, split, r.scores));
  }
  const main = new Set(Object.keys(inp.runs).flatMap((m) => seeds.map((s) => `${m}.s${s}`)));
  for (const sw of inp.sweeps) {
    if (main.has(sw.job)) continue; // a sweep point read from a main run is already there
    for (const [split, r] of Object.entries(sw.runs)) add(sw.job, `ipa-halo (${sw.group} ${sw.value})`, seeds[0] ?? null, split, r.scores);
  }
  return out;
}

/** Per-clip values of a metric, keyed by clip id (nulls dropped). */
export function clipValues(s: SplitScores, key: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const c of s.clips) {
    const v = (c as unknown as Record<string, number | null>)[key];
    if (v !== null && v !== undefined && Number.isFinite(v)) m.set(c.clipId, v);
  }
  return m;
}

/** Mean of a per-clip metric over the clips that have it (null when none does). */
export function splitMean(s: SplitScores, key: string): number | null {
  const v = [...clipValues(s, key).values()];
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/** values[seed][clip] on the clips every run has (sorted ids, so seeds align). */
function aligned(runs: SplitScores[], key: string): number[][] {
  const maps = runs.map((r) => clipValues(r, key));
  const ids = [...maps[0].keys()].filter((id) => maps.every((m) => m.has(id))).sort();
  return maps.map((m) => ids.map((id) => m.get(id) as number));
}

function rowOf(method: string, split: string, metric: string, ci: Interval | null, seeds: number): MetricRow {
  return { method, split, metric, mean: ci ? ci.mean : null, ci_low: ci ? ci.low : null, ci_high: ci ? ci.high : null, n_seeds: seeds };
}

/** The metric rows of one method (one or several seeds) on one split, for `metrics` (the main table's by default). */
export function methodRows(inp: ResultInputs, method: string, split: string, runs: ScoredSplit[], metrics: readonly MetricSpec[] = METRICS): MetricRow[] {
  const ev = inp.settings.bootstrap;
  const opts = { seed: ev.seed, resamples: ev.resamples };
  const rows: MetricRow[] = [];
  const base = inp.base[split]?.scores;
  for (const m of metrics) {
    let ci: Interval | null = null;
    if (m.kind === 'clip') {
      const v = aligned(runs.map((r) => r.scores), m.key);
      ci = v[0].length ? meanCI(v, opts) : null;
    } else if (m.kind === 'win') {
      if (!base || method === 'base') ci = null;
      else {
        const b = clipValues(base, 'ssimHand');
        const ids = [...b.keys()].sort();
        const wins = runs.map((r) => {
          const mv = clipValues(r.scores, 'ssimHand');
          return ids.map((id) => {
            const a = mv.get(id);
            const bb = b.get(id) as number;
            return a === undefined ? 0.5 : a > bb ? 1 : a === bb ? 0.5 : 0;
          });
        });
        ci = ids.length ? meanCI(wins, opts) : null;
      }
    } else {
      const ref = inp.reference?.[split];
      const feats = runs.map((r) => r.features);
      if (ref && feats.every((f): f is Float32Array => f !== null)) {
        const s0 = runs[0].scores;
        const clips = s0.clips.length;
        if (m.kind === 'fd-frame') ci = frechetCI(feats, clips, s0.framesPerClip, s0.featureDim, ref.frame, opts);
        else if (inp.clipFeatures) {
          const cf = feats.map((f) => inp.clipFeatures?.(f, clips, s0.framesPerClip) as { features: Float32Array; dim: number });
          ci = frechetCI(cf.map((c) => c.features), clips, 1, cf[0].dim, ref.clip, opts);
        }
      }
    }
    rows.push(rowOf(method, split, m.key, ci, runs.length));
  }
  return rows;
}

/** Runs of a main-table method: the base, or the finished (not skipped) jobs of that method over seeds. */
function methodRuns(inp: ResultInputs, method: string, split: string): ScoredSplit[] {
  if (method === 'base') return inp.base[split] ? [inp.base[split]] : [];
  return inp.runs[method]?.[split] ?? [];
}

/** The long-form main table: base and every method, every split, every metric. */
export function mainTable(inp: ResultInputs): MetricRow[] {
  const rows: MetricRow[] = [];
  for (const method of ['base', ...inp.settings.methods]) {
    for (const split of inp.settings.splits) {
      const runs = methodRuns(inp, method, split);
      if (runs.length) rows.push(...methodRows(inp, method, split, runs));
      else for (const m of METRICS) rows.push(rowOf(method, split, m.key, null, 0));
    }
  }
  return rows;
}

/** One point of a sweep: its value, metric rows (on the ablation splits) and the paired difference to the base. */
export interface SweepRow extends MetricRow {
  sweep: string;
  value: number;
  /** Paired difference (run - base) of a per-clip metric on the same clips and noise, with its 95% interval. */
  diff: number | null;
  diff_low: number | null;
  diff_high: number | null;
}

/**
 * The ablation sweeps (beta, hand weight, positives, annotation noise), single training seed. Next to each point's
 * mean (an interval over clips, as wide as the clips differ) its paired difference to the base, whose interval is
 * what shows a trend between points.
 */
export function sweepTable(inp: ResultInputs): SweepRow[] {
  const rows: SweepRow[] = [];
  const clipMetric = new Set(METRICS.filter((m) => m.kind === 'clip').map((m) => m.key));
  for (const pt of inp.sweeps) {
    for (const split of inp.settings.sweepSplits) {
      const s = pt.runs[split] ?? null;
      const r = s ? methodRows(inp, pt.job, split, [s]) : METRICS.map((m) => rowOf(pt.job, split, m.key, null, 0));
      for (const row of r) {
        const d = s && clipMetric.has(row.metric) ? pairedVsBase(inp, s, split, row.metric) : null;
        rows.push({ ...row, sweep: pt.group, value: pt.value, diff: d ? d.mean : null, diff_low: d ? d.low : null, diff_high: d ? d.high : null });
      }
    }
  }
  return rows;
}

/** One point of the curve over post-training steps: the metric and its paired difference to the base. */
export interface StepRow extends MetricRow {
  step: number;
  /** Paired difference (run - base) on the same clips, with its 95% interval; 0 at step 0. */
  diff: number | null;
  diff_low: number | null;
  diff_high: number | null;
}

/** The metrics of the step curves (hands and global quality). */
export const STEP_METRICS = ['ssimHand', 'psnrHand', 'handKeypointError', 'ssim'] as const;

/**
 * The curves over post-training steps: for each curve method, step 0 (the base) and every snapshot, on every
 * split it was evaluated on, the per-clip metric with its clip-bootstrap interval and the paired difference to the
 * base. One training seed: the intervals are over clips.
 */
export function stepTable(inp: ResultInputs): StepRow[] {
  const rows: StepRow[] = [];
  const pts = [...(inp.steps ?? [])].sort((a, b) => a.method.localeCompare(b.method) || a.step - b.step);
  const methods = [...new Set(pts.map((p) => p.method))];
  const specs = METRICS.filter((m) => (STEP_METRICS as readonly string[]).includes(m.key));
  for (const method of methods) {
    const mine = pts.filter((p) => p.method === method);
    const splits = [...new Set(mine.flatMap((p) => Object.keys(p.runs)))].filter((sp) => inp.base[sp]);
    for (const split of splits) {
      const series = [{ step: 0, run: inp.base[split] }, ...mine.filter((p) => p.runs[split]).map((p) => ({ step: p.step, run: p.runs[split] }))];
      for (const { step, run } of series) {
        for (const row of methodRows(inp, method, split, [run], specs)) {
          const d = step === 0 ? { mean: 0, low: 0, high: 0 } : pairedVsBase(inp, run, split, row.metric);
          rows.push({ ...row, step, diff: d ? d.mean : null, diff_low: d ? d.low : null, diff_high: d ? d.high : null });
        }
      }
    }
  }
  return rows;
}

/** Main-table rows as a wide table: one row per (method, split), 'mean [low, high]' cells. */
export function wideTable(rows: MetricRow[], digits = 3): Record<string, string>[] {
  const key = (r: MetricRow) => `${r.method}|${r.split}`;
  const out = new Map<string, Record<string, string>>();
  for (const r of rows) {
    const k = key(r);
    if (!out.has(k)) out.set(k, { method: r.method, split: r.split, seeds: String(r.n_seeds) });
    const label = METRICS.find((m) => m.key === r.metric)?.label ?? r.metric;
    (out.get(k) as Record<string, string>)[label] = r.mean === null ? '—' : `${r.mean.toFixed(digits)} [${(r.ci_low as number).toFixed(digits)}, ${(r.ci_high as number).toFixed(digits)}]`;
  }
  return [...out.values()];
}

/** Scores of clips as plain objects (for notebook tables). */
export function clipTable(s: SplitScores): ClipScores[] {
  return s.clips;
}

/**
 * The base model's quality on a split, "bodies right, hands not": full-frame, body-only and hand-region SSIM and
 * PSNR, and the share of frames whose hand region is clearly worse than the frame; means with 95% intervals.
 */
export function baseQualityRows(s: SplitScores, bootstrap: { seed: number; resamples: number }): { region: string; SSIM: string; PSNR: string }[] {
  const ev = bootstrap;
  const ci = (key: string) => {
    const v = aligned([s], key);
    return v[0].length ? meanCI(v, { seed: ev.seed, resamples: ev.resamples }) : null;
  };
  const fmt = (c: Interval | null, d = 3) => (c ? `${c.mean.toFixed(d)} [${c.low.toFixed(d)}, ${c.high.toFixed(d)}]` : '—');
  const worse = ci('handWorseShare');
  return [
    { region: 'full frame', SSIM: fmt(ci('ssim')), PSNR: fmt(ci('psnr'), 2) },
    { region: 'body (the character minus hand boxes)', SSIM: fmt(ci('ssimBody')), PSNR: fmt(ci('psnrBody'), 2) },
    { region: 'background (no character coverage)', SSIM: fmt(ci('ssimBackground')), PSNR: fmt(ci('psnrBackground'), 2) },
    { region: 'hands (ground-truth hand boxes)', SSIM: fmt(ci('ssimHand')), PSNR: fmt(ci('psnrHand'), 2) },
    { region: `frames whose hand SSIM is below the frame's by more than 0.2 (share)`, SSIM: fmt(worse), PSNR: '' },
  ];
}

/** The training log of one post-training run. */
export interface TrainingCurve {
  method: string;
  seed: number;
  records: StepRecord[];
}

/** Points of one logged metric for the curves chart: series = method (mean over the seeds that logged it). */
export function curvePoints(curves: TrainingCurve[], metric: string): { series: string; step: number; value: number }[] {
  const acc = new Map<string, { sum: number; n: number }>();
  for (const c of curves) {
    for (const r of c.records) {
      const v = r[metric];
      if (typeof v !== 'number' || !Number.isFinite(v)) continue;
      const k = `${c.method}|${r.step}`;
      const a = acc.get(k) ?? { sum: 0, n: 0 };
      a.sum += v;
      a.n++;
      acc.set(k, a);
    }
  }
  return [...acc.entries()].map(([k, a]) => {
    const [series, step] = k.split('|');
    return { series, step: Number(step), value: a.sum / a.n };
  });
}

/** The paper's ablation table (IPA and HALO on or off): base, ipa, ipa-halo on every split, key metrics. */
export function ablationRows(rows: MetricRow[]): Record<string, string>[] {
  const names: Record<string, string> = { base: 'base (no post-training)', ipa: 'IPA without HALO', 'ipa-halo': 'IPA with HALO' };
  const keys = ['ssim', 'fdFrame', 'fdClip', 'ssimHand', 'psnrHand', 'handKeypointError'];
  return wideTable(rows.filter((r) => r.method in names && keys.includes(r.metric))).map((r) => ({ ...r, method: names[r.method] ?? r.method }));
}

/** Per-clip values of a metric for a method, averaged over its seeds (clip id -> value). */
function perClipMean(inp: ResultInputs, method: string, split: string, key: string): Map<string, number> | null {
  const runs = method === 'base' ? (inp.base[split] ? [inp.base[split]] : []) : methodRuns(inp, method, split);
  if (!runs.length) return null;
  const maps = runs.map((r) => clipValues(r.scores, key));
  const out = new Map<string, number>();
  for (const id of maps[0].keys()) {
    if (maps.every((m) => m.has(id))) out.set(id, maps.reduce((s, m) => s + (m.get(id) as number), 0) / maps.length);
  }
  return out;
}

/** Paired difference a - b of a per-clip metric on a split (same clips, same noise), with a 95% interval. */
export function pairedDifference(inp: ResultInputs, a: string, b: string, split: string, key: string): (Interval & { meanA: number; meanB: number }) | null {
  const ma = perClipMean(inp, a, split, key);
  const mb = perClipMean(inp, b, split, key);
  if (!ma || !mb) return null;
  const ids = [...ma.keys()].filter((id) => mb.has(id)).sort();
  if (ids.length < 2) return null;
  const ev = inp.settings.bootstrap;
  return pairedBootstrapCI(ids.map((id) => ma.get(id) as number), ids.map((id) => mb.get(id) as number), { seed: ev.seed, resamples: ev.resamples });
}

/** Paired difference (run - base) of a per-clip metric on a split, for a run outside the main table. */
export function pairedVsBase(inp: ResultInputs, run: ScoredSplit, split: string, key: string): (Interval & { meanA: number; meanB: number }) | null {
  const b = inp.base[split];
  if (!b) return null;
  const ma = clipValues(run.scores, key);
  const mb = clipValues(b.scores, key);
  const ids = [...ma.keys()].filter((id) => mb.has(id)).sort();
  if (ids.length < 2) return null;
  const ev = inp.settings.bootstrap;
  return pairedBootstrapCI(ids.map((id) => ma.get(id) as number), ids.map((id) => mb.get(id) as number), { seed: ev.seed, resamples: ev.resamples });
}

/** One bin of test clips by hand-pixel share: a method's paired gain over another on those clips. */
export interface HandShareRow {
  split: string;
  /** 1-based, from the smallest hands. */
  bin: number;
  clips: number;
  /** Hand-pixel share of the bin's clips: smallest, mean and largest. */
  shareLow: number;
  shareMean: number;
  shareHigh: number;
  /** Paired difference a - b of the metric on the bin's clips (each method's mean over its seeds), 95% interval. */
  diff: number | null;
  diff_low: number | null;
  diff_high: number | null;
}

/**
 * HALO by hand size: the clips of a split sorted by their hand-pixel share (`shares`, clip id -> share) and cut into
 * `bins` equal-count bins, and in each the paired difference `a - b` of a per-clip metric (default: IPA+HALO - IPA,
 * SSIM-Hand). The paper's setting suggests the weighting matters more as hands get smaller.
 */
export function handShareTable(inp: ResultInputs, shares: ReadonlyMap<string, number>, split: string, opts: { bins?: number; a?: string; b?: string; metric?: string } = {}): HandShareRow[] {
  const bins = opts.bins ?? 3;
  const a = perClipMean(inp, opts.a ?? 'ipa-halo', split, opts.metric ?? 'ssimHand');
  const b = perClipMean(inp, opts.b ?? 'ipa', split, opts.metric ?? 'ssimHand');
  if (!a || !b) return [];
  const ids = [...a.keys()].filter((id) => b.has(id) && shares.has(id)).sort((x, y) => (shares.get(x) as number) - (shares.get(y) as number) || x.localeCompare(y));
  if (!(Number.isInteger(bins) && bins >= 1 && ids.length >= 2 * bins)) return [];
  const ev = inp.settings.bootstrap;
  const rows: HandShareRow[] = [];
  for (let k = 0; k < bins; k++) {
    const part = ids.slice(Math.round((k * ids.length) / bins), Math.round(((k + 1) * ids.length) / bins));
    const s = part.map((id) => shares.get(id) as number);
    const d = pairedBootstrapCI(part.map((id) => a.get(id) as number), part.map((id) => b.get(id) as number), { seed: ev.seed, resamples: ev.resamples });
    rows.push({ split, bin: k + 1, clips: part.length, shareLow: s[0], shareMean: s.reduce((x, y) => x + y, 0) / s.length, shareHigh: s[s.length - 1], diff: d.mean, diff_low: d.low, diff_high: d.high });
  }
  return rows;
}
