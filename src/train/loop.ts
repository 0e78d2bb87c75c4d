/**
 * The training loop shared by pretraining and post-training.
 *
 * Exact resume: everything random in a step (batch, noise, timesteps) must be drawn from streams keyed by the
 * step number (the caller's `stepLoss(step)`), and the checkpoint holds weights, optimizer moments and EMA;
 * so a run stopped at any point and resumed from its last checkpoint reaches the same weights as an
 * uninterrupted run (same seed, same backend). A NaN or infinite loss or gradient stops the run with a clear
 * message; the last good checkpoint stays as it was.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UsageError } from '../core/errors';
import { Progress } from '../core/progress';
import { SaveCheckpointArgs, TensorDict, assignInto, dictFromArrays, readCheckpointMeta, readTensorFile, saveCheckpoint, snapshot } from './checkpoint';
import { AdamW, Ema, OptimConfig } from './optim';

/** What one step reports, as written to log.jsonl (one JSON object per line). */
export interface StepRecord {
  step: number; // steps completed
  loss: number;
  lr: number;
  gradNorm: number;
  seconds: number; // wall time of this step
  [metric: string]: number;
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
  stepLoss: (step: number, prepared: P) => { loss: tf.Scalar; metrics: Record<string, tf.Scalar> };
  /**
   * Instead of `stepLoss` here: gradients computed elsewhere (data-parallel workers) from the current weights,
   * as plain arrays by trainable-variable name. Deterministic for a fixed number of workers.
   */
  computeGrads?: (step: number) => Promise<{ loss: number; metrics: Record<string, number>; grads: Record<string, Float32Array> }>;
  /** Stop (with a checkpoint) once this many steps are done, e.g. to split a long run into sessions. */
  stopAfter?: number;
  /** Continue from `outDir/checkpoint` when it exists; without it an existing checkpoint is an error. */
  resume: boolean;
  label: string;
  /** Checkpoint metadata (without tensors and step). */
  meta: Omit<SaveCheckpointArgs, 'files' | 'step'>;
  onStep?: (r: StepRecord) => void;
}

export interface LoopResult {
  /** Steps completed (totalSteps unless stopAfter cut the run short). */
  steps: number;
  resumedFrom: number;
  lastRecord: StepRecord | null;
  /** EMA weights when EMA is on (else null); the trainable variables hold the raw weights. */
  ema: TensorDict | null;
  secondsPerStep: number;
}

/** Error for a diverged run (NaN/inf); the CLI reports its message. */
export class DivergenceError extends Error {
  override name = 'DivergenceError';
}

function readLog(file: string, upTo: number): string[] {
  if (!fs.existsSync(file)) return [];
  const out: string[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as StepRecord;
      if (r.step <= upTo) out.push(line);
    } catch {
      // a partial last line from an interrupted append: dropped
    }
  }
  return out;
}

/** Run (or resume) a training loop; returns when `totalSteps` (or `stopAfter`) steps are done. */
export async function runLoop<P extends object = Record<string, tf.Tensor>>(spec: LoopSpec<P>): Promise<LoopResult> {
  const ckptDir = path.join(spec.outDir, 'checkpoint');
  const logFile = path.join(spec.outDir, 'log.jsonl');
  fs.mkdirSync(spec.outDir, { recursive: true });
  const opt = new AdamW(spec.optim, spec.trainable);
  const ema = spec.emaDecay > 0 ? new Ema(spec.emaDecay, spec.trainable) : null;
  let start = 0;
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
    // Keep the log consistent with the checkpoint: drop records past it (and any partial line).
    const kept = readLog(logFile, start);
    fs.writeFileSync(logFile, kept.length ? `${kept.join('\n')}\n` : '');

    const varNames = Object.keys(spec.trainable);
    const varList = varNames.map((n) => spec.trainable[n]);
    let lastSaved = start;
    const lastGood = () => (lastSaved > 0 ? `The last good checkpoint (step ${lastSaved}) in ${ckptDir} is kept.` : 'No checkpoint was written yet.');
    const save = (step: number, record: StepRecord | null) => {
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
    const t0 = Date.now();
    const end = Math.min(spec.totalSteps, spec.stopAfter ?? spec.totalSteps);
    for (let step = start; step < end; step++) {
      const ts = Date.now();
      let loss: number;
      let metricValues: Record<string, number>;
      const byName: Record<string, tf.Tensor> = {};
      if (spec.computeGrads) {
        const r = await spec.computeGrads(step);
        loss = r.loss;
        metricValues = r.metrics;
        for (const n of varNames) {
          if (!r.grads[n]) throw new Error(`${spec.label}: no gradient for '${n}' from the workers`);
          byName[n] = tf.tensor(r.grads[n], spec.trainable[n].shape);
        }
      } else {
        let metrics: Record<string, tf.Scalar> = {};
        const prepared = spec.prepare ? spec.prepare(step) : ({} as P);
        const { value, grads } = tf.variableGrads(() => {
          const r = spec.stepLoss(step, prepared);
          metrics = Object.fromEntries(Object.entries(r.metrics).map(([k, m]) => [k, tf.keep(m)]));
          return r.loss;
        }, varList);
        loss = value.dataSync()[0];
        metricValues = Object.fromEntries(Object.entries(metrics).map(([k, m]) => [k, m.dataSync()[0]]));
        tf.dispose([value, ...Object.values(metrics)]);
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
      last = { step: step + 1, loss, lr, gradNorm, seconds: (Date.now() - ts) / 1000, ...metricValues };
      fs.appendFileSync(logFile, `${JSON.stringify(last)}\n`);
      spec.onStep?.(last);
      bar.tick(1, { loss, ...metricValues });
      if ((step + 1) % spec.checkpointEvery === 0 || step + 1 === end) save(step + 1, last);
    }
    bar.finish();
    const done = end - start;
    return {
      steps: end,
      resumedFrom: start,
      lastRecord: last,
      ema: ema ? snapshot(ema.shadow) : null,
      secondsPerStep: done > 0 ? (Date.now() - t0) / 1000 / done : 0,
    };
  } finally {
    opt.dispose();
    ema?.dispose();
  }
}

/** Read a run's log.jsonl (complete lines only). */
export function readStepLog(outDir: string): StepRecord[] {
  return readLog(path.join(outDir, 'log.jsonl'), Infinity).map((l) => JSON.parse(l) as StepRecord);
}
