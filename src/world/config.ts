/** The world's settings as plain data: its splits and its config (a study's profile holds one). */
import type { HandDefects } from './defects';

/** The stored splits of a world (the streamed 'pretrain' split is not stored). */
export const SPLITS = ['train', 'val', 'test-general', 'test-hands'] as const;
export type SplitName = (typeof SPLITS)[number];

/** The procedural world: frame size, clip length, clips per split, share of hard-hand clips (plain data). */
export interface WorldConfig {
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
  /**
   * Hand defects of the streamed `pretrain` split only (world/defects.ts: blur, mittens, ghosts, dropped or turned
   * hand keypoints in the pose maps): why the base model draws hands right only sometimes. Left out = the clean
   * world. The stored splits never carry defects.
   */
  pretrainDefects?: HandDefects;
}

/** The share of hard-hand clips outside `test-hands` when a world config does not set one. */
export const DEFAULT_HARD_SHARE = 0.25;
