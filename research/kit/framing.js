// Which camera makes fingers a reader can judge? For each framing (zoom, aim) and frame side, over the first N
// train clips of the paper world: the hand length and finger width in px, the share of (frame, hand) instances
// with the hand in view (any hand pixel), with the whole hand in view (all 21 keypoints inside the frame), and
// the share of a frame's pixels that are hand (union of both hands' coverage). Writes research/framing.md.
// Usage (after npm run build): node research/kit/framing.js [N=64]
const fs = require('fs');
const path = require('path');
const dist = (m) => require(path.join(__dirname, '..', '..', 'dist', m));
const { makeClip } = dist('world/clip');
const { getProfile } = dist('study/profiles');
const { handStart, HAND_KEYPOINTS } = dist('world/layout');

const N = Number(process.argv[2] ?? 64);
const base = getProfile('paper').world;
const rows = [];
for (const [size, zoom, aim] of [[64, 1, 0], [96, 1, 0], [128, 1, 0], [64, 1.5, 0.3], [64, 1.75, 0.3], [64, 2, 0.3], [64, 2, 0.5], [64, 2.5, 0.3]]) {
  const world = { ...base, size, ...(zoom === 1 ? {} : { framing: { zoom, aim } }) };
  let inst = 0, seen = 0, whole = 0, handPx = 0, px = 0;
  for (let i = 0; i < N; i++) {
    const c = makeClip(1, 'train', i, world);
    const S = c.size;
    for (let f = 0; f < c.numFrames; f++) {
      for (let side = 0; side < 2; side++) {
        inst++;
        if (c.handVisible[2 * f + side]) seen++;
        let inside = true;
        for (let k = 0; k < HAND_KEYPOINTS; k++) {
          const o = (f * 60 + handStart(side) + k) * 3;
          const x = c.keypoints[o], y = c.keypoints[o + 1];
          if (!(x >= 0 && y >= 0 && x < S && y < S)) inside = false;
        }
        if (inside) whole++;
      }
      for (let p = 0; p < S * S; p++) {
        const a = c.handMasks[(f * S * S + p) * 2] / 255, b = c.handMasks[(f * S * S + p) * 2 + 1] / 255;
        handPx += Math.min(1, a + b);
      }
      px += S * S;
    }
  }
  const hand = 0.2 * size * zoom;
  rows.push({ size, zoom, aim, hand: hand.toFixed(1), finger: (2 * 0.056 * hand).toFixed(1), seen: seen / inst, whole: whole / inst, share: handPx / px });
}
const md = ['# Framing: hand size, visibility and share of a frame', '', `First ${N} train clips of the paper world (seed 1), 8 frames each; \`node research/kit/framing.js ${N}\`.`, '',
  '| side px | zoom | aim | hand length px | finger width px | hand in view | whole hand in view | hand pixels of a frame |', '|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.size} | ${r.zoom} | ${r.aim} | ${r.hand} | ${r.finger} | ${(100 * r.seen).toFixed(1)}% | ${(100 * r.whole).toFixed(1)}% | ${(100 * r.share).toFixed(2)}% |`)];
fs.writeFileSync(path.join(__dirname, '..', 'framing.md'), md.join('\n') + '\n');
console.log(md.join('\n'));
