/**
 * A study: one profile on one world seed, with every path its stages read and write. Data flows one way
 * (world -> base -> generations -> selection -> alignment -> evaluation -> report), each stage writing a folder
 * with a manifest that the next one reads, so any notebook can start from what the one before left.
 *
 * Paths (relative to the checkout):
 * - `data/worlds/<profile>-<seed>/`      the world (rebuilt on demand in seconds; not committed)
 * - `data/base/<profile>-<seed>/`        the shipped base model and perception network (committed: closeup-1, paper-1)
 * - `data/runs/<profile>-<seed>/`        everything else the study makes: generations, judgments, adapters,
 *                                        evaluations (not committed; stages skip what is already there)
 * - `results/` for the paper profile on its default seed (committed), `results/<profile>/` for a profile that
 *   shares data (Profile.dataOf: extended, fullbody), else `results/<profile>-seed<seed>/`
 * `<profile>` in the data paths is the name the data was first made under: Profile.dataOf where it is set (the paper
 * and extended profiles: `closeup`; the full-body profile: `paper`).
 */
import * as path from 'node:path';
import { ParsedArgs, num, str } from '../core/args';
import { NotebookContext, notebookContext } from './context';
import { kitRoot } from '../core/kit';
import { Profile, getProfile } from './profiles';
import { SEED, WORKERS, rangeText } from '../core/ranges';

export interface StudyPaths {
  root: string;
  world: string;
  /** Shipped base model folder (may not exist for other profiles/seeds). */
  shipped: string;
  work: string;
  results: string;
}

export interface Study {
  profileName: string;
  profile: Profile;
  worldSeed: number;
  /** Retrain the base (and the perception network) instead of using the shipped ones. */
  pretrain: boolean;
  paths: StudyPaths;
}

/** The folder of a world relative to the checkout: `data/worlds/<profile>-<seed>`. */
export function defaultWorldDir(profile: string, seed: number): string {
  return path.join('data', 'worlds', `${profile}-${seed}`);
}

/** Paths of a study of `profileName` on `worldSeed` under `root`. */
export function studyPaths(root: string, profileName: string, worldSeed: number): StudyPaths {
  const profile = getProfile(profileName);
  // A profile that shares another's data (Profile.dataOf) reads and writes that one's world, base and runs.
  const tag = `${profile.dataOf ?? profileName}-${worldSeed}`;
  const committed = worldSeed === profile.seed && (profileName === 'paper' || profile.dataOf !== undefined);
  // The paper profile's committed results are results/; a profile sharing data on its seed, results/<profile>.
  const results = !committed ? path.join(root, 'results', `${profileName}-seed${worldSeed}`) : profileName === 'paper' ? path.join(root, 'results') : path.join(root, 'results', profileName);
  return {
    root,
    world: path.join(root, 'data', 'worlds', tag),
    shipped: path.join(root, 'data', 'base', tag),
    work: path.join(root, 'data', 'runs', tag),
    results,
  };
}

/** A study from explicit settings (defaults: the paper profile on its seed, in this checkout; `resultsDir` replaces its results folder). */
export function openStudy(opts: { profile?: string; worldSeed?: number; pretrain?: boolean; root?: string; resultsDir?: string } = {}): Study {
  const profileName = opts.profile ?? 'paper';
  const profile = getProfile(profileName);
  const worldSeed = opts.worldSeed ?? profile.seed;
  const paths = studyPaths(opts.root ?? kitRoot(), profileName, worldSeed);
  if (opts.resultsDir) paths.results = path.resolve(opts.resultsDir);
  return { profileName, profile, worldSeed, pretrain: opts.pretrain ?? false, paths };
}

/** The study a notebook runs (profile, world seed, --pretrain and the results folder from the environment). */
export function notebookStudy(ctx: NotebookContext = notebookContext()): Study {
  return openStudy({ profile: ctx.profileName, worldSeed: ctx.worldSeed, pretrain: ctx.pretrain, root: ctx.root, resultsDir: ctx.resultsOverride ?? undefined });
}

/** Options every study command takes. */
export const STUDY_OPTIONS = ['profile', 'world-seed', 'backend', 'workers'] as const;

/** Help lines of the study options (numeric ones with their ranges, core/ranges.ts). */
export const STUDY_OPTIONS_HELP: readonly string[] = [
  '  --profile P       smoke, paper or extended (default paper)',
  `  --world-seed N    world seed (default: the profile's), ${rangeText(SEED)}`,
  `  --workers N       worker threads (default: the profile's), ${rangeText(WORKERS)}`,
  '  --backend B       auto | tensorflow | webgpu | wasm | cpu (default auto)',
];

/** The study named by `--profile` and `--world-seed` (and `--pretrain` when `pretrain` is true). */
export function studyFromArgs(args: ParsedArgs, pretrain = false): Study {
  const profile = getProfile(str(args, 'profile', 'paper'));
  return openStudy({ profile: profile.name, worldSeed: num(args, 'world-seed', profile.seed, SEED), pretrain });
}

/** `--workers N` (default: the profile's). */
export function workersFromArgs(args: ParsedArgs, study: Study): number {
  return num(args, 'workers', study.profile.jobs, WORKERS);
}
