/**
 * Tables: an arquero table (or plain rows) as CSV, Markdown and LaTeX (booktabs, for papers), written atomically,
 * with numbers rounded for reading. The kit only reads tables (arquero is ESM: notebooks import it themselves; `src/` passes plain rows).
 */
import * as path from 'node:path';
import { writeFileAtomic } from '../core/files';

/** The part of an arquero 7 table the kit uses (any `aq.table(...)` result fits). */
export interface ArqueroTable {
  columnNames(): string[];
  numRows(): number;
  array(name: string): ArrayLike<unknown>;
}

/** A table: an arquero table or an array of row objects (interfaces included) with the same keys. */
export type TableInput = ArqueroTable | readonly object[];

/** Formatting: `digits` significant digits for non-integer numbers (default 4). */
export interface TableFormat {
  digits?: number;
}

/** Column names and rows of a table input. */
export function tableRows(t: TableInput): { columns: string[]; rows: unknown[][] } {
  if (Array.isArray(t)) {
    const rows = t as readonly object[] as readonly Record<string, unknown>[];
    const columns: string[] = [];
    for (const r of rows) for (const k of Object.keys(r)) if (!columns.includes(k)) columns.push(k);
    return { columns, rows: rows.map((r) => columns.map((c) => r[c])) };
  }
  const table = t as ArqueroTable;
  const columns = table.columnNames();
  const arrays = columns.map((c) => table.array(c));
  const rows: unknown[][] = [];
  for (let i = 0; i < table.numRows(); i++) rows.push(arrays.map((a) => a[i]));
  return { columns, rows };
}

/** One value as text: numbers to `digits` significant digits, nullish as empty. */
export function formatCell(v: unknown, digits = 4): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') {
    if (Number.isInteger(v) || !Number.isFinite(v)) return String(v);
    return String(Number(v.toPrecision(digits)));
  }
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV (RFC 4180; numbers at full precision so the file can be re-read exactly). */
export function tableToCsv(t: TableInput): string {
  const { columns, rows } = tableRows(t);
  const line = (cells: string[]) => cells.map(csvField).join(',');
  return `${[line(columns), ...rows.map((r) => line(r.map((v) => (typeof v === 'number' ? String(v) : formatCell(v)))))].join('\n')}\n`;
}

function mdCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** GitHub Markdown table; numeric columns right-aligned. */
export function tableToMarkdown(t: TableInput, fmt: TableFormat = {}): string {
  const { columns, rows } = tableRows(t);
  const numeric = columns.map((_, j) => rows.length > 0 && rows.every((r) => r[j] === null || r[j] === undefined || typeof r[j] === 'number'));
  const head = `| ${columns.map(mdCell).join(' | ')} |`;
  const rule = `|${numeric.map((n) => (n ? ' ---: ' : ' --- ')).join('|')}|`;
  const body = rows.map((r) => `| ${r.map((v) => mdCell(formatCell(v, fmt.digits))).join(' | ')} |`);
  return `${[head, rule, ...body].join('\n')}\n`;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An HTML table (for notebooks); numeric columns right-aligned. */
export function tableToHtml(t: TableInput, fmt: TableFormat = {}): string {
  const { columns, rows } = tableRows(t);
  const numeric = columns.map((_, j) => rows.length > 0 && rows.every((r) => r[j] === null || r[j] === undefined || typeof r[j] === 'number'));
  const align = (j: number) => (numeric[j] ? ' style="text-align:right"' : '');
  const head = `<tr>${columns.map((c, j) => `<th${align(j)}>${esc(c)}</th>`).join('')}</tr>`;
  const body = rows.map((r) => `<tr>${r.map((v, j) => `<td${align(j)}>${esc(formatCell(v, fmt.digits))}</td>`).join('')}</tr>`).join('\n');
  return `<table class="ipa-kit-table">\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody>\n</table>`;
}

/** Text escaped for LaTeX (the ten special characters). */
export function latexEscape(s: string): string {
  const map: Record<string, string> = {
    '\\': '\\textbackslash{}', '&': '\\&', '%': '\\%', $: '\\$', '#': '\\#', _: '\\_', '{': '\\{', '}': '\\}', '~': '\\textasciitilde{}', '^': '\\textasciicircum{}',
  };
  return s.replace(/[\\&%$#_{}~^]/g, (c) => map[c]);
}

/**
 * A booktabs `tabular` (needs `\usepackage{booktabs}`): numeric columns right-aligned, numbers to `digits`
 * significant digits, every cell escaped; paste it into a `table` environment.
 */
export function tableToLatex(t: TableInput, fmt: TableFormat = {}): string {
  const { columns, rows } = tableRows(t);
  const numeric = columns.map((_, j) => rows.length > 0 && rows.every((r) => r[j] === null || r[j] === undefined || typeof r[j] === 'number'));
  const line = (cells: string[]) => `${cells.join(' & ')} \\\\`;
  return [
    `\\begin{tabular}{${numeric.map((n) => (n ? 'r' : 'l')).join('')}}`,
    '\\toprule',
    line(columns.map(latexEscape)),
    '\\midrule',
    ...rows.map((r) => line(r.map((v) => latexEscape(formatCell(v, fmt.digits))))),
    '\\bottomrule',
    '\\end{tabular}',
    '',
  ].join('\n');
}

/** Write `<dirAndBaseName>.csv`, `.md` and `.tex` atomically; returns the three paths. */
export function writeTable(t: TableInput, dirAndBaseName: string, fmt: TableFormat = {}): { csv: string; md: string; tex: string } {
  const base = path.resolve(dirAndBaseName.replace(/\.(csv|md|tex)$/i, ''));
  const files = { csv: `${base}.csv`, md: `${base}.md`, tex: `${base}.tex` };
  writeFileAtomic(files.csv, tableToCsv(t));
  writeFileAtomic(files.md, tableToMarkdown(t, fmt));
  writeFileAtomic(files.tex, tableToLatex(t, fmt));
  return files;
}
