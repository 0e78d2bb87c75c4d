// Quality and premise of a pretraining checkpoint (its EMA weights) on the first N `val` inputs, judge-free, with
// the kit's own code: K candidates per input, scored (full-frame, body, background, hand SSIM), and the within-input
// share of the per-candidate hand SSIM (select/premise.ts varianceComponents) with the share of inputs whose best
// and worst candidate differ by at least 0.10 in hand SSIM. Used to follow the base while it trains (research/runs.md).
// With FRAMES < 8 the world's clips are that many frames long (the same first frames) and the network samples
// windows of that length: the check that a U-Net trained on short windows samples whole clips as well.
// Usage (after npm run build):
//   node research/kit/premise-ckpt.js RUN_DIR [N=16] [K=4] [STEPS=8] [ETA=0.5] [FRAMES=8] [OUT=data/runs/premise-ckpt] [RHO=0]
// RHO: correlation of the generated frames' noise (model/sample.ts frameCorrelation).
// RUN_DIR is a pretraining run folder (its checkpoint/ holds the EMA) or a base checkpoint folder.
const fs = require('fs');
const path = require('path');
const dist = (m) => require(path.join(__dirname, '..', '..', 'dist', m));
const { PROFILES } = dist('study/profiles');
const { buildWorld, loadWorldCached } = dist('world/store');
const { generateSplit } = dist('model/sample-split');
const { scoreGenerations } = dist('eval/score');
const { varianceComponents, framePremise } = dist('select/premise');
const { candidateEvidence } = dist('select/positives');
const { readCheckpointMeta, readTensorFile, saveCheckpoint } = dist('train/checkpoint');
const { modelHead } = dist('model/checkpoint');
const { initBackend } = dist('gpu/backend');
const { writeFileAtomic } = dist('core/files');

async function main() {
  const [runDir, N = '16', K = '4', steps = '8', eta = '0.5', frames = '8', outArg, rho = '0'] = process.argv.slice(2);
  if (!runDir) throw new Error('usage: premise-ckpt.js RUN_DIR [N] [K] [STEPS] [ETA] [FRAMES] [OUT]');
  const F = Number(frames);
  const out = path.resolve(outArg ?? 'data/runs/premise-ckpt');
  await initBackend({});
  const p = PROFILES.paper;
  // 1. The checkpoint's EMA weights as a base checkpoint (the model's frame count set to the clips').
  const ckpt = fs.existsSync(path.join(runDir, 'checkpoint', 'checkpoint.json')) ? path.join(runDir, 'checkpoint') : runDir;
  const meta = readCheckpointMeta(ckpt);
  const weights = readTensorFile(ckpt, meta, meta.files.ema ? 'ema' : 'weights');
  const model = { ...meta.model, frames: F + 1 };
  const baseDir = path.join(out, `base-${meta.step}-f${F}`);
  fs.rmSync(baseDir, { recursive: true, force: true });
  saveCheckpoint(baseDir, { head: modelHead('base', model), step: meta.step, seed: meta.seed, worldHash: meta.worldHash, metrics: {}, info: { from: path.relative(process.cwd(), ckpt) }, files: { weights } });
  // 2. The first N val inputs (clips of F frames), K candidates each.
  const config = { ...p.world, frames: F, splits: { train: 1, val: Number(N), 'test-general': 1, 'test-hands': 1 } };
  const worldDir = path.join(out, `world-f${F}`);
  if (!fs.existsSync(path.join(worldDir, 'manifest.json'))) buildWorld({ config, name: 'premise-ckpt', seed: p.seed, out: worldDir });
  const world = loadWorldCached(worldDir);
  const t0 = Date.now();
  const tag = `s${meta.step}-k${K}-st${steps}-eta${eta}-f${F}${Number(rho) ? `-rho${rho}` : ''}`;
  const gens = await generateSplit({ world, worldDir, split: 'val', baseDir, candidates: Number(K), steps: Number(steps), eta: Number(eta), frameCorrelation: Number(rho), seed: p.sampler.seed, batch: p.sampler.batch, outDir: path.join(out, `gen-${tag}`), label: tag, workers: p.jobs });
  const seconds = (Date.now() - t0) / 1000;
  const { scores } = scoreGenerations({ gens, split: world.splits.val, outDir: path.join(out, `scores-${tag}`) });
  // 3. Quality means and the judge-free premise.
  const mean = (k) => {
    const xs = scores.clips.map((c) => c[k]).filter((x) => x !== null && Number.isFinite(x));
    return xs.reduce((a, x) => a + x, 0) / xs.length;
  };
  const byInput = new Map();
  for (const c of scores.clips) if (c.ssimHand !== null) byInput.set(c.clipId, [...(byInput.get(c.clipId) ?? []), c.ssimHand]);
  const groups = [...byInput.values()];
  const vc = varianceComponents(groups);
  const fp = framePremise(candidateEvidence(gens, world.splits.val));
  const gap = groups.filter((g) => Math.max(...g) - Math.min(...g) >= 0.1).length / groups.length;
  const row = {
    step: meta.step, inputs: groups.length, candidates: Number(K), steps: Number(steps), eta: Number(eta), frames: F, rho: Number(rho),
    ssim: mean('ssim'), body: mean('ssimBody'), hand: mean('ssimHand'), bgPsnr: mean('psnrBackground'),
    withinShare: vc.withinShare, sdWithin: Math.sqrt(vc.within), sdBetween: Math.sqrt(vc.between), gapInputs: gap,
    frameWithinShare: fp.frame?.withinShare ?? null, crossFrameCorrelation: fp.crossFrameCorrelation, sampleSeconds: seconds,
  };
  fs.appendFileSync(path.join(out, 'rows.jsonl'), `${JSON.stringify(row)}\n`);
  writeFileAtomic(path.join(out, `row-${tag}.json`), `${JSON.stringify(row, null, 1)}\n`);
  console.log(JSON.stringify(row));
}
main().catch((e) => { console.error(e); process.exit(1); });
