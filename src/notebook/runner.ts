/**
 * Headless notebook runs: start the `ipa-kit` kernel, execute the cells in order over the Jupyter protocol with
 * progress lines, stop at the first failing cell, and write the executed notebook atomically.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NOTEBOOK_ENV, ProfileCheck } from './env';
import { UsageError } from '../core/errors';
import { KernelProcess, describeExit } from './kernel';
import { kitRoot, kitVersion } from '../core/kit';
import { KERNEL_NAME } from './kernelspec';
import { RequestAbortedError } from './protocol';
import { CodeCell, Notebook, OutputCollector, joinText, readNotebook, writeNotebook } from './nbformat';
import { TIMEOUT_S, rangeText } from '../core/ranges';

/** Options of one notebook run. */
export interface RunNotebookOptions {
  /** Path of the notebook to run. */
  notebook: string;
  /** Folder for the executed notebook (default `results/notebooks` of the checkout). */
  outDir?: string;
  /** Profile for the kernel (`IPA_PROFILE`); default: `IPA_PROFILE` of this process, then `profiles.defaultName`. */
  profile?: string;
  /** The caller's profiles (the study passes `PROFILE_CHECK`): an unknown profile fails before a kernel starts. */
  profiles?: ProfileCheck;
  /** More environment variables for the kernel. */
  env?: Record<string, string>;
  /** Seconds one cell may run (0: no limit). */
  timeoutS?: number;
  /** Seconds the kernel may take to start. */
  startupTimeoutS?: number;
  /** Where progress lines go (default: stderr, silent when IPA_QUIET=1). */
  log?: (line: string) => void;
  /** Seconds between "still running" lines of a long cell. */
  heartbeatS?: number;
}

/** Time spent in one code cell. */
export interface CellTiming {
  /** Position of the cell in the notebook, from 1 (markdown cells count). */
  cell: number;
  seconds: number;
}

/** A finished run. */
export interface NotebookRun {
  notebook: string;
  output: string;
  profile: string;
  cells: number;
  seconds: number;
  timings: CellTiming[];
}

/** Why a run stopped. */
export type RunFailureKind = 'cell-error' | 'timeout' | 'kernel-died' | 'kernel-start';

/** A run that stopped: which cell, why, the error text, and where the partial notebook was written. */
export class NotebookRunError extends Error {
  override name = 'NotebookRunError';
  constructor(
    readonly kind: RunFailureKind,
    message: string,
    readonly cell: number | null,
    readonly detail: string,
    readonly partialOutput: string | null,
  ) {
    super(message);
  }
}

/** The line of an error text that names the error (`Error: ...`, a TypeScript diagnostic), else its last line. */
export function errorHeadline(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l);
  const named = lines.find((l) => /^([A-Za-z_$][\w$.]*)?(Error|Exception)\b.*?(:|$)/.test(l) && !l.startsWith('at '));
  const diagnostic = lines.find((l) => /^(\S+ )?\d+:\d+ - /.test(l));
  return named ?? diagnostic ?? lines[lines.length - 1] ?? 'no error text';
}

function fmtClock(s: number): string {
  const m = Math.floor(s / 60);
  return `${m}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
}

/** A path relative to the working folder when it lies below it, else absolute. */
export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

function defaultLog(line: string): void {
  if (process.env.IPA_QUIET !== '1') process.stderr.write(`${line}\n`);
}

/** The folder executed notebooks go to by default. */
export function defaultNotebookOutDir(): string {
  return path.join(kitRoot(), 'results', 'notebooks');
}

/** Read a notebook and check it is meant for the ipa-kit kernel (one-line errors, exit code 2). */
export function loadRunnableNotebook(file: string): Notebook {
  const nb = readNotebook(file);
  const declared = nb.metadata.kernelspec?.name;
  if (declared !== undefined && declared !== KERNEL_NAME) {
    throw new UsageError(`${file} declares the kernel '${declared}'; ipa-kit runs notebooks of the '${KERNEL_NAME}' kernel`);
  }
  return nb;
}

/** Run a notebook to the end; throws NotebookRunError when a cell fails, times out, or the kernel dies. */
export async function runNotebook(opts: RunNotebookOptions): Promise<NotebookRun> {
  const file = path.resolve(opts.notebook);
  const nb = loadRunnableNotebook(opts.notebook);
  const profile = opts.profile ?? (process.env[NOTEBOOK_ENV.profile] || opts.profiles?.defaultName);
  if (!profile) throw new UsageError(`no profile: pass one or set ${NOTEBOOK_ENV.profile}`);
  opts.profiles?.check(profile); // unknown profile: UsageError before any kernel starts
  const timeoutS = opts.timeoutS ?? 0;
  // Node's timers overflow past 2^31 - 1 ms (a longer delay fires after 1 ms): the range stays below that.
  if (!(timeoutS >= TIMEOUT_S.min && timeoutS <= TIMEOUT_S.max)) throw new UsageError(`timeout must be in ${rangeText(TIMEOUT_S)} seconds, got ${timeoutS}`);
  const outDir = path.resolve(opts.outDir ?? defaultNotebookOutDir());
  const base = path.basename(file, '.ipynb');
  const output = path.join(outDir, `${base}.ipynb`);
  const failedOutput = path.join(outDir, `${base}.failed.ipynb`);
  if (output === file || failedOutput === file) throw new UsageError(`the executed notebook would replace ${file} itself: choose another --out folder`);
  const log = opts.log ?? defaultLog;
  const name = path.basename(file);
  const n = nb.cells.length;
  const start = Date.now();
  const elapsed = () => (Date.now() - start) / 1000;

  const executed = JSON.parse(JSON.stringify(nb)) as Notebook;
  for (const c of executed.cells) {
    if (c.cell_type === 'code') {
      c.outputs = [];
      c.execution_count = null;
    }
  }
  const finish = (status: 'ok' | 'failed', failedCell: number | null): void => {
    executed.metadata.ipa_kit = { kit_version: kitVersion(), profile, status, failed_cell: failedCell, seconds: Math.round(elapsed() * 10) / 10 };
  };

  log(`[${name}] starting the ${KERNEL_NAME} kernel (profile ${profile})`);
  let kernel: KernelProcess;
  try {
    kernel = await KernelProcess.start({
      cwd: path.dirname(file),
      env: { ...opts.env, [NOTEBOOK_ENV.profile]: profile, [NOTEBOOK_ENV.headless]: '1' },
      startupTimeoutS: opts.startupTimeoutS,
    });
  } catch (err) {
    throw new NotebookRunError('kernel-start', (err as Error).message, null, '', null);
  }
  if (kernel.info.language_info && typeof kernel.info.language_info === 'object') {
    executed.metadata.language_info = kernel.info.language_info as Record<string, unknown>;
  }

  const timings: CellTiming[] = [];
  const failAndWrite = (kind: RunFailureKind, cell: number, message: string, detail: string): NotebookRunError => {
    finish('failed', cell);
    writeNotebook(failedOutput, executed);
    return new NotebookRunError(kind, message, cell, detail, failedOutput);
  };
  try {
    for (let i = 0; i < n; i++) {
      const cell = executed.cells[i];
      if (cell.cell_type !== 'code') continue;
      const code = joinText(cell.source);
      if (code.trim() === '') continue;
      const label = `[${name}] cell ${i + 1} of ${n}`;
      log(`${label} running (elapsed ${fmtClock(elapsed())})`);
      const t0 = Date.now();
      const collector = new OutputCollector();
      const ac = new AbortController();
      const timer = timeoutS > 0 ? setTimeout(() => ac.abort('timeout'), timeoutS * 1000) : null;
      const beatS = opts.heartbeatS ?? 30;
      const beat = setInterval(() => log(`${label} still running (${fmtClock((Date.now() - t0) / 1000)} in this cell)`), beatS * 1000);
      void kernel.exited.then(() => ac.abort('exit'));
      let reply;
      try {
        reply = await kernel.client.execute(code, (m) => collector.add(m), ac.signal);
      } catch (err) {
        if (!(err instanceof RequestAbortedError)) throw err;
        (cell as CodeCell).outputs = collector.outputs;
        if (ac.signal.reason === 'timeout') {
          kernel.kill();
          throw failAndWrite('timeout', i + 1, `cell ${i + 1} of ${n} did not finish within ${timeoutS} s: the kernel was stopped`, collector.stderr);
        }
        await kernel.exited;
        const how = kernel.exitStatus ? describeExit(kernel.exitStatus) : 'unknown';
        const tail = kernel.outputTail();
        throw failAndWrite('kernel-died', i + 1, `the kernel died in cell ${i + 1} of ${n} (${how})`, [collector.stderr, tail].filter((s) => s).join('\n'));
      } finally {
        if (timer) clearTimeout(timer);
        clearInterval(beat);
      }
      const c = cell as CodeCell;
      c.outputs = collector.outputs;
      c.execution_count = reply.executionCount;
      const seconds = (Date.now() - t0) / 1000;
      timings.push({ cell: i + 1, seconds: Math.round(seconds * 1000) / 1000 });
      if (reply.status !== 'ok') {
        const text = reply.ename ? [`${reply.ename}: ${reply.evalue ?? ''}`, ...(reply.traceback ?? [])].join('\n') : collector.stderr;
        throw failAndWrite('cell-error', i + 1, `cell ${i + 1} of ${n} failed: ${errorHeadline(text)}`, text);
      }
      log(`${label} done in ${seconds.toFixed(1)} s (elapsed ${fmtClock(elapsed())})`);
    }
  } finally {
    await kernel.stop();
  }
  finish('ok', null);
  writeNotebook(output, executed);
  fs.rmSync(failedOutput, { force: true });
  log(`[${name}] finished in ${fmtClock(elapsed())}: ${displayPath(output)}`);
  return { notebook: file, output, profile, cells: n, seconds: elapsed(), timings };
}
