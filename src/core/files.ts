/**
 * Files: atomic writes (nothing half-written), SHA-256 hashes, JSON with clear errors, and typed binary arrays.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crashPoint } from './crash';
import { DataError, IoError, UsageError } from './errors';

export function sha256(data: Uint8Array | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

export function sha256File(file: string): string {
  return sha256(fs.readFileSync(file));
}

/** The file-system calls writeFileAtomic makes (a test swaps them for ones that fail on the Nth write). */
export interface WriteFs {
  openSync(file: string, flags: string): number;
  writeSync(fd: number, data: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  rmSync(file: string, opts: { force: boolean }): void;
}

const NODE_FS: WriteFs = {
  openSync: (f, flags) => fs.openSync(f, flags),
  writeSync: (fd, data, offset, length) => fs.writeSync(fd, data, offset, length),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  closeSync: (fd) => fs.closeSync(fd),
  renameSync: (a, b) => fs.renameSync(a, b),
  rmSync: (f, o) => fs.rmSync(f, o),
};

/**
 * Write a file atomically: a temporary file in the same folder, every byte written (a short write is continued, a
 * write that makes no progress is an error), fsync, then rename over the target. On any error the temporary file is
 * removed and the target is left as it was, and the error is an IoError naming the path (a crash leaves the old
 * file or the new one; the crash point `replace-<name>` sits just before the rename).
 */
export function writeFileAtomic(file: string, data: Uint8Array | string, io: WriteFs = NODE_FS): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  let fd: number | null = null;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fd = io.openSync(tmp, 'w');
    for (let done = 0; done < bytes.byteLength; ) {
      const n = io.writeSync(fd, bytes, done, bytes.byteLength - done);
      if (!(n > 0)) throw new Error(`wrote ${done} of ${bytes.byteLength} bytes (the last write made no progress)`);
      done += n;
    }
    io.fsyncSync(fd);
    const closing = fd;
    fd = null;
    io.closeSync(closing);
    crashPoint(`replace-${path.basename(file)}`);
    io.renameSync(tmp, file);
  } catch (err) {
    if (fd !== null) {
      try {
        io.closeSync(fd);
      } catch {
        // the write's own error is the one to report
      }
    }
    try {
      io.rmSync(tmp, { force: true });
    } catch {
      // best effort: a temporary file left behind never carries the final name
    }
    if (err instanceof IoError) throw err;
    throw new IoError(`cannot write ${file}: ${(err as Error).message}`);
  }
}

/** JSON with two-space indent and a trailing newline, written atomically. */
export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, `${JSON.stringify(value, null, 2)}\n`);
}

/** Read and parse a JSON file; a missing or malformed file is a DataError naming it. */
export function readJson<T>(file: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new DataError(`missing file: ${file}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new DataError(`not valid JSON: ${file} (${(err as Error).message.replace(/\s+/g, ' ')})`);
  }
}

/** Bytes of a typed array (a view, no copy). */
export function bytesOf(a: Uint8Array | Float32Array | Int32Array | Uint16Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export type ArrayDType = 'uint8' | 'float32' | 'int32' | 'uint16';

/** Read a raw little-endian typed array, checking its size against the expected element count. */
export function readTypedArray(file: string, dtype: ArrayDType, count: number): Uint8Array | Float32Array | Int32Array | Uint16Array {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    throw new DataError(`missing file: ${file}`);
  }
  const width = dtype === 'uint8' ? 1 : dtype === 'uint16' ? 2 : 4;
  if (buf.byteLength !== count * width) {
    throw new DataError(`${file} has ${buf.byteLength} bytes, expected ${count * width} (${count} ${dtype}): truncated or wrong file`);
  }
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  switch (dtype) {
    case 'uint8':
      return copy;
    case 'uint16':
      return new Uint16Array(copy.buffer);
    case 'int32':
      return new Int32Array(copy.buffer);
    default:
      return new Float32Array(copy.buffer);
  }
}

/** Remove a folder tree if it exists. */
export function removeTree(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/**
 * A kind of folder the kit writes, and how to recognise one it wrote: its marker file (the folder's manifest),
 * a test that the marker is the kit's (its format field), and the entries the kit writes there.
 */
export interface FolderKind {
  /** Names the kind in messages ('world', 'checkpoint', ...). */
  what: string;
  /** The manifest file that marks a folder of this kind; null for a kind without one (see `allows`). */
  marker: string | null;
  /** Whether the parsed marker was written by the kit (e.g. its `format` field). */
  owned(marker: unknown): boolean;
  /** The entries (besides the marker) the kit writes into such a folder, given its parsed marker. */
  entries(marker: unknown): string[];
  /** Names the kit writes there whatever the marker says (a kind without a marker: all of them). */
  allows?: (name: string) => boolean;
}

const asRecord = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** The kind of a folder whose marker holds `format` (exactly, or a string starting with `formatPrefix`) and `files`. */
export function manifestFolder(what: string, marker: string, format: string | { prefix: string }, more: (marker: Record<string, unknown>) => string[] = () => []): FolderKind {
  return {
    what,
    marker,
    owned: (m) => {
      const f = asRecord(m).format;
      return typeof f === 'string' && (typeof format === 'string' ? f === format : f.startsWith(format.prefix));
    },
    entries: (m) => [...Object.keys(asRecord(asRecord(m).files)), ...more(asRecord(m))],
  };
}

/** Whether a process with this id is running (EPERM: it runs as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Check that `dir` may be replaced by a new folder of this kind: it does not exist, is empty, or is a folder the
 * kit wrote (its marker is the kit's) holding nothing the kit did not write. Anything else (a user's folder, a
 * file, a kit folder with a user's file added) is a UsageError that leaves it untouched.
 */
export function assertReplaceable(dir: string, kind: FolderKind): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new UsageError(`cannot write ${dir} (${code ?? (err as Error).message}): choose another folder`);
  }
  if (!st.isDirectory()) throw new UsageError(`${dir} exists and is not a folder: choose another folder`);
  const names = fs.readdirSync(dir);
  if (names.length === 0) return;
  const leave = `it was left as it is: choose another folder, or remove it yourself`;
  let known = new Set<string>();
  if (kind.marker !== null) {
    let marker: unknown;
    try {
      marker = JSON.parse(fs.readFileSync(path.join(dir, kind.marker), 'utf8'));
    } catch {
      throw new UsageError(`${dir} is not a ${kind.what} folder written by ipa-kit (no readable ${kind.marker}); ${leave}`);
    }
    if (!kind.owned(marker)) throw new UsageError(`${dir} is not a ${kind.what} folder written by ipa-kit (${kind.marker} lacks the kit's format marker); ${leave}`);
    known = new Set([kind.marker, ...kind.entries(marker)]);
  }
  const foreign = names.filter((n) => !known.has(n) && !kind.allows?.(n));
  if (foreign.length) {
    throw new UsageError(`${dir} holds ${foreign.slice(0, 3).map((n) => `'${n}'`).join(', ')}${foreign.length > 3 ? ` and ${foreign.length - 3} more` : ''}, which ipa-kit did not write; ${leave}`);
  }
}

/** Check that a folder the kit writes files into (not replacing it) holds only entries it writes there. */
export function assertOnlyEntries(dir: string, allowed: (name: string) => boolean, what: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    throw new UsageError(code === 'ENOTDIR' ? `${dir} exists and is not a folder: choose another folder` : `cannot use ${dir} (${code ?? (err as Error).message})`);
  }
  const foreign = names.filter((n) => !allowed(n) && !/\.tmp$/.test(n));
  if (foreign.length) {
    throw new UsageError(`${dir} is not a ${what} folder: it holds ${foreign.slice(0, 3).map((n) => `'${n}'`).join(', ')}${foreign.length > 3 ? ` and ${foreign.length - 3} more` : ''}, which ipa-kit did not write; choose another folder`);
  }
}

/** Where writeDirAtomic keeps the previous folder while the new one is moved into place. */
function backupOf(dir: string): string {
  return path.join(path.dirname(dir), `.${path.basename(dir)}.old`);
}

/** fsync a file or folder (folders: where the platform allows it). */
function fsyncPath(p: string): void {
  let fd: number;
  try {
    fd = fs.openSync(p, 'r');
  } catch {
    return; // a folder on a platform that cannot open one
  }
  try {
    fs.fsyncSync(fd);
  } catch {
    // folders that cannot be synced (some filesystems)
  } finally {
    fs.closeSync(fd);
  }
}

/** fsync every file under `dir`, then the folders themselves (deepest first). */
export function syncTree(dir: string): void {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) syncTree(p);
    else if (e.isFile()) fsyncPath(p);
  }
  fsyncPath(dir);
}

/**
 * Finish or undo a folder swap that a crash interrupted (see writeDirAtomic), and remove temporary folders of
 * processes that are gone. Called before a folder is read or written; does nothing in the normal case.
 */
export function recoverDir(dir: string): void {
  const parent = path.dirname(dir);
  const base = path.basename(dir);
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  // `.<name>.old` (this version) or `<name>.old.<pid>` (earlier ones): the previous folder of a swap.
  const backups = names.filter((n) => n === `.${base}.old` || (n.startsWith(`${base}.old.`) && /^\d+$/.test(n.slice(base.length + 5))));
  try {
    for (const b of backups) {
      const p = path.join(parent, b);
      if (!fs.existsSync(dir)) {
        fs.renameSync(p, dir); // the crash came between the two renames: the previous folder is put back
        fsyncPath(parent);
      } else {
        removeTree(p); // the new folder is in place: the previous one is no longer needed
      }
    }
    const tmp = new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)\\.[0-9a-f]{8}\\.tmp$`);
    for (const n of names) {
      const m = tmp.exec(n);
      if (m && !processAlive(Number(m[1]))) removeTree(path.join(parent, n));
    }
  } catch {
    // a read-only checkout: nothing to recover there
  }
}

/**
 * Write a folder atomically: `fill(tmpDir)` writes into a fresh temporary sibling, whose files are fsynced; then
 * the existing `dir` (if any) is renamed to `.<name>.old`, the new folder is renamed to `dir`, and the old one is
 * removed. A crash at any point leaves the old folder or the new one, complete: `recoverDir` (called here and by
 * the readers) puts the old one back when the crash came between the two renames. An existing `dir` is replaced
 * only when it is a folder of `kind` that the kit wrote (see assertReplaceable).
 */
export function writeDirAtomic(dir: string, fill: (tmpDir: string) => void, kind: FolderKind): void {
  recoverDir(dir);
  assertReplaceable(dir, kind);
  const parent = path.dirname(dir);
  try {
    fs.mkdirSync(parent, { recursive: true });
  } catch (err) {
    throw new UsageError(`cannot create the folder ${parent} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): choose another folder`);
  }
  const tmp = path.join(parent, `.${path.basename(dir)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  removeTree(tmp);
  fs.mkdirSync(tmp, { recursive: true });
  try {
    fill(tmp);
    syncTree(tmp);
  } catch (err) {
    removeTree(tmp);
    // A failed system call (ENOSPC, EIO, ...) names the folder; the kit's own errors pass as they are.
    if (typeof (err as NodeJS.ErrnoException).code === 'string' && !(err instanceof IoError)) throw new IoError(`cannot write ${dir}: ${(err as Error).message}`);
    throw err;
  }
  const old = backupOf(dir);
  if (fs.existsSync(dir)) {
    fs.renameSync(dir, old);
    fsyncPath(parent);
  }
  crashPoint('dir-swap');
  fs.renameSync(tmp, dir);
  fsyncPath(parent);
  removeTree(old);
}
