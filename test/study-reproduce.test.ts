/** What `reproduce` leaves in the repository: committed results with no absolute path of the machine that made them. */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isResultsEntry } from '../src/study/reproduce';
import { ROOT } from './kernel-helpers';

describe('committed results', () => {
  it('committed results, shipped data and notebooks hold no absolute path of the machine that made them', () => {
    const tracked = spawnSync('git', ['ls-files', 'results', 'data/base', 'notebooks', 'environment.md', 'README.md'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(tracked.status, 0, tracked.stderr);
    const text = tracked.stdout.split('\n').filter((f) => /\.(json|jsonl|ipynb|md|csv)$/.test(f));
    assert.ok(text.length > 20, 'the committed results are listed');
    const absolute = /(^|[^\w.:/-])\/(home|root|work|tmp|Users|mnt|srv|opt|var)\/[\w.@-]+/;
    for (const f of text) {
      const lines = fs.readFileSync(path.join(ROOT, f), 'utf8').split('\n');
      const at = lines.findIndex((l) => absolute.test(l) || l.includes(`${ROOT}/`));
      assert.equal(at, -1, `${f}:${at + 1} holds an absolute path: ${lines[at]?.trim().slice(0, 120)}`);
    }
  });

  it('a results folder is recognised by its entries (notebooks, runs, tables, figures, ... and other studies\' folders)', () => {
    for (const n of ['notebooks', 'runs', 'tables', 'figures', 'media', 'supplementary', 'summary.md', 'environment.md', 'smoke-seed9', 'extended', 'fullbody', 'base', 'engine-onnx']) assert.ok(isResultsEntry(n), n);
    for (const n of ['thesis.tex', 'notes', '.git', 'paper', 'constructor']) assert.ok(!isResultsEntry(n), n);
  });
});
