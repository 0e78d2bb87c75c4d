/**
 * The training loop shared by pretraining and post-training.
 *
 * Exact resume: everything random in a step (batch, noise, timesteps) must be drawn from streams keyed by the
 * step number (the caller's `stepLoss(step)`), and the checkpoint holds weights, optimizer moments and EMA;
 * so a run stopped at any point and resumed from its last checkpoint reaches the same weights as an
 * uninterrupted run (same seed, same backend). A NaN or infinite loss or gradient stops the run with a clear
 * message; the last good checkpoint stays as it was.
 *
 * Crash safety: checkpoints are swapped in atomically (writeDirAtomic; an interrupted swap is undone on the next
 * start), the log is fsynced before each checkpoint (resume keeps the log up to the checkpoint's step), and a log
 * that must be trimmed on resume is replaced atomically, never rewritten in place. A run folder is written only
 * when it holds nothing but what the loop and its caller write there; resuming a checkpoint made with other
 * settings is an error naming them (or, with `onMismatch: 'restart'`, starts over).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DataError, UsageError } from '../core/errors';
import { assertOnlyEntries, assertReplaceable, processAlive, recoverDir, removeTree, writeFileAtomic } from '../core/files';
import { Progress } from '../core/progress';
import { CHECKPOINT_FOLDER, CheckpointMeta, SaveCheckpointArgs, TensorDict, assignInto, dictFromArrays, readCheckpointMeta, readTensorFile, saveCheckpoint, snapshot } from './checkpoint';
import { AdamW, Ema, OptimConfig } from './optim';

/**
 * What one step reports, as written to log.jsonl (one JSON object per line): scalars, and per-sample values of
 * the batch as arrays named `sample<Name>` (e.g. `sampleT`, `sampleLogit`, `sampleLoss`: the diagnostics of
 * post-training). `gradNorm` is the norm before clipping.
 */
export interface StepRecord {
  step: number; // steps completed
  loss: number;
  lr: number;
  gradNorm: number;
  seconds: number; // wall time of this step
  [metric: string]: number | number[];
}

/** The name under which a per-sample value is logged: `t` -> `sampleT`. */
export function sampleKey(name: string): string {
  return `sample${name.charAt(0).toUpperCase()}${name.slice(1)}`;
}

/** A training run; `P` is what `prepare` hands to `stepLoss` (tensors, disposed after the step). */
export interface LoopSpec<P extends object = Record<string, tf.Tensor>> {
  /** Run folder: `checkpoint/` (latest, resumable) and `log.jsonl`. */
  outDir: string;
  totalSteps: number;
  checkpointEvery: number;
  optim: OptimConfig;
  /** EMA decay of the trainable weights (0 = off). */
  emaDecay: number;
  trainable: Record<string, tf.Variable>;
  /**
   * Work for step `step` done outside the gradient tape (e.g. the frozen reference's forward pass): its
   * tensors are passed to `stepLoss` and disposed after the step.
   */
  prepare?: (step: number) => P;
  /** Loss and scalar metrics of step `step` (0-based); must be deterministic in `step`. */
  stepLoss: (step: number, prepared: P) => { loss: tf.Scalar; metrics: Record<string, tf.Scalar>; perSample?: Record<string, tf.Tensor> };
  /**
   * Instead of `stepLoss` here: gradients computed elsewhere (data-parallel workers) from the current weights,
   * as plain arrays by trainable-variable name (and per-sample values, logged as `stepLoss`'s). Deterministic for a
   * fixed number of workers.
   */
  computeGrads?: (step: number) => Promise<{ loss: number; metrics: Record<string, number>; grads: Record<string, Float32Array>; perSample?: Record<string, ArrayLike<number>> }>;
  /** Stop (with a checkpoint) once this many steps are done, e.g. to split a long run into sessions. */
  stopAfter?: number;
  /** Continue from `outDir/checkpoint` when it exists; without it an existing checkpoint is an error. */
  resume: boolean;
  /** Entries the caller writes into `outDir` besides `checkpoint/` and `log.jsonl` (e.g. 'adapter'). */
  outputs?: string[];
  /**
   * The settings a resumed checkpoint must share with this run: returns the differences (one phrase each, e.g.
   * "lr 0.001 here, 0.0001 in the checkpoint"), empty when it may be resumed.
   */
  resumeCheck?: (meta: CheckpointMeta) => string[];
  /** What a mismatch does: 'error' (default: a DataError naming the differences) or 'restart' from step 0. */
  onMismatch?: 'error' | 'restart';
  label: string;
  /** Checkpoint metadata (without tensors and step). */
  meta: Omit<SaveCheckpointArgs, 'files' | 'step'>;
  onStep?: (r: StepRecord) => void;
}

export interface LoopResult {
  /** Steps completed (totalSteps unless stopAfter cut the run short). */
  steps: number;
  resumedFrom: number;
  /** The log's last step record (from an earlier session when this one trained no step). */
  lastRecord: StepRecord | null;
  /** EMA weights when EMA is on (else null); the trainable variables hold the raw weights. */
  ema: TensorDict | null;
  /** Mean wall time of a step over the whole log (every session's steps, so also after a resume with nothing left). */
  secondsPerStep: number;
}

/** Error for a diverged run (NaN/inf); the CLI reports its message. */
export class DivergenceError extends Error {
  override name = 'DivergenceError';
}

/**
 * The lines of a log up to step `upTo`, and whether the file holds more (later steps or a partial last line from
 * an interrupted append). A line that is not a step record (except a partial last one) is a DataError naming it.
 */
function readLog(file: string, upTo: number): { lines: string[]; more: boolean } {
  if (!fs.existsSync(file)) return { lines: [], more: false };
  const out: string[] = [];
  let more = false;
  const all = fs.readFileSync(file, 'utf8').split('\n');
  const last = all.length - 1 - [...all].reverse().findIndex((l) => l.trim() !== '');
  all.forEach((line, i) => {
    if (!line.trim()) return;
    let r: unknown;
    try {
      r = JSON.parse(line);
    } catch {
      if (i === last) {
        more = true; // a partial last line from an interrupted append: dropped
        return;
      }
      throw new DataError(`${file}: line ${i + 1} is not valid JSON`);
    }
    const step = (r as Partial<StepRecord> | null)?.step;
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 1) throw new DataError(`${file}: line ${i + 1} is not a step record (no integer 'step' >= 1)`);
    if (step <= upTo) out.push(line);
    else more = true;
  });
  return { lines: out, more };
}

/** Remove temporary copies of the log left by processes that are gone. */
function removeStaleLogCopies(outDir: string): void {
  for (const n of fs.readdirSync(outDir)) {
    const m = /^log\.jsonl\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(n);
    if (m && !processAlive(Number(m[1]))) removeTree(path.join(outDir, n));
  }
}

/** Run (or resume) a training loop; returns when `totalSteps` (or `stopAfter`) steps are done. */
export async function runLoop<P extends object = Record<string, tf.Tensor>>(spec: LoopSpec<P>): Promise<LoopResult> {
  const ckptDir = path.join(spec.outDir, 'checkpoint');
  const logFile = path.join(spec.outDir, 'log.jsonl');
  // A run folder holds only what the loop and its caller write: anything else means it is someone else's folder.
  const own = new Set(['checkpoint', 'log.jsonl', ...(spec.outputs ?? [])]);
  assertOnlyEntries(spec.outDir, (n) => own.has(n) || /^\.checkpoint\.old$/.test(n), `${spec.label} run`);
  fs.mkdirSync(spec.outDir, { recursive: true });
  recoverDir(ckptDir);
  removeStaleLogCopies(spec.outDir);
  if (fs.existsSync(path.join(ckptDir, 'checkpoint.json')) && spec.resume && spec.resumeCheck) {
    let diff: string[];
    try {
      diff = spec.resumeCheck(readCheckpointMeta(ckptDir));
    } catch (err) {
      // A checkpoint that cannot be verified (an older format, damaged) counts as one of other settings when the
      // caller restarts on a mismatch; it is removed only when it is a checkpoint folder the kit wrote.
      if (!(err instanceof DataError) || spec.onMismatch !== 'restart') throw err;
      assertReplaceable(ckptDir, CHECKPOINT_FOLDER);
      diff = [err.message];
    }
    if (diff.length && spec.onMismatch === 'restart') removeTree(ckptDir);
    else if (diff.length) throw new DataError(`${ckptDir} was trained with other settings (${diff.join('; ')}): resume it with the same settings, or start a new run in another folder`);
  }
  const opt = new AdamW(spec.optim, spec.trainable);
  const ema = spec.emaDecay > 0 ? new Ema(spec.emaDecay, spec.trainable) : null;
  let start = 0;
  let logFd: number | null = null;
  try {
    if (fs.existsSync(path.join(ckptDir, 'checkpoint.json'))) {
      if (!spec.resume) throw new UsageError(`${spec.outDir} already holds a checkpoint: resume it (--resume) or choose another output folder`);
      const meta = readCheckpointMeta(ckptDir);
      assignInto(spec.trainable, readTensorFile(ckptDir, meta, 'weights'), ckptDir);
      const m = readTensorFile(ckptDir, meta, 'optimizer_m');
      const v = readTensorFile(ckptDir, meta, 'optimizer_v');
      const flat = (d: TensorDict) => Object.fromEntries(Object.entries(d).map(([k, x]) => [k, x.data]));
      opt.importState({ step: meta.step, m: flat(m), v: flat(v) });
      if (ema) ema.importState(flat(readTensorFile(ckptDir, meta, 'ema')));
      start = meta.step;
    }
    // Keep the log consistent with the checkpoint: drop records past it (and any partial line), by replacing the
    // file atomically (a crash keeps the old log whole); a log with nothing to drop is left as it is.
    const log = readLog(logFile, start);
    if (log.more) writeFileAtomic(logFile, log.lines.length ? `${log.lines.join('\n')}\n` : '');
    logFd = fs.openSync(logFile, 'a');
    const logTo = logFd;

    const varNames = Object.keys(spec.trainable);
    const varList = varNames.map((n) => spec.trainable[n]);
    let lastSaved = start;
    const lastGood = () => (lastSaved > 0 ? `The last good checkpoint (step ${lastSaved}) in ${ckptDir} is kept.` : 'No checkpoint was written yet.');
    const save = (step: number, record: StepRecord | null) => {
      fs.fsyncSync(logTo); // the log up to this step is on disk before the checkpoint that resume trusts
      lastSaved = step;
      const files: Record<string, TensorDict> = { weights: snapshot(spec.trainable) };
      const st = opt.exportState();
      files.optimizer_m = dictFromArrays(st.m, spec.trainable);
      files.optimizer_v = dictFromArrays(st.v, spec.trainable);
      if (ema) files.ema = dictFromArrays(ema.exportState(), spec.trainable);
      const metrics: Record<string, number> = record ? { loss: record.loss } : {};
      saveCheckpoint(ckptDir, { ...spec.meta, metrics: { ...spec.meta.metrics, ...metrics }, step, files });
    };

    const bar = new Progress({ total: spec.totalSteps, label: spec.label, unit: 'step' });
    if (start > 0) bar.resumeAt(start);
    let last: StepRecord | null = null;
    const end = Math.min(spec.totalSteps, spec.stopAfter ?? spec.totalSteps);
    for (let step = start; step < end; step++) {
      const ts = Date.now();
      let loss: number;
      let metricValues: Record<string, number>;
      let sampleValues: Record<string, number[]> = {};
      const byName: Record<string, tf.Tensor> = {};
      if (spec.computeGrads) {
        const r = await spec.computeGrads(step);
        loss = r.loss;
        metricValues = r.metrics;
        sampleValues = Object.fromEntries(Object.entries(r.perSample ?? {}).map(([k, m]) => [sampleKey(k), Array.from(m, (x) => Number(x.toPrecision(6)))]));
        for (const n of varNames) {
          if (!r.grads[n]) throw new Error(`${spec.label}: no gradient for '${n}' from the workers`);
          byName[n] = tf.tensor(r.grads[n], spec.trainable[n].shape);
        }
      } else {
        let metrics: Record<string, tf.Scalar> = {};
        let perSample: Record<string, tf.Tensor> = {};
        const prepared = spec.prepare ? spec.prepare(step) : ({} as P);
        const { value, grads } = tf.variableGrads(() => {
          const r = spec.stepLoss(step, prepared);
          metrics = Object.fromEntries(Object.entries(r.metrics).map(([k, m]) => [k, tf.keep(m)]));
          perSample = Object.fromEntries(Object.entries(r.perSample ?? {}).map(([k, m]) => [k, tf.keep(m)]));
          return r.loss;
        }, varList);
        loss = value.dataSync()[0];
        metricValues = Object.fromEntries(Object.entries(metrics).map(([k, m]) => [k, m.dataSync()[0]]));
        sampleValues = Object.fromEntries(Object.entries(perSample).map(([k, m]) => [sampleKey(k), Array.from(m.dataSync(), (x) => Number(x.toPrecision(6)))]));
        tf.dispose([value, ...Object.values(metrics), ...Object.values(perSample)]);
        tf.dispose(prepared as tf.TensorContainer); // every tensor in it, however nested
        varList.forEach((v, i) => (byName[varNames[i]] = grads[v.name]));
      }
      if (!Number.isFinite(loss)) {
        tf.dispose(Object.values(byName));
        throw new DivergenceError(`${spec.label}: loss became ${loss} at step ${step + 1}; stopped. ${lastGood()} Lower the learning rate or check the inputs.`);
      }
      const { gradNorm, lr } = opt.apply(byName);
      tf.dispose(Object.values(byName));
      if (!Number.isFinite(gradNorm)) {
        throw new DivergenceError(`${spec.label}: gradient norm became ${gradNorm} at step ${step + 1}; stopped before updating. ${lastGood()}`);
      }
      ema?.update();
      last = { step: step + 1, loss, lr, gradNorm, seconds: (Date.now() - ts) / 1000, ...metricValues, ...sampleValues };
      fs.writeSync(logTo, `${JSON.stringify(last)}\n`);
      spec.onStep?.(last);
      bar.tick(1, { loss, ...metricValues });
      if ((step + 1) % spec.checkpointEvery === 0 || step + 1 === end) save(step + 1, last);
    }
    bar.finish();
    // Timings and the last record come from the log, which holds every session's steps: a run resumed after its
    // last step (0 steps here) still reports how fast it trained and where it ended.
    const records = readStepLog(spec.outDir);
    return {
      steps: end,
      resumedFrom: start,
      lastRecord: last ?? records[records.length - 1] ?? null,
      ema: ema ? snapshot(ema.shadow) : null,
      secondsPerStep: records.length ? records.reduce((a, r) => a + r.seconds, 0) / records.length : 0,
    };
  } finally {
    if (logFd !== null) fs.closeSync(logFd);
    opt.dispose();
    ema?.dispose();
  }
}

/** Read a run's log.jsonl (complete lines only). */
export function readStepLog(outDir: string): StepRecord[] {
  return readLog(path.join(outDir, 'log.jsonl'), Infinity).lines.map((l) => JSON.parse(l) as StepRecord);
}
