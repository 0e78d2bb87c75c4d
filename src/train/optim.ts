/**
 * Optimisation: AdamW (decoupled weight decay on matrices only), a warm-up + cosine learning-rate schedule,
 * global gradient-norm clipping and an exponential moving average of the weights. All state can be exported
 * to and restored from Float32Arrays, so a resumed run continues bit for bit.
 */
import * as tf from '@tensorflow/tfjs';
import { variableFrom } from '../gpu';

export interface OptimConfig {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Clip the global gradient norm to this value (0 = off). */
  clipNorm: number;
  warmupSteps: number;
  totalSteps: number;
  /** Final learning rate as a fraction of `lr` (cosine decay target). */
  minLrFraction: number;
}

/** Learning rate at a 0-based step: linear warm-up to `lr`, then cosine decay to `lr * minLrFraction`. */
export function learningRate(c: OptimConfig, step: number): number {
  if (c.warmupSteps > 0 && step < c.warmupSteps) return (c.lr * (step + 1)) / c.warmupSteps;
  const span = Math.max(1, c.totalSteps - c.warmupSteps);
  const p = Math.min(1, Math.max(0, (step - c.warmupSteps) / span));
  const min = c.lr * c.minLrFraction;
  return min + 0.5 * (c.lr - min) * (1 + Math.cos(Math.PI * p));
}

/** Exported optimizer state: moments per variable name plus the step count. */
export interface OptimState {
  step: number;
  m: Record<string, Float32Array>;
  v: Record<string, Float32Array>;
}

export class AdamW {
  private m: Record<string, tf.Variable> = {};
  private v: Record<string, tf.Variable> = {};
  step = 0;

  constructor(
    readonly config: OptimConfig,
    private readonly vars: Record<string, tf.Variable>,
  ) {
    for (const [name, x] of Object.entries(vars)) {
      this.m[name] = variableFrom(tf.zerosLike(x), false);
      this.v[name] = variableFrom(tf.zerosLike(x), false);
    }
  }

  /** Apply one update from gradients (by variable name); returns the global gradient norm before clipping. */
  apply(grads: Record<string, tf.Tensor>): { gradNorm: number; lr: number } {
    const c = this.config;
    const names = Object.keys(this.vars);
    for (const n of names) if (!grads[n]) throw new Error(`AdamW: no gradient for '${n}'`);
    const gradNorm = tf.tidy(() => Math.sqrt(tf.addN(names.map((n) => tf.sum(tf.square(grads[n])))).dataSync()[0]));
    if (!Number.isFinite(gradNorm)) return { gradNorm, lr: NaN };
    const lr = learningRate(c, this.step);
    const clip = c.clipNorm > 0 && gradNorm > c.clipNorm ? c.clipNorm / gradNorm : 1;
    const t = this.step + 1;
    const bc1 = 1 - Math.pow(c.beta1, t);
    const bc2 = 1 - Math.pow(c.beta2, t);
    for (const n of names) {
      tf.tidy(() => {
        const x = this.vars[n];
        const g = clip === 1 ? grads[n] : tf.mul(grads[n], clip);
        const m = tf.add(tf.mul(this.m[n], c.beta1), tf.mul(g, 1 - c.beta1));
        const v = tf.add(tf.mul(this.v[n], c.beta2), tf.mul(tf.square(g), 1 - c.beta2));
        this.m[n].assign(m);
        this.v[n].assign(v);
        const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), c.eps));
        const decayed = c.weightDecay > 0 && x.rank >= 2 ? tf.mul(x, 1 - lr * c.weightDecay) : x;
        x.assign(tf.sub(decayed, tf.mul(update, lr)));
      });
    }
    this.step = t;
    return { gradNorm, lr };
  }

  /** Moments and step as plain arrays (for checkpoints). */
  exportState(): OptimState {
    const m: Record<string, Float32Array> = {};
    const v: Record<string, Float32Array> = {};
    for (const n of Object.keys(this.vars)) {
      m[n] = this.m[n].dataSync() as Float32Array;
      v[n] = this.v[n].dataSync() as Float32Array;
    }
    return { step: this.step, m, v };
  }

  /** Restore moments and step; throws naming a missing or mis-sized entry. */
  importState(s: OptimState): void {
    for (const n of Object.keys(this.vars)) {
      for (const [kind, src, dst] of [['m', s.m, this.m], ['v', s.v, this.v]] as const) {
        const a = src[n];
        if (!a || a.length !== dst[n].size) throw new Error(`optimizer state: '${kind}' for '${n}' is missing or has the wrong size`);
        tf.tidy(() => dst[n].assign(tf.tensor(a, dst[n].shape)));
      }
    }
    this.step = s.step;
  }

  dispose(): void {
    tf.dispose([...Object.values(this.m), ...Object.values(this.v)]);
  }
}

/** Exponential moving average of weights: ema <- decay * ema + (1 - decay) * w. */
export class Ema {
  readonly shadow: Record<string, tf.Variable> = {};

  constructor(
    readonly decay: number,
    private readonly vars: Record<string, tf.Variable>,
  ) {
    for (const [n, x] of Object.entries(vars)) this.shadow[n] = variableFrom(tf.clone(x), false);
  }

  update(): void {
    for (const [n, x] of Object.entries(this.vars)) {
      tf.tidy(() => this.shadow[n].assign(tf.add(tf.mul(this.shadow[n], this.decay), tf.mul(x, 1 - this.decay))));
    }
  }

  exportState(): Record<string, Float32Array> {
    const out: Record<string, Float32Array> = {};
    for (const [n, x] of Object.entries(this.shadow)) out[n] = x.dataSync() as Float32Array;
    return out;
  }

  importState(s: Record<string, Float32Array>): void {
    for (const [n, x] of Object.entries(this.shadow)) {
      const a = s[n];
      if (!a || a.length !== x.size) throw new Error(`EMA state for '${n}' is missing or has the wrong size`);
      tf.tidy(() => x.assign(tf.tensor(a, x.shape)));
    }
  }

  dispose(): void {
    tf.dispose(Object.values(this.shadow));
  }
}

/** The schedule every trainer's plain-data config holds (pretraining, post-training, perception). */
export interface TrainSchedule {
  /** Optimisation steps and samples per step. */
  steps: number;
  batch: number;
  lr: number;
  warmupSteps: number;
  /** Final learning rate as a fraction of lr (cosine decay). */
  minLrFraction: number;
  weightDecay: number;
  /** Global gradient-norm clip (0 = off). */
  clipNorm: number;
  checkpointEvery: number;
}

/** The kit's AdamW settings for a run (beta1 0.9, beta2 0.999, eps 1e-8) from its plain-data training config. */
export function adamwConfig(c: Pick<TrainSchedule, 'lr' | 'weightDecay' | 'clipNorm' | 'warmupSteps' | 'minLrFraction'>, totalSteps: number): OptimConfig {
  return { lr: c.lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: c.weightDecay, clipNorm: c.clipNorm, warmupSteps: c.warmupSteps, totalSteps, minLrFraction: c.minLrFraction };
}
