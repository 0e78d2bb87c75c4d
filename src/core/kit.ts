/** The kit's own package: where its checkout is and its version (for paths and manifests). */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The package's name in package.json. */
export const PACKAGE_NAME = 'ipa-kit';

let root: string | null = null;

/** The kit's package root: the nearest folder above this module whose package.json is named ipa-kit. */
export function kitRoot(): string {
  if (root) return root;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    try {
      const meta = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (meta.name === PACKAGE_NAME) return (root = dir);
    } catch {
      // no package.json here
    }
    if (path.dirname(dir) === dir) return (root = path.resolve(__dirname, '..', '..'));
  }
}

/** The kit's version from package.json. */
export function kitVersion(): string {
  const meta = JSON.parse(fs.readFileSync(path.join(kitRoot(), 'package.json'), 'utf8')) as { version?: string };
  return meta.version ?? '0.0.0';
}

/** `p` relative to the kit (e.g. `results/figures/cases.png`) when it lies inside it, else `p` unchanged: what the kit
 * stores in committed files and prints (manifests, summaries, notebook outputs), so no machine's paths end up there. */
export function kitRelative(p: string, base = kitRoot()): string {
  if (!path.isAbsolute(p)) return p;
  const rel = path.relative(base, p);
  if (rel === '') return '.';
  return !rel.startsWith('..') && !path.isAbsolute(rel) ? rel.split(path.sep).join('/') : p;
}
