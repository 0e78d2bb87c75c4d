/** `ipa-kit world`: build the procedural world of a profile (skips a matching world that is already there). */
import { Command, num, parseArgs, str } from '../core/args';
import { UsageError } from '../core/errors';
import { DEFAULT_PROFILE, getProfile } from '../study/profiles';
import { SPLITS } from '../world/config';
import { Progress } from '../core/progress';
import { buildWorld } from '../world/store';
import { defaultWorldDir } from '../study/study';
import { SEED, rangeText } from '../core/ranges';

export const worldCommand: Command = {
  summary: 'build the procedural animation world of a profile (data/worlds/<profile>-<seed>)',
  help: [
    'usage: ipa-kit world [--profile P] [--seed N] [--out DIR]',
    '',
    `  --profile P  profile whose world to build (default ${DEFAULT_PROFILE})`,
    `  --seed N     world seed (default: the profile's), ${rangeText(SEED)}`,
    '  --out DIR    output folder (default data/worlds/<profile>-<seed>)',
    '',
    'Does nothing when DIR already holds a complete world of the same profile, config and seed. Replaces DIR only',
    'when it is a world the kit wrote (an older or damaged one); any other non-empty folder is left as it is.',
  ].join('\n'),
  async run(argv) {
    const args = parseArgs(argv, ['profile', 'seed', 'out']);
    if (args.positional.length) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
    const profile = getProfile(str(args, 'profile', DEFAULT_PROFILE));
    const seed = num(args, 'seed', profile.seed, SEED);
    const out = str(args, 'out') ?? defaultWorldDir(profile.name, seed);
    // The bar starts with the first clip, so a world that is already there prints only the result line.
    const total = SPLITS.reduce((a, s) => a + profile.world.splits[s], 0);
    const progress: { bar?: Progress } = {};
    const t0 = Date.now();
    const res = buildWorld({
      config: profile.world,
      name: profile.name,
      seed,
      out,
      onProgress: () => (progress.bar ??= new Progress({ total, label: `world ${profile.name}-${seed}`, unit: 'clip' })).tick(),
    });
    progress.bar?.finish();
    const clips = Object.values(res.manifest.counts).reduce((a, b) => a + b, 0);
    const msg = res.built
      ? `built world ${profile.name}-${seed}: ${clips} clips in ${((Date.now() - t0) / 1000).toFixed(1)} s -> ${res.dir}`
      : `world ${profile.name}-${seed} already present at ${res.dir} (${clips} clips, hashes verified): nothing to do`;
    process.stdout.write(`${msg}\n`);
    return 0;
  },
};
