import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { predictPaperRun } from '../src/study/bench-predict';
import { getProfile, methodConfig } from '../src/study/profiles';

describe('the paper run prediction (bench group pipeline)', () => {
  it('counts the clips and steps of each notebook from the profile', () => {
    const p = getProfile('paper');
    const W = p.jobs;
    const clipsOnly = predictPaperRun({ engine: 'test', sampleClip: 1, scoreClip: 0, alignStep: {}, fineTuneStep: 0 });
    const by = Object.fromEntries(clipsOnly.map((r) => [r.notebook, r.seconds]));
    assert.equal(by['02_baseline'], (p.world.splits.train * p.selection.candidatesPerInput) / W); // 256 inputs x 4 candidates over 2 workers
    assert.equal(by['01_pretrain'], (p.world.splits['test-general'] + p.world.splits['test-hands']) / W);
    // Main jobs: every method, each seed (a Flow-DPO step costed as two of IPA's); the curve methods of the first seed add snapshots.
    // Each method at its own tuned step count (methodConfig).
    const steps = predictPaperRun({ engine: 'test', sampleClip: 0, scoreClip: 0, alignStep: { sft: 1, 'sft-halo': 1, ipa: 1, 'ipa-halo': 1, 'ipa-const': 1 }, fineTuneStep: 0 });
    const main = steps.find((r) => r.notebook === '04_alignment')?.seconds;
    const perSeed = p.align.methods.reduce((s, m) => s + (m.startsWith('flow-dpo') ? 2 : 1) * methodConfig(p.align, m).steps, 0);
    assert.equal(main, (perSeed * p.align.seeds.length) / W);
  });
});
