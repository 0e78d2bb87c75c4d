/** Selection bias: the KS distance and the kept-vs-rejected table, worked by hand, and the attributes of a real world. */
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InputAttributes, clusterBootstrap, inputAttributes, ksDistance, selectionBias } from '../src';
import { PROFILES } from '../src/study/profiles';
import { buildWorld, handBoxStats, loadWorld, motionSpeedStats } from '../src/world';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-bias-test-'));
after(() => fs.rmSync(TMP, { recursive: true, force: true }));

const attrs = (clip: string, v: number): InputAttributes => ({ clip, bodySpeed: v, handSpeed: 2 * v, handArea: 100, handVisibility: v / 10, handShare: 0.03 });

describe('ksDistance', () => {
  it('is the largest gap between the two empirical CDFs', () => {
    assert.equal(ksDistance([1, 2, 3], [1, 2, 3]), 0);
    assert.equal(ksDistance([1, 2], [3, 4]), 1);
    // CDFs at 1: 1/2 vs 0; at 2: 1 vs 1/3; at 3: 1 vs 2/3 -> the gap is 2/3 at 2.
    assert.ok(Math.abs(ksDistance([1, 2], [2, 3, 4]) - 2 / 3) < 1e-12);
    assert.throws(() => ksDistance([], [1]), /both samples must be non-empty/);
  });
});

describe('clusterBootstrap', () => {
  it('resamples clips, whose candidates move together', () => {
    // Clip 0 (value 1): 2 kept, 0 rejected; clip 1 (value 3): 1 kept, 1 rejected. diff = 5/3 - 3 = -4/3.
    // Resamples: {0,1} -> -4/3; {1,1} -> 0; {0,0} has no rejected candidate and is drawn again. So the interval is [-4/3, 0].
    const c = clusterBootstrap([1, 3], [2, 1], [0, 1], 1);
    assert.ok(Math.abs(c.diff + 4 / 3) < 1e-12);
    assert.ok(Math.abs(c.low + 4 / 3) < 1e-12 && c.high === 0, `${c.low}..${c.high}`);
    assert.deepEqual(clusterBootstrap([1, 3], [2, 1], [0, 1], 1), c);
    assert.throws(() => clusterBootstrap([1, 3], [0, 0], [1, 1], 1), /needs kept and rejected candidates/);
  });
});

describe('selectionBias', () => {
  // Clips a (speed 1) and b (speed 3); two candidates each. The judge keeps a#0 and a#1 and b#0.
  const table = [attrs('a', 1), attrs('b', 3)];
  const candidates = ['a#0', 'a#1', 'b#0', 'b#1'].map((id) => ({ id, clipId: id.split('#')[0] }));

  it('compares kept with rejected candidates, one value per candidate from its input clip', () => {
    const rows = selectionBias(table, candidates, ['a#0', 'b#0', 'a#1'], { seed: 1 });
    const speed = rows.find((r) => r.attribute === 'bodySpeed');
    assert.ok(speed);
    // kept: 1, 1, 3 -> 5/3; rejected: 3 -> diff -4/3. All four: mean 2, SD 1 -> standardized -4/3.
    assert.ok(Math.abs(speed.kept - 5 / 3) < 1e-12 && speed.rejected === 3);
    assert.ok(Math.abs(speed.diff + 4 / 3) < 1e-12 && Math.abs(speed.standardized + 4 / 3) < 1e-12);
    assert.deepEqual([speed.keptCount, speed.rejectedCount], [3, 1]);
    // CDFs at 1: 2/3 vs 0 -> KS 2/3.
    assert.ok(Math.abs(speed.ks - 2 / 3) < 1e-12);
    assert.ok(speed.low <= speed.diff && speed.diff <= speed.high);
    const area = rows.find((r) => r.attribute === 'handArea');
    assert.deepEqual([area?.diff, area?.standardized, area?.ks, area?.low, area?.high], [0, 0, 0, 0, 0]);
    assert.deepEqual(rows.map((r) => r.attribute), ['bodySpeed', 'handSpeed', 'handArea', 'handVisibility', 'handShare']);
  });

  it('rejects kept ids outside the candidates, unknown clips and one-sided selections', () => {
    assert.throws(() => selectionBias(table, candidates, ['c#0'], { seed: 1 }), /kept id 'c#0' is not among the candidates/);
    assert.throws(() => selectionBias(table, [...candidates, { id: 'z#0', clipId: 'z' }], ['a#0'], { seed: 1 }), /candidate 'z#0' names clip 'z'/);
    assert.throws(() => selectionBias(table, candidates, candidates.map((e) => e.id), { seed: 1 }), /needs kept and rejected candidates \(got 4 kept, 0 rejected\)/);
  });
});

describe('inputAttributes', () => {
  it('summarises every clip of a split from the world statistics', () => {
    const dir = path.join(TMP, 'smoke-1');
    buildWorld({ config: PROFILES.smoke.world, name: 'smoke', seed: 1, out: dir });
    const world = loadWorld(dir);
    const rows = inputAttributes(world, 'train');
    assert.deepEqual(rows.map((r) => r.clip), world.splits.train.ids);
    const first = rows[0];
    const speed = motionSpeedStats(world).find((r) => r.split === 'train' && r.clip === first.clip);
    assert.equal(first.bodySpeed, speed?.bodySpeed);
    const boxes = handBoxStats(world).filter((b) => b.split === 'train' && b.clip === first.clip);
    const vis = boxes.filter((b) => b.visible);
    assert.equal(first.handVisibility, vis.length / boxes.length);
    assert.ok(Math.abs(first.handArea - (vis.length ? vis.reduce((s, b) => s + b.width * b.height, 0) / vis.length : 0)) < 1e-9);
    for (const r of rows) assert.ok(r.handShare >= 0 && r.handShare <= 1 && r.handVisibility >= 0 && r.handVisibility <= 1, JSON.stringify(r));
  });
});
