/**
 * Files: atomic writes (nothing half-written), SHA-256 hashes, JSON with clear errors, and typed binary arrays.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataError } from './errors';

export function sha256(data: Uint8Array | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

export function sha256File(file: string): string {
  return sha256(fs.readFileSync(file));
}

/** Write a file atomically: a temporary file in the same folder, fsync, then rename over the target. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
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
    throw new DataError(`not valid JSON: ${file} (${(err as Error).message})`);
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
 * Write a folder atomically: `fill(tmpDir)` writes into a fresh temporary sibling, which is then renamed to
 * `dir` (an existing `dir` is replaced). A crash leaves either the old folder or the new one, never a mix.
 */
export function writeDirAtomic(dir: string, fill: (tmpDir: string) => void): void {
  const parent = path.dirname(dir);
  fs.mkdirSync(parent, { recursive: true });
  const tmp = path.join(parent, `.${path.basename(dir)}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`);
  removeTree(tmp);
  fs.mkdirSync(tmp, { recursive: true });
  try {
    fill(tmp);
    const old = `${dir}.old.${process.pid}`;
    if (fs.existsSync(dir)) fs.renameSync(dir, old);
    fs.renameSync(tmp, dir);
    removeTree(old);
  } catch (err) {
    removeTree(tmp);
    throw err;
  }
}
