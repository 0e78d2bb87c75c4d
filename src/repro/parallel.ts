/**
 * Parallel tasks on worker threads. The wasm backend is single-threaded in Node, so the kit uses several cores
 * by running independent tasks (generation shards, training runs) on worker threads, each with its own tfjs and
 * wasm instance. Tasks are named functions registered in `src/repro/tasks.ts` (loaded by every worker); they
 * must be deterministic in their input, so results do not depend on the number of workers. With one worker (or
 * `IPA_WORKERS=1`) tasks run in this thread.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Progress } from './progress';
import { TaskContext } from './task';
import { TASKS } from './tasks';

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

/** Run `task` on every input, in parallel; outputs come back in input order. The first failure rejects. */
export async function parallelMap<I, O>(task: string, inputs: I[], opts: ParallelOptions = {}): Promise<O[]> {
  if (!TASKS[task]) throw new Error(`parallelMap: unknown task '${task}'`);
  const n = workerCount(inputs.length, opts.workers);
  const bar = opts.label ? new Progress({ total: opts.units ?? inputs.length, label: opts.label, unit: opts.unit ?? 'task' }) : null;
  const counted = opts.units !== undefined;
  const outputs: O[] = new Array(inputs.length);
  if (n <= 1) {
    for (let i = 0; i < inputs.length; i++) {
      const ctx: TaskContext = { progress: (u) => counted && bar?.tick(u) };
      outputs[i] = (await TASKS[task](inputs[i], ctx)) as O;
      if (!counted) bar?.tick(1);
    }
    bar?.finish();
    return outputs;
  }
  const entry = path.join(__dirname, 'worker.js');
  const backend = opts.backend ?? process.env.IPA_BACKEND ?? 'auto';
  let next = 0;
  let failed: Error | null = null;
  const workers: Worker[] = [];
  await new Promise<void>((resolve, reject) => {
    let running = 0;
    const give = (w: Worker) => {
      if (failed || next >= inputs.length) {
        w.postMessage({ type: 'stop' } satisfies ToWorker);
        return;
      }
      const id = next++;
      running++;
      w.postMessage({ type: 'run', id, task, input: inputs[id] } satisfies ToWorker);
    };
    let alive = n;
    for (let k = 0; k < n; k++) {
      const w = new Worker(entry, { workerData: { backend } });
      workers.push(w);
      w.on('message', (m: FromWorker) => {
        if (m.type === 'ready') give(w);
        else if (m.type === 'progress') {
          if (counted) bar?.tick(m.units);
        } else if (m.type === 'done') {
          outputs[m.id] = m.output as O;
          running--;
          if (!counted) bar?.tick(1);
          give(w);
        } else if (m.type === 'failed') {
          running--;
          if (!failed) {
            failed = new Error(`task '${task}' #${m.id} failed: ${m.message}`);
            if (process.env.IPA_DEBUG && m.stack) failed.stack = m.stack;
          }
          give(w);
        }
      });
      w.on('error', (err) => {
        failed = failed ?? err;
      });
      w.on('exit', () => {
        alive--;
        if (alive === 0) {
          if (failed) reject(failed);
          else if (running > 0 || next < inputs.length) reject(new Error(`task '${task}': workers exited with work left`));
          else resolve();
        }
      });
    }
  }).finally(() => {
    for (const w of workers) void w.terminate();
  });
  bar?.finish();
  return outputs;
}
