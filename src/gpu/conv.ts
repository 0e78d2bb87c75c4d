/**
 * 2-D convolution with gradients on every backend: 3x3 and 1x1 filters, stride 1, 'same' padding, NHWC.
 *
 * On wasm (tfjs-backend-wasm 4.22) tfjs has Conv2D and Conv2DBackpropInput (XNNPACK) but no
 * Conv2DBackpropFilter, so `tf.conv2d` cannot train there. The kit's 3x3 conv is one registered kernel whose
 * forward and input gradient are the backend's own kernels and whose filter gradient is an im2col product
 * on the kit's 2-D matmul: dW [9*Cin, Cout] = cols^T [9*Cin, N*H*W] . dY [N*H*W, Cout], with cols^T built from
 * contiguous row copies of x^T (no tf.slice: on wasm it is element-wise JavaScript). The gradients are lazy per
 * input (a registered gradient), so a frozen filter's gradient is never computed. 1x1 convs are `linear`.
 * Other backends (cpu, tensorflow, webgpu) use `tf.conv2d`, whose gradients they have.
 *
 * `setConvRouting` forces a method for benches and tests: 'tfjs' (tf.conv2d), 'kit' (the registered kernel
 * described above), 'im2col' (forward and input gradient as im2col products too), 'taps' (forward as one
 * product X . W[Cin, 9*Cout] followed by a shifted accumulation of the nine tap outputs).
 */
import * as tf from '@tensorflow/tfjs';
import { linear, mm2d } from './ops';

export type ConvRouting = 'auto' | 'tfjs' | 'kit' | 'im2col' | 'taps';
let routing: ConvRouting = 'auto';

/** Force the conv method ('auto' = the kit kernel on wasm, tf.conv2d elsewhere); for benches and tests. */
export function setConvRouting(mode: ConvRouting): void {
  routing = mode;
}

function method(): Exclude<ConvRouting, 'auto'> {
  if (routing !== 'auto') return routing;
  return tf.getBackend() === 'wasm' ? 'kit' : 'tfjs';
}

/** Floats per im2col chunk (9*Cin*rows): bounds the scratch memory of the filter gradient (64 MiB). */
const COLS_CHUNK_FLOATS = 16 * 1024 * 1024;

/**
 * Writes cols^T of images n0..n1 of x^T [C, N, H, W] for a 3x3 'same' window into `out` (zero-filled)
 * [9*C, (n1-n0)*H*W]: row (tap*C + c) holds channel c shifted by the tap's offset (zeros past the border).
 * One contiguous copy per (tap, channel, image), then the wrapped-around column is zeroed.
 */
function colsT(out: Float32Array, xt: Float32Array, C: number, N: number, H: number, W: number, n0: number, n1: number): void {
  const HW = H * W;
  const P = (n1 - n0) * HW;
  for (let tap = 0; tap < 9; tap++) {
    const dx = (tap % 3) - 1;
    const off = (Math.floor(tap / 3) - 1) * W + dx; // source pixel = destination pixel + off
    const s0 = Math.max(0, off);
    const d0 = Math.max(0, -off);
    const len = HW - Math.abs(off);
    const zeroCol = dx === 1 ? W - 1 : dx === -1 ? 0 : -1; // the column that wrapped around a row end
    for (let c = 0; c < C; c++) {
      for (let n = n0; n < n1; n++) {
        const src = (c * N + n) * HW;
        const dst = (tap * C + c) * P + (n - n0) * HW;
        if (len > 0) out.set(xt.subarray(src + s0, src + s0 + len), dst + d0); // (a negative end would count from the back)
        if (zeroCol >= 0) for (let y = 0; y < H; y++) out[dst + y * W + zeroCol] = 0;
      }
    }
  }
}

/**
 * Writable view of a tensor's data. On wasm it is the backend's heap itself (no copy: `dataSync` copies into
 * a fresh buffer, and first-touch page faults of fresh buffers are slow on the reference machine: a 38 MB
 * read-back took 200-370 ms, the same data in the already-touched heap a few ms). The view is valid until
 * the next allocation on the backend.
 */
function heapView(t: tf.Tensor): Float32Array {
  const b = tf.backend() as unknown as { typedArrayFromHeap?: (t: tf.TensorInfo) => Float32Array };
  if (tf.getBackend() === 'wasm' && typeof b.typedArrayFromHeap === 'function') return b.typedArrayFromHeap(t);
  return t.dataSync() as Float32Array;
}

/** cols^T of images n0..n1 as a [9*C, (n1-n0)*H*W] tensor, built in place in a fresh zero tensor. */
function colsTensor(xT: tf.Tensor, C: number, N: number, H: number, W: number, n0: number, n1: number): tf.Tensor2D {
  const rows = (n1 - n0) * H * W;
  if (tf.getBackend() !== 'wasm') {
    const out = new Float32Array(9 * C * rows);
    colsT(out, xT.dataSync() as Float32Array, C, N, H, W, n0, n1);
    return tf.tensor2d(out, [9 * C, rows]);
  }
  const a = tf.fill([9 * C, rows], 0) as tf.Tensor2D; // the Fill kernel writes the heap (tf.zeros would page-fault a fresh JS buffer first: 300-500 ms for 38 MB)
  colsT(heapView(a), heapView(xT), C, N, H, W, n0, n1); // both views taken after the last allocation
  return a;
}

/** Images per im2col chunk for C channels at H x W. */
function chunkImages(C: number, H: number, W: number): number {
  return Math.max(1, Math.floor(COLS_CHUNK_FLOATS / (9 * C * H * W)));
}

/** Filter gradient of a 3x3 'same' conv: x [N, H, W, Cin], dy [N, H, W, Cout] -> [3, 3, Cin, Cout] (im2col). */
export function conv3x3FilterGrad(x: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D {
  const [N, H, W, Cin] = x.shape;
  const Cout = dy.shape[3];
  const step = chunkImages(Cin, H, W);
  return tf.tidy(() => {
    const xT = tf.transpose(x, [3, 0, 1, 2]); // [Cin, N, H, W]
    let acc: tf.Tensor | null = null;
    for (let n0 = 0; n0 < N; n0 += step) {
      const n1 = Math.min(N, n0 + step);
      const rows = (n1 - n0) * H * W;
      const dyc = n1 - n0 === N ? dy : tf.slice(dy, [n0, 0, 0, 0], [n1 - n0, H, W, Cout]); // contiguous rows
      const cols = colsTensor(xT, Cin, N, H, W, n0, n1);
      const part = mm2d(cols, tf.reshape(dyc, [rows, Cout])); // [9*Cin, Cout]
      cols.dispose(); // one chunk's scratch at a time
      acc = acc ? tf.add(acc, part) : part;
    }
    return tf.reshape(acc as tf.Tensor, [3, 3, Cin, Cout]) as tf.Tensor4D;
  });
}

/** Filter for the input gradient of a 3x3 'same' conv: w'[ky, kx, co, ci] = w[2-ky, 2-kx, ci, co]. */
function flippedFilter(w: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D);
}

/** 3x3 'same' conv as im2col products (no conv kernel): y^T [Cout, NHW] = W^T [Cout, 9Cin] . cols^T. */
function conv3x3Im2col(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const [N, H, W, Cin] = x.shape;
  const Cout = w.shape[3];
  const step = chunkImages(Cin, H, W);
  return tf.tidy(() => {
    const xT = tf.transpose(x, [3, 0, 1, 2]); // [Cin, N, H, W]
    const wt = tf.transpose(tf.reshape(w, [9 * Cin, Cout])); // [Cout, 9Cin]
    const parts: tf.Tensor[] = [];
    for (let n0 = 0; n0 < N; n0 += step) {
      const cols = colsTensor(xT, Cin, N, H, W, n0, Math.min(N, n0 + step));
      parts.push(mm2d(wt, cols));
      cols.dispose();
    }
    return tf.reshape(tf.transpose(parts.length === 1 ? parts[0] : tf.concat(parts, 1)), [N, H, W, Cout]) as tf.Tensor4D;
  });
}

/** 3x3 'same' conv as one product Z = X [NHW, Cin] . W [Cin, 9*Cout] and a shifted sum of Z's nine tap blocks. */
function conv3x3Taps(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const [N, H, W, Cin] = x.shape;
  const Cout = w.shape[3];
  const z = tf.tidy(() => mm2d(tf.reshape(x, [N * H * W, Cin]), tf.reshape(tf.transpose(w, [2, 0, 1, 3]), [Cin, 9 * Cout])));
  const zd = z.dataSync() as Float32Array;
  z.dispose();
  const out = new Float32Array(N * H * W * Cout);
  const zRow = 9 * Cout;
  for (let n = 0; n < N; n++) {
    for (let y = 0; y < H; y++) {
      for (let xx = 0; xx < W; xx++) {
        const o = ((n * H + y) * W + xx) * Cout;
        for (let tap = 0; tap < 9; tap++) {
          const sy = y + Math.floor(tap / 3) - 1;
          const sx = xx + (tap % 3) - 1;
          if (sy < 0 || sy >= H || sx < 0 || sx >= W) continue;
          const s = ((n * H + sy) * W + sx) * zRow + tap * Cout;
          for (let c = 0; c < Cout; c++) out[o + c] += zd[s + c];
        }
      }
    }
  }
  return tf.tensor4d(out, [N, H, W, Cout]);
}

const KIT_CONV = 'IpaKitConv2D3x3';
const kernelsFor = new Set<string>();
const SAME = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1] } as const;

function forwardOf(x: tf.Tensor4D, w: tf.Tensor4D, m: 'kit' | 'im2col' | 'taps'): tf.Tensor4D {
  if (m === 'im2col') return conv3x3Im2col(x, w);
  if (m === 'taps') return conv3x3Taps(x, w);
  return tf.engine().runKernel('Conv2D', { x, filter: w }, { ...SAME }) as tf.Tensor4D;
}

/**
 * The input gradient of a 3x3 'same' conv is the 'same' conv of dy with the flipped, transposed filter. On wasm
 * that runs on XNNPACK's conv (8-18 GFLOP/s measured), while the wasm Conv2DBackpropInput kernel is naive
 * (1.4-1.9 GFLOP/s on the U-Net's shapes).
 */
const FLIPPED_INPUT_GRAD = true;

function inputGradOf(dy: tf.Tensor4D, w: tf.Tensor4D, shape: number[], m: 'kit' | 'im2col' | 'taps'): tf.Tensor4D {
  if (m === 'kit' && !FLIPPED_INPUT_GRAD) return tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { ...SAME, inputShape: shape }) as tf.Tensor4D;
  return tf.tidy(() => forwardOf(dy, flippedFilter(w), m));
}

/**
 * The 'kit' route: a registered kernel delegating to the backend's Conv2D, with a registered gradient (lazy per
 * input: dx by the backend's Conv2DBackpropInput, dW by `conv3x3FilterGrad`).
 */
function kitConv(x: tf.Tensor4D, w: tf.Tensor4D): tf.Tensor4D {
  const backendName = tf.getBackend();
  if (!kernelsFor.has(backendName)) {
    const base = tf.getKernel('Conv2D', backendName);
    if (!base) throw new Error(`conv2d: backend '${backendName}' has no Conv2D kernel`);
    if (!tf.getKernel(KIT_CONV, backendName)) {
      tf.registerKernel({
        kernelName: KIT_CONV,
        backendName,
        kernelFunc: ({ inputs, backend }) => base.kernelFunc({ inputs: { x: inputs.x, filter: inputs.filter }, backend, attrs: { ...SAME } }) as tf.TensorInfo,
      });
    }
    if (kernelsFor.size === 0) {
      tf.registerGradient({
        kernelName: KIT_CONV,
        inputsToSave: ['x', 'filter'],
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
          return {
            x: () => inputGradOf(dy as tf.Tensor4D, ws, xs.shape, 'kit'),
            filter: () => conv3x3FilterGrad(xs, dy as tf.Tensor4D),
          };
        },
      });
    }
    kernelsFor.add(backendName);
  }
  return tf.engine().runKernel(KIT_CONV, { x, filter: w }, {}) as tf.Tensor4D;
}

/** The bench-only routes ('im2col', 'taps') as custom-gradient ops (both gradients always computed). */
const customConvs = new Map<string, (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D>();
function customConv(m: 'im2col' | 'taps'): (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D {
  let f = customConvs.get(m);
  if (!f) {
    const g = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [x, w, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
      save([x, w]);
      return {
        value: forwardOf(x, w, m),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
          return [inputGradOf(dy as tf.Tensor4D, ws, xs.shape, m), conv3x3FilterGrad(xs, dy as tf.Tensor4D)];
        },
      };
    });
    f = (x, w) => g(x, w) as tf.Tensor4D;
    customConvs.set(m, f);
  }
  return f;
}

function checkConv(x: tf.Tensor, w: tf.Tensor): void {
  if (x.rank !== 4) throw new Error(`conv2d: input must be [N, H, W, C], got ${JSON.stringify(x.shape)}`);
  if (w.rank !== 4 || w.shape[0] !== w.shape[1] || (w.shape[0] !== 1 && w.shape[0] !== 3)) {
    throw new Error(`conv2d: filter must be [1, 1, Cin, Cout] or [3, 3, Cin, Cout], got ${JSON.stringify(w.shape)}`);
  }
  if (w.shape[2] !== x.shape[3]) throw new Error(`conv2d: input has ${x.shape[3]} channels, filter expects ${w.shape[2]}`);
}

/** Convolution x [N, H, W, Cin] * w [k, k, Cin, Cout] (+ b [Cout]), k in {1, 3}, stride 1, 'same' -> [N, H, W, Cout]. */
export function conv2d(x: tf.Tensor4D, w: tf.Tensor4D, b?: tf.Tensor1D): tf.Tensor4D {
  checkConv(x, w);
  const [N, H, W] = x.shape;
  const Cout = w.shape[3];
  return tf.tidy(() => {
    if (w.shape[0] === 1) {
      const y = linear(tf.reshape(x, [N * H * W, x.shape[3]]), tf.reshape(w, [w.shape[2], Cout]), b);
      return tf.reshape(y, [N, H, W, Cout]) as tf.Tensor4D;
    }
    const m = method();
    const y = m === 'tfjs' ? tf.conv2d(x, w, 1, 'same') : m === 'kit' ? kitConv(x, w) : customConv(m)(x, w);
    return (b ? tf.add(y, b) : y) as tf.Tensor4D;
  });
}
