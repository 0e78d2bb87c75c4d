/** Iterated self-improvement: the merged model a round starts from, the profile's checks and the contrasts listed. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { initParams } from '../src/model/network';
import { modelHead, readModelCheckpointMeta } from '../src/model/checkpoint';
import { loadBase, loadModel, saveMergedBase } from '../src/model/load';
import { saveCheckpoint, snapshot } from '../src/train/checkpoint';
import { rng } from '../src/core/seeds';
import { PROFILES, Profile, ShiftedSplit } from '../src/study/profiles';
import { shiftedSlug } from '../src/study/shifted';
import { iterateJob, iterateLabel, iteratePairs, iterateProfile } from '../src/study/iterate';
import { openStudy } from '../src/study/study';
import { useWasm } from './helpers';

describe('saveMergedBase', () => {
  it('writes base + fully fine-tuned weights as a base checkpoint that records both hashes', async () => {
    await useWasm();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-merge-'));
    const c = PROFILES.smoke.pretrain.model;
    const params = initParams(c, 1);
    const baseDir = path.join(tmp, 'base');
    const base = saveCheckpoint(baseDir, { head: modelHead('base', c), step: 30, seed: 1, worldHash: 'w', info: { profile: 'smoke' }, files: { weights: snapshot(params) } });
    for (const [n, v] of Object.entries(params)) v.assign(tf.add(v, tf.tensor(rng(3, n).normals(v.size, 0.01), v.shape)));
    const tuned = snapshot(params);
    const baseSha = base.files['weights.bin'].sha256;
    const adapterDir = path.join(tmp, 'adapter');
    const ad = saveCheckpoint(adapterDir, { head: modelHead('adapter', c, { lora: null, baseWeightsSha256: baseSha }), step: 4, seed: 2, worldHash: 'w', files: { weights: tuned } });
    tf.dispose(Object.values(params));

    const meta = saveMergedBase(baseDir, adapterDir, path.join(tmp, 'merged'));
    assert.equal(meta.kind, 'base');
    assert.equal(meta.step, 34);
    assert.deepEqual(meta.info.mergedFrom, { baseWeightsSha256: baseSha, adapterWeightsSha256: ad.files['weights.bin'].sha256 });
    assert.equal(meta.info.profile, 'smoke', "the base's info is kept");
    const merged = loadBase(path.join(tmp, 'merged')).weights;
    for (const [n, t] of Object.entries(tuned)) assert.deepEqual(Array.from(merged[n].data), Array.from(t.data), `${n} is the fine-tuned weight`);
    assert.notEqual(readModelCheckpointMeta(path.join(tmp, 'merged')).files['weights.bin'].sha256, baseSha);
    // the adapter belongs to the old base: loading it on the merged one is refused
    assert.throws(() => loadModel(path.join(tmp, 'merged'), adapterDir), /was trained on another base/);
  });
});

describe('iterate settings', () => {
  const withIterate = (change: Partial<NonNullable<Profile['iterate']>>) => {
    const study = openStudy({ profile: 'smoke' });
    return { ...study, profile: { ...study.profile, iterate: { ...(study.profile.iterate as NonNullable<Profile['iterate']>), ...change } } };
  };

  it('are checked with the setting named', () => {
    assert.throws(() => iterateProfile({ ...openStudy({ profile: 'paper' }) }), /profile 'paper' has no iterate settings/);
    assert.throws(() => iterateProfile(withIterate({ rounds: 0 })), /iterate: rounds must be an integer from 1/);
    assert.throws(() => iterateProfile(withIterate({ inputs: 10_000 })), /iterate: inputs must be an integer from 1 to 8, got 10000/);
    assert.throws(() => iterateProfile(withIterate({ runs: [{ method: 'flow-dpo' }] })), /'flow-dpo' trains on pairs/);
    assert.throws(() => iterateProfile(withIterate({ runs: [] })), /runs must name at least one run/);
    assert.throws(() => iterateProfile(withIterate({ seeds: [] })), /seeds must be distinct positive integers, at least one, got \[\]/);
    assert.throws(() => iterateProfile(withIterate({ seeds: [1, 1] })), /seeds must be distinct/);
    assert.throws(() => iterateProfile(withIterate({ seeds: [0] })), /seeds must be distinct positive integers/);
    const shifted = (s: Partial<ShiftedSplit>) => withIterate({ shifted: [{ name: 'w', worldSeed: 3, split: 'test-hands', clips: 2, ...s }] });
    assert.throws(() => iterateProfile(shifted({ worldSeed: undefined })), /shifted 'w': set worldSeed or zoom/);
    assert.throws(() => iterateProfile(shifted({ zoom: 5 })), /shifted 'w': zoom must be in 1\.\.4, got 5/);
    assert.throws(() => iterateProfile(shifted({ split: 'nope' as ShiftedSplit['split'] })), /shifted 'w': no split 'nope'/);
    assert.throws(() => iterateProfile(shifted({ clips: 1 })), /shifted 'w': clips must be an integer from 2 to \d+, got 1/);
    assert.throws(() => iterateProfile(shifted({ name: 'a/b' })), /shifted 'a\/b': name must be letters/);
    assert.throws(
      () => iterateProfile(withIterate({ shifted: [{ name: 'Zoom 2', zoom: 2, split: 'test-hands', clips: 2 }, { name: 'zoom  2', zoom: 3, split: 'test-hands', clips: 2 }] })),
      /shifted 'zoom {2}2': another shifted split has this name/,
    );
    assert.equal(shiftedSlug({ name: ' Zoom  2 ' }), 'zoom-2');
    assert.equal(iterateProfile(withIterate({})).rounds, 2);
  });

  it('name each round its own job and pair each chain with a reference with its SFT twin', () => {
    const study = openStudy({ profile: 'smoke' });
    const it = iterateProfile(study);
    const [sft, ipa] = it.runs;
    const job = iterateJob(study, it, ipa, 2, 1);
    assert.equal(job.name, 'iterate-r2-ipa-beta6000-clip0.s1');
    const other = iterateJob(study, it, ipa, 2, 3);
    assert.deepEqual([other.name, other.seed], ['iterate-r2-ipa-beta6000-clip0.s3', 3], 'each seed its own chain of jobs');
    assert.deepEqual([job.config.steps, job.config.beta, job.config.clipNorm, job.group, job.evalSplits], [it.steps, 6000, 0, 'iterate', ['test-hands']]);
    assert.deepEqual(job.probe?.measures, it.measures);
    assert.deepEqual(iteratePairs(study, it), [
      { a: iterateLabel(study, sft), b: 'base' },
      { a: iterateLabel(study, ipa), b: 'base' },
      { a: iterateLabel(study, ipa), b: iterateLabel(study, sft) },
    ]);
    assert.equal(iterateLabel(study, ipa), 'iterate: ipa (beta 6000, no clip, LoRA 8)');
  });
});
