/** Helpers for the kernel and runner tests: run the built CLI, find processes left behind, normalise outputs. */
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CellOutput, Notebook } from '../src/notebook/nbformat';
import { joinText } from '../src/notebook/nbformat';

/** The checkout (tests run from build/test/). */
export const ROOT = path.resolve(__dirname, '..', '..');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A fresh temporary folder. */
export function tmpDir(label: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ipa-kit-test-${label}-`));
}

/** A unique marker to put into a child's environment, so that its descendants can be found later. */
export function newMarker(): string {
  return crypto.randomBytes(8).toString('hex');
}

/** Run `ipa-kit ARGS` (the built CLI); `onStderr` sees stderr as it arrives and may signal the child. */
export function cli(args: string[], env: Record<string, string> = {}, onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'ipa-kit.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, IPA_QUIET: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      onStderr?.(stderr, child);
    });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Pids of live processes whose environment holds `IPA_TEST_MARKER=marker` (Linux /proc). */
export function processesWithMarker(marker: string): number[] {
  const needle = `IPA_TEST_MARKER=${marker}`;
  const found: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const env = fs.readFileSync(`/proc/${entry}/environ`, 'latin1');
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z' && env.split('\0').includes(needle)) found.push(Number(entry));
    } catch {
      // the process ended meanwhile, or is not readable
    }
  }
  return found;
}

/** Wait (up to `ms`) until no process carries the marker; returns those still there. */
export async function waitNoMarker(marker: string, ms = 5000): Promise<number[]> {
  const until = Date.now() + ms;
  let left = processesWithMarker(marker);
  while (left.length && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 100));
    left = processesWithMarker(marker);
  }
  return left;
}

/** Whether Jupyter's nbconvert works here (the cross-check needs it). */
export function jupyterAvailable(): boolean {
  const r = spawnSync('jupyter', ['nbconvert', '--version'], { encoding: 'utf8', timeout: 30000 });
  return r.status === 0;
}

/** Read an executed notebook. */
export function readNb(file: string): Notebook {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Notebook;
}

/** A runner-independent form of a cell's outputs: text joined, consecutive streams merged, no metadata or counts. */
export function normalizeOutputs(outputs: CellOutput[]): unknown[] {
  const out: Record<string, unknown>[] = [];
  for (const o of outputs) {
    if (o.output_type === 'stream') {
      const last = out[out.length - 1];
      if (last && last.type === 'stream' && last.name === o.name) last.text = `${String(last.text)}${joinText(o.text)}`;
      else out.push({ type: 'stream', name: o.name, text: joinText(o.text) });
    } else if (o.output_type === 'error') {
      out.push({ type: 'error', ename: o.ename, evalue: o.evalue });
    } else {
      const data: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o.data)) data[k] = Array.isArray(v) && v.every((x) => typeof x === 'string') ? v.join('') : v;
      out.push({ type: o.output_type, data });
    }
  }
  return out;
}

/** Normalised outputs of every code cell, by cell position. */
export function notebookOutputs(nb: Notebook): unknown[] {
  return nb.cells.map((c) => (c.cell_type === 'code' ? normalizeOutputs(c.outputs) : null));
}
