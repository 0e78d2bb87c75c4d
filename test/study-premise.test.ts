/** The premise stage and figures of a study (a smoke world, hand-made candidates and judgments), and the pretraining defect gallery of notebook 01. */
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Generations } from '../src/model/generations';
import { premiseRows } from '../src/report/premise';
import { caseAnalysis } from '../src/select/cases';
import { FrameMark, VideoJudgment } from '../src/select/judge';
import { premiseStage, studyModeRegions, worldStage } from '../src/study/pipeline';
import { premiseFigures } from '../src/study/premise-figures';
import { PROFILES } from '../src/study/profiles';
import { openStudy } from '../src/study/study';
import { DEFECT_KINDS, defectGallery, defectKindsGallery, defectModeRows } from '../src/study/world-figures';
import { DEFECT_MODES, DEFECT_MODE_NAMES } from '../src/world/defects';
import { getClip } from '../src/world/store';
import { tmpDir } from './kernel-helpers';

const ROOT = tmpDir('premise');
after(() => fs.rmSync(ROOT, { recursive: true, force: true }));

function video(id: string, marks: FrameMark[], score: number | null): VideoJudgment {
  const judged = marks.filter((m) => m !== 'unjudged').length;
  const good = marks.filter((m) => m === 'good').length;
  return { id, inputId: id.split('#')[0], marks, verdict: judged === 0 ? 'unjudged' : good === judged ? 'good' : 'bad', judgedFrames: judged, goodFrames: good, score };
}

describe('premise of a study', () => {
  const study = openStudy({ profile: 'smoke', root: ROOT });
  const train = worldStage(study).world.splits.train;
  const S = train.size;
  const F = train.numFrames;
  const per = F * S * S * 3;
  // 4 candidates of the first two train inputs: the ground truth, darkened by candidate number (so rows differ).
  const entries = [0, 1].flatMap((row) => [0, 1, 2, 3].map((k) => ({ id: `${train.ids[row]}#${k}`, clipId: train.ids[row], row, candidate: k })));
  const frames = new Uint8Array(entries.length * per);
  entries.forEach((e, i) => frames.set(getClip(train, e.row).frames.map((v) => v >> e.candidate), i * per));
  const gens: Generations = {
    manifest: {
      format: 'test', split: 'train', worldDir: '', worldHash: '', baseWeightsSha256: '', adapterWeightsSha256: null, seed: 1, steps: 4,
      frames: F, size: S, count: entries.length, entries, seconds: 0, files: {}, sha256: '',
    },
    frames,
  };
  const [a, b] = [train.ids[0], train.ids[1]];
  const G: FrameMark[] = ['good'];
  const B: FrameMark[] = ['bad'];
  // a: hands vary with the noise (range 0.8); b: alike (range 0.1).
  const judgments = [
    video(`${a}#0`, B, 0.1), video(`${a}#1`, G, 0.9), video(`${a}#2`, B, 0.5), video(`${a}#3`, B, 0.3),
    video(`${b}#0`, B, 0.4), video(`${b}#1`, B, 0.45), video(`${b}#2`, B, 0.5), video(`${b}#3`, B, 0.42),
  ];
  const selDir = path.join(study.paths.work, 'selection');
  fs.mkdirSync(selDir, { recursive: true });
  fs.writeFileSync(path.join(selDir, 'judgments.json'), JSON.stringify(judgments));

  it('premiseStage writes the premise table of the selection\'s judgments', () => {
    const cases = caseAnalysis(judgments);
    const p = premiseStage(study, { cases });
    const modes = studyModeRegions(study);
    assert.ok(modes, 'the smoke base couples its defects to the noise');
    assert.deepEqual(p.rows, premiseRows(judgments, cases, undefined, modes));
    assert.equal(p.rows[p.rows.length - 1].metric, 'share of hand-score variance the mode region explains');
    assert.deepEqual(p.judgments, judgments);
    assert.deepEqual(p.files, { csv: path.join(study.paths.results, 'tables', 'premise.csv'), md: path.join(study.paths.results, 'tables', 'premise.md'), tex: path.join(study.paths.results, 'tables', 'premise.tex') });
    const csv = fs.readFileSync(p.files.csv, 'utf8').split('\n');
    assert.equal(csv[0], 'metric,value,count,of,target,met');
    // a: a good and bad candidates (Case 4 pairs: #1 with #0, #2, #3); b: all bad. 3 strict pairs of 12.
    assert.ok(csv.includes('inputs with a good and a bad candidate,0.5,1,2,>= 10%,yes'), csv.join('\n'));
    assert.ok(csv.includes('strict (Case 4) pairs among judged pairs,0.25,3,12,>= 2%,yes'), csv.join('\n'));
    assert.equal(p.report.inputs, 2);
  });

  it('premiseFigures draws the spread chart and the widest input\'s candidates next to the truth', async () => {
    const figs = await premiseFigures(study, gens, judgments);
    const dir = path.join(study.paths.results, 'figures');
    assert.deepEqual(figs, { spread: path.join(dir, 'premise-spread.png'), candidates: path.join(dir, 'premise-candidates.png'), inputId: a });
    for (const f of [figs.spread, figs.candidates as string]) assert.deepEqual([...fs.readFileSync(f).subarray(0, 4)], [137, 80, 78, 71], f);
    const svg = fs.readFileSync(path.join(dir, 'premise-candidates.svg'), 'utf8');
    const labels = [...svg.matchAll(/text-anchor="end">([^<]*)</g)].map((m) => m[1]);
    assert.deepEqual(labels, ['ground truth', '#1 good 0.90', '#2 bad 0.50', '#3 bad 0.30', '#0 bad 0.10']);
  });

  it('premiseFigures names stale judgments and candidates of another split', async () => {
    await assert.rejects(premiseFigures(study, gens, [...judgments, video(`${a}#9`, G, 0.99), video(`${a}#8`, B, 0)]), new RegExp(`candidate '${a}#9' is judged but not among the candidates`));
    await assert.rejects(premiseFigures(study, { ...gens, manifest: { ...gens.manifest, split: 'val' } }, judgments), /candidates must be of the train split, got 'val'/);
  });
});

describe('pretraining defect gallery', () => {
  const world = { ...PROFILES.smoke.world, pretrainDefects: { rates: { 'pose-shift': 1 } } };
  const S = world.size;

  it('shows defective clips next to their clean versions: same frames, turned hand skeletons in the pose maps', () => {
    const g = defectGallery(1, world, { count: 2, scale: 1 });
    assert.deepEqual(g.clips, [{ id: 'pretrain-00000', defects: ['pose-shift'] }, { id: 'pretrain-00001', defects: ['pose-shift'] }]);
    const im = g.image;
    assert.ok(im);
    // Per clip: clean (frames, poses) and defective (frames, poses) strips of 2S + 1 rows, 2 rows apart; clips 6 apart.
    assert.equal(im.width, (world.frames + 1) * S + world.frames);
    assert.equal(im.height, 2 * (2 * (2 * S + 1) + 2) + 6);
    const rows = (y0: number, n: number) => im.data.subarray(y0 * im.width * 3, (y0 + n) * im.width * 3);
    assert.deepEqual(rows(2 * S + 3, S), rows(0, S), 'pose shift leaves the frames alone');
    assert.notDeepEqual(rows(3 * S + 4, S), rows(S + 1, S), 'and turns hand skeletons in the pose maps');
  });

  it('shows every defect kind on one clip: frame defects change the frames, pose defects only the pose maps', () => {
    const im = defectKindsGallery(1, world, { scale: 1 });
    const strip = 2 * (2 * S + 1) + 2; // clean and defective strips of one kind
    assert.equal(im.height, DEFECT_KINDS.length * strip + (DEFECT_KINDS.length - 1) * 6);
    const rows = (y0: number, n: number) => im.data.subarray(y0 * im.width * 3, (y0 + n) * im.width * 3);
    DEFECT_KINDS.forEach((k, i) => {
      const y = i * (strip + 6);
      const framesChanged = rows(y + 2 * S + 3, S).some((v, j) => v !== rows(y, S)[j]);
      const posesChanged = rows(y + 3 * S + 4, S).some((v, j) => v !== rows(y + S + 1, S)[j]);
      const poseKind = DEFECT_MODES[k.name].stage === 'pose';
      assert.equal(framesChanged, !poseKind, `${k.name}: frames ${framesChanged ? 'changed' : 'kept'}`);
      assert.equal(posesChanged, poseKind, `${k.name}: pose maps ${posesChanged ? 'changed' : 'kept'}`);
    });
    assert.throws(() => defectKindsGallery(1, world, { index: -1 }), /index must be a non-negative integer/);
  });

  it('is empty for the clean world, and rejects bad counts', () => {
    assert.deepEqual(defectGallery(1, { ...PROFILES.smoke.world, pretrainDefects: undefined }, { scan: 8 }), { image: null, clips: [] });
    assert.throws(() => defectGallery(1, world, { count: 0 }), /count must be a positive integer/);
  });

  it('lists every mode with its rate, stage, settings and what it looks like', () => {
    const rows = defectModeRows({ rates: { 'pose-shift': 0.5 }, settings: { 'pose-shift': { angle: 30 } } });
    assert.deepEqual(rows.map((r) => r.mode), DEFECT_MODE_NAMES);
    const shift = rows.find((r) => r.mode === 'pose-shift');
    assert.deepEqual({ rate: shift?.rate, stage: shift?.stage, settings: shift?.settings }, { rate: 0.5, stage: 'pose', settings: 'angle 30' });
    assert.ok(defectModeRows(undefined).every((r) => r.rate === 0 && r.looks.length > 10));
    assert.throws(() => defectModeRows({ rates: { 'pose-shift': 2 } }), /rates\['pose-shift'\] must be a share in \[0, 1\]/);
  });
});
