/** The registry of `ipa-kit` subcommands, in pipeline order. */
import type { Command } from './repro/args';
import { envCommand } from './gpu/command';
import { worldCommand } from './world/command';
import { perceptionCommand } from './perception/command';
import { benchCommand, kernelCommand, reproduceCommand, runCommand } from './repro/command';

export const COMMANDS: Record<string, Command> = {
  env: envCommand,
  kernel: kernelCommand,
  run: runCommand,
  reproduce: reproduceCommand,
  world: worldCommand,
  perception: perceptionCommand,
  bench: benchCommand,
};
