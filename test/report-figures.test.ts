import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { renderVegaLite, saveFigure } from '../src/report/figures';
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
