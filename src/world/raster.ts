/**
 * Rasteriser: anti-aliased capsules (optionally tapered), ellipses and polygons composited into a float RGB buffer,
 * in plain TypeScript. Coverage of a pixel is clamp(0.5 - d, 0, 1) with d the signed distance (in pixels) from the
 * pixel centre to the shape's edge, so edges are one pixel wide ramps at any size.
 *
 * The canvas also keeps per-layer ownership masks: after every shape, mask[l] = mask[l] * (1 - a) + (layer == l) * a,
 * which is exactly the share of each final pixel's colour that layer l contributed (hands use layers 0 and 1).
 * A canvas with layers also keeps the figure coverage, figure = figure * (1 - a) + a after every shape: the share
 * of each final pixel's colour that any shape (the character, hands included) contributed over the fill.
 */

/** A colour with channels in [0, 255]. */
export type RGB = readonly [number, number, number];

/** A per-pixel colour (pattern): writes the colour at pixel-centre (x, y) into out[0..2]. */
export type Shader = (x: number, y: number, out: Float64Array) => void;

/** Solid colour or shader. */
export type Paint = RGB | Shader;

/** A closed shape with a signed distance (negative inside) and a pixel bounding box. */
export interface Shape {
  /** Signed distance from (x, y) to the edge, in pixels; negative inside. */
  sd(x: number, y: number): number;
  /** Bounding box [x0, y0, x1, y1] in pixel coordinates (edges included, before anti-aliasing margin). */
  readonly box: readonly [number, number, number, number];
}

/** A capsule from (ax, ay) to (bx, by) with radius ra at a and rb at b (a disc when a = b). */
export class Capsule implements Shape {
  readonly box: readonly [number, number, number, number];
  private readonly dx: number;
  private readonly dy: number;
  private readonly len2: number;

  constructor(readonly ax: number, readonly ay: number, readonly bx: number, readonly by: number, readonly ra: number, readonly rb: number = ra) {
    this.dx = bx - ax;
    this.dy = by - ay;
    this.len2 = this.dx * this.dx + this.dy * this.dy;
    const r = Math.max(ra, rb);
    this.box = [Math.min(ax, bx) - r, Math.min(ay, by) - r, Math.max(ax, bx) + r, Math.max(ay, by) + r];
  }

  sd(x: number, y: number): number {
    const px = x - this.ax;
    const py = y - this.ay;
    let t = this.len2 > 0 ? (px * this.dx + py * this.dy) / this.len2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    const ex = px - t * this.dx;
    const ey = py - t * this.dy;
    return Math.sqrt(ex * ex + ey * ey) - (this.ra + (this.rb - this.ra) * t);
  }
}

/** An ellipse centred at (cx, cy) with semi-axes rx (along angle) and ry, rotated by `angle`. */
export class Ellipse implements Shape {
  readonly box: readonly [number, number, number, number];
  private readonly c: number;
  private readonly s: number;

  constructor(readonly cx: number, readonly cy: number, readonly rx: number, readonly ry: number, readonly angle = 0) {
    this.c = Math.cos(angle);
    this.s = Math.sin(angle);
    const hx = Math.sqrt(rx * rx * this.c * this.c + ry * ry * this.s * this.s);
    const hy = Math.sqrt(rx * rx * this.s * this.s + ry * ry * this.c * this.c);
    this.box = [cx - hx, cy - hy, cx + hx, cy + hy];
  }

  sd(x: number, y: number): number {
    const px = x - this.cx;
    const py = y - this.cy;
    const u = (px * this.c + py * this.s) / this.rx;
    const v = (-px * this.s + py * this.c) / this.ry;
    const f = u * u + v * v - 1;
    // First-order distance: f / |grad f| (grad in pixel units).
    const gu = u / this.rx;
    const gv = v / this.ry;
    const g = 2 * Math.sqrt(gu * gu + gv * gv);
    return g > 1e-9 ? f / g : -Math.min(this.rx, this.ry);
  }
}

/** A simple polygon given as [x0, y0, x1, y1, ...] (either winding). */
export class Polygon implements Shape {
  readonly box: readonly [number, number, number, number];

  constructor(readonly pts: readonly number[]) {
    if (pts.length < 6 || pts.length % 2 !== 0) throw new Error(`Polygon needs >= 3 points, got ${pts.length / 2}`);
    let x0 = Infinity;
    let y0 = Infinity;
    let x1 = -Infinity;
    let y1 = -Infinity;
    for (let i = 0; i < pts.length; i += 2) {
      x0 = Math.min(x0, pts[i]);
      x1 = Math.max(x1, pts[i]);
      y0 = Math.min(y0, pts[i + 1]);
      y1 = Math.max(y1, pts[i + 1]);
    }
    this.box = [x0, y0, x1, y1];
  }

  sd(x: number, y: number): number {
    const p = this.pts;
    const n = p.length / 2;
    let best = Infinity;
    let inside = false;
    for (let i = 0, j = n - 1; i < n; j = i++) {
      const ax = p[2 * j];
      const ay = p[2 * j + 1];
      const bx = p[2 * i];
      const by = p[2 * i + 1];
      const ex = bx - ax;
      const ey = by - ay;
      const wx = x - ax;
      const wy = y - ay;
      const l2 = ex * ex + ey * ey;
      let t = l2 > 0 ? (wx * ex + wy * ey) / l2 : 0;
      t = t < 0 ? 0 : t > 1 ? 1 : t;
      const dx = wx - t * ex;
      const dy = wy - t * ey;
      const d2 = dx * dx + dy * dy;
      if (d2 < best) best = d2;
      if (ay > y !== by > y && x < ax + ((y - ay) * ex) / ey) inside = !inside;
    }
    const d = Math.sqrt(best);
    return inside ? -d : d;
  }
}

/** Coverage of a pixel whose centre is at signed distance d from an edge. */
export function coverage(d: number): number {
  const a = 0.5 - d;
  return a <= 0 ? 0 : a >= 1 ? 1 : a;
}

/** Linear 0..255 float RGB canvas of side `size` with `layers` ownership masks. */
export class Canvas {
  /** Colours, [size, size, 3] row-major, floats in [0, 255]. */
  readonly rgb: Float64Array;
  /** Ownership masks, [size, size, layers], floats in [0, 1]. */
  readonly masks: Float64Array;
  /** Figure coverage, [size, size], floats in [0, 1]; empty when the canvas has no mask layers. */
  readonly figure: Float64Array;
  private readonly tmp = new Float64Array(3);

  constructor(readonly size: number, readonly layers = 0) {
    this.rgb = new Float64Array(size * size * 3);
    this.masks = new Float64Array(size * size * Math.max(layers, 0));
    this.figure = new Float64Array(layers > 0 ? size * size : 0);
  }

  /** Fill every pixel with a paint (resets the masks). */
  fill(paint: Paint): void {
    const S = this.size;
    const out = this.tmp;
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const i = 3 * (y * S + x);
        if (typeof paint === 'function') {
          paint(x + 0.5, y + 0.5, out);
          this.rgb[i] = out[0];
          this.rgb[i + 1] = out[1];
          this.rgb[i + 2] = out[2];
        } else {
          this.rgb[i] = paint[0];
          this.rgb[i + 1] = paint[1];
          this.rgb[i + 2] = paint[2];
        }
      }
    }
    this.masks.fill(0);
    this.figure.fill(0);
  }

  /** Composite a shape with a paint at an opacity, owned by mask layer `layer` (-1: none). */
  draw(shape: Shape, paint: Paint, layer = -1, opacity = 1): void {
    const S = this.size;
    const L = this.layers;
    const [bx0, by0, bx1, by1] = shape.box;
    const x0 = Math.max(0, Math.floor(bx0 - 1));
    const y0 = Math.max(0, Math.floor(by0 - 1));
    const x1 = Math.min(S - 1, Math.ceil(bx1 + 1));
    const y1 = Math.min(S - 1, Math.ceil(by1 + 1));
    const solid = typeof paint !== 'function';
    const out = this.tmp;
    if (solid) {
      out[0] = paint[0];
      out[1] = paint[1];
      out[2] = paint[2];
    }
    const rgb = this.rgb;
    const masks = this.masks;
    const figure = this.figure;
    for (let y = y0; y <= y1; y++) {
      const cy = y + 0.5;
      for (let x = x0; x <= x1; x++) {
        const d = shape.sd(x + 0.5, cy);
        if (d >= 0.5) continue;
        const a = (d <= -0.5 ? 1 : 0.5 - d) * opacity;
        if (!solid) (paint as Shader)(x + 0.5, cy, out);
        const p = y * S + x;
        const i = 3 * p;
        const b = 1 - a;
        rgb[i] = rgb[i] * b + out[0] * a;
        rgb[i + 1] = rgb[i + 1] * b + out[1] * a;
        rgb[i + 2] = rgb[i + 2] * b + out[2] * a;
        if (L > 0) {
          const m = p * L;
          for (let l = 0; l < L; l++) masks[m + l] *= b;
          if (layer >= 0) masks[m + layer] += a;
          figure[p] = figure[p] * b + a;
        }
      }
    }
  }

  /** Write the colours as rounded uint8 into out at offset (S*S*3 values). */
  writeRgb(out: Uint8Array, offset = 0): void {
    const n = this.rgb.length;
    for (let i = 0; i < n; i++) {
      const v = this.rgb[i];
      out[offset + i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }

  /** Write the figure coverage as rounded uint8 0..255 into out at offset (S*S values). */
  writeFigure(out: Uint8Array, offset = 0): void {
    const n = this.figure.length;
    for (let i = 0; i < n; i++) {
      const v = this.figure[i] * 255;
      out[offset + i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }

  /** Write the masks as rounded uint8 coverage 0..255 into out at offset (S*S*layers values). */
  writeMasks(out: Uint8Array, offset = 0): void {
    const n = this.masks.length;
    for (let i = 0; i < n; i++) {
      const v = this.masks[i] * 255;
      out[offset + i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
    }
  }
}
