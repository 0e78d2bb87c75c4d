import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatCell, latexEscape, tableToCsv, tableToHtml, tableToLatex, tableToMarkdown, writeTable } from '../src/report/tables';
import { tmpDir } from './kernel-helpers';

const ROWS = [
  { method: 'base', ssim: 0.777, 'fid-vid': 13.4, note: 'VACE, "as is"' },
  { method: 'ipa-halo', ssim: 0.84123456, 'fid-vid': 5.9, note: 'a|b' },
];

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

  it('writeTable writes .csv, .md and .tex atomically and returns their paths', () => {
    const dir = tmpDir('table');
    const files = writeTable(ROWS, path.join(dir, 'ablation'));
    assert.deepEqual(files, { csv: path.join(dir, 'ablation.csv'), md: path.join(dir, 'ablation.md'), tex: path.join(dir, 'ablation.tex') });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['ablation.csv', 'ablation.md', 'ablation.tex']);
  });

  it('writes a booktabs tabular: numeric columns right-aligned, rounded numbers, escaped text', () => {
    const tex = tableToLatex([{ method: 'ipa_halo', 'ssim [%]': 0.84123456, n: 3 }, { method: 'a & b', 'ssim [%]': null, n: 4 }]);
    assert.equal(
      tex,
      [
        '\\begin{tabular}{lrr}',
        '\\toprule',
        'method & ssim [\\%] & n \\\\',
        '\\midrule',
        'ipa\\_halo & 0.8412 & 3 \\\\',
        'a \\& b &  & 4 \\\\',
        '\\bottomrule',
        '\\end{tabular}',
        '',
      ].join('\n'),
    );
    assert.equal(latexEscape('50% of $x_1^2 {a} #1 ~ \\'), '50\\% of \\$x\\_1\\textasciicircum{}2 \\{a\\} \\#1 \\textasciitilde{} \\textbackslash{}');
  });
});
