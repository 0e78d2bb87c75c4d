/**
 * The U-Net's training step as one ONNX graph (docs/design.md, "Engines"): the network of ./unet-graph with its
 * weights as inputs, the flow-matching error with its HALO weight inside, and the gradient of the loss with
 * respect to every weight as outputs (engine/tape's reverse pass). One ONNX Runtime run is one forward and
 * backward pass; the optimizer (train/optim's AdamW, EMA) stays on the kit's side, where a resumed run continues
 * bit for bit whatever computed the gradients.
 *
 *   inputs   video Z_t [B, F+1, H, W, C], cond, t [B] (, mode [B]), target v [B, F+1, H, W, C]
 *            (, weight W [B, F+1, H, W, 1]: the HALO weight of flow/losses `haloWeight`), and every weight
 *            under its own name, in the kit's layout (conv [k, k, cin, cout], linear [din, dout])
 *   outputs  err [B] = mean over a sample of W (v_theta - v)^2;  loss = mean_b err_b;  grad.<name> per weight
 */
import { TVal, Tape } from '../engine/tape';
import { OnnxFeeds, OnnxSession } from '../gpu/onnx';
import { UnetConfig } from './config';
import { GraphWeights, unetGraphInputs, unetVelocity } from './unet-graph';
import { unetParamShapes } from './unet';

/** The prefix of a weight's gradient output. */
export const GRAD_PREFIX = 'grad.';

/** The ONNX model bytes of a flow-matching training step at batch size B (`weighted`: a HALO weight input). */
export function unetTrainOnnx(c: UnetConfig, B: number, weighted: boolean): Uint8Array {
  if (!Number.isInteger(B) || B < 1) throw new Error(`unetTrainOnnx: batch size must be a positive integer, got ${B}`);
  const tape = new Tape('ipa_kit_unet_train');
  const inp = unetGraphInputs(tape, c, B);
  const params = new Map<string, TVal>();
  for (const [name, dims] of unetParamShapes(c)) params.set(name, tape.param(name, dims));
  const get = (name: string): TVal => {
    const p = params.get(name);
    if (!p) throw new Error(`unetTrainOnnx: the network reads '${name}', which is not one of its parameters`);
    return p;
  };
  const weights: GraphWeights = {
    tensor: (name) => get(name),
    conv: (name) => tape.transpose(get(name), [3, 2, 0, 1]), // [k, k, cin, cout] -> [cout, cin, k, k]
    has: (name) => params.has(name),
  };
  const v = unetVelocity(tape, c, weights, inp);
  const target = tape.input('target', [...v.dims]);
  const diff = tape.sub(v, target);
  let sq = tape.mul(diff, diff); // [B, F+1, H, W, C]
  if (weighted) sq = tape.mul(sq, tape.input('weight', [...v.dims.slice(0, 4), 1]));
  const err = tape.reduceMean(sq, [1, 2, 3, 4]); // [B]
  const loss = tape.reduceMean(err, [0]); // []
  tape.output(loss, 'loss');
  tape.output(err, 'err');
  const grads = tape.backward(loss);
  tape.params.forEach((p, i) => tape.output(grads[i], `${GRAD_PREFIX}${p.name}`));
  return tape.graph.encode();
}

/** One training batch as plain arrays (what the kit's side computes: noise, timesteps, targets, weights). */
export interface TrainBatch {
  video: Float32Array;
  cond: Float32Array;
  t: Float32Array;
  mode?: Float32Array;
  target: Float32Array;
  /** HALO weight [B, F+1, H, W, 1]; absent: unweighted. */
  weight?: Float32Array;
}

/** What a step's graph returns. */
export interface TrainStepOut {
  loss: number;
  err: Float32Array;
  grads: Record<string, Float32Array>;
}

/** ONNX Runtime sessions of a U-Net's training step, one per (batch size, weighted) (made on first use). */
export class UnetOnnxTrainer {
  private readonly sessions = new Map<string, Promise<OnnxSession>>();
  private readonly shapes: [string, number[]][];

  /** `threads`: ONNX Runtime's intra-op threads. */
  constructor(readonly config: UnetConfig, readonly threads = 1) {
    this.shapes = unetParamShapes(config);
  }

  /** Loss, per-sample errors and gradients at `weights` (by name, the kit's layout) on one batch. */
  async step(weights: Record<string, Float32Array>, batch: TrainBatch): Promise<TrainStepOut> {
    const c = this.config;
    const B = batch.t.length;
    const slot = c.frames * c.height * c.width;
    const want = { video: B * slot * c.channels, cond: B * slot * c.condChannels, target: B * slot * c.channels, weight: B * slot };
    for (const k of ['video', 'cond', 'target'] as const) if (batch[k].length !== want[k]) throw new Error(`UnetOnnxTrainer.step: '${k}' has ${batch[k].length} values, expected ${want[k]} for B = ${B}`);
    if (batch.weight && batch.weight.length !== want.weight) throw new Error(`UnetOnnxTrainer.step: 'weight' has ${batch.weight.length} values, expected ${want.weight}`);
    if (Boolean(c.modeNoise) !== (batch.mode !== undefined) || (batch.mode && batch.mode.length !== B)) throw new Error(`UnetOnnxTrainer.step: ${c.modeNoise ? `'mode' must have ${B} values` : 'this U-Net has no mode input'}`);
    const key = `${B}:${batch.weight ? 'w' : '-'}`;
    let session = this.sessions.get(key);
    if (!session) {
      session = OnnxSession.create(unetTrainOnnx(c, B, batch.weight !== undefined), this.threads);
      this.sessions.set(key, session);
    }
    const dims = [B, c.frames, c.height, c.width];
    const feeds: OnnxFeeds = {
      video: { data: batch.video, dims: [...dims, c.channels] },
      cond: { data: batch.cond, dims: [...dims, c.condChannels] },
      t: { data: batch.t, dims: [B] },
      target: { data: batch.target, dims: [...dims, c.channels] },
    };
    if (batch.mode) feeds.mode = { data: batch.mode, dims: [B] };
    if (batch.weight) feeds.weight = { data: batch.weight, dims: [...dims, 1] };
    for (const [name, shape] of this.shapes) {
      const wv = weights[name];
      const n = shape.reduce((a, b) => a * b, 1);
      if (!wv || wv.length !== n) throw new Error(`UnetOnnxTrainer.step: weight '${name}' ${wv ? `has ${wv.length} values, expected ${n}` : 'is missing'}`);
      feeds[name] = { data: wv, dims: shape };
    }
    const out = await (await session).run(feeds);
    const grads: Record<string, Float32Array> = {};
    for (const [name] of this.shapes) grads[name] = out[`${GRAD_PREFIX}${name}`];
    return { loss: out.loss[0], err: out.err, grads };
  }

  /** Free the sessions. */
  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s).release();
  }
}
