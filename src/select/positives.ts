/**
 * Selecting the implicit positives (docs/design.md, "Protocol", steps 2-3): every candidate video is scored against the ground
 * truth, each frame gets a hand judgment from the profile's thresholds, the good videos become the implicit
 * positives (best first, capped), and all candidate pairs of an input are classified into Cases 1-4.
 *
 * `positives.json` is the file the trainer reads: the positives (and the strict pairs for Flow-DPO), the
 * candidates folder they come from (with its hash), the thresholds, the acceptance rate and the case shares.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FrameDetector, scoreClip } from '../eval/evaluate';
import { handPoseScores } from '../eval/handpose';
import { Generations, videoAt } from '../model/generations';
import { readJson, writeJsonAtomic } from '../core/files';
import { DataError } from '../core/errors';
import { Shape, anything, array, checkShape, count, either, nullable, number, object, oneOf, optional, readJsonShape, record, string } from '../core/json';
import { SplitData, getClip } from '../world/store';
import { CaseReport, StrictPair, caseAnalysis, relaxedPairs } from './cases';
import { HandEvidence, Judge, VideoJudgment, flipJudgments, handEvidence, judgeVideos } from './judge';
import { SelectionOverride, applyOverride } from './override';
import { Selection, selectPositives } from './selection';

export const POSITIVES_FORMAT = 'ipa-kit-positives/1';

/** Everything the judge saw of the candidates (stored once; selections with other settings reuse it). */
export function candidateEvidence(gens: Generations, split: SplitData, detector?: FrameDetector | null): HandEvidence[] {
  const F = gens.manifest.frames;
  return gens.manifest.entries.map((e, i) => {
    const video = videoAt(gens, i);
    const truth = getClip(split, e.row);
    const detected = detector ? detector.detect(video, F).keypoints : undefined;
    const { metrics, keypoints } = scoreClip(e.id, e.clipId, video, truth, gens.manifest.size, detected);
    // The input pose: this world draws the pose map from the clip's keypoints, so they are what the video was asked for.
    const pose = detected ? handPoseScores(detected, truth.keypoints, truth.handVisible, F) : undefined;
    return handEvidence(e.id, e.clipId, metrics, keypoints ?? undefined, pose);
  });
}

const MAYBE_NUMBER = optional(nullable(number()));
const POSE_SCORES: Shape = object({ fingers: count, fingersSeen: count, angleError: nullable(number()), confidence: nullable(number()) });
const HAND_SCORES: Shape = nullable(object({ ssim: number(), psnr: nullable(number()), keypointError: MAYBE_NUMBER, pck: MAYBE_NUMBER, pose: optional(POSE_SCORES) }));

/** The shape of evidence.json: per video, `[frame][hand]` scores of the visible hands. */
const EVIDENCE_SHAPE: Shape = array(object({ id: string(), inputId: string(), hands: array(array(HAND_SCORES)) }));

/** The shape of judgments.json. */
const JUDGMENTS_SHAPE: Shape = array(
  object({
    id: string(),
    inputId: string(),
    marks: array(oneOf('good', 'bad', 'unjudged')),
    verdict: oneOf('good', 'bad', 'unjudged'),
    judgedFrames: count,
    goodFrames: count,
    score: nullable(number()),
  }),
);

/** The shape of a learned keypoint judge (select/judge.ts KeypointJudge). */
const JUDGE_SHAPE: Shape = object({
  kind: oneOf('keypoints'),
  features: array(string()),
  mean: array(number()),
  std: array(number()),
  weights: array(number()),
  bias: number(),
  minProbability: number({ min: 0, max: 1 }),
});

/** The shape of positives.json. */
const POSITIVES_SHAPE: Shape = object({
  format: string(),
  candidates: object({ dir: string(), sha256: string() }),
  thresholds: either(record(number()), JUDGE_SHAPE),
  annotationNoise: number({ min: 0, max: 1 }),
  maxPositives: count,
  candidatesCount: count,
  goodCount: count,
  acceptanceRate: number({ min: 0, max: 1 }),
  positives: array(string()),
  strictPairs: array(object({ inputId: string(), winner: string(), loser: string() })),
  relaxedPairs: optional(array(object({ inputId: string(), winner: string(), loser: string() }))),
  cases: record(anything),
  override: nullable(object({ include: array(string()), exclude: array(string()) })),
});

/** Read evidence.json (what the judge saw of every candidate), shape checked. */
export function readEvidence(file: string): HandEvidence[] {
  return readJsonShape<HandEvidence[]>(file, EVIDENCE_SHAPE);
}

/** Read judgments.json (the frame marks and verdict of every candidate), shape checked. */
export function readJudgmentsFile(file: string): VideoJudgment[] {
  return readJsonShape<VideoJudgment[]>(file, JUDGMENTS_SHAPE);
}

export interface PositivesFile {
  format: string;
  /** Candidates folder (relative to this file's folder) and the SHA-256 of its frames. */
  candidates: { dir: string; sha256: string };
  /** The judge: the oracle's thresholds, or the learned keypoint judge. */
  thresholds: Judge;
  /** Share of frame judgments flipped before selection (annotation-noise ablation; 0 normally). */
  annotationNoise: number;
  maxPositives: number;
  candidatesCount: number;
  goodCount: number;
  acceptanceRate: number;
  positives: string[];
  /** Strict (Case 4) pairs among the candidates, for Flow-DPO. */
  strictPairs: StrictPair[];
  /**
   * Relaxed pairs (select/cases.ts `relaxedPairs`: per input, best- against worst-scored candidate), for Flow-DPO
   * (relaxed). Absent in files written before relaxed pairs existed (the selection stage rewrites the file).
   */
  relaxedPairs?: StrictPair[];
  cases: Omit<CaseReport, 'strictPairs'>;
  override: Selection['overrides'] | null;
}

export interface SelectArgs {
  evidence: HandEvidence[];
  thresholds: Judge;
  maxPositives: number;
  annotationNoise?: number;
  noiseSeed?: number;
  override?: SelectionOverride | null;
  /**
   * Annotation budget: only the candidates of the first `judgedInputs` inputs (in the evidence's order) were judged;
   * the rest are as if never looked at. Absent: every candidate was judged.
   */
  judgedInputs?: number;
}

/** The evidence of the first `n` inputs (in order of first appearance), or all of it when `n` is absent. */
export function evidenceOfInputs(evidence: HandEvidence[], n: number | undefined): HandEvidence[] {
  if (n === undefined) return evidence;
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`judgedInputs must be a positive integer, got ${n}`);
  const kept = new Set<string>();
  for (const e of evidence) {
    if (kept.size >= n) break;
    kept.add(e.inputId);
  }
  return evidence.filter((e) => kept.has(e.inputId));
}

/** Judge, select and analyse pairs (pure: no files). */
export function selectFromEvidence(a: SelectArgs): { judgments: VideoJudgment[]; selection: Selection; cases: CaseReport } {
  let judgments = judgeVideos(evidenceOfInputs(a.evidence, a.judgedInputs), a.thresholds);
  if (a.annotationNoise && a.annotationNoise > 0) judgments = flipJudgments(judgments, a.annotationNoise, a.noiseSeed ?? 1);
  let selection = selectPositives(judgments, { maxPositives: a.maxPositives });
  if (a.override) selection = applyOverride(selection, a.override);
  const cases = caseAnalysis(judgments, selection.positives);
  return { judgments, selection, cases };
}

/** Write positives.json for a selection. */
export function writePositives(file: string, candidatesDir: string, gens: Generations, a: SelectArgs, r: ReturnType<typeof selectFromEvidence>): PositivesFile {
  const { strictPairs, ...cases } = r.cases;
  const good = r.judgments.filter((j) => j.verdict === 'good').length;
  const out: PositivesFile = {
    format: POSITIVES_FORMAT,
    candidates: { dir: path.relative(path.dirname(file), candidatesDir), sha256: gens.manifest.files['frames.u8'].sha256 },
    thresholds: a.thresholds,
    annotationNoise: a.annotationNoise ?? 0,
    maxPositives: a.maxPositives,
    candidatesCount: r.judgments.length,
    goodCount: good,
    acceptanceRate: r.judgments.length ? good / r.judgments.length : 0,
    positives: r.selection.positives,
    strictPairs,
    relaxedPairs: relaxedPairs(r.judgments),
    cases,
    override: r.selection.overrides ?? null,
  };
  writeJsonAtomic(file, out);
  return out;
}

/** Read a positives file; the candidates folder it names is resolved against the file's folder. */
export function readPositives(file: string): PositivesFile & { candidatesDir: string } {
  if (!fs.existsSync(file)) throw new DataError(`positives file not found: ${file}`);
  const head = checkShape<{ format: string }>(readJson<unknown>(file), object({ format: string() }), file);
  if (head.format !== POSITIVES_FORMAT) throw new DataError(`${file} is not a positives file (format '${String(head.format)}')`);
  const p = checkShape<PositivesFile>(head, POSITIVES_SHAPE, file);
  return { ...p, candidatesDir: path.resolve(path.dirname(file), p.candidates.dir) };
}
