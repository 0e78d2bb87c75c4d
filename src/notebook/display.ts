/**
 * Display helpers for notebooks: images, SVG, HTML, Markdown, tables, vega-lite figures and plotly charts as
 * Jupyter display data in the tslab kernel. Outside a kernel they print a file path (when there is one) or do nothing.
 */
import * as fs from 'node:fs';
import { kitRelative } from '../core/kit';
import { RenderOptions, VegaLiteSpec, renderVegaLite } from '../report/figures';
import { TableFormat, TableInput, tableToHtml, tableToMarkdown } from '../report/tables';

/** Content to show; several fields make one display with several MIME types (the frontend picks the richest). */
export interface ShowContent {
  png?: Uint8Array;
  /** An (animated) GIF. */
  gif?: Uint8Array;
  svg?: string;
  html?: string;
  markdown?: string;
  text?: string;
  /** A file the content was saved to: printed outside a kernel. */
  path?: string;
}

/** A Jupyter MIME bundle (binary types base64-encoded). */
export type DisplayBundle = Record<string, string | Record<string, unknown>>;

/** The MIME bundle for some content. */
export function displayBundle(c: ShowContent): DisplayBundle {
  const b: DisplayBundle = {};
  if (c.png) b['image/png'] = Buffer.from(c.png).toString('base64');
  if (c.gif) b['image/gif'] = Buffer.from(c.gif).toString('base64');
  if (c.svg) b['image/svg+xml'] = c.svg;
  if (c.html) b['text/html'] = c.html;
  if (c.markdown) b['text/markdown'] = c.markdown;
  // A file's path as text: relative to the kit, so executed notebooks carry no machine's absolute paths.
  b['text/plain'] = c.text ?? (c.path ? kitRelative(c.path) : undefined) ?? c.markdown ?? (c.png || c.gif || c.svg ? '<figure>' : c.html ? '<html>' : '');
  return b;
}

type WriteDisplayData = (msg: { data: DisplayBundle; metadata: Record<string, unknown>; transient: Record<string, unknown> }, update: boolean) => void;

/** The tslab kernel's display sink when this code runs inside one, else null. */
function kernelSink(): WriteDisplayData | null {
  if (!(globalThis as { __tslab__?: unknown }).__tslab__) return null;
  try {
    // tslab's own module, shared with the running kernel: it holds the display callback of the current cell.
    const jupyter = require('tslab/dist/jupyter.js') as { lastWriteDisplayData: WriteDisplayData | null };
    return jupyter.lastWriteDisplayData;
  } catch {
    return null;
  }
}

/** Whether this code runs inside the tslab kernel. */
export function inKernel(): boolean {
  return kernelSink() !== null;
}

/** Show content in the notebook (a string is Markdown); outside a kernel print its path, if it has one. */
export function show(c: ShowContent | string): void {
  const content: ShowContent = typeof c === 'string' ? { markdown: c } : c;
  const sink = kernelSink();
  if (sink) sink({ data: displayBundle(content), metadata: {}, transient: {} }, false);
  else if (content.path) process.stdout.write(`${kitRelative(content.path)}\n`);
}

/** Show a file by path: PNG, GIF, SVG, Markdown or HTML. */
export function showFile(file: string): void {
  if (!fs.existsSync(file)) throw new Error(`showFile: no such file: ${file}`);
  if (/\.svg$/i.test(file)) return show({ svg: fs.readFileSync(file, 'utf8'), path: file });
  if (/\.png$/i.test(file)) return show({ png: fs.readFileSync(file), path: file });
  if (/\.gif$/i.test(file)) return show({ gif: fs.readFileSync(file), path: file });
  if (/\.(md|markdown)$/i.test(file)) return show({ markdown: fs.readFileSync(file, 'utf8'), path: file });
  if (/\.html?$/i.test(file)) return show({ html: fs.readFileSync(file, 'utf8'), path: file });
  throw new Error(`showFile: cannot show ${file} (expected .png, .gif, .svg, .md or .html)`);
}

/** Show a table as HTML (with a Markdown text fallback). */
export function showTable(t: TableInput, fmt: TableFormat = {}): void {
  show({ html: tableToHtml(t, fmt), text: tableToMarkdown(t, fmt) });
}

/** Render a vega-lite spec and show it as PNG (default) or SVG. */
export async function showFigure(spec: VegaLiteSpec, opts: RenderOptions & { format?: 'png' | 'svg' } = {}): Promise<void> {
  const fig = await renderVegaLite(spec, opts);
  show(opts.format === 'svg' ? { svg: fig.svg } : { png: fig.png });
}

/** A plotly trace or layout as plain JSON (https://plotly.com/javascript/reference/). */
export type PlotlyJson = Record<string, unknown>;

/** Options of an interactive plotly chart. */
export interface PlotlyOptions {
  /** Include the plotly.js bundle in this output (default: only in the first chart of a kernel session). */
  includeBundle?: boolean;
  /** Height in pixels (default 420). */
  height?: number;
  /** plotly config, e.g. { displaylogo: false }. */
  config?: PlotlyJson;
}

let plotlyBundleSent = false;
let plotlyCounter = 0;

/** The minified plotly.js bundle shipped in `plotly.js-dist-min` (works offline). */
export function plotlyBundle(): string {
  return fs.readFileSync(require.resolve('plotly.js-dist-min/plotly.min.js'), 'utf8');
}

/** JSON that is safe inside a <script> element. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The HTML of an interactive plotly chart; with `includeBundle` it carries plotly.js inline. */
export function plotlyHtml(data: readonly PlotlyJson[], layout: PlotlyJson = {}, opts: PlotlyOptions = {}): string {
  const id = `ipa-kit-plotly-${process.pid}-${++plotlyCounter}`;
  const height = opts.height ?? 420;
  const bundle = opts.includeBundle ? `<script type="text/javascript">${plotlyBundle().replace(/<\/script/gi, '<\\/script')}</script>\n` : '';
  const call = `Plotly.newPlot(${scriptJson(id)}, ${scriptJson(data)}, ${scriptJson(layout)}, ${scriptJson({ responsive: true, ...opts.config })});`;
  const fallback = `document.getElementById(${scriptJson(id)}).textContent = 'plotly.js is not loaded: re-run the notebook to see this chart';`;
  return `${bundle}<div id="${id}" class="ipa-kit-plotly" style="width:100%;height:${height}px"></div>\n<script type="text/javascript">if (window.Plotly) { ${call} } else { ${fallback} }</script>`;
}

/** Show an interactive plotly chart (plotly.js is inlined once per kernel session, so it works offline). */
export function showPlotly(data: readonly PlotlyJson[], layout: PlotlyJson = {}, opts: PlotlyOptions = {}): void {
  if (!inKernel()) return;
  const includeBundle = opts.includeBundle ?? !plotlyBundleSent;
  show({ html: plotlyHtml(data, layout, { ...opts, includeBundle }), text: `plotly chart: ${data.length} trace(s)` });
  if (includeBundle) plotlyBundleSent = true;
}
