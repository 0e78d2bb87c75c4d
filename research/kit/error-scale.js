// The error-scale prototype (issue 28, docs/design.md "Error scale"): IPA+HALO and SFT+HALO post-trained from the
// shipped base under each candidate way of measuring per-sample errors, everything else the paper profile's
// defaults (60 steps of batch 4, lr 2e-4, beta 600, lambda 10; seed 1), and evaluated on val (48 clips). For each
// run: the diagnostics of its log (saturated share of logits |z| > 8, clipped share of steps, loss over the last 20
// steps, loss by timestep band) and the val gains over the base. Prints one JSON object; needs the paper study's
// base, candidates and selection (notebooks 00-03, or `ipa-kit world/generate/select --profile paper`).
// Usage (after npm run build): node research/kit/error-scale.js [CANDIDATE...]
const path = require('path');
const kit = require(path.join(__dirname, '..', '..', 'dist'));

const CANDIDATES = {
  official: {}, // v-space errors, t ~ U(0, 1): the paper and its snippet
  floor: { timesteps: { kind: 'uniform', min: 0.2 } }, // v-space, no draws below t = 0.2
  lognorm: { timesteps: { kind: 'logit-normal', mean: 0, std: 1 } }, // v-space, SD3's density centred at t = 0.5
  x0: { errorScale: 'x0' }, // x0-space errors (t^2 e_v), SFT weighted by (1 - t)^2 like IPA's logits
};

async function main() {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(CANDIDATES);
  for (const n of names) if (!CANDIDATES[n]) throw new Error(`unknown candidate '${n}' (${Object.keys(CANDIDATES).join(', ')})`);
  const study = kit.openStudy({ profile: 'paper' });
  const align = study.profile.align;
  await kit.initBackend({});
  const base = await kit.baseStage(study);
  const det = await kit.detectorStage(study);
  const jobs = names.flatMap((n) =>
    ['ipa-halo', 'sft-halo'].map((method) => ({
      name: `proto-${n}-${method}.s1`, group: 'tune', method, seed: 1,
      config: { ...align.defaults, method, ...CANDIDATES[n] },
      selection: { maxPositives: null, annotationNoise: 0 }, evalSplits: ['val'],
    })),
  );
  const results = await kit.alignStage(study, base, jobs, det ? det.dir : null, { workers: study.profile.jobs });
  const inp = kit.baseOnlyInputs(study, await kit.evaluateStage(study, { label: 'base', baseDir: base.dir }, ['val'], det));
  const out = {};
  results.forEach((r, i) => {
    const j = jobs[i];
    const records = kit.readStepLog(path.join(study.paths.work, 'jobs', j.name, 'train'));
    const [d] = kit.trainingDiagnostics([{ method: j.method, seed: 1, records }], j.config.clipNorm);
    const s = kit.jobScores(study, r, 'val');
    const g = (key) => {
      const x = kit.pairedVsBase(inp, s, 'val', key);
      return x && { mean: +x.mean.toFixed(4), low: +x.low.toFixed(4), high: +x.high.toFixed(4) };
    };
    out[j.name] = { diagnostics: d, secondsPerStep: +r.secondsPerStep.toFixed(2), valSsimHand: g('ssimHand'), valSsim: g('ssim') };
  });
  process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(1);
});
