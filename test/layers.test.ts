/**
 * The layers of src/ (docs/design.md, "Layers"): a folder imports only folders above it in LAYERS, and no file
 * imports itself through a chain of imports. Both runtime and type-only imports count, and `export ... from`.
 * The test reads the TypeScript sources (no dependency): every import/export-from specifier, static or
 * dynamic (`import('...')`, `require('...')`), that starts with '.'.
 */
import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The layers from the top (imports nothing of the kit) to the bottom; root files (index.ts, cli.ts) come last. */
export const LAYERS = ['core', 'gpu', 'engine', 'world', 'train', 'flow', 'model', 'eval', 'perception', 'select', 'align', 'report', 'notebook', 'study', 'commands'] as const;

const ROOT = path.resolve(__dirname, '..', '..');
const SRC = path.join(ROOT, 'src');

/** Files under `dir` ending in .ts, relative to `dir`, with '/' separators. */
function tsFiles(dir: string, under = ''): string[] {
  return fs.readdirSync(path.join(dir, under), { withFileTypes: true }).flatMap((e) => {
    const rel = under ? `${under}/${e.name}` : e.name;
    if (e.isDirectory()) return tsFiles(dir, rel);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
  });
}

/** Source without comments (so an import written in a comment does not count), strings kept. */
function stripComments(src: string): string {
  return src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/[^\n]*/g, '$1');
}

/** Relative module specifiers of a source: import/export ... from '...', import '...', import('...'), require('...'). */
export function specifiers(src: string): string[] {
  const code = stripComments(src);
  const out: string[] = [];
  const patterns = [
    /(?:^|[\n;])\s*(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,$]+?\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) if (m[1].startsWith('.')) out.push(m[1]);
  return out;
}

/** The file a relative specifier of `from` names (`x.ts` or `x/index.ts`), relative to src/. */
function resolve(from: string, spec: string): string {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(from), spec));
  for (const cand of [`${base}.ts`, `${base}/index.ts`]) if (fs.existsSync(path.join(SRC, cand))) return cand;
  throw new Error(`${from}: cannot resolve import '${spec}'`);
}

/** The import graph of src/: file -> files it imports. */
export function importGraph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of tsFiles(SRC)) g.set(f, [...new Set(specifiers(fs.readFileSync(path.join(SRC, f), 'utf8')).map((s) => resolve(f, s)))]);
  return g;
}

/** Position of a file's layer (root files such as index.ts and cli.ts sit below every layer). */
function layerOf(file: string): number {
  if (!file.includes('/')) return LAYERS.length;
  const i = (LAYERS as readonly string[]).indexOf(file.split('/')[0]);
  if (i < 0) throw new Error(`src/${file} is in no layer: add its folder to LAYERS (and docs/design.md)`);
  return i;
}

/** Every cycle's files (strongly connected components with more than one file, or a file importing itself). */
export function cycles(g: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of g.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1 || (g.get(v) ?? []).includes(v)) out.push(comp.sort());
    }
  };
  for (const v of g.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('layers of src/', () => {
  const graph = importGraph();

  it('reads the imports of every source file', () => {
    assert.ok(graph.size > 50, `found ${graph.size} files`);
    const index = graph.get('index.ts') ?? [];
    assert.ok(index.includes('align/losses.ts') && index.includes('eval/index.ts'), 'the package root re-exports the losses and metrics');
    // The parser sees type-only imports, export-from, multi-line import lists and dynamic imports, not comments.
    const src = "import type { A } from './a';\nexport * from '../b';\nimport {\n  C,\n  D,\n} from './c';\nconst e = await import('./e');\n// import { F } from './f';\n/* import './g'; */\nimport './h';";
    assert.deepEqual(specifiers(src).sort(), ['../b', './a', './c', './e', './h']);
  });

  it('has no import cycle (runtime or type imports)', () => {
    assert.deepEqual(cycles(graph), []);
    // The detector finds one when there is one.
    assert.deepEqual(cycles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]])), [['a.ts', 'b.ts', 'c.ts']]);
  });

  it('imports only down the layer list: a folder imports folders above it, never below', () => {
    const up: string[] = [];
    for (const [f, deps] of graph) for (const d of deps) if (layerOf(d) > layerOf(f)) up.push(`src/${f} imports src/${d} (${d.split('/')[0]} is below ${f.split('/')[0]} in the layers)`);
    assert.deepEqual(up, []);
  });
});
