/**
 * Parallel tasks on worker threads. The wasm backend is single-threaded in Node, so the kit uses several cores
 * by running independent tasks (generation shards, training runs, data-parallel gradient shards) on worker
 * threads, each with its own tfjs and wasm instance. Tasks are named functions registered in
 * `src/study/tasks.ts` (loaded by every worker); they must be deterministic in their input, so results do not
 * depend on the number of workers. With one worker (or `IPA_WORKERS=1`) tasks run in this thread.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Progress } from './progress';
import { TaskContext } from './task';
import { TASKS } from '../study/tasks';

export interface ParallelOptions {
  /** Worker threads (default: the number of cores, at most the number of tasks; IPA_WORKERS overrides). */
  workers?: number;
  /** tfjs backend the workers use (default: IPA_BACKEND or auto). */
  backend?: string;
  /** Progress label; units are task-reported (e.g. clips), or tasks when they report none. */
  label?: string;
  /** Total units for the progress bar (default: the number of tasks). */
  units?: number;
  unit?: string;
}

/** Message protocol between the parent and a worker. */
export type ToWorker = { type: 'run'; id: number; task: string; input: unknown } | { type: 'stop' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; id: number; units: number }
  | { type: 'done'; id: number; output: unknown }
  | { type: 'failed'; id: number; message: string; stack?: string };

/** Number of workers to use for n tasks. */
export function workerCount(n: number, requested?: number): number {
  const env = Number(process.env.IPA_WORKERS);
  const want = Number.isInteger(env) && env > 0 ? env : (requested ?? os.cpus().length);
  return Math.max(1, Math.min(want, n));
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  onProgress?: (units: number) => void;
}

/** A fixed set of worker threads that run tasks on request (worker k runs `run(k, ...)`); close it when done. */
export class WorkerPool {
  private readonly workers: Worker[] = [];
  private readonly ready: Promise<void>[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;

  constructor(readonly size: number, backend = process.env.IPA_BACKEND ?? 'auto') {
    const entry = path.join(__dirname, 'worker.js');
    for (let k = 0; k < size; k++) {
      const w = new Worker(entry, { workerData: { backend } });
      this.workers.push(w);
      this.ready.push(
        new Promise<void>((resolve, reject) => {
          w.once('error', reject);
          w.on('message', (m: FromWorker) => {
            if (m.type === 'ready') resolve();
            else this.onMessage(m);
          });
        }),
      );
      w.on('error', (err) => this.failAll(err));
      w.on('exit', (code) => {
        if (!this.closed) this.failAll(new Error(`worker ${k} exited (code ${code}) with tasks pending`));
      });
    }
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'ready') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    if (m.type === 'progress') p.onProgress?.(m.units);
    else if (m.type === 'done') {
      this.pending.delete(m.id);
      p.resolve(m.output);
    } else {
      this.pending.delete(m.id);
      const e = new Error(m.message);
      if (process.env.IPA_DEBUG && m.stack) e.stack = m.stack;
      p.reject(e);
    }
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Run a task on worker k. */
  async run<O>(k: number, task: string, input: unknown, onProgress?: (units: number) => void): Promise<O> {
    if (!TASKS[task]) throw new Error(`unknown task '${task}'`);
    await this.ready[k];
    const id = this.nextId++;
    return new Promise<O>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, onProgress });
      this.workers[k].postMessage({ type: 'run', id, task, input } satisfies ToWorker);
    });
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Run `task` on every input, in parallel; outputs come back in input order. The first failure rejects. */
export async function parallelMap<I, O>(task: string, inputs: I[], opts: ParallelOptions = {}): Promise<O[]> {
  if (!TASKS[task]) throw new Error(`parallelMap: unknown task '${task}'`);
  const n = workerCount(inputs.length, opts.workers);
  const bar = opts.label ? new Progress({ total: opts.units ?? inputs.length, label: opts.label, unit: opts.unit ?? 'task' }) : null;
  const counted = opts.units !== undefined;
  const tick = (u: number) => counted && bar?.tick(u);
  const outputs: O[] = new Array(inputs.length);
  if (n <= 1) {
    for (let i = 0; i < inputs.length; i++) {
      const ctx: TaskContext = { progress: tick };
      outputs[i] = (await TASKS[task](inputs[i], ctx)) as O;
      if (!counted) bar?.tick(1);
    }
    bar?.finish();
    return outputs;
  }
  const pool = new WorkerPool(n, opts.backend);
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: n }, async (_, k) => {
        while (next < inputs.length) {
          const i = next++;
          outputs[i] = await pool.run<O>(k, task, inputs[i], tick);
          if (!counted) bar?.tick(1);
        }
      }),
    );
  } catch (err) {
    throw new Error(`task '${task}' failed: ${(err as Error).message}`);
  } finally {
    await pool.close();
  }
  bar?.finish();
  return outputs;
}
