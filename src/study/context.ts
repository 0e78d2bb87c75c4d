/**
 * What a notebook runs with: the profile and seeds arrive as environment variables (set by `ipa-kit run` and
 * `reproduce` for the kernel, or by a person before starting Jupyter), and `notebookContext()` reads them.
 */
import * as path from 'node:path';
import { UsageError } from '../core/errors';
import { kitRoot } from '../core/kit';
import { NOTEBOOK_ENV, ProfileCheck } from '../notebook/env';
import { DEFAULT_PROFILE, Profile, getProfile } from './profiles';

/** The study's profiles, as the notebook runner checks a run's profile before starting a kernel. */
export const PROFILE_CHECK: ProfileCheck = { defaultName: DEFAULT_PROFILE, check: (name) => void getProfile(name) };

/** The settings of one notebook run. */
export interface NotebookContext {
  profileName: string;
  profile: Profile;
  worldSeed: number;
  pretrain: boolean;
  headless: boolean;
  /** The kit's checkout (package root). */
  root: string;
  /** `results/` of the checkout, or the folder IPA_RESULTS_DIR names. */
  resultsDir: string;
  /** The folder IPA_RESULTS_DIR names (absolute), or null: the study's own results folder. */
  resultsOverride: string | null;
  /** `data/` of the checkout. */
  dataDir: string;
}

/** Parse a world seed (a non-negative integer); `what` names its source in the error. */
export function parseWorldSeed(raw: string, what: string): number {
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new UsageError(`${what} must be an integer in 0..4294967295, got '${raw}'`);
  }
  return v;
}

/** The context from the environment (or `env`); an unknown profile or a bad seed is a UsageError. */
export function notebookContext(env: NodeJS.ProcessEnv = process.env): NotebookContext {
  const profileName = env[NOTEBOOK_ENV.profile] || DEFAULT_PROFILE;
  const profile = getProfile(profileName);
  const rawSeed = env[NOTEBOOK_ENV.worldSeed];
  const worldSeed = rawSeed ? parseWorldSeed(rawSeed, NOTEBOOK_ENV.worldSeed) : profile.seed;
  const root = kitRoot();
  const resultsOverride = env[NOTEBOOK_ENV.results] ? path.resolve(root, env[NOTEBOOK_ENV.results] as string) : null;
  return {
    profileName,
    profile,
    worldSeed,
    pretrain: env[NOTEBOOK_ENV.pretrain] === '1',
    headless: env[NOTEBOOK_ENV.headless] === '1',
    root,
    resultsDir: resultsOverride ?? path.join(root, 'results'),
    resultsOverride,
    dataDir: path.join(root, 'data'),
  };
}
