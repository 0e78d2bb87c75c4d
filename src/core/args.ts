/** Command-line arguments: a small strict parser whose errors are UsageErrors (exit code 2, one line). */
import { UsageError } from './errors';
import { Range, rangeText } from './ranges';

export interface ParsedArgs {
  positional: string[];
  flags: Record<string, string | true>;
}

/**
 * Parse `--name value`, `--name=value` and boolean `--name` flags. `booleans` lists flags that take no value;
 * `known` lists every accepted flag (an unknown flag is an error naming it).
 */
export function parseArgs(argv: string[], known: readonly string[], booleans: readonly string[] = []): ParsedArgs {
  const positional: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
    if (!known.includes(name)) {
      throw new UsageError(`unknown option --${name}${known.length ? ` (options: ${known.map((k) => `--${k}`).join(', ')})` : ''}`);
    }
    if (booleans.includes(name)) {
      if (eq >= 0) throw new UsageError(`option --${name} takes no value`);
      flags[name] = true;
    } else if (eq >= 0) {
      flags[name] = a.slice(eq + 1);
    } else {
      const v = argv[i + 1];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`option --${name} needs a value`);
      flags[name] = v;
      i++;
    }
  }
  return { positional, flags };
}

/** A string flag, or the default. */
export function str(args: ParsedArgs, name: string, def: string): string;
export function str(args: ParsedArgs, name: string): string | undefined;
export function str(args: ParsedArgs, name: string, def?: string): string | undefined {
  const v = args.flags[name];
  if (v === true) throw new UsageError(`option --${name} needs a value`);
  return v ?? def;
}

/**
 * A numeric flag within its range (core/ranges.ts; an integer when the range says so), or the default. Every
 * numeric flag has a range: a value outside it (or not a number, or empty) is a UsageError that states the range.
 */
export function num(args: ParsedArgs, name: string, def: number, range: Range): number {
  const raw = str(args, name);
  if (raw === undefined) return def;
  const v = Number(raw);
  const kind = range.integer ? 'an integer' : 'a number';
  if (raw.trim() === '' || !Number.isFinite(v) || (range.integer && !Number.isInteger(v))) {
    throw new UsageError(`option --${name} must be ${kind} in ${rangeText(range)}, got '${raw}'`);
  }
  if (v < range.min || v > range.max) throw new UsageError(`option --${name} must be ${kind} in ${rangeText(range)}, got ${raw}`);
  return v;
}

/** A boolean flag. */
export function bool(args: ParsedArgs, name: string): boolean {
  return args.flags[name] === true;
}

/** One `ipa-kit` subcommand: registered in src/commands/index.ts. Returns the exit code. */
export interface Command {
  summary: string;
  help: string;
  run(argv: string[]): Promise<number>;
}
