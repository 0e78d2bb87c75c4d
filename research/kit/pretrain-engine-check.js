// Does the onnx engine pretrain the paper base as the tfjs engine did? Pretrains the paper profile's base on the
// onnx engine (the same config, seed, stream and clips as the shipped base, which was trained on tfjs with 2
// data-parallel workers) for STEPS steps into OUT (resumable: run it again to continue), then compares its logged
// loss with the shipped base's log step by step: per 50-step window the mean loss of both, their difference, and the
// spread of the shipped log's per-step losses inside the window (the noise a batch of 8 clips makes). Writes
// research/pretrain-engine-check.md (with OUT's seconds per step) and prints it.
// Usage (after npm run build): node research/kit/pretrain-engine-check.js [STEPS=3000] [OUT=/tmp/ipa-pretrain-onnx] [THREADS=2]
const fs = require('fs');
const path = require('path');
const kit = require(path.join(__dirname, '..', '..', 'dist'));
const dist = (m) => require(path.join(__dirname, '..', '..', 'dist', m));
const { pretrain, pretrainSample } = dist('model/pretrain');
const { readStepLog } = dist('train/loop');
const { getProfile } = dist('study/profiles');

async function main() {
  const [stepsArg = '3000', out = '/tmp/ipa-pretrain-onnx', threadsArg = '2'] = process.argv.slice(2);
  const steps = Number(stepsArg);
  await kit.initBackend({});
  const p = getProfile('paper');
  const shippedLog = path.join(__dirname, '..', '..', 'data', 'base', 'paper-1', 'log.jsonl');
  const shipped = fs.readFileSync(shippedLog, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const t0 = Date.now();
  const res = await pretrain({
    config: p.pretrain, seed: p.pretrainSeed, source: (i) => pretrainSample(1, i, p.world), worldHash: 'engine-check', outDir: out, resume: true,
    stopAfter: steps, workers: Number(threadsArg), engine: 'onnx', stream: { worldSeed: 1, world: p.world },
  });
  const wall = (Date.now() - t0) / 1000;
  const mine = readStepLog(out);
  const n = Math.min(mine.length, shipped.length);
  const mean = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const sd = (xs) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
  const rows = [];
  for (let a = 0; a < n; a += 50) {
    const b = Math.min(n, a + 50);
    const s = shipped.slice(a, b).map((r) => r.loss);
    const m = mine.slice(a, b).map((r) => r.loss);
    rows.push({ steps: `${a + 1}-${b}`, tfjs: mean(s), onnx: mean(m), diff: mean(m) - mean(s), se: sd(s) / Math.sqrt(s.length) });
  }
  const within = rows.filter((r) => Math.abs(r.diff) <= 2 * Math.SQRT2 * r.se).length;
  const perStep = mean(mine.slice(Math.max(0, mine.length - 100)).map((r) => r.seconds));
  const fmt = (x) => x.toFixed(4);
  const lines = [
    '# The onnx engine against the shipped base\'s pretraining log',
    '',
    `\`node research/kit/pretrain-engine-check.js ${stepsArg} OUT ${threadsArg}\`: the paper profile's pretraining (${p.pretrain.steps} steps planned, batch ${p.pretrain.batch} x ${p.pretrain.clipFrames}-frame windows, seed ${p.pretrainSeed}, world seed 1) on the onnx engine with ${threadsArg} intra-op threads, against \`data/base/paper-1/log.jsonl\` (the shipped base: tfjs, 2 data-parallel workers). Same seed, stream, noise and timesteps, so step 1 is the same batch on both.`,
    '',
    `- steps compared: ${n}; step 1 loss: tfjs ${shipped[0].loss.toFixed(6)}, onnx ${mine[0].loss.toFixed(6)}`,
    `- windows of 50 steps whose mean-loss difference lies within 2 standard errors of a difference of two such means (2 sqrt(2) x the shipped window's standard error): ${within} of ${rows.length}`,
    `- onnx seconds per step, mean of the last 100 logged: ${perStep.toFixed(3)} (this invocation: ${res.loop.steps - res.loop.resumedFrom} steps in ${wall.toFixed(0)} s); ${p.pretrain.steps} steps at that rate: ${((perStep * p.pretrain.steps) / 60).toFixed(1)} min`,
    '',
    '| steps | tfjs (shipped) mean loss | onnx mean loss | onnx - tfjs | shipped window s.e. |',
    '|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.steps} | ${fmt(r.tfjs)} | ${fmt(r.onnx)} | ${r.diff >= 0 ? '+' : ''}${fmt(r.diff)} | ${fmt(r.se)} |`),
    '',
  ];
  const md = lines.join('\n');
  fs.writeFileSync(path.join(__dirname, '..', 'pretrain-engine-check.md'), md);
  process.stdout.write(md);
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
