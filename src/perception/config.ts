/** Perception network settings: architecture and training as plain data, stored in its checkpoint and checked on load. */
import type { TrainSchedule } from '../train/optim';

/** Architecture and training settings of the perception network (the kit's stand-in for DWPose, Inception and I3D). */
export interface PerceptionConfig extends TrainSchedule {
  /** Input frame side in pixels (square RGB frames); must equal the world's size. */
  size: number;
  /** Global network: square pixel patch side (tokens = (size / patch)^2), token width, Mixer blocks. */
  patch: number;
  dim: number;
  depth: number;
  /** Channel-MLP hidden width = mlpRatio * width (both networks). */
  mlpRatio: number;
  /** Hand network: crop side in pixels around each hand, patch side, token width, Mixer blocks. */
  handCrop: number;
  handPatch: number;
  handDim: number;
  handDepth: number;
  /** Hand passes at inference: pass 1 crops around the global network's hand centre; each further pass re-runs the crops that re-centring on the previous pass's 21 keypoints moves by 2 px or more. */
  handPasses: number;
  /** Frames rendered per 'pretrain' clip (a step draws batch / framesPerClip clips; batch counts frames). */
  framesPerClip: number;
  /** EMA decay of the weights (0 = off); the shipped checkpoint holds the EMA weights when on. */
  emaDecay: number;
  /** Weight of the hand network's loss relative to the global network's. */
  handWeight: number;
  /** Training hand crops are centred on the true hand centre shifted by up to this many pixels in x and y. */
  handJitter: number;
  /** Weight of the heatmap cross-entropy (against the four tokens around each visible keypoint, bilinear weights) that sharpens the heatmaps. */
  heatmapWeight: number;
  /** Weight of the visibility binary cross-entropy. */
  visibilityWeight: number;
}

const POSITIVE_INTS = ['size', 'patch', 'dim', 'depth', 'mlpRatio', 'handCrop', 'handPatch', 'handDim', 'handDepth', 'handPasses', 'steps', 'batch', 'framesPerClip', 'checkpointEvery'] as const;
const NON_NEGATIVE = ['warmupSteps', 'weightDecay', 'clipNorm', 'handWeight', 'handJitter', 'heatmapWeight', 'visibilityWeight'] as const;

/** Check a config's fields and consistency; throws an Error naming the bad field. */
export function validatePerceptionConfig(c: PerceptionConfig): void {
  if (c === null || typeof c !== 'object') throw new Error('perception config must be an object');
  for (const k of POSITIVE_INTS) if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`perception config: '${k}' must be a positive integer, got ${c[k]}`);
  for (const k of NON_NEGATIVE) if (!(Number.isFinite(c[k]) && c[k] >= 0)) throw new Error(`perception config: '${k}' must be a finite number >= 0, got ${c[k]}`);
  if (!(c.lr > 0 && Number.isFinite(c.lr))) throw new Error(`perception config: 'lr' must be > 0, got ${c.lr}`);
  if (!(c.minLrFraction >= 0 && c.minLrFraction <= 1)) throw new Error(`perception config: 'minLrFraction' must be in [0, 1], got ${c.minLrFraction}`);
  if (!(c.emaDecay >= 0 && c.emaDecay < 1)) throw new Error(`perception config: 'emaDecay' must be in [0, 1), got ${c.emaDecay}`);
  if (c.size % c.patch) throw new Error(`perception config: patch ${c.patch} must divide size ${c.size}`);
  if (c.handCrop % c.handPatch) throw new Error(`perception config: handPatch ${c.handPatch} must divide handCrop ${c.handCrop}`);
  if (c.handCrop > c.size) throw new Error(`perception config: handCrop ${c.handCrop} must be <= size ${c.size}`);
  if (c.batch % c.framesPerClip) throw new Error(`perception config: framesPerClip ${c.framesPerClip} must divide batch ${c.batch}`);
}

/** Tokens per frame of the global network. */
export function perceptionTokens(c: PerceptionConfig): number {
  return (c.size / c.patch) ** 2;
}

/** Tokens per crop of the hand network. */
export function handTokens(c: PerceptionConfig): number {
  return (c.handCrop / c.handPatch) ** 2;
}

/** Dimension of the per-frame features: global features, then left- and right-hand features. */
export function featureDim(c: PerceptionConfig): number {
  return c.dim + 2 * c.handDim;
}
