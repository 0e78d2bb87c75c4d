/**
 * Model configuration: plain data, stored in every checkpoint and compared on load. Two networks share the
 * frame fields: the DiT (`kind` 'dit' or absent: checkpoints written before the U-Net have no `kind`) and the
 * conv U-Net of `./unet` (`kind` 'unet').
 */

export type ModelConfig = DitConfig | UnetConfig;

/** The DiT over pixel patches (`./dit`). */
export interface DitConfig {
  /** Network kind; absent in checkpoints written before the U-Net existed (they are DiTs). */
  kind?: 'dit';
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

/** How the U-Net reads its output o: the clean frame, the velocity, or the noise (see `./unet`). */
export type Prediction = 'x' | 'v' | 'eps';

/** The conv U-Net (`./unet`, /UNET_SPEC of issue 13): per generated frame a 2-D U-Net with timestep FiLM. */
export interface UnetConfig {
  kind: 'unet';
  /** Frame height and width in pixels (divisible by 2^(levels-1)), and colour channels. */
  height: number;
  width: number;
  channels: number;
  /** Frames per clip including the reference slot (frame 0): 1 + generated frames. */
  frames: number;
  /** Conditioning channels per frame: reference image (3) + pose map of the frame (3) + reference pose (3) = 9. */
  condChannels: number;
  /** Channels per level, at full, 1/2, 1/4, ... resolution (the spec: 16, 32, 64, 128 at 64, 32, 16, 8 px). */
  levels: number[];
  /** Timestep embedding width E (the FiLM linears read SiLU(temb) [B, E]). */
  embedDim: number;
  /** Size of the sinusoidal timestep features of t * 1000. */
  freqDim: number;
  /** GroupNorm groups (must divide every level's channels and the stem's). */
  groups: number;
  /** Attention heads of the middle block's spatio-temporal attention (must divide the last level's channels). */
  heads: number;
  /** Output parametrisation: 'x' (o = x0_hat), 'v' (o = v_hat), 'eps' (o = eps_hat); losses stay in v-space. */
  predict: Prediction;
  /** Multiply the noisy-frame channels by (1 - t) before the stem (the DiT's input gate). */
  inputGate: boolean;
  /**
   * A per-clip mode noise: one extra standard-normal scalar per clip (model/mode.ts), added through a zero-init
   * linear into the timestep MLP's hidden layer, so every block's FiLM sees it and every frame of a clip shares it.
   * Pretraining couples it to the clip's hand defect (PretrainConfig.modeShare); sampling and post-training draw it
   * like any other noise. Absent or false: no mode input (the networks trained before it existed).
   */
  modeNoise?: boolean;
}

/** The U-Net of the spec: 64x64, 1 reference + 8 generated frames, levels 16/32/64/128, E = 128. */
export const UNET_MODEL: UnetConfig = {
  kind: 'unet',
  height: 64,
  width: 64,
  channels: 3,
  frames: 9,
  condChannels: 9, // ref image 3 + pose 3 + ref pose 3, on every frame (inputs.ts layout 'ref-every-frame')
  levels: [16, 32, 64, 128], // at 64, 32, 16, 8 px; attention in the 8-px middle block
  embedDim: 128,
  freqDim: 64,
  groups: 8,
  heads: 4, // 128 / 4 = 32 per head
  predict: 'x',
  inputGate: true,
};

/** The kit's default generator: 64x64 frames, 8x8 pixel patches, 1 reference + 8 generated frames. */
export const DEFAULT_MODEL: DitConfig = {
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

/** The network kind of a config ('dit' when absent). */
export function modelKind(c: ModelConfig): 'dit' | 'unet' {
  return c.kind === 'unet' ? 'unet' : 'dit';
}

/** Check a config's internal consistency; throws naming the bad field. */
export function validateModelConfig(c: ModelConfig): void {
  if (c.kind === 'unet') return validateUnetConfig(c);
  if (c.kind !== undefined && c.kind !== 'dit') throw new Error(`model config: 'kind' must be 'dit' or 'unet', got ${JSON.stringify(c.kind)}`);
  const ints = ['height', 'width', 'channels', 'frames', 'condChannels', 'patch', 'dim', 'depth', 'heads', 'mlpRatio', 'freqDim'] as const;
  for (const k of ints) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) throw new Error(`model config: '${k}' must be a positive integer, got ${c[k]}`);
  }
  if (c.height % c.patch || c.width % c.patch) throw new Error(`model config: patch ${c.patch} must divide ${c.height}x${c.width}`);
  if (c.dim % c.heads) throw new Error(`model config: dim ${c.dim} must be divisible by heads ${c.heads}`);
  if (c.frames < 2) throw new Error(`model config: frames must be >= 2 (reference slot + generated), got ${c.frames}`);
  if (c.freqDim % 2) throw new Error(`model config: freqDim must be even, got ${c.freqDim}`);
}

function validateUnetConfig(c: UnetConfig): void {
  const ints = ['height', 'width', 'channels', 'frames', 'condChannels', 'embedDim', 'freqDim', 'groups', 'heads'] as const;
  for (const k of ints) {
    if (!Number.isInteger(c[k]) || c[k] <= 0) throw new Error(`model config: '${k}' must be a positive integer, got ${c[k]}`);
  }
  if (!Array.isArray(c.levels) || c.levels.length < 1 || c.levels.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new Error(`model config: 'levels' must be a non-empty list of positive integers, got ${JSON.stringify(c.levels)}`);
  }
  const down = 2 ** (c.levels.length - 1);
  if (c.height % down || c.width % down) throw new Error(`model config: ${c.levels.length} levels need height and width divisible by ${down}, got ${c.height}x${c.width}`);
  const bad = c.levels.find((n) => n % c.groups);
  if (bad !== undefined) throw new Error(`model config: groups ${c.groups} must divide every level's channels, not ${bad}`);
  if (c.levels[c.levels.length - 1] % c.heads) throw new Error(`model config: heads ${c.heads} must divide the last level's ${c.levels[c.levels.length - 1]} channels`);
  if (c.frames < 2) throw new Error(`model config: frames must be >= 2 (reference slot + generated), got ${c.frames}`);
  if (c.freqDim % 2) throw new Error(`model config: freqDim must be even, got ${c.freqDim}`);
  if (c.condChannels !== 3 * c.channels) throw new Error(`model config: the U-Net's condChannels must be 3 * channels (reference, pose, reference pose), got ${c.condChannels}`);
  if (!['x', 'v', 'eps'].includes(c.predict)) throw new Error(`model config: 'predict' must be 'x', 'v' or 'eps', got ${JSON.stringify(c.predict)}`);
  if (typeof c.inputGate !== 'boolean') throw new Error(`model config: 'inputGate' must be true or false, got ${JSON.stringify(c.inputGate)}`);
  if (c.modeNoise !== undefined && typeof c.modeNoise !== 'boolean') throw new Error(`model config: 'modeNoise' must be true or false, got ${JSON.stringify(c.modeNoise)}`);
}

/**
 * The config a training pass on `clipFrames`-frame windows runs (the model's own when undefined): the same network
 * with frames = clipFrames + 1. U-Net only (its convs run per frame and its attention has no frame embedding; the
 * DiT embeds each frame's position); clipFrames must be an integer in [1, the model's generated frames]. Throws
 * naming `where` (e.g. 'pretrain config').
 */
export function windowedModel(model: ModelConfig, clipFrames: number | undefined, where: string): ModelConfig {
  if (clipFrames === undefined) return model;
  if (model.kind !== 'unet') throw new Error(`${where}: 'clipFrames' needs the U-Net (kind 'unet'): the DiT embeds each frame's position`);
  if (!(Number.isInteger(clipFrames) && clipFrames >= 1 && clipFrames <= model.frames - 1)) {
    throw new Error(`${where}: 'clipFrames' must be an integer in [1, ${model.frames - 1}] (the model's generated frames), got ${clipFrames}`);
  }
  return { ...model, frames: clipFrames + 1 };
}

/** Tokens per frame. */
export function tokensPerFrame(c: DitConfig): number {
  return (c.height / c.patch) * (c.width / c.patch);
}

/** Field-by-field differences between two configs, as 'field: a != b' strings. */
export function configDiff(a: ModelConfig, b: ModelConfig): string[] {
  const ra = { ...a, kind: modelKind(a) } as Record<string, unknown>;
  const rb = { ...b, kind: modelKind(b) } as Record<string, unknown>;
  const keys = new Set([...Object.keys(ra), ...Object.keys(rb)]);
  const show = (v: unknown) => (typeof v === 'object' ? JSON.stringify(v) : String(v));
  return [...keys].filter((k) => show(ra[k]) !== show(rb[k])).map((k) => `${k}: ${show(ra[k])} != ${show(rb[k])}`);
}
