/** The package root (src/index.ts): the public names of docs/design.md, "Public API", whatever the layout. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import * as ts from 'typescript';
import * as kit from '../src';
import { readNotebook } from '../src/notebook/nbformat';

const ROOT = path.resolve(__dirname, '..', '..');

/** The names read as values from `kit` (`kit.X` outside type positions such as `kit.SplitName`). */
function kitValues(code: string): Set<string> {
  const names = new Set<string>();
  const visit = (n: ts.Node): void => {
    if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'kit') names.add(n.name.text);
    ts.forEachChild(n, visit);
  };
  visit(ts.createSourceFile('notebook.ts', code, ts.ScriptTarget.ES2022, true));
  return names;
}

/** The code cells of a shipped notebook, joined in order (the kernel runs them in one scope). */
function notebookCode(step: { notebook: string }): string {
  const nb = readNotebook(path.join(ROOT, step.notebook));
  return nb.cells.filter((c) => c.cell_type === 'code').map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source)).join('\n');
}

describe('package root', () => {
  it('exports the public losses and metrics, and they compute', () => {
    for (const name of ['haloError', 'ipaLoss', 'flowMatchingLoss', 'flowDpoLoss', 'ssim', 'psnr'] as const) assert.equal(typeof kit[name], 'function', name);
    const x = tf.fill([1, 2, 4, 4, 3], 0.5);
    const mask = tf.zeros([1, 1, 4, 4, 1]);
    const r = kit.ipaLoss({ modelPred: x, refPred: x, target: tf.zerosLike(x), t: tf.tensor1d([0.5]), handMask: mask, beta: 600, handWeight: 10 });
    assert.ok(Math.abs(r.loss.dataSync()[0] - Math.LN2) < 1e-6, 'model equal to the reference: log 2');
    assert.deepEqual(Array.from(kit.haloError(x, tf.zerosLike(x), mask, 10).dataSync()), [0.25]);
    const im = { data: new Float32Array(16 * 16 * 3).fill(0.3), shape: [16, 16, 3] as [number, number, number] };
    assert.equal(kit.ssim(tf.tensor3d(im.data, im.shape), tf.tensor3d(im.data, im.shape)), 1);
    tf.dispose([x, mask, r.loss, r.gap, r.modelError, r.referenceError]);
  });

  it('exports what the notebooks call (stages, tables, the objectives table)', () => {
    for (const name of ['worldStage', 'baseStage', 'candidatesStage', 'selectionStage', 'alignStage', 'evaluateStage', 'resultsStage', 'mainTable', 'resultInputs', 'readJobs', 'trainingCurves', 'baseQualityRows', 'notebookStudy'] as const) {
      assert.equal(typeof kit[name], 'function', name);
    }
    assert.deepEqual(kit.ALIGN_METHODS, ['sft', 'sft-halo', 'ipa', 'ipa-halo', 'ipa-const', 'flow-dpo', 'flow-dpo-relaxed', 'flow-dpo-const']);
  });

  it('every kit.X value of the shipped notebooks is exported, and their code parses', () => {
    for (const step of kit.NOTEBOOKS) {
      const code = notebookCode(step);
      const names = [...kitValues(code)];
      assert.ok(names.length > 0, `${step.notebook} uses the kit`);
      const missing = names.filter((n) => !(n in kit));
      assert.deepEqual(missing, [], `${step.notebook} calls names the package root does not export`);
      const out = ts.transpileModule(code, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } });
      assert.deepEqual((out.diagnostics ?? []).map((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ')), [], `${step.notebook} parses`);
    }
  });
});
