import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENT_BEGIN, ENVIRONMENT_END } from '../src/study/environment';
import { FIXTURES, ROOT, cli, newMarker, notebookOutputs, readNb, tmpDir, waitNoMarker } from './kernel-helpers';

const fixture = (name: string) => path.join(FIXTURES, name);

describe('ipa-kit run', () => {
  it('executes the cells in order with progress and writes the executed notebook', async () => {
    const out = tmpDir('run');
    const marker = newMarker();
    const r = await cli(['run', fixture('outputs.ipynb'), '--profile', 'smoke', '--out', out], { IPA_TEST_MARKER: marker, IPA_WORLD_SEED: '5' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /\[outputs\.ipynb\] cell 2 of 6 running \(elapsed \d+:\d\d\)/);
    assert.match(r.stderr, /cell 6 of 6 done in [\d.]+ s/);
    assert.deepEqual(fs.readdirSync(out), ['outputs.ipynb'], 'only the executed notebook, no temporary files');
    const nb = readNb(path.join(out, 'outputs.ipynb'));
    assert.equal(nb.metadata.kernelspec?.name, 'ipa-kit');
    assert.deepEqual(nb.metadata.ipa_kit && (nb.metadata.ipa_kit as { status: string }).status, 'ok');
    const outs = notebookOutputs(nb);
    assert.equal(outs[0], null, 'markdown cell');
    assert.deepEqual(outs[1], [
      { type: 'stream', name: 'stdout', text: 'hello from the kernel\n' },
      { type: 'stream', name: 'stderr', text: 'a line on stderr\n' },
      { type: 'stream', name: 'stdout', text: '1 4 9\n' },
    ]);
    assert.deepEqual(outs[2], [{ type: 'stream', name: 'stdout', text: 'profile=smoke seed=5\n' }], 'the profile reaches the notebook');
    assert.deepEqual(outs[3], [{ type: 'stream', name: 'stdout', text: '42\n' }]);
    const display = outs[4] as { type: string; data: Record<string, string> }[];
    assert.equal(display[0].type, 'display_data');
    assert.equal(display[0].data['text/markdown'], '**bold** markdown');
    assert.match(display[1].data['text/html'], /<td style="text-align:right">0\.8412<\/td>/);
    assert.deepEqual(outs[5], [
      { type: 'display_data', data: { 'image/png': 'iVBORw0KGgo=' } },
      { type: 'display_data', data: { 'text/html': '<i>html</i>' } },
    ]);
    assert.deepEqual(
      nb.cells.filter((c) => c.cell_type === 'code').map((c) => (c.cell_type === 'code' ? c.execution_count : -1)),
      [1, 2, 3, 4, 5],
    );
    assert.deepEqual(await waitNoMarker(marker), [], 'no kernel process left');
  });

  it('stops at the first failing cell: exit 1, the cell number and its error, the partial notebook', async () => {
    const out = tmpDir('fail');
    const marker = newMarker();
    const r = await cli(['run', fixture('fails.ipynb'), '--out', out], { IPA_TEST_MARKER: marker });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ipa-kit run: cell 3 of 4 failed: Error: boom in cell 3/);
    assert.match(r.stderr, /at explode/);
    assert.doesNotMatch(r.stderr, /node_modules\/tslab/, 'stack lines of the kernel machinery are left out');
    assert.ok(!fs.existsSync(path.join(out, 'fails.ipynb')), 'no executed notebook for a failed run');
    const partial = readNb(path.join(out, 'fails.failed.ipynb'));
    const outs = notebookOutputs(partial);
    assert.deepEqual(outs[0], [{ type: 'stream', name: 'stdout', text: 'before the failure\n' }]);
    assert.match(JSON.stringify(outs[2]), /boom in cell 3/);
    assert.deepEqual(outs[3], [], 'cells after the failure do not run');
    assert.deepEqual(await waitNoMarker(marker), []);
  });

  it('reports a cell that runs past --timeout, kills the kernel and leaves no process behind', async () => {
    const out = tmpDir('hang');
    const marker = newMarker();
    const r = await cli(['run', fixture('hangs.ipynb'), '--out', out, '--timeout', '2'], { IPA_TEST_MARKER: marker });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ipa-kit run: cell 2 of 2 did not finish within 2 s: the kernel was stopped/);
    assert.deepEqual(await waitNoMarker(marker), [], 'the hung kernel was killed');
  });

  it('reports a kernel that dies, with the cell and the exit status', async () => {
    const out = tmpDir('dies');
    const marker = newMarker();
    const r = await cli(['run', fixture('dies.ipynb'), '--out', out], { IPA_TEST_MARKER: marker });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ipa-kit run: the kernel died in cell 2 of 2 \(exit code 3\)/);
    assert.deepEqual(notebookOutputs(readNb(path.join(out, 'dies.failed.ipynb')))[0], [{ type: 'stream', name: 'stdout', text: 'alive\n' }]);
    assert.deepEqual(await waitNoMarker(marker), []);
  });

  it('cleans up the kernel when the runner is interrupted (SIGINT)', async () => {
    const out = tmpDir('sigint');
    const marker = newMarker();
    let sent = false;
    const r = await cli(['run', fixture('hangs.ipynb'), '--out', out], { IPA_TEST_MARKER: marker }, (text, child) => {
      if (!sent && /cell 2 of 2 running/.test(text)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    assert.ok(sent, r.stderr);
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /SIGINT: stopped the kernel/);
    assert.deepEqual(await waitNoMarker(marker), []);
  });

  const bad: [string, string[], Record<string, string>, RegExp][] = [
    ['a notebook that is not valid JSON', ['run', fixture('broken.ipynb')], {}, /^ipa-kit run: notebook is not valid JSON: .*broken\.ipynb/],
    ['a notebook that is not JSON at all (the parser quotes its lines)', ['run', fixture('not-json.ipynb')], {}, /^ipa-kit run: notebook is not valid JSON: .*not-json\.ipynb \(Unexpected token .*"hello world " is not valid JSON\)$/],
    ['a timeout past what Node timers hold', ['run', fixture('outputs.ipynb'), '--timeout', '1e99'], {}, /--timeout must be a number in \[0, 2000000\], got 1e99/],
    ['a notebook written over itself', ['run', fixture('outputs.ipynb'), '--out', FIXTURES], {}, /would replace .*outputs\.ipynb itself/],
    ['a missing notebook', ['run', fixture('missing.ipynb')], {}, /^ipa-kit run: notebook not found: .*missing\.ipynb$/],
    ['an unknown profile', ['run', fixture('outputs.ipynb'), '--profile', 'huge'], {}, /^ipa-kit run: unknown profile 'huge': valid profiles are smoke, paper, extended, fullbody$/],
    ['an unknown profile from IPA_PROFILE', ['run', fixture('outputs.ipynb')], { IPA_PROFILE: 'huge' }, /unknown profile 'huge'/],
    ['an unknown backend', ['run', fixture('outputs.ipynb'), '--backend', 'tpu'], {}, /^ipa-kit run: unknown backend 'tpu'/],
    ['a notebook of another kernel', ['run', fixture('python.ipynb')], {}, /declares the kernel 'python3'/],
    ['a bad timeout', ['run', fixture('outputs.ipynb'), '--timeout', 'soon'], {}, /--timeout must be a number in \[0, 2000000\], got 'soon'/],
    ['no notebook', ['run'], {}, /missing NOTEBOOK/],
  ];
  for (const [what, args, env, pattern] of bad) {
    it(`rejects ${what}: exit code 2, one line, no stack trace, no kernel started`, async () => {
      const r = await cli(args, env);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr.trim(), pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /starting the ipa-kit kernel|\n\s+at /);
    });
  }
});

describe('ipa-kit reproduce', () => {
  it('runs the profile notebooks on a second world seed with --pretrain (its own base), writes everything to --results DIR with kit-relative paths, the manifest and the environment section; leaves a stale kernelspec', async () => {
    const results = tmpDir('results');
    const jupyterData = tmpDir('jupyter-data');
    // A kernelspec the kit wrote for another checkout: reproduce must not repoint it unless asked.
    const specDir = path.join(jupyterData, 'kernels', 'ipa-kit');
    fs.mkdirSync(specDir, { recursive: true });
    const otherSpec = `${JSON.stringify({ argv: ['/usr/bin/node', '/other/checkout/dist/repro/kernel-main.js', '{connection_file}'], display_name: 'ipa-kit (TypeScript)', language: 'typescript', interrupt_mode: 'signal', metadata: { ipa_kit: { root: '/other/checkout', version: '0.1.0' } } })}\n`;
    fs.writeFileSync(path.join(specDir, 'kernel.json'), otherSpec);
    const started = Date.now();
    const marker = newMarker();
    const r = await cli(['reproduce', '--profile', 'smoke', '--world-seed', '9', '--pretrain', '--results', results], { JUPYTER_DATA_DIR: jupyterData, IPA_TEST_MARKER: marker });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fs.readFileSync(path.join(specDir, 'kernel.json'), 'utf8'), otherSpec, 'the stale kernelspec is left as it was');
    assert.match(r.stderr, /kernelspec 'ipa-kit' at .* starts the checkout \/other\/checkout with \/usr\/bin\/node, not this checkout: left as it is/);
    // --results DIR: tables, figures and the summary go there too, not to the study's folder in the checkout.
    for (const f of ['tables/main.csv', 'tables/cases.csv', 'tables/steps.csv', 'tables/premise-sweep.csv', 'tables/claims.tex', 'tables/drift-steps.csv', 'tables/drift-probe.csv', 'tables/annotation-cost.csv', 'tables/drift-measures.csv', 'tables/drift-measure-contrasts.csv', 'tables/selection-bias.csv', 'tables/iterate.csv', 'tables/iterate-measures.csv', 'tables/iterate-contrasts.csv', 'summary.md', 'figures/world-gallery.png', 'figures/premise-sweep.png', 'figures/drift-probe-distance.png', 'figures/drift-measure-diversity.png', 'figures/annotation-cost.png', 'figures/selection-bias.png', 'figures/iterate-gain.png', 'figures/iterate-gain-world-3.png', 'figures/iterate-gain-zoom-2.png', 'figures/iterate-diversity.png', 'tables/iterate-quality.csv']) assert.ok(fs.existsSync(path.join(results, f)), `${f} in --results`);
    // The drift measures: step 0 (the base), the snapshot and the end of every measured run, both regime seeds.
    const [head, ...lines] = fs.readFileSync(path.join(results, 'tables', 'drift-measures.csv'), 'utf8').trim().split('\n');
    const cols = head.split(',');
    for (const c of ['run', 'seed', 'step', 'diversity', 'heldout_error', 'nearest_positive']) assert.ok(cols.includes(c), `drift-measures.csv has ${c}`);
    // a row as its first column (a run label, quoted when it has a comma) and the other columns
    const labelled = (l: string): [string, string[]] => {
      const run = l.startsWith('"') ? l.slice(1, l.indexOf('"', 1)) : l.slice(0, l.indexOf(','));
      return [run, l.slice(l.startsWith('"') ? run.length + 3 : run.length + 1).split(',')];
    };
    const rows = lines.map(labelled).map(([run, rest]) => [run, `${rest[0]} ${rest[1]}`]);
    const at = (run: string) => rows.filter((r) => r[0] === run).map((r) => r[1]);
    assert.deepEqual(at('regime: sft (beta 600, no clip, LoRA 8)'), ['1 0', '1 2', '1 4', '2 0', '2 2', '2 4']);
    assert.deepEqual(at('regime: ipa (beta 6000, no clip, LoRA 8)'), ['1 0', '1 2', '1 4', '2 0', '2 2', '2 4']);
    assert.deepEqual(at('sft (beta 600)'), ['1 0', '1 2', '1 4']);
    const contrasts = fs.readFileSync(path.join(results, 'tables', 'drift-measure-contrasts.csv'), 'utf8');
    assert.match(contrasts, /^diversity,"regime: ipa \(beta 6000, no clip, LoRA 8\)","regime: sft \(beta 600, no clip, LoRA 8\)",4,2,/m);
    // Iterated self-improvement: both chains trained in both rounds, scored on the eval split and both shifted
    // splits after each round (columns after the label: seed, round, candidates, acceptance, positives, split,
    // ssimHand, gainSsimHand), measured at the base and after each round.
    const iterate = fs.readFileSync(path.join(results, 'tables', 'iterate.csv'), 'utf8').trim().split('\n').slice(1).map(labelled);
    for (const run of ['iterate: sft (beta 600, no clip, LoRA 8)', 'iterate: ipa (beta 6000, no clip, LoRA 8)']) {
      const mine = iterate.filter(([r]) => r === run).map(([, c]) => c);
      assert.deepEqual(mine.map((c) => `${c[0]} ${c[1]} ${c[5]}`), ['1 1 test-hands', '1 1 world 3', '1 1 zoom 2', '1 2 test-hands', '1 2 world 3', '1 2 zoom 2'], `${run}: one row per seed, round and split`);
      for (const c of mine) assert.ok(Number.isFinite(Number.parseFloat(c[7])), `${run} round ${c[1]} on ${c[5]} has a gain over the base`);
    }
    const quality = fs.readFileSync(path.join(results, 'tables', 'iterate-quality.csv'), 'utf8');
    for (const split of ['test-hands', 'world 3', 'zoom 2']) assert.match(quality, new RegExp(`^${split},ssimHand,"iterate: ipa \\(beta 6000, no clip, LoRA 8\\)","iterate: sft \\(beta 600, no clip, LoRA 8\\)",1,\\d+,`, 'm'), `the last round's ipa - sft on ${split}`);
    const iterMeasures = fs.readFileSync(path.join(results, 'tables', 'iterate-measures.csv'), 'utf8');
    assert.match(iterMeasures, /^"iterate: ipa \(beta 6000, no clip, LoRA 8\)",1,4,/m);
    assert.match(fs.readFileSync(path.join(results, 'tables', 'iterate-contrasts.csv'), 'utf8'), /^diversity,"iterate: ipa \(beta 6000, no clip, LoRA 8\)","iterate: sft \(beta 600, no clip, LoRA 8\)",4,1,/m);
    const own = path.join(ROOT, 'results', 'smoke-seed9');
    const touched = fs.existsSync(own) ? (fs.readdirSync(own, { recursive: true }) as string[]).filter((f) => fs.statSync(path.join(own, f)).mtimeMs >= started) : [];
    assert.deepEqual(touched, [], 'nothing written to the study\'s own results folder');
    for (const nb of fs.readdirSync(path.join(results, 'notebooks'))) {
      const text = fs.readFileSync(path.join(results, 'notebooks', nb), 'utf8');
      assert.ok(!text.includes(`${ROOT}/`), `${nb} prints no absolute path inside the kit`);
    }
    const executed = readNb(path.join(results, 'notebooks', '00_world.ipynb'));
    assert.match(JSON.stringify(notebookOutputs(executed)), /profile smoke: .*world seed 9/);
    const runs = fs.readdirSync(path.join(results, 'runs'));
    assert.equal(runs.length, 1);
    assert.match(runs[0], /-reproduce-smoke\.json$/);
    const manifest = JSON.parse(fs.readFileSync(path.join(results, 'runs', runs[0]), 'utf8'));
    assert.equal(manifest.status, 'ok');
    assert.equal(manifest.worldSeed, 9);
    assert.equal(manifest.pretrain, true);
    assert.equal(manifest.config.name, 'smoke');
    assert.equal(manifest.environment.device.backend, 'wasm');
    assert.match(manifest.environment.commit.hash ?? '', /^[0-9a-f]{40}$/);
    assert.equal(manifest.notebooks[0].status, 'ok');
    assert.match(manifest.notebooks[0].outputSha256, /^[0-9a-f]{64}$/);
    const env = fs.readFileSync(path.join(results, 'environment.md'), 'utf8');
    assert.ok(env.includes(ENVIRONMENT_BEGIN) && env.includes(ENVIRONMENT_END));
    assert.match(env, /- backend: wasm/);
    assert.deepEqual(await waitNoMarker(marker), []);
  });

  it('never writes into a --results folder of someone else\'s files (exit 2 before any kernel starts)', async () => {
    const results = tmpDir('not-results');
    fs.writeFileSync(path.join(results, 'thesis.tex'), 'mine');
    const r = await cli(['reproduce', '--profile', 'smoke', '--results', results]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /is not a results folder: it holds 'thesis\.tex'/);
    assert.deepEqual(fs.readdirSync(results), ['thesis.tex']);
  });

  for (const [args, pattern] of [
    [['reproduce', '--profile', 'huge'], /unknown profile 'huge'/],
    [['reproduce', '--from', '09_nothing'], /--from '09_nothing' is not a notebook of this profile/],
    [['reproduce', '--world-seed', '-3'], /--world-seed must be an integer/],
    [['reproduce', '--backend', 'tpu'], /unknown backend 'tpu'/],
  ] as const) {
    it(`rejects '${args.join(' ')}' with exit code 2 and one line`, async () => {
      const r = await cli([...args]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, pattern);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    });
  }
});
