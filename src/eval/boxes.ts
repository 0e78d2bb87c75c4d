/**
 * Hand boxes: `[x0, y0, x1, y1]` integer pixel bounds, half-open (inclusive-exclusive): a box covers the pixels
 * with x0 <= x < x1 and y0 <= y < y1, where x is the column and y the row, both from 0. A valid box is
 * non-empty and inside the frame: 0 <= x0 < x1 <= width, 0 <= y0 < y1 <= height.
 *
 * Per clip, boxes are stored `[F, 2, 4]` (frame, hand: left = 0, right = 1, coordinate) with visibility flags
 * `[F, 2]` (non-zero / true = visible). Boxes of hands that are not visible are ignored and may hold anything.
 */
import { checkInt, checkLength } from './check';

/** A pixel box `[x0, y0, x1, y1]`, half-open: x0 <= x < x1, y0 <= y < y1. */
export type Box = readonly [number, number, number, number];

export const LEFT_HAND = 0;
export const RIGHT_HAND = 1;
/** Hands per frame. */
export const HANDS = 2;

/** Check that `box` is a valid half-open integer box inside a height x width frame (Infinity: no upper bound). */
export function checkBox(name: string, box: ArrayLike<number>, height: number, width: number): Box {
  if (box === null || typeof box !== 'object' || box.length !== 4) throw new Error(`${name} must be [x0, y0, x1, y1]`);
  const [x0, y0, x1, y1] = [box[0], box[1], box[2], box[3]];
  for (const v of [x0, y0, x1, y1]) {
    if (!Number.isInteger(v)) throw new Error(`${name} = [${x0}, ${y0}, ${x1}, ${y1}] must hold integer pixel bounds (see clipBox)`);
  }
  if (!(x0 >= 0 && x0 < x1 && x1 <= width && y0 >= 0 && y0 < y1 && y1 <= height)) {
    const bound = (v: number) => (Number.isFinite(v) ? ` <= ${v}` : '');
    throw new Error(
      `${name} = [${x0}, ${y0}, ${x1}, ${y1}] must satisfy 0 <= x0 < x1${bound(width)} and 0 <= y0 < y1${bound(height)} (half-open pixel bounds)`,
    );
  }
  return [x0, y0, x1, y1];
}

/** A real-valued box rounded outward to whole pixels and clipped to the frame; null when nothing is left inside. */
export function clipBox(box: ArrayLike<number>, height: number, width: number): Box | null {
  if (box === null || typeof box !== 'object' || box.length !== 4) throw new Error('box must be [x0, y0, x1, y1]');
  for (let i = 0; i < 4; i++) if (!Number.isFinite(box[i])) throw new Error(`box[${i}] must be finite, got ${box[i]}`);
  const x0 = Math.max(0, Math.floor(box[0]));
  const y0 = Math.max(0, Math.floor(box[1]));
  const x1 = Math.min(width, Math.ceil(box[2]));
  const y1 = Math.min(height, Math.ceil(box[3]));
  return x0 < x1 && y0 < y1 ? [x0, y0, x1, y1] : null;
}

/** Pixels in a box. */
export function boxArea(box: Box): number {
  return (box[2] - box[0]) * (box[3] - box[1]);
}

/** Whether hand `hand` is visible in frame `frame` of flags `[F, 2]`. */
export function handVisible(visible: ArrayLike<number | boolean>, frame: number, hand: number): boolean {
  return Boolean(visible[frame * HANDS + hand]);
}

/** The box of hand `hand` in frame `frame` of boxes `[F, 2, 4]` (unchecked). */
export function handBox(boxes: ArrayLike<number>, frame: number, hand: number): Box {
  const o = (frame * HANDS + hand) * 4;
  return [boxes[o], boxes[o + 1], boxes[o + 2], boxes[o + 3]];
}

/** Check per-clip boxes `[F, 2, 4]` and flags `[F, 2]`: lengths, and every visible hand's box valid in the frame. */
export function checkHandBoxes(
  boxes: ArrayLike<number>,
  visible: ArrayLike<number | boolean>,
  frames: number,
  height: number,
  width: number,
): void {
  checkInt('frames', frames, 1);
  checkLength('boxes', boxes, frames * HANDS * 4);
  checkLength('visible', visible, frames * HANDS);
  for (let f = 0; f < frames; f++) {
    for (let h = 0; h < HANDS; h++) {
      const v = visible[f * HANDS + h];
      if (typeof v !== 'boolean' && typeof v !== 'number') throw new Error(`visible[${f * HANDS + h}] must be a number or boolean`);
      if (v) checkBox(`boxes[${f}][${h}]`, handBox(boxes, f, h), height, width);
    }
  }
}
