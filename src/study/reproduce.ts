/**
 * The main job: install the kernelspec if it is missing, run the profile's notebooks in order, write a run
 * manifest and regenerate the environment section. The notebook list is plain data (`NOTEBOOKS`). Everything
 * the notebooks write (executed notebooks, tables, figures, media, summary) goes to the results folder, and
 * paths in what is written are relative to the kit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BackendChoice, initBackend, parseBackendChoice } from '../gpu/backend';
import { lockFolders } from '../core/lock';
import { EngineReport, resolveEngine } from '../model/engine';
import { NOTEBOOK_ENV } from '../notebook/env';
import { PROFILE_CHECK } from './context';
import { EnvironmentReport, captureEnvironment, updateEnvironmentFile } from './environment';
import { assertOnlyEntries, sha256File } from '../core/files';
import { IoError, UsageError } from '../core/errors';
import { kitRoot } from '../core/kit';
import { KernelTarget, installKernelSpec, kernelSpecMessage } from '../notebook/kernelspec';
import { ManifestBase, writeRunManifest } from './manifest';
import { CellTiming, NotebookRunError, displayPath, loadRunnableNotebook, runNotebook } from '../notebook/runner';
import { PROFILES, Profile, getProfile } from './profiles';
import { studyPaths } from './study';

/** One notebook of the pipeline; `profiles` limits it to some profiles (default: all). */
export interface NotebookStep {
  notebook: string;
  profiles?: readonly string[];
}

/** The notebooks of the study in order (paths relative to the checkout). */
export const NOTEBOOKS: readonly NotebookStep[] = [
  { notebook: 'notebooks/00_world.ipynb' },
  { notebook: 'notebooks/01_pretrain.ipynb' },
  { notebook: 'notebooks/02_baseline.ipynb' },
  { notebook: 'notebooks/03_positives.ipynb' },
  { notebook: 'notebooks/04_alignment.ipynb', profiles: ['smoke', 'paper', 'fullbody'] },
  { notebook: 'notebooks/05_results_ablations.ipynb', profiles: ['smoke', 'paper', 'fullbody'] },
  { notebook: 'notebooks/06_premise_sweep.ipynb', profiles: ['smoke', 'extended'] },
  { notebook: 'notebooks/07_curves.ipynb', profiles: ['smoke', 'extended'] },
  { notebook: 'notebooks/08_iterate.ipynb', profiles: ['smoke', 'extended'] },
];

/** The notebooks a profile runs, in order. */
export function notebooksFor(profile: string, steps: readonly NotebookStep[] = NOTEBOOKS): string[] {
  getProfile(profile);
  return steps.filter((s) => !s.profiles || s.profiles.includes(profile)).map((s) => s.notebook);
}

/** Options of the main job. */
export interface ReproduceOptions {
  profile: string;
  pretrain?: boolean;
  worldSeed?: number;
  /** Start at this notebook (a path or a base name such as `02_baseline`). */
  from?: string;
  /** Stop after this notebook (same forms as `from`): a run of part of a profile, e.g. one notebook with `from` = `to`. */
  to?: string;
  /** Seconds one cell may run (0: no limit). */
  timeoutS?: number;
  backend?: string;
  /** Compute engine (model/engine.ts: auto, tfjs, onnx, onnx:webgpu, onnx:cuda; default IPA_ENGINE, else auto), one for the whole run. */
  engine?: string;
  /**
   * Results folder (default: the study's, `results/` for the paper profile on its default seed, else
   * `results/<profile>-seed<seed>/`). The environment section is regenerated in the checkout's `environment.md`
   * for the committed study, else in `environment.md` inside the results folder.
   */
  resultsDir?: string;
  /** Where the kernelspec goes (default: the user's Jupyter folder). */
  kernelTarget?: KernelTarget;
  /**
   * Also refresh a kernelspec that starts another checkout or Node (default false: such a spec is left as it is
   * and a line says so; a missing one is always installed). The runner starts its kernel directly, not through
   * the spec; the spec is for Jupyter.
   */
  installKernel?: boolean;
  log?: (line: string) => void;
}

/** One notebook in a manifest. */
export interface NotebookRecord {
  notebook: string;
  output: string | null;
  outputSha256: string | null;
  status: 'ok' | 'failed' | 'not run';
  seconds: number | null;
  cells: CellTiming[];
  error?: string;
}

/** The manifest of a `reproduce` run. */
export interface ReproduceManifest extends ManifestBase {
  kind: 'reproduce';
  config: Profile;
  worldSeed: number;
  pretrain: boolean;
  environment: EnvironmentReport;
  /** The engine (and provider) every notebook trained and sampled with (handed to them as IPA_ENGINE), and why when not the preferred one. */
  engine: EngineReport;
  notebooks: NotebookRecord[];
}

/** The result of `reproduce`: the manifest and where it was written. */
export interface ReproduceResult {
  manifest: ReproduceManifest;
  manifestFile: string;
  error: NotebookRunError | null;
}

/**
 * What a results folder holds: the entries `reproduce` and the notebooks write, the shipped base's card (`base`:
 * notebooks 01-03 run on it with IPA_RESULTS_DIR=results/base), the extended profile's results (`extended`), and
 * other studies' folders.
 */
// `closeup`: the close-up study's first run (issue 30), before it became the paper profile; `engine-onnx`: the engine's
// benchmark rows.
const RESULTS_ENTRIES = new Set(['notebooks', 'runs', 'tables', 'figures', 'media', 'supplementary', 'base', 'closeup', 'engine-onnx', 'summary.md', 'environment.md', 'README.md']);

/**
 * Whether a name belongs in a results folder (see RESULTS_ENTRIES; the committed results of a profile that shares
 * data, `results/<profile>`; `<profile>-seed<N>` folders of other studies; their locks).
 */
export function isResultsEntry(name: string): boolean {
  // `.<name>.ipa-lock`: the lock of a results folder nested here (core/lock.ts), e.g. results/extended's.
  return RESULTS_ENTRIES.has(name) || (name !== 'paper' && PROFILES[name]?.dataOf !== undefined) || /^[A-Za-z0-9_]+-seed\d+$/.test(name) || /^\.[A-Za-z0-9_-]+\.ipa-lock$/.test(name);
}

/** A path relative to the checkout when it lies inside it, else absolute. */
function rootRelative(root: string, p: string): string {
  const rel = path.relative(root, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}

/** Where a `--from`/`--to` notebook sits in the profile's list (a usage error naming the list when it is not there). */
function notebookIndex(notebooks: string[], flag: string, name: string): number {
  const list = notebooks.map((n) => path.basename(n, '.ipynb')).join(', ');
  if (name.trim() === '') throw new UsageError(`${flag} needs a notebook of this profile (${list}), got ''`);
  const key = path.basename(name, '.ipynb');
  const at = notebooks.findIndex((n) => path.basename(n, '.ipynb') === key);
  if (at < 0) throw new UsageError(`${flag} '${name}' is not a notebook of this profile (${list})`);
  return at;
}

/** The notebooks from `from` through `to` (both included; each defaults to the list's end). */
export function selectNotebooks(notebooks: string[], from: string | undefined, to: string | undefined): string[] {
  const first = from === undefined ? 0 : notebookIndex(notebooks, '--from', from);
  const last = to === undefined ? notebooks.length - 1 : notebookIndex(notebooks, '--to', to);
  if (last < first) throw new UsageError(`--to '${to}' comes before --from '${from}' in this profile's notebooks`);
  return notebooks.slice(first, last + 1);
}

/** Run the main job; notebook failures are reported in the result (and the manifest), bad input throws. */
export async function reproduce(opts: ReproduceOptions): Promise<ReproduceResult> {
  const log = opts.log ?? ((l: string) => process.env.IPA_QUIET !== '1' && process.stderr.write(`${l}\n`));
  const profile = getProfile(opts.profile);
  const root = kitRoot();
  const backend = opts.backend === undefined ? undefined : parseBackendChoice(opts.backend);
  const worldSeed = opts.worldSeed ?? profile.seed;
  const notebooks = selectNotebooks(notebooksFor(profile.name), opts.from, opts.to);
  for (const nb of notebooks) loadRunnableNotebook(path.join(root, nb)); // bad notebooks: exit 2 before any work
  const committed = path.join(root, 'results');
  const resultsDir = path.resolve(opts.resultsDir ?? studyPaths(root, profile.name, worldSeed).results);
  // A folder of someone else's files is never written into (the notebooks would replace same-named files).
  assertOnlyEntries(resultsDir, isResultsEntry, 'results');
  // One writer per folder: the results folder and the study's data folder are this run's until it ends.
  const release = lockFolders([resultsDir, studyPaths(root, profile.name, worldSeed).work], `reproduce --profile ${profile.name}`, log);
  try {
    return await reproduceLocked(opts, { log, profile, root, backend, worldSeed, notebooks, committed, resultsDir });
  } finally {
    release();
  }
}

async function reproduceLocked(
  opts: ReproduceOptions,
  c: { log: (l: string) => void; profile: Profile; root: string; backend: BackendChoice | undefined; worldSeed: number; notebooks: string[]; committed: string; resultsDir: string },
): Promise<ReproduceResult> {
  const { log, profile, root, backend, worldSeed, notebooks, committed, resultsDir } = c;
  const envFile = resultsDir === committed ? path.join(root, 'environment.md') : path.join(resultsDir, 'environment.md');

  const spec = installKernelSpec(opts.kernelTarget ?? { user: true }, { update: opts.installKernel ?? false });
  if (spec.action === 'installed' || spec.action === 'updated') process.stdout.write(`${kernelSpecMessage(spec)}\n`);
  else if (spec.action === 'kept') log(kernelSpecMessage(spec));
  const device = await initBackend(backend ? { backend } : {});
  const environment = captureEnvironment(device);
  const engine = resolveEngine(profile.pretrain.model, opts.engine);
  const started = new Date();
  log(`reproduce: profile ${profile.name}, world seed ${worldSeed}${opts.pretrain ? ', pretraining the base model' : ''}, backend ${device.backend}, engine ${engine.engine}${engine.provider ? ` (${engine.provider})` : ''}${engine.reason ? ` (${engine.reason})` : ''}, ${notebooks.length} notebook(s)`);

  const env: Record<string, string> = {
    [NOTEBOOK_ENV.worldSeed]: String(worldSeed),
    [NOTEBOOK_ENV.pretrain]: opts.pretrain ? '1' : '0',
    [NOTEBOOK_ENV.results]: resultsDir,
    ...(backend ? { IPA_BACKEND: backend } : {}),
    IPA_ENGINE: engine.provider && engine.provider !== 'cpu' ? `onnx:${engine.provider}` : engine.engine,
  };
  const records: NotebookRecord[] = notebooks.map((n) => ({ notebook: n, output: null, outputSha256: null, status: 'not run', seconds: null, cells: [] }));
  let error: NotebookRunError | null = null;
  for (const [i, nb] of notebooks.entries()) {
    log(`reproduce: notebook ${i + 1} of ${notebooks.length}: ${nb}`);
    const rec = records[i];
    try {
      const run = await runNotebook({
        notebook: path.join(root, nb),
        outDir: path.join(resultsDir, 'notebooks'),
        profile: profile.name,
        profiles: PROFILE_CHECK,
        env,
        timeoutS: opts.timeoutS,
        log,
      });
      Object.assign(rec, {
        status: 'ok',
        output: rootRelative(root, run.output),
        outputSha256: sha256File(run.output),
        seconds: Math.round(run.seconds * 10) / 10,
        cells: run.timings,
      });
    } catch (err) {
      // A failed write outside a cell (the executed notebook, its partial copy) names the notebook as its stage.
      if (err instanceof IoError) throw new IoError(`notebook ${path.basename(nb, '.ipynb')}: ${err.message}`);
      if (!(err instanceof NotebookRunError)) throw err;
      error = err;
      Object.assign(rec, { status: 'failed', error: err.message, output: err.partialOutput ? rootRelative(root, err.partialOutput) : null });
      break;
    }
  }
  const finished = new Date();
  const manifest: ReproduceManifest = {
    kind: 'reproduce',
    profile: profile.name,
    status: error ? 'failed' : 'ok',
    started: started.toISOString(),
    finished: finished.toISOString(),
    seconds: Math.round((finished.getTime() - started.getTime()) / 100) / 10,
    config: profile,
    worldSeed,
    pretrain: Boolean(opts.pretrain),
    environment,
    engine,
    notebooks: records,
  };
  fs.mkdirSync(resultsDir, { recursive: true });
  const manifestFile = writeRunManifest(path.join(resultsDir, 'runs'), manifest);
  updateEnvironmentFile(envFile, environment);
  log(`reproduce: ${manifest.status === 'ok' ? 'done' : 'stopped'} in ${manifest.seconds} s; manifest ${displayPath(manifestFile)}`);
  return { manifest, manifestFile, error };
}
