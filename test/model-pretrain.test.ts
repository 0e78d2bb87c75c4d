import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pretrain, PretrainConfig } from '../src/model/pretrain';
import { readCheckpointMeta, readTensorFile } from '../src/train/checkpoint';
import { ModelConfig } from '../src/model/config';
import { makePretrainClip } from '../src/world/defects';
import { getProfile } from '../src/study/profiles';
import { useWasm } from './helpers';

const SMALL: ModelConfig = { height: 64, width: 64, channels: 3, frames: 9, condChannels: 6, patch: 16, dim: 16, depth: 1, heads: 1, mlpRatio: 2, freqDim: 8 };
const CONFIG: PretrainConfig = {
  model: SMALL, steps: 3, batch: 4, lr: 1e-3, warmupSteps: 1, minLrFraction: 0.1, weightDecay: 0.01, clipNorm: 1,
  emaDecay: 0.9, checkpointEvery: 3, timesteps: { kind: 'logit-normal', mean: 0.8, std: 0.8 },
};

describe('pretraining', () => {
  before(useWasm);

  it('data-parallel on 2 worker threads matches the single-thread run (per-sample noise streams)', async () => {
    const world = getProfile('smoke').world;
    const stream = { worldSeed: 1, world };
    const run = async (workers: number) => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), `ipa-pre-${workers}-`));
      const res = await pretrain({ config: CONFIG, seed: 2, source: (i) => makePretrainClip(1, i, world).clip, worldHash: 'stream', outDir: out, resume: false, workers, stream });
      assert.ok(res.baseDir);
      return readTensorFile(res.baseDir as string, readCheckpointMeta(res.baseDir as string), 'weights');
    };
    const one = await run(1);
    const two = await run(2);
    for (const n of Object.keys(one)) {
      const a = one[n].data;
      const b = two[n].data;
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 + 1e-4 * Math.abs(a[i]), `${n}[${i}]: ${a[i]} vs ${b[i]}`);
    }
  });
});
