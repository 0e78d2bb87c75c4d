/**
 * The `ipa-kit` kernelspec: the file Jupyter reads to start this project's own tslab (no Python needed), where
 * Jupyter looks for it, and the package stub that lets notebooks import the built kit by name.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FolderKind, writeFileAtomic, writeJsonAtomic, writeDirAtomic } from '../core/files';
import { kitRoot, kitVersion } from '../core/kit';

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
  let spec: Partial<KernelSpec> | null;
  try {
    spec = JSON.parse(fs.readFileSync(path.join(dir, 'kernel.json'), 'utf8')) as Partial<KernelSpec> | null;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'stale';
  }
  if (typeof spec !== 'object' || spec === null) return 'stale';
  return JSON.stringify(spec.argv) === JSON.stringify(kernelSpec().argv) && spec.display_name === KERNEL_DISPLAY_NAME ? 'current' : 'stale';
}

/** What the kernelspec in `dir` starts, in words (for messages): its checkout and Node, or why it cannot be read. */
export function describeKernelSpec(dir: string): string {
  try {
    const spec = JSON.parse(fs.readFileSync(path.join(dir, 'kernel.json'), 'utf8')) as Partial<KernelSpec> | null;
    const argv = spec && Array.isArray(spec.argv) ? spec.argv.map(String) : [];
    const root = spec?.metadata?.ipa_kit?.root;
    return typeof root === 'string' ? `the checkout ${root} with ${argv[0] ?? 'an unknown node'}` : `${argv.join(' ') || 'an unreadable command'}`;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'nothing (no kernel.json)' : 'an unreadable kernel.json';
  }
}

/** A kernelspec folder the kit wrote: kernel.json with the kit's metadata, nothing else. */
const KERNELSPEC_FOLDER: FolderKind = {
  what: 'kernelspec',
  marker: 'kernel.json',
  owned: (m) => typeof m === 'object' && m !== null && typeof (m as Partial<KernelSpec>).metadata?.ipa_kit === 'object',
  entries: () => [],
};

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

/** What installKernelSpec did, with what the spec started before (`before`) and starts now (`now`), in words. */
export interface KernelSpecChange {
  dir: string;
  /** 'kept': a stale spec (another checkout or Node) left as it was, because `update` was not asked for. */
  action: 'installed' | 'updated' | 'unchanged' | 'kept';
  before: string;
  now: string;
}

/**
 * Install the kernelspec when it is missing; refresh a stale one (another checkout or Node) only with `update`
 * (`ipa-kit kernel install` asks for it, `reproduce` only with --install-kernel). A spec the kit did not write
 * is never replaced (UsageError).
 */
export function installKernelSpec(target: KernelTarget, opts: { update?: boolean } = { update: true }): KernelSpecChange {
  const dir = kernelSpecDir(target);
  ensureSelfReference();
  const state = kernelSpecState(dir);
  const before = describeKernelSpec(dir);
  const now = `the checkout ${kitRoot()} with ${process.execPath}`;
  if (state === 'current') return { dir, action: 'unchanged', before, now: before };
  if (state === 'stale' && !opts.update) return { dir, action: 'kept', before, now: before };
  writeDirAtomic(dir, (tmp) => writeJsonAtomic(path.join(tmp, 'kernel.json'), kernelSpec()), KERNELSPEC_FOLDER);
  return { dir, action: state === 'missing' ? 'installed' : 'updated', before, now };
}

/** One line saying what installKernelSpec changed (or why it changed nothing). */
export function kernelSpecMessage(c: KernelSpecChange): string {
  switch (c.action) {
    case 'installed':
      return `kernelspec '${KERNEL_NAME}' installed: ${c.dir} (starts ${c.now})`;
    case 'updated':
      return `kernelspec '${KERNEL_NAME}' updated: ${c.dir} (it started ${c.before}; now ${c.now})`;
    case 'unchanged':
      return `kernelspec '${KERNEL_NAME}' unchanged: ${c.dir} (starts ${c.now})`;
    default:
      return `kernelspec '${KERNEL_NAME}' at ${c.dir} starts ${c.before}, not this checkout: left as it is (reproduce does not need it; --install-kernel or 'ipa-kit kernel install' points it here)`;
  }
}
