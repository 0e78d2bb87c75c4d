// Prototype of issue 21's risky part: does a per-clip mode noise coupled to the hand defect make a clip's hands
// all-good or all-bad? The shipped paper base is fine-tuned twice on the same pretraining clips (its own defect, the
// clip-level pose shift at rate 0.5, with the profile's 2-frame windows and shared frame noise in sampling):
//   mode:    with a mode input (UnetConfig.modeNoise, zero-init weight) coupled to the defect, modeShare 0.5;
//   control: the same fine-tune without it (the alternative: the same data and training, longer).
// Each is then measured with the study's own selection on the first N train inputs x 4 candidates (the paper
// sampler through the run's engine): within-input share of the clip hand score, cross-frame correlation of a
// candidate's deviations, strict (Case 4) pairs, acceptance; for the mode run also the hand score by mode region.
// A variant name with '-ghost' (mode-ghost, control-ghost) swaps the defect for ghost hands at full opacity (the hand
// faded into the background in every frame of half the clips), the coarse defect the oracle of research/runs.md
// ranks high (ideal 50/50 within share 0.60 with the models' between-input spread); '-mitten' for mittens (fused
// fingers of the hand's mean colour, every frame of half the clips). '-hwN' weighs hand pixels N x in the loss
// (PretrainConfig.handWeight); '-lrX' sets the fine-tune's learning rate (default 0.0003), e.g. mode-ghost-hw10-lr0.001.
// Usage (after npm run build): node research/kit/mode-prototype.js [STEPS=300] [N=64] [VARIANTS=mode,control]
// Writes data/runs/paper-1/mode-prototype/<variant>/ (resumable: a finished fine-tune or sample is reused) and
// prints one JSON line per variant.
const fs = require('fs');
const path = require('path');
const kit = require(path.join(__dirname, '..', '..', 'dist'));
const dist = (m) => require(path.join(__dirname, '..', '..', 'dist', m));
const { pretrainSample } = dist('model/pretrain');
const { sampleMode, modeThreshold } = dist('model/mode');
const { selectFromEvidence } = dist('select/positives');
const { premiseReport, framePremise } = dist('select/premise');

async function main() {
  const [stepsArg = '300', nArg = '64', variantsArg = 'mode,control'] = process.argv.slice(2);
  const steps = Number(stepsArg);
  const N = Number(nArg);
  await kit.initBackend({});
  const study = kit.openStudy({ profile: 'paper' });
  const base = await kit.baseStage(study);
  const detector = await kit.detectorStage(study);
  const { world } = kit.worldStage(study);
  const p = study.profile;
  const share = 0.5; // = the stream's defect rate (pose shift in the paper world, or ghost hands)
  const root = kit.workPath(study, 'mode-prototype');
  for (const variant of variantsArg.split(',')) {
    const mode = variant.startsWith('mode');
    const tokens = variant.split('-');
    const ghost = tokens.includes('ghost');
    const mitten = tokens.includes('mitten');
    const hw = Number((tokens.find((t) => /^hw[0-9.]+$/.test(t)) ?? 'hw1').slice(2));
    const lr = Number((tokens.find((t) => /^lr[0-9.e]+$/.test(t)) ?? 'lr0.0003').slice(2));
    const defects = ghost ? { poseShiftRate: 0, ghostRate: share, ghostOpacity: 1 } : mitten ? { poseShiftRate: 0, mittenRate: share } : {};
    const streamWorld = { ...p.world, pretrainDefects: { ...p.world.pretrainDefects, ...defects } };
    const dir = path.join(root, variant);
    const model = { ...p.pretrain.model, ...(mode ? { modeNoise: true } : {}) };
    const config = { ...p.pretrain, model, steps, lr, warmupSteps: 10, emaDecay: 0.98, checkpointEvery: Math.max(1, Math.round(steps / 4)), ...(mode ? { modeShare: share } : {}), ...(hw !== 1 ? { handWeight: hw } : {}) };
    const { weights } = kit.loadBase(base.dir);
    if (mode) weights['temb.wm'] = { shape: [1, model.embedDim], data: new Float32Array(model.embedDim) }; // zero-init: starts as the base
    const t0 = Date.now();
    const baseDir = path.join(dir, 'finetune', 'base');
    if (!fs.existsSync(path.join(baseDir, 'checkpoint.json'))) {
      const res = await kit.pretrain({
        config,
        seed: p.pretrainSeed,
        source: (i) => pretrainSample(study.worldSeed, i, streamWorld),
        worldHash: `${kit.pretrainStreamHash(study)}:mode-prototype:${JSON.stringify(defects)}`,
        outDir: path.join(dir, 'finetune'),
        resume: true,
        workers: p.jobs,
        stream: { worldSeed: study.worldSeed, world: streamWorld },
        init: { weights, sha256: base.meta.files['weights.bin'].sha256, streamOffset: p.pretrain.steps * p.pretrain.batch },
        info: { research: 'mode-prototype', variant },
      });
      if (!res.baseDir) throw new Error(`${variant}: the fine-tune stopped; run again to resume`);
    }
    const trainSeconds = (Date.now() - t0) / 1000;
    const t1 = Date.now();
    const gens = await kit.sampleSplit(study, { baseDir }, 'train', path.join(dir, 'candidates'), { candidates: p.selection.candidatesPerInput, rows: N, label: `${variant} candidates` });
    const evidence = kit.cachedEvidence(path.join(dir, 'selection'), gens, world.splits.train, detector);
    const r = selectFromEvidence({ evidence, thresholds: p.selection.judge, maxPositives: p.selection.maxPositives, override: null });
    const report = premiseReport(r.judgments);
    const frames = framePremise(evidence);
    const row = {
      variant, steps, lr, handWeight: hw, inputs: N, candidates: gens.manifest.count, engine: gens.manifest.engine,
      trainMinutes: +(trainSeconds / 60).toFixed(1), sampleAndJudgeMinutes: +((Date.now() - t1) / 60000).toFixed(1),
      withinShare: report.handScore?.withinShare ?? null,
      frameWithinShare: frames.frame?.withinShare ?? null,
      crossFrameCorrelation: frames.crossFrameCorrelation,
      acceptance: report.acceptance, inputsWithGoodAndBad: report.inputsWithGoodAndBad,
      strictPairs: r.cases.strictPairs.length, judgedPairs: r.cases.judgedPairs, strictShare: r.cases.judgedPairs ? r.cases.strictPairs.length / r.cases.judgedPairs : null,
      report,
    };
    if (mode) {
      const q = modeThreshold(share);
      const by = { below: [], above: [] };
      for (const j of r.judgments) if (j.score !== null) by[sampleMode(p.sampler.seed, j.id) > q ? 'above' : 'below'].push(j);
      const mean = (xs) => (xs.length ? xs.reduce((s, j) => s + j.score, 0) / xs.length : null);
      const good = (xs) => (xs.length ? xs.filter((j) => j.verdict === 'good').length / xs.length : null);
      row.byMode = { threshold: q, clean: { n: by.below.length, handScore: mean(by.below), acceptance: good(by.below) }, defective: { n: by.above.length, handScore: mean(by.above), acceptance: good(by.above) } };
    }
    fs.writeFileSync(path.join(dir, 'result.json'), JSON.stringify(row, null, 1));
    console.log(JSON.stringify({ ...row, report: undefined }));
  }
}
main().catch((e) => { console.error(e); process.exit(1); });
