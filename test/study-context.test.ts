import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { notebookContext } from '../src/study/context';
import { notebooksFor, selectNotebooks } from '../src/study/reproduce';
import { ROOT } from './kernel-helpers';

describe('profiles reach notebooks through the environment', () => {
  it('reads IPA_PROFILE, IPA_WORLD_SEED, IPA_PRETRAIN, IPA_HEADLESS with defaults', () => {
    const d = notebookContext({});
    assert.equal(d.profileName, 'paper');
    assert.equal(d.worldSeed, d.profile.seed);
    assert.equal(d.pretrain, false);
    assert.equal(d.headless, false);
    assert.equal(d.root, ROOT);
    const s = notebookContext({ IPA_PROFILE: 'smoke', IPA_WORLD_SEED: '12', IPA_PRETRAIN: '1', IPA_HEADLESS: '1' });
    assert.deepEqual([s.profileName, s.worldSeed, s.pretrain, s.headless], ['smoke', 12, true, true]);
  });

  it('rejects an unknown profile or a bad seed with a message naming it', () => {
    assert.throws(() => notebookContext({ IPA_PROFILE: 'huge' }), /unknown profile 'huge'/);
    assert.throws(() => notebookContext({ IPA_WORLD_SEED: '1.5' }), /IPA_WORLD_SEED must be an integer/);
  });

  it('lists the notebooks of a profile from plain data', () => {
    assert.deepEqual(notebooksFor('smoke').map((n) => n.split('/').pop()), ['00_world.ipynb', '01_pretrain.ipynb', '02_baseline.ipynb', '03_positives.ipynb', '04_alignment.ipynb', '05_results_ablations.ipynb', '06_premise_sweep.ipynb', '07_curves.ipynb', '08_iterate.ipynb']);
    assert.deepEqual(notebooksFor('paper', [{ notebook: 'a' }, { notebook: 'b', profiles: ['smoke'] }]), ['a']);
    assert.throws(() => notebooksFor('huge'), /unknown profile/);
  });

  it('runs part of a profile: --from through --to, both included, by base name or path', () => {
    const nbs = ['notebooks/00_a.ipynb', 'notebooks/01_b.ipynb', 'notebooks/02_c.ipynb', 'notebooks/03_d.ipynb'];
    assert.deepEqual(selectNotebooks(nbs, undefined, undefined), nbs);
    assert.deepEqual(selectNotebooks(nbs, '01_b', undefined), nbs.slice(1));
    assert.deepEqual(selectNotebooks(nbs, undefined, '02_c.ipynb'), nbs.slice(0, 3));
    assert.deepEqual(selectNotebooks(nbs, '02_c', 'notebooks/02_c.ipynb'), [nbs[2]]);
    assert.throws(() => selectNotebooks(nbs, '02_c', '01_b'), /--to '01_b' comes before --from '02_c'/);
    assert.throws(() => selectNotebooks(nbs, undefined, '09_z'), /--to '09_z' is not a notebook of this profile \(00_a, 01_b, 02_c, 03_d\)/);
    assert.throws(() => selectNotebooks(nbs, undefined, ' '), /--to needs a notebook of this profile/);
  });
});
