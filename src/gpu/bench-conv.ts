/**
 * Conv benches: GFLOP/s of the 3x3 'same' convolutions of the paper U-Net (a batch of 16 frames: 2 clips x 8
 * frames, or 8 clips x 2-frame windows), forward and forward+backward, for each method of ./conv: tfjs's own
 * kernels ('tfjs'; no filter gradient on wasm, so no forward+backward row there), the kit's kernel ('kit': the
 * backend's forward and input gradient, an im2col filter gradient on the kit's matmul), and the all-im2col and
 * shifted-taps variants it was measured against. FLOPs: 2*N*H*W*9*Cin*Cout forward, three times that for
 * forward+backward (input and filter gradients).
 */
import * as tf from '@tensorflow/tfjs';
import type { BenchContext, BenchDefinition, BenchMeasurement } from './bench-harness';
import { ConvRouting, conv2d, setConvRouting } from './conv';

/** The U-Net's 3x3 convs: [N, H, W, Cin] -> Cout (stem, one per level, and a channel-changing one). */
export const CONV_SHAPES: readonly { name: string; x: [number, number, number, number]; cout: number }[] = [
  { name: 'stem 16x64x64x12 -> 16', x: [16, 64, 64, 12], cout: 16 },
  { name: '16x64x64x16 -> 16', x: [16, 64, 64, 16], cout: 16 },
  { name: '16x32x32x16 -> 32', x: [16, 32, 32, 16], cout: 32 },
  { name: '16x32x32x32 -> 32', x: [16, 32, 32, 32], cout: 32 },
  { name: '16x16x16x64 -> 64', x: [16, 16, 16, 64], cout: 64 },
  { name: '16x8x8x128 -> 128', x: [16, 8, 8, 128], cout: 128 },
];

const METHODS: readonly Exclude<ConvRouting, 'auto'>[] = ['tfjs', 'kit', 'im2col', 'taps'];

/** Forward FLOPs of a 3x3 conv. */
export function convFlops(x: readonly number[], cout: number): number {
  const [N, H, W, C] = x;
  return 2 * N * H * W * 9 * C * cout;
}

async function convRows(ctx: BenchContext, backward: boolean): Promise<BenchMeasurement[]> {
  const out: BenchMeasurement[] = [];
  for (const s of CONV_SHAPES) {
    const shape: [number, number, number, number] = ctx.tiny ? [1, 8, 8, s.x[3]] : s.x;
    const x = tf.randomNormal(shape, 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, s.x[3], s.cout], 0, 0.1, 'float32', 2) as tf.Tensor4D;
    const flops = convFlops(shape, s.cout) * (backward ? 3 : 1);
    try {
      for (const m of METHODS) {
        if (backward && m === 'tfjs' && ctx.backend === 'wasm') {
          ctx.log(`  ${s.name} tfjs fwd+bwd: skipped (wasm has no Conv2DBackpropFilter)`);
          continue;
        }
        setConvRouting(m);
        const fwdBwd = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(conv2d(a as tf.Tensor4D, b as tf.Tensor4D)));
        const seconds = await ctx.time(() => (backward ? fwdBwd([x, w]) : conv2d(x, w)));
        out.push({ case: `${s.name} ${backward ? 'fwd+bwd' : 'fwd'}`, variant: m, unit: 'GFLOP/s', samples: seconds.map((t) => flops / t / 1e9), higherIsBetter: true });
      }
    } finally {
      setConvRouting('auto');
      tf.dispose([x, w]);
    }
  }
  return out;
}

/** The conv benches (group 'conv'). */
export const CONV_BENCHES: readonly BenchDefinition[] = [
  { name: 'conv-forward', group: 'conv', description: "3x3 convs of the paper U-Net, forward: tfjs's kernel vs the kit's methods", run: (ctx) => convRows(ctx, false) },
  { name: 'conv-train', group: 'conv', description: '3x3 convs of the paper U-Net, forward+backward (input and filter gradients)', run: (ctx) => convRows(ctx, true) },
];
