/** Argument checks shared by the metric and selection modules; every failure is an Error naming the argument. */

/** Pixel data: floats in [0, 1], or bytes 0..255 read as v / 255. */
export type PixelArray = Float32Array | Float64Array | Uint8Array | Uint8ClampedArray;

/** Throw unless `v` is an integer >= `min`. */
export function checkInt(name: string, v: number, min = 0): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min}, got ${v}`);
}

/** Throw unless `v` is a finite number in [lo, hi]. */
export function checkRange(name: string, v: number, lo: number, hi: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) {
    throw new Error(`${name} must be a finite number in [${lo}, ${hi}], got ${v}`);
  }
}

/** Throw unless every value is finite. */
export function checkFiniteValues(name: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${name}[${i}] must be a finite number, got ${v}`);
  }
}

/** Scale that maps stored values to [0, 1]: 1/255 for byte arrays, 1 for floats. */
export function pixelScale(data: PixelArray): number {
  return data instanceof Uint8Array || data instanceof Uint8ClampedArray ? 1 / 255 : 1;
}

/** Check that `data` is pixel data of exactly `length` values, floats finite and within [0, 1]. */
export function checkPixels(name: string, data: unknown, length: number): PixelArray {
  if (
    !(data instanceof Float32Array || data instanceof Float64Array || data instanceof Uint8Array || data instanceof Uint8ClampedArray)
  ) {
    throw new Error(`${name} must be a Float32Array (values in [0, 1]) or a Uint8Array (0..255)`);
  }
  if (data.length !== length) throw new Error(`${name} has ${data.length} values, expected ${length}`);
  if (data instanceof Float32Array || data instanceof Float64Array) {
    for (let i = 0; i < data.length; i++) {
      const v = data[i];
      if (!(v >= 0 && v <= 1)) throw new Error(`${name}[${i}] = ${v} is outside [0, 1] (clamp generated frames first)`);
    }
  }
  return data;
}

/** Throw unless `values` is array-like with exactly `length` entries. */
export function checkLength(name: string, values: ArrayLike<unknown>, length: number): void {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new Error(`${name} must be an array`);
  }
  if (values.length !== length) throw new Error(`${name} has ${values.length} entries, expected ${length}`);
}
