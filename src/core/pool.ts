/**
 * Parallel tasks on worker threads. The wasm backend is single-threaded in Node, so the kit uses several cores
 * by running independent tasks (generation shards, training runs, data-parallel gradient shards) on worker
 * threads, each with its own tfjs and wasm instance. A task is a function exported by a compiled module and is
 * addressed by that module's file and the export's name (`defineTask(__filename, 'name')`), so a worker loads
 * exactly the module that defines it and this pool knows no task. Tasks must be deterministic in their input,
 * so results do not depend on the number of workers. With one worker (or `IPA_WORKERS=1`) tasks run in this
 * thread. A `setup` task runs once in each worker before its first task (the gpu layer's `backendSetup`
 * initialises the worker's tfjs backend).
 */
import * as os from 'node:os';
import { envWorkers } from './env';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Progress } from './progress';

/** What a parallel task gets besides its input. */
export interface TaskContext {
  /** Report units of work done (e.g. clips), for the parent's progress bar. */
  progress: (units: number) => void;
}

/** A task: a plain function of plain-data (structured-clone safe) input, deterministic in that input. */
export type TaskFn<I, O> = (input: I, ctx: TaskContext) => O | Promise<O>;

/** Where a worker finds a task: the compiled module's file and the name of the exported function. */
export interface TaskRef<I = unknown, O = unknown> {
  module: string;
  name: string;
  /** Carries the input and output types only (never set). */
  types?(input: I): O;
}

/** A reference to `fn`, exported as `name` by the module `module` (pass `__filename`). */
export function defineTask<I, O>(module: string, name: string, fn: TaskFn<I, O>): TaskRef<I, O> {
  if (typeof fn !== 'function' || !name) throw new Error(`defineTask: '${name}' is not a function`);
  return { module, name };
}

/** The function a reference names (loads its module once per thread). */
export function loadTask<I, O>(ref: TaskRef<I, O>): TaskFn<I, O> {
  const mod = require(ref.module) as Record<string, unknown>;
  const fn = mod[ref.name];
  if (typeof fn !== 'function') throw new Error(`unknown task '${ref.name}': ${ref.module} exports no such function`);
  return fn as TaskFn<I, O>;
}

/** A task each worker runs once, with its input, before any other. */
export interface WorkerSetup<S = unknown> {
  task: TaskRef<S, unknown>;
  input: S;
}

export interface ParallelOptions {
  /** Worker threads (default: the number of cores, at most the number of tasks; IPA_WORKERS overrides). */
  workers?: number;
  /** Run once in each worker thread before its first task (not in this thread). */
  setup?: WorkerSetup;
  /** Progress label; units are task-reported (e.g. clips), or tasks when they report none. */
  label?: string;
  /** Total units for the progress bar (default: the number of tasks). */
  units?: number;
  unit?: string;
}

/** Message protocol between the parent and a worker. */
export type ToWorker = { type: 'run'; id: number; task: TaskRef; input: unknown } | { type: 'stop' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'progress'; id: number; units: number }
  | { type: 'done'; id: number; output: unknown }
  | { type: 'failed'; id: number; message: string; stack?: string };

/** Number of workers to use for n tasks. */
export function workerCount(n: number, requested?: number): number {
  const want = envWorkers() ?? requested ?? os.cpus().length;
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

  constructor(readonly size: number, setup: WorkerSetup | null = null) {
    const entry = path.join(__dirname, 'worker.js');
    for (let k = 0; k < size; k++) {
      const w = new Worker(entry, { workerData: { setup } });
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
  async run<I, O>(k: number, task: TaskRef<I, O>, input: I, onProgress?: (units: number) => void): Promise<O> {
    loadTask(task); // an unknown task fails here, in the caller's thread
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
export async function parallelMap<I, O>(task: TaskRef<I, O>, inputs: I[], opts: ParallelOptions = {}): Promise<O[]> {
  const fn = loadTask(task);
  const n = workerCount(inputs.length, opts.workers);
  const bar = opts.label ? new Progress({ total: opts.units ?? inputs.length, label: opts.label, unit: opts.unit ?? 'task' }) : null;
  const counted = opts.units !== undefined;
  const tick = (u: number) => counted && bar?.tick(u);
  const outputs: O[] = new Array(inputs.length);
  if (n <= 1) {
    for (let i = 0; i < inputs.length; i++) {
      const ctx: TaskContext = { progress: tick };
      outputs[i] = await fn(inputs[i], ctx);
      if (!counted) bar?.tick(1);
    }
    bar?.finish();
    return outputs;
  }
  const pool = new WorkerPool(n, opts.setup ?? null);
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: n }, async (_, k) => {
        while (next < inputs.length) {
          const i = next++;
          outputs[i] = await pool.run(k, task, inputs[i], tick);
          if (!counted) bar?.tick(1);
        }
      }),
    );
  } catch (err) {
    throw new Error(`task '${task.name}' failed: ${(err as Error).message}`);
  } finally {
    await pool.close();
  }
  bar?.finish();
  return outputs;
}
