/** Model configuration: plain data, stored in every checkpoint and compared on load. */

export interface ModelConfig {
  /** Frame height and width in pixels, and colour channels. */
  height: number;
  width: number;
  channels: number;
  /** Frames per clip including the reference slot (frame 0): 1 + generated frames. */
  frames: number;
  /** Conditioning channels per frame: reference image (3, zeros on generated frames) + pose map (3). */
  condChannels: number;
  /** Square pixel patch side; tokens per frame = (height / patch) * (width / patch). */
  patch: number;
  /** Token width, transformer depth, attention heads, MLP hidden = mlpRatio * dim. */
  dim: number;
  depth: number;
  heads: number;
  mlpRatio: number;
  /** Size of the sinusoidal timestep features. */
  freqDim: number;
}

/** The kit's default generator: 64x64 frames, 8x8 pixel patches, 1 reference + 8 generated frames. */
export const DEFAULT_MODEL: ModelConfig = {
  height: 64,
  width: 64,
  channels: 3,
  frames: 9,
  condChannels: 6,
  patch: 8,
  dim: 96,
  depth: 4,
  heads: 2,
  mlpRatio: 3,
  freqDim: 64,
};

/** Check a config's internal consistency; throws naming the bad field. */
export function validateModelConfig(c: ModelConfig): void {
  const ints: (keyof ModelConfig)[] = ['height', 'width', 'channels', 'frames', 'condChannels', 'patch', 'dim', 'depth', 'heads', 'mlpRatio', 'freqDim'];
  for (const k of ints) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) throw new Error(`model config: '${k}' must be a positive integer, got ${c[k]}`);
  }
  if (c.height % c.patch || c.width % c.patch) throw new Error(`model config: patch ${c.patch} must divide ${c.height}x${c.width}`);
  if (c.dim % c.heads) throw new Error(`model config: dim ${c.dim} must be divisible by heads ${c.heads}`);
  if (c.frames < 2) throw new Error(`model config: frames must be >= 2 (reference slot + generated), got ${c.frames}`);
  if (c.freqDim % 2) throw new Error(`model config: freqDim must be even, got ${c.freqDim}`);
}

/** Tokens per frame. */
export function tokensPerFrame(c: ModelConfig): number {
  return (c.height / c.patch) * (c.width / c.patch);
}

/** Field-by-field differences between two configs, as 'field: a != b' strings. */
export function configDiff(a: ModelConfig, b: ModelConfig): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof ModelConfig)[]);
  return [...keys].filter((k) => a[k] !== b[k]).map((k) => `${k}: ${a[k]} != ${b[k]}`);
}
