// Two study runs side by side, from their committed tables only: every claim of claims.csv (its difference,
// interval and verdict in each run), and per method and split of main.csv the mean SSIM-Hand and full-frame SSIM
// with the difference between the runs. For example the paper run trained on the tfjs engine (results/) against
// the same protocol trained on the onnx engine (results/engine-onnx/). Prints markdown.
// Usage: node research/kit/compare-runs.js A_RESULTS_DIR B_RESULTS_DIR [A_LABEL=A] [B_LABEL=B]
const fs = require('fs');
const path = require('path');

function csv(file) {
  const [head, ...rows] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const keys = head.split(',');
  return rows.map((r) => Object.fromEntries(r.split(',').map((v, i) => [keys[i], v])));
}

function main() {
  const [a, b, la = 'A', lb = 'B'] = process.argv.slice(2);
  if (!a || !b) throw new Error('usage: node research/kit/compare-runs.js A_RESULTS_DIR B_RESULTS_DIR [A_LABEL] [B_LABEL]');
  const f = (x) => Number(x).toFixed(3);
  const out = [];
  const ca = csv(path.join(a, 'tables', 'claims.csv'));
  const cb = csv(path.join(b, 'tables', 'claims.csv'));
  const key = (r) => `${r.comparison}|${r.split}|${r.metric}`;
  const byB = new Map(cb.map((r) => [key(r), r]));
  out.push(`| claim | split | metric | ${la} | ${lb} | same verdict |`, '|---|---|---|---|---|---|');
  let same = 0;
  let n = 0;
  for (const r of ca) {
    const s = byB.get(key(r));
    if (!s) continue;
    n++;
    if (s.verdict === r.verdict) same++;
    out.push(`| ${r.comparison} | ${r.split} | ${r.metric} | ${f(r.difference)} [${f(r.ci_low)}, ${f(r.ci_high)}] ${r.verdict} | ${f(s.difference)} [${f(s.ci_low)}, ${f(s.ci_high)}] ${s.verdict} | ${s.verdict === r.verdict ? 'yes' : '**no**'} |`);
  }
  out.push('', `${same} of ${n} claims have the same verdict in both runs.`, '');
  const ma = csv(path.join(a, 'tables', 'main.csv'));
  const mb = csv(path.join(b, 'tables', 'main.csv'));
  const mkey = (r) => `${r.method}|${r.split}|${r.metric}`;
  const mB = new Map(mb.map((r) => [mkey(r), r]));
  out.push(`| method | split | metric | ${la} mean | ${lb} mean | ${lb} - ${la} |`, '|---|---|---|---|---|---|');
  for (const r of ma.filter((x) => x.metric === 'ssimHand' || x.metric === 'ssim')) {
    const s = mB.get(mkey(r));
    if (!s) continue;
    out.push(`| ${r.method} | ${r.split} | ${r.metric} | ${f(r.mean)} | ${f(s.mean)} | ${(Number(s.mean) - Number(r.mean) >= 0 ? '+' : '')}${(Number(s.mean) - Number(r.mean)).toFixed(4)} |`);
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main();
