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
import { ClipPixels, batchInputs, windowStart } from '../model/inputs';
import { rng } from '../core/seeds';
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

/** A held-out clip with its region masks on the generated frames: each `[F, S, S]` in [0, 1] (F = the clip's frames). */
export interface RegionClip {
  clip: ClipPixels;
  /** Hand coverage. */
  hands: Float32Array;
  /** Character coverage (hands included); the body is figure - hands, the background 1 - figure. */
  figure: Float32Array;
}

/** The held-out flow-matching error in one timestep band, overall and by region (null: the region has no pixel). */
export interface HeldoutBand {
  lo: number;
  hi: number;
  all: number;
  hands: number | null;
  body: number | null;
  background: number | null;
}

/**
 * The held-out flow-matching error of `params` on ground-truth clips (never trained on: `val`), per timestep band
 * [bands[i], bands[i+1]): for every clip one draw of noise and of t uniform in the band, and the error in the x0
 * scale, t^2 |v_pred - v|^2 = |x0_pred - x0|^2 per value (bounded where the v-error of an x-prediction network grows as
 * 1/t^2), averaged over each region's pixels of the generated frames. The same seed gives the same noise and t for
 * every model, so models compare pairwise.
 */
export function heldoutError(a: { model: ModelConfig; params: Params; clips: RegionClip[]; bands: readonly number[]; seed: number; batch: number }): HeldoutBand[] {
  if (!a.clips.length) throw new Error('heldoutError: no clips');
  if (a.bands.length < 2 || a.bands.some((b, i) => !(b >= 0 && b <= 1) || (i > 0 && !(b > a.bands[i - 1])))) throw new Error(`heldoutError: bands must be increasing edges in [0, 1], got ${a.bands.join(', ')}`);
  if (!(Number.isInteger(a.batch) && a.batch >= 1)) throw new Error(`heldoutError: batch must be a positive integer, got ${a.batch}`);
  const mc = a.model;
  const F = mc.frames - 1;
  const px = F * mc.height * mc.width;
  for (const [i, c] of a.clips.entries()) {
    if (c.hands.length !== px || c.figure.length !== px) throw new Error(`heldoutError: clip ${i} has masks of ${c.hands.length} and ${c.figure.length} values, expected [${F}, ${mc.height}, ${mc.width}] = ${px}`);
  }
  const out: HeldoutBand[] = [];
  for (let band = 0; band + 1 < a.bands.length; band++) {
    const [lo, hi] = [a.bands[band], a.bands[band + 1]];
    const sums = { all: 0, hands: 0, body: 0, background: 0 };
    const weights = { all: 0, hands: 0, body: 0, background: 0 };
    for (let at = 0; at < a.clips.length; at += a.batch) {
      const chunk = a.clips.slice(at, at + a.batch);
      const slots = chunk.map((_, j) => at + j);
      const t = slots.map((s) => lo + (hi - lo) * rng(a.seed, 'heldout-t', band, s).uniform());
      // [B, F, S, S]: the squared x0-scale error per pixel, mean over channels
      const err = tf.tidy(() => {
        const { x0, cond } = batchInputs(chunk.map((c) => c.clip), mc.height, condLayout(mc));
        const eps = batchNoise(a.seed, 'heldout-noise', band, slots, [mc.frames, mc.height, mc.width, mc.channels]);
        const tt = tf.tensor1d(t);
        const z = noisy(x0, eps, tt);
        const mode = mc.kind === 'unet' && mc.modeNoise ? freshModes(a.seed, 'heldout-mode', band, slots) : undefined;
        const pred = forward(mc, a.params, { video: z, cond, t: tt, mode });
        const d = tf.sub(pred, velocityTarget(x0, eps)).slice([0, 1], [-1, -1]);
        const t2 = tf.square(tt).reshape([-1, 1, 1, 1]);
        return tf.mul(tf.mean(tf.square(d), 4), t2).dataSync() as Float32Array;
      });
      chunk.forEach((c, j) => {
        for (let p = 0; p < px; p++) {
          const e = err[j * px + p];
          const h = c.hands[p];
          const body = Math.max(0, c.figure[p] - h);
          const bg = 1 - Math.min(1, c.figure[p]);
          sums.all += e;
          weights.all += 1;
          sums.hands += e * h;
          weights.hands += h;
          sums.body += e * body;
          weights.body += body;
          sums.background += e * bg;
          weights.background += bg;
        }
      });
    }
    const mean = (k: keyof typeof sums) => (weights[k] > 0 ? sums[k] / weights[k] : null);
    out.push({ lo, hi, all: sums.all / weights.all, hands: mean('hands'), body: mean('body'), background: mean('background') });
  }
  return out;
}

/** The drift measures of one model, per val input (or clip) so that two models pair. */
export interface DriftMeasures {
  /** Per input: the mean pairwise RMS pixel distance (in [0, 1]) among its draws, over the whole frame. */
  diversity: number[];
  /** The same over the input's ground-truth hand boxes (null: no hand visible in the clip). */
  diversityHands: (number | null)[];
  /** Per input: the mean over its draws of the RMS distance to the nearest training positive. */
  nearestPositive: number[];
  /** Per held-out clip: the x0-scale error |x0_pred - x0|^2, mean over the bands, overall and by region. */
  heldout: { all: number[]; hands: (number | null)[]; body: (number | null)[]; background: (number | null)[] };
}

/** The mean of the non-null values (null when there are none). */
export function meanOf(v: readonly (number | null)[]): number | null {
  const x = v.filter((y): y is number => y !== null);
  return x.length ? x.reduce((a, b) => a + b, 0) / x.length : null;
}

/** A model's measures as means over inputs (diversity, memorisation) and clips (held-out error). */
export interface MeasureSummary {
  diversity: number;
  diversityHands: number | null;
  nearestPositive: number;
  heldoutError: number;
  heldoutHands: number | null;
  heldoutBody: number | null;
  heldoutBackground: number | null;
}

/** The means of one model's measures. */
export function summarizeMeasures(m: DriftMeasures): MeasureSummary {
  return {
    diversity: meanOf(m.diversity) as number,
    diversityHands: meanOf(m.diversityHands),
    nearestPositive: meanOf(m.nearestPositive) as number,
    heldoutError: meanOf(m.heldout.all) as number,
    heldoutHands: meanOf(m.heldout.hands),
    heldoutBody: meanOf(m.heldout.body),
    heldoutBackground: meanOf(m.heldout.background),
  };
}
