/**
 * JSON shapes: every JSON file the kit reads is checked against the shape its reader expects before any field is
 * used, so a file that is `null`, misses a field or holds a string where a number belongs is a DataError (exit 2)
 * of one line naming the file and the field (`x/checkpoint.json: field 'tensors["weights.bin"][0].offset' must
 * be an integer >= 0, got "12"`), never a TypeError deep in the code.
 *
 * Shapes are plain values built from the functions below; objects allow fields they do not list (metadata that
 * a newer kit adds), and `optional(...)` marks fields that may be absent.
 */
import * as crypto from 'node:crypto';
import { DataError } from './errors';
import { readJson } from './files';

/** A shape: checks a value at a field path; throws ShapeError naming the field. */
export type Shape = (value: unknown, field: string) => void;

/** The first mismatch between a value and its shape. */
export class ShapeError extends Error {
  override name = 'ShapeError';
  constructor(
    readonly field: string,
    readonly problem: string,
  ) {
    super(`${field ? `field '${field}'` : 'the top level'} ${problem}`);
  }
}

/** A value as the error shows it (short). */
function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** The path of a child field: `a.b`, `a["x.bin"]`, `a[3]`. */
function child(field: string, key: string | number): string {
  if (typeof key === 'number') return `${field}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? (field ? `${field}.${key}` : key) : `${field}[${JSON.stringify(key)}]`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Any value (the reader checks it itself). */
export const anything: Shape = () => undefined;

/** A string (`pattern`: must match it, e.g. a plain file name). */
export function string(opts: { pattern?: RegExp; what?: string } = {}): Shape {
  return (v, field) => {
    if (typeof v !== 'string') throw new ShapeError(field, `must be a string, got ${show(v)}`);
    if (opts.pattern && !opts.pattern.test(v)) throw new ShapeError(field, `must be ${opts.what ?? `a string matching ${opts.pattern}`}, got ${show(v)}`);
  };
}

/** A finite number within [min, max] (an integer when `integer`). */
export function number(opts: { min?: number; max?: number; integer?: boolean } = {}): Shape {
  const what = `${opts.integer ? 'an integer' : 'a finite number'}${opts.min !== undefined ? ` >= ${opts.min}` : ''}${opts.max !== undefined ? ` <= ${opts.max}` : ''}`;
  return (v, field) => {
    const ok = typeof v === 'number' && Number.isFinite(v) && (!opts.integer || Number.isInteger(v)) && (opts.min === undefined || v >= opts.min) && (opts.max === undefined || v <= opts.max);
    if (!ok) throw new ShapeError(field, `must be ${what}, got ${show(v)}`);
  };
}

/** An integer >= 0. */
export const count: Shape = number({ integer: true, min: 0 });

/** true or false. */
export const boolean: Shape = (v, field) => {
  if (typeof v !== 'boolean') throw new ShapeError(field, `must be true or false, got ${show(v)}`);
};

/** Exactly one of the given values. */
export function oneOf(...values: readonly (string | number | boolean | null)[]): Shape {
  return (v, field) => {
    if (!values.includes(v as string)) throw new ShapeError(field, `must be ${values.map((x) => JSON.stringify(x)).join(' or ')}, got ${show(v)}`);
  };
}

/** null, or the shape. */
export function nullable(shape: Shape): Shape {
  return (v, field) => {
    if (v !== null) shape(v, field);
  };
}

/** The first shape that fits (the error is the last one's). */
export function either(...shapes: Shape[]): Shape {
  return (v, field) => {
    let last: unknown;
    for (const s of shapes) {
      try {
        s(v, field);
        return;
      } catch (err) {
        last = err;
      }
    }
    throw last;
  };
}

/** An array whose items have the shape (`length`: exactly that many). */
export function array(item: Shape, opts: { length?: number } = {}): Shape {
  return (v, field) => {
    if (!Array.isArray(v)) throw new ShapeError(field, `must be a list, got ${show(v)}`);
    if (opts.length !== undefined && v.length !== opts.length) throw new ShapeError(field, `must have ${opts.length} items, got ${v.length}`);
    v.forEach((x, i) => item(x, child(field, i)));
  };
}

/** An object whose every value has the shape (keys: any string, or matching `keys`). */
export function record(value: Shape, opts: { keys?: RegExp; what?: string } = {}): Shape {
  return (v, field) => {
    if (!isRecord(v)) throw new ShapeError(field, `must be an object, got ${show(v)}`);
    for (const [k, x] of Object.entries(v)) {
      if (opts.keys && !opts.keys.test(k)) throw new ShapeError(child(field, k), `is not ${opts.what ?? `a key matching ${opts.keys}`}`);
      value(x, child(field, k));
    }
  };
}

const OPTIONAL = Symbol('optional');
type OptionalShape = Shape & { [OPTIONAL]: true };

/** A field that may be absent (when present it has the shape). */
export function optional(shape: Shape): Shape {
  const s = ((v: unknown, field: string) => {
    if (v !== undefined) shape(v, field);
  }) as OptionalShape;
  s[OPTIONAL] = true;
  return s;
}

/** An object with these fields (others are allowed and not checked). */
export function object(fields: Record<string, Shape>): Shape {
  return (v, field) => {
    if (!isRecord(v)) throw new ShapeError(field, `must be an object, got ${show(v)}`);
    for (const [k, shape] of Object.entries(fields)) {
      if (!(k in v) && !(shape as Partial<OptionalShape>)[OPTIONAL]) throw new ShapeError(child(field, k), 'is missing');
      shape(v[k], child(field, k));
    }
  };
}

/** A plain name that is safe as a file name: letters, digits, '.', '_', '-', '#', not starting with '.'. */
export const PLAIN_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._#-]{0,127}$/;

/** A plain name (see PLAIN_NAME). */
export const plainName: Shape = string({ pattern: PLAIN_NAME, what: "a plain name (letters, digits, '.', '_', '-', '#'; no '/' or leading '.')" });

/** Check a parsed value against a shape; a mismatch is a DataError naming `source` (a file) and the field. */
export function checkShape<T>(value: unknown, shape: Shape, source: string): T {
  try {
    shape(value, '');
  } catch (err) {
    if (err instanceof ShapeError) throw new DataError(`${source}: ${err.message}`);
    throw err;
  }
  return value as T;
}

/** Read a JSON file and check its shape (missing file, bad JSON or shape: one-line DataError naming the file). */
export function readJsonShape<T>(file: string, shape: Shape): T {
  return checkShape<T>(readJson<unknown>(file), shape, file);
}

/** JSON with object keys sorted at every level (a canonical text for hashing). */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (!isRecord(v)) return v;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sort(v[k]);
    return out;
  };
  return JSON.stringify(sort(value));
}

/**
 * The seal of a JSON document: the SHA-256 of its canonical text without its own `field`. A manifest that
 * carries its seal is tamper-evident as a whole: any edited field (an offset, a clip id) breaks it.
 */
export function sealOf(doc: Record<string, unknown>, field: string): string {
  const rest = Object.fromEntries(Object.entries(doc).filter(([k]) => k !== field));
  return crypto.createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** A copy of `doc` with its seal in `field` (the last key). */
export function sealed<T extends object>(doc: T, field: string): T {
  const rest = Object.fromEntries(Object.entries(doc).filter(([k]) => k !== field));
  return { ...rest, [field]: sealOf(rest, field) } as T;
}

/** Check a document's seal; a missing or wrong one is a DataError naming the file. */
export function checkSeal(doc: Record<string, unknown>, field: string, file: string): void {
  const have = doc[field];
  if (typeof have !== 'string') throw new DataError(`${file}: field '${field}' is missing: the file is not sealed, so it cannot be verified`);
  if (have !== sealOf(doc, field)) throw new DataError(`${file} is altered: its content does not match its SHA-256 ('${field}')`);
}
