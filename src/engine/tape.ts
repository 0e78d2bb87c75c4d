/**
 * Reverse-mode differentiation over the kit's ONNX graph builder (docs/design.md, "Engines"): a `Tape` writes an
 * ONNX graph op by op, knows every value's dims, and records for each op its vector-Jacobian rule. `backward(loss,
 * wrt)` then appends the gradient graph to the same ONNX model, so one session computes the loss, its metrics and
 * the gradients of the parameters in one run (ONNX Runtime's CPU kernels, or any execution provider that runs the
 * standard ops: nothing here needs a training build of the runtime).
 *
 * The op set is what the kit's networks use. Each method checks its operands' dims and throws naming the op;
 * values that do not depend on a parameter (timestep features, the inputs) carry no gradient, and ops that are
 * only ever applied to them (Cos, Sin, Max with a constant) refuse a value that does. A new op is one method:
 * emit the forward node, compute the output dims, and give the rule `dy -> [dx per operand]`.
 *
 * Rules in brief (y the output, dy its gradient):
 *   Add/Sub/Mul/Div   numpy broadcasting; a gradient is summed over the axes its operand was broadcast on
 *   MatMul            dA = dy B^T, dB = A^T dy (a 2-D weight: one Gemm over the flattened batch)
 *   Conv (stride 1)   dx = Conv(dy, W turned 180 degrees, channels swapped); dW = im2col: the k*k shifted
 *                     views of the padded input, the batch folded into one Gemm with dy
 *   InstanceNorm      dx = rstd (dy - mean(dy) - y mean(dy y)), over the normalised axis
 *   Softmax           dx = y (dy - sum(dy y))
 *   Sigmoid           dx = dy y (1 - y);  Softplus dx = dy sigmoid(x)
 *   AveragePool 2x2   dx = nearest 2x upsampling of dy / 4;  Resize (nearest 2x) dx = 2x2 sums of dy
 *   Reshape, Transpose, Slice, Concat, Expand: the inverse movement (Pad for Slice, Slice for Concat, a sum for
 *   Expand)
 */
import { OnnxGraph } from '../gpu/onnx';

/** A value of the graph: its ONNX name, its dims, and whether it depends on a parameter (carries a gradient). */
export interface TVal {
  readonly name: string;
  readonly dims: readonly number[];
  readonly grad: boolean;
}

/** One recorded op: its output, its operands and its rule (the gradient of each operand; null where none flows). */
interface Step {
  out: TVal;
  ins: TVal[];
  vjp: (dy: TVal) => (TVal | null)[];
}

const show = (d: readonly number[]) => JSON.stringify(d);
const size = (d: readonly number[]) => d.reduce((a, b) => a * b, 1);

/** The numpy broadcast of two dims lists, or null when they do not broadcast. */
export function broadcastDims(a: readonly number[], b: readonly number[]): number[] | null {
  const n = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = a[a.length - n + i] ?? 1;
    const y = b[b.length - n + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(Math.max(x, y));
  }
  return out;
}

/** A graph under construction that can differentiate itself. */
export class Tape {
  readonly graph: OnnxGraph;
  private readonly steps: Step[] = [];
  /** Parameters fed as graph inputs, in the order they were declared (the gradients' order). */
  readonly params: TVal[] = [];

  constructor(name: string) {
    this.graph = new OnnxGraph(name);
  }

  private val(name: string, dims: readonly number[], grad: boolean): TVal {
    return { name, dims: [...dims], grad };
  }

  /** Record an op with a rule when any operand carries a gradient. */
  private record(out: TVal, ins: TVal[], vjp: Step['vjp']): TVal {
    if (out.grad) this.steps.push({ out, ins, vjp });
    return out;
  }

  private emit(opType: string, ins: TVal[], dims: readonly number[], attrs: Parameters<OnnxGraph['op']>[2] = {}, extra: string[] = []): TVal {
    return this.val(this.graph.op(opType, [...ins.map((v) => v.name), ...extra], attrs), dims, ins.some((v) => v.grad));
  }

  // ---- leaves ----

  /** A graph input that carries no gradient (data, timesteps, targets). */
  input(name: string, dims: number[]): TVal {
    return this.val(this.graph.input(name, dims), dims, false);
  }

  /** A trainable parameter fed as a graph input: its gradient can be asked of `backward`. */
  param(name: string, dims: number[]): TVal {
    const v = this.val(this.graph.input(name, dims), dims, true);
    this.params.push(v);
    return v;
  }

  /** A float32 constant (weights of a frozen graph, scalars). */
  constant(stem: string, data: Float32Array | number[], dims: number[]): TVal {
    return this.val(this.graph.constant(stem, data, dims), dims, false);
  }

  /** A scalar constant. */
  scalar(v: number): TVal {
    return this.constant('scalar', [v], []);
  }

  /** Mark `v` as the graph output `name`. */
  output(v: TVal, name: string): void {
    this.graph.output(v.name, name, [...v.dims]);
  }

  // ---- elementwise, with broadcasting ----

  private binary(opType: 'Add' | 'Sub' | 'Mul' | 'Div', a: TVal, b: TVal, rule: (dy: TVal) => [TVal | null, TVal | null]): TVal {
    const dims = broadcastDims(a.dims, b.dims);
    if (!dims) throw new Error(`Tape.${opType.toLowerCase()}: dims ${show(a.dims)} and ${show(b.dims)} do not broadcast`);
    return this.record(this.emit(opType, [a, b], dims), [a, b], (dy) => {
      const [da, db] = rule(dy);
      return [da && this.unbroadcast(da, a.dims), db && this.unbroadcast(db, b.dims)];
    });
  }

  add(a: TVal, b: TVal): TVal {
    return this.binary('Add', a, b, (dy) => [a.grad ? dy : null, b.grad ? dy : null]);
  }

  sub(a: TVal, b: TVal): TVal {
    return this.binary('Sub', a, b, (dy) => [a.grad ? dy : null, b.grad ? this.neg(dy) : null]);
  }

  mul(a: TVal, b: TVal): TVal {
    return this.binary('Mul', a, b, (dy) => [a.grad ? this.mul(dy, b) : null, b.grad ? this.mul(dy, a) : null]);
  }

  div(a: TVal, b: TVal): TVal {
    const out = this.binary('Div', a, b, (dy) => [a.grad ? this.div(dy, b) : null, b.grad ? this.neg(this.div(this.mul(dy, out), b)) : null]);
    return out;
  }

  /** -x. */
  neg(x: TVal): TVal {
    return this.record(this.emit('Neg', [x], x.dims), [x], (dy) => [this.neg(dy)]);
  }

  sigmoid(x: TVal): TVal {
    const y: TVal = this.record(this.emit('Sigmoid', [x], x.dims), [x], (dy) => [this.mul(dy, this.mul(y, this.sub(this.scalar(1), y)))]);
    return y;
  }

  /** x * sigmoid(x). */
  silu(x: TVal): TVal {
    return this.mul(x, this.sigmoid(x));
  }

  /** log(1 + exp(x)). */
  softplus(x: TVal): TVal {
    return this.record(this.emit('Softplus', [x], x.dims), [x], (dy) => [this.mul(dy, this.sigmoid(x))]);
  }

  /** Ops applied only to values without a gradient (timestep features, clamps of t). */
  private plain(opType: string, ins: TVal[], dims: readonly number[]): TVal {
    const bad = ins.find((v) => v.grad);
    if (bad) throw new Error(`Tape: ${opType} has no gradient rule here, and its operand '${bad.name}' depends on a parameter`);
    return this.emit(opType, ins, dims);
  }

  cos(x: TVal): TVal {
    return this.plain('Cos', [x], x.dims);
  }

  sin(x: TVal): TVal {
    return this.plain('Sin', [x], x.dims);
  }

  /** max(a, b) of values without a gradient. */
  max(a: TVal, b: TVal): TVal {
    const dims = broadcastDims(a.dims, b.dims);
    if (!dims) throw new Error(`Tape.max: dims ${show(a.dims)} and ${show(b.dims)} do not broadcast`);
    return this.plain('Max', [a, b], dims);
  }

  // ---- reductions ----

  private normAxes(axes: number[], rank: number, op: string): number[] {
    const out = axes.map((a) => (a < 0 ? a + rank : a));
    if (out.some((a) => a < 0 || a >= rank) || new Set(out).size !== out.length) throw new Error(`Tape.${op}: axes ${show(axes)} do not fit rank ${rank}`);
    return out.sort((a, b) => a - b);
  }

  /** Sum over `axes` (keepdims: the summed axes stay as 1). */
  reduceSum(x: TVal, axes: number[], keepdims = false): TVal {
    const ax = this.normAxes(axes, x.dims.length, 'reduceSum');
    const kept = x.dims.map((d, i) => (ax.includes(i) ? 1 : d));
    const dims = keepdims ? kept : x.dims.filter((_, i) => !ax.includes(i));
    const y = this.val(this.graph.op('ReduceSum', [x.name, this.graph.ints(ax)], { keepdims: keepdims ? 1 : 0 }), dims, x.grad);
    return this.record(y, [x], (dy) => [this.expand(keepdims ? dy : this.reshape(dy, kept), [...x.dims])]);
  }

  /** Mean over `axes`. */
  reduceMean(x: TVal, axes: number[], keepdims = false): TVal {
    const ax = this.normAxes(axes, x.dims.length, 'reduceMean');
    const n = ax.reduce((p, a) => p * x.dims[a], 1);
    return this.mul(this.reduceSum(x, ax, keepdims), this.scalar(1 / n));
  }

  /** dy summed down to `to` over the axes it was broadcast on. */
  private unbroadcast(dy: TVal, to: readonly number[]): TVal {
    if (show(dy.dims) === show(to)) return dy;
    const lead = dy.dims.length - to.length;
    const axes: number[] = [];
    dy.dims.forEach((d, i) => {
      if (i < lead || (to[i - lead] === 1 && d !== 1)) axes.push(i);
    });
    const summed = axes.length ? this.reduceSum(dy, axes, true) : dy;
    return this.reshape(summed, [...to]);
  }

  // ---- movement ----

  reshape(x: TVal, dims: number[]): TVal {
    if (size(dims) !== size(x.dims) || dims.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`Tape.reshape: ${show(x.dims)} cannot become ${show(dims)}`);
    if (show(dims) === show(x.dims)) return x;
    const y = this.val(this.graph.op('Reshape', [x.name, this.graph.ints(dims)]), dims, x.grad);
    return this.record(y, [x], (dy) => [this.reshape(dy, [...x.dims])]);
  }

  transpose(x: TVal, perm: number[]): TVal {
    if (perm.length !== x.dims.length || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) throw new Error(`Tape.transpose: perm ${show(perm)} does not fit rank ${x.dims.length}`);
    const dims = perm.map((p) => x.dims[p]);
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return this.record(this.emit('Transpose', [x], dims, { perm }), [x], (dy) => [this.transpose(dy, inverse)]);
  }

  /** x[starts:ends] on `axes` (step 1). */
  slice(x: TVal, starts: number[], ends: number[], axes: number[]): TVal {
    const dims = [...x.dims];
    const lo = x.dims.map(() => 0);
    const hi = [...x.dims];
    axes.forEach((a, i) => {
      if (!(starts[i] >= 0 && starts[i] < ends[i] && ends[i] <= x.dims[a])) throw new Error(`Tape.slice: [${starts[i]}, ${ends[i]}) does not fit axis ${a} of ${show(x.dims)}`);
      lo[a] = starts[i];
      hi[a] = ends[i];
      dims[a] = ends[i] - starts[i];
    });
    const y = this.val(this.graph.op('Slice', [x.name, this.graph.ints(starts), this.graph.ints(ends), this.graph.ints(axes)]), dims, x.grad);
    return this.record(y, [x], (dy) => [this.pad(dy, [...lo, ...x.dims.map((d, i) => d - hi[i])])]);
  }

  /** Zero padding: `pads` = [begin per axis..., end per axis...]. */
  pad(x: TVal, pads: number[]): TVal {
    const r = x.dims.length;
    if (pads.length !== 2 * r || pads.some((p) => !Number.isInteger(p) || p < 0)) throw new Error(`Tape.pad: pads ${show(pads)} do not fit rank ${r}`);
    if (pads.every((p) => p === 0)) return x;
    const dims = x.dims.map((d, i) => d + pads[i] + pads[i + r]);
    const y = this.val(this.graph.op('Pad', [x.name, this.graph.ints(pads)], { mode: 'constant' }), dims, x.grad);
    return this.record(y, [x], (dy) => [this.slice(dy, pads.slice(0, r), x.dims.map((d, i) => pads[i] + d), x.dims.map((_, i) => i))]);
  }

  concat(xs: TVal[], axis: number): TVal {
    const r = xs[0].dims.length;
    const ax = axis < 0 ? axis + r : axis;
    for (const x of xs) {
      if (x.dims.length !== r || x.dims.some((d, i) => i !== ax && d !== xs[0].dims[i])) throw new Error(`Tape.concat: ${xs.map((v) => show(v.dims)).join(', ')} do not concatenate on axis ${ax}`);
    }
    const dims = [...xs[0].dims];
    dims[ax] = xs.reduce((s, x) => s + x.dims[ax], 0);
    return this.record(this.emit('Concat', xs, dims, { axis: ax }), xs, (dy) => {
      let at = 0;
      return xs.map((x) => {
        const from = at;
        at += x.dims[ax];
        return x.grad ? this.slice(dy, [from], [at], [ax]) : null;
      });
    });
  }

  /** Broadcast x to `dims` (numpy rules). */
  expand(x: TVal, dims: number[]): TVal {
    const b = broadcastDims(x.dims, dims);
    if (!b || show(b) !== show(dims)) throw new Error(`Tape.expand: ${show(x.dims)} does not broadcast to ${show(dims)}`);
    if (show(dims) === show(x.dims)) return x;
    const y = this.val(this.graph.op('Expand', [x.name, this.graph.ints(dims)]), dims, x.grad);
    return this.record(y, [x], (dy) => [this.unbroadcast(dy, x.dims)]);
  }

  // ---- linear algebra and network ops ----

  /** a [..., m, k] @ b [k, n] or [..., k, n] (batch dims broadcast). */
  matmul(a: TVal, b: TVal): TVal {
    const ra = a.dims.length;
    const rb = b.dims.length;
    if (ra < 2 || rb < 2 || a.dims[ra - 1] !== b.dims[rb - 2]) throw new Error(`Tape.matmul: ${show(a.dims)} @ ${show(b.dims)} do not multiply`);
    const batch = broadcastDims(a.dims.slice(0, -2), b.dims.slice(0, -2));
    if (!batch) throw new Error(`Tape.matmul: batch dims of ${show(a.dims)} and ${show(b.dims)} do not broadcast`);
    const [m, k, n] = [a.dims[ra - 2], a.dims[ra - 1], b.dims[rb - 1]];
    const dims = [...batch, m, n];
    return this.record(this.emit('MatMul', [a, b], dims), [a, b], (dy) => {
      if (rb === 2) {
        // A weight: flatten the batch, so each gradient is one GEMM.
        const rows = size(dims) / n;
        const dy2 = this.reshape(dy, [rows, n]);
        const da = a.grad ? this.reshape(this.gemm(dy2, b, false, true), [...a.dims.slice(0, -2), m, k]) : null;
        const db = b.grad ? this.gemm(this.reshape(a, [rows, k]), dy2, true, false) : null;
        return [da && this.unbroadcast(da, a.dims), db];
      }
      const tr = (v: TVal) => this.transpose(v, [...v.dims.map((_, i) => i).slice(0, -2), v.dims.length - 1, v.dims.length - 2]);
      return [a.grad ? this.unbroadcast(this.matmul(dy, tr(b)), a.dims) : null, b.grad ? this.unbroadcast(this.matmul(tr(a), dy), b.dims) : null];
    });
  }

  /** op(a) @ op(b) of 2-D values, op a transpose where asked (the gradient's products). */
  private gemm(a: TVal, b: TVal, transA: boolean, transB: boolean): TVal {
    const [m, ka] = transA ? [a.dims[1], a.dims[0]] : [a.dims[0], a.dims[1]];
    const [kb, n] = transB ? [b.dims[1], b.dims[0]] : [b.dims[0], b.dims[1]];
    if (ka !== kb) throw new Error(`Tape.gemm: ${show(a.dims)} and ${show(b.dims)} do not multiply`);
    const y = this.emit('Gemm', [a, b], [m, n], { transA: transA ? 1 : 0, transB: transB ? 1 : 0 });
    return this.record(y, [a, b], (dy) => [
      a.grad ? (transA ? this.gemm(b, dy, transB, true) : this.gemm(dy, b, false, !transB)) : null,
      b.grad ? (transB ? this.gemm(dy, a, true, transA) : this.gemm(a, dy, !transA, false)) : null,
    ]);
  }

  /**
   * Conv of x [N, cin, H, W] with w [cout, cin, k, k] and bias [cout], stride 1, 'same' zero padding (odd k).
   */
  conv(x: TVal, w: TVal, b: TVal): TVal {
    const [N, cin, H, W] = x.dims;
    const [cout, wcin, k, k2] = w.dims;
    if (x.dims.length !== 4 || w.dims.length !== 4 || wcin !== cin || k !== k2 || k % 2 !== 1 || show(b.dims) !== show([cout])) {
      throw new Error(`Tape.conv: x ${show(x.dims)}, w ${show(w.dims)}, b ${show(b.dims)} (want [N, cin, H, W], [cout, cin, k, k] with odd k, [cout])`);
    }
    const p = (k - 1) / 2;
    const attrs = { kernel_shape: [k, k], pads: [p, p, p, p], strides: [1, 1] };
    const y = this.emit('Conv', [x, w, b], [N, cout, H, W], attrs);
    return this.record(y, [x, w, b], (dy) => {
      // dx: the same 'same' conv of dy with the kernel turned 180 degrees and its channels swapped (MLAS runs a
      // forward Conv about twice as fast as a ConvTranspose here).
      const dx = x.grad ? this.val(this.graph.op('Conv', [dy.name, this.flippedKernel(w)], attrs), x.dims, false) : null;
      let dw: TVal | null = null;
      if (w.grad) {
        // im2col with the batch folded into the product: the k*k shifted views of the padded input, channels first,
        // [k*k*cin, N*H*W], times dy as [cout, N*H*W] transposed: one GEMM.
        const g = this.graph;
        const xT = g.op('Transpose', [x.name], { perm: [1, 0, 2, 3] }); // [cin, N, H, W]
        const xp = p ? g.op('Pad', [xT, g.ints([0, 0, p, p, 0, 0, p, p])], { mode: 'constant' }) : xT;
        const dy2 = g.op('Reshape', [g.op('Transpose', [dy.name], { perm: [1, 0, 2, 3] }), g.ints([cout, N * H * W])]); // [cout, NHW]
        const taps: string[] = [];
        for (let ky = 0; ky < k; ky++)
          for (let kx = 0; kx < k; kx++) {
            const col = g.op('Reshape', [p ? g.op('Slice', [xp, g.ints([ky, kx]), g.ints([ky + H, kx + W]), g.ints([2, 3])]) : xp, g.ints([cin, N * H * W])]); // [cin, NHW]
            taps.push(g.op('Gemm', [col, dy2], { transB: 1 })); // [cin, cout]
          }
        const kkio = g.op('Reshape', [taps.length === 1 ? taps[0] : g.op('Concat', taps, { axis: 0 }), g.ints([k, k, cin, cout])]);
        dw = this.val(g.op('Transpose', [kkio], { perm: [3, 2, 0, 1] }), [cout, cin, k, k], false); // [cout, cin, k, k]
      }
      return [dx, dw, b.grad ? this.reduceSum(dy, [0, 2, 3]) : null];
    });
  }

  /** w [cout, cin, k, k] -> [cin, cout, k, k] turned 180 degrees (a value of the gradient graph only). */
  private flippedKernel(w: TVal): string {
    const g = this.graph;
    const swapped = g.op('Transpose', [w.name], { perm: [1, 0, 2, 3] });
    const big = 1 << 30;
    return g.op('Slice', [swapped, g.ints([-1, -1]), g.ints([-big, -big]), g.ints([2, 3]), g.ints([-1, -1])]);
  }

  /** Normalise x [N, G, M] over its last axis (population variance), no affine. */
  instanceNorm(x: TVal, epsilon: number): TVal {
    if (x.dims.length !== 3) throw new Error(`Tape.instanceNorm: x must be [N, G, M], got ${show(x.dims)}`);
    const G = x.dims[1];
    const ones = this.constant('ones', new Float32Array(G).fill(1), [G]);
    const zeros = this.constant('zeros', new Float32Array(G), [G]);
    const y = this.val(this.graph.op('InstanceNormalization', [x.name, ones.name, zeros.name], { epsilon: { float: epsilon } }), x.dims, x.grad);
    return this.record(y, [x], (dy) => {
      const centred = this.sub(x, this.reduceMean(x, [2], true));
      const rstd = this.reciprocalSqrt(this.add(this.reduceMean(this.mul(centred, centred), [2], true), this.scalar(epsilon)));
      const inner = this.sub(this.sub(dy, this.reduceMean(dy, [2], true)), this.mul(y, this.reduceMean(this.mul(dy, y), [2], true)));
      return [this.mul(rstd, inner)];
    });
  }

  /** 1 / sqrt(x) of a value whose gradient is not needed (only rules use it). */
  private reciprocalSqrt(x: TVal): TVal {
    return this.val(this.graph.op('Reciprocal', [this.graph.op('Sqrt', [x.name])]), x.dims, false);
  }

  /** Softmax over the last axis. */
  softmax(x: TVal): TVal {
    const r = x.dims.length;
    const y: TVal = this.record(this.emit('Softmax', [x], x.dims, { axis: r - 1 }), [x], (dy) => [this.mul(y, this.sub(dy, this.reduceSum(this.mul(dy, y), [r - 1], true)))]);
    return y;
  }

  /** 2x2 average pooling of x [N, C, H, W] (even H, W). */
  avgPool2x2(x: TVal): TVal {
    const [N, C, H, W] = x.dims;
    if (x.dims.length !== 4 || H % 2 || W % 2) throw new Error(`Tape.avgPool2x2: x must be [N, C, H, W] with even H, W, got ${show(x.dims)}`);
    const y = this.emit('AveragePool', [x], [N, C, H / 2, W / 2], { kernel_shape: [2, 2], strides: [2, 2] });
    return this.record(y, [x], (dy) => [this.mul(this.upsample2x(dy), this.scalar(0.25))]);
  }

  /** Nearest 2x upsampling of x [N, C, h, w] (ONNX Resize); its gradient is the 2x2 sum, an average pool times 4. */
  upsample2x(x: TVal): TVal {
    const [N, C, h, w] = x.dims;
    if (x.dims.length !== 4) throw new Error(`Tape.upsample2x: x must be [N, C, h, w], got ${show(x.dims)}`);
    const scales = this.constant('scales', [1, 1, 2, 2], [4]);
    const y = this.val(
      this.graph.op('Resize', [x.name, '', scales.name], { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }),
      [N, C, 2 * h, 2 * w],
      x.grad,
    );
    return this.record(y, [x], (dy) => [this.mul(this.avgPool2x2(dy), this.scalar(4))]);
  }

  // ---- the backward pass ----

  /**
   * Append the gradient graph of the scalar `loss` with respect to `wrt` (parameters of this tape); returns each
   * one's gradient value, a zero constant where the loss does not depend on it.
   */
  backward(loss: TVal, wrt: TVal[] = this.params): TVal[] {
    if (size(loss.dims) !== 1) throw new Error(`Tape.backward: the loss must be a scalar, got dims ${show(loss.dims)}`);
    const grads = new Map<string, TVal>();
    const accumulate = (v: TVal, g: TVal) => {
      const had = grads.get(v.name);
      grads.set(v.name, had ? this.add(had, g) : g);
    };
    accumulate(loss, this.constant('seed', new Float32Array(1).fill(1), [...loss.dims]));
    // Rules append steps of their own; only the forward steps recorded so far are walked.
    const forward = this.steps.slice();
    for (let i = forward.length - 1; i >= 0; i--) {
      const s = forward[i];
      const dy = grads.get(s.out.name);
      if (!dy) continue;
      grads.delete(s.out.name);
      const dins = s.vjp(dy);
      s.ins.forEach((v, j) => {
        const d = dins[j];
        if (d && v.grad) accumulate(v, d);
      });
    }
    return wrt.map((p) => grads.get(p.name) ?? this.constant('zero_grad', new Float32Array(size(p.dims)), [...p.dims]));
  }
}
