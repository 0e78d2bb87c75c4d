/** The registry of `ipa-kit` subcommands, in pipeline order. */
import type { Command } from './repro/args';
import { envCommand } from './gpu/command';
import { worldCommand } from './world/command';

export const COMMANDS: Record<string, Command> = {
  env: envCommand,
  world: worldCommand,
};
