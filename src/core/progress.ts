/**
 * Progress bars for long work: a redrawn line on a terminal, and a line every few seconds elsewhere (logs,
 * notebooks, CI), each with count, rate, elapsed time, ETA and any metrics the caller passes.
 */

export interface ProgressOptions {
  total: number;
  label: string;
  /** Unit for the rate, e.g. 'clip' -> 'clip/s'. */
  unit?: string;
  /** Where to write; defaults to stderr. Silent when IPA_QUIET=1. */
  stream?: NodeJS.WriteStream;
  /** Seconds between lines when the stream is not a terminal. */
  everySeconds?: number;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  const sec = Math.floor(s % 60);
  return m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m` : `${m}:${String(sec).padStart(2, '0')}`;
}

function fmtValue(v: number | string): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e4) ? v.toExponential(2) : v.toFixed(4);
}

export class Progress {
  private done = 0;
  /** Units already done before this run started (a resumed run): shown in the count, left out of the rate. */
  private skipped = 0;
  private readonly start = Date.now();
  private lastPrint = 0;
  private readonly tty: boolean;
  private readonly stream: NodeJS.WriteStream;
  private readonly quiet: boolean;
  private metrics: Record<string, number | string> = {};
  private finished = false;

  constructor(private readonly opts: ProgressOptions) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    this.quiet = process.env.IPA_QUIET === '1';
  }

  /** Advance by n and optionally update the metrics shown. */
  tick(n = 1, metrics?: Record<string, number | string>): void {
    this.done += n;
    if (metrics) this.metrics = { ...this.metrics, ...metrics };
    const now = Date.now();
    const every = (this.opts.everySeconds ?? 10) * 1000;
    if (this.tty ? now - this.lastPrint > 100 : now - this.lastPrint > every) {
      this.lastPrint = now;
      this.print(false);
    }
  }

  /** Count n units as done before this run (resume): they move the bar but not the rate or the ETA. */
  resumeAt(n: number): void {
    this.done += n;
    this.skipped += n;
  }

  /** Elapsed seconds. */
  get elapsed(): number {
    return (Date.now() - this.start) / 1000;
  }

  /** Final line. */
  finish(metrics?: Record<string, number | string>): void {
    if (this.finished) return;
    this.finished = true;
    if (metrics) this.metrics = { ...this.metrics, ...metrics };
    this.print(true);
  }

  private print(final: boolean): void {
    if (this.quiet) return;
    const { total, label } = this.opts;
    const el = this.elapsed;
    const rate = (this.done - this.skipped) / Math.max(el, 1e-9);
    const eta = rate > 0 ? (total - this.done) / rate : Infinity;
    const frac = total > 0 ? Math.min(1, this.done / total) : 1;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
    const unit = this.opts.unit ?? 'it';
    const rateText = rate <= 0 ? `? ${unit}/s` : rate >= 1 ? `${rate.toFixed(2)} ${unit}/s` : `${(1 / Math.max(rate, 1e-9)).toFixed(2)} s/${unit}`;
    const extra = Object.entries(this.metrics).map(([k, v]) => `${k}=${fmtValue(v)}`).join(' ');
    const timeText = final ? `${fmtTime(el)}` : `${fmtTime(el)}<${fmtTime(eta)}`;
    const line = `${label} ${bar} ${this.done}/${total} ${timeText} ${rateText}${extra ? ' ' + extra : ''}`;
    if (this.tty) this.stream.write(`\r${line}\x1b[K${final ? '\n' : ''}`);
    else this.stream.write(`${line}\n`);
  }
}
