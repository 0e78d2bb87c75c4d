/**
 * What notebook 03 shows of the premise (report/premise.ts): the per-input spread of the candidates' hand scores,
 * and the candidates of the input whose hand scores spread the most, hands zoomed next to the ground truth.
 */
import * as path from 'node:path';
import { Generations, videoAt } from '../model/generations';
import { saveFigure } from '../report/figures';
import { GridRow, saveComparisonGrid } from '../report/grids';
import { candidateRows, handSpreadChart, handSpreadPoints } from '../report/premise';
import { VideoJudgment } from '../select/judge';
import { premiseReport } from '../select/premise';
import { getClip } from '../world/store';
import { worldStage } from './pipeline';
import { Study } from './study';

/** The premise figures of a study's candidates and their judgments, written to `<results>/figures/premise-*.{svg,png}`. */
export async function premiseFigures(
  study: Study,
  candidates: Generations,
  judgments: readonly VideoJudgment[],
): Promise<{ spread: string; candidates: string | null; inputId: string | null }> {
  const dir = path.join(study.paths.results, 'figures');
  const spread = await saveFigure(handSpreadChart(handSpreadPoints(judgments), premiseReport(judgments).handScore), path.join(dir, 'premise-spread'));
  const pick = candidateRows(judgments);
  if (!pick) return { spread: spread.png, candidates: null, inputId: null };
  if (candidates.manifest.split !== 'train') throw new Error(`premiseFigures: candidates must be of the train split, got '${candidates.manifest.split}'`);
  const train = worldStage(study).world.splits.train;
  const row = train.ids.indexOf(pick.inputId);
  if (row < 0) throw new Error(`premiseFigures: input '${pick.inputId}' is not a train clip of this world`);
  const index = new Map(candidates.manifest.entries.map((e, i) => [e.id, i]));
  const rows: GridRow[] = pick.rows.map((r) => {
    const i = index.get(r.id);
    if (i === undefined) throw new Error(`premiseFigures: candidate '${r.id}' is judged but not among the candidates (stale judgments?)`);
    return { label: r.label, video: videoAt(candidates, i) };
  });
  const clip = getClip(train, row);
  const file = await saveComparisonGrid(clip, [{ label: 'ground truth', video: clip.frames }, ...rows], path.join(dir, 'premise-candidates'), {
    title: `${pick.inputId}: its ${rows.length} candidates (widest spread of hand scores), hands zoomed`,
  });
  return { spread: spread.png, candidates: file, inputId: pick.inputId };
}
