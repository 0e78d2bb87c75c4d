/**
 * Figures: a vega-lite spec rendered headless to SVG (vega, renderer 'none') and PNG (sharp), saved atomically.
 * vega and vega-lite are ESM with top-level await, so they are loaded with a real dynamic `import()`.
 */
import * as path from 'node:path';
import sharp from 'sharp';
import { writeFileAtomic } from '../core/files';

/** A vega-lite specification (https://vega.github.io/vega-lite/docs/spec.html) as plain JSON. */
export type VegaLiteSpec = Record<string, unknown>;

/** A rendered figure. */
export interface RenderedFigure {
  svg: string;
  png: Buffer;
}

/** Rendering options: `scale` multiplies the PNG's pixel size (default 2, for sharp figures on screens). */
export interface RenderOptions {
  scale?: number;
}

/** Render a vega-lite spec to SVG and PNG, offline. Errors name the spec problem. */
export async function renderVegaLite(spec: VegaLiteSpec, opts: RenderOptions = {}): Promise<RenderedFigure> {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new Error('renderVegaLite: spec must be a vega-lite object');
  const scale = opts.scale ?? 2;
  if (!(scale > 0 && scale <= 8)) throw new Error(`renderVegaLite: scale must be in (0, 8], got ${scale}`);
  const vl = await import('vega-lite');
  const vega = await import('vega');
  let compiled;
  try {
    compiled = vl.compile(spec as unknown as Parameters<typeof vl.compile>[0]).spec;
  } catch (err) {
    throw new Error(`renderVegaLite: invalid vega-lite spec: ${(err as Error).message}`);
  }
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    const svg = await view.toSVG();
    const png = await sharp(Buffer.from(svg), { density: 72 * scale }).png().toBuffer();
    return { svg, png };
  } finally {
    view.finalize();
  }
}

/** Render a spec and write `<dirAndBaseName>.svg` and `.png` atomically; returns the two paths. */
export async function saveFigure(spec: VegaLiteSpec, dirAndBaseName: string, opts: RenderOptions = {}): Promise<{ svg: string; png: string }> {
  const fig = await renderVegaLite(spec, opts);
  const base = path.resolve(dirAndBaseName.replace(/\.(svg|png)$/i, ''));
  const files = { svg: `${base}.svg`, png: `${base}.png` };
  writeFileAtomic(files.svg, fig.svg);
  writeFileAtomic(files.png, fig.png);
  return files;
}
