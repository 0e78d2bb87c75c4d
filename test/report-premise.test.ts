/** The premise table, the spread figure's data and the pick of the input shown in the candidates grid, on hand-made judgments. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { renderVegaLite } from '../src/report/figures';
import {
  PREMISE_TARGETS, PremiseRow, candidateRows, handSpreadChart, handSpreadPoints, inputSpreads, modeRows, premiseRows, targetMet, targetText, widestInput,
} from '../src/report/premise';
import { tableToMarkdown } from '../src/report/tables';
import { caseAnalysis } from '../src/select/cases';
import { FrameMark, HandEvidence, VideoJudgment } from '../src/select/judge';
import { premiseReport } from '../src/select/premise';

const close = (a: number | null, b: number, tol = 1e-12): void => {
  assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} != ${b}`);
};

/** A candidate judged from its frame marks (verdict as judge.ts gives it) with a hand score. */
function video(id: string, marks: FrameMark[], score: number | null): VideoJudgment {
  const judged = marks.filter((m) => m !== 'unjudged').length;
  const good = marks.filter((m) => m === 'good').length;
  const verdict = judged === 0 ? 'unjudged' : good === judged ? 'good' : 'bad';
  return { id, inputId: id.split('#')[0], marks, verdict, judgedFrames: judged, goodFrames: good, score };
}

const G: FrameMark[] = ['good', 'good'];
const B: FrameMark[] = ['bad', 'bad'];
const M: FrameMark[] = ['good', 'bad'];

// Input a: an all-good and an all-bad candidate (a strict pair), scores 1 and 3; input b: two all-bad, 5 and 7.
// Scores as in select-premise.test.ts: sigma_w^2 = 2, sigma_b^2 = 7, within share 2/9.
const TWO = [video('a#0', G, 1), video('a#1', B, 3), video('b#0', B, 5), video('b#1', B, 7)];

const row = (rows: PremiseRow[], metric: string): PremiseRow => {
  const r = rows.find((x) => x.metric.startsWith(metric));
  assert.ok(r, `no row '${metric}'`);
  return r;
};

describe('premise table', () => {
  it('splits the candidates by mode region: mean hand score, acceptance, and the variance the region explains', () => {
    // Modes: a#0 -1 and b#0 -0.5 clean (scores 1, 5; a#0 good), a#1 and b#1 defective (3, 7; both bad).
    const mode: Record<string, number> = { 'a#0': -1, 'a#1': 2, 'b#0': -0.5, 'b#1': 0.1 };
    const rows = modeRows(TWO, { modeOf: (id) => mode[id], threshold: 0 });
    assert.deepEqual(rows.map((r) => [r.metric, r.value, r.count, r.of]), [
      ['clean-mode candidates: mean hand score', 3, 2, 2],
      ['clean-mode candidates: acceptance', 0.5, 1, 2],
      ['defective-mode candidates: mean hand score', 5, 2, 2],
      ['defective-mode candidates: acceptance', 0, 0, 2],
      // Mean 4; total sum of squares 9 + 1 + 1 + 9 = 20; between 2 * 1 + 2 * 1 = 4: 4 / 20.
      ['share of hand-score variance the mode region explains', 0.2, null, null],
    ]);
    const withModes = premiseRows(TWO, caseAnalysis(TWO), undefined, { modeOf: (id) => mode[id], threshold: 0 });
    assert.equal(withModes.length, premiseRows(TWO, caseAnalysis(TWO)).length + 5);
    assert.throws(() => modeRows(TWO, { modeOf: () => 0, threshold: Number.NaN }), /threshold must be finite/);
  });

  it('adds the frame-level rows when the evidence is given (no targets: diagnostics)', () => {
    const ev = (id: string, inputId: string, frames: number[]): HandEvidence => ({ id, inputId, hands: frames.map((x) => [{ ssim: x, psnr: 20 }, null]) });
    const evidence = [ev('a#0', 'a', [0.6, 0.6]), ev('a#1', 'a', [0.4, 0.4])];
    const rows = premiseRows(TWO, caseAnalysis(TWO), evidence);
    assert.equal(rows.length, premiseRows(TWO, caseAnalysis(TWO)).length + 2);
    close(row(rows, 'frame level: within-input share').value, 1);
    const corr = row(rows, "frame level: correlation of a candidate's deviations");
    close(corr.value, 1);
    assert.deepEqual([corr.target, corr.met], ['', '']);
  });

  it('builds the rows worked by hand, each share next to its target', () => {
    const rows = premiseRows(TWO, caseAnalysis(TWO));
    assert.deepEqual(row(rows, 'inputs'), { metric: 'inputs', value: 2, count: null, of: null, target: '', met: '' });
    assert.deepEqual(row(rows, 'candidates'), { metric: 'candidates (with a visible hand: count)', value: 4, count: 4, of: 4, target: '', met: '' });
    const within = row(rows, 'within-input share');
    close(within.value, 2 / 9);
    assert.deepEqual([within.target, within.met], ['>= 30%', 'no']);
    close(row(rows, 'hand-score sd within').value, Math.SQRT2);
    close(row(rows, 'hand-score sd between').value, Math.sqrt(7));
    // a has a good and a bad candidate, b only bad: 1 of 2 inputs.
    assert.deepEqual(row(rows, 'inputs with a good and a bad'), { metric: 'inputs with a good and a bad candidate', value: 0.5, count: 1, of: 2, target: '>= 10%', met: 'yes' });
    // Pairs: (a#0, a#1) Case 4, (b#0, b#1) Case 2.
    assert.deepEqual(row(rows, 'strict'), { metric: 'strict (Case 4) pairs among judged pairs', value: 0.5, count: 1, of: 2, target: '>= 2%', met: 'yes' });
    // 1 good of 4 judged: 25%, above the 20% ceiling.
    assert.deepEqual(row(rows, 'acceptance'), { metric: 'acceptance (judged good)', value: 0.25, count: 1, of: 4, target: '2% to 20% (paper: 1.55%)', met: 'no' });
    const md = tableToMarkdown(rows);
    assert.match(md, /^\| metric \| value \| count \| of \| target \| met \|/);
    assert.match(md, /\| within-input share of hand-score variance \| 0\.2222 \| {2}\| {2}\| >= 30% \| no \|/);
  });

  it('meets the within-share target when the noise decides the hands, and says no when nothing can be measured', () => {
    const noise = [video('a#0', G, 1), video('a#1', B, 3), video('b#0', G, 1), video('b#1', M, 3)];
    const rows = premiseRows(noise, caseAnalysis(noise));
    assert.deepEqual([row(rows, 'within-input share').value, row(rows, 'within-input share').met], [1, 'yes']);
    // b: a good and a mixed (bad) candidate: both inputs have a good and a bad candidate; b's pair is Case 3.
    assert.deepEqual([row(rows, 'inputs with a good and a bad').value, row(rows, 'strict').count, row(rows, 'strict').of], [1, 1, 2]);
    const blind = [video('a#0', ['unjudged'], null), video('b#0', ['unjudged'], null)];
    const none = premiseRows(blind, caseAnalysis(blind));
    for (const m of ['within-input share', 'inputs with a good and a bad', 'strict', 'acceptance']) assert.deepEqual([row(none, m).value, row(none, m).met], [null, 'no'], m);
  });

  it('rejects a case report of other judgments or with counts that are not its judged pairs', () => {
    const other = caseAnalysis([...TWO, video('c#0', G, 2)]);
    assert.throws(() => premiseRows(TWO, other), /case report has 3 inputs but the judgments 2/);
    const c = caseAnalysis(TWO);
    assert.throws(() => premiseRows(TWO, { ...c, counts: { ...c.counts, case4: 2 } }), /do not add up to the 2 judged pairs/);
    assert.throws(() => premiseRows(TWO, { ...c, judgedPairs: -1 }), /non-negative integers/);
  });

  it('writes targets as text and tests them at their bounds', () => {
    assert.equal(targetText(PREMISE_TARGETS.withinShare), '>= 30%');
    assert.equal(targetText({ max: 0.5 }), '<= 50%');
    const t = PREMISE_TARGETS.acceptance;
    assert.deepEqual([0.0199, 0.02, 0.2, 0.2001, NaN].map((v) => targetMet(v, t)), ['no', 'yes', 'yes', 'no', 'no']);
  });
});

describe('premise figures: data', () => {
  // a: scores 0.2, 0.4 (range 0.2); b: 0.1, 0.9, 0.5 (range 0.8, mean 0.5); c: one scored candidate, 0.95;
  // d: no visible hand at all.
  const J = [
    video('b#0', B, 0.1), video('b#1', G, 0.9), video('b#2', M, 0.5),
    video('a#1', B, 0.4), video('a#0', B, 0.2),
    video('c#0', G, 0.95), video('c#1', ['unjudged'], null),
    video('d#0', ['unjudged'], null),
  ];

  it('ranks inputs by mean hand score and gives one point per scored candidate', () => {
    assert.deepEqual(inputSpreads(J).map((s) => [s.inputId, s.n, s.min, s.max]), [['a', 2, 0.2, 0.4], ['b', 3, 0.1, 0.9], ['c', 1, 0.95, 0.95]]);
    assert.deepEqual(
      handSpreadPoints(J).map((p) => [p.rank, p.id, p.score, p.verdict]),
      [[1, 'a#0', 0.2, 'bad'], [1, 'a#1', 0.4, 'bad'], [2, 'b#0', 0.1, 'bad'], [2, 'b#1', 0.9, 'good'], [2, 'b#2', 0.5, 'bad'], [3, 'c#0', 0.95, 'good']],
    );
  });

  it('picks the input whose candidates spread most (two scored candidates needed; ties: first id)', () => {
    assert.equal(widestInput(J), 'b');
    assert.equal(widestInput([video('y#0', G, 0.5), video('y#1', B, 0.25), video('x#0', G, 0.75), video('x#1', B, 0.5)]), 'x');
    assert.equal(widestInput([video('c#0', G, 0.95), video('d#0', ['unjudged'], null)]), null);
  });

  it('lists the picked input\'s candidates best first, labelled with number, verdict and score', () => {
    assert.deepEqual(candidateRows(J), { inputId: 'b', rows: [{ id: 'b#1', label: '#1 good 0.90' }, { id: 'b#2', label: '#2 bad 0.50' }, { id: 'b#0', label: '#0 bad 0.10' }] });
    assert.deepEqual(candidateRows(J, 'c')?.rows.map((r) => r.label), ['#0 good 0.95', '#1 unjudged —']);
    assert.equal(candidateRows([video('d#0', ['unjudged'], null)]), null);
    assert.throws(() => candidateRows(J, 'zz'), /no judgment of input 'zz'/);
  });

  it('renders the spread chart with the within share in its title', async () => {
    const points = handSpreadPoints(J);
    const spec = handSpreadChart(points, premiseReport(J).handScore);
    assert.deepEqual((spec.data as { values: unknown[] }).values, points);
    const share = premiseReport(J).handScore?.withinShare as number;
    const fig = await renderVegaLite(spec, { scale: 1 });
    assert.ok(fig.svg.includes(`within-input share of variance ${(100 * share).toFixed(1)}% (target &gt;= 30%)`), 'title with the share');
    assert.equal(fig.svg.match(/<path[^>]*aria-roledescription="point"/g)?.length, points.length, 'one point per scored candidate');
    assert.match((await renderVegaLite(handSpreadChart([], null), { scale: 1 })).svg, /too few scores/);
  });
});
