import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { fusedKernelsActive, fusedWasmHashPath, fusedWasmPath, kernelsReport, setFusedKernels, verifiedBinary, wasmSectionIds } from '../src/gpu/fused';
import { concatChannels, groupNormAct } from '../src/gpu/norm';
import { kitRoot } from '../src/core/kit';
import { rng } from '../src/core/seeds';
import { assertClose, useWasm } from './helpers';

interface Case {
  shape: [number, number, number, number];
  groups: number;
  /** Clips of the FiLM modulation (0: none). */
  clips: number;
  act: boolean;
}

/** Odd sizes, batch 1, one channel, channel counts that are not a multiple of the kernels' 4 lanes. */
const CASES: Case[] = [
  { shape: [1, 1, 1, 1], groups: 1, clips: 0, act: true },
  { shape: [1, 3, 5, 4], groups: 2, clips: 1, act: true },
  { shape: [2, 5, 3, 7], groups: 7, clips: 0, act: false },
  { shape: [3, 2, 7, 6], groups: 3, clips: 3, act: true },
  { shape: [4, 8, 8, 16], groups: 4, clips: 2, act: true },
  { shape: [6, 4, 4, 12], groups: 4, clips: 2, act: false },
];

/** Value and every gradient of sum(groupNormAct(...) * w) on the current backend, as plain arrays. */
function valueAndGrads(c: Case, seed: number): Float32Array[] {
  const [N, H, W, C] = c.shape;
  const r = rng(seed, 'fused', c.shape.join('x'));
  return tf.tidy(() => {
    const x = tf.tensor4d(r.normals(N * H * W * C, 2), c.shape);
    const gamma = tf.tensor1d(r.uniforms(C, 0.5, 1.5));
    const beta = tf.tensor1d(r.normals(C, 0.3));
    const w = tf.tensor4d(r.normals(N * H * W * C), c.shape);
    const film = c.clips > 0 ? [tf.tensor2d(r.normals(c.clips * C, 0.3), [c.clips, C]), tf.tensor2d(r.normals(c.clips * C, 0.3), [c.clips, C])] : [];
    const f = (...ins: tf.Tensor[]) => {
      const [xs, g, b, scale, shift] = ins;
      const y = groupNormAct(xs as tf.Tensor4D, c.groups, g as tf.Tensor1D, b as tf.Tensor1D, { silu: c.act, scale: scale as tf.Tensor2D | undefined, shift: shift as tf.Tensor2D | undefined });
      return tf.sum(tf.mul(y, w));
    };
    const ins = [x, gamma, beta, ...film];
    const y = groupNormAct(x, c.groups, gamma, beta, { silu: c.act, scale: film[0] as tf.Tensor2D | undefined, shift: film[1] as tf.Tensor2D | undefined });
    const grads = tf.grads(f)(ins);
    return [y, ...grads].map((t) => t.dataSync() as Float32Array);
  });
}

describe('fused wasm kernels (native/kernels.c)', () => {
  before(useWasm);
  after(() => setFusedKernels(true));

  it('load and run on the wasm backend, verified against the recorded SHA-256', () => {
    assert.match(kernelsReport('wasm'), /fused wasm kernels .*verified/);
    assert.ok(fusedKernelsActive());
    assert.match(fs.readFileSync(fusedWasmHashPath(), 'utf8'), /^[0-9a-f]{64}  kernels\.wasm\n$/, 'the record is sha256sum output');
  });

  it('refuses an altered module by name (one bit flipped), a missing record, and never falls back unasked', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-kernels-'));
    const bytes = new Uint8Array(fs.readFileSync(fusedWasmPath()));
    const file = path.join(dir, 'kernels.wasm');
    fs.copyFileSync(fusedWasmHashPath(), `${file}.sha256`);
    fs.writeFileSync(file, bytes);
    assert.ok(verifiedBinary(file, `${file}.sha256`).bytes.length === bytes.length, 'the intact copy passes');
    bytes[5509 % bytes.length] ^= 1; // the audit's flip: the module would still load and compute wrong numbers
    fs.writeFileSync(file, bytes);
    assert.throws(() => verifiedBinary(file, `${file}.sha256`), (e: Error) => e.name === 'DataError' && e.message.includes(file) && /is altered/.test(e.message));
    fs.rmSync(`${file}.sha256`);
    assert.throws(() => verifiedBinary(file, `${file}.sha256`), /kernels\.wasm\.sha256 is missing/);
    // Off only when asked for by name: IPA_FUSED=0 / setFusedKernels(false), and the report says so.
    setFusedKernels(false);
    assert.equal(fusedKernelsActive(), false);
    assert.match(kernelsReport('wasm'), /composed tfjs ops \(IPA_FUSED=0\)/);
    setFusedKernels(true);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const c of CASES) {
    it(`GroupNorm${c.clips ? ' + FiLM' : ''}${c.act ? ' + SiLU' : ''} on ${c.shape.join('x')}, ${c.groups} groups: value and all gradients match the cpu backend`, async () => {
      await tf.setBackend('cpu');
      const want = valueAndGrads(c, 1);
      await tf.setBackend('wasm');
      assert.ok(fusedKernelsActive());
      const got = valueAndGrads(c, 1);
      const names = ['value', 'dx', 'dgamma', 'dbeta', 'dscale', 'dshift'];
      assert.equal(got.length, want.length);
      got.forEach((g, i) => {
        const scale = Math.max(1, ...Array.from(want[i], Math.abs));
        assertClose(g, want[i], 2e-5 * scale, names[i]);
      });
    });
  }

  for (const [c1, c2] of [[1, 1], [3, 5], [16, 16], [7, 64]]) {
    it(`channel concatenation ${c1} + ${c2} and its gradient match the cpu backend`, async () => {
      const run = () =>
        tf.tidy(() => {
          const r = rng(2, 'concat', c1, c2);
          const a = tf.tensor4d(r.normals(2 * 3 * 5 * c1), [2, 3, 5, c1]);
          const b = tf.tensor4d(r.normals(2 * 3 * 5 * c2), [2, 3, 5, c2]);
          const w = tf.tensor4d(r.normals(2 * 3 * 5 * (c1 + c2)), [2, 3, 5, c1 + c2]);
          const y = concatChannels(a, b);
          const g = tf.grads((x: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(concatChannels(x as tf.Tensor4D, z as tf.Tensor4D), w)))([a, b]);
          return [y, ...g].map((t) => t.dataSync() as Float32Array);
        });
      await tf.setBackend('cpu');
      const want = run();
      await tf.setBackend('wasm');
      const got = run();
      got.forEach((g, i) => assert.deepEqual(g, want[i]));
    });
  }

  it('refuses groups that do not divide the channels, and leaves no tensor behind', () => {
    const x = tf.zeros([1, 2, 2, 6]) as tf.Tensor4D;
    const g = tf.ones([6]) as tf.Tensor1D;
    const b = tf.zeros([6]) as tf.Tensor1D;
    assert.throws(() => groupNormAct(x, 4, g, b), /not divisible by 4 groups/);
    const before = tf.memory().numTensors;
    tf.tidy(() => groupNormAct(x, 3, g, b, { silu: true }).dataSync());
    tf.tidy(() => {
      tf.grads((a: tf.Tensor) => tf.sum(groupNormAct(a as tf.Tensor4D, 3, g, b, { silu: true })))([x])[0].dataSync();
    });
    assert.equal(tf.memory().numTensors, before);
    tf.dispose([x, g, b]);
  });

  it('the committed binary has no data section and uses no stack (it runs inside the tfjs heap)', (t) => {
    const bytes = fs.readFileSync(fusedWasmPath());
    const ids = wasmSectionIds(bytes);
    assert.ok(!ids.includes(11) && !ids.includes(12), `sections ${ids}`);
    const dump = spawnSync('wasm-objdump', ['-d', fusedWasmPath()], { encoding: 'utf8' });
    if (dump.error) return t.skip('wasm-objdump not installed (Debian: apt-get install wabt)');
    assert.doesNotMatch(dump.stdout, /global\.(get|set)/, 'a stack pointer in use would point into the tfjs heap');
  });

  it('the committed binary is what native/build.sh builds from the source', (t) => {
    const have = spawnSync('clang', ['--version']).status === 0 && spawnSync('wasm-ld', ['--version']).status === 0;
    if (!have) return t.skip('clang and wasm-ld not installed (Debian: apt-get install clang lld); the committed binary is used as is');
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-native-')), 'kernels.wasm');
    const r = spawnSync('bash', [path.join(kitRoot(), 'native', 'build.sh'), out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(fs.readFileSync(out).equals(fs.readFileSync(fusedWasmPath())), 'native/kernels.wasm is stale: run native/build.sh and commit it');
  });
});
