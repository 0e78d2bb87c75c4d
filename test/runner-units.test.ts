import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { notebookContext } from '../src/study/context';
import { ENVIRONMENT_BEGIN, ENVIRONMENT_END, captureEnvironment, formatEnvironmentMarkdown, updateEnvironmentFile } from '../src/study/environment';
import { manifestFileName } from '../src/study/manifest';
import { OutputCollector, readNotebook, serializeNotebook, splitLines, stripOutputs } from '../src/notebook/nbformat';
import type { JupyterMessage } from '../src/notebook/protocol';
import { NOTEBOOKS, notebooksFor } from '../src/study/reproduce';
import { errorHeadline } from '../src/notebook/runner';
import { Progress } from '../src/core/progress';
import { ROOT, tmpDir } from './kernel-helpers';

function msg(type: string, content: Record<string, unknown>): JupyterMessage {
  return { header: { msg_id: 'm', session: 's', username: 'u', date: '', msg_type: type, version: '5.3' }, parent_header: {}, metadata: {}, content };
}

describe('outputs from kernel messages', () => {
  it('merges consecutive streams of the same name and keeps stderr text for errors', () => {
    const c = new OutputCollector();
    c.add(msg('stream', { name: 'stdout', text: 'a\nb' }));
    c.add(msg('stream', { name: 'stdout', text: 'c\n' }));
    c.add(msg('stream', { name: 'stderr', text: 'oops\n' }));
    c.add(msg('stream', { name: 'stdout', text: 'd' }));
    assert.deepEqual(c.outputs, [
      { output_type: 'stream', name: 'stdout', text: ['a\n', 'bc\n'] },
      { output_type: 'stream', name: 'stderr', text: ['oops\n'] },
      { output_type: 'stream', name: 'stdout', text: ['d'] },
    ]);
    assert.equal(c.stderr, 'oops\n');
  });

  it('keeps base64 and JSON data whole and splits text, SVG and JavaScript into lines', () => {
    const c = new OutputCollector();
    c.add(msg('execute_result', { execution_count: 3, data: { 'text/plain': '1\n2', 'image/png': 'AAAA\nBBBB', 'application/json': { a: 1 } }, metadata: {} }));
    assert.deepEqual(c.outputs, [
      { output_type: 'execute_result', execution_count: 3, data: { 'text/plain': ['1\n', '2'], 'image/png': 'AAAA\nBBBB', 'application/json': { a: 1 } }, metadata: {} },
    ]);
  });

  it('honours clear_output (also with wait) and update_display_data', () => {
    const c = new OutputCollector();
    c.add(msg('display_data', { data: { 'text/plain': 'v1' }, metadata: {}, transient: { display_id: 'd1' } }));
    c.add(msg('update_display_data', { data: { 'text/plain': 'v2' }, metadata: {}, transient: { display_id: 'd1' } }));
    assert.deepEqual(c.outputs, [{ output_type: 'display_data', data: { 'text/plain': ['v2'] }, metadata: {} }]);
    c.add(msg('clear_output', { wait: true }));
    assert.equal(c.outputs.length, 1, 'cleared only when the next output arrives');
    c.add(msg('error', { ename: 'TypeError', evalue: 'x is undefined', traceback: ['tb'] }));
    assert.deepEqual(c.outputs, [{ output_type: 'error', ename: 'TypeError', evalue: 'x is undefined', traceback: ['tb'] }]);
    c.add(msg('clear_output', { wait: false }));
    assert.deepEqual(c.outputs, []);
  });

  it('finds the line that names an error', () => {
    assert.equal(errorHeadline("evalmachine.<anonymous>:4\n throw new Error('x');\n ^\n\nError: boom\n    at f (evalmachine:4:11)"), 'Error: boom');
    assert.equal(errorHeadline('1:5 - Cannot find name \'y\'.\n'), "1:5 - Cannot find name 'y'.");
    assert.equal(errorHeadline('RangeError [ERR_X]: too big\n'), 'RangeError [ERR_X]: too big');
    assert.equal(errorHeadline('something odd\nlast words\n'), 'last words');
    assert.equal(errorHeadline(''), 'no error text');
  });
});

describe('notebook files', () => {
  it('splits text into lines the way nbformat stores it', () => {
    assert.deepEqual(splitLines('a\nb\n'), ['a\n', 'b\n']);
    assert.deepEqual(splitLines(''), []);
  });

  it('stores notebooks with sorted keys and one-space indent, as Jupyter does', () => {
    const nb = readNotebook(path.join(ROOT, 'test', 'fixtures', 'fails.ipynb'));
    const text = serializeNotebook(nb);
    assert.ok(text.startsWith('{\n "cells": [\n'));
    assert.ok(text.endsWith('}\n'));
  });

  it('the shipped notebooks declare the ipa-kit kernel and are stored without outputs', () => {
    for (const step of NOTEBOOKS) {
      const file = path.join(ROOT, step.notebook);
      const nb = readNotebook(file);
      assert.deepEqual(nb.metadata.kernelspec, { name: 'ipa-kit', display_name: 'ipa-kit (TypeScript)', language: 'typescript' }, step.notebook);
      assert.deepEqual(stripOutputs(nb), nb, `${step.notebook} is stored without outputs (clear them before committing)`);
    }
  });
});

describe('profiles reach notebooks through the environment', () => {
  it('reads IPA_PROFILE, IPA_WORLD_SEED, IPA_PRETRAIN, IPA_HEADLESS with defaults', () => {
    const d = notebookContext({});
    assert.equal(d.profileName, 'paper');
    assert.equal(d.worldSeed, d.profile.seed);
    assert.equal(d.pretrain, false);
    assert.equal(d.headless, false);
    assert.equal(d.root, ROOT);
    const s = notebookContext({ IPA_PROFILE: 'smoke', IPA_WORLD_SEED: '12', IPA_PRETRAIN: '1', IPA_HEADLESS: '1' });
    assert.deepEqual([s.profileName, s.worldSeed, s.pretrain, s.headless], ['smoke', 12, true, true]);
  });

  it('rejects an unknown profile or a bad seed with a message naming it', () => {
    assert.throws(() => notebookContext({ IPA_PROFILE: 'huge' }), /unknown profile 'huge'/);
    assert.throws(() => notebookContext({ IPA_WORLD_SEED: '1.5' }), /IPA_WORLD_SEED must be an integer/);
  });

  it('lists the notebooks of a profile from plain data', () => {
    assert.deepEqual(notebooksFor('smoke').map((n) => n.split('/').pop()), ['00_world.ipynb', '01_pretrain.ipynb', '02_baseline.ipynb', '03_positives.ipynb', '04_alignment.ipynb', '05_results_ablations.ipynb']);
    assert.deepEqual(notebooksFor('paper', [{ notebook: 'a' }, { notebook: 'b', profiles: ['smoke'] }]), ['a']);
    assert.throws(() => notebooksFor('huge'), /unknown profile/);
  });
});

describe('environment and manifests', () => {
  it('replaces only the marked section of environment.md, atomically and repeatably', () => {
    const dir = tmpDir('envmd');
    const file = path.join(dir, 'environment.md');
    fs.writeFileSync(file, `# Environment\n\nwhat the kit needs\n\n${ENVIRONMENT_BEGIN}\nold\n${ENVIRONMENT_END}\n\ntrailer\n`);
    const r = captureEnvironment(null);
    updateEnvironmentFile(file, r);
    updateEnvironmentFile(file, r);
    const text = fs.readFileSync(file, 'utf8');
    assert.equal(text, `# Environment\n\nwhat the kit needs\n\n${ENVIRONMENT_BEGIN}\n${formatEnvironmentMarkdown(r)}\n${ENVIRONMENT_END}\n\ntrailer\n`);
    assert.deepEqual(fs.readdirSync(dir), ['environment.md']);
  });

  it('records versions, the commit and the machine', () => {
    const r = captureEnvironment(null);
    assert.equal(r.node, process.version);
    assert.equal(r.packages['@tensorflow/tfjs'], '4.22.0');
    assert.equal(r.packages.tslab, '1.0.22');
    assert.match(r.commit.hash ?? 'not a checkout', /^([0-9a-f]{40}|not a checkout)$/);
    assert.match(formatEnvironmentMarkdown(r), /- backend: not initialised/);
  });

  it('names manifests by start time, kind and profile, safe for every filesystem', () => {
    assert.equal(manifestFileName({ kind: 'reproduce', profile: 'smoke', started: '2026-01-02T03:04:05.678Z' }), '2026-01-02T03-04-05-678Z-reproduce-smoke.json');
  });
});

describe('progress bars', () => {
  it('counts resumed units in the bar but not in the rate', () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => { lines.push(s); return true; } } as unknown as NodeJS.WriteStream;
    const quiet = process.env.IPA_QUIET;
    delete process.env.IPA_QUIET;
    try {
      const bar = new Progress({ total: 1000, label: 'train', unit: 'step', stream });
      bar.resumeAt(900);
      bar.finish();
    } finally {
      if (quiet !== undefined) process.env.IPA_QUIET = quiet;
    }
    assert.equal(lines.length, 1);
    assert.match(lines[0], /900\/1000/);
    // No step ran in this run, so the rate must be (near) zero, not 900 steps in a few milliseconds.
    assert.match(lines[0], /\? step\/s/);
  });
});
