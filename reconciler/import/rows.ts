import { createHash } from 'node:crypto';
import type { ContentSpec, MonitoringJobSpec } from '../../core/catalog/types.js';

/**
 * Spreadsheet rows to catalog specs, with no I/O: header names are matched loosely (an operator's
 * "Release Date" or "release_date"), values strictly, and every problem is kept with its row and
 * column so that one run reports them all.
 */

/** One cell as read from CSV (always text) or XLSX (text, number, boolean, date, or an Excel error). */
export type Cell = string | number | boolean | Date | { error: string } | null;

/** A row as the operator sees it: `rowNumber` counts from 1, the header included. */
export interface SheetRow {
  rowNumber: number;
  cells: Cell[];
}

export type Field =
  | 'type' | 'title' | 'season' | 'episodes' | 'releaseDate' | 'tier' | 'detection' | 'takedown'
  | 'aliases' | 'id' | 'watermarked';

/** The name each field goes by in messages and docs. */
export const FIELD_NAMES: Record<Field, string> = {
  type: 'type',
  title: 'title',
  season: 'season',
  episodes: 'episodes',
  releaseDate: 'release date',
  tier: 'monitoring type',
  detection: 'detection type',
  takedown: 'takedown type',
  aliases: 'aliases',
  id: 'id',
  watermarked: 'watermarked',
};

/** Header spellings per field, compared after lower-casing and dropping everything but letters and digits. */
const HEADER_VARIANTS: Record<Field, string[]> = {
  type: ['type', 'contenttype', 'kind'],
  title: ['title', 'name', 'contenttitle'],
  season: ['season', 'seasonnumber', 'seasonno'],
  episodes: ['episodes', 'episodecount', 'numberofepisodes', 'eps'],
  releaseDate: ['releasedate', 'release', 'releasedon', 'date'],
  tier: ['monitoringtype', 'monitoring', 'monitoringtier', 'tier'],
  detection: ['detectiontype', 'detection'],
  takedown: ['takedowntype', 'takedown'],
  aliases: ['aliases', 'alias', 'aka', 'alternativetitles', 'alternatetitles'],
  id: ['id', 'contentid'],
  watermarked: ['watermarked', 'watermark', 'watermarking'],
};

export const REQUIRED_FIELDS: readonly Field[] = ['type', 'title', 'releaseDate', 'tier', 'detection', 'takedown'];

const BY_HEADER = new Map<string, Field>(
  (Object.entries(HEADER_VARIANTS) as [Field, string[]][]).flatMap(([field, names]) => names.map((n) => [n, field] as const)),
);

export function normalizeHeader(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/[^a-z0-9]/g, '');
}

/** A problem with one row (or the header), located for the operator. */
export interface RowError {
  row: number;
  /** The column as the operator named it, or the field's own name when the column is missing. */
  column?: string | undefined;
  message: string;
  /** True when the row is fine by itself but its id is already in the target catalog. */
  conflict?: boolean;
}

export interface ColumnMap {
  /** 0-based index of each field's column. */
  index: Partial<Record<Field, number>>;
  /** Header text of each field's column, as written. */
  label: Partial<Record<Field, string>>;
  /** Headers that name nothing Vigil imports; their cells are ignored. */
  ignored: string[];
}

function cellText(cell: Cell | undefined): string {
  if (cell === null || cell === undefined) return '';
  if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? '' : cell.toISOString();
  if (typeof cell === 'object') return cell.error;
  return String(cell).trim();
}

export function isBlankRow(row: SheetRow): boolean {
  return row.cells.every((c) => cellText(c) === '');
}

/** Matches header cells to fields; a missing required column or a field named twice is an error on the header row. */
export function mapHeader(header: SheetRow): { columns: ColumnMap; errors: RowError[] } {
  const columns: ColumnMap = { index: {}, label: {}, ignored: [] };
  const errors: RowError[] = [];
  header.cells.forEach((cell, i) => {
    const text = cellText(cell);
    if (text === '') return;
    const field = BY_HEADER.get(normalizeHeader(text));
    if (!field) {
      columns.ignored.push(text);
      return;
    }
    const first = columns.label[field];
    if (first !== undefined) {
      errors.push({ row: header.rowNumber, column: text, message: `names the same thing as column "${first}" (${FIELD_NAMES[field]}): keep one of them` });
      return;
    }
    columns.index[field] = i;
    columns.label[field] = text;
  });
  for (const field of REQUIRED_FIELDS) {
    if (columns.index[field] === undefined) {
      errors.push({ row: header.rowNumber, column: FIELD_NAMES[field], message: `is missing from the header row: add a column named "${FIELD_NAMES[field]}"` });
    }
  }
  return { columns, errors };
}

/** What one good row becomes. */
export interface ImportEntry {
  row: number;
  id: string;
  jobId: string;
  content: ContentSpec;
  job: MonitoringJobSpec;
  /** A display name for metadata.name. */
  name: string;
}

/** Columns that hold whole numbers; a sign there (+3, -1) is a number's, not a formula's. */
const NUMBER_FIELDS: ReadonlySet<Field> = new Set(['season', 'episodes']);
const SIGNED_INTEGER = /^\s*[+-]?\d+\s*$/;

const ID_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const JOB_SUFFIX = '-watch';
/** Longest content id that still leaves room for the job suffix within 63 characters. */
const MAX_CONTENT_ID = 63 - JOB_SUFFIX.length;
const MAX_TEXT = 300;
const MAX_ALIASES = 100;

const TYPES: Record<string, ContentSpec['type']> = {
  film: 'film', movie: 'film', feature: 'film',
  season: 'season', series: 'season', tv: 'season', tvseries: 'season', tvshow: 'season', show: 'season',
};
const TIERS = ['standard', 'premium'] as const;
const MODES = ['manual', 'automatic'] as const;
const BOOLEANS: Record<string, boolean> = { yes: true, y: true, true: true, no: false, n: false, false: false };

/** Letters that Unicode decomposition leaves alone but that have a plain ASCII spelling. */
const TRANSLITERATE: Record<string, string> = {
  ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd', ð: 'd', þ: 'th', ı: 'i', ħ: 'h', '&': ' and ',
};

/**
 * A content id from a title: ASCII slug, cut to leave room for the job suffix and `-sNN`. Titles
 * with letters but none in the Latin alphabet (진격의 거인) get a stable hash of the title instead.
 */
export function contentIdFor(title: string, season?: number): string {
  const suffix = season === undefined ? '' : `-s${String(season).padStart(2, '0')}`;
  const folded = title.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase()
    .replace(/[^\x00-\x7f]/g, (c) => TRANSLITERATE[c] ?? ' ').replace(/&/g, ' and ');
  let slug = folded.replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '');
  const hasLetters = /\p{L}/u.test(title);
  if (slug === '' || (hasLetters && !/[a-z]/.test(slug))) {
    slug = `title-${createHash('sha256').update(title.normalize('NFC')).digest('hex').slice(0, 10)}`;
  }
  slug = slug.slice(0, MAX_CONTENT_ID - suffix.length).replace(/-+$/, '');
  return `${slug}${suffix}`;
}

/** A yyyy-MM-dd string if `text` is one and names a day that exists. */
export function realDate(text: string): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 1 || date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return text;
}

function quote(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

/**
 * The sign a cell starts with (after any spaces, tabs or line breaks) when a spreadsheet would run it
 * as a formula: titles flow into notices, reports and CSV exports that people open in Excel again.
 */
export function formulaLead(value: string): string | undefined {
  return /^\s*([=+\-@])/.exec(value)?.[1];
}

const FORMULA_FIX = 'remove it (a title that really begins with it can be written into the catalog YAML by hand)';

/** Parses one data row; the specs, or every problem it has. Warnings say what was neutralised. */
export function parseRow(row: SheetRow, columns: ColumnMap): { entry: ImportEntry; warnings: RowError[] } | { errors: RowError[] } {
  const errors: RowError[] = [];
  const warnings: RowError[] = [];
  const label = (field: Field): string => columns.label[field] ?? FIELD_NAMES[field];
  const fail = (field: Field, message: string): undefined => {
    errors.push({ row: row.rowNumber, column: label(field), message });
    return undefined;
  };
  const raw = (field: Field): Cell | undefined => {
    const i = columns.index[field];
    return i === undefined ? undefined : row.cells[i];
  };
  const text = (field: Field): string => cellText(raw(field));
  const excelError = (field: Field): boolean => {
    const cell = raw(field);
    if (cell !== null && typeof cell === 'object' && !(cell instanceof Date)) {
      fail(field, `holds the Excel error ${cell.error}: fix the formula or type the value`);
      return true;
    }
    // A signed whole number in a number column is plainly a number, not a formula: integer() reads it.
    const lead = typeof cell === 'string' ? formulaLead(cell) : undefined;
    if (lead && !(NUMBER_FIELDS.has(field) && SIGNED_INTEGER.test(cell as string))) {
      fail(field, `${quote(cellText(cell))} starts with "${lead}", which a spreadsheet runs as a formula: ${FORMULA_FIX}`);
      return true;
    }
    return false;
  };
  const plainText = (field: Field, value: string): string | undefined => {
    const lead = formulaLead(value);
    if (lead) return fail(field, `${quote(value)} starts with "${lead}", which a spreadsheet runs as a formula: ${FORMULA_FIX}`);
    if (value.length > MAX_TEXT) return fail(field, `is ${value.length} characters long; at most ${MAX_TEXT} are allowed`);
    if (/[\u0000-\u001f\u007f]/.test(value)) return fail(field, `${quote(value)} holds a line break or control character: keep it on one line`);
    return value;
  };
  const choice = <T extends string>(field: Field, allowed: readonly T[]): T | undefined => {
    if (excelError(field)) return undefined;
    const value = text(field);
    if (value === '') return fail(field, `is empty: write ${allowed.join(' or ')}`);
    const found = allowed.find((a) => a === value.toLowerCase());
    return found ?? fail(field, `${quote(value)} is not one of ${allowed.join(', ')}`);
  };
  const integer = (field: Field, max: number, needed: boolean): number | undefined => {
    if (excelError(field)) return undefined;
    const cell = raw(field);
    const value = text(field);
    if (value === '') {
      if (!needed) return undefined;
      if (columns.index[field] === undefined) return fail(field, `is needed for a season: add a column named "${FIELD_NAMES[field]}"`);
      return fail(field, 'is empty: a season needs a whole number here');
    }
    const n = typeof cell === 'number' ? cell : SIGNED_INTEGER.test(value) ? Number(value) : Number.NaN;
    if (!Number.isInteger(n)) return fail(field, `${quote(value)} is not a whole number`);
    if (value.startsWith('+') && n >= 1 && n <= max) {
      warnings.push({ row: row.rowNumber, column: label(field), message: `${quote(value)} was read as ${n}: the leading "+" (which a spreadsheet would run as a formula) was dropped` });
    }
    if (n < 1 || n > max) return fail(field, `${quote(value)} is out of range: write a whole number from 1 to ${max}`);
    return n;
  };

  // type
  let type: ContentSpec['type'] | undefined;
  if (!excelError('type')) {
    const value = text('type');
    if (value === '') fail('type', 'is empty: write film or season');
    else {
      type = TYPES[normalizeHeader(value)];
      if (!type) fail('type', `${quote(value)} is not a known type: write film (or movie) or season (or series, TV)`);
    }
  }

  // title
  let title: string | undefined;
  if (!excelError('title')) {
    const value = text('title');
    if (value === '') fail('title', 'is empty: every row needs a title');
    else title = plainText('title', value);
  }

  // season and episodes: needed for a season, meaningless for a film
  let season: number | undefined;
  let episodes: number | undefined;
  if (type === 'season') {
    season = integer('season', 999, true);
    episodes = integer('episodes', 10_000, true);
  } else if (type === 'film') {
    if (text('season') !== '') fail('season', `${quote(text('season'))} is set for a film: leave it empty, or set type to season`);
    episodes = integer('episodes', 10_000, false);
  }

  // release date: yyyy-MM-dd text or a real Excel date cell, nothing else
  let releaseDate: string | undefined;
  if (!excelError('releaseDate')) {
    const cell = raw('releaseDate');
    const value = text('releaseDate');
    if (cell instanceof Date) {
      if (Number.isNaN(cell.getTime())) fail('releaseDate', 'holds a date Excel cannot represent: write yyyy-MM-dd');
      else if (cell.getUTCHours() !== 0 || cell.getUTCMinutes() !== 0 || cell.getUTCSeconds() !== 0) {
        fail('releaseDate', `${quote(value)} has a time of day: give a date only (yyyy-MM-dd)`);
      } else releaseDate = cell.toISOString().slice(0, 10);
    } else if (value === '') fail('releaseDate', 'is empty: write the release date as yyyy-MM-dd');
    else if (typeof cell === 'number') fail('releaseDate', `${quote(value)} is a number, not a date: format the cell as a date or write yyyy-MM-dd`);
    else if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) fail('releaseDate', `${quote(value)} is not a date in the form yyyy-MM-dd (e.g. 2026-03-01)`);
    else {
      releaseDate = realDate(value);
      if (!releaseDate) fail('releaseDate', `${quote(value)} is not a real date (write yyyy-MM-dd)`);
    }
  }

  const tier = choice('tier', TIERS);
  const detection = choice('detection', MODES);
  const takedown = choice('takedown', MODES);

  // aliases: ';'-separated, blanks dropped, repeats folded
  let aliases: string[] | undefined;
  if (!excelError('aliases') && text('aliases') !== '') {
    const list = [...new Set(text('aliases').split(';').map((a) => a.trim()).filter((a) => a !== ''))];
    if (list.length > MAX_ALIASES) fail('aliases', `lists ${list.length} aliases; at most ${MAX_ALIASES} are allowed`);
    else if (list.every((a) => plainText('aliases', a) !== undefined) && list.length > 0) aliases = list;
  }

  let watermarked: boolean | undefined;
  if (!excelError('watermarked')) {
    const cell = raw('watermarked');
    const value = text('watermarked');
    if (typeof cell === 'boolean') watermarked = cell;
    else if (value !== '') {
      watermarked = BOOLEANS[value.toLowerCase()];
      if (watermarked === undefined) fail('watermarked', `${quote(value)} is not yes, no, true or false`);
    }
  }

  // id: given, or made from the title
  let id: string | undefined;
  if (!excelError('id')) {
    const given = text('id');
    if (given !== '') {
      if (!ID_PATTERN.test(given)) {
        fail('id', `${quote(given)} is not a valid id: use lower-case letters, digits and '-', starting and ending with a letter or digit`);
      } else if (given.length > MAX_CONTENT_ID) {
        fail('id', `${quote(given)} is ${given.length} characters; at most ${MAX_CONTENT_ID} leave room for its monitoring job "${given}${JOB_SUFFIX}"`);
      } else id = given;
    } else if (title !== undefined && (type === 'film' || season !== undefined)) {
      id = contentIdFor(title, season);
    }
  }

  if (errors.length > 0 || !type || !title || !releaseDate || !tier || !detection || !takedown || !id) {
    return { errors };
  }
  const content: ContentSpec = {
    type,
    title,
    ...(aliases ? { aliases } : {}),
    ...(type === 'season' ? { season, episodes } : episodes !== undefined ? { episodes } : {}),
    releaseDate,
    ...(watermarked !== undefined ? { watermarked } : {}),
  };
  const name = type === 'season' ? `${title}, season ${season}` : `${title} (film)`;
  return {
    entry: {
      row: row.rowNumber, id, jobId: `${id}${JOB_SUFFIX}`, content, name,
      job: { content: id, tier, detection, takedown },
    },
    warnings,
  };
}

/** Ids already taken in the target catalog, per kind. */
export interface TakenIds {
  Content: ReadonlySet<string>;
  MonitoringJob: ReadonlySet<string>;
}

export interface ImportResult {
  entries: ImportEntry[];
  errors: RowError[];
  /** Cells read with a change the operator should know of (a neutralised formula sign). */
  warnings: RowError[];
  /** Header cells that matched no field. */
  ignoredColumns: string[];
  /** Non-blank data rows seen. */
  rows: number;
  /** The row that held the column names. */
  headerRow: number;
}

/**
 * All rows of a sheet (header first) to entries. Beyond each row's own checks: the same title (and
 * season) twice, the same id twice, and ids the target catalog already has.
 */
export function importRows(rows: readonly SheetRow[], taken: TakenIds): ImportResult {
  const nonBlank = rows.filter((r) => !isBlankRow(r));
  const [header, ...data] = nonBlank;
  if (!header) return { entries: [], errors: [{ row: 1, message: 'the sheet is empty: the first row must name the columns (type, title, release date, ...)' }], ignoredColumns: [], rows: 0, headerRow: 1, warnings: [] };
  const { columns, errors } = mapHeader(header);
  if (errors.length > 0) return { entries: [], errors, warnings: [], ignoredColumns: columns.ignored, rows: data.length, headerRow: header.rowNumber };
  if (data.length === 0) {
    return { entries: [], errors: [{ row: header.rowNumber, message: 'the sheet has a header row but no rows to import' }], warnings: [], ignoredColumns: columns.ignored, rows: 0, headerRow: header.rowNumber };
  }

  const entries: ImportEntry[] = [];
  const warnings: RowError[] = [];
  const byTitle = new Map<string, ImportEntry>();
  const byId = new Map<string, ImportEntry>();
  const titleLabel = columns.label.title ?? FIELD_NAMES.title;
  for (const row of data) {
    const parsed = parseRow(row, columns);
    if ('errors' in parsed) {
      errors.push(...parsed.errors);
      continue;
    }
    const entry = parsed.entry;
    warnings.push(...parsed.warnings);
    const idColumn = columns.index.id !== undefined && cellText(row.cells[columns.index.id]) !== '' ? columns.label.id : titleLabel;
    const titleKey = `${entry.content.title.normalize('NFC').toLowerCase()}\u0000${entry.content.season ?? ''}`;
    const sameTitle = byTitle.get(titleKey);
    const sameId = byId.get(entry.id);
    if (sameTitle) {
      const what = entry.content.season === undefined ? quote(entry.content.title) : `${quote(entry.content.title)} season ${entry.content.season}`;
      errors.push({ row: row.rowNumber, column: titleLabel, message: `${what} is already on row ${sameTitle.row}: each title (and season) may appear once` });
    } else if (sameId) {
      const how = idColumn === titleLabel ? `makes the id "${entry.id}"` : `id "${entry.id}"`;
      errors.push({ row: row.rowNumber, column: idColumn, message: `${how}, which row ${sameId.row} (${quote(sameId.content.title)}) already uses: give one of them another id in an "id" column` });
    } else if (taken.Content.has(entry.id) || taken.MonitoringJob.has(entry.jobId)) {
      const which = taken.Content.has(entry.id) ? `Content/${entry.id}` : `MonitoringJob/${entry.jobId}`;
      errors.push({ row: row.rowNumber, column: idColumn, conflict: true, message: `${which} is already in the catalog: remove the row, or give it another id in an "id" column` });
    }
    if (!sameTitle) byTitle.set(titleKey, entry);
    if (!sameId) byId.set(entry.id, entry);
    entries.push(entry);
  }
  return { entries, errors, warnings, ignoredColumns: columns.ignored, rows: data.length, headerRow: header.rowNumber };
}
