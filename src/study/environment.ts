/**
 * Environment capture: versions, backend, CPU/GPU, Jupyter, ffmpeg and the commit, for run manifests, notebooks
 * and the regenerated section of `environment.md`.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DeviceReport } from '../gpu/backend';
import { writeFileAtomic } from '../core/files';
import { kitRelative, kitRoot, kitVersion } from '../core/kit';

/** Packages whose versions every run records (optional ones appear only when installed). */
export const RECORDED_PACKAGES = [
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  'onnxruntime-node',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  'tslab',
  '@tslab/typescript-for-tslab',
  'typescript',
  'zeromq',
  'sharp',
  'arquero',
  'vega',
  'vega-lite',
  'plotly.js-dist-min',
] as const;

/** The machine and software a run used. */
export interface EnvironmentReport {
  generated: string;
  kitVersion: string;
  commit: { hash: string | null; dirty: boolean | null };
  node: string;
  npm: string | null;
  os: string;
  cpu: string;
  /**
   * The CPU's vector extensions that decide which kernels ONNX Runtime (MLAS) and the wasm backend run, from
   * /proc/cpuinfo (null where there is none): runs on CPUs with different sets agree to float rounding, not to the bit.
   */
  simd: string[] | null;
  memoryGiB: number;
  device: DeviceReport | null;
  packages: Record<string, string>;
  jupyter: string | null;
  ffmpeg: { path: string; version: string } | null;
}

function run(cmd: string, args: string[], cwd?: string): string | null {
  try {
    const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 10000, stdio: ['ignore', 'pipe', 'pipe'] });
    return r.status === 0 ? r.stdout.trim() : null;
  } catch {
    return null;
  }
}

/** Installed version of a package, or null when it is not installed. */
export function packageVersion(pkg: string, from = kitRoot()): string | null {
  // Walk node_modules folders upwards (package.json is not always in a package's `exports`).
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    try {
      const meta = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', pkg, 'package.json'), 'utf8')) as { version?: string };
      return meta.version ?? null;
    } catch {
      if (path.dirname(dir) === dir) return null;
    }
  }
}

/** The commit of a git checkout and whether tracked files differ from it (nulls outside git). */
export function gitCommit(root = kitRoot()): { hash: string | null; dirty: boolean | null } {
  const hash = run('git', ['rev-parse', 'HEAD'], root);
  if (!hash) return { hash: null, dirty: null };
  const status = run('git', ['status', '--porcelain', '--untracked-files=no'], root);
  return { hash, dirty: status === null ? null : status.length > 0 };
}

/** The ffmpeg the kit would use: FFMPEG_PATH > ffmpeg-static > @ffmpeg-installer/ffmpeg > `ffmpeg` on PATH. */
export function findFfmpeg(): string | null {
  const candidates: (() => string | null)[] = [
    () => process.env.FFMPEG_PATH || null,
    () => {
      try {
        return require('ffmpeg-static') as string | null;
      } catch {
        return null;
      }
    },
    () => {
      try {
        return (require('@ffmpeg-installer/ffmpeg') as { path: string }).path;
      } catch {
        return null;
      }
    },
    () => (run('ffmpeg', ['-version']) !== null ? 'ffmpeg' : null),
  ];
  for (const c of candidates) {
    const p = c();
    if (p && (p === 'ffmpeg' || fs.existsSync(p))) return p;
  }
  return null;
}

/** The vector extensions that matter for the kernels, in this order, that a cpuinfo text's first `flags` line lists. */
export const SIMD_FLAGS = ['avx512f', 'avx512bw', 'avx512vnni', 'avx2', 'fma', 'avx', 'sse4_2', 'asimd', 'sve'] as const;

/** The SIMD_FLAGS a /proc/cpuinfo text reports (x86 `flags`, arm `Features`), or null when it has no such line. */
export function cpuSimd(cpuinfo: string): string[] | null {
  const line = cpuinfo.split('\n').find((l) => /^(flags|Features)\s*:/.test(l));
  if (!line) return null;
  const have = new Set(line.slice(line.indexOf(':') + 1).trim().split(/\s+/));
  return SIMD_FLAGS.filter((f) => have.has(f));
}

function readCpuinfo(): string {
  try {
    return fs.readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

/** Capture the environment; pass the device report of the active backend when there is one. */
export function captureEnvironment(device: DeviceReport | null = null): EnvironmentReport {
  const packages: Record<string, string> = {};
  for (const p of RECORDED_PACKAGES) {
    const v = packageVersion(p);
    if (v) packages[p] = v;
  }
  const ua = process.env.npm_config_user_agent?.match(/npm\/(\S+)/)?.[1] ?? null;
  const nbconvert = run('jupyter', ['nbconvert', '--version']);
  const ffmpegPath = findFfmpeg();
  const ffmpegVersion = ffmpegPath ? run(ffmpegPath, ['-version'])?.match(/^ffmpeg version (\S+)/)?.[1] ?? null : null;
  const cpus = os.cpus();
  return {
    generated: new Date().toISOString(),
    kitVersion: kitVersion(),
    commit: gitCommit(),
    node: process.version,
    npm: ua ?? run('npm', ['--version']),
    os: `${os.type()} ${os.release()} (${process.platform}-${process.arch})`,
    cpu: `${cpus[0]?.model.trim() ?? 'unknown'} x ${cpus.length} cores`,
    simd: cpuSimd(readCpuinfo()),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    device,
    packages,
    jupyter: nbconvert ? `nbconvert ${nbconvert}` : null,
    ffmpeg: ffmpegPath && ffmpegVersion ? { path: kitRelative(ffmpegPath), version: ffmpegVersion } : null,
  };
}

/** The report as a Markdown list (the regenerated section of environment.md). */
export function formatEnvironmentMarkdown(r: EnvironmentReport): string {
  const d = r.device;
  const commit = r.commit.hash ? `${r.commit.hash}${r.commit.dirty ? ' (with uncommitted changes)' : ''}` : 'not a git checkout';
  const lines = [
    `- generated: ${r.generated}`,
    `- ipa-kit: ${r.kitVersion}, commit ${commit}`,
    `- node: ${r.node}, npm: ${r.npm ?? 'not found'}`,
    `- os: ${r.os}`,
    `- cpu: ${r.cpu}${r.simd ? ` (${r.simd.length ? r.simd.join(', ') : 'no vector extension listed'})` : ''}, memory ${r.memoryGiB} GiB`,
    d
      ? `- backend: ${d.backend} (${d.backendPackage}, ${d.threads} thread${d.threads === 1 ? '' : 's'}, chosen by ${d.chosenBy}), gpu adapter: ${d.gpuAdapter ?? 'none'}`
      : '- backend: not initialised',
    ...(d?.skipped ?? []).map((s) => `  - skipped ${s.backend}: ${s.reason}`),
    `- jupyter: ${r.jupyter ?? 'not found (optional)'}`,
    `- ffmpeg: ${r.ffmpeg ? `ffmpeg ${r.ffmpeg.version} (${r.ffmpeg.path === 'ffmpeg' ? 'on PATH' : kitRelative(r.ffmpeg.path)})` : 'not found (optional)'}`,
    `- packages: ${Object.entries(r.packages).map(([k, v]) => `${k} ${v}`).join(', ')}`,
  ];
  return lines.join('\n');
}

/** Marker lines around the regenerated section of environment.md. */
export const ENVIRONMENT_BEGIN = '<!-- ipa-kit:environment:begin (regenerated by each run; do not edit) -->';
export const ENVIRONMENT_END = '<!-- ipa-kit:environment:end -->';

/** Replace the marked section of an environment file (appending it when the markers are absent), atomically. */
export function updateEnvironmentFile(file: string, r: EnvironmentReport): void {
  const section = `${ENVIRONMENT_BEGIN}\n${formatEnvironmentMarkdown(r)}\n${ENVIRONMENT_END}`;
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Environment\n';
  const a = old.indexOf(ENVIRONMENT_BEGIN);
  const b = old.indexOf(ENVIRONMENT_END);
  const next =
    a >= 0 && b > a
      ? `${old.slice(0, a)}${section}${old.slice(b + ENVIRONMENT_END.length)}`
      : `${old.replace(/\s*$/, '')}\n\n## Last run\n\n${section}\n`;
  writeFileAtomic(file, next);
}
