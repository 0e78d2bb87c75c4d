import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { blockFlops, MATMUL_BENCHES } from '../src/gpu/bench';
import { formatBenchTable, median, registerBench, runBenches, summarize } from '../src/gpu/bench-harness';
import { cli } from './kernel-helpers';

describe('bench registry', () => {
  it('summarises samples into min/median/max rows with the ratio to the first variant', () => {
    const rows = summarize('wasm', { name: 'x', group: 'g', description: '', run: async () => [] }, [
      { case: 'c', variant: 'plain', unit: 'GFLOP/s', samples: [1, 3, 2], higherIsBetter: true },
      { case: 'c', variant: 'fast', unit: 'GFLOP/s', samples: [4, 8, 6, 5], higherIsBetter: true },
    ]);
    assert.deepEqual(
      rows.map((r) => [r.variant, r.min, r.median, r.max, r.repeats, r.ratio]),
      [
        ['plain', 1, 2, 3, 3, null],
        ['fast', 4, 5.5, 8, 4, 2.75],
      ],
    );
    assert.equal(median([5]), 5);
  });

  it('runs a registered bench on a chosen backend and prints a table', async () => {
    registerBench({
      name: 'tiny',
      group: 'test-only',
      description: 'a tiny product',
      async run(ctx) {
        const a = tf.ones([8, 8]);
        const seconds = await ctx.time(() => tf.matMul(a, a));
        a.dispose();
        return [{ case: 'ones 8x8', variant: 'plain', unit: 's', samples: seconds, higherIsBetter: false }];
      },
    });
    assert.throws(() => registerBench({ name: 'tiny', group: 'test-only', description: '', run: async () => [] }), /registered twice/);
    const report = await runBenches({ only: 'test-only', backend: 'cpu', repeats: 3, warmup: 1, log: () => undefined });
    assert.deepEqual(report.backends, ['cpu']);
    assert.equal(report.rows.length, 1);
    assert.equal(report.rows[0].repeats, 3);
    const table = formatBenchTable(report);
    assert.match(table, /backend\s+group\s+case\s+variant\s+unit\s+min\s+median\s+max\s+vs first/);
    assert.match(table, /cpu\s+test-only\s+ones 8x8\s+plain\s+s\s/);
    await assert.rejects(runBenches({ only: 'no-such-group' }), /no bench in group 'no-such-group'/);
  });

  it('counts the matmul FLOPs of the transformer block (forward + two products per product backward)', () => {
    const n = 4 * 256;
    const fwd = 2 * n * (4 * 128 * 128 + 2 * 128 * 512) + 4 * 4 * 256 * 256 * 128;
    assert.equal(blockFlops(), 3 * fwd);
    assert.deepEqual(MATMUL_BENCHES.map((b) => `${b.group}/${b.name}`), ['matmul/products', 'matmul/transformer-block']);
  });
});

describe('ipa-kit bench (CLI)', () => {
  it('rejects an unknown group, backend or repeat count with exit code 2 and one line', async () => {
    for (const [args, pattern] of [
      [['bench', '--only', 'nothing'], /no bench in group 'nothing' \(groups: matmul(, [a-z-]+)*\)/],
      [['bench', '--backend', 'tpu'], /unknown backend 'tpu'/],
      [['bench', '--repeats', '0'], /--repeats must be an integer in 1\.\.1000, got 0/],
    ] as const) {
      const r = await cli([...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});
