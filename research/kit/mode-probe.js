// Does the mode noise decide? A probe of a mode-noise base (UnetConfig.modeNoise): the first N inputs of a split,
// each sampled with the same noise stream and the profile's sampler, once per forced mode value, so the mode is the
// only thing that changes between a row's samples. For each mode value: mean SSIM-Hand and full-frame SSIM over the
// inputs; then the paired difference between the clean (-1) and the defective (+1) side, and the share of inputs
// whose clean-side hands score higher. Writes <results>/figures/mode-probe.{svg,png} (input 0: ground truth, then
// the samples at mode -1 and +1, hands zoomed) and prints one JSON object.
// Usage (after npm run build): node research/kit/mode-probe.js [SPLIT=val] [N=32] [RESULTS_DIR=results] [BASE_DIR=the study's base]
const path = require('path');
const kit = require(path.join(__dirname, '..', '..', 'dist'));
const dist = (m) => require(path.join(__dirname, '..', '..', 'dist', m));
const { generateOnnx } = dist('model/sample');
const { UnetOnnx } = dist('model/unet-onnx');
const { loadModel } = dist('model/load');
const { scoreClip } = dist('eval/evaluate');
const { getClip } = dist('world/store');
const { saveComparisonGrid } = dist('report/grids');

async function main() {
  const [split = 'val', nArg = '32', resultsArg = 'results', baseArg] = process.argv.slice(2);
  const N = Number(nArg);
  await kit.initBackend({});
  const study = kit.openStudy({ profile: 'paper', resultsDir: resultsArg });
  const baseDir = baseArg ?? (await kit.baseStage(study)).dir;
  const { world } = kit.worldStage(study);
  const model = loadModel(baseDir);
  if (!model.config.modeNoise) throw new Error(`the base at ${baseDir} has no mode noise`);
  const data = world.splits[split];
  const n = Math.min(N, data.ids.length);
  const clips = Array.from({ length: n }, (_, i) => getClip(data, i));
  const s = study.profile.sampler;
  const modes = [-2, -1, -0.5, 0.5, 1, 2];
  const runner = new UnetOnnx(model.config, model.params, undefined, 2);
  const videos = {};
  const t0 = Date.now();
  for (const m of modes) {
    const jobs = clips.map((c) => ({ key: `${c.id}#probe`, clip: c, mode: m }));
    videos[m] = await generateOnnx(runner, jobs, { steps: s.steps, eta: s.eta, frameCorrelation: s.frameCorrelation, seed: s.seed, batch: s.batch, label: `mode ${m}` });
  }
  const per = videos[modes[0]].length / n;
  const score = (m, i) => scoreClip(`${clips[i].id}@${m}`, clips[i].id, videos[m].subarray(i * per, (i + 1) * per), clips[i], clips[i].size).scores;
  const rows = modes.map((m) => {
    const sc = clips.map((_, i) => score(m, i));
    const hands = sc.map((x) => x.ssimHand).filter((x) => x !== null);
    return { mode: m, region: m > 0 ? 'defective' : 'clean', ssimHand: hands.reduce((a, b) => a + b, 0) / hands.length, ssim: sc.reduce((a, x) => a + x.ssim, 0) / sc.length };
  });
  const diffs = clips.map((_, i) => [score(-1, i).ssimHand, score(1, i).ssimHand]).filter(([a, b]) => a !== null && b !== null).map(([a, b]) => a - b);
  const mean = diffs.reduce((a, b) => a + b, 0) / diffs.length;
  const sd = Math.sqrt(diffs.reduce((a, d) => a + (d - mean) ** 2, 0) / (diffs.length - 1));
  const file = await saveComparisonGrid(clips[0], [
    { label: 'ground truth', video: clips[0].frames },
    { label: 'mode -1', video: videos[-1].subarray(0, per) },
    { label: 'mode +1', video: videos[1].subarray(0, per) },
  ], path.join(study.paths.results, 'figures', 'mode-probe'), { title: `${clips[0].id}: the same noise, the mode forced to -1 (clean region) and +1 (defective), hands zoomed` });
  console.log(JSON.stringify({
    split, inputs: n, sampler: s, seconds: (Date.now() - t0) / 1000, rows,
    cleanMinusDefective: { ssimHand: mean, sd, se: sd / Math.sqrt(diffs.length), inputsCleanHigher: diffs.filter((d) => d > 0).length / diffs.length },
    figure: path.relative(process.cwd(), file),
  }, null, 1));
}
main().catch((e) => { console.error(e); process.exit(1); });
