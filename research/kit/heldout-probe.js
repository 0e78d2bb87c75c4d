// The held-out flow-matching error (issue 31, item 1, a first cut) of the close-up base and of its study's
// post-trained models (seed 1 of each method): on the first N ground-truth val clips, never trained on, per timestep
// band and by region (hands, body, background), in the x0 scale (align/drift heldoutError). The same noise and t for
// every model, so the differences against the base are paired by clip (95% bootstrap intervals, 2,000 resamples).
// Usage (after npm run build, after the study's notebook 04): node research/kit/heldout-probe.js [PROFILE=paper] [N=24] [MODELS=name=adapterDir,...] [TAG=PROFILE]
const fs = require('fs');
const path = require('path');
const kit = require(path.join(__dirname, '..', '..', 'dist'));
const { heldoutError } = require(path.join(__dirname, '..', '..', 'dist', 'align', 'drift'));

const { modelsOf, pairedVsBase } = require('./probe-models');
const BANDS = [0, 0.25, 0.5, 0.75, 1];

async function main() {
  const profile = process.argv[2] ?? 'paper';
  const n = Number(process.argv[3] ?? 24);
  await kit.initBackend({});
  const study = kit.openStudy({ profile });
  const base = await kit.baseStage(study);
  const val = kit.worldStage(study).world.splits.val;
  const t0 = Date.now();
  const clips = Array.from({ length: n }, (_, i) => kit.regionClip(val, i));
  const rows = [];
  const models = [['base', undefined], ...modelsOf(study, process.argv[4])];
  const tag = process.argv[5] ?? profile;
  for (const [name, adapter] of models) {
    const m = kit.loadModel(base.dir, adapter);
    // one clip per call, so each clip's value is its own (for paired intervals); same draws as a batched call
    clips.forEach((c, i) => {
      const bands = heldoutError({ model: m.config, params: m.params, clips: [c], bands: BANDS, seed: 1 + i, batch: 1 });
      for (const b of bands) rows.push({ model: name, clip: i, band: `${b.lo}-${b.hi}`, all: b.all, hands: b.hands, body: b.body, background: b.background });
    });
    for (const v of Object.values(m.params)) v.dispose();
    console.log(`${name}: done (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const out = path.join('research', `heldout-${tag}`);
  const cols = ['model', 'clip', 'band', 'all', 'hands', 'body', 'background'];
  fs.writeFileSync(out + '.csv', [cols.join(','), ...rows.map((r) => cols.map((c) => (r[c] === null ? '' : r[c])).join(','))].join('\n') + '\n');
  const f = (x) => x.toFixed(4);
  const cell = (name, band, region) => {
    const pick = (m) => rows.filter((r) => r.model === m && r.band === band).map((r) => r[region]);
    const { mean, vs } = pairedVsBase(pick(name), pick('base'), name === 'base', f);
    return vs === null ? f(mean) : `${f(mean)} (${vs})`;
  };
  const lines = [
    `# Held-out flow-matching error on the \`${profile}\` study (seed 1 of each method)`,
    '',
    `Made by \`node research/kit/heldout-probe.js ${process.argv.slice(2).join(' ')}\` (${((Date.now() - t0) / 1000).toFixed(0)} s): the first ${n} ground-truth val clips, one draw of noise and t per clip`,
    `and band, error |x0_pred - x0|^2 per value in [-1, 1] units; per-clip values in \`research/heldout-${tag}.csv\`. In brackets: the difference to the base, paired by clip, 95% bootstrap interval (lower is better).`,
    '',
  ];
  for (const region of ['all', 'hands', 'body', 'background']) {
    lines.push(`## ${region}`, '', `| model | ${BANDS.slice(0, -1).map((lo, i) => `t in [${lo}, ${BANDS[i + 1]})`).join(' | ')} |`, `|---|${BANDS.slice(0, -1).map(() => '---').join('|')}|`);
    for (const [name] of models) lines.push(`| ${name} | ${BANDS.slice(0, -1).map((lo, i) => cell(name, `${lo}-${BANDS[i + 1]}`, region)).join(' | ')} |`);
    lines.push('');
  }
  fs.writeFileSync(out + '.md', lines.join('\n'));
  console.log(lines.join('\n'));
}
main().catch((e) => { console.error(e); process.exit(1); });
