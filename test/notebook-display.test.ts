import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { displayBundle, inKernel, plotlyHtml, show, showPlotly } from '../src/notebook/display';

describe('notebook display', () => {
  it('builds one MIME bundle, base64 for PNG, with a text fallback', () => {
    const b = displayBundle({ png: Uint8Array.from([1, 2, 3]), svg: '<svg/>', text: 'a figure' });
    assert.deepEqual(b, { 'image/png': 'AQID', 'image/svg+xml': '<svg/>', 'text/plain': 'a figure' });
    assert.deepEqual(displayBundle({ markdown: '# hi' }), { 'text/markdown': '# hi', 'text/plain': '# hi' });
  });

  it('shows a saved file\'s path relative to the kit, so executed notebooks carry no machine\'s absolute paths', () => {
    const root = path.resolve(__dirname, '..', '..');
    const b = displayBundle({ png: Uint8Array.from([1]), path: path.join(root, 'results', 'figures', 'cases.png') });
    assert.equal(b['text/plain'], 'results/figures/cases.png');
    assert.equal(displayBundle({ png: Uint8Array.from([1]), path: '/elsewhere/x.png' })['text/plain'], '/elsewhere/x.png', 'outside the kit: unchanged');
  });

  it('outside a kernel prints the path of saved content and otherwise does nothing', () => {
    assert.equal(inKernel(), false);
    const written: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      show({ png: Uint8Array.from([1]), path: 'results/figures/x.png' });
      show('just markdown');
      showPlotly([{ type: 'bar', x: [1], y: [2] }]);
    } finally {
      process.stdout.write = orig;
    }
    assert.deepEqual(written, ['results/figures/x.png\n']);
  });

  it('plotly HTML: a div and a newPlot call, the offline bundle only when asked, script-safe JSON', () => {
    const small = plotlyHtml([{ type: 'scatter', x: [1, 2], y: [3, 4], name: '</script><b>' }], { title: { text: 'gap' } }, { height: 300 });
    assert.match(small, /<div id="ipa-kit-plotly-\d+-\d+" class="ipa-kit-plotly" style="width:100%;height:300px"><\/div>/);
    assert.match(small, /if \(window\.Plotly\) \{ Plotly\.newPlot\("ipa-kit-plotly-\d+-\d+", \[\{"type":"scatter"/);
    assert.ok(!small.includes('</script><b>'), 'data cannot close the script element');
    assert.ok(small.length < 2000, 'no bundle by default');
    const full = plotlyHtml([], {}, { includeBundle: true });
    assert.ok(full.length > 1_000_000, 'the bundle is inlined (works offline)');
    assert.match(full, /^<script type="text\/javascript">\/\*\*\n\* plotly\.js v3/);
    const ids = [...full.matchAll(/<script/g)].length;
    assert.equal(ids, 2, 'the bundle script and the plot script');
  });
});
