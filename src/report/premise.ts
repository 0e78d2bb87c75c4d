/**
 * The premise table and figures (pure functions of the candidates' judgments): does the base model's hand quality
 * vary between samples of the same input, as implicit positives need? The metrics are select/premise.ts's
 * (`premiseReport`) and the strict-pair share of the Case 1-4 report (select/cases.ts), each next to its target
 * (issue 13, section 2; docs/design.md, "Premise metrics"). The figures show the per-candidate hand scores of
 * every input (within vs between spread) and pick the input whose candidates differ most, for the grid of its
 * candidates' hands next to the ground truth.
 */
import type { VegaLiteSpec } from './figures';
import type { CaseReport } from '../select/cases';
import type { HandEvidence, Verdict, VideoJudgment } from '../select/judge';
import { VarianceComponents, framePremise, premiseReport } from '../select/premise';

/** A target on a share: met when min <= value <= max (either bound may be absent). */
export interface ShareTarget {
  min?: number;
  max?: number;
  /** The paper's value, where it reports one. */
  paper?: number;
}

/** The premise targets (plain data; issue 13, section 2). */
export const PREMISE_TARGETS = {
  /** Within-input share of the variance of per-candidate hand scores: at least 30% (the first DiT base: 0.5%). */
  withinShare: { min: 0.3 },
  /** Inputs with both a good and a bad candidate, of the inputs with >= 2 judged candidates: at least 10%. */
  goodAndBadShare: { min: 0.1 },
  /** Strict (Case 4) pairs, of the judged candidate pairs: at least 2% (the first DiT base: 0 of 1,536). */
  strictPairShare: { min: 0.02 },
  /** Acceptance (judged good, of the judged candidates): 2% to 20%; the paper kept 93 of 6,000 (1.55%). */
  acceptance: { min: 0.02, max: 0.2, paper: 93 / 6000 },
} as const satisfies Record<string, ShareTarget>;

/** One row of the premise table: a metric, its value, the count behind a share (`count` of `of`), its target. */
export interface PremiseRow {
  metric: string;
  value: number | null;
  count: number | null;
  of: number | null;
  /** The target as text ('' for a metric without one). */
  target: string;
  /** 'yes' / 'no' against the target ('no' when the value cannot be measured), '' without a target. */
  met: 'yes' | 'no' | '';
}

/** A share target as text: '>= 30%', '2% to 20% (paper: 1.55%)'. */
export function targetText(t: ShareTarget): string {
  const pct = (x: number): string => `${Number((100 * x).toPrecision(3))}%`;
  const range = t.min !== undefined && t.max !== undefined ? `${pct(t.min)} to ${pct(t.max)}` : t.min !== undefined ? `>= ${pct(t.min)}` : t.max !== undefined ? `<= ${pct(t.max)}` : '';
  return t.paper === undefined ? range : `${range} (paper: ${pct(t.paper)})`;
}

/** Whether a value meets a share target ('no' for a value that could not be measured). */
export function targetMet(value: number | null, t: ShareTarget): 'yes' | 'no' {
  if (value === null || !Number.isFinite(value)) return 'no';
  return (t.min === undefined || value >= t.min) && (t.max === undefined || value <= t.max) ? 'yes' : 'no';
}

/** The part of the Case 1-4 report the premise table reads. */
export type PremiseCases = Pick<CaseReport, 'inputs' | 'judgedPairs' | 'counts'>;

/** A row without a target. */
function plain(metric: string, value: number | null, count: number | null = null, of: number | null = null): PremiseRow {
  return { metric, value, count, of, target: '', met: '' };
}

/**
 * The premise table's rows from the candidates' judgments and their Case 1-4 report (the same judgments'): inputs,
 * candidates, the within-input share of hand-score variance with the sd within and between inputs, inputs with a
 * good and a bad candidate, strict (Case 4) pairs, acceptance, each share next to its target. Throws when the two
 * disagree on the number of inputs or the case counts are not counts of the judged pairs. With the judge's evidence,
 * two frame-level diagnostics follow (no targets).
 */
export function premiseRows(judgments: readonly VideoJudgment[], cases: PremiseCases, evidence?: readonly HandEvidence[], modes?: ModeRegions): PremiseRow[] {
  const r = premiseReport(judgments);
  const counts = [cases.judgedPairs, cases.counts.case1, cases.counts.case2, cases.counts.case3, cases.counts.case4];
  if (!counts.every((n) => Number.isInteger(n) && n >= 0)) throw new Error('premiseRows: the case report\'s judgedPairs and counts must be non-negative integers');
  if (cases.counts.case1 + cases.counts.case2 + cases.counts.case3 + cases.counts.case4 !== cases.judgedPairs) {
    throw new Error(`premiseRows: the case counts do not add up to the ${cases.judgedPairs} judged pairs`);
  }
  if (cases.inputs !== r.inputs) throw new Error(`premiseRows: the case report has ${cases.inputs} inputs but the judgments ${r.inputs} (not the same selection?)`);
  const T = PREMISE_TARGETS;
  const v: VarianceComponents | null = r.handScore;
  const strictShare = cases.judgedPairs ? cases.counts.case4 / cases.judgedPairs : null;
  const share = (metric: string, value: number | null, count: number | null, of: number | null, t: ShareTarget): PremiseRow => ({ metric, value, count, of, target: targetText(t), met: targetMet(value, t) });
  return [
    plain('inputs', r.inputs),
    plain('candidates (with a visible hand: count)', r.candidates, r.scored, r.candidates),
    share('within-input share of hand-score variance', v?.withinShare ?? null, null, null, T.withinShare),
    plain('hand-score sd within inputs', v ? Math.sqrt(v.within) : null),
    plain('hand-score sd between inputs', v ? Math.sqrt(v.between) : null),
    share('inputs with a good and a bad candidate', r.goodAndBadShare, r.inputsWithGoodAndBad, r.inputsJudged, T.goodAndBadShare),
    share('strict (Case 4) pairs among judged pairs', strictShare, cases.counts.case4, cases.judgedPairs, T.strictPairShare),
    share('acceptance (judged good)', r.acceptance, r.good, r.judged, T.acceptance),
    ...(evidence ? frameRows(evidence) : []),
    ...(modes ? modeRows(judgments, modes) : []),
  ];
}

/** How a mode-noise base's candidates fall into mode regions: each candidate's mode, and the defective region's start. */
export interface ModeRegions {
  /** The mode noise the candidate was sampled with (model/mode.ts sampleMode of its sampling seed and id). */
  modeOf: (id: string) => number;
  /** Modes above this are the defective region (model/mode.ts modeThreshold of the base's modeShare). */
  threshold: number;
}

/**
 * Does the noise decide? For a mode-noise base: the candidates in the clean and the defective mode region, each with
 * its mean hand score and acceptance, and the share of the hand-score variance the region explains (between-region
 * variance over total, candidates with a score).
 */
export function modeRows(judgments: readonly VideoJudgment[], modes: ModeRegions): PremiseRow[] {
  if (!Number.isFinite(modes.threshold)) throw new Error(`modeRows: threshold must be finite, got ${modes.threshold}`);
  const regions = { clean: [] as VideoJudgment[], defective: [] as VideoJudgment[] };
  for (const j of judgments) regions[modes.modeOf(j.id) > modes.threshold ? 'defective' : 'clean'].push(j);
  const scored = (js: VideoJudgment[]) => js.map((j) => j.score).filter((x): x is number => x !== null);
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);
  const all = scored([...regions.clean, ...regions.defective]);
  const mu = mean(all);
  let explained: number | null = null;
  if (mu !== null && all.length > 1) {
    const total = all.reduce((a, x) => a + (x - mu) ** 2, 0);
    const between = (['clean', 'defective'] as const).reduce((a, r) => {
      const xs = scored(regions[r]);
      const m = mean(xs);
      return m === null ? a : a + xs.length * (m - mu) ** 2;
    }, 0);
    explained = total > 0 ? between / total : null;
  }
  const rows: PremiseRow[] = [];
  for (const r of ['clean', 'defective'] as const) {
    const js = regions[r];
    const judged = js.filter((j) => j.verdict !== 'unjudged');
    const good = judged.filter((j) => j.verdict === 'good').length;
    rows.push(plain(`${r}-mode candidates: mean hand score`, mean(scored(js)), scored(js).length, js.length));
    rows.push(plain(`${r}-mode candidates: acceptance`, judged.length ? good / judged.length : null, good, judged.length));
  }
  rows.push(plain('share of hand-score variance the mode region explains', explained));
  return rows;
}

/** The frame-level diagnostics (select/premise.ts framePremise): where the variation is, and whether a video keeps it. */
function frameRows(evidence: readonly HandEvidence[]): PremiseRow[] {
  const f = framePremise(evidence);
  return [
    plain('frame level: within-input share of per-frame hand-score variance', f.frame?.withinShare ?? null),
    plain("frame level: correlation of a candidate's deviations across its frames", f.crossFrameCorrelation),
  ];
}

/** Code-unit order of two ids (the order of the stored files). */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The hand scores of one input's candidates (those with a visible hand). */
export interface InputSpread {
  inputId: string;
  /** Candidates with a score, and their mean, lowest and highest score. */
  n: number;
  mean: number;
  min: number;
  max: number;
}

/** Per-input hand-score spread, sorted by the input's mean score (ties by input id); inputs without a score are left out. */
export function inputSpreads(judgments: readonly VideoJudgment[]): InputSpread[] {
  const by = new Map<string, number[]>();
  for (const j of judgments) {
    if (j.score === null) continue;
    if (!Number.isFinite(j.score)) throw new Error(`inputSpreads: judgment '${j.id}' has a non-finite score ${j.score}`);
    const g = by.get(j.inputId);
    if (g) g.push(j.score);
    else by.set(j.inputId, [j.score]);
  }
  const out = [...by.entries()].map(([inputId, s]) => ({ inputId, n: s.length, mean: s.reduce((a, x) => a + x, 0) / s.length, min: Math.min(...s), max: Math.max(...s) }));
  return out.sort((a, b) => a.mean - b.mean || compare(a.inputId, b.inputId));
}

/**
 * The input whose candidates' hand scores spread the most (highest max - min over >= 2 scored candidates; ties:
 * the first input id); null when no input has two scored candidates.
 */
export function widestInput(judgments: readonly VideoJudgment[]): string | null {
  let best: InputSpread | null = null;
  for (const s of inputSpreads(judgments)) {
    if (s.n < 2) continue;
    const range = s.max - s.min;
    const bestRange = best ? best.max - best.min : -1;
    if (range > bestRange || (best && range === bestRange && s.inputId < best.inputId)) best = s;
  }
  return best ? best.inputId : null;
}

/** One candidate of the spread figure: its input's rank (1 = lowest mean), its hand score and verdict. */
export interface HandSpreadPoint {
  rank: number;
  inputId: string;
  id: string;
  score: number;
  verdict: Verdict;
}

/** The points of the spread figure: every scored candidate, its input ranked by mean score (inputSpreads' order). */
export function handSpreadPoints(judgments: readonly VideoJudgment[]): HandSpreadPoint[] {
  const rank = new Map(inputSpreads(judgments).map((s, i) => [s.inputId, i + 1]));
  return judgments
    .filter((j) => j.score !== null)
    .map((j) => ({ rank: rank.get(j.inputId) as number, inputId: j.inputId, id: j.id, score: j.score as number, verdict: j.verdict }))
    .sort((a, b) => a.rank - b.rank || compare(a.id, b.id));
}

const FONT = { config: { font: 'Helvetica, Arial, sans-serif', view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 } } };
const percent = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : `${(100 * x).toFixed(1)}%`);

/**
 * Per-input spread of hand scores: one point per candidate (colour: the judge's verdict), x = its input ranked by
 * mean score, a grey rule from the input's lowest to highest candidate (the within-input spread) and a line
 * through the input means (the between-input spread); the title gives the within-input share of variance.
 */
export function handSpreadChart(points: readonly HandSpreadPoint[], components: VarianceComponents | null): VegaLiteSpec {
  const inputs = new Set(points.map((p) => p.inputId)).size;
  const sd = components ? `sd within inputs ${Math.sqrt(components.within).toFixed(3)}, between ${Math.sqrt(components.between).toFixed(3)}` : 'too few scores for variance components';
  const x = { field: 'rank', type: 'quantitative', title: `input (${inputs}, sorted by the mean hand score of its candidates)`, scale: { domain: [0, inputs + 1], nice: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: `Hand score of every candidate: within-input share of variance ${percent(components?.withinShare)} (target ${targetText(PREMISE_TARGETS.withinShare)})`,
      subtitle: `grey: each input's range; line: the input means; ${sd}`,
    },
    width: 560,
    height: 240,
    data: { values: points },
    layer: [
      { mark: { type: 'rule', color: '#bbbbbb' }, encoding: { x, y: { aggregate: 'min', field: 'score', type: 'quantitative' }, y2: { aggregate: 'max', field: 'score' } } },
      { mark: { type: 'line', color: '#333333', strokeWidth: 1 }, encoding: { x, y: { aggregate: 'mean', field: 'score', type: 'quantitative' } } },
      {
        mark: { type: 'point', filled: true, size: 18, opacity: 0.8 },
        encoding: {
          x,
          y: { field: 'score', type: 'quantitative', title: 'candidate hand score (mean SSIM-Hand)', scale: { zero: false } },
          color: { field: 'verdict', type: 'nominal', title: 'judge', scale: { domain: ['good', 'bad', 'unjudged'], range: ['#28aa3c', '#d72828', '#aaaaaa'] } },
          tooltip: [{ field: 'id' }, { field: 'score', format: '.3f' }, { field: 'verdict' }],
        },
      },
    ],
    ...FONT,
  };
}

/** A row of the candidates grid: a candidate id and its label. */
export interface CandidateRow {
  id: string;
  label: string;
}

/**
 * The candidates of one input for the grid next to the ground truth (default input: `widestInput`), best hand
 * score first (unscored last), each labelled with its candidate number, verdict and score; null when there is no
 * such input.
 */
export function candidateRows(judgments: readonly VideoJudgment[], inputId: string | null = widestInput(judgments)): { inputId: string; rows: CandidateRow[] } | null {
  if (inputId === null) return null;
  const mine = judgments.filter((j) => j.inputId === inputId);
  if (!mine.length) throw new Error(`candidateRows: no judgment of input '${inputId}'`);
  const sorted = [...mine].sort((a, b) => (b.score ?? -Infinity) - (a.score ?? -Infinity) || compare(a.id, b.id));
  return {
    inputId,
    rows: sorted.map((j) => {
      const k = /#(\d+)$/.exec(j.id);
      const name = k ? `#${k[1]}` : j.id;
      return { id: j.id, label: `${name} ${j.verdict} ${j.score === null ? '—' : j.score.toFixed(2)}` };
    }),
  };
}
