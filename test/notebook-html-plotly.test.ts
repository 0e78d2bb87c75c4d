import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import sharp from 'sharp';
import { plotlyHtml } from '../src/notebook/display';
import { Notebook } from '../src/notebook/nbformat';
import { curvesFigure } from '../src/report/plotly';
import { jupyterAvailable, tmpDir } from './kernel-helpers';

/** The headless browser: $CHROMIUM, else the first of Debian's and Google's names on PATH. */
function chromium(): string | null {
  for (const name of [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter((n): n is string => !!n)) {
    if (spawnSync(name, ['--version'], { encoding: 'utf8', timeout: 30000 }).status === 0) return name;
  }
  return null;
}

const BROWSER = chromium();
const SKIP = !BROWSER
  ? 'no headless Chromium (Debian: apt-get install chromium; .ci/run installs it), so the exported notebook cannot be rendered'
  : !jupyterAvailable()
    ? 'jupyter nbconvert is not installed (Debian: apt-get install jupyter-nbconvert; .ci/run installs it)'
    : false;

/** Share of pixels within `tol` of an RGB colour. */
async function colourShare(png: string, rgb: [number, number, number], tol = 40): Promise<number> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 0; i < data.length; i += info.channels) {
    if (Math.abs(data[i] - rgb[0]) + Math.abs(data[i + 1] - rgb[1]) + Math.abs(data[i + 2] - rgb[2]) <= tol) n++;
  }
  return n / (info.width * info.height);
}

describe('plotly figures in an exported notebook, as a reader opens them', { skip: SKIP }, () => {
  it('jupyter nbconvert --to html keeps the figure, and headless Chromium draws its lines (screenshot checked)', async () => {
    const dir = tmpDir('plotly-html');
    // An executed notebook whose output is what `showPlotly` sends (plotly.js inline, as in a kernel's first chart).
    const steps = Array.from({ length: 30 }, (_, i) => i + 1);
    const run = (method: string, seed: number, slope: number) => ({ method, seed, records: steps.map((step) => ({ step, loss: 0.69, lr: 1e-3, gradNorm: 1, seconds: 1, gap: slope * step })) });
    const fig = curvesFigure([run('sft', 1, 0.01), run('ipa-halo', 1, 0.03)], 'gap');
    const nb: Notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [
        {
          cell_type: 'code',
          id: 'plot',
          execution_count: 1,
          metadata: {},
          source: 'kit.showPlotly(fig.data, fig.layout);',
          outputs: [{ output_type: 'display_data', data: { 'text/html': plotlyHtml(fig.data, fig.layout, { includeBundle: true }), 'text/plain': 'plotly chart: 2 trace(s)' }, metadata: {} }],
        },
      ],
    };
    const ipynb = path.join(dir, 'curves.ipynb');
    fs.writeFileSync(ipynb, JSON.stringify(nb));
    const conv = spawnSync('jupyter', ['nbconvert', '--to', 'html', ipynb, '--output-dir', dir], { encoding: 'utf8', timeout: 120000 });
    assert.equal(conv.status, 0, conv.stderr);
    const html = path.join(dir, 'curves.html');
    assert.match(fs.readFileSync(html, 'utf8'), /Plotly\.newPlot/, 'the exported HTML carries the figure');

    const browse = (extra: string[]) =>
      spawnSync(BROWSER as string, ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1000,800', '--virtual-time-budget=15000', ...extra, `file://${html}`], { encoding: 'utf8', timeout: 120000, maxBuffer: 64 * 1024 * 1024 });
    // The DOM after the scripts ran: plotly's SVG with one line per trace.
    const dom = browse(['--dump-dom']);
    assert.equal(dom.status, 0, dom.stderr);
    assert.match(dom.stdout, /class="main-svg"/, 'plotly rendered its SVG');
    // Lines of the plot area are polylines ("M x,y L ..."); the legend's swatches are "M5,0h30".
    assert.equal((dom.stdout.match(/class="js-line"[^>]*d="M[^"]*L/g) ?? []).length, 2, 'one drawn line per trace');
    // The screenshot: both traces' colours (plotly's first two, #1f77b4 and #ff7f0e) are on screen.
    const shot = path.join(dir, 'curves.png');
    const s = browse([`--screenshot=${shot}`]);
    assert.ok(fs.existsSync(shot), `no screenshot: ${s.stderr}`);
    const blue = await colourShare(shot, [0x1f, 0x77, 0xb4]);
    const orange = await colourShare(shot, [0xff, 0x7f, 0x0e]);
    assert.ok(blue > 2e-4 && orange > 2e-4, `trace colours on screen: blue ${blue}, orange ${orange}`);
  });
});
