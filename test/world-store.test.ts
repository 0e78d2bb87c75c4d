/** The stored world: determinism, split disjointness, the loader's checks, the `world` command, stats and bench. */
import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DataError } from '../src/core/errors';
import { sealed } from '../src/core/json';
import { PROFILES } from '../src/study/profiles';
import { SPLITS, SplitName } from '../src/world/config';
import {
  World, benchWorldBuild, buildWorld, getClip, handBoxStats, identityId, loadWorld, makeClip, makeIdentity, makeMotion, motionId,
  motionSpeedStats, worldFileName, clipDifficulty, WORLD_FORMAT_VERSION,
} from '../src/world';
import { cliInProcess as cli } from './helpers';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-world-test-'));
process.env.IPA_QUIET = '1';

function filesOf(dir: string): Record<string, Buffer> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f))]));
}

function copyDir(src: string, dst: string): string {
  fs.mkdirSync(dst, { recursive: true });
  for (const f of fs.readdirSync(src)) fs.copyFileSync(path.join(src, f), path.join(dst, f));
  return dst;
}

let smokeDir = '';
let world: World;

before(() => {
  smokeDir = path.join(TMP, 'smoke-1');
  buildWorld({ config: PROFILES.smoke.world, name: 'smoke', seed: 1, out: smokeDir });
  world = loadWorld(smokeDir);
});

after(() => fs.rmSync(TMP, { recursive: true, force: true }));

describe('stored world', () => {
  it('is byte-identical for the same seed and differs for another seed', () => {
    const again = buildWorld({ config: PROFILES.smoke.world, name: 'smoke', seed: 1, out: path.join(TMP, 'smoke-1-again') });
    assert.equal(again.built, true);
    const a = filesOf(smokeDir);
    const b = filesOf(again.dir);
    assert.deepEqual(Object.keys(a), Object.keys(b));
    for (const f of Object.keys(a)) assert.ok(a[f].equals(b[f]), `${f} differs between two builds`);
    const other = buildWorld({ config: PROFILES.smoke.world, name: 'smoke', seed: 2, out: path.join(TMP, 'smoke-2') });
    for (const name of Object.keys(other.manifest.files)) {
      if (name.endsWith('identity.i32') || name.endsWith('motion.i32') || name.includes('handVisible') || name.includes('handBoxes')) continue;
      assert.notEqual(other.manifest.files[name].sha256, world.manifest.files[name].sha256, `${name} same for seeds 1 and 2`);
    }
  });

  it('has a manifest with config, seed, counts, shapes and a size and SHA-256 per file', () => {
    const m = world.manifest;
    assert.equal(m.profile, 'smoke');
    assert.equal(m.seed, 1);
    assert.deepEqual(m.counts, PROFILES.smoke.world.splits);
    assert.equal(m.config.size, 64);
    assert.equal(m.config.hardShare, 0.25);
    const S = m.config.size;
    const F = m.config.frames;
    assert.deepEqual(m.files[worldFileName('train', 'frames')].shape, [8, F, S, S, 3]);
    assert.deepEqual(m.files[worldFileName('train', 'keypoints')].shape, [8, F, 60, 3]);
    for (const [name, f] of Object.entries(m.files)) {
      assert.equal(fs.statSync(path.join(smokeDir, name)).size, f.bytes, name);
      assert.match(f.sha256, /^[0-9a-f]{64}$/);
    }
  });

  it('loads back exactly the clips makeClip makes', () => {
    for (const split of SPLITS) {
      const d = world.splits[split];
      assert.equal(d.count, PROFILES.smoke.world.splits[split]);
      for (const i of [0, d.count - 1]) {
        const want = makeClip(1, split, i, PROFILES.smoke.world);
        const got = getClip(d, i);
        assert.equal(got.id, want.id);
        assert.equal(got.identity, want.identity);
        assert.equal(got.motion, want.motion);
        assert.equal(got.difficulty, want.difficulty);
        assert.deepEqual(got.motionFamily, want.motionFamily);
        for (const f of ['ref', 'refPose', 'frames', 'poses', 'handMasks', 'handVisible'] as const) assert.ok(Buffer.from(got[f]).equals(Buffer.from(want[f])), `${split} ${i} ${f}`);
        for (const f of ['refKeypoints', 'keypoints', 'handBoxes'] as const) assert.deepEqual(got[f], want[f], `${split} ${i} ${f}`);
      }
    }
  });
});

describe('splits', () => {
  it('are disjoint in identity and motion ids, with the pretraining stream disjoint from all of them', () => {
    const paper = PROFILES.paper.world.splits;
    const ids = new Map<number, string>();
    const motions = new Map<number, string>();
    const add = (map: Map<number, string>, id: number, where: string): void => {
      assert.ok(!map.has(id), `id ${id} in ${where} and ${map.get(id)}`);
      map.set(id, where);
    };
    for (const split of SPLITS) {
      for (let i = 0; i < paper[split]; i++) {
        add(ids, identityId(split, i), split);
        add(motions, motionId(split, i), split);
      }
    }
    for (let i = 0; i < 5000; i++) {
      add(ids, identityId('pretrain', i), 'pretrain');
      add(motions, motionId('pretrain', i), 'pretrain');
    }
    // The stored world carries the same ids.
    for (const split of SPLITS) {
      const d = world.splits[split];
      for (let i = 0; i < d.count; i++) {
        assert.equal(d.identity[i], identityId(split, i));
        assert.equal(d.motion[i], motionId(split, i));
      }
    }
  });

  it('are disjoint in identity and motion parameters', () => {
    const identities = new Map<string, string>();
    const motions = new Map<string, string>();
    const w = PROFILES.paper.world;
    const splits: (SplitName | 'pretrain')[] = [...SPLITS, 'pretrain'];
    for (const split of splits) {
      for (let i = 0; i < 40; i++) {
        const id = makeIdentity(1, identityId(split, i));
        const key = JSON.stringify({ p: id.proportions, a: id.appearance });
        assert.ok(!identities.has(key), `identity of ${split} ${i} repeats ${identities.get(key)}`);
        identities.set(key, `${split} ${i}`);
        const m = makeMotion(1, motionId(split, i), clipDifficulty(split, i, w));
        const mk = JSON.stringify({ ...m, id: 0, difficulty: '' });
        assert.ok(!motions.has(mk), `motion of ${split} ${i} repeats ${motions.get(mk)}`);
        motions.set(mk, `${split} ${i}`);
      }
    }
  });

  it('have the documented difficulty: test-hands all hard, others the profile share', () => {
    assert.ok(world.splits['test-hands'].difficulty.every((d) => d === 'hard'));
    assert.equal(world.splits.train.difficulty.filter((d) => d === 'hard').length, Math.floor(8 * 0.25));
  });
});

describe('world loader', () => {
  const corrupt = (name: string, how: (file: string) => void): unknown => {
    const dir = copyDir(smokeDir, path.join(TMP, `bad-${name}-${how.name}`));
    how(path.join(dir, name));
    try {
      loadWorld(dir);
    } catch (err) {
      return err;
    }
    return null;
  };

  it('rejects a missing file, naming it', () => {
    const err = corrupt('val.poses.u8', function remove(f) { fs.rmSync(f); });
    assert.ok(err instanceof DataError, String(err));
    assert.match((err as Error).message, /val\.poses\.u8/);
  });

  it('rejects a truncated file, naming it', () => {
    const err = corrupt('train.frames.u8', function truncate(f) { fs.truncateSync(f, fs.statSync(f).size - 1); });
    assert.ok(err instanceof DataError, String(err));
    assert.match((err as Error).message, /train\.frames\.u8/);
  });

  it('rejects an altered file of the right size, naming it', () => {
    const err = corrupt('test-hands.keypoints.f32', function alter(f) {
      const b = fs.readFileSync(f);
      b[100] ^= 1;
      fs.writeFileSync(f, b);
    });
    assert.ok(err instanceof DataError, String(err));
    assert.match((err as Error).message, /test-hands\.keypoints\.f32.*SHA-256/);
  });

  it('rejects an edited manifest (its own SHA-256), a clip id that is not a plain name, and a manifest of the wrong shape', () => {
    const edit = (label: string, change: (m: Record<string, any>) => void, reseal: boolean): Error => {
      const dir = copyDir(smokeDir, path.join(TMP, `manifest-${label}`));
      const file = path.join(dir, 'manifest.json');
      const m = JSON.parse(fs.readFileSync(file, 'utf8'));
      change(m);
      fs.writeFileSync(file, JSON.stringify(reseal ? sealed(m, 'sha256') : m));
      try {
        loadWorld(dir);
      } catch (err) {
        assert.ok(err instanceof DataError, String(err));
        assert.ok(!(err as Error).message.includes('\n'));
        return err as Error;
      }
      return assert.fail(`${label}: loaded`);
    };
    assert.match(edit('id', (m) => (m.clips.val[0].id = 'val-00009'), false).message, /manifest\.json is altered: its content does not match its SHA-256/);
    assert.match(edit('count', (m) => (m.clips.val[0].identity += 1), false).message, /is altered/);
    assert.match(edit('traversal', (m) => (m.clips.val[0].id = '../../evil'), true).message, /field 'clips\.val\[0\]\.id' must be a plain name/);
    assert.match(edit('repeat', (m) => (m.clips.val[1].id = m.clips.val[0].id), true).message, /clip ids of split 'val' repeat/);
    assert.match(edit('null', (m) => Object.keys(m).forEach((k) => delete m[k]), false).message, /manifest\.json: field 'format' is missing/);
    const nullDir = copyDir(smokeDir, path.join(TMP, 'manifest-null'));
    fs.writeFileSync(path.join(nullDir, 'manifest.json'), 'null');
    assert.throws(() => loadWorld(nullDir), /manifest\.json: the top level must be an object, got null/);
    assert.match(edit('files', (m) => delete m.files, true).message, /field 'files' is missing/);
  });

  it('rejects a missing or foreign manifest', () => {
    const err = corrupt('manifest.json', function remove(f) { fs.rmSync(f); });
    assert.ok(err instanceof DataError);
    assert.match((err as Error).message, /manifest\.json/);
    const err2 = corrupt('manifest.json', function foreign(f) { fs.writeFileSync(f, '{"format":"something-else"}'); });
    assert.ok(err2 instanceof DataError);
  });
});

describe('ipa-kit world', () => {
  it('builds a world, then does nothing when the same world is there, then rebuilds a damaged one', async () => {
    const dir = path.join(TMP, 'cli');
    const first = await cli(['world', '--profile', 'smoke', '--seed', '1', '--out', dir]);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /built world smoke-1/);
    const manifest = fs.readFileSync(path.join(dir, 'manifest.json'));
    const inode = fs.statSync(path.join(dir, 'train.frames.u8')).ino;
    const second = await cli(['world', '--profile', 'smoke', '--seed', '1', '--out', dir]);
    assert.equal(second.code, 0, second.err);
    assert.match(second.out, /already present/);
    assert.equal(fs.statSync(path.join(dir, 'train.frames.u8')).ino, inode, 'files were rewritten');
    assert.ok(fs.readFileSync(path.join(dir, 'manifest.json')).equals(manifest));
    // Identical to the world built through the API.
    assert.ok(manifest.equals(fs.readFileSync(path.join(smokeDir, 'manifest.json'))));
    fs.truncateSync(path.join(dir, 'val.frames.u8'), 10);
    const third = await cli(['world', '--profile', 'smoke', '--seed', '1', '--out', dir]);
    assert.equal(third.code, 0, third.err);
    assert.match(third.out, /built world/);
    assert.ok(loadWorld(dir));
  });

  it('exits with code 2 and one line for an unknown profile or bad option', async () => {
    const bad = await cli(['world', '--profile', 'nope']);
    assert.equal(bad.code, 2);
    assert.equal(bad.err.trim().split('\n').length, 1);
    assert.match(bad.err, /unknown profile 'nope'/);
    const seed = await cli(['world', '--profile', 'smoke', '--seed', 'x']);
    assert.equal(seed.code, 2);
    assert.match(seed.err, /--seed/);
  });

  it('never replaces a folder the kit did not write: a foreign manifest.json, or a world with a file added (exit 2, one line)', async () => {
    // The case: a manifest.json that is not the kit's, beside a user's file.
    const victim = path.join(TMP, 'victim');
    fs.mkdirSync(victim);
    fs.writeFileSync(path.join(victim, 'manifest.json'), '{}\n');
    fs.writeFileSync(path.join(victim, 'precious.txt'), 'precious\n');
    const r = await cli(['world', '--profile', 'smoke', '--out', victim]);
    assert.equal(r.code, 2, r.out);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.match(r.err, /victim is not a world folder written by ipa-kit .*left as it is/);
    assert.deepEqual(fs.readdirSync(victim).sort(), ['manifest.json', 'precious.txt']);
    assert.equal(fs.readFileSync(path.join(victim, 'precious.txt'), 'utf8'), 'precious\n');
    // A world the kit wrote, damaged, with a user's file added: not rebuilt either.
    const added = copyDir(smokeDir, path.join(TMP, 'world-plus-notes'));
    fs.writeFileSync(path.join(added, 'notes.txt'), 'mine');
    fs.truncateSync(path.join(added, 'val.frames.u8'), 10);
    const r2 = await cli(['world', '--profile', 'smoke', '--out', added]);
    assert.equal(r2.code, 2);
    assert.match(r2.err, /holds 'notes\.txt', which ipa-kit did not write/);
    assert.equal(fs.readFileSync(path.join(added, 'notes.txt'), 'utf8'), 'mine');
  });

  it('rebuilds a world the kit wrote in an older format', async () => {
    const dir = copyDir(smokeDir, path.join(TMP, 'old-format'));
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ ...m, version: 1 }));
    const r = await cli(['world', '--profile', 'smoke', '--out', dir]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /built world smoke-1/);
    assert.equal(loadWorld(dir).manifest.version, WORLD_FORMAT_VERSION);
  });

  it('an --out that cannot be a folder is one line with exit 2, not a raw EEXIST', async () => {
    const r = await cli(['world', '--profile', 'smoke', '--out', '/dev/null/x']);
    assert.equal(r.code, 2);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.match(r.err, /^ipa-kit world: cannot write \/dev\/null\/x \(ENOTDIR\)/);
  });

  it('refuses to replace a folder that is not a world', async () => {
    const dir = path.join(TMP, 'not-a-world');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'keep me');
    const res = await cli(['world', '--profile', 'smoke', '--out', dir]);
    assert.equal(res.code, 2);
    assert.match(res.err, /not a world folder/);
    assert.equal(fs.readFileSync(path.join(dir, 'notes.txt'), 'utf8'), 'keep me');
  });
});

describe('world statistics and bench', () => {
  it('give one hand-box row per hand and frame, and one speed row per clip', () => {
    const rows = handBoxStats(world);
    const clips = SPLITS.reduce((a, s) => a + world.splits[s].count, 0);
    assert.equal(rows.length, clips * 8 * 2);
    for (const r of rows) if (!r.visible) assert.equal(r.width, 0);
    const speeds = motionSpeedStats(world);
    assert.equal(speeds.length, clips);
    for (const r of speeds) assert.ok(r.bodySpeed >= 0 && r.bodySpeed < 6.4 && r.handSpeed > 0, JSON.stringify(r));
  });

  it('benchWorldBuild builds into a temporary folder and removes it', async () => {
    const before = fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('ipa-world-bench-')).length;
    const res = await benchWorldBuild(PROFILES.smoke.world, 'smoke');
    assert.equal(res.clips, 20);
    assert.equal(res.images, 20 * 9);
    assert.ok(res.seconds > 0);
    assert.equal(fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith('ipa-world-bench-')).length, before);
  });
});
