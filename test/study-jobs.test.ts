import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { mainJobName, shardJobs, studyJobs, sweepPoints } from '../src/study/jobs';
import { getProfile } from '../src/study/profiles';
import { studyPaths } from '../src/study/study';

describe('study jobs', () => {
  const p = getProfile('paper');
  const jobs = studyJobs(p.align, p.ablations, p.eval);

  it('lists every method x seed, then only the sweep points that no main run covers', () => {
    const main = jobs.filter((j) => j.group === 'main');
    assert.equal(main.length, p.align.methods.length * p.align.seeds.length);
    assert.ok(main.every((j) => j.config.method === j.method && j.config.beta === p.align.defaults.beta));
    const names = jobs.map((j) => j.name);
    assert.equal(new Set(names).size, names.length, 'unique names');
    assert.ok(!names.includes('beta-600.s1') && names.includes('beta-200.s1') && names.includes('beta-1000.s1'));
    assert.ok(!names.some((n) => /^hand-weight-(1|10)\.s/.test(n)), 'lambda 1 is ipa and lambda 10 is ipa-halo');
    const hw = jobs.find((j) => j.name === 'hand-weight-100.s1');
    assert.equal(hw?.config.handWeight, 100);
    assert.equal(hw?.method, 'ipa-halo');
    const pts = sweepPoints(p.align, p.ablations, p.selection.maxPositives);
    assert.equal(pts.find((x) => x.group === 'hand-weight' && x.value === 1)?.job, mainJobName('ipa', p.align.seeds[0]));
    assert.equal(pts.find((x) => x.group === 'beta' && x.value === 600)?.job, mainJobName('ipa-halo', p.align.seeds[0]));
    for (const pt of pts) assert.ok(names.includes(pt.job), `sweep point ${pt.group}=${pt.value} reads a job that exists (${pt.job})`);
  });

  it('splits jobs into shards that cover every job exactly once', () => {
    const seen = [1, 2, 3].flatMap((i) => shardJobs(jobs, `${i}/3`).map((j) => j.name));
    assert.deepEqual(seen.sort(), jobs.map((j) => j.name).sort());
    assert.throws(() => shardJobs(jobs, '4/3'), /1 <= i <= n/);
    assert.throws(() => shardJobs(jobs, 'two'), /--shard must look like i\/n/);
  });

  it('puts results of the committed study in results/ and others in their own folder', () => {
    assert.equal(studyPaths('/r', 'paper', 1).results, path.join('/r', 'results'));
    assert.equal(studyPaths('/r', 'paper', 7).results, path.join('/r', 'results', 'paper-seed7'));
    assert.equal(studyPaths('/r', 'smoke', 1).results, path.join('/r', 'results', 'smoke-seed1'));
  });
});
