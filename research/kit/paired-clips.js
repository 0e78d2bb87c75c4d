// Paired per-clip difference of two runs from the committed per-clip scores (results/tables/clips.csv): mean and
// 95% bootstrap interval over clips (the study's bootstrap settings: 1,000 resamples, seed 1). Runs are named as in
// the csv's `run` column (`base`, `ipa-halo.s1`, `beta-60.s1`, ...), or a method name for its seeds' per-clip mean.
// Usage (after npm run build): node research/kit/paired-clips.js A B [SPLIT=test-hands] [METRIC=ssimHand]
const fs = require('fs');
const path = require('path');
const kit = require(path.join(__dirname, '..', '..', 'dist'));

function main() {
  const [a, b, split = 'test-hands', metric = 'ssimHand'] = process.argv.slice(2);
  if (!a || !b) throw new Error('usage: paired-clips.js A B [SPLIT] [METRIC]');
  const text = fs.readFileSync(path.join(__dirname, '..', '..', 'results', 'tables', 'clips.csv'), 'utf8').trim().split('\n');
  const head = text[0].split(',');
  const rows = text.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [head[i], v])));
  const values = (name) => {
    const acc = new Map();
    for (const r of rows) {
      if (r.split !== split || (r.run !== name && r.method !== name) || r[metric] === '') continue;
      const e = acc.get(r.clip) ?? [];
      e.push(Number(r[metric]));
      acc.set(r.clip, e);
    }
    if (!acc.size) throw new Error(`no rows for '${name}' on ${split}`);
    return new Map([...acc].map(([k, v]) => [k, v.reduce((s, x) => s + x, 0) / v.length]));
  };
  const va = values(a);
  const vb = values(b);
  const ids = [...va.keys()].filter((id) => vb.has(id)).sort();
  const ci = kit.pairedBootstrapCI(ids.map((id) => va.get(id)), ids.map((id) => vb.get(id)), { seed: 1, resamples: 1000 });
  process.stdout.write(`${a} - ${b}, ${split}, ${metric}, ${ids.length} clips: ${ci.mean >= 0 ? '+' : ''}${ci.mean.toFixed(4)} [${ci.low.toFixed(4)}, ${ci.high.toFixed(4)}]\n`);
}

main();
