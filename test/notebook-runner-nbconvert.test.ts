import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { installKernelSpec } from '../src/notebook/kernelspec';
import { FIXTURES, cli, jupyterAvailable, newMarker, notebookOutputs, readNb, tmpDir, waitNoMarker } from './kernel-helpers';

const SKIP = jupyterAvailable()
  ? false
  : "jupyter nbconvert is not installed (Debian: apt-get install jupyter-nbconvert python3-nbclient; .ci/run installs it), so the cross-check with Jupyter's own client cannot run";

function nbconvert(notebook: string, outDir: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      'jupyter',
      ['nbconvert', '--to', 'notebook', '--execute', notebook, '--output-dir', outDir, '--ExecutePreprocessor.timeout=120', '--ExecutePreprocessor.kernel_name=ipa-kit'],
      { cwd: path.dirname(notebook), env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe("the same notebook through the kit's runner and through Jupyter's nbconvert", { skip: SKIP }, () => {
  it('gives the same cell outputs (execution counts and metadata aside)', async () => {
    const prefix = tmpDir('nbconvert-prefix');
    installKernelSpec({ prefix });
    const marker = newMarker();
    const env = { IPA_PROFILE: 'smoke', IPA_WORLD_SEED: '3', IPA_TEST_MARKER: marker, JUPYTER_PATH: path.join(prefix, 'share', 'jupyter') };
    const notebook = path.join(FIXTURES, 'outputs.ipynb');

    const viaJupyter = tmpDir('nbconvert-out');
    const j = await nbconvert(notebook, viaJupyter, env);
    assert.equal(j.code, 0, j.stderr);
    const viaKit = tmpDir('kit-out');
    const k = await cli(['run', notebook, '--out', viaKit], env);
    assert.equal(k.code, 0, k.stderr);

    const a = readNb(path.join(viaJupyter, 'outputs.ipynb'));
    const b = readNb(path.join(viaKit, 'outputs.ipynb'));
    assert.equal(a.metadata.kernelspec?.name, 'ipa-kit', 'nbconvert used the kit kernelspec');
    const outsJupyter = notebookOutputs(a);
    const outsKit = notebookOutputs(b);
    assert.deepEqual(outsKit, outsJupyter);
    assert.match(JSON.stringify(outsJupyter), /profile=smoke seed=3/, 'the profile reaches the notebook under Jupyter too');
    assert.ok(
      outsJupyter.some((o) => Array.isArray(o) && o.some((x) => (x as { type: string }).type === 'display_data')),
      'the comparison covers display data',
    );
    assert.deepEqual(await waitNoMarker(marker), [], 'no kernel left by either client');
    assert.ok(fs.existsSync(path.join(viaKit, 'outputs.ipynb')));
  });
});
