/**
 * Hand masks on the model's grid, for the HALO weight. The world gives per-hand pixel coverage (0..255) for
 * each generated frame; the weight mask M is the union of both hands (the larger coverage) in [0, 1], mapped
 * to the model's resolution:
 * - 'patch' (default): each patch cell of the model's token grid gets the fraction of hand pixels in it, spread
 *   over the cell's pixels. This is the analogue of the paper's latent-grid mask (VACE weights latent cells of
 *   8x8 pixels): the weight also covers the gaps between fingers and the hand's outline, where fused or missing
 *   fingers show, and the total extra weight equals the pixel mask's.
 * - 'pixel': the coverage itself.
 * Values are clamped to [0, 1].
 */

import { handCoverage } from '../model/inputs';

export type MaskGrid = { kind: 'pixel' } | { kind: 'patch'; size: number };

/** Union hand mask [F, S, S, 1] in [0, 1] from per-hand coverage masks [F, S, S, 2] (uint8). */
export function handMaskOnGrid(handMasks: Uint8Array, size: number, grid: MaskGrid): Float32Array {
  const px = size * size;
  if (handMasks.length % (px * 2) !== 0) throw new Error(`handMaskOnGrid: 'handMasks' length ${handMasks.length} is not F x ${size} x ${size} x 2`);
  const F = handMasks.length / (px * 2);
  const out = handCoverage(handMasks);
  if (grid.kind === 'pixel') return out;
  const p = grid.size;
  if (!Number.isInteger(p) || p < 1 || size % p !== 0) throw new Error(`handMaskOnGrid: patch size ${p} must divide ${size}`);
  for (let f = 0; f < F; f++) {
    for (let gy = 0; gy < size; gy += p) {
      for (let gx = 0; gx < size; gx += p) {
        let s = 0;
        for (let y = gy; y < gy + p; y++) for (let x = gx; x < gx + p; x++) s += out[f * px + y * size + x];
        const v = Math.min(1, Math.max(0, s / (p * p)));
        for (let y = gy; y < gy + p; y++) for (let x = gx; x < gx + p; x++) out[f * px + y * size + x] = v;
      }
    }
  }
  return out;
}
