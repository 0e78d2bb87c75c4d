/**
 * Perception benches (group 'perception'): inference frames/s through `perceive` (which scores generated videos for
 * FD-frame, FD-clip and hand keypoint error) and seconds per training step (batch, forward, backward, AdamW), with
 * the paper profile's config and freshly initialised weights (speed does not depend on the weights' values).
 */
import * as tf from '@tensorflow/tfjs';
import { AdamW } from '../train/optim';
import type { BenchDefinition, BenchMeasurement } from '../gpu/bench-harness';
import { PROFILES } from './profiles';
import { perceptionConfigFor } from './profiles';
import { trainingBatch } from '../perception/data';
import { perceptionLoss } from '../perception/loss';
import { initPerceptionParams } from '../perception/net';
import { PERCEIVE_BATCH, perceive } from '../perception/perceive';

/** Frames scored per timed inference run. */
const INFER_FRAMES = 2 * PERCEIVE_BATCH;

async function perceptionRows(ctx: Parameters<BenchDefinition['run']>[0]): Promise<BenchMeasurement[]> {
  const c = perceptionConfigFor(ctx.tiny ? 'smoke' : 'paper');
  const world = (ctx.tiny ? PROFILES.smoke : PROFILES.paper).world;
  const params = initPerceptionParams(c, 1);
  const p = { config: c, params, meta: null };
  const opt = new AdamW({ lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, clipNorm: 1, warmupSteps: 0, totalSteps: 1000, minLrFraction: 0.1 }, params);
  try {
    const b = trainingBatch({ ...c, batch: INFER_FRAMES }, 1, world, 1, 0);
    const infer = await ctx.time(() => {
      perceive(p, b.frames, INFER_FRAMES);
      return tf.scalar(0);
    });
    const vars = Object.values(params);
    let step = 0;
    const train = await ctx.time(() => {
      const batch = trainingBatch(c, 1, world, 1, step++);
      const { value, grads } = tf.variableGrads(() => perceptionLoss(c, params, batch).loss, vars);
      const byName: Record<string, tf.Tensor> = {};
      for (const [n, v] of Object.entries(params)) byName[n] = grads[v.name];
      opt.apply(byName);
      tf.dispose(Object.values(grads));
      return value;
    });
    const note = `${c.dim} wide, ${c.depth} blocks, ${c.patch}x${c.patch} patches`;
    return [
      { case: `perceive ${c.size}x${c.size} frames`, variant: `batch ${PERCEIVE_BATCH}`, unit: 'frames/s', samples: infer.map((s) => INFER_FRAMES / s), higherIsBetter: true, note },
      { case: 'train step (render + fwd + bwd + AdamW)', variant: `batch ${c.batch}`, unit: 's/step', samples: train, higherIsBetter: false, note },
    ];
  } finally {
    opt.dispose();
    tf.dispose(Object.values(params));
  }
}

/** The perception benches (group 'perception'). */
export const PERCEPTION_BENCHES: readonly BenchDefinition[] = [
  {
    name: 'perception',
    group: 'perception',
    description: 'perception network: inference frames/s and training step time (paper config)',
    run: perceptionRows,
  },
];
