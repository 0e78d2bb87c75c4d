/**
 * The `ipa-kit` Jupyter kernel: its kernelspec (which starts this project's own tslab, no Python needed), where
 * Jupyter looks for it, and a kernel process the kit starts in its own process group and always cleans up.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomic, writeJsonAtomic, writeDirAtomic } from '../core/files';
import { ConnectionInfo, KernelClient, newConnectionInfo } from './protocol';

/** The kernelspec name notebooks declare. */
export const KERNEL_NAME = 'ipa-kit';
/** The name Jupyter shows for the kernel. */
export const KERNEL_DISPLAY_NAME = 'ipa-kit (TypeScript)';

/** The kernelspec reference that notebooks carry in their metadata. */
export const NOTEBOOK_KERNELSPEC = { name: KERNEL_NAME, display_name: KERNEL_DISPLAY_NAME, language: 'typescript' } as const;

/** The kernelspec file (`kernel.json`) as Jupyter reads it. */
export interface KernelSpec {
  argv: string[];
  display_name: string;
  language: string;
  interrupt_mode: 'signal';
  metadata: { ipa_kit: { root: string; version: string } };
}

let root: string | null = null;

/** The kit's package root: the nearest folder above this module whose package.json is named ipa-kit. */
export function kitRoot(): string {
  if (root) return root;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const meta = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (meta.name === KERNEL_NAME) return (root = dir);
    } catch {
      // no package.json here
    }
    if (path.dirname(dir) === dir) return (root = path.resolve(__dirname, '..', '..'));
  }
}

/** The kit's version from package.json. */
export function kitVersion(): string {
  const meta = JSON.parse(fs.readFileSync(path.join(kitRoot(), 'package.json'), 'utf8')) as { version?: string };
  return meta.version ?? '0.0.0';
}

/** The compiled kernel entry point that the kernelspec starts. */
export function kernelLauncherPath(): string {
  return path.join(kitRoot(), 'dist', 'notebook', 'kernel-main.js');
}

/** The kernelspec of this checkout: the running Node and this project's kernel entry point. */
export function kernelSpec(): KernelSpec {
  return {
    argv: [process.execPath, kernelLauncherPath(), '{connection_file}'],
    display_name: KERNEL_DISPLAY_NAME,
    language: 'typescript',
    interrupt_mode: 'signal',
    metadata: { ipa_kit: { root: kitRoot(), version: kitVersion() } },
  };
}

/** Jupyter's per-user data folder ($JUPYTER_DATA_DIR, else the platform's default). */
export function jupyterUserDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return path.resolve(process.env.JUPYTER_DATA_DIR);
  const home = os.homedir();
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Jupyter');
  if (process.platform === 'win32') return path.join(process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'jupyter');
  return path.join(process.env.XDG_DATA_HOME || path.join(home, '.local', 'share'), 'jupyter');
}

/** Where to install: the user's Jupyter data folder, or `PREFIX/share/jupyter` (as `jupyter kernelspec install --prefix`). */
export type KernelTarget = { user: true } | { prefix: string };

/** The kernelspec folder for a target. */
export function kernelSpecDir(target: KernelTarget): string {
  const base = 'prefix' in target ? path.join(path.resolve(target.prefix), 'share', 'jupyter') : jupyterUserDataDir();
  return path.join(base, 'kernels', KERNEL_NAME);
}

/** Whether the kernelspec in `dir` is missing, current (starts this checkout), or stale (another path or Node). */
export function kernelSpecState(dir: string): 'missing' | 'current' | 'stale' {
  let spec: Partial<KernelSpec>;
  try {
    spec = JSON.parse(fs.readFileSync(path.join(dir, 'kernel.json'), 'utf8')) as Partial<KernelSpec>;
  } catch {
    return 'missing';
  }
  return JSON.stringify(spec.argv) === JSON.stringify(kernelSpec().argv) && spec.display_name === KERNEL_DISPLAY_NAME ? 'current' : 'stale';
}

/**
 * Make `ipa-kit` importable by name from notebooks. Node resolves the package's own name (self-reference through
 * package.json `exports`), but tslab type-checks cells with Node10 module resolution, which does not: a small
 * package stub in node_modules points its types and entry at the built kit. Idempotent.
 */
export function ensureSelfReference(root = kitRoot()): void {
  const dir = path.join(root, 'node_modules', KERNEL_NAME);
  const stub = {
    name: KERNEL_NAME,
    private: true,
    description: 'written by ipa-kit: lets notebooks import the built kit in this checkout by name',
    main: '../../dist/index.js',
    types: '../../dist/index.d.ts',
  };
  const text = `${JSON.stringify(stub, null, 2)}\n`;
  const file = path.join(dir, 'package.json');
  if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) return;
  if (fs.existsSync(dir) && fs.lstatSync(dir).isSymbolicLink()) return; // a link to the checkout works as well
  writeFileAtomic(file, text);
}

/** Install (or refresh) the kernelspec; returns its folder and what was done. */
export function installKernelSpec(target: KernelTarget): { dir: string; action: 'installed' | 'updated' | 'unchanged' } {
  const dir = kernelSpecDir(target);
  ensureSelfReference();
  const state = kernelSpecState(dir);
  if (state === 'current') return { dir, action: 'unchanged' };
  writeDirAtomic(dir, (tmp) => writeJsonAtomic(path.join(tmp, 'kernel.json'), kernelSpec()));
  return { dir, action: state === 'missing' ? 'installed' : 'updated' };
}

/** Options for starting a kernel. */
export interface StartKernelOptions {
  /** Working folder of the kernel (Jupyter uses the notebook's folder). */
  cwd: string;
  /** Extra environment variables for the kernel. */
  env?: Record<string, string>;
  /** Seconds to wait for the kernel to answer its first request. */
  startupTimeoutS?: number;
}

/** How a kernel process ended. */
export interface KernelExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const live = new Set<KernelProcess>();
let handlersInstalled = false;

function onParentSignal(signal: NodeJS.Signals): void {
  for (const k of [...live]) k.kill();
  process.stderr.write(`ipa-kit: ${signal}: stopped the kernel\n`);
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

function onParentExit(): void {
  for (const k of [...live]) k.kill();
}

function track(k: KernelProcess): void {
  live.add(k);
  if (!handlersInstalled) {
    handlersInstalled = true;
    process.on('SIGINT', onParentSignal);
    process.on('SIGTERM', onParentSignal);
    process.on('exit', onParentExit);
  }
}

function untrack(k: KernelProcess): void {
  live.delete(k);
  if (live.size === 0 && handlersInstalled) {
    handlersInstalled = false;
    process.off('SIGINT', onParentSignal);
    process.off('SIGTERM', onParentSignal);
    process.off('exit', onParentExit);
  }
}

/** A running `ipa-kit` kernel: its process group, its connection and a client. */
export class KernelProcess {
  readonly client: KernelClient;
  /** Resolves when the kernel process has exited. */
  readonly exited: Promise<KernelExit>;
  /** Kernel info reply content (language_info and so on), filled by `start`. */
  info: Record<string, unknown> = {};
  private exit: KernelExit | null = null;
  private output = '';
  private stopped = false;

  private constructor(
    private readonly child: ChildProcess,
    readonly connection: ConnectionInfo,
    private readonly connectionDir: string,
  ) {
    this.client = new KernelClient(connection);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-8192);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
  }

  /** Start a kernel and wait until it answers; throws (having cleaned up) if it dies or does not answer in time. */
  static async start(opts: StartKernelOptions): Promise<KernelProcess> {
    const launcher = kernelLauncherPath();
    if (!fs.existsSync(launcher)) throw new Error(`the kernel entry point ${launcher} is missing: run \`npm run build\``);
    ensureSelfReference();
    const connection = await newConnectionInfo(KERNEL_NAME);
    const connectionDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-kit-kernel-'));
    const connectionFile = path.join(connectionDir, 'kernel.json');
    fs.writeFileSync(connectionFile, JSON.stringify(connection), { mode: 0o600 });
    const child = spawn(process.execPath, [launcher, connectionFile], {
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env, IPA_KERNEL_PARENT_PID: String(process.pid) },
      detached: true, // its own process group, so that everything it starts can be stopped together
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const k = new KernelProcess(child, connection, connectionDir);
    track(k);
    const timeoutS = opts.startupTimeoutS ?? 60;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(`no answer within ${timeoutS} s`), timeoutS * 1000);
    void k.exited.then(() => ac.abort('the kernel process exited'));
    try {
      k.info = await k.client.waitReady(ac.signal);
      return k;
    } catch {
      const why = k.exit ? `it exited (${describeExit(k.exit)})` : `it did not answer within ${timeoutS} s`;
      const tail = k.outputTail();
      k.kill();
      throw new Error(`the ipa-kit kernel did not start: ${why}${tail ? `; its last output: ${tail}` : ''}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Process id of the kernel (also its process group id). */
  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** How the process ended, or null while it runs. */
  get exitStatus(): KernelExit | null {
    return this.exit;
  }

  /** The last lines the kernel process wrote to its own stdout/stderr, on one line. */
  outputTail(lines = 5): string {
    return this.output
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l)
      .slice(-lines)
      .join(' | ');
  }

  /** Ask the kernel to shut down, then stop its whole process group. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.stopped) return;
    if (!this.exit) {
      await this.client.shutdown(graceMs);
      await Promise.race([this.exited, new Promise((r) => setTimeout(r, graceMs).unref())]);
    }
    this.kill();
  }

  /** Kill the kernel's process group now (synchronous; safe to call twice). */
  kill(): void {
    if (this.stopped) return;
    this.stopped = true;
    const pid = this.child.pid;
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // the group is already gone
      }
    }
    this.client.close();
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
    fs.rmSync(this.connectionDir, { recursive: true, force: true });
    untrack(this);
  }
}

/** A kernel exit in words. */
export function describeExit(e: KernelExit): string {
  return e.signal ? `killed by ${e.signal}` : `exit code ${e.code}`;
}
