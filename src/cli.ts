/**
 * The `ipa-kit` command line. Each command lives in `src/commands/<name>.ts` and is registered in
 * `src/commands/index.ts`. Bad input (unknown command, profile, backend, option; missing or malformed files) exits with
 * code 2 and one line naming the problem; other failures exit 1 with the error message.
 */
import { BackendError } from './gpu';
import { DataError, IoError, UsageError } from './core/errors';
import { COMMANDS } from './commands';
import { envFused, envWorkers } from './core/env';
import { parseBackendChoice } from './gpu/backend';
import { parseEngineChoice } from './model/engine';
import { getProfile } from './study/profiles';

/**
 * Check every environment variable the kit reads, as the flags are checked: a bad value is exit 2 and one line
 * naming the variable (IPA_WORKERS, IPA_FUSED, IPA_ENGINE, IPA_BACKEND, IPA_PROFILE; empty counts as unset).
 */
export function checkEnvironment(env: NodeJS.ProcessEnv = process.env): void {
  envWorkers(env);
  envFused(env);
  const named = (k: string, parse: (v: string) => unknown) => {
    const v = env[k];
    if (v === undefined || v === '') return;
    try {
      parse(v);
    } catch (err) {
      throw new UsageError(`${k}: ${(err as Error).message}`);
    }
  };
  named('IPA_ENGINE', parseEngineChoice);
  named('IPA_BACKEND', parseBackendChoice);
  named('IPA_PROFILE', getProfile);
}

function usage(): string {
  const w = Math.max(...Object.keys(COMMANDS).map((k) => k.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(w)}  ${c.summary}`);
  return `usage: ipa-kit <command> [options]\n\ncommands:\n${lines.join('\n')}\n\nRun 'ipa-kit <command> --help' for a command's options.`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const cmd = COMMANDS[name];
  try {
    if (!cmd) throw new UsageError(`unknown command '${name}' (commands: ${Object.keys(COMMANDS).join(', ')})`);
    if (rest.includes('--help') || rest.includes('-h')) {
      process.stdout.write(`${cmd.help}\n`);
      return 0;
    }
    checkEnvironment();
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof UsageError || err instanceof BackendError || err instanceof DataError) {
      process.stderr.write(`ipa-kit ${name ?? ''}: ${err.message}\n`);
      return 2;
    }
    if (err instanceof IoError) {
      process.stderr.write(`ipa-kit ${name}: ${err.message}\n`);
      return 1;
    }
    const e = err as Error;
    process.stderr.write(`ipa-kit ${name}: ${e?.message ?? String(err)}\n`);
    if (process.env.IPA_DEBUG) process.stderr.write(`${e?.stack ?? ''}\n`);
    return 1;
  }
}
