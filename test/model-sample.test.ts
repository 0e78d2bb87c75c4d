import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { clipNoise } from '../src/model/sample';
import { rng } from '../src/core/seeds';

/** Sample correlation of two equal-length arrays. */
function corr(a: Float32Array, b: Float32Array): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

describe('sampling noise', () => {
  const shape = [4, 32, 32, 3]; // reference slot + 3 generated frames
  const per = 32 * 32 * 3;
  const frame = (x: Float32Array, f: number) => x.subarray(f * per, (f + 1) * per);

  it('rho 0 is the clip stream as before (initial and fresh noise), frames independent', () => {
    const n = shape.reduce((a, b) => a * b, 1);
    assert.deepEqual(clipNoise(1, 'val-00000#0', shape), rng(1, 'sample', 'val-00000#0').normals(n));
    assert.deepEqual(clipNoise(1, 'val-00000#0', shape, 0, 2), rng(1, 'sample-fresh', 'val-00000#0', 2).normals(n));
    const x = clipNoise(1, 'val-00000#0', shape);
    assert.ok(Math.abs(corr(frame(x, 1), frame(x, 2))) < 0.05);
  });

  it('rho correlates the generated frames by rho, keeps each frame standard normal and the reference slot unchanged', () => {
    for (const rho of [0.5, 0.8]) {
      for (const step of [null, 3]) {
        const x = clipNoise(1, 'val-00000#0', shape, rho, step);
        const c = corr(frame(x, 1), frame(x, 3));
        assert.ok(Math.abs(c - rho) < 0.05, `rho ${rho}, step ${step}: correlation ${c}`);
        const f2 = frame(x, 2);
        const v = f2.reduce((s, a) => s + a * a, 0) / per;
        assert.ok(Math.abs(v - 1) < 0.08, `variance ${v}`);
        assert.deepEqual(frame(x, 0), frame(clipNoise(1, 'val-00000#0', shape, 0, step), 0));
      }
    }
  });
});
