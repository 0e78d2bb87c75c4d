/**
 * The U-Net of ./unet written once as a differentiable ONNX graph (engine/tape), for both engines' uses of ONNX
 * Runtime: the sampling graph (weights as constants, a LoRA set merged in: ./unet-onnx) and the training graph
 * (weights as inputs, the flow-matching loss with its HALO weight inside, and the gradient of every weight as an
 * output: ./unet-train). Same inputs and output as the tfjs path, for one fixed batch size B:
 *
 *   video [B, F+1, H, W, C], cond [B, F+1, H, W, condC], t [B] (, mode [B] with modeNoise)  ->  v [B, F+1, H, W, C]
 *
 * Inside, the frames run channels-first (ONNX's Conv layout): a conv weight [k, k, cin, cout] is read as
 * [cout, cin, k, k]; GroupNorm is InstanceNormalization over [N, G, C/G * h * w] (the population variance, as
 * tf.moments) followed by the per-channel affine; nearest 2x upsampling is a reshape, an expand and a reshape;
 * the middle attention reads its F*h*w tokens in the tfjs path's order (frame, row, column).
 */
import { TVal, Tape } from '../engine/tape';
import { UnetConfig, validateModelConfig } from './config';
import { PRED_T_MIN } from './unet';

/** [k, k, cin, cout] (tfjs) -> [cout, cin, k, k] (ONNX). */
export function convWeight(w: Float32Array, k: number, cin: number, cout: number): Float32Array {
  const out = new Float32Array(w.length);
  for (let ky = 0; ky < k; ky++)
    for (let kx = 0; kx < k; kx++)
      for (let ci = 0; ci < cin; ci++)
        for (let co = 0; co < cout; co++) out[((co * cin + ci) * k + ky) * k + kx] = w[((ky * k + kx) * cin + ci) * cout + co];
  return out;
}

/** Where the graph's weights come from: constants of a frozen graph, or inputs of a training graph. */
export interface GraphWeights {
  /** A weight of the kit's layout (vectors, linears [din, dout]) under `name`. */
  tensor(name: string, dims: number[]): TVal;
  /** A conv weight stored [k, k, cin, cout] by the kit, as ONNX's [cout, cin, k, k]. */
  conv(name: string, k: number, cin: number, cout: number): TVal;
  /** Whether the network has this weight (the 1x1 skips exist only where channels change). */
  has(name: string): boolean;
  /** A LoRA adapter on the linear weight `name` (x W + b + scale (x A) B, as model/lora), or null. */
  lora?(name: string): { a: TVal; b: TVal; scale: number } | null;
}

/** The graph's data inputs. */
export interface UnetGraphInputs {
  video: TVal;
  cond: TVal;
  t: TVal;
  mode: TVal | null;
}

/** Declare the data inputs of a U-Net graph at batch size B. */
export function unetGraphInputs(tape: Tape, c: UnetConfig, B: number): UnetGraphInputs {
  const dims = [B, c.frames, c.height, c.width];
  return {
    video: tape.input('video', [...dims, c.channels]),
    cond: tape.input('cond', [...dims, c.condChannels]),
    t: tape.input('t', [B]),
    mode: c.modeNoise ? tape.input('mode', [B]) : null,
  };
}

/** The U-Net's velocity v [B, F+1, H, W, C] on the tape. */
export function unetVelocity(tape: Tape, c: UnetConfig, w: GraphWeights, inp: UnetGraphInputs): TVal {
  validateModelConfig(c);
  const T = tape;
  const [B] = inp.t.dims;
  const { height: H, width: W, channels: C, condChannels: Cc, frames: F1, groups: G } = c;
  const F = F1 - 1;
  const N = B * F;
  const E = c.embedDim;
  const L = c.levels.length;

  // Timestep: features [cos, sin](1000 t * freqs) -> Linear (+ mode * wm) -> SiLU -> Linear; st = SiLU(temb).
  const t5 = T.reshape(inp.t, [B, 1, 1, 1, 1]);
  const half = c.freqDim / 2;
  const freqs = new Float32Array(half);
  for (let i = 0; i < half; i++) freqs[i] = Math.exp((-Math.log(10000) * i) / half);
  const args = T.mul(T.mul(T.reshape(inp.t, [B, 1]), T.scalar(1000)), T.constant('freqs', freqs, [1, half])); // [B, half]
  const feats = T.concat([T.cos(args), T.sin(args)], 1); // [B, freqDim]
  const dense = (x: TVal, prefix: string, din: number, dout: number) => {
    const y = T.add(T.matmul(x, w.tensor(`${prefix}.w`, [din, dout])), w.tensor(`${prefix}.b`, [dout]));
    const ad = w.lora?.(`${prefix}.w`);
    return ad ? T.add(y, T.mul(T.matmul(T.matmul(x, ad.a), ad.b), T.scalar(ad.scale))) : y;
  };
  let h1 = T.add(T.matmul(feats, w.tensor('temb.w1', [c.freqDim, E])), w.tensor('temb.b1', [E])); // [B, E]
  if (inp.mode) h1 = T.add(h1, T.matmul(T.reshape(inp.mode, [B, 1]), w.tensor('temb.wm', [1, E]))); // + mode * wm
  const temb = T.add(T.matmul(T.silu(h1), w.tensor('temb.w2', [E, E])), w.tensor('temb.b2', [E])); // [B, E]
  const st = T.silu(temb); // [B, E]

  /** A per-clip [B, n] vector broadcast to the clip's frames: [N, n, 1, 1]. */
  const perFrame = (x: TVal, n: number) => T.reshape(T.expand(T.reshape(x, [B, 1, n]), [B, F, n]), [N, n, 1, 1]);
  const conv = (x: TVal, p: string, k: number, cin: number, cout: number) => T.conv(x, w.conv(`${p}.w`, k, cin, cout), w.tensor(`${p}.b`, [cout]));

  /** GroupNorm(x) [N, ch, h, w] with gamma/beta under `p`, then FiLM (scale/shift [N, ch, 1, 1]) and SiLU. */
  const gn = (x: TVal, p: string, act: boolean, film?: { scale: TVal; shift: TVal }) => {
    const [n, ch, hh, ww] = x.dims;
    const normed = T.reshape(T.instanceNorm(T.reshape(x, [n, G, (ch / G) * hh * ww]), 1e-5), [n, ch, hh, ww]);
    let y = T.add(T.mul(normed, T.reshape(w.tensor(`${p}.g`, [ch]), [1, ch, 1, 1])), T.reshape(w.tensor(`${p}.b`, [ch]), [1, ch, 1, 1]));
    if (film) y = T.add(T.mul(y, T.add(film.scale, T.scalar(1))), film.shift);
    return act ? T.silu(y) : y;
  };

  /** ResBlock: x [N, cin, h, w] -> [N, cout, h, w]. */
  const resBlock = (x: TVal, p: string, cin: number, cout: number) => {
    const h = conv(gn(x, `${p}.n1`, true), `${p}.c1`, 3, cin, cout);
    const scale = perFrame(dense(st, `${p}.film.scale`, E, cout), cout);
    const shift = perFrame(dense(st, `${p}.film.shift`, E, cout), cout);
    const h2 = conv(gn(h, `${p}.n2`, true, { scale, shift }), `${p}.c2`, 3, cout, cout);
    return T.add(w.has(`${p}.skip.w`) ? conv(x, `${p}.skip`, 1, cin, cout) : x, h2);
  };

  /** Spatio-temporal attention over the F*h*w tokens of each clip (residual): [N, ch, h, w] -> same. */
  const attention = (x: TVal) => {
    const [, ch, side] = x.dims;
    const tokens = F * side * side;
    const heads = c.heads;
    const d = ch / heads;
    const tok = T.reshape(T.transpose(gn(x, 'mid.attn.norm', false), [0, 2, 3, 1]), [B, tokens, ch]); // [B, T, ch]
    const headsOf = (n: string) => T.transpose(T.reshape(dense(tok, `mid.attn.${n}`, ch, ch), [B, tokens, heads, d]), [0, 2, 1, 3]); // [B, heads, T, d]
    const q = T.mul(headsOf('q'), T.scalar(1 / Math.sqrt(d)));
    const logits = T.matmul(q, T.transpose(headsOf('k'), [0, 1, 3, 2])); // [B, heads, T, T]
    const o = T.matmul(T.softmax(logits), headsOf('v')); // [B, heads, T, d]
    const merged = T.reshape(T.transpose(o, [0, 2, 1, 3]), [B, tokens, ch]);
    return T.add(x, T.transpose(T.reshape(dense(merged, 'mid.attn.out', ch, ch), [N, side, side, ch]), [0, 3, 1, 2]));
  };

  // Inputs of the generated frames: [Z_t[f] (gated by 1 - t), ref image, pose f, ref pose] -> [N, C + condC, H, W].
  const zGen = T.slice(inp.video, [1], [F1], [1]); // [B, F, H, W, C]
  const zIn = c.inputGate ? T.mul(zGen, T.sub(T.scalar(1), t5)) : zGen;
  const x = T.transpose(T.reshape(T.concat([zIn, T.slice(inp.cond, [1], [F1], [1])], 4), [N, H, W, C + Cc]), [0, 3, 1, 2]);

  // The U-Net of ./unet: stem, encoder with skips, middle (res, attention, res), decoder, head.
  const lv = c.levels;
  let h = conv(x, 'stem', 3, C + Cc, lv[0]);
  const skips: TVal[] = [];
  for (let i = 0; i < L; i++) {
    h = resBlock(h, `enc.${i}`, i === 0 ? lv[0] : lv[i - 1], lv[i]);
    skips.push(h);
    if (i < L - 1) h = T.avgPool2x2(h);
  }
  const top = lv[L - 1];
  h = resBlock(h, 'mid.res1', top, top);
  h = attention(h);
  h = resBlock(h, 'mid.res2', top, top);
  let cur = top;
  for (let j = 0; j < L; j++) {
    const s = skips[L - 1 - j];
    const ch = s.dims[1];
    h = resBlock(T.concat([h, s], 1), `dec.${j}`, cur + ch, ch);
    cur = ch;
    if (j < L - 1) h = conv(T.upsample2x(h), `up.${j}`, 3, cur, cur);
  }
  const head = conv(gn(h, 'head.norm', true), 'head', 3, lv[0], C); // [N, C, H, W]
  const o = T.reshape(T.transpose(head, [0, 2, 3, 1]), [B, F, H, W, C]);

  // Read o as a velocity, and the exact velocity of the known reference on frame 0.
  const tMin = T.max(t5, T.scalar(PRED_T_MIN));
  let vGen: TVal;
  if (c.predict === 'v') vGen = o;
  else if (c.predict === 'x') vGen = T.div(T.sub(zGen, o), tMin);
  else vGen = T.div(T.sub(o, zGen), T.max(T.sub(T.scalar(1), t5), T.scalar(PRED_T_MIN)));
  const ref = T.slice(inp.cond, [0, 0], [1, C], [1, 4]); // [B, 1, H, W, C]: the image channels of frame 0
  const v0 = T.div(T.sub(T.slice(inp.video, [0], [1], [1]), ref), tMin);
  return T.concat([v0, vGen], 1);
}
