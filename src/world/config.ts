/** The world's settings as plain data: its splits and its config (a study's profile holds one). */

/**
 * Hand defects of the pretraining stream (plain data). Declared here with the world's config, which holds them;
 * world/defects.ts holds the modes (DEFECT_MODES, one row each) and applies them. Example: `{ rates: { mitten: 0.1,
 * 'turned-hand': 0.1 }, frameRate: 0.6, perHand: true }`.
 */
export interface HandDefects {
  /** Share of units (clips, or clip hands with perHand) that draw each mode; a unit draws one mode at most, so the rates sum to at most 1. Keys: DEFECT_MODE_NAMES. */
  rates: Partial<Record<string, number>>;
  /** Share of a defective unit's frames that show its defect, in (0, 1]: 1 (default) = every frame, a clip-level defect. */
  frameRate?: number;
  /** Whether each hand of a clip draws its own defects (true) or both hands share the clip's draw (false, default). */
  perHand?: boolean;
  /** Settings of a mode over its row's defaults, e.g. `{ ghost: { opacity: 1 } }` (ranges in DEFECT_MODES). */
  settings?: Partial<Record<string, Record<string, number>>>;
}

/** The stored splits of a world (the streamed 'pretrain' split is not stored). */
export const SPLITS = ['train', 'val', 'test-general', 'test-hands'] as const;
export type SplitName = (typeof SPLITS)[number];

/**
 * The camera of a world's clips (plain data). Absent: the full-body shot, where the character fills ~90% of the
 * frame height and a hand (wrist to middle fingertip) is 0.2 of the frame side (13 px at 64 px, fingers ~1.4 px wide).
 */
export interface Framing {
  /**
   * Magnification over the full-body shot, 1..4: hands and fingers grow by it (2 at 64 px: a 26 px hand with
   * 2.9 px fingers), and the body parts far from `aim` leave the frame.
   */
  zoom: number;
  /**
   * Where the camera points, along the neck (0) to pelvis (1) line, averaged over a clip's frames and its reference
   * (a still camera per clip), -0.5..1.5.
   */
  aim: number;
}

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
  /** The camera (absent: the full-body shot). */
  framing?: Framing;
  /**
   * Hand defects of the streamed `pretrain` split only (world/defects.ts: blur, mittens, ghosts, dropped or turned
   * hand keypoints in the pose maps): why the base model draws hands right only sometimes. Left out = the clean
   * world. The stored splits never carry defects.
   */
  pretrainDefects?: HandDefects;
}

/** The share of hard-hand clips outside `test-hands` when a world config does not set one. */
export const DEFAULT_HARD_SHARE = 0.25;
