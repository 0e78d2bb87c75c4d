/**
 * Crash points for tests: the places where a crash would be most harmful (between the two renames of a folder
 * swap, before a trimmed log replaces the old one) call `crashPoint(name)`. With `IPA_TEST_CRASH_AT=name` (or
 * `name:N` for the N-th pass) in the environment the process kills itself there with SIGKILL, so no `finally`
 * or exit handler runs: exactly what a power cut or `kill -9` leaves. Without the variable it does nothing.
 */

const passes = new Map<string, number>();

/** The environment variable that names the crash point (and pass) to die at. */
export const CRASH_ENV = 'IPA_TEST_CRASH_AT';

/** Die here (SIGKILL) when IPA_TEST_CRASH_AT names this point and pass; else return at once. */
export function crashPoint(name: string): void {
  const want = process.env[CRASH_ENV];
  if (!want) return;
  const [point, nth] = want.split(':');
  if (point !== name) return;
  const n = (passes.get(name) ?? 0) + 1;
  passes.set(name, n);
  if (n !== Number(nth ?? 1)) return;
  process.kill(process.pid, 'SIGKILL');
  throw new Error(`crash point ${name}: SIGKILL was not delivered`);
}
