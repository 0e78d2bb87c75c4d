// The README's result tables, made from the committed tables only (issue 31: "the README's results regenerated from
// the committed tables"): prints Markdown for the main table (main-wide.csv, a subset of its columns), the paper's
// orderings and every SSIM-Hand comparison (claims.csv), and, for an extended run, the drift measures at each run's
// last step against its base and the regime's IPA-vs-SFT contrasts (drift-measures.csv, drift-measure-contrasts.csv).
// Usage: node research/kit/readme-tables.js main RESULTS_DIR [OLD_RESULTS_DIR [OLD_LABEL]]   (OLD: a second claims
//        column, headed OLD_LABEL, default 'the full-body base')
//        node research/kit/readme-tables.js extended RESULTS_DIR
//        node research/kit/readme-tables.js iterate RESULTS_DIR   (iterate.csv, iterate-measures.csv,
//        iterate-contrasts.csv, iterate-quality.csv: per round and seed, and the last round's pooled contrasts)
const fs = require('fs');
const path = require('path');

/** Parse a CSV with quoted fields (no newlines inside fields). */
function readCsv(file) {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const split = (l) => {
    const out = [];
    let cur = '';
    let q = false;
    for (const ch of l) {
      if (ch === '"') q = !q;
      else if (ch === ',' && !q) {
        out.push(cur);
        cur = '';
      } else cur += ch;
    }
    out.push(cur);
    return out;
  };
  const head = split(lines[0]);
  return lines.slice(1).map((l) => Object.fromEntries(split(l).map((v, i) => [head[i], v])));
}

const sign = (x, d = 3) => `${x >= 0 ? '+' : ''}${x.toFixed(d)}`;
const ci = (r, d = 3) => `${sign(Number(r.difference), d)} [${Number(r.ci_low).toFixed(d)}, ${Number(r.ci_high).toFixed(d)}]`;

function mainTables(dir, oldDir, oldLabel = 'the full-body base') {
  const wide = readCsv(path.join(dir, 'tables', 'main-wide.csv'));
  const cols = ['SSIM', 'SSIM-Hand', 'PSNR-Hand', 'Hand kp error (px)', 'FD-frame (FID-VID stand-in)', 'Win rate vs base (hands)'];
  const out = [`| method | split | seeds | ${cols.join(' | ')} |`, `|---|---|---|${cols.map(() => '---').join('|')}|`];
  for (const r of wide) out.push(`| ${r.method} | ${r.split} | ${r.seeds} | ${cols.map((c) => r[c]).join(' | ')} |`);
  out.push('');
  const claims = readCsv(path.join(dir, 'tables', 'claims.csv'));
  const old = oldDir ? readCsv(path.join(oldDir, 'tables', 'claims.csv')) : null;
  const find = (rows, a, b, split, metric) => rows?.find((r) => r.a === a && r.b === b && r.split === split && r.metric === metric);
  const orderings = [
    ['ipa', 'base', 'IPA > base'],
    ['ipa-halo', 'ipa', 'IPA+HALO > IPA'],
    ['ipa-halo', 'sft-halo', 'IPA+HALO > SFT+HALO'],
    ['ipa', 'sft', 'IPA > SFT (the reference term alone)'],
    ['ipa-halo', 'flow-dpo', 'IPA+HALO > Flow-DPO (strict pairs)'],
    ['ipa-halo', 'sft', 'IPA+HALO > SFT'],
    ['ipa-halo', 'flow-dpo-relaxed', 'IPA+HALO > Flow-DPO (relaxed pairs)'],
    ['ipa-halo', 'flow-dpo-const', 'IPA+HALO > Flow-DPO (constant beta)'],
    ['ipa', 'ipa-const', 'IPA > IPA-const ((1 - t)^2 against a constant beta)'],
  ];
  out.push(`| ordering (SSIM-Hand) | \`test-hands\` | \`test-general\` |${old ? ` ${oldLabel}, \`test-hands\` |` : ''}`);
  out.push(`|---|---|---|${old ? '---|' : ''}`);
  for (const [a, b, label] of orderings) {
    const cell = (rows, split) => {
      const r = find(rows, a, b, split, 'ssimHand');
      return r ? `**${r.verdict}** ${ci(r)}` : '—';
    };
    out.push(`| ${label} | ${cell(claims, 'test-hands')} | ${cell(claims, 'test-general')} |${old ? ` ${cell(old, 'test-hands')} |` : ''}`);
  }
  const ssim = (a, split) => find(claims, a, 'base', split, 'ssim');
  out.push('');
  for (const split of ['test-general', 'test-hands']) {
    for (const a of ['ipa', 'ipa-halo']) {
      const r = ssim(a, split);
      if (r) out.push(`- full-frame SSIM, ${a} vs base, \`${split}\`: **${r.verdict}** ${ci(r)}`);
    }
  }
  const verdicts = {};
  for (const r of claims) verdicts[r.verdict] = (verdicts[r.verdict] ?? 0) + 1;
  out.push(`- all ${claims.length} claims: ${Object.entries(verdicts).map(([v, n]) => `${n} ${v}`).join(', ')}`);
  return out.join('\n');
}

function extendedTables(dir) {
  const rows = readCsv(path.join(dir, 'tables', 'drift-measures.csv'));
  const con = readCsv(path.join(dir, 'tables', 'drift-measure-contrasts.csv'));
  const f4 = (x) => (x === '' ? '—' : Number(x).toFixed(4));
  const c4 = (r) => (r ? `${sign(Number(r.diff), 4)} [${Number(r.low).toFixed(4)}, ${Number(r.high).toFixed(4)}]` : '—');
  const measures = ['diversity', 'diversity_hands', 'nearest_positive', 'heldout_error', 'heldout_hands', 'heldout_body', 'heldout_background'];
  const out = [];
  // means by run and step, averaged over seeds
  const runs = [...new Set(rows.map((r) => r.run))];
  out.push(`| run | step | seeds | ${measures.join(' | ')} |`, `|---|---|---|${measures.map(() => '---').join('|')}|`);
  for (const run of runs) {
    const steps = [...new Set(rows.filter((r) => r.run === run).map((r) => Number(r.step)))].sort((a, b) => a - b);
    for (const step of steps) {
      const at = rows.filter((r) => r.run === run && Number(r.step) === step);
      const mean = (m) => {
        const v = at.map((r) => r[m]).filter((x) => x !== '').map(Number);
        return v.length ? f4(v.reduce((a, b) => a + b, 0) / v.length) : '—';
      };
      out.push(`| ${run} | ${step} | ${at.length} | ${measures.map(mean).join(' | ')} |`);
    }
  }
  out.push('');
  const pairs = [...new Set(con.map((r) => `${r.a}\t${r.b}`))];
  out.push(`| a | b | step | seeds | ${measures.join(' | ')} |`, `|---|---|---|---|${measures.map(() => '---').join('|')}|`);
  for (const k of pairs) {
    const [a, b] = k.split('\t');
    const of = (m) => con.find((r) => r.a === a && r.b === b && r.measure === m);
    const any = of('diversity') ?? of('heldout_error');
    out.push(`| ${a} | ${b} | ${any?.step ?? ''} | ${any?.seeds ?? ''} | ${measures.map((m) => c4(of(m))).join(' | ')} |`);
  }
  return out.join('\n');
}

function iterateTables(dir) {
  const rows = readCsv(path.join(dir, 'tables', 'iterate.csv'));
  const measures = readCsv(path.join(dir, 'tables', 'iterate-measures.csv'));
  const con = readCsv(path.join(dir, 'tables', 'iterate-contrasts.csv'));
  const quality = readCsv(path.join(dir, 'tables', 'iterate-quality.csv'));
  const pct = (x) => (x === '' ? '—' : `${(100 * Number(x)).toFixed(1)}%`);
  const g = (r) => (r && r.gainSsimHand !== '' ? `${sign(Number(r.gainSsimHand))} [${Number(r.gainLow).toFixed(3)}, ${Number(r.gainHigh).toFixed(3)}]` : '—');
  const c4 = (r, d = 4) => (r ? `${sign(Number(r.diff), d)} [${Number(r.low).toFixed(d)}, ${Number(r.high).toFixed(d)}]` : '—');
  const runs = [...new Set(rows.map((r) => r.run))];
  const seeds = [...new Set(rows.map((r) => r.seed))];
  const splits = [...new Set(rows.map((r) => r.split))];
  const rounds = [...new Set(rows.map((r) => r.round))];
  const out = [];
  // per run, seed and round: acceptance, and the gain over the base on every split
  out.push(`| run | seed | round | acceptance | ${splits.map((s) => `SSIM-Hand gain, ${s}`).join(' | ')} | held-out error | diversity |`);
  out.push(`|---|---|---|---|${splits.map(() => '---').join('|')}|---|---|`);
  for (const run of runs) {
    for (const seed of seeds) {
      const m0 = measures.find((m) => m.run === run && m.seed === seed && m.step === '0');
      if (m0) out.push(`| ${run} | ${seed} | 0 (base) | | ${splits.map(() => '').join(' | ')} | ${Number(m0.heldout_error).toFixed(4)} | ${Number(m0.diversity).toFixed(4)} |`);
      for (const round of rounds) {
        const at = rows.filter((r) => r.run === run && r.seed === seed && r.round === round);
        if (!at.length) continue;
        const steps = measures.filter((m) => m.run === run && m.seed === seed).map((m) => Number(m.step)).filter((x) => x > 0).sort((a, b) => a - b);
        const m = measures.find((x) => x.run === run && x.seed === seed && Number(x.step) === steps[Number(round) - 1]);
        out.push(`| ${run} | ${seed} | ${round} | ${pct(at[0].acceptance)} | ${splits.map((s) => g(at.find((r) => r.split === s))).join(' | ')} | ${m ? Number(m.heldout_error).toFixed(4) : '—'} | ${m ? Number(m.diversity).toFixed(4) : '—'} |`);
      }
    }
  }
  out.push('');
  // the last round's pairs, seeds pooled: drift measures (by input) and SSIM-Hand per split (by clip)
  const fields = ['diversity', 'diversity_hands', 'nearest_positive', 'heldout_error', 'heldout_hands'];
  const pairs = [...new Set([...con, ...quality].map((r) => `${r.a}\t${r.b}`))];
  out.push(`| a | b | seeds | ${fields.join(' | ')} | ${splits.map((s) => `SSIM-Hand, ${s}`).join(' | ')} |`);
  out.push(`|---|---|---|${fields.map(() => '---').join('|')}|${splits.map(() => '---').join('|')}|`);
  for (const k of pairs) {
    const [a, b] = k.split('\t');
    const of = (f) => con.find((r) => r.a === a && r.b === b && r.measure === f);
    const q = (s) => quality.find((r) => r.a === a && r.b === b && r.split === s);
    const n = (of('diversity') ?? q(splits[0]))?.seeds ?? '';
    out.push(`| ${a} | ${b} | ${n} | ${fields.map((f) => c4(of(f))).join(' | ')} | ${splits.map((s) => c4(q(s), 3)).join(' | ')} |`);
  }
  return out.join('\n');
}

const TABLES = { main: () => mainTables(dir, oldDir, oldLabel), extended: () => extendedTables(dir), iterate: () => iterateTables(dir) };
const [kind, dir, oldDir, oldLabel] = process.argv.slice(2);
if (!dir || !(kind in TABLES)) {
  console.error('usage: readme-tables.js main|extended|iterate RESULTS_DIR [OLD_RESULTS_DIR [OLD_LABEL]]');
  process.exit(2);
}
process.stdout.write(`${TABLES[kind]()}\n`);
