// Drift measures SSIM cannot see (issue 31, item 1, a first cut): per-input diversity and memorisation of the close-up
// base and of post-trained models of its study (seed 1 of each method, their committed settings). Each model samples
// K candidates of the first N val inputs (the profile's sampler, plain noise: this base has no mode input to force);
// per input, the mean pairwise RMS distance of its samples over the whole frame and over the hand boxes; per sample,
// the RMS distance to its nearest implicit positive (the study's 96, selected by the oracle). Paired differences
// against the base by input, 95% bootstrap intervals (eval/bootstrap pairedBootstrapCI, 2,000 resamples).
// Usage (after npm run build, after the study's notebook 04): node research/kit/diversity-probe.js [PROFILE=paper] [N=12] [K=8] [MODELS=name=adapterDir,...] [TAG=PROFILE]
const fs = require('fs');
const path = require('path');
const kit = require(path.join(__dirname, '..', '..', 'dist'));

const { modelsOf, pairedVsBase } = require('./probe-models');

async function main() {
  const profile = process.argv[2] ?? 'paper';
  const n = Number(process.argv[3] ?? 12);
  const k = Number(process.argv[4] ?? 8);
  await kit.initBackend({});
  const study = kit.openStudy({ profile });
  const base = await kit.baseStage(study);
  const detector = await kit.detectorStage(study);
  const world = kit.worldStage(study).world;
  const val = world.splits.val;
  const t0 = Date.now();
  // the study's positives, as its selection stage chose them (oracle)
  const cands = await kit.candidatesStage(study, base);
  const evidence = kit.cachedEvidence(path.join(study.paths.work, 'selection'), cands, world.splits.train, detector);
  const chosen = kit.selectFromEvidence({ evidence, thresholds: study.profile.selection.judge, maxPositives: study.profile.selection.maxPositives, override: null });
  const index = new Map(cands.manifest.entries.map((e, i) => [e.id, i]));
  const vsize = kit.videoAt(cands, 0).length;
  const positives = new Uint8Array(chosen.selection.positives.length * vsize);
  chosen.selection.positives.forEach((id, i) => positives.set(kit.videoAt(cands, index.get(id)), i * vsize));
  const models = [['base', null], ...modelsOf(study, process.argv[5])];
  const tag = process.argv[6] ?? profile;
  const rows = [];
  for (const [name, adapterDir] of models) {
    if (adapterDir && !fs.existsSync(adapterDir)) throw new Error(`${adapterDir} is missing: run the study's notebook 04 first`);
    const gens = await kit.sampleSplit(study, { baseDir: base.dir, adapterDir }, 'val', path.join(study.paths.work, 'diversity', name), { candidates: k, rows: n, label: `${name} val x${k}` });
    const F = gens.manifest.frames;
    const S = gens.manifest.size;
    for (let r = 0; r < n; r++) {
      const ids = gens.manifest.entries.map((e, i) => [e, i]).filter(([e]) => e.row === r);
      const videos = new Uint8Array(ids.length * vsize);
      ids.forEach(([, i], j) => videos.set(kit.videoAt(gens, i), j * vsize));
      const truth = kit.getClip(val, r);
      const hands = kit.handBoxMask(truth.handBoxes, truth.handVisible, F, S);
      const hasHands = hands.some((x) => x > 0);
      const near = kit.nearestDistance(videos, positives, vsize);
      rows.push({
        model: name,
        input: ids[0][0].clipId,
        diversity: kit.inputDiversity(videos, ids.length),
        diversity_hands: hasHands ? kit.inputDiversity(videos, ids.length, hands) : null,
        nearest_positive: near.reduce((a, b) => a + b, 0) / near.length,
      });
    }
    console.log(`${name}: done (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const out = path.join('research', `diversity-${tag}`);
  const cols = ['model', 'input', 'diversity', 'diversity_hands', 'nearest_positive'];
  fs.writeFileSync(out + '.csv', [cols.join(','), ...rows.map((r) => cols.map((c) => (r[c] === null ? '' : r[c])).join(','))].join('\n') + '\n');
  const of = (m, c) => rows.filter((r) => r.model === m).map((r) => r[c]);
  const f = (x) => x.toFixed(4);
  const lines = [
    `# Diversity and memorisation on the \`${profile}\` study (seed 1 of each method)`,
    '',
    `Made by \`node research/kit/diversity-probe.js ${process.argv.slice(2).join(' ')}\` (${((Date.now() - t0) / 1000).toFixed(0)} s): ${k} samples of each of the first ${n} val inputs per model;`,
    `per-input values in \`research/diversity-${tag}.csv\`. Distances are RMS pixel differences in [0, 1] units. Differences are paired by input against the base, 95% bootstrap intervals.`,
    '',
    '| model | diversity (frame) | vs base | diversity (hand boxes) | vs base | distance to nearest positive | vs base |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const [name] of models) {
    const cells = [];
    for (const c of ['diversity', 'diversity_hands', 'nearest_positive']) {
      const { mean, vs } = pairedVsBase(of(name, c), of('base', c), name === 'base', f);
      cells.push(f(mean), vs ?? '');
    }
    lines.push(`| ${name} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  fs.writeFileSync(out + '.md', lines.join('\n'));
  console.log(lines.join('\n'));
}
main().catch((e) => { console.error(e); process.exit(1); });
