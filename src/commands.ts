/** The registry of `ipa-kit` subcommands, in pipeline order. */
import type { Command } from './repro/args';
import { envCommand } from './gpu/command';
import { worldCommand } from './world/command';
import { perceptionCommand } from './perception/command';
import { benchCommand, kernelCommand, reproduceCommand, runCommand } from './repro/command';
import { pretrainCommand, sampleCommand } from './model/command';
import { generateCommand, selectCommand } from './select/command';
import { evaluateCommand } from './eval/command';
import { alignCommand, sweepCommand, tuneCommand } from './align/command';

export const COMMANDS: Record<string, Command> = {
  env: envCommand,
  kernel: kernelCommand,
  run: runCommand,
  reproduce: reproduceCommand,
  world: worldCommand,
  pretrain: pretrainCommand,
  perception: perceptionCommand,
  sample: sampleCommand,
  generate: generateCommand,
  select: selectCommand,
  evaluate: evaluateCommand,
  align: alignCommand,
  tune: tuneCommand,
  sweep: sweepCommand,
  bench: benchCommand,
};
