import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { clipScatterFigure, curvesFigure } from '../src/report/plotly';
import type { SplitScores } from '../src/eval/score';
import type { TrainingCurve } from '../src/report/results';

const rec = (step: number, gap?: number) => ({ step, loss: 0.7 - step / 100, lr: 1e-3, gradNorm: 1, seconds: 1, ...(gap === undefined ? {} : { gap }) });

function scores(values: Record<string, number | null>): SplitScores {
  const clips = Object.entries(values).map(([clipId, v]) => ({ id: `${clipId}#0`, clipId, ssimHand: v }) as unknown as SplitScores['clips'][number]);
  return { clips } as SplitScores;
}

describe('plotly figures', () => {
  it('curvesFigure: one line per run, grouped by method with one colour per method; runs without the metric left out', () => {
    const curves: TrainingCurve[] = [
      { method: 'sft', seed: 1, records: [rec(1, 0), rec(2, 0.1)] },
      { method: 'ipa', seed: 1, records: [rec(1, 0), rec(2, 0.2)] },
      { method: 'ipa', seed: 2, records: [rec(1, 0), rec(2, 0.3)] },
      { method: 'flow-dpo', seed: 1, records: [rec(1), rec(2)] },
    ];
    const fig = curvesFigure(curves, 'gap', { logY: false });
    assert.deepEqual(fig.data.map((t) => t.name), ['sft seed 1', 'ipa seed 1', 'ipa seed 2']);
    assert.deepEqual(fig.data.map((t) => t.legendgroup), ['sft', 'ipa', 'ipa']);
    const colour = (t: Record<string, unknown>) => (t.line as { color: string }).color;
    assert.equal(colour(fig.data[1]), colour(fig.data[2]));
    assert.notEqual(colour(fig.data[0]), colour(fig.data[1]));
    assert.deepEqual(fig.data[2].x, [1, 2]);
    assert.deepEqual(fig.data[2].y, [0, 0.3]);
    assert.equal((fig.layout.yaxis as { type: string }).type, 'linear');
    assert.throws(() => curvesFigure(curves, 'nothing'), /no run logged 'nothing'/);
  });

  it('clipScatterFigure: base on x, method on y for the clips both have, ids on hover, and the diagonal', () => {
    const base = scores({ a: 0.3, b: 0.5, c: null, d: 0.4 });
    const fig = clipScatterFigure(base, { ipa: scores({ a: 0.35, b: 0.45, c: 0.9 }) }, 'ssimHand');
    assert.equal(fig.data.length, 2);
    assert.deepEqual(fig.data[0].x, [0.3, 0.5]);
    assert.deepEqual(fig.data[0].y, [0.35, 0.45]);
    assert.deepEqual(fig.data[0].text, ['a', 'b']);
    assert.deepEqual(fig.data[1].x, [0.3, 0.5]);
    assert.deepEqual(fig.data[1].y, [0.3, 0.5]);
    assert.throws(() => clipScatterFigure(base, { dpo: scores({ z: 0.2 }) }, 'ssimHand'), /'dpo' shares no clip/);
  });
});
