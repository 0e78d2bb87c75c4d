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
