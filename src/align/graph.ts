/**
 * A post-training step as one ONNX graph, for the onnx engine (docs/design.md, "Engines"): the trained model's
 * velocity (the base's weights as constants plus LoRA adapters as inputs, or every weight an input for full
 * fine-tuning), the frozen reference's velocity from the same constants (the base without adapters, or its
 * frozen copy: the same numbers), the per-sample errors of both, the objective's loss on them, and the gradients
 * of the trained weights. The losses are those of ./losses in the kit's settings (`LossSettings`):
 *
 *   E_b = s_b mean(W (v_theta - v)^2),  R_b = s_b mean(W (v_ref - v)^2)    s_b = 1 ('v') or t_b^2 ('x0')
 *   'regression'  loss = mean_b a_b E_b                                      (SFT: ./losses regressionLoss)
 *   'ipa'         z_b = k_b (R_b - E_b);  loss = mean_b softplus(-z_b)       (ipaLoss)
 *   'dpo'         z_b = k_b ((R_w - E_w) - (R_l - E_l));  loss = mean_b softplus(-z_b) + mean_b a_b E_w  (flowDpoLoss)
 *
 * with k_b = (beta / 2) w(t_b) and a_b the regression's weight (1 in 'v', (beta / 4) w(t_b) in 'x0'; for 'dpo'
 * times sftWeight), computed on the kit's side by `headCoefficients`. A pairs batch holds the winners, then the
 * losers, sharing t and mode.
 *
 *   inputs   video [B', F+1, H, W, C], cond, t [B'] (, mode [B']), target (, weight [B', F+1, H, W, 1]),
 *            s [B'], k [B], a [B], and the trained weights by name (the kit's layout)
 *   outputs  loss, losses [B], logits [B] (preference heads), E [B'], R [B'] (with a reference), grad.<name>
 */
import { TVal, Tape } from '../engine/tape';
import { OnnxFeeds, OnnxSession } from '../gpu/onnx';
import { UnetConfig } from '../model/config';
import { GraphWeights, convWeight, unetGraphInputs, unetVelocity } from '../model/unet-graph';
import { unetParamShapes } from '../model/unet';
import { GRAD_PREFIX } from '../model/unet-train';
import type { GraphHead, LossSettings } from './objectives';

/** What a post-training graph is built for. */
export interface AlignGraphSpec {
  config: UnetConfig;
  /** Samples per side: positives, or pairs (the graph then runs 2B videos). */
  B: number;
  head: GraphHead;
  /** Whether the loss needs the frozen reference's errors. */
  reference: boolean;
  /** Whether a HALO weight input exists (lambda != 1). */
  weighted: boolean;
  /** The base's weights by name (kit layout): the constants of the reference and of a LoRA-trained model. */
  base: Record<string, Float32Array>;
  /** LoRA adapters (their weights are the trained inputs `<target>.lora_a` / `.lora_b`), or null: full fine-tuning. */
  lora: { targets: string[]; rank: number; scale: number } | null;
}

/** The trained inputs of a spec with their dims, in the graph's order. */
export function trainedShapes(spec: AlignGraphSpec): [string, number[]][] {
  const shapes = unetParamShapes(spec.config);
  if (!spec.lora) return shapes;
  const dims = new Map(shapes);
  return spec.lora.targets.flatMap((name): [string, number[]][] => {
    const d = dims.get(name);
    if (!d || d.length !== 2) throw new Error(`align graph: LoRA target '${name}' is not a linear weight of the U-Net`);
    return [
      [`${name}.lora_a`, [d[0], spec.lora?.rank as number]],
      [`${name}.lora_b`, [spec.lora?.rank as number, d[1]]],
    ];
  });
}

/** The ONNX model bytes of a post-training step. */
export function alignTrainOnnx(spec: AlignGraphSpec): Uint8Array {
  const { config: c, B, head } = spec;
  if (!Number.isInteger(B) || B < 1) throw new Error(`alignTrainOnnx: batch size must be a positive integer, got ${B}`);
  const Bp = head === 'dpo' ? 2 * B : B;
  const tape = new Tape(`ipa_kit_align_${head}`);
  const inp = unetGraphInputs(tape, c, Bp);
  const shapes = new Map(unetParamShapes(c));
  const baseConst = new Map<string, TVal>();
  const baseConv = new Map<string, TVal>();
  const baseOf = (name: string): Float32Array => {
    const v = spec.base[name];
    const d = shapes.get(name);
    if (!d) throw new Error(`alignTrainOnnx: the network reads '${name}', which is not one of its parameters`);
    if (!v || v.length !== d.reduce((x, y) => x * y, 1)) throw new Error(`alignTrainOnnx: base weight '${name}' is ${v ? `of ${v.length} values, expected ${d.join('x')}` : 'missing'}`);
    return v;
  };
  const frozen: GraphWeights = {
    tensor: (name, dims) => {
      let v = baseConst.get(name);
      if (!v) baseConst.set(name, (v = tape.constant(name, baseOf(name), dims)));
      return v;
    },
    conv: (name, k, cin, cout) => {
      let v = baseConv.get(name);
      if (!v) baseConv.set(name, (v = tape.constant(name, convWeight(baseOf(name), k, cin, cout), [cout, cin, k, k])));
      return v;
    },
    has: (name) => shapes.has(name),
  };
  const trained = new Map<string, TVal>();
  for (const [name, dims] of trainedShapes(spec)) trained.set(name, tape.param(name, dims));
  const used = new Set<string>();
  const model: GraphWeights = spec.lora
    ? {
        ...frozen,
        lora: (name) => {
          if (!spec.lora?.targets.includes(name)) return null;
          used.add(name);
          return { a: trained.get(`${name}.lora_a`) as TVal, b: trained.get(`${name}.lora_b`) as TVal, scale: spec.lora.scale };
        },
      }
    : { tensor: (name) => trained.get(name) as TVal, conv: (name) => tape.transpose(trained.get(name) as TVal, [3, 2, 0, 1]), has: (name) => shapes.has(name) };

  // Per-sample errors of the model and of the reference, in the error scale.
  const v = unetVelocity(tape, c, model, inp);
  if (spec.lora) for (const name of spec.lora.targets) if (!used.has(name)) throw new Error(`alignTrainOnnx: LoRA target '${name}' is not a projection the graph adapts`);
  const target = tape.input('target', [...v.dims]);
  const weight = spec.weighted ? tape.input('weight', [...v.dims.slice(0, 4), 1]) : null;
  const s = tape.input('s', [Bp]);
  const errorOf = (pred: TVal) => {
    const d = tape.sub(pred, target);
    const sq = weight ? tape.mul(tape.mul(d, d), weight) : tape.mul(d, d);
    return tape.mul(tape.reduceMean(sq, [1, 2, 3, 4]), s); // [B']
  };
  const E = errorOf(v);
  const R = spec.reference ? errorOf(unetVelocity(tape, c, frozen, inp)) : null;
  tape.output(E, 'E');
  if (R) tape.output(R, 'R');

  // The objective's head.
  const a = tape.input('a', [B]);
  const k = tape.input('k', [B]);
  const mean = (x: TVal) => tape.reduceMean(x, [0]);
  let loss: TVal;
  if (head === 'regression') {
    const terms = tape.mul(a, E);
    tape.output(terms, 'losses');
    loss = mean(terms);
  } else {
    if (!R) throw new Error(`alignTrainOnnx: the '${head}' head needs the reference`);
    const firstHalf = (x: TVal) => tape.slice(x, [0], [B], [0]);
    const secondHalf = (x: TVal) => tape.slice(x, [B], [2 * B], [0]);
    const gap = head === 'ipa' ? tape.sub(R, E) : tape.sub(tape.sub(firstHalf(R), firstHalf(E)), tape.sub(secondHalf(R), secondHalf(E)));
    const z = tape.mul(k, gap);
    const losses = tape.softplus(tape.neg(z));
    tape.output(z, 'logits');
    tape.output(losses, 'losses');
    loss = mean(losses);
    if (head === 'dpo') loss = tape.add(loss, mean(tape.mul(a, firstHalf(E))));
  }
  tape.output(loss, 'loss');
  const grads = tape.backward(loss);
  tape.params.forEach((p, i) => tape.output(grads[i], `${GRAD_PREFIX}${p.name}`));
  return tape.graph.encode();
}

/** The per-sample coefficients of a head from the timesteps [B] and the settings: s (per video), k and a. */
export function headCoefficients(head: GraphHead, t: Float32Array, settings: LossSettings): { s: Float32Array; k: Float32Array; a: Float32Array } {
  const B = t.length;
  const w = (i: number) => (settings.timeWeight === 'paper' ? (1 - t[i]) ** 2 : 1);
  const scale = Float32Array.from(t, (ti) => (settings.errorScale === 'x0' ? ti * ti : 1));
  const k = Float32Array.from({ length: B }, (_, i) => (settings.beta / 2) * w(i));
  const regression = Float32Array.from({ length: B }, (_, i) => (settings.errorScale === 'v' ? 1 : (settings.beta / 4) * w(i)));
  const a = head === 'regression' ? regression : head === 'dpo' ? regression.map((x) => x * settings.sftWeight) : new Float32Array(B);
  return { s: head === 'dpo' ? Float32Array.from([...scale, ...scale]) : scale, k, a };
}

/** One post-training batch as arrays (pairs: the winners, then the losers). */
export interface AlignGraphBatch {
  video: Float32Array;
  cond: Float32Array;
  /** [B'] (pairs: t repeated for the losers). */
  t: Float32Array;
  mode?: Float32Array;
  target: Float32Array;
  weight?: Float32Array;
}

/** What a step's graph returns. */
export interface AlignGraphOut {
  loss: number;
  losses: Float32Array;
  logits: Float32Array | null;
  E: Float32Array;
  R: Float32Array | null;
  grads: Record<string, Float32Array>;
}

/** An ONNX Runtime session of one post-training graph (made on first use; one spec per run). */
export class AlignOnnxStep {
  private session: Promise<OnnxSession> | null = null;
  private readonly shapes: [string, number[]][];

  constructor(readonly spec: AlignGraphSpec, readonly threads = 1) {
    this.shapes = trainedShapes(spec);
  }

  /** Loss, per-sample values and gradients at the trained `weights` (by name) on one batch. */
  async step(weights: Record<string, Float32Array>, batch: AlignGraphBatch, settings: LossSettings): Promise<AlignGraphOut> {
    const { config: c, B, head } = this.spec;
    const Bp = head === 'dpo' ? 2 * B : B;
    const dims = [Bp, c.frames, c.height, c.width];
    const n = Bp * c.frames * c.height * c.width;
    const want = { video: n * c.channels, cond: n * c.condChannels, target: n * c.channels, t: Bp };
    for (const key of ['video', 'cond', 'target', 't'] as const) if (batch[key].length !== want[key]) throw new Error(`AlignOnnxStep.step: '${key}' has ${batch[key].length} values, expected ${want[key]}`);
    if (this.spec.weighted !== (batch.weight !== undefined) || (batch.weight && batch.weight.length !== n)) throw new Error(`AlignOnnxStep.step: ${this.spec.weighted ? `'weight' must have ${n} values` : 'this graph has no weight input'}`);
    if (Boolean(c.modeNoise) !== (batch.mode !== undefined)) throw new Error(`AlignOnnxStep.step: ${c.modeNoise ? "'mode' is missing" : 'this U-Net has no mode input'}`);
    this.session ??= OnnxSession.create(alignTrainOnnx(this.spec), this.threads);
    const coef = headCoefficients(head, batch.t.subarray(0, B), settings);
    const feeds: OnnxFeeds = {
      video: { data: batch.video, dims: [...dims, c.channels] },
      cond: { data: batch.cond, dims: [...dims, c.condChannels] },
      t: { data: batch.t, dims: [Bp] },
      target: { data: batch.target, dims: [...dims, c.channels] },
      s: { data: coef.s, dims: [Bp] },
      k: { data: coef.k, dims: [B] },
      a: { data: coef.a, dims: [B] },
    };
    if (batch.mode) feeds.mode = { data: batch.mode, dims: [Bp] };
    if (batch.weight) feeds.weight = { data: batch.weight, dims: [...dims, 1] };
    for (const [name, shape] of this.shapes) {
      const wv = weights[name];
      const size = shape.reduce((x, y) => x * y, 1);
      if (!wv || wv.length !== size) throw new Error(`AlignOnnxStep.step: trained weight '${name}' ${wv ? `has ${wv.length} values, expected ${size}` : 'is missing'}`);
      feeds[name] = { data: wv, dims: shape };
    }
    const out = await (await this.session).run(feeds);
    return {
      loss: out.loss[0],
      losses: out.losses,
      logits: out.logits ?? null,
      E: out.E,
      R: out.R ?? null,
      grads: Object.fromEntries(this.shapes.map(([name]) => [name, out[`${GRAD_PREFIX}${name}`]])),
    };
  }

  /** Free the session. */
  async release(): Promise<void> {
    const s = this.session;
    this.session = null;
    if (s) await (await s).release();
  }
}
