/** The world's settings as plain data: its splits and its config (a study's profile holds one). */

/**
 * Hand-defect knobs of the pretraining stream (plain data; every rate is a share of clips in [0, 1]). Declared here
 * with the world's config, which holds them; world/defects.ts applies them (and re-exports this type).
 */
export interface HandDefects {
  /** Share of clips shot with a slow shutter: hands motion-blurred along their velocity. 0..1, default 0. */
  blurRate: number;
  /**
   * Longest shutter time of a blurred clip, in frame intervals. 0..2, default 1. Each blurred clip draws its
   * exposure uniformly in [0.25, 1] x blurExposure; a hand's blur length (px) = exposure x wrist speed (px/frame)
   * + blurMinLength.
   */
  blurExposure: number;
  /** Blur length (px at 64 px frames, scaled with the frame side) added to every hand of a blurred clip (camera shake). 0..8, default 2. */
  blurMinLength: number;
  /** Share of clips whose hands are "mittens": fingers fused into one flat blob of the hand's mean colour. 0..1, default 0. */
  mittenRate: number;
  /** Share of clips whose hands fade into the surrounding colour (ghost hands). 0..1, default 0. */
  ghostRate: number;
  /** How far a ghost hand fades towards its surroundings: 0 (no change) .. 1 (gone). Default 0.7. */
  ghostOpacity: number;
  /** Share of clips whose pose maps come from a hand detector that drops keypoints. 0..1, default 0. */
  poseDropRate: number;
  /** Share of a pose-dropping clip's (frame, hand) pairs that lose keypoints (half the whole hand, half 1-3 fingers). 0..1, default 0.5. */
  poseDropFrames: number;
  /** Share of clips whose pose maps misplace hand skeletons (turned about the wrist). 0..1, default 0. */
  poseShiftRate: number;
  /** Largest turn of a misplaced hand skeleton, degrees; each clip and hand draws +-U(0.5, 1) x this. 0..180, default 45. */
  poseShiftAngle: number;
  /** Share of a pose-shifting clip's frames whose hand skeletons are turned. 0..1, default 1. */
  poseShiftFrames: number;
}

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
