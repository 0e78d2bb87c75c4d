/**
 * The U-Net's velocity function (`unetForward` of ./unet) written as an ONNX graph from the same weights, for
 * sampling through ONNX Runtime. Same inputs and output as the tfjs path, for one fixed batch size B:
 *
 *   video [B, F+1, H, W, C], cond [B, F+1, H, W, condC], t [B] (, mode [B] with modeNoise)  ->  v [B, F+1, H, W, C]
 *
 * Inside, the frames run channels-first (ONNX's Conv layout): conv weights [k, k, cin, cout] are stored as
 * [cout, cin, k, k]; GroupNorm is InstanceNormalization over [N, G, C/G * h * w] (the population variance, as
 * tf.moments) followed by the per-channel affine; nearest 2x upsampling is a reshape, an expand and a reshape;
 * the middle attention reads its F*h*w tokens in the tfjs path's order (frame, row, column). A LoRA set, when
 * given, is merged into the exported weights. The graph is checked against the tfjs path by a test and by
 * `npm run bench -- --only sampling` (max abs difference per pixel).
 */
import * as tf from '@tensorflow/tfjs';
import { OnnxFeeds, OnnxGraph, OnnxSession } from '../gpu/onnx';
import { UnetConfig, validateModelConfig } from './config';
import type { LoraSet, Params } from './dit';
import { PRED_T_MIN } from './unet';

/** Weights of `name` as a Float32Array, with a merged LoRA delta when the set has one for it. */
function weight(params: Params, lora: LoraSet | undefined, name: string): Float32Array {
  const p = params[name];
  if (!p) throw new Error(`unet-onnx: parameter '${name}' is missing`);
  const ad = lora?.[name];
  if (!ad) return p.dataSync() as Float32Array;
  return tf.tidy(() => tf.add(p, tf.mul(tf.matMul(ad.a, ad.b), ad.scale)).dataSync() as Float32Array);
}

/** [k, k, cin, cout] (tfjs) -> [cout, cin, k, k] (ONNX). */
function convWeight(w: Float32Array, k: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let ky = 0; ky < k; ky++)
    for (let kx = 0; kx < k; kx++)
      for (let ci = 0; ci < cin; ci++)
        for (let co = 0; co < cout; co++) out[((co * cin + ci) * k + ky) * k + kx] = w[((ky * k + kx) * cin + ci) * cout + co];
  return out;
}

/** The ONNX model bytes of the U-Net's velocity function at batch size B. */
export function unetOnnx(c: UnetConfig, params: Params, B: number, lora?: LoraSet): Uint8Array {
  validateModelConfig(c);
  if (!Number.isInteger(B) || B < 1) throw new Error(`unetOnnx: batch size must be a positive integer, got ${B}`);
  const g = new OnnxGraph('ipa_kit_unet_velocity');
  const { height: H, width: W, channels: C, condChannels: Cc, frames: F1, groups: G } = c;
  const F = F1 - 1;
  const N = B * F;
  const E = c.embedDim;
  const L = c.levels.length;
  const w = (name: string) => weight(params, lora, name);
  const vec = (name: string, n: number) => g.constant(name, w(name), [n]);

  const video = g.input('video', [B, F1, H, W, C]);
  const cond = g.input('cond', [B, F1, H, W, Cc]);
  const t = g.input('t', [B]);
  const mode = c.modeNoise ? g.input('mode', [B]) : null;

  const slice = (x: string, starts: number[], ends: number[], axes: number[]) => g.op('Slice', [x, g.ints(starts), g.ints(ends), g.ints(axes)]);
  const reshape = (x: string, dims: number[]) => g.op('Reshape', [x, g.ints(dims)]);
  const transpose = (x: string, perm: number[]) => g.op('Transpose', [x], { perm });
  const scalar = (v: number) => g.constant('scalar', [v], []);
  const siluOf = (x: string) => g.op('Mul', [x, g.op('Sigmoid', [x])]);

  // Timestep: t5 [B, 1, 1, 1, 1]; features [cos, sin](1000 t * freqs) -> Linear -> SiLU -> Linear; st = SiLU(temb).
  const t5 = reshape(t, [B, 1, 1, 1, 1]);
  const half = c.freqDim / 2;
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = Math.exp((-Math.log(10000) * i) / half);
  const args = g.op('Mul', [g.op('Mul', [reshape(t, [B, 1]), scalar(1000)]), g.constant('freqs', freqs, [1, half])]); // [B, half]
  const feats = g.op('Concat', [g.op('Cos', [args]), g.op('Sin', [args])], { axis: 1 }); // [B, freqDim]
  const dense = (x: string, wName: string, bName: string, din: number, dout: number) =>
    g.op('Add', [g.op('MatMul', [x, g.constant(wName, w(wName), [din, dout])]), vec(bName, dout)]);
  let h1 = dense(feats, 'temb.w1', 'temb.b1', c.freqDim, E); // [B, E]
  if (mode) h1 = g.op('Add', [h1, g.op('MatMul', [reshape(mode, [B, 1]), g.constant('temb.wm', w('temb.wm'), [1, E])])]); // + mode * wm
  const temb = dense(siluOf(h1), 'temb.w2', 'temb.b2', E, E); // [B, E]
  const st = siluOf(temb); // [B, E]
  const linearOf = (x: string, prefix: string, din: number, dout: number) => dense(x, `${prefix}.w`, `${prefix}.b`, din, dout);

  /** A per-clip [B, n] vector broadcast to the clip's frames: [N, n, 1, 1]. */
  const perFrame = (x: string, n: number) => reshape(g.op('Expand', [reshape(x, [B, 1, n]), g.ints([B, F, n])]), [N, n, 1, 1]);

  const conv = (x: string, p: string, k: number, cin: number, cout: number) =>
    g.op('Conv', [x, g.constant(`${p}.w`, convWeight(w(`${p}.w`), k, cin, cout), [cout, cin, k, k]), vec(`${p}.b`, cout)], {
      kernel_shape: [k, k],
      pads: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0],
      strides: [1, 1],
    });

  /** GroupNorm(x) [N, ch, h, w] with gamma/beta under `p`, then FiLM (scale/shift [N, ch, 1, 1]) and SiLU. */
  const gn = (x: string, p: string, ch: number, hw: number, act: boolean, film?: { scale: string; shift: string }) => {
    const side = Math.sqrt(hw);
    const grouped = reshape(x, [N, G, (ch / G) * hw]);
    const normed = g.op('InstanceNormalization', [grouped, g.constant('ones', new Float32Array(G).fill(1), [G]), g.constant('zeros', new Float32Array(G), [G])], { epsilon: { float: 1e-5 } });
    let y = g.op('Add', [g.op('Mul', [reshape(normed, [N, ch, side, side]), g.constant(`${p}.g`, w(`${p}.g`), [1, ch, 1, 1])]), g.constant(`${p}.b`, w(`${p}.b`), [1, ch, 1, 1])]);
    if (film) y = g.op('Add', [g.op('Mul', [y, g.op('Add', [film.scale, scalar(1)])]), film.shift]);
    return act ? siluOf(y) : y;
  };

  const resBlock = (x: string, p: string, cin: number, cout: number, hw: number) => {
    const h1 = conv(gn(x, `${p}.n1`, cin, hw, true), `${p}.c1`, 3, cin, cout);
    const scale = perFrame(linearOf(st, `${p}.film.scale`, E, cout), cout);
    const shift = perFrame(linearOf(st, `${p}.film.shift`, E, cout), cout);
    const h2 = conv(gn(h1, `${p}.n2`, cout, hw, true, { scale, shift }), `${p}.c2`, 3, cout, cout);
    const skip = params[`${p}.skip.w`] ? conv(x, `${p}.skip`, 1, cin, cout) : x;
    return g.op('Add', [skip, h2]);
  };

  /** Spatio-temporal attention over the F*h*w tokens of each clip (residual): [N, ch, h, w] -> same. */
  const attention = (x: string, ch: number, side: number) => {
    const T = F * side * side;
    const heads = c.heads;
    const d = ch / heads;
    const tok = reshape(transpose(gn(x, 'mid.attn.norm', ch, side * side, false), [0, 2, 3, 1]), [B, T, ch]); // [B, T, ch]
    const headsOf = (n: string) => transpose(reshape(linearOf(tok, `mid.attn.${n}`, ch, ch), [B, T, heads, d]), [0, 2, 1, 3]); // [B, heads, T, d]
    const q = g.op('Mul', [headsOf('q'), scalar(1 / Math.sqrt(d))]);
    const logits = g.op('MatMul', [q, transpose(headsOf('k'), [0, 1, 3, 2])]); // [B, heads, T, T]
    const o = g.op('MatMul', [g.op('Softmax', [logits], { axis: -1 }), headsOf('v')]); // [B, heads, T, d]
    const merged = reshape(transpose(o, [0, 2, 1, 3]), [B, T, ch]);
    const out = transpose(reshape(linearOf(merged, 'mid.attn.out', ch, ch), [N, side, side, ch]), [0, 3, 1, 2]);
    return g.op('Add', [x, out]);
  };

  const avgPool = (x: string) => g.op('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] });
  const upsample = (x: string, ch: number, side: number) =>
    reshape(g.op('Expand', [reshape(x, [N, ch, side, 1, side, 1]), g.ints([N, ch, side, 2, side, 2])]), [N, ch, 2 * side, 2 * side]);

  // Inputs of the generated frames: [Z_t[f] (gated by 1 - t), ref image, pose f, ref pose] -> [N, C + condC, H, W].
  const zGen = slice(video, [1], [F1], [1]); // [B, F, H, W, C]
  const zIn = c.inputGate ? g.op('Mul', [zGen, g.op('Sub', [scalar(1), t5])]) : zGen;
  const x = transpose(reshape(g.op('Concat', [zIn, slice(cond, [1], [F1], [1])], { axis: 4 }), [N, H, W, C + Cc]), [0, 3, 1, 2]);

  // The U-Net of ./unet: stem, encoder with skips, middle (res, attention, res), decoder, head.
  const lv = c.levels;
  let h = conv(x, 'stem', 3, C + Cc, lv[0]);
  let side = H;
  const skips: { v: string; ch: number; side: number }[] = [];
  for (let i = 0; i < L; i++) {
    h = resBlock(h, `enc.${i}`, i === 0 ? lv[0] : lv[i - 1], lv[i], side * side);
    skips.push({ v: h, ch: lv[i], side });
    if (i < L - 1) {
      h = avgPool(h);
      side /= 2;
    }
  }
  const top = lv[L - 1];
  h = resBlock(h, 'mid.res1', top, top, side * side);
  h = attention(h, top, side);
  h = resBlock(h, 'mid.res2', top, top, side * side);
  let cur = top;
  for (let j = 0; j < L; j++) {
    const s = skips[L - 1 - j];
    h = resBlock(g.op('Concat', [h, s.v], { axis: 1 }), `dec.${j}`, cur + s.ch, s.ch, side * side);
    cur = s.ch;
    if (j < L - 1) {
      h = conv(upsample(h, cur, side), `up.${j}`, 3, cur, cur);
      side *= 2;
    }
  }
  const head = conv(gn(h, 'head.norm', lv[0], H * W, true), 'head', 3, lv[0], C); // [N, C, H, W]
  const o = reshape(transpose(head, [0, 2, 3, 1]), [B, F, H, W, C]);

  // Read o as a velocity, and the exact velocity of the known reference on frame 0.
  const tMin = g.op('Max', [t5, scalar(PRED_T_MIN)]);
  let vGen: string;
  if (c.predict === 'v') vGen = o;
  else if (c.predict === 'x') vGen = g.op('Div', [g.op('Sub', [zGen, o]), tMin]);
  else vGen = g.op('Div', [g.op('Sub', [o, zGen]), g.op('Max', [g.op('Sub', [scalar(1), t5]), scalar(PRED_T_MIN)])]);
  const ref = slice(cond, [0, 0], [1, C], [1, 4]); // [B, 1, H, W, C]: the image channels of frame 0
  const v0 = g.op('Div', [g.op('Sub', [slice(video, [0], [1], [1]), ref]), tMin]);
  g.output(g.op('Concat', [v0, vGen], { axis: 1 }), 'v', [B, F1, H, W, C]);
  return g.encode();
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
