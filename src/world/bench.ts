/** Benchmark of the world build, for the kit's `npm run bench` (builds into a temporary folder, then removes it). */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeTree } from '../core/files';
import { WorldConfig } from './config';
import { buildWorld } from './store';

/** Seconds to build a world from scratch (seed 1), with the clips and images (reference + frames) it made. */
export async function benchWorldBuild(config: WorldConfig, name = 'bench'): Promise<{ seconds: number; clips: number; images: number }> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-world-bench-'));
  try {
    const t0 = process.hrtime.bigint();
    const { manifest } = buildWorld({ config, name, seed: 1, out: path.join(tmp, 'world') });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const clips = Object.values(manifest.counts).reduce((a, b) => a + b, 0);
    return { seconds, clips, images: clips * (manifest.config.frames + 1) };
  } finally {
    removeTree(tmp);
  }
}
