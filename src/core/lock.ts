/**
 * One writer per folder: a run holds a lock on each folder it writes (a study's data and results folders), as a
 * sibling file `.<name>.ipa-lock` (the folder itself may not exist yet, and its contents are checked by name). The
 * lock file is created exclusively (O_EXCL) and holds the holder's process id, start time and command. A second run
 * on a held folder is a UsageError (exit 2) naming the holder; a stale lock, whose process is gone, is taken over
 * with a message. Locks are released when the holder exits (or by `release`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UsageError } from './errors';
import { processAlive } from './files';

/** What a lock file holds. */
export interface LockHolder {
  pid: number;
  started: string;
  command: string;
}

/** The lock file of a folder. */
export function lockFileOf(dir: string): string {
  const abs = path.resolve(dir);
  return path.join(path.dirname(abs), `.${path.basename(abs)}.ipa-lock`);
}

function readHolder(file: string): LockHolder | null {
  try {
    const h = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof h.pid === 'number' && Number.isInteger(h.pid) ? { pid: h.pid, started: String(h.started ?? '?'), command: String(h.command ?? '?') } : null;
  } catch {
    return null; // unreadable or half-written by a holder that died: stale
  }
}

/** Locks this process holds, by lock file (a process may take a folder's lock again: re-entrant). */
const held = new Map<string, number>();
let exitHook = false;

/**
 * Take the lock of each folder for this process, in order; `note` receives one line per stale lock taken over.
 * Returns a function that releases them. A folder held by a live process is a UsageError naming it.
 */
export function lockFolders(dirs: readonly string[], command: string, note: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): () => void {
  const taken: string[] = [];
  try {
    for (const dir of [...new Set(dirs.map((d) => path.resolve(d)))]) {
      const file = lockFileOf(dir);
      const mine = held.get(file);
      if (mine !== undefined) {
        held.set(file, mine + 1);
        taken.push(file);
        continue;
      }
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const me: LockHolder = { pid: process.pid, started: new Date().toISOString(), command };
      for (let attempt = 0; ; attempt++) {
        try {
          const fd = fs.openSync(file, 'wx');
          try {
            fs.writeSync(fd, `${JSON.stringify(me)}\n`);
          } finally {
            fs.closeSync(fd);
          }
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 3) throw err;
          const h = readHolder(file);
          if (h && h.pid !== process.pid && processAlive(h.pid)) {
            throw new UsageError(`${dir} is in use by another run: process ${h.pid} ('${h.command}', started ${h.started}); wait for it to finish, or stop it`);
          }
          note(`taking over the stale lock of ${dir}${h ? ` (process ${h.pid}, '${h.command}', started ${h.started}, is gone)` : ' (unreadable)'}`);
          fs.rmSync(file, { force: true });
        }
      }
      held.set(file, 1);
      taken.push(file);
    }
  } catch (err) {
    releaseFiles(taken);
    throw err;
  }
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const f of held.keys()) fs.rmSync(f, { force: true });
    });
  }
  let done = false;
  return () => {
    if (!done) releaseFiles(taken);
    done = true;
  };
}

function releaseFiles(files: readonly string[]): void {
  for (const f of files) {
    const n = held.get(f) ?? 0;
    if (n > 1) held.set(f, n - 1);
    else {
      held.delete(f);
      const h = readHolder(f);
      if (h && h.pid === process.pid) fs.rmSync(f, { force: true });
    }
  }
}
