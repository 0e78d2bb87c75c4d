/** The kernel process: connection files (with their HMAC keys) never outlive the runner that made them. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { KernelProcess, kernelPortTaken } from '../src/notebook/kernel';
import { newMarker, waitNoMarker } from './kernel-helpers';

describe('kernel connection files', () => {
  it('a connection folder (with its HMAC key) left by a runner killed with SIGKILL is removed when the next kernel starts', async () => {
    const marker = newMarker();
    // A runner that starts a kernel, prints its connection folder, and is then killed with SIGKILL.
    const child = spawn(process.execPath, ['-e', `
      const { KernelProcess } = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'notebook', 'kernel.js'))});
      KernelProcess.start({ cwd: ${JSON.stringify(os.tmpdir())} }).then((k) => { process.stdout.write(k.connectionDir + '\\n'); setInterval(() => {}, 1000); });
    `], { env: { ...process.env, IPA_TEST_MARKER: marker }, stdio: ['ignore', 'pipe', 'pipe'] });
    const stale = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.trim());
      });
      child.on('exit', (code) => reject(new Error(`the runner exited (${code}) before starting its kernel`)));
    });
    child.kill('SIGKILL');
    assert.deepEqual(await waitNoMarker(marker, 10000), [], 'its kernel exits on its own once the runner is gone');
    assert.ok(fs.existsSync(path.join(stale, 'kernel.json')), 'SIGKILL left the connection file behind');
    const k = await KernelProcess.start({ cwd: os.tmpdir() });
    try {
      assert.ok(!fs.existsSync(stale), `${stale} is removed by the next start`);
    } finally {
      await k.stop();
    }
  });

  it('recognises a kernel whose port was taken at startup (tslab\'s zeromq error, as a fresh-clone run printed it)', () => {
    const seen = "at Object.next (/tmp/kit/node_modules/zeromq/lib/index.js:49:44) | at /tmp/kit/node_modules/tslab/dist/jupyter.js:457:87 { | errno: 16, | code: 'EBUSY' | }";
    assert.equal(kernelPortTaken(seen), true);
    assert.equal(kernelPortTaken('Error: Address already in use'), true);
    assert.equal(kernelPortTaken('ReferenceError: x is not defined'), false);
  });
});
