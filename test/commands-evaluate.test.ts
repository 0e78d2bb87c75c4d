import { before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { evaluateCheckpoint } from '../src/commands/evaluate';
import { initParams } from '../src/model/dit';
import { saveCheckpoint, snapshot } from '../src/train/checkpoint';
import { modelHead } from '../src/model/checkpoint';
import { ModelConfig } from '../src/model/config';
import { openStudy } from '../src/study/study';
import { UsageError } from '../src/core/errors';
import { useWasm } from './helpers';

const SMALL: ModelConfig = { height: 64, width: 64, channels: 3, frames: 9, condChannels: 6, patch: 16, dim: 16, depth: 1, heads: 1, mlpRatio: 2, freqDim: 8 };

describe('ipa-kit evaluate', () => {
  before(useWasm);

  it('writes per-clip and summary metrics (CSV, Markdown, JSON) with intervals, and a win rate against a baseline evaluation', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-eval-'));
    const study = openStudy({ profile: 'smoke', root });
    const params = initParams(SMALL, 1);
    const ckpt = (name: string, bias: number) => {
      tf.tidy(() => params['final.b'].assign(tf.fill(params['final.b'].shape, bias)));
      const dir = path.join(root, name);
      saveCheckpoint(dir, { head: modelHead('base', SMALL), step: 0, seed: 1, worldHash: 'w', files: { weights: snapshot(params) } });
      return dir;
    };
    const a = ckpt('a', 0);
    const b = ckpt('b', 0.3);
    const ra = await evaluateCheckpoint(study, { checkpoint: a, split: 'val', outDir: path.join(root, 'eval-a'), noDetector: true, workers: 1 });
    const rb = await evaluateCheckpoint(study, { checkpoint: b, split: 'val', outDir: path.join(root, 'eval-b'), baselineDir: path.join(root, 'eval-a'), label: 'b', noDetector: true, workers: 1 });
    tf.dispose(Object.values(params));

    const n = ra.scored.scores.clips.length;
    assert.ok(n > 0);
    for (const f of ['clips.csv', 'clips.md', 'clips.json', 'summary.csv', 'summary.md', 'summary.json']) assert.ok(fs.existsSync(path.join(root, 'eval-b', f)), f);
    const csv = fs.readFileSync(path.join(root, 'eval-b', 'clips.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, n + 1, 'a header and one row per clip');
    const summary = JSON.parse(fs.readFileSync(path.join(root, 'eval-b', 'summary.json'), 'utf8'));
    assert.equal(summary.split, 'val');
    assert.equal(summary.clips, n);
    const ssim = rb.summary.find((r) => r.metric === 'ssim');
    const mean = rb.scored.scores.clips.reduce((s, c) => s + c.ssim, 0) / n;
    assert.ok(ssim && ssim.mean !== null && Math.abs(ssim.mean - mean) < 1e-9, 'the summary mean is the mean of the per-clip values');
    assert.ok(ssim && (ssim.ci_low as number) <= mean && mean <= (ssim.ci_high as number));
    assert.equal(rb.summary.find((r) => r.metric === 'handKeypointError')?.mean, null, 'no detector, no keypoint error');
    const win = rb.summary.find((r) => r.metric === 'winRate');
    assert.ok(win && win.mean !== null && win.mean >= 0 && win.mean <= 1, 'a win rate against the baseline');
    assert.equal(ra.summary.find((r) => r.metric === 'winRate')?.mean, null, 'no baseline, no win rate');
    assert.equal(ra.paired.length, 0, 'no baseline, no paired differences');
    const pd = rb.paired.find((r) => r.metric === 'ssim');
    const meanA = ra.scored.scores.clips.reduce((s, c) => s + c.ssim, 0) / n;
    assert.ok(pd && Math.abs(pd.difference - (mean - meanA)) < 1e-9, 'the paired difference is the difference of the means over the same clips');
    assert.ok(pd && pd.ci_low <= pd.difference && pd.difference <= pd.ci_high);
    assert.ok(fs.existsSync(path.join(root, 'eval-b', 'paired.csv')));
    await assert.rejects(evaluateCheckpoint(study, { checkpoint: a, split: 'val', outDir: path.join(root, 'x'), baselineDir: root, noDetector: true, workers: 1 }), UsageError);
  });
});
