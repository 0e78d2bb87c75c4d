/** The perception network as the evaluation's frame detector (keypoints + FD features), loaded once per thread. */
import * as path from 'node:path';
import type { FrameDetector } from '../eval/evaluate';
import type { ClipFeatureFn } from '../eval/frechet';
import { featureDim } from './config';
import { Perception, clipFeatures, loadPerception, perceive } from './perceive';

const loaded = new Map<string, { dir: string; detector: FrameDetector; sha256: string; perception: Perception }>();

/** Load (once per thread and folder) a perception checkpoint as a FrameDetector with its weights' SHA-256. */
export function loadDetector(dir: string): { dir: string; detector: FrameDetector; sha256: string } {
  const key = path.resolve(dir);
  let d = loaded.get(key);
  if (!d) {
    const p = loadPerception(key);
    const detector: FrameDetector = {
      featureDim: featureDim(p.config),
      detect: (frames, n) => {
        const r = perceive(p, frames, n);
        return { keypoints: r.keypoints, features: r.features };
      },
    };
    d = { dir: key, detector, sha256: p.meta ? p.meta.files['weights.bin'].sha256 : 'in-memory', perception: p };
    loaded.set(key, d);
  }
  return { dir: d.dir, detector: d.detector, sha256: d.sha256 };
}

/** FD-clip features from frame features (see perceive.ts: mean and mean absolute frame-to-frame difference). */
export const clipFeatureFn: ClipFeatureFn = (frameFeatures, clips, framesPerClip) => {
  const features = clipFeatures(frameFeatures, clips, framesPerClip);
  return { features, dim: features.length / clips };
};

/** The perception network's accuracy on ground-truth test frames, as stored with its checkpoint (one row per split). */
export function detectorAccuracyRows(dir: string): Record<string, string | number | null>[] {
  const p = loadPerception(dir);
  try {
    const acc = (p.meta?.metrics ?? {}) as Record<string, number>;
    const splits = [...new Set(Object.keys(acc).map((k) => k.split('.')[0]).filter((s) => s.startsWith('test')))];
    return splits.map((s) => ({
      split: s,
      'hand PCK@0.2': acc[`${s}.handPck`] ?? null,
      'hand error px': acc[`${s}.handErrorPx`] ?? null,
      'body PCK@0.1': acc[`${s}.bodyPck`] ?? null,
      'body error px': acc[`${s}.bodyErrorPx`] ?? null,
    }));
  } finally {
    for (const v of Object.values(p.params)) v.dispose();
  }
}
