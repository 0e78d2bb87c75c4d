/**
 * The kit's environment variables that core reads, each checked like a command-line flag: a bad value is a
 * UsageError (exit 2, one line) naming the variable and what it takes. The CLI checks every variable of the kit
 * before any command runs (cli.ts `checkEnvironment`), including those read by higher layers (IPA_ENGINE,
 * IPA_BACKEND, IPA_PROFILE).
 */
import { UsageError } from './errors';

/** The most worker threads IPA_WORKERS or --workers may ask for. */
export const MAX_WORKERS = 64;

/** IPA_WORKERS: an integer in 1..MAX_WORKERS, or undefined when unset (or empty). */
export function envWorkers(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env.IPA_WORKERS;
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isInteger(n) || n < 1 || n > MAX_WORKERS) {
    throw new UsageError(`IPA_WORKERS must be an integer from 1 to ${MAX_WORKERS}, got '${v}'`);
  }
  return n;
}

/** IPA_FUSED: '1' or unset (the kit's wasm kernels on), '0' (the composed tfjs ops, asked for by name). */
export function envFused(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.IPA_FUSED;
  if (v === undefined || v === '' || v === '1') return true;
  if (v === '0') return false;
  throw new UsageError(`IPA_FUSED must be 0 (the composed tfjs ops) or 1 (the kit's wasm kernels, the default), got '${v}'`);
}
