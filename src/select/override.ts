/**
 * Human overrides of the selection: a file of clip ids to include or exclude.
 *
 * Text format: one id per line; `+id` or a bare `id` includes, `-id` excludes; `#` starts a comment; blank
 * lines are skipped. JSON format: an array of ids (all included) or `{ "include": [...], "exclude": [...] }`.
 * Overrides apply after the cap (a person's choice is not re-capped); positives are re-ranked by score, and
 * every id must be a candidate (unknown ids are an error that lists them).
 */
import * as fs from 'node:fs';
import { DataError, UsageError } from '../core/errors';
import { rankIds, Selection } from './selection';

/** Ids a person adds to or removes from the positives. */
export interface SelectionOverride {
  include?: string[];
  exclude?: string[];
}

const ID = /^\S+$/;

function checkIds(where: string, ids: unknown): string[] {
  if (!Array.isArray(ids)) throw new UsageError(`${where} must be an array of ids`);
  ids.forEach((id, i) => {
    if (typeof id !== 'string' || !ID.test(id)) throw new UsageError(`${where}[${i}] must be a non-empty id without spaces, got ${JSON.stringify(id)}`);
  });
  return ids as string[];
}

/** Parse an override file's text (plain ids or JSON; see the module docstring); `source` names it in errors. */
export function parseOverride(text: string, source = 'override'): SelectionOverride {
  if (typeof text !== 'string') throw new UsageError(`${source}: text must be a string`);
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (err) {
      throw new UsageError(`${source}: not valid JSON (${(err as Error).message.replace(/\s+/g, ' ')})`);
    }
    if (Array.isArray(value)) return { include: checkIds(`${source}`, value), exclude: [] };
    const obj = value as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      if (k !== 'include' && k !== 'exclude') throw new UsageError(`${source}: unknown key '${k}' (expected include, exclude)`);
    }
    return {
      include: obj.include === undefined ? [] : checkIds(`${source}.include`, obj.include),
      exclude: obj.exclude === undefined ? [] : checkIds(`${source}.exclude`, obj.exclude),
    };
  }
  const include: string[] = [];
  const exclude: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') return;
    const sign = line[0] === '+' || line[0] === '-' ? line[0] : '';
    const id = line.slice(sign.length).trim();
    if (!ID.test(id)) throw new UsageError(`${source}:${i + 1}: expected one id per line ('id', '+id' or '-id'), got '${raw.trim()}'`);
    (sign === '-' ? exclude : include).push(id);
  });
  return { include, exclude };
}

/** Read and parse an override file; a missing file is a DataError naming it. */
export function readOverrideFile(file: string): SelectionOverride {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new DataError(`missing file: ${file}`);
  }
  return parseOverride(text, file);
}

/** Apply a person's include / exclude ids to a selection; unknown or contradictory ids are an error listing them. */
export function applyOverride(selection: Selection, override: SelectionOverride): Selection {
  if (override === null || typeof override !== 'object') throw new UsageError('override must be { include?, exclude? }');
  const include = checkIds('override.include', override.include ?? []);
  const exclude = checkIds('override.exclude', override.exclude ?? []);
  const known = new Set(selection.candidates);
  const unknown = [...include, ...exclude].filter((id) => !known.has(id));
  if (unknown.length) {
    const shown = [...new Set(unknown)];
    throw new UsageError(
      `override names ${shown.length} unknown id(s): ${shown.slice(0, 10).join(', ')}${shown.length > 10 ? ', ...' : ''} (not among the ${known.size} candidates)`,
    );
  }
  const both = include.filter((id) => exclude.includes(id));
  if (both.length) throw new UsageError(`override both includes and excludes: ${[...new Set(both)].join(', ')}`);
  const chosen = new Set(selection.positives);
  for (const id of exclude) chosen.delete(id);
  for (const id of include) chosen.add(id);
  return {
    ...selection,
    positives: rankIds([...chosen], selection.scores),
    overrides: {
      include: [...selection.overrides.include, ...include],
      exclude: [...selection.overrides.exclude, ...exclude],
    },
  };
}
