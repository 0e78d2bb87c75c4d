/** Jupyter notebooks (nbformat 4): types, strict reading with one-line errors, conversion of kernel messages to outputs, atomic writing. */
import * as fs from 'node:fs';
import { writeFileAtomic } from '../core/files';
import { DataError, UsageError } from '../core/errors';
import type { JupyterMessage } from './protocol';

/** Text as nbformat stores it: one string or a list of lines (each keeping its newline). */
export type MultilineString = string | string[];

/** Data by MIME type (`text/plain`, `image/png` as base64, `text/html`, JSON types as objects). */
export type MimeBundle = Record<string, unknown>;

/** Text a cell wrote to stdout or stderr. */
export interface StreamOutput {
  output_type: 'stream';
  name: 'stdout' | 'stderr';
  text: MultilineString;
}
/** Rich output shown by the cell (images, HTML, Markdown, ...). */
export interface DisplayDataOutput {
  output_type: 'display_data';
  data: MimeBundle;
  metadata: Record<string, unknown>;
}
/** The value of the cell's last expression (kernels that send it; tslab prints it to stdout instead). */
export interface ExecuteResultOutput {
  output_type: 'execute_result';
  execution_count: number | null;
  data: MimeBundle;
  metadata: Record<string, unknown>;
}
/** An error the kernel reported as such (tslab writes errors to stderr instead). */
export interface ErrorOutput {
  output_type: 'error';
  ename: string;
  evalue: string;
  traceback: string[];
}
/** One output of a code cell. */
export type CellOutput = StreamOutput | DisplayDataOutput | ExecuteResultOutput | ErrorOutput;

/** A code cell with its outputs. */
export interface CodeCell {
  cell_type: 'code';
  id?: string;
  source: MultilineString;
  metadata: Record<string, unknown>;
  outputs: CellOutput[];
  execution_count: number | null;
}
/** A Markdown or raw cell. */
export interface TextCell {
  cell_type: 'markdown' | 'raw';
  id?: string;
  source: MultilineString;
  metadata: Record<string, unknown>;
  attachments?: Record<string, MimeBundle>;
}
/** Any cell. */
export type Cell = CodeCell | TextCell;

/** The kernel a notebook declares in its metadata. */
export interface KernelSpecRef {
  name: string;
  display_name: string;
  language?: string;
}

/** A notebook in nbformat 4. */
export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: { kernelspec?: KernelSpecRef; language_info?: Record<string, unknown>; [key: string]: unknown };
  cells: Cell[];
}

/** A multiline string as one string. */
export function joinText(t: MultilineString): string {
  return Array.isArray(t) ? t.join('') : t;
}

/** A string as nbformat's list of lines, each keeping its newline. */
export function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === '' ? [] : lines;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isText(v: unknown): v is MultilineString {
  return typeof v === 'string' || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
}

/** Check the shape of a parsed notebook; the error names the file and the first problem. */
export function validateNotebook(value: unknown, file: string): Notebook {
  const bad = (what: string): never => {
    throw new DataError(`not a Jupyter notebook (nbformat 4): ${file}: ${what}`);
  };
  if (!isRecord(value)) return bad('the top level is not an object');
  if (value.nbformat !== 4) return bad(`nbformat is ${JSON.stringify(value.nbformat)}, expected 4`);
  if (!isRecord(value.metadata)) return bad('metadata is missing');
  if (!Array.isArray(value.cells)) return bad('cells is not a list');
  value.cells.forEach((c: unknown, i: number) => {
    if (!isRecord(c)) return bad(`cell ${i + 1} is not an object`);
    if (c.cell_type !== 'code' && c.cell_type !== 'markdown' && c.cell_type !== 'raw') return bad(`cell ${i + 1} has cell_type ${JSON.stringify(c.cell_type)}`);
    if (!isText(c.source)) return bad(`cell ${i + 1} has no source text`);
    if (c.metadata === undefined) c.metadata = {};
    if (c.cell_type === 'code') {
      if (!Array.isArray(c.outputs)) c.outputs = [];
      if (c.execution_count === undefined) c.execution_count = null;
    }
    return undefined;
  });
  if (typeof value.nbformat_minor !== 'number') value.nbformat_minor = 4;
  return value as unknown as Notebook;
}

/** Read a notebook: a missing file is a UsageError, bad JSON or shape a DataError (both one line, exit 2). */
export function readNotebook(file: string): Notebook {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'EISDIR' ? `not a notebook file: ${file} is a folder` : `notebook not found: ${file}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DataError(`notebook is not valid JSON: ${file} (${(err as Error).message.replace(/\s+/g, ' ')})`);
  }
  return validateNotebook(value, file);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isRecord(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
  return out;
}

/** Notebook JSON as Jupyter writes it (sorted keys, one-space indent, trailing newline), so saving in Jupyter gives no diff. */
export function serializeNotebook(nb: Notebook): string {
  return `${JSON.stringify(sortKeys(nb), null, 1)}\n`;
}

/** Write a notebook atomically. */
export function writeNotebook(file: string, nb: Notebook): void {
  writeFileAtomic(file, serializeNotebook(nb));
}

/** A copy without outputs or execution counts (how notebooks are stored in the repository). */
export function stripOutputs(nb: Notebook): Notebook {
  const copy = JSON.parse(JSON.stringify(nb)) as Notebook;
  for (const c of copy.cells) {
    if (c.cell_type === 'code') {
      c.outputs = [];
      c.execution_count = null;
    }
  }
  return copy;
}

/** Whether nbformat stores a MIME type's string as a list of lines (text/*, SVG, JavaScript; not base64 or JSON). */
function splitsLines(mime: string): boolean {
  return mime.startsWith('text/') || mime === 'image/svg+xml' || mime === 'application/javascript';
}

function mimeBundle(v: unknown): MimeBundle {
  if (!isRecord(v)) return {};
  const out: MimeBundle = {};
  for (const [k, x] of Object.entries(v)) out[k] = typeof x === 'string' && splitsLines(k) ? splitLines(x) : x;
  return out;
}

/**
 * Collects a cell's outputs from iopub messages the way Jupyter's client does: consecutive stream messages of
 * the same name are merged, `clear_output` (with `wait`) is honoured, and `update_display_data` replaces the
 * outputs carrying the same display id.
 */
export class OutputCollector {
  readonly outputs: CellOutput[] = [];
  private readonly displayIds = new Map<string, DisplayDataOutput[]>();
  private clearPending = false;

  /** Text the cell wrote to stderr (for error reports). */
  stderr = '';

  /** Feed one iopub message. */
  add(msg: JupyterMessage): void {
    const c = msg.content;
    const type = msg.header.msg_type;
    if (type === 'clear_output') {
      if (c.wait === true) this.clearPending = true;
      else this.clear();
      return;
    }
    if (type === 'update_display_data') {
      const id = isRecord(c.transient) ? c.transient.display_id : undefined;
      for (const o of typeof id === 'string' ? this.displayIds.get(id) ?? [] : []) {
        o.data = mimeBundle(c.data);
        o.metadata = isRecord(c.metadata) ? c.metadata : {};
      }
      return;
    }
    if (!['stream', 'display_data', 'execute_result', 'error'].includes(type)) return;
    if (this.clearPending) this.clear();
    if (type === 'stream') {
      const name = c.name === 'stderr' ? 'stderr' : 'stdout';
      const text = typeof c.text === 'string' ? c.text : '';
      if (name === 'stderr') this.stderr += text;
      const last = this.outputs[this.outputs.length - 1];
      if (last && last.output_type === 'stream' && last.name === name) {
        last.text = splitLines(joinText(last.text) + text);
      } else {
        this.outputs.push({ output_type: 'stream', name, text: splitLines(text) });
      }
    } else if (type === 'display_data') {
      const out: DisplayDataOutput = { output_type: 'display_data', data: mimeBundle(c.data), metadata: isRecord(c.metadata) ? c.metadata : {} };
      this.outputs.push(out);
      const id = isRecord(c.transient) ? c.transient.display_id : undefined;
      if (typeof id === 'string') this.displayIds.set(id, [...(this.displayIds.get(id) ?? []), out]);
    } else if (type === 'execute_result') {
      this.outputs.push({
        output_type: 'execute_result',
        execution_count: typeof c.execution_count === 'number' ? c.execution_count : null,
        data: mimeBundle(c.data),
        metadata: isRecord(c.metadata) ? c.metadata : {},
      });
    } else {
      this.outputs.push({
        output_type: 'error',
        ename: String(c.ename ?? 'Error'),
        evalue: String(c.evalue ?? ''),
        traceback: Array.isArray(c.traceback) ? c.traceback.map(String) : [],
      });
    }
  }

  private clear(): void {
    this.outputs.length = 0;
    this.displayIds.clear();
    this.clearPending = false;
  }
}
