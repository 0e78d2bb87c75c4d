/**
 * Every bench group runs at a tiny size (`ipa-kit bench --tiny`), so that none can break unseen: the rows of each
 * group come back, and the reference group's rows have the names the issue fixed. Tiny rows time nothing; the
 * speed targets are read from `npm run bench` at full size, never asserted here.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { registerAllBenches, registeredBenches } from '../src/study/benches';
import { REFERENCE_PYTHON } from '../src/study/bench-reference';
import { ortStatus } from '../src/gpu/onnx';
import type { BenchReport } from '../src/gpu/bench-harness';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

/** The CLI as installed: bin/ipa-kit.js of the repository (it runs the built dist/). */
const BIN = path.resolve(__dirname, '..', '..', 'bin', 'ipa-kit.js');

/** Whether the reference bench's Python has Debian's torch (then the PyTorch rows must be there). */
function torchImportable(): boolean {
  return spawnSync(REFERENCE_PYTHON, ['-c', 'import torch'], { encoding: 'utf8' }).status === 0;
}

describe('benches at a tiny size', () => {
  it('every group gives rows; the reference rows are the U-Net against PyTorch under their fixed names', async () => {
    registerAllBenches();
    const groups = [...new Set(registeredBenches().map((b) => b.group))];
    // A child process, as a user runs it (the benches start worker pools and ONNX sessions of their own).
    const r = spawnSync(process.execPath, [BIN, 'bench', '--tiny', '--repeats', '1', '--backend', 'wasm', '--json'], { encoding: 'utf8', env: { ...process.env, IPA_QUIET: '1' }, maxBuffer: 64 << 20 });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as BenchReport;
    assert.equal(report.tiny, true);
    for (const g of groups) assert.ok(report.rows.some((row) => row.group === g), `bench group '${g}' gave no rows at the tiny size`);
    for (const row of report.rows) assert.ok(Number.isFinite(row.median), `${row.group} ${row.case} ${row.variant}: median ${row.median}`);
    const unet = report.rows.filter((row) => row.group === 'reference' && row.case.startsWith('U-Net'));
    const want = [
      ...(torchImportable() ? ['pytorch 1 thread', 'pytorch 2 threads'] : []),
      'kit tfjs 1 worker',
      ...(ortStatus().ok ? ['kit onnx 1 thread', 'kit onnx 2 cores'] : []),
    ];
    assert.deepEqual(unet.map((row) => row.variant).sort(), want.sort());
  });
});
