/** Media helpers: PNG round trip, nearest upscaling, animated GIF, atomic writes and input checks. */
import { after, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { encodeGif, encodePng, upscaleNearest, writeGif, writePng } from '../src/report/media';

const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'ipa-media-test-'));
after(() => fs.rmSync(TMP, { recursive: true, force: true }));

function pattern(w: number, h: number, seed: number): Uint8Array {
  const out = new Uint8Array(w * h * 3);
  for (let i = 0; i < out.length; i++) out[i] = (i * 37 + seed * 91) & 255;
  return out;
}

describe('media', () => {
  it('encodes a PNG that decodes to the same pixels', async () => {
    const px = pattern(5, 3, 1);
    const png = await encodePng(px, 5, 3);
    const { data, info } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    assert.equal(info.width, 5);
    assert.equal(info.height, 3);
    assert.equal(info.channels, 3);
    assert.ok(Buffer.from(px).equals(data));
  });

  it('upscales by repeating pixels', () => {
    const px = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    const up = upscaleNearest(px, 2, 1, 2);
    assert.deepEqual(Array.from(up), [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6]);
  });

  it('encodes a looping animated GIF with one page per frame', async () => {
    const frames = [pattern(8, 6, 1), pattern(8, 6, 2), pattern(8, 6, 3)];
    const gif = await encodeGif(frames, 8, 6, 125);
    const meta = await sharp(gif, { animated: true }).metadata();
    assert.equal(meta.format, 'gif');
    assert.equal(meta.pages, 3);
    assert.equal(meta.pageHeight, 6);
    assert.equal(meta.loop, 0);
    // GIF stores delays in centiseconds: 125 ms comes back as 120 or 130.
    assert.equal(meta.delay?.length, 3);
    for (const d of meta.delay ?? []) assert.ok(Math.abs(d - 125) <= 10, `delay ${d}`);
  });

  it('writes PNG and GIF files atomically (no temporary files left)', async () => {
    await writePng(path.join(TMP, 'a.png'), pattern(4, 4, 1), 4, 4);
    await writeGif(path.join(TMP, 'a.gif'), [pattern(4, 4, 1), pattern(4, 4, 2)], 4, 4, 100);
    assert.deepEqual(fs.readdirSync(TMP).sort(), ['a.gif', 'a.png']);
  });

  it('rejects pixel arrays of the wrong size, naming the helper', async () => {
    await assert.rejects(encodePng(new Uint8Array(10), 2, 2), /encodePng: 10 bytes for 2x2x3/);
    assert.throws(() => upscaleNearest(new Uint8Array(12), 2, 2, 0), /factor/);
    await assert.rejects(encodeGif([], 2, 2, 100), /no frames/);
  });
});
