/**
 * The pose-guided video flow model as a conv U-Net (issue 13's base network; UNET_SPEC of the round).
 *
 * The network runs on the B*F generated frames of a batch as 2-D images; each sees 12 channels: the noisy frame
 * Z_t[f], the reference image, the frame's pose map and the reference pose map (conditioning layout
 * 'ref-every-frame' of ./inputs). Timestep: sinusoidal features -> Linear (+ mode * w_m with `modeNoise`) -> SiLU
 * -> Linear (E). Blocks:
 *
 *   stem conv3x3 -> [ResBlock, Down] per level (no Down after the last) -> ResBlock, Attention, ResBlock
 *   -> [concat skip, ResBlock, Up] per level (no Up after full resolution) -> GN, SiLU, conv3x3 (zero-init)
 *
 * ResBlock(cin, cout): h = conv3x3(SiLU(GN(x))); h = GN(h) * (1 + scale) + shift (FiLM from SiLU(temb),
 * zero-init); h = conv3x3(SiLU(h)) (zero-init); out = skip(x) + h (skip = conv1x1 when cin != cout). The middle
 * attention is spatio-temporal over the F*h*w tokens of one clip (the temporal mixing), with LoRA on q, k, v.
 * Frame 0 (the reference slot) is never computed: its velocity is exact from the known clean reference.
 */
import * as tf from '@tensorflow/tfjs';
import { attention, avgPool2x2, concatChannels, conv2d, groupNormAct, linear, silu, upsample2x } from '../gpu';
import { ParamSpec, initFromSpecs } from '../train/init';
import { UnetConfig, validateModelConfig } from './config';
import { LoraSet, ModelInput, Params, timestepFeatures } from './types';

/** Lower clamp of t (x-prediction) and of 1 - t (eps-prediction) in the conversion to a velocity. */
export const PRED_T_MIN = 0.05;

/** Parameter specs of one ResBlock(cin, cout) under `p`. */
function resBlockSpecs(p: string, cin: number, cout: number, E: number): ParamSpec[] {
  const specs: ParamSpec[] = [
    [`${p}.n1.g`, [cin], 'ones'],
    [`${p}.n1.b`, [cin], 'zeros'],
    [`${p}.c1.w`, [3, 3, cin, cout], 'conv'],
    [`${p}.c1.b`, [cout], 'zeros'],
    [`${p}.film.scale.w`, [E, cout], 'zeros'], // FiLM: zero-init, so a fresh block is unmodulated
    [`${p}.film.scale.b`, [cout], 'zeros'],
    [`${p}.film.shift.w`, [E, cout], 'zeros'],
    [`${p}.film.shift.b`, [cout], 'zeros'],
    [`${p}.n2.g`, [cout], 'ones'],
    [`${p}.n2.b`, [cout], 'zeros'],
    [`${p}.c2.w`, [3, 3, cout, cout], 'zeros'], // zero-init: a fresh block is its skip path
    [`${p}.c2.b`, [cout], 'zeros'],
  ];
  if (cin !== cout) specs.push([`${p}.skip.w`, [1, 1, cin, cout], 'conv'], [`${p}.skip.b`, [cout], 'zeros']);
  return specs;
}

/** Shapes of all parameters, with their initialisation (names follow the blocks of the module docstring). */
function paramSpecs(c: UnetConfig): ParamSpec[] {
  const E = c.embedDim;
  const L = c.levels;
  const top = L[L.length - 1];
  const specs: ParamSpec[] = [
    ['temb.w1', [c.freqDim, E], 'normal'],
    ['temb.b1', [E], 'zeros'],
    ['temb.w2', [E, E], 'normal'],
    ['temb.b2', [E], 'zeros'],
    ...(c.modeNoise ? ([['temb.wm', [1, E], 'zeros']] as ParamSpec[]) : []), // zero-init: a fresh mode input is unheard
    ['stem.w', [3, 3, c.channels + c.condChannels, L[0]], 'conv'],
    ['stem.b', [L[0]], 'zeros'],
  ];
  L.forEach((ch, i) => specs.push(...resBlockSpecs(`enc.${i}`, i === 0 ? L[0] : L[i - 1], ch, E)));
  specs.push(...resBlockSpecs('mid.res1', top, top, E));
  specs.push(['mid.attn.norm.g', [top], 'ones'], ['mid.attn.norm.b', [top], 'zeros']);
  for (const n of ['q', 'k', 'v']) specs.push([`mid.attn.${n}.w`, [top, top], 'xavier'], [`mid.attn.${n}.b`, [top], 'zeros']);
  specs.push(['mid.attn.out.w', [top, top], 'zeros'], ['mid.attn.out.b', [top], 'zeros']); // zero-init: residual only
  specs.push(...resBlockSpecs('mid.res2', top, top, E));
  let cur = top;
  for (let j = 0; j < L.length; j++) {
    const lvl = L.length - 1 - j;
    specs.push(...resBlockSpecs(`dec.${j}`, cur + L[lvl], L[lvl], E));
    cur = L[lvl];
    if (lvl > 0) specs.push([`up.${j}.w`, [3, 3, cur, cur], 'conv'], [`up.${j}.b`, [cur], 'zeros']);
  }
  specs.push(
    ['head.norm.g', [L[0]], 'ones'],
    ['head.norm.b', [L[0]], 'zeros'],
    ['head.w', [3, 3, L[0], c.channels], 'zeros'], // zero-init output
    ['head.b', [c.channels], 'zeros'],
  );
  return specs;
}

/** Fresh parameters from a seed (xavier-uniform convs and linears, N(0, 0.02) timestep MLP, zero-init as above). */
export function initUnetParams(c: UnetConfig, seed: number): Params {
  validateModelConfig(c);
  return initFromSpecs(paramSpecs(c), seed, 'init');
}

/** Every parameter's name and shape, in the network's order (the training graph's inputs and gradients). */
export function unetParamShapes(c: UnetConfig): [string, number[]][] {
  validateModelConfig(c);
  return paramSpecs(c).map(([name, shape]) => [name, [...shape]]);
}

/** Number of parameters of a config (the PyTorch replica in bench/reference must have the same). */
export function unetParamCount(c: UnetConfig): number {
  return paramSpecs(c).reduce((n, [, shape]) => n + shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Multiply-adds of the convolutions and projections of one generated frame's forward pass (the attention's scores
 * and the elementwise work not counted): each conv weight [k, k, cin, cout] at its level's resolution, k*k*cin*cout
 * per output pixel. A training step costs about 3x this per frame (forward, and two products per layer backward).
 */
export function unetFrameMacs(c: UnetConfig): number {
  const L = c.levels.length;
  const px = (level: number) => (c.height >> level) * (c.width >> level);
  const levelOf = (name: string): number => {
    const m = /^(enc|dec|up)\.(\d+)\./.exec(name);
    if (!m) return name.startsWith('mid.') ? L - 1 : 0; // stem and head at full resolution
    const i = Number(m[2]);
    return m[1] === 'enc' ? i : m[1] === 'dec' ? L - 1 - i : L - 2 - i; // up.j runs after upsampling to level L-2-j
  };
  let macs = 0;
  for (const [name, shape] of paramSpecs(c)) {
    if (shape.length === 4) macs += px(levelOf(name)) * shape[0] * shape[1] * shape[2] * shape[3];
    else if (/^mid\.attn\.(q|k|v|out)\.w$/.test(name)) macs += px(L - 1) * shape[0] * shape[1];
  }
  return macs;
}

/** Names of the attention QKV projections (where LoRA goes). */
export function unetQkvNames(): string[] {
  return ['mid.attn.q.w', 'mid.attn.k.w', 'mid.attn.v.w'];
}

/** Linear layer by parameter prefix, with a LoRA adapter on its weight when one is given. */
function proj(params: Params, lora: LoraSet | undefined, prefix: string, x: tf.Tensor): tf.Tensor {
  const y = linear(x, params[`${prefix}.w`], params[`${prefix}.b`]);
  const ad = lora?.[`${prefix}.w`];
  if (!ad) return y;
  return tf.add(y, tf.mul(linear(linear(x, ad.a), ad.b), ad.scale));
}

const conv = (params: Params, p: string, x: tf.Tensor4D) => conv2d(x, params[`${p}.w`] as tf.Tensor4D, params[`${p}.b`] as tf.Tensor1D);
/** GroupNorm by parameter prefix, fused with the FiLM and the SiLU that follow it (one op, inputs saved only). */
const gn = (c: UnetConfig, params: Params, p: string, x: tf.Tensor4D, act: boolean, scale?: tf.Tensor2D, shift?: tf.Tensor2D) =>
  groupNormAct(x, c.groups, params[`${p}.g`] as tf.Tensor1D, params[`${p}.b`] as tf.Tensor1D, { silu: act, scale, shift });

/** ResBlock: x [B*F, h, w, cin] -> [B*F, h, w, cout]; `st` = SiLU(temb) [B, E]. */
function resBlock(c: UnetConfig, params: Params, p: string, x: tf.Tensor4D, st: tf.Tensor2D): tf.Tensor4D {
  const h1 = conv(params, `${p}.c1`, gn(c, params, `${p}.n1`, x, true)); // [B*F, h, w, cout]
  const scale = linear(st, params[`${p}.film.scale.w`], params[`${p}.film.scale.b`]) as tf.Tensor2D; // [B, cout]
  const shift = linear(st, params[`${p}.film.shift.w`], params[`${p}.film.shift.b`]) as tf.Tensor2D; // [B, cout]
  const h2 = conv(params, `${p}.c2`, gn(c, params, `${p}.n2`, h1, true, scale, shift)); // SiLU(GN(h1) * (1 + scale) + shift)
  const skip = params[`${p}.skip.w`] ? conv(params, `${p}.skip`, x) : x;
  return tf.add(skip, h2) as tf.Tensor4D;
}

/** Spatio-temporal self-attention over the F*h*w tokens of each clip: [B*F, h, w, C] -> same (residual). */
function clipAttention(c: UnetConfig, params: Params, lora: LoraSet | undefined, x: tf.Tensor4D, B: number): tf.Tensor4D {
  const [N, h, w, C] = x.shape;
  const T = (N / B) * h * w; // tokens per clip (channels-last: a reshape, no transpose)
  const H = c.heads;
  const tok = tf.reshape(gn(c, params, 'mid.attn.norm', x, false), [B, T, C]);
  const heads = (name: string) => tf.reshape(tf.transpose(tf.reshape(proj(params, lora, `mid.attn.${name}`, tok), [B, T, H, C / H]), [0, 2, 1, 3]), [B * H, T, C / H]) as tf.Tensor3D;
  const o = attention(heads('q'), heads('k'), heads('v')); // [B*H, T, C/H]
  const merged = tf.reshape(tf.transpose(tf.reshape(o, [B, H, T, C / H]), [0, 2, 1, 3]), [B, T, C]);
  return tf.add(x, tf.reshape(proj(params, lora, 'mid.attn.out', merged), [N, h, w, C])) as tf.Tensor4D;
}

/** The U-Net on a batch of frames: x [B*F, H, W, 12], st = SiLU(temb) [B, E] -> o [B*F, H, W, C]. */
function unet(c: UnetConfig, params: Params, x: tf.Tensor4D, st: tf.Tensor2D, lora: LoraSet | undefined): tf.Tensor4D {
  const L = c.levels.length;
  const B = st.shape[0];
  let h = conv(params, 'stem', x); // [B*F, H, W, L0]
  const skips: tf.Tensor4D[] = [];
  for (let i = 0; i < L; i++) {
    h = resBlock(c, params, `enc.${i}`, h, st); // [B*F, H/2^i, W/2^i, levels[i]]
    skips.push(h);
    if (i < L - 1) h = avgPool2x2(h);
  }
  h = resBlock(c, params, 'mid.res1', h, st);
  h = clipAttention(c, params, lora, h, B);
  h = resBlock(c, params, 'mid.res2', h, st);
  for (let j = 0; j < L; j++) {
    h = resBlock(c, params, `dec.${j}`, concatChannels(h, skips[L - 1 - j]), st);
    if (j < L - 1) h = conv(params, `up.${j}`, upsample2x(h));
  }
  return conv(params, 'head', gn(c, params, 'head.norm', h, true)); // [B*F, H, W, C]
}

/** Frames `from..to-1` of a [B, F+1, ...] video (a gather: no strided slice, which wasm runs element-wise in JS). */
function frames(x: tf.Tensor, from: number, to: number): tf.Tensor {
  return tf.gather(x, tf.range(from, to, 1, 'int32'), 1);
}

/**
 * [B, 1, ...] and [B, F, ...] -> [B, F+1, ...], with a gradient made of gathers (tf.concat's gradient is
 * a strided slice on wasm).
 */
const prependFrame = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [first, rest] = args as [tf.Tensor, tf.Tensor];
  const F = rest.shape[1] as number;
  return {
    value: tf.concat([first, rest], 1),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => [frames(dy as tf.Tensor, 0, 1), frames(dy as tf.Tensor, 1, F + 1)],
  };
});

/** Constant [condC, C] matrix selecting the image channels (the first C) of the conditioning. */
function imageChannels(c: UnetConfig): tf.Tensor2D {
  const m = new Float32Array(c.condChannels * c.channels);
  for (let i = 0; i < c.channels; i++) m[i * c.channels + i] = 1;
  return tf.tensor2d(m, [c.condChannels, c.channels]);
}

/** Check the input shapes against the config; throws naming the argument. */
export function checkUnetInput(c: UnetConfig, inp: ModelInput): void {
  const show = (s: number[]) => JSON.stringify(s);
  const [B] = inp.video.shape;
  const want = [c.frames, c.height, c.width];
  if (inp.video.rank !== 5 || show(inp.video.shape.slice(1, 4)) !== show(want) || inp.video.shape[4] !== c.channels) {
    throw new Error(`model input 'video' must be [B, ${c.frames}, ${c.height}, ${c.width}, ${c.channels}], got ${show(inp.video.shape)}`);
  }
  if (inp.cond.rank !== 5 || inp.cond.shape[0] !== B || show(inp.cond.shape.slice(1, 4)) !== show(want) || inp.cond.shape[4] !== c.condChannels) {
    throw new Error(`model input 'cond' must be [${B}, ${c.frames}, ${c.height}, ${c.width}, ${c.condChannels}] (layout 'ref-every-frame'), got ${show(inp.cond.shape)}`);
  }
  if (inp.t.rank !== 1 || inp.t.shape[0] !== B) throw new Error(`model input 't' must be [${B}], got ${show(inp.t.shape)}`);
  if (c.modeNoise && (!inp.mode || inp.mode.rank !== 1 || inp.mode.shape[0] !== B)) throw new Error(`model input 'mode' must be [${B}] for a U-Net with modeNoise, got ${inp.mode ? show(inp.mode.shape) : 'none'}`);
  if (!c.modeNoise && inp.mode) throw new Error("model input 'mode' given to a U-Net without modeNoise");
}

/** Velocity prediction v(Z_t; t, I, P): [B, F+1, H, W, C]. Call inside tf.tidy or dispose the result. */
export function unetForward(c: UnetConfig, params: Params, inp: ModelInput, lora?: LoraSet): tf.Tensor {
  checkUnetInput(c, inp);
  return tf.tidy(() => {
    const [B, F1, H, W, C] = inp.video.shape;
    const F = F1 - 1;
    const N = B * F;
    const t5 = tf.reshape(inp.t, [B, 1, 1, 1, 1]);
    // Inputs of the generated frames: [Z_t[f] (gated by 1 - t), ref image, pose f, ref pose] -> [B*F, H, W, 12].
    const zGen = frames(inp.video, 1, F1); // [B, F, H, W, C]
    const zIn = c.inputGate ? tf.mul(zGen, tf.sub(1, t5)) : zGen;
    const x = tf.reshape(tf.concat([zIn, frames(inp.cond, 1, F1)], 4), [N, H, W, C + c.condChannels]) as tf.Tensor4D;
    let h1 = linear(timestepFeatures(inp.t, c.freqDim), params['temb.w1'], params['temb.b1']); // [B, E]
    if (c.modeNoise) h1 = tf.add(h1, linear(tf.reshape(inp.mode as tf.Tensor, [B, 1]), params['temb.wm'])); // + mode * wm
    const temb = linear(silu(h1), params['temb.w2'], params['temb.b2']); // [B, E]
    const o = tf.reshape(unet(c, params, x, silu(temb) as tf.Tensor2D, lora), [B, F, H, W, C]);
    // Read o as a velocity (all losses are in v-space).
    let vGen: tf.Tensor;
    if (c.predict === 'v') vGen = o;
    else if (c.predict === 'x') vGen = tf.div(tf.sub(zGen, o), tf.maximum(t5, PRED_T_MIN)); // x0_hat = o
    else vGen = tf.div(tf.sub(o, zGen), tf.maximum(tf.sub(1, t5), PRED_T_MIN)); // eps_hat = o
    // Frame 0: exact velocity for the known clean reference (the image channels of cond on frame 0).
    const ref = linear(frames(inp.cond, 0, 1), imageChannels(c)); // [B, 1, H, W, C]
    const v0 = tf.div(tf.sub(frames(inp.video, 0, 1), ref), tf.maximum(t5, PRED_T_MIN));
    return prependFrame(v0, vGen);
  });
}
