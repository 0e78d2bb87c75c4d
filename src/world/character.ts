/**
 * Characters: an identity is a set of body proportions plus an appearance (skin tone, hair, clothes colours and
 * pattern, background). Identities are drawn from the stream `rng(worldSeed, 'identity', id)`, so the same id always
 * gives the same character and ids never collide across splits.
 */
import { Rng, rng } from '../core/seeds';
import { RGB } from './raster';
import { Proportions } from './skeleton';

export type ShirtPattern = 'plain' | 'stripes' | 'dots';
export type BackgroundKind = 'plain' | 'gradient' | 'checker' | 'stripes';
export type HairStyle = 'short' | 'long' | 'bun';

/** How the background is painted: kind, two colours, the texture period (frame units) and its angle. */
export interface Background {
  kind: BackgroundKind;
  a: RGB;
  b: RGB;
  period: number;
  angle: number;
}

/** Everything about a character's look that the reference image must carry. */
export interface Appearance {
  skin: RGB;
  hair: RGB;
  hairStyle: HairStyle;
  shirt: RGB;
  shirtPattern: ShirtPattern;
  patternColor: RGB;
  /** Pattern period in frame units and angle (stripes). */
  patternPeriod: number;
  patternAngle: number;
  sleeves: 'short' | 'long';
  trousers: RGB;
  legwear: 'trousers' | 'shorts';
  shoes: RGB;
  background: Background;
}

/** One identity: integer id, bone lengths and appearance. */
export interface Identity {
  id: number;
  proportions: Proportions;
  appearance: Appearance;
}

const SKIN_TONES: readonly RGB[] = [
  [255, 222, 196], [242, 196, 160], [226, 174, 132], [200, 142, 102], [164, 112, 76], [124, 82, 56], [92, 62, 44],
];
const HAIR_COLOURS: readonly RGB[] = [
  [22, 18, 18], [58, 38, 24], [104, 66, 38], [214, 182, 112], [150, 58, 30], [168, 168, 172], [52, 64, 140], [196, 80, 140],
];

/** HSV (h in [0, 1), s, v in [0, 1]) to RGB 0..255. */
export function hsv(h: number, s: number, v: number): RGB {
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  const [r, g, b] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][((i % 6) + 6) % 6];
  return [r * 255, g * 255, b * 255];
}

/** Euclidean RGB distance. */
export function colourDistance(a: RGB, b: RGB): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

function jitter(r: Rng, c: RGB, amount: number): RGB {
  const clamp = (x: number): number => Math.max(0, Math.min(255, x));
  return [clamp(c[0] + r.range(-amount, amount)), clamp(c[1] + r.range(-amount, amount)), clamp(c[2] + r.range(-amount, amount))];
}

/** A colour at least `minDist` from every colour in `avoid` (a few tries, then the most distant try). */
function distinctColour(make: () => RGB, avoid: readonly RGB[], minDist: number): RGB {
  let best: RGB = make();
  let bestD = Math.min(...avoid.map((c) => colourDistance(best, c)));
  for (let i = 0; i < 12 && bestD < minDist; i++) {
    const c = make();
    const d = Math.min(...avoid.map((a) => colourDistance(c, a)));
    if (d > bestD) {
      best = c;
      bestD = d;
    }
  }
  return best;
}

/** Bone lengths of an identity: a base figure that fills ~90% of the frame height, varied per identity. */
function sampleProportions(r: Rng): Proportions {
  const k = r.range(0.93, 1.02);
  const v = (x: number, spread = 0.06): number => x * k * r.range(1 - spread, 1 + spread);
  return {
    torso: v(0.29, 0.04),
    hipHalf: v(0.066, 0.1),
    shoulderHalf: v(0.112, 0.08),
    shoulderDrop: v(0.016, 0.1),
    neckToNose: v(0.1, 0.05),
    headHalfWidth: v(0.073, 0.07),
    headHalfHeight: v(0.088, 0.06),
    upperArm: v(0.14, 0.05),
    forearm: v(0.125, 0.05),
    thigh: v(0.2, 0.04),
    shin: v(0.19, 0.04),
    hand: 0.2 * r.range(0.96, 1.06),
    fingerScale: [r.range(0.95, 1.05), r.range(0.95, 1.05), r.range(0.96, 1.04), r.range(0.95, 1.05), r.range(0.93, 1.05)],
  };
}

function sampleAppearance(r: Rng): Appearance {
  const skin = jitter(r, r.pick(SKIN_TONES), 8);
  const hair = jitter(r, r.pick(HAIR_COLOURS), 10);
  const clothes = (): RGB => hsv(r.uniform(), r.range(0.35, 0.9), r.range(0.3, 0.95));
  const shirt = distinctColour(clothes, [skin], 80);
  const patternColor = distinctColour(clothes, [shirt], 90);
  const trousers = distinctColour(clothes, [skin, shirt], 60);
  const backgroundKind = r.pick<BackgroundKind>(['plain', 'gradient', 'checker', 'stripes']);
  const bgColour = (): RGB => hsv(r.uniform(), r.range(0.1, 0.6), r.range(0.25, 0.95));
  const bgA = distinctColour(bgColour, [skin, shirt, trousers], 85);
  const bgB = distinctColour(() => jitter(r, bgA, 45), [skin], 70);
  return {
    skin,
    hair,
    hairStyle: r.pick<HairStyle>(['short', 'short', 'long', 'bun']),
    shirt,
    shirtPattern: r.pick<ShirtPattern>(['plain', 'stripes', 'stripes', 'dots']),
    patternColor,
    patternPeriod: r.range(0.035, 0.06),
    patternAngle: r.pick([0, 0, Math.PI / 2, Math.PI / 4]),
    sleeves: r.uniform() < 0.5 ? 'short' : 'long',
    trousers,
    legwear: r.uniform() < 0.75 ? 'trousers' : 'shorts',
    shoes: hsv(r.uniform(), r.range(0, 0.5), r.range(0.08, 0.4)),
    background: { kind: backgroundKind, a: bgA, b: bgB, period: r.range(0.12, 0.25), angle: r.pick([0, Math.PI / 2, Math.PI / 4, -Math.PI / 4]) },
  };
}

/** The identity with this id in this world (deterministic). */
export function makeIdentity(worldSeed: number, id: number): Identity {
  const r = rng(worldSeed, 'identity', id);
  const proportions = sampleProportions(r);
  const appearance = sampleAppearance(r);
  return { id, proportions, appearance };
}
