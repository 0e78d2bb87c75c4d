// The judge calibration of the paper study (pipeline stage 5) from the command line: the base's val generations
// (cached under data/runs/paper-1/models/base/val/gen, the same files notebook 03 uses), per-hand quantiles, and
// the thresholds `calibrateJudge` suggests for the profile's target acceptance next to the profile's own.
// Usage (after npm run build): node research/kit/calibrate.js [PROFILE=paper]
const path = require('path');
const kit = require(path.join(__dirname, '..', '..', 'dist'));

async function main() {
  await kit.initBackend({});
  const study = kit.openStudy({ profile: process.argv[2] ?? 'paper' });
  const base = await kit.baseStage(study);
  const detector = await kit.detectorStage(study);
  const c = await kit.judgeCalibration(study, base, detector);
  console.log(JSON.stringify(c, null, 1));
}
main().catch((e) => { console.error(e); process.exit(1); });
