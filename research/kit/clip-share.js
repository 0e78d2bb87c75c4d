// How often the gradient clip bounds a post-training run's steps (issue 31): from each run's log.jsonl, the share of
// steps whose global gradient norm (before clipping) exceeds the clip, and the median norm, over the whole run and
// by quarter. A clipped step has unit norm whatever the loss's scale, so where nearly every step is clipped, IPA's
// sigmoid weight sigma(-z) (which shrinks as the model pulls ahead of its reference) cannot slow the updates; it only
// reweights the batch's samples against each other. AdamW then normalises what is left.
// Usage: node research/kit/clip-share.js CLIP name=runDir [name=runDir ...] > research/drift-clip-share.md
const fs = require('fs');
const path = require('path');

function main() {
  const [clipArg, ...runs] = process.argv.slice(2);
  const clip = Number(clipArg);
  if (!(clip > 0) || !runs.length) throw new Error('usage: clip-share.js CLIP name=runDir [name=runDir ...]');
  const median = (v) => {
    const s = [...v].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  const cell = (v) => `${((100 * v.filter((g) => g > clip).length) / v.length).toFixed(0)}% (median ${median(v).toFixed(2)})`;
  const lines = [
    `| run | steps | norm > ${clip}: all steps | first quarter | second | third | last |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const kv of runs) {
    const [name, dir] = kv.split('=');
    const rows = fs.readFileSync(path.join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => typeof r.gradNorm === 'number');
    const g = rows.map((r) => r.gradNorm);
    const q = (i) => g.slice(Math.floor((i * g.length) / 4), Math.floor(((i + 1) * g.length) / 4));
    lines.push(`| ${name} | ${g.length} | ${cell(g)} | ${cell(q(0))} | ${cell(q(1))} | ${cell(q(2))} | ${cell(q(3))} |`);
  }
  process.stdout.write(lines.join('\n') + '\n');
}
main();
