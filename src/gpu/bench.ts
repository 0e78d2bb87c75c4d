/**
 * Matmul benches: GFLOP/s of plain `tf.matMul` ('plain') against the kit's `matmul` with its automatic routing
 * ('fast'), for 2-D products with and without transposes, batched products, and forward+backward of a small
 * transformer block written with the kit's `linear`/`attention` (its 'plain' variant is the same code under
 * `setMatmulRouting('plain')`). FLOPs count the matrix products only (2*M*K*N each).
 */
import * as tf from '@tensorflow/tfjs';
import type { BenchContext, BenchDefinition, BenchMeasurement } from './bench-harness';
import { attention, linear, matmul, setMatmulRouting } from './ops';

const VARIANTS = ['plain', 'fast'] as const;

/** Where 'fast' is not a different route: the kit's automatic routing uses tf.matMul off wasm. */
function sameRouteNote(): string | undefined {
  return tf.getBackend() === 'wasm' ? undefined : `fast = plain route on ${tf.getBackend()}`;
}

function gflops(flops: number, seconds: number[]): number[] {
  return seconds.map((s) => flops / s / 1e9);
}

function rand(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}

/** Time both variants of a product of a and b; the tensors are made once, outside the timed runs. */
async function productRows(ctx: BenchContext, name: string, aShape: number[], bShape: number[], ta: boolean, tb: boolean): Promise<BenchMeasurement[]> {
  const a = rand(aShape, 1);
  const b = rand(bShape, 2);
  const r = aShape.length;
  const M = ta ? aShape[r - 1] : aShape[r - 2];
  const K = ta ? aShape[r - 2] : aShape[r - 1];
  const N = tb ? bShape[r - 2] : bShape[r - 1];
  const G = aShape.slice(0, -2).reduce((p, d) => p * d, 1);
  const flops = 2 * G * M * K * N;
  const out: BenchMeasurement[] = [];
  try {
    for (const variant of VARIANTS) {
      const fn = variant === 'plain' ? () => tf.matMul(a, b, ta, tb) : () => matmul(a, b, ta, tb);
      const seconds = await ctx.time(fn);
      out.push({ case: name, variant, unit: 'GFLOP/s', samples: gflops(flops, seconds), higherIsBetter: true, note: variant === 'fast' ? sameRouteNote() : undefined });
    }
  } finally {
    tf.dispose([a, b]);
  }
  return out;
}

const shape = (s: number[]) => s.join('x');

/** The products the kit's model makes, at bench size. */
const PRODUCTS: { name: string; a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
  { name: '2-D 512x512 . 512x512', a: [512, 512], b: [512, 512], ta: false, tb: false },
  { name: '2-D A^T.B 512', a: [512, 512], b: [512, 512], ta: true, tb: false },
  { name: '2-D A.B^T 512', a: [512, 512], b: [512, 512], ta: false, tb: true },
  { name: '2-D A^T.B^T 512', a: [512, 512], b: [512, 512], ta: true, tb: true },
  { name: `batched ${shape([16, 576, 48])} . ${shape([16, 48, 576])}`, a: [16, 576, 48], b: [16, 48, 576], ta: false, tb: false },
  { name: `attention q.k^T ${shape([32, 256, 32])}`, a: [32, 256, 32], b: [32, 256, 32], ta: false, tb: true },
  { name: `attention p.v ${shape([32, 256, 256])} . ${shape([32, 256, 32])}`, a: [32, 256, 256], b: [32, 256, 32], ta: false, tb: false },
];

/** Sizes of the transformer block bench. */
export const BLOCK = { batch: 4, tokens: 256, dim: 128, heads: 4, mlpRatio: 4 } as const;

/** Matrix-product FLOPs of one forward+backward pass of the block (backward: two products per forward product). */
export function blockFlops(b = BLOCK): number {
  const n = b.batch * b.tokens;
  const hidden = b.mlpRatio * b.dim;
  const linearFwd = 2 * n * (4 * b.dim * b.dim + 2 * b.dim * hidden);
  const attnFwd = 2 * 2 * b.batch * b.tokens * b.tokens * b.dim;
  return 3 * (linearFwd + attnFwd);
}

function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), g), b);
}

/** Tokens [B*T, D] -> heads [B*H, T, D/H] and back. */
function splitHeads(x: tf.Tensor, heads: number): tf.Tensor3D {
  const { batch: B, tokens: T } = BLOCK;
  const D = x.shape[1] as number;
  return tf.reshape(tf.transpose(tf.reshape(x, [B, T, heads, D / heads]), [0, 2, 1, 3]), [B * heads, T, D / heads]);
}
function joinHeads(x: tf.Tensor): tf.Tensor {
  const [BH, T, dh] = x.shape;
  const H = BH / BLOCK.batch;
  return tf.reshape(tf.transpose(tf.reshape(x, [BLOCK.batch, H, T, dh]), [0, 2, 1, 3]), [BLOCK.batch * T, H * dh]);
}

/**
 * A pre-norm transformer block (attention + GELU-like MLP) on the kit's ops, over tokens flattened to
 * [B*T, D]: with rank-3 inputs, the plain route hands `linear` to tf.matMul with a broadcast weight, whose
 * gradient tfjs 4.22 gets wrong (see test/gpu-ops.test.ts), so both variants use 2-D token matrices.
 */
function block(x: tf.Tensor, p: Record<string, tf.Tensor>): tf.Tensor {
  const h = layerNorm(x, p.g1, p.b1);
  const q = splitHeads(linear(h, p.wq, p.bq), BLOCK.heads);
  const k = splitHeads(linear(h, p.wk, p.bk), BLOCK.heads);
  const v = splitHeads(linear(h, p.wv, p.bv), BLOCK.heads);
  const a = joinHeads(attention(q, k, v));
  const x1 = tf.add(x, linear(a, p.wo, p.bo));
  const h2 = layerNorm(x1, p.g2, p.b2);
  const u = linear(h2, p.w1, p.c1);
  const act = tf.mul(u, tf.sigmoid(tf.mul(u, 1.702)));
  return tf.add(x1, linear(act, p.w2, p.c2));
}

async function blockRows(ctx: BenchContext): Promise<BenchMeasurement[]> {
  const { batch, tokens, dim, mlpRatio } = BLOCK;
  const hidden = mlpRatio * dim;
  const s = 1 / Math.sqrt(dim);
  const params: Record<string, tf.Variable> = {};
  const add = (name: string, shp: number[], kind: 'w' | 'zero' | 'one', seed: number) => {
    const init = kind === 'w' ? tf.mul(rand(shp, seed), s) : kind === 'one' ? tf.ones(shp) : tf.zeros(shp);
    params[name] = tf.variable(init, true, `bench.${name}.${seed}`);
    init.dispose();
  };
  let seed = 10;
  for (const n of ['wq', 'wk', 'wv', 'wo']) add(n, [dim, dim], 'w', seed++);
  for (const n of ['bq', 'bk', 'bv', 'bo', 'b1', 'b2', 'c2']) add(n, [dim], 'zero', seed++);
  add('g1', [dim], 'one', seed++);
  add('g2', [dim], 'one', seed++);
  add('w1', [dim, hidden], 'w', seed++);
  add('c1', [hidden], 'zero', seed++);
  add('w2', [hidden, dim], 'w', seed++);
  const x = rand([batch * tokens, dim], 3);
  const cot = rand([batch * tokens, dim], 4);
  const vars = Object.values(params);
  const flops = blockFlops();
  const out: BenchMeasurement[] = [];
  try {
    for (const variant of VARIANTS) {
      setMatmulRouting(variant === 'plain' ? 'plain' : 'auto');
      const seconds = await ctx.time(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(block(x, params), cot)) as tf.Scalar, vars);
        return [value, ...Object.values(grads)];
      });
      out.push({
        case: `block fwd+bwd ${shape([batch, tokens, dim])}, ${BLOCK.heads} heads`,
        variant,
        unit: 'GFLOP/s',
        samples: gflops(flops, seconds),
        higherIsBetter: true,
        note: variant === 'fast' ? sameRouteNote() : undefined,
      });
    }
  } finally {
    setMatmulRouting('auto');
    tf.dispose([x, cot, ...vars]);
  }
  return out;
}

/** The matmul benches (group 'matmul'). */
export const MATMUL_BENCHES: readonly BenchDefinition[] = [
  {
    name: 'products',
    group: 'matmul',
    description: 'tf.matMul vs the kit matmul: 2-D with each transpose flag, batched and attention-like products',
    async run(ctx) {
      const rows: BenchMeasurement[] = [];
      for (const p of PRODUCTS) rows.push(...(await productRows(ctx, p.name, p.a, p.b, p.ta, p.tb)));
      return rows;
    },
  },
  {
    name: 'transformer-block',
    group: 'matmul',
    description: 'forward+backward of a small transformer block: plain tf ops vs the kit linear/attention',
    run: blockRows,
  },
];
