/** The registry of `ipa-kit` subcommands, in pipeline order. */
import type { Command } from '../core/args';
import { envCommand } from './env';
import { worldCommand } from './world';
import { perceptionCommand } from './perception';
import { benchCommand, kernelCommand, reproduceCommand, runCommand } from './study';
import { pretrainCommand, sampleCommand } from './model';
import { generateCommand, selectCommand } from './select';
import { evaluateCommand } from './evaluate';
import { alignCommand, sweepCommand, tuneCommand } from './align';

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
