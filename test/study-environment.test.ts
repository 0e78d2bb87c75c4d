import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ENVIRONMENT_BEGIN, ENVIRONMENT_END, captureEnvironment, cpuSimd, formatEnvironmentMarkdown, updateEnvironmentFile } from '../src/study/environment';
import { manifestFileName } from '../src/study/manifest';
import { tmpDir } from './kernel-helpers';

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

  it("records the CPU's vector extensions, which decide the kernels and so the last bits of every number", () => {
    const x86 = 'processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse4_2 avx fma avx2 avx512f avx512bw avx512vnni\n\nprocessor\t: 1\nflags\t\t: fpu\n';
    assert.deepEqual(cpuSimd(x86), ['avx512f', 'avx512bw', 'avx512vnni', 'avx2', 'fma', 'avx', 'sse4_2'], 'the first flags line, in SIMD_FLAGS order');
    assert.deepEqual(cpuSimd('flags\t: fpu sse4_2 avx fma avx2\n'), ['avx2', 'fma', 'avx', 'sse4_2']);
    assert.deepEqual(cpuSimd('Features\t: fp asimd evtstrm\n'), ['asimd']);
    assert.deepEqual(cpuSimd('flags\t: fpu\n'), []);
    assert.equal(cpuSimd(''), null);
    const r = { ...captureEnvironment(null), cpu: 'X x 2 cores', memoryGiB: 1 };
    assert.match(formatEnvironmentMarkdown({ ...r, simd: ['avx2', 'fma'] }), /^- cpu: X x 2 cores \(avx2, fma\), memory 1 GiB$/m);
    assert.match(formatEnvironmentMarkdown({ ...r, simd: null }), /^- cpu: X x 2 cores, memory 1 GiB$/m);
  });

  it('names manifests by start time, kind and profile, safe for every filesystem', () => {
    assert.equal(manifestFileName({ kind: 'reproduce', profile: 'smoke', started: '2026-01-02T03:04:05.678Z' }), '2026-01-02T03-04-05-678Z-reproduce-smoke.json');
  });
});
