/** `ipa-kit perception`: train the perception network of a profile's world and print its accuracy on ground-truth test frames. */
import * as path from 'node:path';
import { initBackend } from '../gpu/backend';
import { Command, bool, num, parseArgs, str } from '../core/args';
import { parseWorldSeed } from '../study/context';
import { UsageError } from '../core/errors';
import { DEFAULT_PROFILE, getProfile } from '../study/profiles';
import { tableToMarkdown } from '../report/tables';
import { perceptionConfigFor } from '../study/profiles';
import { PerceptionTrainMetrics, trainPerception } from '../perception/train';
import { SEED, rangeText } from '../core/ranges';

/** Training steps of the perception network (its profiles use a few thousand). */
const PERCEPTION_STEPS = { min: 1, max: 10_000_000, integer: true };

/** The default run folder of a profile's perception network (the study's work folder). */
export function defaultPerceptionDir(profile: string, worldSeed: number): string {
  return path.join('data', 'runs', `${profile}-${worldSeed}`, 'perception');
}

/** One row per test split: frames, hand PCK@0.2 and error, body PCK@0.1 and error, visibility accuracy. */
export function accuracyRows(m: PerceptionTrainMetrics): Record<string, string | number | null>[] {
  return Object.entries(m.accuracy).map(([split, a]) => ({
    split,
    frames: a.frames,
    'hand PCK@0.2': a.handPck,
    'hand error px': a.handErrorPx,
    'body PCK@0.1': a.bodyPck,
    'body error px': a.bodyErrorPx,
    'visibility acc': a.visibilityAccuracy,
  }));
}

/** `ipa-kit perception`. */
export const perceptionCommand: Command = {
  summary: "train the perception network (keypoints + FD features) on the world's ground truth and print its accuracy",
  help: [
    'usage: ipa-kit perception [--profile P] [--world-seed N] [--seed S] [--steps N] [--out DIR] [--resume] [--backend B]',
    '',
    `  --profile P     profile whose world and perception config to use (default ${DEFAULT_PROFILE})`,
    "  --world-seed N  world seed (default: the profile's)",
    `  --seed S        seed of the network's weights (default 1), ${rangeText(SEED)}`,
    `  --steps N       training steps (default: the profile's perception config), ${rangeText(PERCEPTION_STEPS)}`,
    '  --out DIR       run folder (default data/runs/<profile>-<world seed>/perception); the checkpoint is DIR/perception',
    '  --resume        continue the run in DIR from its last checkpoint',
    '  --backend B     auto | tensorflow | webgpu | wasm | cpu (default auto)',
    '',
    "Trains on frames rendered from the world's 'pretrain' stream, then prints hand PCK@0.2, hand keypoint error,",
    "body PCK@0.1 and visibility accuracy on the ground-truth frames of 'test-general' and 'test-hands'.",
  ].join('\n'),
  async run(argv) {
    const args = parseArgs(argv, ['profile', 'world-seed', 'seed', 'steps', 'out', 'resume', 'backend'], ['resume']);
    if (args.positional.length) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
    const profile = getProfile(str(args, 'profile', DEFAULT_PROFILE));
    const rawWorldSeed = str(args, 'world-seed');
    const worldSeed = rawWorldSeed === undefined ? profile.seed : parseWorldSeed(rawWorldSeed, 'option --world-seed');
    const seed = num(args, 'seed', 1, SEED);
    const config = perceptionConfigFor(profile.name);
    config.steps = num(args, 'steps', config.steps, PERCEPTION_STEPS);
    config.warmupSteps = Math.min(config.warmupSteps, config.steps - 1);
    const out = str(args, 'out', defaultPerceptionDir(profile.name, worldSeed));
    const device = await initBackend({ backend: str(args, 'backend') });
    const res = await trainPerception({
      config,
      worldSeed,
      world: profile.world,
      seed,
      outDir: out,
      resume: bool(args, 'resume'),
      info: { command: ['ipa-kit', 'perception', ...argv].join(' '), profile: profile.name, backend: device.backend },
    });
    const m = res.metrics;
    process.stdout.write(`perception ${profile.name}-${worldSeed}: ${m.steps} steps, ${m.params} parameters, ${m.trainSeconds.toFixed(1)} s training on ${device.backend} -> ${res.dir}\n\n`);
    process.stdout.write(tableToMarkdown(accuracyRows(m), { digits: 3 }));
    return 0;
  },
};
