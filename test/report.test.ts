import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderVegaLite, saveFigure } from '../src/report/figures';
import { displayBundle, inKernel, plotlyHtml, show, showPlotly } from '../src/notebook/display';
import { formatCell, tableToCsv, tableToHtml, tableToMarkdown, writeTable } from '../src/report/tables';
import { tmpDir } from './kernel-helpers';

const ROWS = [
  { method: 'base', ssim: 0.777, 'fid-vid': 13.4, note: 'VACE, "as is"' },
  { method: 'ipa-halo', ssim: 0.84123456, 'fid-vid': 5.9, note: 'a|b' },
];

const SPEC = {
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  width: 120,
  height: 80,
  data: { values: ROWS },
  mark: 'bar',
  encoding: { x: { field: 'method', type: 'nominal' }, y: { field: 'ssim', type: 'quantitative' } },
};

describe('tables', () => {
  it('writes CSV at full precision with RFC 4180 quoting', () => {
    assert.equal(tableToCsv(ROWS), 'method,ssim,fid-vid,note\nbase,0.777,13.4,"VACE, ""as is"""\nipa-halo,0.84123456,5.9,a|b\n');
  });

  it('writes Markdown with rounded numbers, right-aligned numeric columns and escaped pipes', () => {
    assert.equal(
      tableToMarkdown(ROWS, { digits: 3 }),
      '| method | ssim | fid-vid | note |\n| --- | ---: | ---: | --- |\n| base | 0.777 | 13.4 | VACE, "as is" |\n| ipa-halo | 0.841 | 5.9 | a\\|b |\n',
    );
  });

  it('reads arquero tables through their columns', async () => {
    const aq = await import('arquero');
    const t = aq.table({ method: ['base', 'ipa'], ssim: [0.777, 0.819] });
    assert.equal(tableToCsv(t), 'method,ssim\nbase,0.777\nipa,0.819\n');
    assert.match(tableToHtml(t), /<th style="text-align:right">ssim<\/th>/);
  });

  it('escapes HTML', () => {
    assert.match(tableToHtml([{ a: '<b>&' }]), /<td>&lt;b&gt;&amp;<\/td>/);
  });

  it('formats cells: integers as they are, others to significant digits, nullish empty', () => {
    assert.equal(formatCell(12), '12');
    assert.equal(formatCell(0.000123456), '0.0001235');
    assert.equal(formatCell(null), '');
    assert.equal(formatCell(Number.NaN), 'NaN');
  });

  it('writeTable writes .csv and .md atomically and returns their paths', () => {
    const dir = tmpDir('table');
    const files = writeTable(ROWS, path.join(dir, 'ablation'));
    assert.deepEqual(files, { csv: path.join(dir, 'ablation.csv'), md: path.join(dir, 'ablation.md') });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['ablation.csv', 'ablation.md']);
  });
});

describe('figures', () => {
  it('renders a vega-lite spec to SVG and PNG offline', async () => {
    const fig = await renderVegaLite(SPEC);
    assert.match(fig.svg, /^<svg[^>]*>/);
    assert.match(fig.svg, /ipa-halo/);
    assert.deepEqual([...fig.png.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10]);
  });

  it('saveFigure writes the .svg and the .png', async () => {
    const dir = tmpDir('figure');
    const files = await saveFigure(SPEC, path.join(dir, 'ssim.png'));
    assert.deepEqual(files, { svg: path.join(dir, 'ssim.svg'), png: path.join(dir, 'ssim.png') });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['ssim.png', 'ssim.svg']);
  });

  it('names a bad spec', async () => {
    await assert.rejects(renderVegaLite({ mark: 'nonsense', data: { values: [] } }), /invalid vega-lite spec/);
    await assert.rejects(renderVegaLite(SPEC, { scale: 0 }), /scale must be in/);
  });
});

describe('notebook display', () => {
  it('builds one MIME bundle, base64 for PNG, with a text fallback', () => {
    const b = displayBundle({ png: Uint8Array.from([1, 2, 3]), svg: '<svg/>', text: 'a figure' });
    assert.deepEqual(b, { 'image/png': 'AQID', 'image/svg+xml': '<svg/>', 'text/plain': 'a figure' });
    assert.deepEqual(displayBundle({ markdown: '# hi' }), { 'text/markdown': '# hi', 'text/plain': '# hi' });
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
