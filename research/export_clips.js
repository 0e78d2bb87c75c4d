#!/usr/bin/env node
/*
 * Export clips of the world for the PyTorch prototype (needs `npm run build` first):
 *   node research/export_clips.js --split pretrain --count 2000 --out research/data/pre-blur50 \
 *        [--start 0] [--seed 1] [--size 64] [--frames 8] [--defects '{"blurRate":0.5}'] [--fields frames,poses,ref,refPose]
 * Writes <out>.bin (fields stacked over clips, field-major) and <out>.json (header: fields with dtype, shape, offset).
 */
'use strict';
const path = require('node:path');
const { exportClips } = require(path.join(__dirname, '..', 'dist', 'world'));

function main(argv) {
  const args = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || argv[i + 1] === undefined) throw new Error(`usage error near '${argv[i]}'`);
    args[argv[i].slice(2)] = argv[i + 1];
  }
  if (!args.split || !args.count || !args.out) throw new Error('usage: --split S --count N --out PATH [--start I] [--seed N] [--size S] [--frames F] [--defects JSON] [--fields a,b]');
  const world = { size: Number(args.size ?? 64), frames: Number(args.frames ?? 8), splits: { train: 1e6 - 1, val: 1e6 - 1, 'test-general': 1e6 - 1, 'test-hands': 1e6 - 1 }, hardShare: 0.25 };
  const t0 = Date.now();
  const header = exportClips({
    worldSeed: Number(args.seed ?? 1), world, split: args.split, start: Number(args.start ?? 0), count: Number(args.count), out: args.out,
    defects: args.defects ? JSON.parse(args.defects) : undefined,
    fields: args.fields ? args.fields.split(',') : undefined,
    onProgress: (d, n) => { if (d % 200 === 0 || d === n) process.stderr.write(`${d}/${n} clips ${((Date.now() - t0) / 1000).toFixed(1)} s\n`); },
  });
  const bad = header.clips.filter((c) => c.defects && Object.entries(c.defects).some(([k, v]) => k !== 'exposure' && v)).length;
  process.stdout.write(`wrote ${header.count} ${header.split} clips (${bad} with hand defects) to ${args.out}.bin/.json in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`export_clips: ${err.message}\n`);
  process.exit(2);
}
