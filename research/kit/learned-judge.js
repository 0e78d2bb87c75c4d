// The learned keypoint judge against the oracle (issue 30, item 4): fit on the base's val generations by the judge
// calibration (pipeline stage 5, `fitKeypointJudge`), then both judges on the train candidates (held out from the
// fit): frame and video agreement, Cohen's kappa, precision and recall of the learned judge's good videos, and the
// premise each judge's selection gives (acceptance, strict and mixed pairs, positives in a strict pair).
// Usage (after npm run build): node research/kit/learned-judge.js [PROFILE=paper] [OUT=research/learned-judge]
const fs = require('fs');
const path = require('path');
const kit = require(path.join(__dirname, '..', '..', 'dist'));

function premiseOf(evidence, judge, maxPositives) {
  const r = kit.selectFromEvidence({ evidence, thresholds: judge, maxPositives, override: null });
  const c = r.cases;
  const good = r.judgments.filter((j) => j.verdict === 'good').length;
  return {
    acceptance: good / r.judgments.length,
    good,
    judgedPairs: c.judgedPairs,
    strictShare: c.shares.case4,
    strictPairs: c.counts.case4,
    mixedShare: c.shares.case3,
    positives: c.positives,
    positivesInStrictPairs: c.positivesInStrictPairs,
    positiveIds: r.selection.positives,
  };
}

async function main() {
  const profile = process.argv[2] ?? 'paper';
  const out = process.argv[3] ?? path.join('research', 'learned-judge');
  await kit.initBackend({});
  const study = kit.openStudy({ profile });
  const base = await kit.baseStage(study);
  const detector = await kit.detectorStage(study);
  const t0 = Date.now();
  const cal = await kit.judgeCalibration(study, base, detector);
  if (!cal.learned) throw new Error(`no learned judge: ${cal.learnedError}`);
  const gens = await kit.candidatesStage(study, base);
  const world = kit.worldStage(study).world;
  const evidence = kit.cachedEvidence(path.join(study.paths.work, 'selection'), gens, world.splits.train, detector);
  const agreement = kit.keypointJudgeAgreement(study);
  const maxPositives = study.profile.selection.maxPositives;
  const oracle = premiseOf(evidence, study.profile.selection.judge, maxPositives);
  const learned = premiseOf(evidence, cal.learned.judge, maxPositives);
  const shared = learned.positiveIds.filter((id) => oracle.positiveIds.includes(id)).length;
  const oracleJ = kit.judgeVideos(evidence, study.profile.selection.judge);
  const byId = new Map(oracleJ.map((j) => [j.id, j]));
  const learnedPositivesOracleGood = learned.positiveIds.filter((id) => byId.get(id).verdict === 'good').length;
  // Mean oracle SSIM-Hand score of each judge's positives: what a positive set is worth to the training.
  const meanScore = (ids) => ids.reduce((a, id) => a + (byId.get(id).score ?? 0), 0) / Math.max(1, ids.length);
  const result = {
    profile,
    fit: { ...cal.learned, judge: cal.learned.judge },
    oracleThresholds: study.profile.selection.judge,
    train: {
      videos: evidence.length,
      agreement: agreement.agreement,
      oracle: { ...oracle, positiveIds: undefined, meanPositiveSsimHand: meanScore(oracle.positiveIds) },
      learned: { ...learned, positiveIds: undefined, meanPositiveSsimHand: meanScore(learned.positiveIds), positivesOracleGood: learnedPositivesOracleGood },
      sharedPositives: shared,
    },
    seconds: (Date.now() - t0) / 1000,
  };
  fs.writeFileSync(out + '.json', JSON.stringify(result, null, 1) + '\n');
  const f = (x, d = 3) => (x === null || x === undefined || Number.isNaN(x) ? 'n/a' : Number(x).toFixed(d));
  const j = cal.learned.judge;
  const lines = [
    `# The learned keypoint judge against the oracle (profile \`${profile}\`)`,
    '',
    `Made by \`node research/kit/learned-judge.js ${profile}\` (${result.seconds.toFixed(0)} s). Fit on the base's ${cal.learned.judgedVideos} val`,
    `generations (${cal.learned.hands} visible hands, the oracle passes ${f(100 * cal.learned.oraclePassShare, 1)}%), judged on the ${evidence.length} train candidates.`,
    '',
    '| feature | mean | std | weight (per std) |',
    '|---|---|---|---|',
    ...j.features.map((name, i) => `| \`${name}\`: ${kit.KEYPOINT_FEATURES[name].doc} | ${f(j.mean[i])} | ${f(j.std[i])} | ${f(j.weights[i])} |`),
    '',
    `Bias ${f(j.bias)}; a hand passes at p(good) >= ${j.minProbability}. Val: hand agreement ${f(100 * cal.learned.handAgreement, 1)}%, video acceptance ${f(100 * cal.learned.acceptance, 1)}%.`,
    '',
    '## Agreement with the oracle on the train candidates',
    '',
    '| | n | agree | Cohen kappa |',
    '|---|---|---|---|',
    `| frames | ${agreement.agreement.frames.n} | ${f(agreement.agreement.frames.agree)} | ${f(agreement.agreement.frames.kappa)} |`,
    `| videos | ${agreement.agreement.videos.n} | ${f(agreement.agreement.videos.agree)} | ${f(agreement.agreement.videos.kappa)} |`,
    '',
    `Precision of the learned judge's good videos under the oracle: ${f(agreement.agreement.precision)}; recall of the oracle's good videos: ${f(agreement.agreement.recall)}.`,
    '',
    '## The premise each judge gives',
    '',
    '| judge | acceptance | strict pairs | mixed pairs | positives | in a strict pair | mean oracle SSIM-Hand of positives |',
    '|---|---|---|---|---|---|---|',
    ...[['oracle', result.train.oracle], ['learned', result.train.learned]].map(([n, p]) =>
      `| ${n} | ${f(100 * p.acceptance, 1)}% | ${f(100 * p.strictShare, 1)}% (${p.strictPairs}) | ${f(100 * p.mixedShare, 1)}% | ${p.positives} | ${p.positivesInStrictPairs} | ${f(p.meanPositiveSsimHand)} |`),
    '',
    `${shared} of the learned judge's ${learned.positives} positives are also the oracle's; ${learnedPositivesOracleGood} are good videos under the oracle.`,
    '',
  ];
  fs.writeFileSync(out + '.md', lines.join('\n'));
  console.log(lines.join('\n'));
}
main().catch((e) => { console.error(e); process.exit(1); });
