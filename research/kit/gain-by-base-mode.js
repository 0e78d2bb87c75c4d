// Where the post-training gain comes from: the test clips split by what the base drew (SSIM-Hand below THRESHOLD:
// hands vanished, the base's defective mode; at or above: hands drawn), and for each main-table method the mean
// per-clip SSIM-Hand gain over the base in each group (every training seed's run, same clips and noise), and how
// many clips per run are still below the threshold. Reads the stored scores of a finished paper run
// (data/runs/paper-1: `npm run reproduce` first). Prints one JSON object.
// Usage (after npm run build): node research/kit/gain-by-base-mode.js [THRESHOLD=0.35]
const path = require('path');
const kit = require(path.join(__dirname, '..', '..', 'dist'));
const { loadScores } = require(path.join(__dirname, '..', '..', 'dist', 'eval', 'score'));

function main() {
  const threshold = Number(process.argv[2] ?? '0.35');
  const study = kit.openStudy({ profile: 'paper' });
  const p = study.profile;
  const jobs = kit.readJobs(study);
  const values = (scored) => new Map(scored.scores.clips.filter((c) => c.ssimHand !== null).map((c) => [c.clipId, c.ssimHand]));
  const out = { threshold, splits: {} };
  for (const split of p.eval.splits) {
    const base = values(loadScores(path.join(study.paths.work, 'models', 'base', split, 'scores')));
    const vanished = [...base.keys()].filter((id) => base.get(id) < threshold);
    const drawn = [...base.keys()].filter((id) => base.get(id) >= threshold);
    const rows = {};
    for (const method of p.align.methods) {
      const runs = p.align.seeds.map((s) => jobs[kit.mainJobName(method, s)]).filter((j) => j && !j.skipped).map((j) => values(kit.jobScores(study, j, split)));
      if (!runs.length) continue;
      const gain = (ids) => runs.reduce((a, r) => a + ids.reduce((b, id) => b + r.get(id) - base.get(id), 0) / ids.length, 0) / runs.length;
      rows[method] = { gainVanished: gain(vanished), gainDrawn: gain(drawn), stillVanished: runs.reduce((a, r) => a + [...r.values()].filter((v) => v < threshold).length, 0) / runs.length };
    }
    out.splits[split] = { clips: base.size, vanishedUnderBase: vanished.length, methods: rows };
  }
  process.stdout.write(`${JSON.stringify(out, null, 1)}\n`);
}

main();
