/**
 * Quality on inputs unlike the positives (issue 31's fifth drift measure): a model's paired SSIM-Hand on a test
 * split of a shifted world (profiles.ts ShiftedSplit: the profile's world with another world seed and/or another
 * camera zoom, so another hand scale). A model that drifts toward its positives' statistics can keep its gain on
 * the study's own test split and lose it here.
 *
 * Folders: `<work>/shifted/<slug>/world/` (built on demand in seconds) and `<work>/shifted/<slug>/models/<label>/
 * {gen,scores}` per model, cached like every other split's generations (by weights, world and sampler settings).
 */
import * as path from 'node:path';
import { UsageError } from '../core/errors';
import { ScoredSplit, scoreGenerations } from '../eval/score';
import { buildWorld, loadWorldCached, World } from '../world/store';
import { ShiftedSplit } from './profiles';
import { sampleSplit, workPath } from './pipeline';
import { Study } from './study';

/** A shifted split's folder name: `zoom 2` -> `zoom-2`. */
export function shiftedSlug(s: Pick<ShiftedSplit, 'name'>): string {
  return s.name.trim().toLowerCase().replace(/\s+/g, '-');
}

/** The settings of the profile's shifted splits, checked (a usage error naming the split and the setting). */
export function checkShifted(study: Study, shifted: readonly ShiftedSplit[], where: string): void {
  const names = new Set<string>();
  for (const s of shifted) {
    const at = `${where} shifted '${s.name}'`;
    if (!/^[A-Za-z0-9][A-Za-z0-9 .-]*$/.test(s.name)) throw new UsageError(`${at}: name must be letters, digits, spaces, '.' or '-'`);
    if (names.has(shiftedSlug(s))) throw new UsageError(`${at}: another shifted split has this name`);
    names.add(shiftedSlug(s));
    if (s.worldSeed === undefined && s.zoom === undefined) throw new UsageError(`${at}: set worldSeed or zoom (else it is the study's own world)`);
    if (s.zoom !== undefined && !(s.zoom >= 1 && s.zoom <= 4)) throw new UsageError(`${at}: zoom must be in 1..4, got ${s.zoom}`);
    const count = study.profile.world.splits[s.split];
    if (count === undefined) throw new UsageError(`${at}: no split '${s.split}'`);
    if (!(Number.isInteger(s.clips) && s.clips >= 2 && s.clips <= count)) throw new UsageError(`${at}: clips must be an integer from 2 to ${count}, got ${s.clips}`);
  }
}

/** The shifted world: the profile's world config with the split's seed and zoom (built when missing). */
export function shiftedWorld(study: Study, s: ShiftedSplit): { world: World; dir: string } {
  const w = study.profile.world;
  // a full-body world (no framing) zoomed aims at the middle of the torso
  const config = s.zoom === undefined ? w : { ...w, framing: { ...(w.framing ?? { aim: 0.5 }), zoom: s.zoom } };
  const dir = workPath(study, 'shifted', shiftedSlug(s), 'world');
  buildWorld({ config, name: study.profile.dataOf ?? study.profileName, seed: s.worldSeed ?? study.worldSeed, out: dir });
  return { world: loadWorldCached(dir), dir };
}

/**
 * A model's generations and per-clip scores on a shifted split (the first `clips` clips, one sample each from the
 * clip's own noise stream, as every test split). No frame detector: the perception network was trained on the
 * study's world, so only the ground-truth metrics (SSIM, PSNR, SSIM-Hand) are scored.
 */
export async function evaluateShifted(study: Study, model: { label: string; baseDir: string; adapterDir?: string | null }, s: ShiftedSplit): Promise<ScoredSplit> {
  const shifted = shiftedWorld(study, s);
  const dir = workPath(study, 'shifted', shiftedSlug(s), 'models', model.label);
  const gens = await sampleSplit(study, model, s.split, path.join(dir, 'gen'), { rows: s.clips, label: `${model.label} on ${s.name}`, world: shifted });
  return scoreGenerations({ gens, split: shifted.world.splits[s.split], outDir: path.join(dir, 'scores') });
}
