/**
 * Images for the metrics: channels-last `[H, W, C]` pixel data, given as a tfjs tensor or a plain object.
 *
 * Float data holds values in [0, 1]; byte data (Uint8Array, or an int32 tensor such as a decoded PNG) holds
 * 0..255 and is read as v / 255. Clips stack frames: `[F, H, W, C]`, generated frames only (the model's
 * reference slot, frame 0, is dropped by the caller).
 */
import type { Tensor } from '@tensorflow/tfjs';
import { checkInt, checkPixels, PixelArray } from './check';

/** A plain image: channels-last pixel data with its shape. */
export interface ImageArray {
  data: PixelArray;
  height: number;
  width: number;
  channels: number;
}

/** What the public image metrics accept: a tfjs tensor `[H, W, C]` or an `ImageArray`. */
export type ImageInput = Tensor | ImageArray;

/** Shape of a clip of generated frames `[F, H, W, C]`. */
export interface ClipDims {
  frames: number;
  height: number;
  width: number;
  channels: number;
}

/** Check a clip shape (all positive integers). */
export function checkClipDims(name: string, dims: ClipDims): void {
  if (dims === null || typeof dims !== 'object') throw new Error(`${name} must be { frames, height, width, channels }`);
  checkInt(`${name}.frames`, dims.frames, 1);
  checkInt(`${name}.height`, dims.height, 1);
  checkInt(`${name}.width`, dims.width, 1);
  checkInt(`${name}.channels`, dims.channels, 1);
}

function isTensor(x: unknown): x is Tensor {
  return x !== null && typeof x === 'object' && Array.isArray((x as Tensor).shape) && typeof (x as Tensor).dataSync === 'function';
}

/** An `ImageInput` as a checked `ImageArray` (tensor data is read with dataSync; int32 tensors as 0..255). */
export function toImage(name: string, x: ImageInput): ImageArray {
  if (isTensor(x)) {
    if (x.shape.length !== 3) throw new Error(`${name} must be a tensor [H, W, C], got shape [${x.shape.join(', ')}]`);
    const [height, width, channels] = x.shape;
    if (x.dtype === 'float32') {
      const data = checkPixels(name, x.dataSync() as Float32Array, height * width * channels);
      return { data, height, width, channels };
    }
    if (x.dtype === 'int32') {
      const raw = x.dataSync() as Int32Array;
      const data = new Uint8Array(raw.length);
      for (let i = 0; i < raw.length; i++) {
        const v = raw[i];
        if (!(v >= 0 && v <= 255)) throw new Error(`${name}[${i}] = ${v}: an int32 image must hold 0..255`);
        data[i] = v;
      }
      return { data, height, width, channels };
    }
    throw new Error(`${name} must be a float32 tensor in [0, 1] or an int32 tensor in 0..255, got dtype ${x.dtype}`);
  }
  if (x === null || typeof x !== 'object' || !('data' in x)) {
    throw new Error(`${name} must be a tensor [H, W, C] or { data, height, width, channels }`);
  }
  checkInt(`${name}.height`, x.height, 1);
  checkInt(`${name}.width`, x.width, 1);
  checkInt(`${name}.channels`, x.channels, 1);
  const data = checkPixels(`${name}.data`, x.data, x.height * x.width * x.channels);
  return { data, height: x.height, width: x.width, channels: x.channels };
}

/** Two images of the same shape; a mismatch is an Error naming `b`. */
export function toImagePair(a: ImageInput, b: ImageInput): [ImageArray, ImageArray] {
  const ia = toImage('a', a);
  const ib = toImage('b', b);
  if (ia.height !== ib.height || ia.width !== ib.width || ia.channels !== ib.channels) {
    throw new Error(
      `b has shape [${ib.height}, ${ib.width}, ${ib.channels}] but a has [${ia.height}, ${ia.width}, ${ia.channels}]`,
    );
  }
  return [ia, ib];
}
