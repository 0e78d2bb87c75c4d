/**
 * Tasks that `parallelMap` can run on worker threads: plain functions of plain-data inputs (structured-clone
 * safe), deterministic in their input. Every worker loads this registry.
 */
import * as tf from '@tensorflow/tfjs';
import { loadModel } from '../model/load';
import { generate } from '../model/sample';
import { generationKey } from '../model/generations';
import { World, getClip, loadWorldCached } from '../world/store';
import { Task, TaskContext } from '../core/task';
import type { AlignJob } from './jobs';
import { JobPaths, runJob } from '../align/run';
import { GradShardInput, gradShard } from '../model/pretrain';

export type { Task, TaskContext } from '../core/task';

/** Input of the 'generate' task: videos for (row, candidate) pairs of one split. */
export interface GenerateInput {
  baseDir: string;
  adapterDir: string | null;
  worldDir: string;
  split: string;
  items: { row: number; candidate: number }[];
  steps: number;
  seed: number;
  batch: number;
}

/** Generate the videos of `items` (uint8 [n, F, S, S, 3]); each video's noise depends only on its clip and candidate. */
export function generateTask(input: GenerateInput, ctx: TaskContext): Uint8Array {
  const world = loadWorldCached(input.worldDir);
  const split = world.splits[input.split as keyof World['splits']];
  if (!split) throw new Error(`generate: world has no split '${input.split}'`);
  const model = loadModel(input.baseDir, input.adapterDir ?? undefined);
  try {
    const out: Uint8Array[] = [];
    for (let i = 0; i < input.items.length; i += input.batch) {
      const part = input.items.slice(i, i + input.batch);
      const jobs = part.map(({ row, candidate }) => {
        const clip = getClip(split, row);
        return { key: generationKey(clip.id, candidate), clip };
      });
      out.push(generate(model.config, model.params, jobs, { steps: input.steps, seed: input.seed, batch: input.batch }));
      ctx.progress(part.length);
    }
    const total = out.reduce((s, a) => s + a.length, 0);
    const frames = new Uint8Array(total);
    let o = 0;
    for (const a of out) {
      frames.set(a, o);
      o += a.length;
    }
    return frames;
  } finally {
    tf.dispose(Object.values(model.params));
  }
}

export const TASKS: Record<string, Task> = {
  generate: (input, ctx) => generateTask(input as GenerateInput, ctx),
  'pretrain-grads': (input) => gradShard(input as GradShardInput),
  'align-job': (input, ctx) => {
    const { job, paths } = input as { job: AlignJob; paths: JobPaths };
    return runJob(job, paths, ctx);
  },
};
