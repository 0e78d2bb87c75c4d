/** The notebook and run commands: `ipa-kit kernel install`, `run NOTEBOOK`, `reproduce` and `bench`. */
import { parseBackendChoice } from '../gpu/backend';
import { registerAllBenches } from '../study/benches';
import { stepProfiles } from '../study/bench-reference';
import { Command, bool, num, parseArgs, str } from '../core/args';
import { formatBenchTable, runBenches } from '../gpu/bench-harness';
import { PROFILE_CHECK, parseWorldSeed } from '../study/context';
import { UsageError } from '../core/errors';
import { REPEATS, TIMEOUT_S, rangeText } from '../core/ranges';
import { KERNEL_DISPLAY_NAME, KERNEL_NAME, KernelTarget, installKernelSpec, kernelSpecMessage } from '../notebook/kernelspec';
import { DEFAULT_PROFILE } from '../study/profiles';
import { reproduce } from '../study/reproduce';
import { NotebookRunError, displayPath, runNotebook } from '../notebook/runner';

/** Stack lines from tslab's and Node's own machinery, which say nothing about the notebook. */
const MACHINERY = /^\s*at .*(node:vm|node:internal|node_modules[\\/]tslab[\\/]|sigintHandlersWrap)/;

/** Print a failed run: the headline, then the error text indented (at most 30 lines). */
function reportFailure(command: string, err: NotebookRunError): number {
  process.stderr.write(`ipa-kit ${command}: ${err.message}\n`);
  // The kit's own errors (bad input, altered or missing data, a failed write) say all in their line: no stack.
  const kitError = /^(UsageError|DataError|IoError|BackendError)\b/m.test(err.detail) && !process.env.IPA_DEBUG;
  const lines = err.detail.split('\n').filter((l) => l.trim() && !MACHINERY.test(l) && !(kitError && /^\s*at /.test(l)));
  if (lines.length) process.stderr.write(`${lines.slice(0, 30).map((l) => `    ${l}`).join('\n')}${lines.length > 30 ? '\n    ...' : ''}\n`);
  if (err.partialOutput) process.stderr.write(`  the notebook with its outputs up to the failure: ${displayPath(err.partialOutput)}\n`);
  return 1;
}

/** `ipa-kit kernel install`. */
export const kernelCommand: Command = {
  summary: `install the Jupyter kernelspec '${KERNEL_NAME}' (starts this checkout's tslab; no Python needed)`,
  help: [
    'usage: ipa-kit kernel install [--user | --prefix DIR]',
    '',
    `Writes the kernelspec '${KERNEL_NAME}' ("${KERNEL_DISPLAY_NAME}"), which starts this checkout's own tslab with the`,
    'running Node. --user (the default) installs into your Jupyter data folder ($JUPYTER_DATA_DIR or',
    '~/.local/share/jupyter); --prefix DIR into DIR/share/jupyter (add DIR/share/jupyter to JUPYTER_PATH).',
    'Build the kit first (npm run build): notebooks import the built kit.',
  ].join('\n'),
  async run(argv) {
    const args = parseArgs(argv, ['user', 'prefix'], ['user']);
    const [sub, ...extra] = args.positional;
    if (sub !== 'install') throw new UsageError(sub ? `unknown kernel subcommand '${sub}' (expected: install)` : 'missing subcommand (expected: ipa-kit kernel install)');
    if (extra.length) throw new UsageError(`unexpected argument '${extra[0]}'`);
    const prefix = str(args, 'prefix');
    if (prefix !== undefined && bool(args, 'user')) throw new UsageError('give either --user or --prefix, not both');
    const target: KernelTarget = prefix !== undefined ? { prefix } : { user: true };
    process.stdout.write(`${kernelSpecMessage(installKernelSpec(target, { update: true }))}\n`);
    return 0;
  },
};

/** `ipa-kit run NOTEBOOK`. */
export const runCommand: Command = {
  summary: 'run a notebook headless with the ipa-kit kernel and write it with its outputs',
  help: [
    'usage: ipa-kit run NOTEBOOK [--profile P] [--out DIR] [--timeout S] [--backend B]',
    '',
    'Executes the cells in order, printing progress, and writes the executed notebook to DIR',
    '(default: results/notebooks/ of the checkout), atomically. Stops at the first failing cell',
    '(exit 1, with the cell number and its error; the partial notebook goes to NAME.failed.ipynb).',
    '  --profile P   profile for the notebook (sets IPA_PROFILE in the kernel; default $IPA_PROFILE or paper)',
    `  --timeout S   seconds one cell may run before the kernel is stopped (default 0: no limit), ${rangeText(TIMEOUT_S)}`,
    '  --backend B   tfjs backend for the notebook (sets IPA_BACKEND: auto, tensorflow, webgpu, wasm, cpu)',
  ].join('\n'),
  async run(argv) {
    const args = parseArgs(argv, ['profile', 'out', 'timeout', 'backend']);
    if (args.positional.length !== 1) throw new UsageError(args.positional.length ? `expected one notebook, got ${args.positional.length}` : 'missing NOTEBOOK (usage: ipa-kit run NOTEBOOK)');
    const backend = str(args, 'backend');
    if (backend !== undefined) parseBackendChoice(backend);
    try {
      await runNotebook({
        notebook: args.positional[0],
        profile: str(args, 'profile'),
        profiles: PROFILE_CHECK,
        outDir: str(args, 'out'),
        timeoutS: num(args, 'timeout', 0, TIMEOUT_S),
        env: backend ? { IPA_BACKEND: backend } : {},
      });
      return 0;
    } catch (err) {
      if (err instanceof NotebookRunError) return reportFailure('run', err);
      throw err;
    }
  },
};

/** `ipa-kit reproduce`: the main job. */
export const reproduceCommand: Command = {
  summary: "the main job: run the profile's notebooks in order, write the run manifest and the environment",
  help: [
    'usage: ipa-kit reproduce [--profile P] [--pretrain] [--world-seed N] [--from NOTEBOOK] [--to NOTEBOOK] [--timeout S]',
    '                         [--backend B] [--engine E] [--results DIR] [--install-kernel]',
    '',
    "Installs the kernelspec (user folder) if it is missing, runs the profile's notebooks in order (executed",
    'notebooks in results/notebooks/), writes a manifest to results/runs/ and regenerates the marked section of',
    'environment.md. Prints any change it makes to the kernelspec.',
    '  --profile P      smoke, paper or extended (default $IPA_PROFILE or paper)',
    '  --pretrain       retrain the base model instead of using the shipped checkpoint (IPA_PRETRAIN=1)',
    "  --world-seed N   world seed (IPA_WORLD_SEED; default the profile's seed), 0..4294967295",
    '  --from NOTEBOOK  start at this notebook (e.g. 02_baseline), using what earlier ones wrote',
    '  --to NOTEBOOK    stop after this notebook (e.g. 06_premise_sweep); the manifest lists only the notebooks run',
    `  --timeout S      seconds one cell may run (default 0: no limit), ${rangeText(TIMEOUT_S)}`,
    '  --engine E       compute engine for the whole run, training and sampling (IPA_ENGINE): auto (ONNX Runtime when it loads), onnx, onnx:webgpu, onnx:cuda, tfjs',
    '  --results DIR    everything the run writes (notebooks, tables, figures, media, summary, runs/, environment.md)',
    '                   goes to DIR instead of the study\'s results folder; DIR must be new, empty or a results folder',
    '  --install-kernel also refresh a kernelspec that starts another checkout or Node (default: leave it, and say so)',
  ].join('\n'),
  async run(argv) {
    const args = parseArgs(argv, ['profile', 'pretrain', 'world-seed', 'from', 'to', 'timeout', 'backend', 'engine', 'results', 'install-kernel'], ['pretrain', 'install-kernel']);
    if (args.positional.length) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
    const seed = str(args, 'world-seed');
    const { error } = await reproduce({
      profile: str(args, 'profile', process.env.IPA_PROFILE || DEFAULT_PROFILE),
      pretrain: bool(args, 'pretrain'),
      worldSeed: seed === undefined ? undefined : parseWorldSeed(seed, '--world-seed'),
      from: str(args, 'from'),
      to: str(args, 'to'),
      timeoutS: num(args, 'timeout', 0, TIMEOUT_S),
      backend: str(args, 'backend'),
      engine: str(args, 'engine'),
      resultsDir: str(args, 'results'),
      installKernel: bool(args, 'install-kernel'),
    });
    return error ? reportFailure('reproduce', error) : 0;
  },
};

/** `ipa-kit bench`. */
export const benchCommand: Command = {
  summary: 'time the compute paths on every backend that loads here (plain tf.matMul vs the kit matmul, ...)',
  help: [
    'usage: ipa-kit bench [--only GROUP] [--backend B] [--repeats N] [--tiny] [--json] [--profile]',
    '',
    'Prints min / median / max over N repeats (default 5, after one warm-up run) for each registered bench on',
    'each backend that loads (the others are listed as skipped, with the reason). "vs first" is the median',
    "relative to the case's first variant (for matmul: fast / plain).",
    '  --only GROUP  only this group (e.g. matmul)',
    `  --repeats N   timed repeats, ${rangeText(REPEATS)}`,
    '  --backend B   only this backend',
    "  --tiny        every bench at a tiny size (the smoke profile's), to check that each runs (npm test does)",
    '  --json        a JSON document instead of the table',
    '  --profile     also print the kernel-time profile of one pretraining step (DiT and U-Net, by kernel name)',
  ].join('\n'),
  async run(argv) {
    const args = parseArgs(argv, ['only', 'backend', 'repeats', 'tiny', 'json', 'profile'], ['tiny', 'json', 'profile']);
    if (args.positional.length) throw new UsageError(`unexpected argument '${args.positional[0]}'`);
    registerAllBenches();
    const backend = str(args, 'backend');
    if (backend !== undefined) parseBackendChoice(backend);
    const report = await runBenches({ only: str(args, 'only'), backend, repeats: num(args, 'repeats', 5, REPEATS), tiny: bool(args, 'tiny') });
    process.stdout.write(bool(args, 'json') ? `${JSON.stringify(report, null, 2)}\n` : `${formatBenchTable(report)}\n`);
    if (bool(args, 'profile')) process.stdout.write(`${await stepProfiles()}\n`);
    return 0;
  },
};
