import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { OutputCollector, readNotebook, serializeNotebook, splitLines, stripOutputs } from '../src/notebook/nbformat';
import type { JupyterMessage } from '../src/notebook/protocol';
import { NOTEBOOKS } from '../src/study/reproduce';
import { errorHeadline } from '../src/notebook/runner';
import { ROOT } from './kernel-helpers';

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
