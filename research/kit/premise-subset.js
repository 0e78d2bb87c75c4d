// The premise of the shipped paper base, measured with the kit's own code on a subset that fits a session:
// judge threshold set on `val` (one generation per clip; the SSIM-Hand threshold that makes ~10% of val videos
// good), then 4 candidates for each of the first N `train` inputs (the same clips as the paper world's first N),
// judged, and the premise metrics (select/premise.ts) and Case 1-4 report (select/cases.ts) computed.
// Usage (after npm run build): node research/kit/premise-subset.js [N=32] [OUT=data/runs/premise-subset]
const path = require('path');
const dist = (m) => require(path.join(__dirname, '..', '..', 'dist', m));
const { PROFILES } = dist('study/profiles');
const { buildWorld, loadWorldCached } = dist('world/store');
const { generateSplit } = dist('model/sample-split');
const { candidateEvidence } = dist('select/positives');
const { judgeVideos } = dist('select/judge');
const { premiseReport } = dist('select/premise');
const { caseAnalysis } = dist('select/cases');
const { initBackend } = dist('gpu/backend');
const { writeFileAtomic } = dist('core/files');

async function main() {
  const N = Number(process.argv[2] ?? 32);
  const out = path.resolve(process.argv[3] ?? 'data/runs/premise-subset');
  await initBackend({});
  const p = PROFILES.paper;
  const config = { ...p.world, splits: { train: N, val: p.world.splits.val, 'test-general': 1, 'test-hands': 1 } };
  const worldDir = path.join(out, 'world');
  buildWorld({ config, name: 'premise-subset', seed: p.seed, out: worldDir });
  const world = loadWorldCached(worldDir);
  const base = path.resolve('data/base/paper-1/base');
  const s = p.sampler;
  const gen = (split, candidates) =>
    generateSplit({ world, worldDir, split, baseDir: base, candidates, steps: s.steps, eta: s.eta, seed: s.seed, batch: s.batch, outDir: path.join(out, `${split}-gen`), label: split, workers: p.jobs });
  // 1. The judge's threshold, set on val.
  const valEv = candidateEvidence(await gen('val', 1), world.splits.val);
  const hands = valEv.flatMap((e) => e.hands.flat().filter(Boolean).map((h) => h.ssim)).sort((a, b) => a - b);
  let threshold = hands[0];
  for (const q of [0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]) {
    const t = hands[Math.floor(q * (hands.length - 1))];
    const good = judgeVideos(valEv, { minSsimHand: t }).filter((j) => j.verdict === 'good').length / valEv.length;
    threshold = t;
    if (good <= 0.1) break;
  }
  const valGood = judgeVideos(valEv, { minSsimHand: threshold }).filter((j) => j.verdict === 'good').length / valEv.length;
  // 2. Candidates of the first N train inputs, judged; the premise metrics.
  const ev = candidateEvidence(await gen('train', p.selection.candidatesPerInput), world.splits.train);
  const judgments = judgeVideos(ev, { minSsimHand: threshold });
  const premise = premiseReport(judgments);
  const cases = caseAnalysis(judgments);
  const report = { inputs: N, threshold: { minSsimHand: threshold, valAcceptance: valGood, valHandQuantiles: [0.1, 0.25, 0.5, 0.75, 0.9].map((q) => hands[Math.floor(q * (hands.length - 1))]) }, premise, cases: { judgedPairs: cases.judgedPairs, counts: cases.counts, shares: cases.shares } };
  writeFileAtomic(path.join(out, 'premise.json'), `${JSON.stringify(report, null, 1)}\n`);
  console.log(JSON.stringify(report, null, 1));
}
main().catch((e) => { console.error(e); process.exit(1); });
