/**
 * Profiles: the sizes and settings of a whole study, as plain data. `smoke` runs the pipeline at toy size (CI);
 * `paper` is the documented reproduction (the default of `npm run reproduce`).
 */
import { UsageError } from './files';

export const SPLITS = ['train', 'val', 'test-general', 'test-hands'] as const;
export type SplitName = (typeof SPLITS)[number];

/** The procedural world of a profile. */
export interface WorldProfile {
  /** Frame side in pixels (square frames), 32..256. */
  size: number;
  /** Generated frames per clip (the model adds the reference slot: frames + 1). */
  frames: number;
  /** Clips per stored split. The base model pretrains on its own streamed split ('pretrain'), not on these. */
  splits: Record<SplitName, number>;
  /**
   * Share of hard-hand clips (fast, independent finger articulation) in `train`, `val`, `test-general` and the
   * streamed `pretrain` split; `test-hands` is all hard. Defaults to DEFAULT_HARD_SHARE (0.25) when left out.
   */
  hardShare?: number;
}

/** The share of hard-hand clips outside `test-hands` when a world profile does not set one. */
export const DEFAULT_HARD_SHARE = 0.25;

export interface Profile {
  name: string;
  description: string;
  /** Default world seed. */
  seed: number;
  world: WorldProfile;
}

export const PROFILES: Record<string, Profile> = {
  smoke: {
    name: 'smoke',
    description: 'the whole pipeline at toy size, for CI (minutes)',
    seed: 1,
    world: { size: 64, frames: 8, splits: { train: 8, val: 4, 'test-general': 4, 'test-hands': 4 }, hardShare: 0.25 },
  },
  paper: {
    name: 'paper',
    description: 'the documented reproduction: 256 train inputs (1,024 candidates), 100 hard-hand test clips',
    seed: 1,
    world: { size: 64, frames: 8, splits: { train: 256, val: 48, 'test-general': 64, 'test-hands': 100 }, hardShare: 0.25 },
  },
};

export const DEFAULT_PROFILE = 'paper';

/** The profile of that name; an unknown name is a UsageError listing the valid ones. */
export function getProfile(name: string): Profile {
  const p = PROFILES[name];
  if (!p) throw new UsageError(`unknown profile '${name}': valid profiles are ${Object.keys(PROFILES).join(', ')}`);
  return p;
}
