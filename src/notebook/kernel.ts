/**
 * The kernel process: the `ipa-kit` kernel started in its own process group, reached over the Jupyter protocol,
 * and always cleaned up (on exit and on the parent's signals).
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { processAlive } from '../core/files';
import { KERNEL_NAME, ensureSelfReference, kernelLauncherPath } from './kernelspec';
import { ConnectionInfo, KernelClient, newConnectionInfo } from './protocol';

/** The prefix of the temporary folders that hold a running kernel's connection file (with its HMAC key). */
const CONNECTION_PREFIX = 'ipa-kit-kernel-';

/**
 * Remove connection folders (`ipa-kit-kernel-<pid>-*` in the temporary folder, with their HMAC keys) whose
 * process is gone, e.g. after the runner was killed with SIGKILL; only this user's. Returns the folders removed.
 */
export function removeStaleConnections(tmp = os.tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(tmp);
  } catch {
    return removed;
  }
  const uid = typeof process.getuid === 'function' ? process.getuid() : null;
  for (const n of names) {
    const m = new RegExp(`^${CONNECTION_PREFIX}(\\d+)-[A-Za-z0-9]{6}$`).exec(n);
    if (!m || processAlive(Number(m[1]))) continue;
    const p = path.join(tmp, n);
    try {
      const st = fs.lstatSync(p);
      if (!st.isDirectory() || (uid !== null && st.uid !== uid)) continue;
      fs.rmSync(p, { recursive: true, force: true });
      removed.push(p);
    } catch {
      // gone meanwhile, or not ours to remove
    }
  }
  return removed;
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

/** How often a kernel whose ports were taken at startup is started again on new ports. */
const PORT_RETRIES = 3;
/** What zeromq says when a port the kernel binds is already taken. */
const PORT_TAKEN = /EBUSY|EADDRINUSE|address already in use|socket is busy/i;

/** Whether a starting kernel's output says that one of its ports was taken (it is then started again on new ports). */
export function kernelPortTaken(output: string): boolean {
  return PORT_TAKEN.test(output);
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

  /**
   * Start a kernel and wait until it answers; throws (having cleaned up) if it dies or does not answer in time.
   * A kernel whose ports were taken at startup (the ports are chosen free, then bound by the kernel: another process
   * can take one in between; zeromq says EBUSY, seen once in a fresh-clone test run) is stopped and started again on
   * new ports, up to `PORT_RETRIES` times.
   */
  static async start(opts: StartKernelOptions): Promise<KernelProcess> {
    for (let attempt = 1; ; attempt++) {
      const r = await KernelProcess.startOnce(opts);
      if (r.kernel) return r.kernel;
      if (!(r.portRace && attempt <= PORT_RETRIES)) throw new Error(r.error);
    }
  }

  private static async startOnce(opts: StartKernelOptions): Promise<{ kernel: KernelProcess; error?: undefined; portRace?: undefined } | { kernel: null; error: string; portRace: boolean }> {
    const launcher = kernelLauncherPath();
    if (!fs.existsSync(launcher)) throw new Error(`the kernel entry point ${launcher} is missing: run \`npm run build\``);
    ensureSelfReference();
    removeStaleConnections();
    const connection = await newConnectionInfo(KERNEL_NAME);
    const connectionDir = fs.mkdtempSync(path.join(os.tmpdir(), `${CONNECTION_PREFIX}${process.pid}-`));
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
    // tslab reports a taken port as an unhandled error and stays alive without answering: stop waiting at once.
    const watch = setInterval(() => kernelPortTaken(k.output) && ac.abort('a port was taken'), 100);
    try {
      k.info = await k.client.waitReady(ac.signal);
      return { kernel: k };
    } catch {
      const portRace = kernelPortTaken(k.output);
      const why = k.exit ? `it exited (${describeExit(k.exit)})` : portRace ? 'a port it was given was taken (EBUSY)' : `it did not answer within ${timeoutS} s`;
      const tail = k.outputTail();
      k.kill();
      return { kernel: null, error: `the ipa-kit kernel did not start: ${why}${tail ? `; its last output: ${tail}` : ''}`, portRace };
    } finally {
      clearTimeout(timer);
      clearInterval(watch);
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
