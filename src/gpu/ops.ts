/**
 * Fast ops: matrix products routed onto the wasm fast path, and the linear and attention helpers the model
 * builds on.
 *
 * Measured on the 2-core reference machine (tfjs-backend-wasm 4.22, single-threaded in Node): a 2-D product
 * without transpose flags runs on XNNPACK at 10-17 GFLOP/s; any transposed or batched product runs a naive
 * kernel at 1-2 GFLOP/s; `tf.slice` costs ~2 ms per call. So on wasm every product here is either one 2-D
 * product (shared weights: the batch folded into rows), or, for batched products with large enough groups, one
 * 2-D product per group built from typed-array views (no slices). Transposes are explicit and gradients are
 * custom, so the backward pass stays on the same path. Other backends use `tf.matMul` directly.
 */
import * as tf from '@tensorflow/tfjs';

/** Groups smaller than this many multiply-adds (M*K*N) stay on tf's batched kernel: its per-call cost wins there. */
export const SPLIT_MIN_MACS = 32 * 1024;

let routing: 'auto' | 'fast' | 'plain' = 'auto';

/** Force routing ('plain' = tf.matMul everywhere, 'fast' = wasm routing everywhere); for benches and tests. */
export function setMatmulRouting(mode: 'auto' | 'fast' | 'plain'): void {
  routing = mode;
}

function useFastPath(): boolean {
  if (routing !== 'auto') return routing === 'fast';
  return tf.getBackend() === 'wasm';
}

/** Swap the last two axes. */
export function transposeLast2(x: tf.Tensor): tf.Tensor {
  const r = x.rank;
  if (r < 2) throw new Error(`transposeLast2: rank ${r} < 2`);
  if (r === 2) return tf.transpose(x);
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return tf.transpose(x, perm);
}

/** A two-input op with a custom gradient: `backward(dy, a, b)` returns [da, db]. */
function binaryOp<T extends tf.Tensor>(
  forward: (a: tf.Tensor, b: tf.Tensor) => T,
  backward: (dy: tf.Tensor, a: tf.Tensor, b: tf.Tensor) => [tf.Tensor, tf.Tensor],
): (a: tf.Tensor, b: tf.Tensor) => T {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    save([a, b]);
    return {
      value: forward(a, b),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => backward(dy as tf.Tensor, saved[0], saved[1]),
    };
  });
  return (a, b) => f(a, b) as T;
}

/**
 * The 2-D product a [M, K] x b [K, N] as a registered kernel (delegating to the backend's own BatchMatMul
 * with no transpose flags) with a registered gradient. Unlike tf.customGrad, a registered gradient gives one
 * lazy function per input, so a frozen weight's gradient (A^T dC) is never computed: LoRA training only pays
 * for the activation gradients it needs. Both gradients are again flag-free 2-D products.
 */
const KIT_MATMUL = 'IpaKitMatMul2D';
const kernelsFor = new Set<string>();

function ensureKitMatmul(): void {
  const backendName = tf.getBackend();
  if (kernelsFor.has(backendName)) return;
  const base = tf.getKernel('BatchMatMul', backendName);
  if (!base) throw new Error(`matmul: backend '${backendName}' has no BatchMatMul kernel`);
  if (!tf.getKernel(KIT_MATMUL, backendName)) {
    tf.registerKernel({
      kernelName: KIT_MATMUL,
      backendName,
      kernelFunc: ({ inputs, backend }) =>
        base.kernelFunc({ inputs: { a: inputs.a, b: inputs.b }, backend, attrs: { transposeA: false, transposeB: false } }) as tf.TensorInfo,
    });
  }
  if (kernelsFor.size === 0) {
    tf.registerGradient({
      kernelName: KIT_MATMUL,
      inputsToSave: ['a', 'b'],
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [a, b] = saved as [tf.Tensor2D, tf.Tensor2D];
        return {
          a: () => mm2d(dy as tf.Tensor2D, tf.transpose(b)), // dA = dC B^T  [M, K]
          b: () => mm2d(tf.transpose(a), dy as tf.Tensor2D), // dB = A^T dC  [K, N]
        };
      },
    });
  }
  kernelsFor.add(backendName);
}

export function mm2d(a: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  ensureKitMatmul();
  return tf.engine().runKernel(KIT_MATMUL, { a, b }, {}) as tf.Tensor2D;
}

/**
 * Per-group 2-D products: a [G, M, K] x b [G, K, N] -> [G, M, N]. Operands come from one read of each input
 * (typed-array views, no tf.slice, whose wasm kernel copies the whole input per call); the products stay on
 * the backend and are joined by one concat.
 */
function splitProduct(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const [G, M, K] = a.shape;
  const N = b.shape[2];
  const ad = a.dataSync() as Float32Array;
  const bd = b.dataSync() as Float32Array;
  const parts: tf.Tensor[] = [];
  for (let g = 0; g < G; g++) {
    const ag = tf.tensor2d(ad.subarray(g * M * K, (g + 1) * M * K), [M, K]);
    const bg = tf.tensor2d(bd.subarray(g * K * N, (g + 1) * K * N), [K, N]);
    parts.push(tf.matMul(ag, bg));
    tf.dispose([ag, bg]);
  }
  const out = tf.reshape(tf.concat(parts, 0), [G, M, N]) as tf.Tensor3D;
  tf.dispose(parts);
  return out;
}

/** Batched product with equal group counts, routed by group size; its gradient takes the same route. */
const bmm = binaryOp(
  (a, b) => bmmRaw(a as tf.Tensor3D, b as tf.Tensor3D),
  (dy, a, b) => [
    bmmRaw(dy as tf.Tensor3D, tf.transpose(b, [0, 2, 1]) as tf.Tensor3D), // [G, M, K]
    bmmRaw(tf.transpose(a, [0, 2, 1]) as tf.Tensor3D, dy as tf.Tensor3D), // [G, K, N]
  ],
);

function bmmRaw(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const [, M, K] = a.shape;
  const N = b.shape[2];
  if (M * K * N >= SPLIT_MIN_MACS) return splitProduct(a, b);
  return tf.matMul(a, b);
}

function checkInner(aShape: number[], bShape: number[], ta: boolean, tb: boolean): void {
  const ka = ta ? aShape[aShape.length - 2] : aShape[aShape.length - 1];
  const kb = tb ? bShape[bShape.length - 1] : bShape[bShape.length - 2];
  if (ka !== kb) {
    throw new Error(`matmul: inner dimensions differ: a ${JSON.stringify(aShape)}${ta ? '^T' : ''} and b ${JSON.stringify(bShape)}${tb ? '^T' : ''}`);
  }
}

/**
 * Matrix product with tf.matMul's semantics (rank >= 2, optional transposes of the last two axes). Batch axes
 * must be equal, or one operand is 2-D and is shared across the other's batch.
 */
export function matmul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor {
  if (a.rank < 2 || b.rank < 2) throw new Error(`matmul: operands need rank >= 2, got ${a.rank} and ${b.rank}`);
  checkInner(a.shape, b.shape, transposeA, transposeB);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  if (a.rank > 2 && b.rank > 2 && JSON.stringify(aBatch) !== JSON.stringify(bBatch)) {
    throw new Error(`matmul: batch shapes differ: ${JSON.stringify(aBatch)} and ${JSON.stringify(bBatch)}`);
  }
  if (!useFastPath()) {
    // tf.matMul's gradient fails for a broadcast 2-D operand (tfjs 4.22): fold the batch into rows instead.
    if (b.rank === 2 && a.rank > 2 && !transposeA) {
      const out = tf.matMul(tf.reshape(a, [-1, a.shape[a.rank - 1]]), b, false, transposeB);
      return tf.reshape(out, [...aBatch, a.shape[a.rank - 2], out.shape[1] as number]);
    }
    return tf.matMul(a, b, transposeA, transposeB);
  }
  return tf.tidy(() => {
    const A = transposeA ? transposeLast2(a) : a; // [..., M, K]
    const B = transposeB ? transposeLast2(b) : b; // [..., K, N]
    const M = A.shape[A.rank - 2];
    const K = A.shape[A.rank - 1];
    const N = B.shape[B.rank - 1];
    if (B.rank === 2) {
      // Shared right operand: fold A's batch into rows.
      const out = mm2d(tf.reshape(A, [-1, K]), B);
      return tf.reshape(out, [...aBatch, M, N]);
    }
    const G = bBatch.reduce((p, d) => p * d, 1);
    if (A.rank === 2) {
      // Shared left operand: A [M, K] x B_g [K, N] for all g = A x [K, G*N].
      const Bk = tf.reshape(tf.transpose(tf.reshape(B, [G, K, N]), [1, 0, 2]), [K, G * N]);
      const out = tf.reshape(mm2d(A, Bk), [M, G, N]);
      return tf.reshape(tf.transpose(out, [1, 0, 2]), [...bBatch, M, N]);
    }
    const out = bmm(tf.reshape(A, [G, M, K]), tf.reshape(B, [G, K, N]));
    return tf.reshape(out, [...aBatch, M, N]);
  });
}

/** Affine map on the last axis: x [..., I] w [I, O] (+ b [O]) -> [..., O]. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  if (w.rank !== 2) throw new Error(`linear: weight must be 2-D, got shape ${JSON.stringify(w.shape)}`);
  const I = x.shape[x.rank - 1];
  if (w.shape[0] !== I) throw new Error(`linear: input has ${I} features, weight expects ${w.shape[0]}`);
  return tf.tidy(() => {
    const y = matmul(x, w);
    return b ? tf.add(y, b) : y;
  });
}

/** Typed-array view of group g of a [G, rows, cols] array as a 2-D tensor (no tf.slice). */
function groupTensor(data: Float32Array, g: number, rows: number, cols: number): tf.Tensor2D {
  return tf.tensor2d(data.subarray(g * rows * cols, (g + 1) * rows * cols), [rows, cols]);
}

/**
 * Data of x transposed on its last two axes ([G, a, b] -> [G, b, a]). (Not via `tf.tidy(() => ...dataSync())`:
 * tidy walks a returned typed array element by element looking for tensors, which costs more than the op.)
 */
function transposedData(x: tf.Tensor3D): Float32Array {
  const t = tf.transpose(x, [0, 2, 1]);
  const data = t.dataSync() as Float32Array;
  t.dispose();
  return data;
}

/** Concatenate per-group 2-D results into [G, rows, cols] and dispose them. */
function stackGroups(parts: tf.Tensor[], rows: number, cols: number): tf.Tensor3D {
  const out = tf.reshape(tf.concat(parts, 0), [parts.length, rows, cols]) as tf.Tensor3D;
  tf.dispose(parts);
  return out;
}

/**
 * Attention with one 2-D product chain per group (wasm fast path): softmax(q k^T) v for q [G, Tq, d],
 * k [G, Tk, d], v [G, Tk, dv] (q already scaled). The [G, Tq, Tk] logits are never materialised as one tensor
 * (the wasm concat and read-back of such tensors cost more than the products). The probabilities are saved per
 * group for the backward pass, which uses only flag-free 2-D products:
 *   dP = dO V^T,  dS = P * (dP - rowsum(dP * P)),  dQ = dS K,  dK^T = Q^T dS,  dV^T = dO^T P.
 */
const fusedAttention = (() => {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [q, k, v, save] = args as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.GradSaveFunc];
    const [G, Tq, d] = q.shape;
    const [, Tk, dv] = v.shape;
    const qd = q.dataSync() as Float32Array;
    const ktd = transposedData(k); // [G, d, Tk]
    const vd = v.dataSync() as Float32Array;
    const outs: tf.Tensor[] = [];
    const probs: tf.Tensor[] = [];
    for (let g = 0; g < G; g++) {
      const [p, o] = tf.tidy(() => {
        const pg = tf.softmax(tf.matMul(groupTensor(qd, g, Tq, d), groupTensor(ktd, g, d, Tk))); // [Tq, Tk]
        return [pg, tf.matMul(pg, groupTensor(vd, g, Tk, dv))]; // [Tq, dv]
      });
      probs.push(p);
      outs.push(o);
    }
    save([q, k, v, ...probs]); // kept (cloned) only while a gradient tape records
    tf.dispose(probs);
    return {
      value: stackGroups(outs, Tq, dv),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [qs, ks, vs] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
        const ps = saved.slice(3);
        const dyd = (dy as tf.Tensor).dataSync() as Float32Array; // [G, Tq, dv]
        const dyt = transposedData(dy as tf.Tensor3D); // [G, dv, Tq]
        const qt = transposedData(qs); // [G, d, Tq]
        const k2 = ks.dataSync() as Float32Array;
        const vt = transposedData(vs); // [G, dv, Tk]
        const dq: tf.Tensor[] = [];
        const dkT: tf.Tensor[] = [];
        const dvT: tf.Tensor[] = [];
        for (let g = 0; g < G; g++) {
          const [a, b, c] = tf.tidy(() => {
            const p = ps[g]; // [Tq, Tk]
            const dp = tf.matMul(groupTensor(dyd, g, Tq, dv), groupTensor(vt, g, dv, Tk)); // [Tq, Tk]
            const ds = tf.mul(p, tf.sub(dp, tf.sum(tf.mul(dp, p), 1, true))); // [Tq, Tk]
            return [
              tf.matMul(ds, groupTensor(k2, g, Tk, d)), // dQ   [Tq, d]
              tf.matMul(groupTensor(qt, g, d, Tq), ds), // dK^T [d, Tk]
              tf.matMul(groupTensor(dyt, g, dv, Tq), p), // dV^T [dv, Tk]
            ];
          });
          dq.push(a);
          dkT.push(b);
          dvT.push(c);
        }
        return tf.tidy(() => [
          stackGroups(dq, Tq, d),
          tf.transpose(stackGroups(dkT, d, Tk), [0, 2, 1]),
          tf.transpose(stackGroups(dvT, dv, Tk), [0, 2, 1]),
        ]);
      },
    };
  });
  return (q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D) => f(q, k, v) as tf.Tensor3D;
})();

/** Groups whose logits (Tq * Tk * d multiply-adds) are at least this large take the fused per-group path. */
export const FUSED_ATTENTION_MIN_MACS = 256 * 1024;

/**
 * Scaled dot-product attention per group: q [G, Tq, d], k [G, Tk, d], v [G, Tk, dv] -> [G, Tq, dv].
 * `bias` (broadcast to [G, Tq, Tk]) is added to the logits, e.g. a large negative value to mask keys; with a
 * bias, or for small groups, the batched route is used; otherwise, on wasm, the fused per-group route.
 */
export function attention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D, bias?: tf.Tensor): tf.Tensor3D {
  if (q.rank !== 3 || k.rank !== 3 || v.rank !== 3) throw new Error(`attention: q, k, v must be 3-D, got ranks ${q.rank}, ${k.rank}, ${v.rank}`);
  if (q.shape[0] !== k.shape[0] || k.shape[0] !== v.shape[0] || q.shape[2] !== k.shape[2] || k.shape[1] !== v.shape[1]) {
    throw new Error(`attention: shapes do not fit: q ${JSON.stringify(q.shape)}, k ${JSON.stringify(k.shape)}, v ${JSON.stringify(v.shape)}`);
  }
  return tf.tidy(() => {
    const scale = 1 / Math.sqrt(q.shape[2]);
    const qs = tf.mul(q, scale) as tf.Tensor3D;
    if (!bias && useFastPath() && q.shape[1] * k.shape[1] * q.shape[2] >= FUSED_ATTENTION_MIN_MACS) return fusedAttention(qs, k, v);
    let logits = matmul(qs, k, false, true); // [G, Tq, Tk]
    if (bias) logits = tf.add(logits, bias);
    return matmul(tf.softmax(logits), v) as tf.Tensor3D; // [G, Tq, dv]
  });
}

/** A variable holding `init`'s values; `init` itself is disposed (tf.variable(init) would keep it alive). */
export function variableFrom(init: tf.Tensor, trainable = true): tf.Variable {
  const v = tf.variable(init, trainable);
  init.dispose();
  return v;
}
