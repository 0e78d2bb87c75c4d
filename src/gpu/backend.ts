/**
 * Backend choice and the device report.
 *
 * `initBackend` picks the best tfjs backend that really loads, in the order of docs/design.md, "Backends":
 * tensorflow (tfjs-node-gpu, then tfjs-node) > webgpu (Dawn through the `webgpu` package) > wasm > cpu.
 * A backend asked for by name that cannot load is an error saying why, never a silent fallback.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DataError } from '../core/errors';
import { kernelsReport } from './fused';

export const BACKENDS = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];
export type BackendChoice = BackendName | 'auto';

/** One backend that was tried and not used, with the one-line reason. */
export interface SkippedBackend {
  backend: BackendName;
  reason: string;
}

/** What the kit runs on: written into every run manifest and printed by `ipa-kit env`. */
export interface DeviceReport {
  backend: BackendName;
  /** Package that provides the backend, with its version. */
  backendPackage: string;
  tfjsVersion: string;
  /** Threads the backend computes with (wasm in Node is single-threaded). */
  threads: number;
  cpuModel: string;
  cpuCores: number;
  totalMemoryGiB: number;
  gpuAdapter: string | null;
  node: string;
  platform: string;
  /** How the backend was chosen: 'auto', 'IPA_BACKEND', or 'option'. */
  chosenBy: 'auto' | 'IPA_BACKEND' | 'option';
  skipped: SkippedBackend[];
  /** Which kernels run (gpu/fused.ts `kernelsReport`): the kit's verified wasm kernels, or the composed ops when asked. */
  kernels: string;
}

/** Error for a bad backend name or a named backend that cannot load (the CLI prints only its message). */
export class BackendError extends Error {
  override name = 'BackendError';
}

export interface InitBackendOptions {
  /** Backend name or 'auto'; defaults to the IPA_BACKEND environment variable, then 'auto'. */
  backend?: BackendChoice | string;
}

interface Loaded {
  pkg: string;
  threads: number;
  gpuAdapter: string | null;
}

let current: DeviceReport | null = null;

/** Parse a backend name, throwing an error that lists the valid ones. */
export function parseBackendChoice(name: string): BackendChoice {
  const valid: readonly string[] = ['auto', ...BACKENDS];
  if (!valid.includes(name)) {
    throw new BackendError(`unknown backend '${name}': valid backends are ${valid.join(', ')}`);
  }
  return name as BackendChoice;
}

function pkgVersion(pkg: string): string {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const meta = require(`${pkg}/package.json`) as { version?: string };
    return `${pkg}@${meta.version ?? '?'}`;
  } catch {
    return pkg;
  }
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n').find((l) => l.trim().length > 0) ?? text).trim().slice(0, 240);
}

async function activate(name: BackendName): Promise<boolean> {
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name) return false;
  await tf.ready();
  return true;
}

/**
 * Why an installed tfjs-node package cannot load, found without requiring it (null when its native binding is
 * there): its install script fetches libtensorflow and the binding from outside the npm registry, and the kit's
 * `allowScripts` denies it, so by default the package is present without them; requiring it then registers its
 * kernels and fails, and a second such package prints a warning for every kernel.
 */
function tfjsNodeMissingBinding(pkg: string): string | null {
  let dir: string;
  try {
    dir = path.dirname(require.resolve(`${pkg}/package.json`));
  } catch {
    return null; // not installed: require() says so below
  }
  const lib = path.join(dir, 'lib');
  const found = fs.existsSync(lib) && fs.readdirSync(lib).some((d) => /^napi-v\d+$/.test(d) && fs.existsSync(path.join(lib, d, 'tfjs_binding.node')));
  return found ? null : `${pkg} is installed without its native binding (its install script, which downloads libtensorflow, did not run: package.json allowScripts)`;
}

async function loadTensorflow(): Promise<Loaded> {
  const errors: string[] = [];
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    const missing = tfjsNodeMissingBinding(pkg);
    if (missing) {
      errors.push(missing);
      continue;
    }
    try {
      require(pkg);
      if (await activate('tensorflow')) return { pkg: pkgVersion(pkg), threads: os.cpus().length, gpuAdapter: null };
      errors.push(`${pkg}: registered but did not activate`);
    } catch (err) {
      const code = (err as { code?: string }).code;
      errors.push(code === 'MODULE_NOT_FOUND' ? `${pkg} is not installed` : `${pkg}: ${firstLine(err)}`);
    }
  }
  throw new Error(errors.join('; '));
}

/** On Linux Dawn needs the Vulkan loader; find it before probing (the probe prints native warnings otherwise). */
function vulkanLoaderMissing(): boolean {
  if (process.platform !== 'linux') return false;
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter((d) => d),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/lib/x86_64-linux-gnu',
    '/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
  ];
  return !dirs.some((d) => fs.existsSync(path.join(d, 'libvulkan.so.1')));
}

async function loadWebgpu(): Promise<Loaded> {
  if (vulkanLoaderMissing()) throw new Error('no Vulkan loader (libvulkan.so.1) on this machine, so Dawn has no GPU adapter');
  let gpuModule: { create: (flags: string[]) => unknown; globals: Record<string, unknown> };
  try {
    gpuModule = require('webgpu');
  } catch (err) {
    throw new Error(`the 'webgpu' package does not load: ${firstLine(err)}`);
  }
  const g = globalThis as unknown as { navigator?: { gpu?: unknown } };
  if (!g.navigator?.gpu) {
    Object.assign(globalThis, gpuModule.globals);
    const gpu = gpuModule.create([]) as { requestAdapter: () => Promise<unknown> };
    const adapter = (await gpu.requestAdapter()) as { info?: { vendor?: string; description?: string } } | null;
    if (!adapter) throw new Error('no WebGPU adapter found (no GPU driver or Vulkan loader on this machine)');
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  }
  require('@tensorflow/tfjs-backend-webgpu');
  if (!(await activate('webgpu'))) throw new Error('tfjs-backend-webgpu did not activate');
  const gpu = (g.navigator as { gpu: { requestAdapter: () => Promise<{ info?: { vendor?: string; description?: string } } | null> } }).gpu;
  const adapter = await gpu.requestAdapter();
  const info = adapter?.info;
  const desc = info ? [info.vendor, info.description].filter((s) => s).join(' ') : 'unknown adapter';
  return { pkg: pkgVersion('@tensorflow/tfjs-backend-webgpu'), threads: 1, gpuAdapter: desc || 'unknown adapter' };
}

async function loadWasm(): Promise<Loaded> {
  const wasm = require('@tensorflow/tfjs-backend-wasm') as { getThreadsCount: () => number };
  if (!(await activate('wasm'))) throw new Error('tfjs-backend-wasm did not activate');
  return { pkg: pkgVersion('@tensorflow/tfjs-backend-wasm'), threads: wasm.getThreadsCount(), gpuAdapter: null };
}

async function loadCpu(): Promise<Loaded> {
  if (!(await activate('cpu'))) throw new Error('the cpu backend did not activate');
  return { pkg: pkgVersion('@tensorflow/tfjs-backend-cpu'), threads: 1, gpuAdapter: null };
}

const LOADERS: Record<BackendName, () => Promise<Loaded>> = {
  tensorflow: loadTensorflow,
  webgpu: loadWebgpu,
  wasm: loadWasm,
  cpu: loadCpu,
};

/** Pick and activate a backend; returns the device report. Idempotent for the same choice. */
export async function initBackend(options: InitBackendOptions = {}): Promise<DeviceReport> {
  const fromEnv = process.env.IPA_BACKEND;
  const chosenBy: DeviceReport['chosenBy'] = options.backend !== undefined ? 'option' : fromEnv ? 'IPA_BACKEND' : 'auto';
  const choice = parseBackendChoice(options.backend ?? fromEnv ?? 'auto');
  if (current && (choice === 'auto' || choice === current.backend) && tf.getBackend() === current.backend) return current;

  const skipped: SkippedBackend[] = [];
  const order: BackendName[] = choice === 'auto' ? [...BACKENDS] : [choice];
  for (const name of order) {
    try {
      const loaded = await LOADERS[name]();
      const cpus = os.cpus();
      current = {
        backend: name,
        backendPackage: loaded.pkg,
        tfjsVersion: tf.version.tfjs,
        threads: loaded.threads,
        cpuModel: cpus[0]?.model.trim() ?? 'unknown',
        cpuCores: cpus.length,
        totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
        gpuAdapter: loaded.gpuAdapter,
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        chosenBy,
        skipped,
        kernels: kernelsReport(name), // on wasm: verifies native/kernels.wasm (an altered one is a DataError)
      };
      return current;
    } catch (err) {
      if (err instanceof DataError) throw err; // an altered kit binary is never a reason to try another backend
      if (choice !== 'auto') {
        throw new BackendError(`backend '${name}' was asked for (${chosenBy === 'option' ? '--backend' : chosenBy}) but cannot load: ${firstLine(err)}`);
      }
      skipped.push({ backend: name, reason: firstLine(err) });
    }
  }
  throw new BackendError(`no backend loads: ${skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')}`);
}

/** The report of the active backend, or null before `initBackend`. */
export function deviceReport(): DeviceReport | null {
  return current;
}

/** The report as aligned text lines, for `ipa-kit env` and notebooks. */
export function formatDeviceReport(r: DeviceReport): string {
  const rows: [string, string][] = [
    ['backend', `${r.backend} (${r.backendPackage}, chosen by ${r.chosenBy})`],
    ['tfjs', r.tfjsVersion],
    ['threads', String(r.threads)],
    ['cpu', `${r.cpuModel} x ${r.cpuCores} cores`],
    ['memory', `${r.totalMemoryGiB} GiB`],
    ['gpu adapter', r.gpuAdapter ?? 'none'],
    ['node', `${r.node} on ${r.platform}`],
    ['kernels', r.kernels],
  ];
  for (const s of r.skipped) rows.push([`skipped ${s.backend}`, s.reason]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}
