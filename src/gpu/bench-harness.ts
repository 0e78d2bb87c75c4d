/**
 * Benchmarks as a registry of rows: each layer registers benches (`registerBench`), and `ipa-kit bench` runs
 * them on every backend that loads here, printing min/median/max over repeats as a table or JSON.
 */
import * as tf from '@tensorflow/tfjs';
import { BACKENDS, BackendName, DeviceReport, SkippedBackend, initBackend, parseBackendChoice } from './backend';
import { UsageError } from '../core/errors';

/** What a bench gets: the backend it runs on and a timer. */
export interface BenchContext {
  backend: BackendName;
  repeats: number;
  warmup: number;
  /**
   * Run at a tiny size (`bench --tiny`, what `npm test` runs so that no bench can break unseen): each bench takes
   * the smoke profile's sizes and a few steps instead of the paper's. Its numbers are no measurement of anything.
   */
  tiny: boolean;
  /**
   * Time `fn` (`warmup` untimed runs, then `repeats` timed runs); every tensor it returns is read back before
   * the clock stops, so asynchronous backends are timed fully. Returns seconds per run.
   */
  time(fn: () => tf.Tensor | tf.Tensor[]): Promise<number[]>;
  /** A progress line. */
  log(line: string): void;
}

/** One measured quantity of a bench: per-repeat samples of one variant (e.g. 'plain' or 'fast') of one case. */
export interface BenchMeasurement {
  case: string;
  variant: string;
  unit: string;
  samples: number[];
  higherIsBetter: boolean;
  /** A short remark printed with the row (e.g. that two variants take the same route on this backend). */
  note?: string;
}

/** A registered bench. */
export interface BenchDefinition {
  name: string;
  /** Group for `--only` (e.g. 'matmul', 'world', 'model', 'train', 'memory'). */
  group: string;
  description: string;
  /** Backends it applies to (default: all that load). */
  backends?: readonly BackendName[];
  run(ctx: BenchContext): Promise<BenchMeasurement[]>;
}

/** One row of the bench table. */
export interface BenchRow {
  backend: BackendName;
  group: string;
  bench: string;
  case: string;
  variant: string;
  unit: string;
  min: number;
  median: number;
  max: number;
  repeats: number;
  higherIsBetter: boolean;
  /** Median over the median of the first variant of the same case (null for that first variant). */
  ratio: number | null;
  note: string | null;
}

/** A whole bench run. */
export interface BenchReport {
  generated: string;
  repeats: number;
  warmup: number;
  /** Run at a tiny size (RunBenchOptions.tiny): the rows check that every bench runs, and time nothing. */
  tiny: boolean;
  device: DeviceReport;
  backends: BackendName[];
  skipped: SkippedBackend[];
  rows: BenchRow[];
}

const registry: BenchDefinition[] = [];

/** Add a bench (names are unique within a group). */
export function registerBench(def: BenchDefinition): void {
  if (registry.some((d) => d.group === def.group && d.name === def.name)) throw new Error(`bench '${def.group}/${def.name}' is registered twice`);
  registry.push(def);
}

/** The registered benches, in registration order. */
export function registeredBenches(): readonly BenchDefinition[] {
  return registry;
}

/** Median of a non-empty list. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Rows from measurements: min/median/max and the ratio to the first variant of each case. */
export function summarize(backend: BackendName, def: BenchDefinition, ms: readonly BenchMeasurement[]): BenchRow[] {
  const firstMedian = new Map<string, number>();
  return ms.map((m) => {
    if (m.samples.length === 0) throw new Error(`bench '${def.name}' case '${m.case}' returned no samples`);
    const med = median(m.samples);
    const base = firstMedian.get(m.case);
    if (base === undefined) firstMedian.set(m.case, med);
    return {
      backend,
      group: def.group,
      bench: def.name,
      case: m.case,
      variant: m.variant,
      unit: m.unit,
      min: Math.min(...m.samples),
      median: med,
      max: Math.max(...m.samples),
      repeats: m.samples.length,
      higherIsBetter: m.higherIsBetter,
      ratio: base === undefined ? null : base === 0 ? null : med / base,
      note: m.note ?? null,
    };
  });
}

function makeContext(backend: BackendName, repeats: number, warmup: number, tiny: boolean, log: (l: string) => void): BenchContext {
  return {
    backend,
    repeats,
    warmup,
    tiny,
    log,
    async time(fn) {
      const once = async (): Promise<number> => {
        const t0 = performance.now();
        const out = fn();
        const list = Array.isArray(out) ? out : [out];
        await Promise.all(list.map((t) => t.data()));
        const dt = (performance.now() - t0) / 1000;
        tf.dispose(list);
        return dt;
      };
      for (let i = 0; i < warmup; i++) await once();
      const samples: number[] = [];
      for (let i = 0; i < repeats; i++) samples.push(await once());
      return samples;
    },
  };
}

/** Which benches to run, where, and how often. */
export interface RunBenchOptions {
  /** Only benches of this group. */
  only?: string;
  /** Only this backend (default: every backend that loads). */
  backend?: string;
  repeats?: number;
  warmup?: number;
  /** BenchContext.tiny. */
  tiny?: boolean;
  log?: (line: string) => void;
}

/** The backends that load here, in the kit's order, and why the others were skipped. */
export async function loadableBackends(): Promise<{ device: DeviceReport; backends: BackendName[]; skipped: SkippedBackend[] }> {
  const device = await initBackend({ backend: 'auto' });
  const skipped = [...device.skipped];
  const backends: BackendName[] = [device.backend];
  for (const name of BACKENDS.slice(BACKENDS.indexOf(device.backend) + 1)) {
    try {
      await initBackend({ backend: name });
      backends.push(name);
    } catch (err) {
      skipped.push({ backend: name, reason: (err as Error).message.replace(/^.*cannot load: /, '') });
    }
  }
  return { device, backends, skipped };
}

/** Run the registered benches on each loadable backend. */
export async function runBenches(opts: RunBenchOptions = {}): Promise<BenchReport> {
  const log = opts.log ?? ((l: string) => process.env.IPA_QUIET !== '1' && process.stderr.write(`${l}\n`));
  const repeats = opts.repeats ?? 5;
  const warmup = opts.warmup ?? 1;
  const defs = registry.filter((d) => !opts.only || d.group === opts.only);
  if (defs.length === 0) {
    const groups = [...new Set(registry.map((d) => d.group))];
    throw new UsageError(`no bench in group '${opts.only}' (groups: ${groups.join(', ') || 'none registered'})`);
  }
  let device: DeviceReport;
  let backends: BackendName[];
  let skipped: SkippedBackend[];
  if (opts.backend !== undefined && opts.backend !== 'auto') {
    const name = parseBackendChoice(opts.backend) as BackendName;
    device = await initBackend({ backend: name });
    backends = [name];
    skipped = [];
  } else {
    ({ device, backends, skipped } = await loadableBackends());
  }
  for (const s of skipped) log(`bench: skipping backend ${s.backend}: ${s.reason}`);
  const rows: BenchRow[] = [];
  for (const backend of backends) {
    await initBackend({ backend });
    for (const def of defs) {
      if (def.backends && !def.backends.includes(backend)) continue;
      log(`bench: ${backend} ${def.group}/${def.name} (${repeats} repeats)`);
      const ms = await def.run(makeContext(backend, repeats, warmup, opts.tiny === true, log));
      rows.push(...summarize(backend, def, ms));
    }
  }
  await initBackend({ backend: device.backend });
  return { generated: new Date().toISOString(), repeats, warmup, tiny: opts.tiny === true, device, backends, skipped, rows };
}

function fmt(v: number): string {
  const a = Math.abs(v);
  return a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : a >= 0.01 ? v.toFixed(2) : v.toExponential(1);
}

/** The report as an aligned text table. */
export function formatBenchTable(r: BenchReport): string {
  const notes = r.rows.some((x) => x.note);
  const header = ['backend', 'group', 'case', 'variant', 'unit', 'min', 'median', 'max', 'vs first', ...(notes ? ['note'] : [])];
  const body = r.rows.map((x) => [
    x.backend,
    x.group,
    x.case,
    x.variant,
    x.unit,
    fmt(x.min),
    fmt(x.median),
    fmt(x.max),
    x.ratio === null ? '' : `x${x.ratio.toFixed(2)}`,
    ...(notes ? [x.note ?? ''] : []),
  ]);
  const widths = header.map((h, j) => Math.max(h.length, ...body.map((b) => b[j].length)));
  const numericCol = (j: number) => j >= 5 && j <= 8;
  const line = (cells: string[]) => cells.map((c, j) => (numericCol(j) ? c.padStart(widths[j]) : c.padEnd(widths[j]))).join('  ').trimEnd();
  const out = [
    `ipa-kit bench: min / median / max over ${r.repeats} repeats after ${r.warmup} warm-up run(s); ${r.device.cpuModel} x ${r.device.cpuCores} cores, node ${r.device.node}${r.tiny ? '; TINY SIZES (--tiny): these rows time nothing' : ''}`,
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...body.map(line),
  ];
  for (const s of r.skipped) out.push(`skipped ${s.backend}: ${s.reason}`);
  return out.join('\n');
}
