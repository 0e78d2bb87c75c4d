/**
 * Which of the paper's claims hold in the kit's world, computed from the stored results. A comparison "holds" when
 * the 95% interval of the paired per-clip difference (same clips, same noise, averaged over training seeds) lies
 * beyond the metric's smallest meaningful effect (MIN_EFFECT) in the paper's direction, "reverses" when it lies
 * beyond it the other way, and is "not detected" otherwise (an interval that only excludes zero by rounding-size
 * amounts is not an effect). Nothing here is typed in: every number comes from the tables.
 */
import { MetricRow, ResultInputs, SweepRow, pairedDifference } from './results';

type Verdict = 'holds' | 'reverses' | 'not detected' | 'not measured';

/** Smallest differences counted as effects: SSIM-type 0.002, PSNR 0.05 dB, keypoint error 0.05 px. */
export const MIN_EFFECT: Record<string, number> = { ssim: 0.002, ssimHand: 0.002, psnr: 0.05, psnrHand: 0.05, handKeypointError: 0.05 };

function verdict(ci: { low: number; high: number } | null, higherIsBetter: boolean, key: string): Verdict {
  if (!ci) return 'not measured';
  const m = MIN_EFFECT[key] ?? 0;
  const good = higherIsBetter ? ci.low > m : ci.high < -m;
  const bad = higherIsBetter ? ci.high < -m : ci.low > m;
  return good ? 'holds' : bad ? 'reverses' : 'not detected';
}

function fmtDiff(d: { mean: number; low: number; high: number; meanA: number; meanB: number } | null, digits = 3): string {
  if (!d) return 'not measured';
  const f = (x: number) => x.toFixed(digits);
  return `${f(d.meanA)} vs ${f(d.meanB)} (difference ${d.mean >= 0 ? '+' : ''}${f(d.mean)}, 95% CI [${f(d.low)}, ${f(d.high)}])`;
}

function sweepLine(rows: SweepRow[], sweep: string, metric: string, split: string, digits = 3): string {
  const pts = rows.filter((r) => r.sweep === sweep && r.metric === metric && r.split === split).sort((a, b) => a.value - b.value);
  const diff = (p: SweepRow) => (p.diff === null ? '' : `, ${p.diff >= 0 ? '+' : ''}${p.diff.toFixed(digits)} [${(p.diff_low as number).toFixed(digits)}, ${(p.diff_high as number).toFixed(digits)}] vs base`);
  return pts.map((p) => `${p.value}: ${p.mean === null ? '—' : `${p.mean.toFixed(digits)}${diff(p)}`}`).join('; ');
}

/** The paper's comparisons, as (a, b) pairs: a method against what it should beat. */
export const CLAIM_COMPARISONS: readonly (readonly [string, string])[] = [
  ['ipa', 'base'],
  ['ipa-halo', 'ipa'],
  ['ipa-halo', 'base'],
  ['ipa-halo', 'sft'],
  ['ipa-halo', 'sft-halo'],
  ['ipa', 'sft'], // matched optimisation: the reference term is the only difference
  ['ipa-halo', 'flow-dpo'],
  ['ipa-halo', 'flow-dpo-relaxed'],
  ['ipa-halo', 'flow-dpo-const'],
  ['ipa', 'ipa-const'], // the paper's (1 - t)^2 against a constant beta
];

/** Per-clip metrics of the claims: the hand metrics (should improve) and full-frame SSIM (should be kept). */
export const CLAIM_METRICS: readonly { key: string; higherIsBetter: boolean }[] = [
  { key: 'ssimHand', higherIsBetter: true },
  { key: 'psnrHand', higherIsBetter: true },
  { key: 'handKeypointError', higherIsBetter: false },
  { key: 'ssim', higherIsBetter: true },
];

/** One paired claim: a vs b on a split and metric (`results/tables/claims.csv`). */
export interface ClaimRow {
  comparison: string;
  a: string;
  b: string;
  split: string;
  metric: string;
  mean_a: number | null;
  mean_b: number | null;
  /** Mean paired per-clip difference a - b (training seeds averaged per clip first). */
  difference: number | null;
  ci_low: number | null;
  ci_high: number | null;
  /** The smallest difference counted as an effect (MIN_EFFECT). */
  min_effect: number;
  /** 'holds' (a better by more than min_effect), 'reverses', 'not detected', or 'not measured' (a run is missing). */
  verdict: Verdict;
}

/** Every comparison x split x claim metric, with its paired 95% interval and verdict. */
export function claimRows(inp: ResultInputs): ClaimRow[] {
  const out: ClaimRow[] = [];
  for (const [a, b] of CLAIM_COMPARISONS) {
    for (const split of inp.settings.splits) {
      for (const m of CLAIM_METRICS) {
        const d = pairedDifference(inp, a, b, split, m.key);
        out.push({
          comparison: `${a} vs ${b}`,
          a,
          b,
          split,
          metric: m.key,
          mean_a: d?.meanA ?? null,
          mean_b: d?.meanB ?? null,
          difference: d?.mean ?? null,
          ci_low: d?.low ?? null,
          ci_high: d?.high ?? null,
          min_effect: MIN_EFFECT[m.key] ?? 0,
          verdict: verdict(d, m.higherIsBetter, m.key),
        });
      }
    }
  }
  return out;
}

/** The claims section as Markdown. */
export function claimsMarkdown(inp: ResultInputs, rows: MetricRow[], sweeps: SweepRow[]): string {
  const p = inp.settings;
  const hands = p.splits.includes('test-hands') ? 'test-hands' : p.splits[0];
  const general = p.splits.includes('test-general') ? 'test-general' : p.splits[0];
  const lines: string[] = [`# Which of the paper's claims hold (profile \`${p.profileName}\`, world seed ${p.worldSeed})`, ''];
  const compare = (a: string, b: string, split: string, key: string, higher: boolean) => {
    const d = pairedDifference(inp, a, b, split, key);
    return { d, v: verdict(d, higher, key) };
  };

  lines.push('## Hands improve: IPA+HALO > IPA > base (paired per-clip differences)', '');
  for (const [key, label, higher] of [['ssimHand', 'SSIM-Hand', true], ['psnrHand', 'PSNR-Hand', true], ['handKeypointError', 'hand keypoint error (px)', false]] as const) {
    for (const [a, b] of [['ipa', 'base'], ['ipa-halo', 'ipa'], ['ipa-halo', 'base']] as const) {
      const { d, v } = compare(a, b, hands, key, higher);
      lines.push(`- ${label} on \`${hands}\`, ${a} vs ${b}: **${v}** — ${fmtDiff(d, key === 'psnrHand' || key === 'handKeypointError' ? 2 : 3)}`);
    }
  }
  lines.push('', '## Global quality is kept (full-frame SSIM, paired; FD-frame from the main table)', '');
  for (const split of [general, hands]) {
    for (const m of ['ipa', 'ipa-halo']) {
      const { d } = compare(m, 'base', split, 'ssim', true);
      const v = verdict(d, true, 'ssim');
      const kept = v === 'holds' ? 'improves' : v === 'reverses' ? 'drops' : v === 'not detected' ? 'kept (no detectable change)' : 'not measured';
      const fd = (meth: string) => rows.find((r) => r.method === meth && r.split === split && r.metric === 'fdFrame');
      const f = (r: MetricRow | undefined) => (r && r.mean !== null ? `${r.mean.toFixed(3)} [${(r.ci_low as number).toFixed(3)}, ${(r.ci_high as number).toFixed(3)}]` : '—');
      lines.push(`- \`${split}\`, ${m} vs base: SSIM **${kept}** — ${fmtDiff(d)}; FD-frame ${f(fd(m))} vs base ${f(fd('base'))}`);
    }
  }
  lines.push('', '## Baselines (paired, SSIM-Hand)', '');
  for (const m of ['sft', 'sft-halo', 'flow-dpo', 'flow-dpo-relaxed', 'flow-dpo-const']) {
    const { d, v } = compare('ipa-halo', m, hands, 'ssimHand', true);
    lines.push(`- \`${hands}\`, ipa-halo vs ${m}: **${v}** — ${fmtDiff(d)}`);
  }
  for (const [a, b] of [['ipa', 'sft'], ['ipa', 'ipa-const']] as const) {
    const { d, v } = compare(a, b, hands, 'ssimHand', true);
    lines.push(`- \`${hands}\`, ${a} vs ${b}: **${v}** — ${fmtDiff(d)}`);
  }
  const abl = p.sweepSplits[0];
  lines.push('', `## Trends (single training seed, \`${abl}\`)`, '');
  lines.push(`- beta (the paper: 200 overfits, 1000 barely moves, 600 best), SSIM-Hand: ${sweepLine(sweeps, 'beta', 'ssimHand', abl)}`);
  lines.push(`- beta, full-frame SSIM: ${sweepLine(sweeps, 'beta', 'ssim', abl)}`);
  lines.push(`- hand weight (the paper: 0.1 -> 10 improves, 100 hurts global quality), SSIM-Hand: ${sweepLine(sweeps, 'hand-weight', 'ssimHand', abl)}`);
  lines.push(`- hand weight, full-frame SSIM: ${sweepLine(sweeps, 'hand-weight', 'ssim', abl)}`);
  const positivePoints = sweeps.filter((r) => r.sweep === 'positives' && r.metric === 'ssimHand' && r.split === abl).length;
  lines.push(`- number of positives, SSIM-Hand: ${positivePoints > 1 ? sweepLine(sweeps, 'positives', 'ssimHand', abl) : 'not swept in this profile (the extended profile\'s annotation-cost curve, notebook 07, trains every method on budgets of judged inputs)'}`);
  lines.push(`- annotation noise (share of judgments flipped), SSIM-Hand: ${sweepLine(sweeps, 'noise', 'ssimHand', abl)}`);

  const pos = inp.selection;
  if (pos) {
    const c = pos.cases;
    lines.push('', '## Strict pairs are rare', '');
    lines.push(
      `- ${pos.goodCount} of ${pos.candidatesCount} candidates judged good (${(100 * pos.acceptanceRate).toFixed(2)}%; the paper kept 93 of 6,000, 1.55%); ${pos.positives.length} positives.`,
      `- Case shares over ${c.judgedPairs} judged pairs: Case 1 ${(100 * c.shares.case1).toFixed(1)}%, Case 2 ${(100 * c.shares.case2).toFixed(1)}%, Case 3 ${(100 * c.shares.case3).toFixed(1)}%, Case 4 ${(100 * c.shares.case4).toFixed(1)}%.`,
      `- Positives that belong to a strict pair: ${c.positivesInStrictPairs} of ${c.positives}${c.pairableShare === null ? '' : ` (${(100 * c.pairableShare).toFixed(1)}%; the paper: 7 of 93, 7.5%)`}.`,
    );
  }
  return `${lines.join('\n')}\n`;
}
