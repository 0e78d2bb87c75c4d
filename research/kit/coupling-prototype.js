// Prototype of issue 30's risky part: where is the hand defect decided? Two bases are pretrained from scratch on the
// close-up profile's stream (six defect modes, per hand, some on some frames only) for STEPS steps with the
// profile's schedule shortened to them, on the onnx engine with one thread each:
//   noise: the defect tied to each hand box's noise (PretrainConfig.noiseCoupling, model/coupling.ts);
//   mode:  today's mode input (UnetConfig.modeNoise), coupled per clip to "the clip has a defect" (modeShare = the
//          stream's share of such clips, 1 - (1 - 0.4)^2 = 0.64 with two hands drawing 0.4 each).
// Each samples 4 candidates of the first N train inputs with the profile's sampler; the judge is SSIM-Hand only (no
// keypoint network trained for this world yet), its threshold calibrated on these candidates to 10% acceptance (the
// study calibrates on val). Reported: within-input share of the hand score, cross-frame correlation, strict (Case 4)
// and mixed (Case 3) pairs of judged pairs, inputs with a good and a bad candidate, acceptance, and how much the
// coupled quantity decides: per (frame, hand) mean SSIM-Hand where the sample's noise (noise) or mode (mode) says
// "defective" against where it says "clean".
// Usage (after npm run build): node research/kit/coupling-prototype.js VARIANT [STEPS=600] [N=48]
// Writes data/runs/closeup-1/coupling-prototype/<variant>/ (resumable) and research/coupling-prototype-<variant>.json.
const fs = require('fs');
const path = require('path');
const kit = require(path.join(__dirname, '..', '..', 'dist'));
const dist = (m) => require(path.join(__dirname, '..', '..', 'dist', m));
const { pretrain, pretrainSample } = dist('model/pretrain');
const { sampleMode, modeThreshold } = dist('model/mode');
const { clipNoise } = dist('model/sample');
const { noiseDraws, decidedMode } = dist('model/coupling');
const { defectShare } = dist('world/defects');
const { sampleSplit, workPath, worldStage } = dist('study/pipeline');
const { candidateEvidence } = dist('select/positives');
const { calibrateJudge, judgeVideos } = dist('select/judge');
const { caseAnalysis } = dist('select/cases');
const { premiseReport, framePremise } = dist('select/premise');
const { getClip } = dist('world/store');

async function main() {
  const [variant, stepsArg = '600', nArg = '48'] = process.argv.slice(2);
  if (!['noise', 'mode'].includes(variant)) throw new Error('VARIANT must be noise or mode');
  const steps = Number(stepsArg);
  const N = Number(nArg);
  await kit.initBackend({});
  const study = kit.openStudy({ profile: 'paper' });
  const p = study.profile;
  const { world } = worldStage(study);
  const dir = workPath(study, 'coupling-prototype', variant);
  const perClip = 1 - (1 - defectShare(p.world.pretrainDefects)) ** 2; // each hand draws its defect on its own
  const config = {
    ...p.pretrain, steps, checkpointEvery: Math.max(1, Math.round(steps / 4)), warmupSteps: Math.min(50, Math.round(steps / 10)),
    ...(variant === 'mode' ? { model: { ...p.pretrain.model, modeNoise: true }, modeShare: perClip, noiseCoupling: undefined } : {}),
  };
  if (variant === 'mode') delete config.noiseCoupling;
  const t0 = Date.now();
  const res = await pretrain({
    config, seed: p.pretrainSeed, source: (i) => pretrainSample(study.worldSeed, i, p.world), worldHash: `coupling-prototype:${variant}`,
    outDir: path.join(dir, 'pretrain'), resume: true, workers: 1, engine: 'onnx', stream: { worldSeed: study.worldSeed, world: p.world },
    info: { research: 'coupling-prototype', variant },
  });
  if (!res.baseDir) throw new Error('pretraining stopped; run again to resume');
  const trainMinutes = (Date.now() - t0) / 60000;
  const t1 = Date.now();
  const gens = await sampleSplit(study, { baseDir: res.baseDir }, 'train', path.join(dir, 'candidates'), { candidates: 4, rows: N, label: `${variant} candidates`, workers: 1 });
  const evidence = candidateEvidence(gens, world.splits.train, undefined);
  const cal = calibrateJudge(evidence, { targetAcceptance: 0.1 });
  const judgments = judgeVideos(evidence, cal.thresholds);
  const report = premiseReport(judgments);
  const cases = caseAnalysis(judgments);
  const frames = framePremise(evidence);
  // What the coupled quantity decides, per (frame, hand) instance.
  const S = p.world.size;
  const F = p.world.frames;
  const by = { defective: [], clean: [] };
  const shares = p.pretrain.noiseCoupling.shares;
  for (const e of evidence) {
    const clipId = e.id.split('#')[0];
    const row = Number(clipId.split('-').pop());
    const clip = getClip(world.splits.train, row);
    let flags;
    if (variant === 'noise') {
      const eps = clipNoise(p.sampler.seed, e.id, [F + 1, S, S, 3], p.sampler.frameCorrelation);
      flags = noiseDraws(eps, 0, S, F, clip.handBoxes).map((ab) => (ab === null ? null : decidedMode(ab, shares) !== null));
    } else {
      const d = sampleMode(p.sampler.seed, e.id) > modeThreshold(perClip);
      flags = Array.from({ length: 2 * F }, () => d);
    }
    e.hands.forEach((hs, f) => hs.forEach((h, side) => { if (h && flags[2 * f + side] !== null) by[flags[2 * f + side] ? 'defective' : 'clean'].push(h.ssim); }));
  }
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = (xs) => Math.sqrt(mean(xs.map((x) => (x - mean(xs)) ** 2)));
  const pairs = cases.judgedPairs;
  const out = {
    variant, steps, inputs: N, candidates: evidence.length, trainMinutes: +trainMinutes.toFixed(1), sampleMinutes: +((Date.now() - t1) / 60000).toFixed(1),
    threshold: cal.thresholds.minSsimHand, acceptance: report.acceptance, withinShare: report.handScore?.withinShare ?? null,
    frameWithinShare: frames.frame?.withinShare ?? null, crossFrameCorrelation: frames.crossFrameCorrelation,
    inputsWithGoodAndBad: report.inputsWithGoodAndBad,
    strictShare: pairs ? cases.counts.case4 / pairs : null, mixedShare: pairs ? cases.counts.case3 / pairs : null, judgedPairs: pairs, counts: cases.counts,
    handSsim: { defective: { n: by.defective.length, mean: mean(by.defective), sd: sd(by.defective) }, clean: { n: by.clean.length, mean: mean(by.clean), sd: sd(by.clean) } },
  };
  fs.writeFileSync(path.join(__dirname, '..', `coupling-prototype-${variant}.json`), JSON.stringify(out, null, 1) + '\n');
  console.log(JSON.stringify(out));
}
main().catch((e) => { console.error(e); process.exit(1); });
