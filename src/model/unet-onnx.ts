/**
 * The U-Net's velocity function (`unetForward` of ./unet) as a frozen ONNX graph from the same weights, for
 * sampling through ONNX Runtime: the graph of ./unet-graph with every weight a constant (conv weights stored
 * [cout, cin, k, k]) and a LoRA set, when given, merged in. Same inputs and output as the tfjs path, for one fixed
 * batch size. The graph is checked against the tfjs path by a test and by `npm run bench -- --only sampling`
 * (max abs difference per pixel).
 */
import * as tf from '@tensorflow/tfjs';
import { Tape } from '../engine/tape';
import { OnnxFeeds, OnnxSession } from '../gpu/onnx';
import { UnetConfig, validateModelConfig } from './config';
import type { LoraSet, Params } from './types';
import { GraphWeights, convWeight, unetGraphInputs, unetVelocity } from './unet-graph';

/** Weights of `name` as a Float32Array, with a merged LoRA delta when the set has one for it. */
function weight(params: Params, lora: LoraSet | undefined, name: string): Float32Array {
  const p = params[name];
  if (!p) throw new Error(`unet-onnx: parameter '${name}' is missing`);
  const ad = lora?.[name];
  if (!ad) return p.dataSync() as Float32Array;
  return tf.tidy(() => tf.add(p, tf.mul(tf.matMul(ad.a, ad.b), ad.scale)).dataSync() as Float32Array);
}

/** The ONNX model bytes of the U-Net's velocity function at batch size B (weights as constants, LoRA merged). */
export function unetOnnx(c: UnetConfig, params: Params, B: number, lora?: LoraSet): Uint8Array {
  validateModelConfig(c);
  if (!Number.isInteger(B) || B < 1) throw new Error(`unetOnnx: batch size must be a positive integer, got ${B}`);
  const tape = new Tape('ipa_kit_unet_velocity');
  const weights: GraphWeights = {
    tensor: (name, dims) => tape.constant(name, weight(params, lora, name), dims),
    conv: (name, k, cin, cout) => tape.constant(name, convWeight(weight(params, lora, name), k, cin, cout), [cout, cin, k, k]),
    has: (name) => params[name] !== undefined,
  };
  tape.output(unetVelocity(tape, c, weights, unetGraphInputs(tape, c, B)), 'v');
  return tape.graph.encode();
}

/** ONNX Runtime sessions of one model's velocity function, one per batch size (made on first use). */
export class UnetOnnx {
  private readonly sessions = new Map<number, Promise<OnnxSession>>();

  /** `threads`: ONNX Runtime's intra-op threads per session (1 inside each of several pool workers). */
  constructor(readonly config: UnetConfig, private readonly params: Params, private readonly lora?: LoraSet, readonly threads = 1) {}

  /** v [B, F+1, H, W, C] for video [B, F+1, H, W, C], cond [B, F+1, H, W, condC], t and (modeNoise) mode (B values each). */
  async velocity(video: Float32Array, cond: Float32Array, t: number[], mode?: number[]): Promise<Float32Array> {
    const c = this.config;
    const B = t.length;
    const slot = c.frames * c.height * c.width;
    if (video.length !== B * slot * c.channels || cond.length !== B * slot * c.condChannels) {
      throw new Error(`UnetOnnx.velocity: video has ${video.length} and cond ${cond.length} values, expected ${B * slot * c.channels} and ${B * slot * c.condChannels} for B = ${B}`);
    }
    if (Boolean(c.modeNoise) !== (mode !== undefined) || (mode && mode.length !== B)) throw new Error(`UnetOnnx.velocity: ${c.modeNoise ? `mode must have ${B} values` : 'this U-Net has no mode input'}`);
    let session = this.sessions.get(B);
    if (!session) {
      session = OnnxSession.create(unetOnnx(c, this.params, B, this.lora), this.threads);
      this.sessions.set(B, session);
    }
    const dims = [B, c.frames, c.height, c.width];
    const feeds: OnnxFeeds = { video: { data: video, dims: [...dims, c.channels] }, cond: { data: cond, dims: [...dims, c.condChannels] }, t: { data: Float32Array.from(t), dims: [B] } };
    if (mode) feeds.mode = { data: Float32Array.from(mode), dims: [B] };
    const out = await (await session).run(feeds);
    return out.v;
  }

  /** Free the sessions. */
  async release(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    for (const s of all) await (await s).release();
  }
}
