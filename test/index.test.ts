/** The package root (src/index.ts): the public names of docs/design.md, "Public API", whatever the layout. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import * as kit from '../src';

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
    assert.deepEqual(kit.ALIGN_METHODS, ['sft', 'sft-halo', 'ipa', 'ipa-halo', 'flow-dpo']);
  });
});
