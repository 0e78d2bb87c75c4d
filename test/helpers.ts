/** Shared test helpers: backend setup and numeric comparison. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { main } from '../src/cli';
import { initBackend } from '../src/gpu';
import { DitConfig } from '../src/model/config';

/** Use the wasm backend (the default backend of the kit) for a test file. */
export async function useWasm(): Promise<void> {
  await initBackend({ backend: 'wasm' });
}

/** Assert two arrays agree within absolute + relative tolerance, naming the first mismatch. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-4, what = 'values'): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e)))) {
      assert.fail(`${what}[${i}]: ${a} != ${e} (tol ${tol})`);
    }
  }
}

/** Values of a tensor as a plain array. */
export function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/** A tiny model for fast tests. */
export const TINY: DitConfig = { height: 16, width: 16, channels: 3, frames: 3, condChannels: 6, patch: 4, dim: 16, depth: 2, heads: 2, mlpRatio: 2, freqDim: 8 };

/** Run the `ipa-kit` CLI in-process, capturing stdout and stderr. */
export async function cliInProcess(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const w1 = process.stdout.write.bind(process.stdout);
  const w2 = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string | Uint8Array) => ((out += String(s)), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((err += String(s)), true)) as typeof process.stderr.write;
  try {
    return { code: await main(args), out, err };
  } finally {
    process.stdout.write = w1;
    process.stderr.write = w2;
  }
}

/**
 * Run `fn` while recording every fsync: returns the paths (or `fd N` for descriptors not opened meanwhile) in the
 * order they were synced. The real `openSync`/`fsyncSync` are restored afterwards.
 */
export async function recordFsyncs(fn: () => unknown): Promise<string[]> {
  const real = require('node:fs') as typeof fs;
  const open = real.openSync;
  const sync = real.fsyncSync;
  const names = new Map<number, string>();
  const synced: string[] = [];
  real.openSync = ((p: fs.PathLike, ...rest: unknown[]) => {
    const fd = (open as (...a: unknown[]) => number)(p, ...rest);
    names.set(fd, String(p));
    return fd;
  }) as typeof fs.openSync;
  real.fsyncSync = ((fd: number) => {
    synced.push(names.get(fd) ?? `fd ${fd}`);
    return sync(fd);
  }) as typeof fs.fsyncSync;
  try {
    await fn();
  } finally {
    real.openSync = open;
    real.fsyncSync = sync;
  }
  return synced;
}
