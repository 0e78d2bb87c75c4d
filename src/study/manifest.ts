/** Run manifests: one JSON file per run in `results/runs/`, named by start time, kind and profile. */
import * as path from 'node:path';
import { writeJsonAtomic } from '../core/files';

/** The fields every manifest carries; each kind of run adds its own. */
export interface ManifestBase {
  kind: string;
  profile: string;
  status: 'ok' | 'failed';
  started: string;
  finished: string;
  seconds: number;
}

/** File name for a manifest: `<UTC start, filesystem-safe>-<kind>-<profile>.json`. */
export function manifestFileName(m: Pick<ManifestBase, 'kind' | 'profile' | 'started'>): string {
  const stamp = m.started.replace(/[:.]/g, '-');
  return `${stamp}-${m.kind}-${m.profile}.json`;
}

/** Write a manifest atomically into `runsDir`; returns its path. */
export function writeRunManifest<T extends ManifestBase>(runsDir: string, manifest: T): string {
  const file = path.join(runsDir, manifestFileName(manifest));
  writeJsonAtomic(file, manifest);
  return file;
}
