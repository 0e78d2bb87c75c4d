/**
 * Numeric command-line options: every one has a range that its command's help states; a value outside it (or not
 * a number, or empty) exits with code 2 and one line that states the range, before any work starts.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { runNotebook } from '../src/notebook/runner';
import { UsageError } from '../src/core/errors';
import { cliInProcess as cli } from './helpers';

process.env.IPA_QUIET = '1';

const NOTEBOOK = path.join(__dirname, '..', '..', 'test', 'fixtures', 'outputs.ipynb');
const BASE = path.join(__dirname, '..', '..', 'data', 'base', 'paper-1', 'base');
const ALIGN = ['align', '--method', 'ipa-halo', '--positives', 'p.json', '--base', 'b', '--out', 'o'];
const SEED = '0..4294967295';

/** [command line before the flag, flag, bad value, the range the message and the help must state]. */
const CASES: [string[], string, string, string][] = [
  [['world', '--profile', 'smoke'], 'seed', '1e99', SEED],
  [['world', '--profile', 'smoke'], 'seed', '-1', SEED],
  [['pretrain', '--profile', 'smoke'], 'world-seed', '1e99', SEED],
  [['pretrain', '--profile', 'smoke'], 'stop-after', '1e99', '1..1000000'],
  [['pretrain', '--profile', 'smoke'], 'stop-after', '', '1..1000000'],
  [['pretrain', '--profile', 'smoke'], 'workers', '0', '1..64'],
  [['perception', '--profile', 'smoke'], 'seed', '1e99', SEED],
  [['perception', '--profile', 'smoke'], 'steps', '1e99', '1..10000000'],
  [['sample', '--profile', 'smoke', '--checkpoint', BASE, '--split', 'val', '--out', 'o'], 'steps', '1e99', '1..1000'],
  [['sample', '--profile', 'smoke', '--checkpoint', BASE, '--split', 'val', '--out', 'o'], 'seed', '1e99', SEED],
  [['sample', '--profile', 'smoke', '--checkpoint', BASE, '--split', 'val', '--out', 'o'], 'world-seed', '1e99', SEED],
  [['generate', '--profile', 'smoke'], 'workers', '0', '1..64'],
  [['select', '--profile', 'smoke'], 'workers', '1e99', '1..64'],
  [['sweep', '--profile', 'smoke'], 'workers', '0', '1..64'],
  [['tune', '--profile', 'smoke'], 'workers', '0', '1..64'],
  [['evaluate', '--profile', 'smoke', '--checkpoint', BASE, '--split', 'val', '--out', 'o'], 'workers', '0', '1..64'],
  [ALIGN, 'steps', '1e99', '1..1000000'],
  [ALIGN, 'batch', '1e99', '1..256'],
  [ALIGN, 'rank', '1e99', '0..1024'],
  [ALIGN, 'lr', '1e99', '[1e-12, 1]'],
  [ALIGN, 'lr', '0', '[1e-12, 1]'],
  [ALIGN, 'beta', '1e99', '[1e-12, 1000000]'],
  [ALIGN, 'hand-weight', '1e99', '[1e-12, 10000]'],
  [ALIGN, 'seed', '1e99', SEED],
  [['run', NOTEBOOK], 'timeout', '1e99', '[0, 2000000]'],
  [['reproduce', '--profile', 'smoke'], 'timeout', '1e99', '[0, 2000000]'],
  [['reproduce', '--profile', 'smoke'], 'world-seed', '1e99', SEED],
  [['bench'], 'repeats', '0', '1..1000'],
];

describe('numeric options', () => {
  for (const [line, flag, value, range] of CASES) {
    it(`${line[0]} --${flag} ${JSON.stringify(value)}: exit 2, one line stating ${range}, and the help states it`, async () => {
      const r = await cli([...line, `--${flag}`, value]);
      assert.equal(r.code, 2, r.err);
      assert.equal(r.err.trim().split('\n').length, 1, r.err);
      assert.ok(r.err.includes(`--${flag} must be`) && r.err.includes(range), r.err);
      const help = await cli([line[0], '--help']);
      const helpLine = help.out.split('\n').find((l) => l.trimStart().startsWith(`--${flag} `));
      assert.ok(helpLine?.includes(range), `the help of ${line[0]} states the range of --${flag}: ${helpLine}`);
    });
  }

  it('a notebook timeout past what Node timers hold is refused through the API too', async () => {
    await assert.rejects(runNotebook({ notebook: NOTEBOOK, profile: 'smoke', timeoutS: 1e99 }), (err: Error) => err instanceof UsageError && /\[0, 2000000\]/.test(err.message));
  });

  it('sample accepts no --workers (it samples on this thread) instead of ignoring it', async () => {
    const r = await cli(['sample', '--workers', '0']);
    assert.equal(r.code, 2);
    assert.match(r.err, /unknown option --workers/);
  });
});
