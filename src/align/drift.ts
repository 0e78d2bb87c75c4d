/**
 * How far a post-trained model has moved from its reference (the pretrained base), two ways at a checkpoint:
 *
 * - `weightDistance`: the relative L2 distance of all weights, ||theta - theta_ref|| / ||theta_ref||;
 * - `implicitRewardProbe`: the implicit reward of fixed samples, the gap e_ref - e_theta of the flow-matching
 *   errors on fixed windows, noise, timesteps and modes (positive: the model fits the sample better than the
 *   reference does; Flow-IPA's reward is beta (1 - t)^2 times it). On the implicit positives and on candidates
 *   judged bad, it tells a method that learned the preference (good up, bad down: a positive margin) from one that
 *   raised the likelihood of everything like its training data (both up) or forgot the prior (both down).
 *
 * Pure functions of weights and samples (no files); the job runner (run.ts) calls them on each snapshot.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNoise, batchTimesteps, noisy, TimestepDensity, velocityTarget } from '../flow/rectified';
import { ModelConfig, windowedModel } from '../model/config';
import { batchInputs, windowStart } from '../model/inputs';
import { freshModes } from '../model/mode';
import { Params, condLayout, forward } from '../model/network';
import { TensorDict } from '../train/checkpoint';
import { AlignSample, windowSample } from './trainer';

/** ||tuned - base|| / ||base|| over every tensor of `base` (both must hold the same names and sizes). */
export function weightDistance(base: TensorDict, tuned: TensorDict): number {
  let diff = 0;
  let norm = 0;
  for (const [name, b] of Object.entries(base)) {
    const t = tuned[name];
    if (!t) throw new Error(`weightDistance: '${name}' is missing from the tuned weights`);
    if (t.data.length !== b.data.length) throw new Error(`weightDistance: '${name}' has ${t.data.length} values, the base ${b.data.length}`);
    for (let i = 0; i < b.data.length; i++) {
      const d = t.data[i] - b.data[i];
      diff += d * d;
      norm += b.data[i] * b.data[i];
    }
  }
  if (!(norm > 0)) throw new Error('weightDistance: the base weights are all zero');
  return Math.sqrt(diff / norm);
}

/** The implicit reward of one kind of sample: mean gap e_ref - e_theta and the two errors. */
export interface RewardGap {
  gap: number;
  modelError: number;
  referenceError: number;
}

/** A drift probe at one checkpoint: the weight distance and the implicit reward on good and on bad samples. */
export interface DriftPoint {
  /** ||theta - theta_ref|| / ||theta_ref||. */
  distance: number;
  /** On the implicit positives. */
  good: RewardGap;
  /** On candidates judged bad. */
  bad: RewardGap;
  /** good.gap - bad.gap: the preference the model holds over its reference. */
  margin: number;
}

export interface ProbeArgs {
  /** The base's (whole-clip) config. */
  model: ModelConfig;
  /** Frames per window (the post-training's `clipFrames`), or undefined for whole clips. */
  clipFrames?: number;
  params: Params;
  reference: Params;
  samples: AlignSample[];
  /** Noise draws per sample (each its own window, noise, timestep and mode). */
  draws: number;
  seed: number;
  timesteps: TimestepDensity;
  /** Samples per forward pass. */
  batch: number;
}

/** Mean flow-matching errors of `params` and `reference` on fixed draws of `samples` (see the module docstring). */
export function implicitReward(a: ProbeArgs): RewardGap {
  if (!a.samples.length) throw new Error('implicitReward: no samples');
  if (!(Number.isInteger(a.draws) && a.draws >= 1)) throw new Error(`implicitReward: draws must be a positive integer, got ${a.draws}`);
  const mc = windowedModel(a.model, a.clipFrames, 'implicitReward');
  const items = a.samples.flatMap((s, i) => Array.from({ length: a.draws }, (_, d) => ({ s, slot: i * a.draws + d })));
  let model = 0;
  let ref = 0;
  for (let at = 0; at < items.length; at += a.batch) {
    const chunk = items.slice(at, at + a.batch);
    const slots = chunk.map((c) => c.slot);
    const F = a.model.frames - 1;
    const cut = chunk.map((c) => (a.clipFrames === undefined ? c.s : windowSample(c.s, windowStart(a.seed, 'probe-window', c.slot, F, a.clipFrames), a.clipFrames)));
    const [m, r] = tf.tidy(() => {
      const { x0, cond } = batchInputs(cut.map((s) => s.clip), mc.height, condLayout(mc));
      const eps = batchNoise(a.seed, 'probe-noise', 0, slots, [mc.frames, mc.height, mc.width, mc.channels]);
      const t = batchTimesteps(a.seed, 'probe-t', 0, slots, a.timesteps);
      const mode = mc.kind === 'unet' && mc.modeNoise ? freshModes(a.seed, 'probe-mode', 0, slots) : undefined;
      const z = noisy(x0, eps, t);
      const target = velocityTarget(x0, eps);
      // The generated frames only (frame 0 is the reference slot), as the training losses do.
      const err = (p: Params) => {
        const pred = forward(mc, p, { video: z, cond, t, mode });
        const d = tf.sub(pred, target).slice([0, 1], [-1, -1]);
        return tf.sum(tf.mean(tf.square(d), [1, 2, 3, 4]));
      };
      return [err(a.params).dataSync()[0], err(a.reference).dataSync()[0]];
    });
    model += m;
    ref += r;
  }
  const n = items.length;
  return { gap: (ref - model) / n, modelError: model / n, referenceError: ref / n };
}

/** The drift probe of one checkpoint (`tuned` and `base` are the weights behind `params` and `reference`). */
export function driftProbe(a: Omit<ProbeArgs, 'samples'> & { base: TensorDict; tuned: TensorDict; good: AlignSample[]; bad: AlignSample[] }): DriftPoint {
  const { base, tuned, good, bad, ...rest } = a;
  const g = implicitReward({ ...rest, samples: good });
  const b = implicitReward({ ...rest, samples: bad });
  return { distance: weightDistance(base, tuned), good: g, bad: b, margin: g.gap - b.gap };
}
