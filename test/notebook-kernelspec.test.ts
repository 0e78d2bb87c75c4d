import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KERNEL_DISPLAY_NAME, KERNEL_NAME, ensureSelfReference, installKernelSpec, jupyterUserDataDir, kernelLauncherPath, kernelSpec, kernelSpecDir, kernelSpecState } from '../src/notebook/kernelspec';
import { ROOT, cli, tmpDir } from './kernel-helpers';

describe('kernelspec', () => {
  it("starts this checkout's kernel entry point with the running node, and needs no Python", () => {
    const spec = kernelSpec();
    assert.equal(spec.display_name, 'ipa-kit (TypeScript)');
    assert.equal(spec.language, 'typescript');
    assert.deepEqual(spec.argv, [process.execPath, path.join(ROOT, 'dist', 'notebook', 'kernel-main.js'), '{connection_file}']);
    assert.ok(!spec.argv.some((a) => /python/i.test(a)));
    assert.equal(kernelLauncherPath(), spec.argv[1]);
  });

  it('installs under PREFIX/share/jupyter/kernels/ipa-kit, is idempotent, and refreshes a stale spec', () => {
    const prefix = tmpDir('prefix');
    const first = installKernelSpec({ prefix });
    assert.equal(first.dir, path.join(prefix, 'share', 'jupyter', 'kernels', KERNEL_NAME));
    assert.equal(first.action, 'installed');
    const written = JSON.parse(fs.readFileSync(path.join(first.dir, 'kernel.json'), 'utf8'));
    assert.deepEqual(written, JSON.parse(JSON.stringify(kernelSpec())));
    assert.equal(installKernelSpec({ prefix }).action, 'unchanged');
    fs.writeFileSync(path.join(first.dir, 'kernel.json'), JSON.stringify({ ...kernelSpec(), argv: ['/elsewhere/node', 'x', '{connection_file}'] }));
    assert.equal(kernelSpecState(first.dir), 'stale');
    assert.equal(installKernelSpec({ prefix }).action, 'updated');
    assert.equal(kernelSpecState(first.dir), 'current');
    assert.deepEqual(fs.readdirSync(path.dirname(first.dir)), [KERNEL_NAME], 'no temporary folders left beside it');
  });

  it('installs a missing spec but leaves a stale one (another checkout) unless asked, and says what it did', () => {
    const prefix = tmpDir('keep-stale');
    const missing = installKernelSpec({ prefix }, { update: false });
    assert.equal(missing.action, 'installed');
    assert.match(missing.now, new RegExp(`the checkout ${ROOT.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} with `));
    const file = path.join(missing.dir, 'kernel.json');
    const other = { ...kernelSpec(), argv: ['/usr/bin/node', '/other/checkout/dist/repro/kernel-main.js', '{connection_file}'], metadata: { ipa_kit: { root: '/other/checkout', version: '0.1.0' } } };
    fs.writeFileSync(file, JSON.stringify(other));
    const kept = installKernelSpec({ prefix }, { update: false });
    assert.equal(kept.action, 'kept');
    assert.equal(kept.before, 'the checkout /other/checkout with /usr/bin/node');
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')), other, 'left as it was');
    const updated = installKernelSpec({ prefix }, { update: true });
    assert.equal(updated.action, 'updated');
    assert.equal(updated.before, 'the checkout /other/checkout with /usr/bin/node');
    assert.equal(kernelSpecState(missing.dir), 'current');
    // A kernel.json the kit did not write (no ipa_kit metadata) is never replaced; a null one is stale, not a crash.
    fs.writeFileSync(file, JSON.stringify({ argv: ['python3', '-m', 'something'], display_name: 'mine' }));
    assert.throws(() => installKernelSpec({ prefix }, { update: true }), /is not a kernelspec folder written by ipa-kit/);
    fs.writeFileSync(file, 'null');
    assert.equal(kernelSpecState(missing.dir), 'stale');
  });

  it('puts the user install in $JUPYTER_DATA_DIR when set', () => {
    const saved = process.env.JUPYTER_DATA_DIR;
    try {
      process.env.JUPYTER_DATA_DIR = '/tmp/some-jupyter-data';
      assert.equal(jupyterUserDataDir(), '/tmp/some-jupyter-data');
      assert.equal(kernelSpecDir({ user: true }), '/tmp/some-jupyter-data/kernels/ipa-kit');
    } finally {
      if (saved === undefined) delete process.env.JUPYTER_DATA_DIR;
      else process.env.JUPYTER_DATA_DIR = saved;
    }
  });

  it("lets tslab's type checker resolve 'ipa-kit' through a node_modules stub pointing at dist/", () => {
    const root = tmpDir('selfref');
    ensureSelfReference(root);
    const stub = JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'ipa-kit', 'package.json'), 'utf8'));
    assert.equal(stub.name, 'ipa-kit');
    assert.equal(path.resolve(root, 'node_modules', 'ipa-kit', stub.types), path.join(root, 'dist', 'index.d.ts'));
    assert.equal(path.resolve(root, 'node_modules', 'ipa-kit', stub.main), path.join(root, 'dist', 'index.js'));
    ensureSelfReference(root); // idempotent
  });
});

describe('ipa-kit kernel install (CLI)', () => {
  it('installs with --prefix and reports the folder', async () => {
    const prefix = tmpDir('cli-prefix');
    const r = await cli(['kernel', 'install', '--prefix', prefix]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`kernelspec 'ipa-kit' installed: .*${prefix.replace(/[/\\]/g, '.')}`));
    assert.equal(JSON.parse(fs.readFileSync(path.join(prefix, 'share/jupyter/kernels/ipa-kit/kernel.json'), 'utf8')).display_name, KERNEL_DISPLAY_NAME);
  });

  it('installs for the user into $JUPYTER_DATA_DIR', async () => {
    const data = tmpDir('cli-user');
    const r = await cli(['kernel', 'install', '--user'], { JUPYTER_DATA_DIR: data });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.existsSync(path.join(data, 'kernels', 'ipa-kit', 'kernel.json')));
  });

  for (const [args, pattern] of [
    [['kernel'], /missing subcommand/],
    [['kernel', 'remove'], /unknown kernel subcommand 'remove'/],
    [['kernel', 'install', '--user', '--prefix', '/tmp/x'], /either --user or --prefix/],
    [['kernel', 'install', '--system'], /unknown option --system/],
  ] as const) {
    it(`rejects '${args.join(' ')}' with exit code 2 and one line`, async () => {
      const r = await cli([...args]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    });
  }
});
