// Does the noise decide, and how? A probe of a noise-coupled base (PretrainConfig.noiseCoupling, model/coupling.ts):
// the first N inputs of a split, each sampled from one noise stream with the profile's sampler, once with every hand
// box's noise set to say "clean" and once per defect mode with it set to say that mode (coupleNoise on the initial
// noise, every generated frame and hand; the rest of the noise, and each step's fresh noise, unchanged), so the
// coupled numbers are the only thing that changes between an input's samples. Per forced setting: mean SSIM-Hand
// and full-frame SSIM, and the paired difference of SSIM-Hand to the clean setting with its 95% bootstrap interval
// over inputs, against the smallest meaningful difference of the claims (0.01). Writes
// <results>/tables/noise-probe.{md,csv}, <results>/figures/noise-probe.{svg,png} (input 0: the truth, then clean and
// each mode, hands zoomed) and research/noise-probe-<profile>.json.
// Usage (after npm run build): node research/kit/noise-probe.js [PROFILE=paper] [SPLIT=val] [N=48] [RESULTS_DIR] [BASE_DIR]
const fs = require('fs');
const path = require('path');
const kit = require(path.join(__dirname, '..', '..', 'dist'));
const dist = (m) => require(path.join(__dirname, '..', '..', 'dist', m));
const { generateOnnx, clipNoise } = dist('model/sample');
const { UnetOnnx } = dist('model/unet-onnx');
const { loadModel } = dist('model/load');
const { coupleNoise } = dist('model/coupling');
const { scoreClip } = dist('eval/evaluate');
const { getClip } = dist('world/store');
const { saveComparisonGrid } = dist('report/grids');
const { writeTable } = dist('report/tables');
const { rng } = dist('core/seeds');
const { bootstrapCI } = dist('eval/bootstrap');

async function main() {
  const [profile = 'paper', split = 'val', nArg = '48', resultsArg, baseArg] = process.argv.slice(2);
  const N = Number(nArg);
  await kit.initBackend({});
  const study = kit.openStudy({ profile, ...(resultsArg ? { resultsDir: resultsArg } : {}) });
  const shares = study.profile.pretrain.noiseCoupling?.shares;
  if (!shares) throw new Error(`profile ${profile} has no noise coupling`);
  const baseDir = baseArg ?? (await kit.baseStage(study)).dir;
  const { world } = kit.worldStage(study);
  const model = loadModel(baseDir);
  const data = world.splits[split];
  const n = Math.min(N, data.ids.length);
  const clips = Array.from({ length: n }, (_, i) => getClip(data, i));
  const s = study.profile.sampler;
  const S = data.size;
  const F = data.numFrames;
  const settings = ['clean', ...Object.keys(shares).filter((m) => shares[m] > 0)];
  const runner = new UnetOnnx(model.config, model.params, undefined, 2);
  const videos = {};
  const t0 = Date.now();
  for (const setting of settings) {
    const jobs = clips.map((c) => {
      const key = `${c.id}#probe`;
      const noise = clipNoise(s.seed, key, [F + 1, S, S, 3], s.frameCorrelation);
      coupleNoise(noise, 0, S, F, c.handBoxes, Array.from({ length: 2 * F }, () => (setting === 'clean' ? null : setting)), shares, rng(s.seed, 'noise-probe', key));
      return { key, clip: c, noise };
    });
    videos[setting] = await generateOnnx(runner, jobs, { steps: s.steps, eta: s.eta, frameCorrelation: s.frameCorrelation, seed: s.seed, batch: s.batch, label: `noise ${setting}` });
  }
  await runner.release();
  const per = videos.clean.length / n;
  const scores = Object.fromEntries(settings.map((m) => [m, clips.map((c, i) => scoreClip(`${c.id}@${m}`, c.id, videos[m].subarray(i * per, (i + 1) * per), c, S).scores)]));
  const rows = settings.map((m) => {
    const sc = scores[m];
    const pairs = sc.map((x, i) => [x.ssimHand, scores.clean[i].ssimHand]).filter(([a, b]) => a !== null && b !== null);
    const d = pairs.map(([a, b]) => a - b);
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const ci = m === 'clean' ? { low: 0, high: 0 } : bootstrapCI(d, { seed: 1, resamples: 2000 });
    const [lo, hi] = [ci.low, ci.high];
    const gap = m === 'clean' ? 0 : mean(d);
    return {
      setting: m, inputs: pairs.length,
      'SSIM-Hand': +mean(sc.map((x) => x.ssimHand).filter((x) => x !== null)).toFixed(4),
      SSIM: +mean(sc.map((x) => x.ssim)).toFixed(4),
      'minus clean': +gap.toFixed(4), low: +lo.toFixed(4), high: +hi.toFixed(4),
      'beyond 0.01': m === 'clean' ? '' : hi < -0.01 ? 'yes (worse)' : lo > 0.01 ? 'yes (better)' : 'no',
    };
  });
  const files = writeTable(rows, path.join(study.paths.results, 'tables', 'noise-probe'));
  const fig = await saveComparisonGrid(clips[0], [{ label: 'ground truth', video: clips[0].frames }, ...settings.map((m) => ({ label: m, video: videos[m].subarray(0, per) }))],
    path.join(study.paths.results, 'figures', 'noise-probe'), { title: `${clips[0].id}: one noise, each hand box's coupled numbers set to clean or to a mode, hands zoomed` });
  const out = { profile, split, inputs: n, sampler: s, baseDir: path.relative(process.cwd(), baseDir), seconds: (Date.now() - t0) / 1000, rows, files: Object.values(files).map((f) => path.relative(process.cwd(), f)), figure: path.relative(process.cwd(), fig) };
  fs.writeFileSync(path.join(__dirname, '..', `noise-probe-${profile}.json`), JSON.stringify(out, null, 1) + '\n');
  console.log(JSON.stringify(out, null, 1));
}
main().catch((e) => { console.error(e); process.exit(1); });
