import fs from 'node:fs/promises';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import ExcelJS from 'exceljs';
import { VigilError } from '../../core/errors.js';
import type { Cell, SheetRow } from './rows.js';

/**
 * A spreadsheet file (CSV or XLSX) to rows of cells, numbered as the operator sees them. Everything
 * here distrusts its input: sizes are capped before parsing, and every failure becomes an
 * IMPORT_INVALID error that names the file (and row where one is known) instead of a stack trace.
 */

/** Limits that keep a hostile or mistaken file from exhausting memory or time. */
export const SHEET_LIMITS = {
  maxFileBytes: 20 * 1024 * 1024,
  /** Spreadsheet rows after the header. */
  maxRows: 50_000,
  /** Bytes one CSV record may hold. */
  maxRecordBytes: 64 * 1024,
  /** Total uncompressed size of an XLSX archive (zip bombs). */
  maxUnzippedBytes: 200 * 1024 * 1024,
  maxZipEntries: 10_000,
  /** Columns read from each XLSX row; cells further right are ignored. */
  maxColumns: 256,
};

export interface Sheet {
  rows: SheetRow[];
  /** Things the operator should know that are not errors (which worksheet was read). */
  notes: string[];
}

export type SheetFormat = 'csv' | 'xlsx';

const FILE_FIX = 'Save the spreadsheet as .xlsx (Excel Workbook) or as CSV UTF-8, then import again; nothing was written.';

function sheetError(message: string, fix = FILE_FIX): VigilError {
  return new VigilError('IMPORT_INVALID', message, { fix });
}

export function formatOfFile(file: string): SheetFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.xlsx') return 'xlsx';
  if (ext === '.xls') throw sheetError(`${file}: .xls is the old Excel format, which vigil import does not read`);
  throw new VigilError('USAGE', `vigil import: ${file} is neither .csv nor .xlsx`, { fix: 'Give a .csv (UTF-8) or .xlsx file.' });
}

/** Reads FILE (`display` is how messages name it), capped at SHEET_LIMITS.maxFileBytes. */
export async function readSheet(file: string, display: string = file): Promise<Sheet> {
  const format = formatOfFile(display);
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat) throw sheetError(`${display}: no such file`, 'Check the path of the spreadsheet to import.');
  if (!stat.isFile()) throw sheetError(`${display}: not a file`, 'Give the path of a .csv or .xlsx file.');
  if (stat.size > SHEET_LIMITS.maxFileBytes) throw tooBig(display, stat.size);
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    throw sheetError(`${display}: cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'Check that the file is readable.');
  }
  return format === 'csv' ? { rows: readCsv(bytes, display), notes: [] } : readXlsx(bytes, display);
}

function tooBig(display: string, size: number): VigilError {
  const mib = (size / 1024 / 1024).toFixed(1);
  return sheetError(
    `${display}: file is ${mib} MiB; vigil import reads at most ${SHEET_LIMITS.maxFileBytes / 1024 / 1024} MiB`,
    `Split the spreadsheet into files of at most ${SHEET_LIMITS.maxRows.toLocaleString('en-US')} rows and import each; nothing was written.`,
  );
}

function tooManyRows(display: string, rows: number): VigilError {
  return sheetError(
    `${display}: ${rows.toLocaleString('en-US')} rows after the header; vigil import takes at most ${SHEET_LIMITS.maxRows.toLocaleString('en-US')}`,
    `Split the spreadsheet into files of at most ${SHEET_LIMITS.maxRows.toLocaleString('en-US')} rows and import each; nothing was written.`,
  );
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0]);

function decodeCsv(bytes: Buffer, display: string): string {
  if (bytes.subarray(0, 4).equals(ZIP_MAGIC)) throw sheetError(`${display}: this is an Excel workbook (a zip archive), not CSV text: name it .xlsx`);
  if (bytes.subarray(0, 4).equals(OLE_MAGIC)) throw sheetError(`${display}: this is an old-format Excel (.xls) file, not CSV text`);
  let text: string;
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xfe) text = new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2));
    else if (bytes[0] === 0xfe && bytes[1] === 0xff) text = new TextDecoder('utf-16be', { fatal: true }).decode(bytes.subarray(2));
    else if (bytes.includes(0)) text = '\u0000'; // binary: said below, before any decoding complaint
    else text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw sheetError(`${display}: not UTF-8 text (binary data, or a legacy encoding such as Windows-1252)`);
  }
  if (text.includes('\u0000')) throw sheetError(`${display}: holds binary data (a NUL byte), not CSV text`);
  return text;
}

/** The delimiter the header line uses: ',' unless it clearly uses ';' (European Excel) or a tab. */
function sniffDelimiter(text: string): string {
  const firstLine = text.slice(0, Math.min(text.length, 4096)).split(/\r?\n/, 1)[0] ?? '';
  const count = (c: string): number => firstLine.split(c).length - 1;
  const candidates = [',', ';', '\t'].map((c) => [c, count(c)] as const).sort((a, b) => b[1] - a[1]);
  const best = candidates[0];
  return best && best[1] > 0 ? best[0] : ',';
}

interface CsvFailure extends Error {
  code?: string;
  lines?: number;
  records?: number;
}

const CSV_PROBLEMS: Record<string, string> = {
  CSV_QUOTE_NOT_CLOSED: 'a quoted cell is never closed: add the missing closing quote (")',
  INVALID_OPENING_QUOTE: 'a quote (") appears inside a cell that does not start with one: wrap the whole cell in quotes and double the inner ones ("")',
  CSV_INVALID_CLOSING_QUOTE: 'text follows a closing quote: wrap the whole cell in quotes and double any quote inside it ("")',
  CSV_MAX_RECORD_SIZE: `the row is longer than ${SHEET_LIMITS.maxRecordBytes / 1024} KiB`,
};

/** CSV text to rows; record N is spreadsheet row N, whatever line breaks quoted cells hold. */
export function readCsv(bytes: Buffer, display: string): SheetRow[] {
  const text = decodeCsv(bytes, display);
  let records: string[][];
  try {
    records = parseCsv(text, {
      bom: true,
      delimiter: sniffDelimiter(text),
      relax_column_count: true,
      max_record_size: SHEET_LIMITS.maxRecordBytes,
      // Stop one past the cap: enough to know the file is too long without parsing all of it.
      to: SHEET_LIMITS.maxRows + 2,
    }) as string[][];
  } catch (error) {
    const failure = error as CsvFailure;
    const row = failure.records === undefined ? undefined : failure.records + 1;
    const where = row === undefined ? '' : `:${row}`;
    const line = failure.lines === undefined || failure.lines === row ? '' : ` (line ${failure.lines} of the file)`;
    const problem = (failure.code && CSV_PROBLEMS[failure.code]) ?? `not valid CSV: ${failure.message.split('\n')[0]}`;
    throw sheetError(`${display}${where}: ${problem}${line}`, 'Fix the quoting at the row named above (or re-export the sheet as CSV UTF-8), then import again; nothing was written.');
  }
  if (records.length > SHEET_LIMITS.maxRows + 1) throw tooManyRows(display, records.length - 1);
  return records.map((cells, i) => ({ rowNumber: i + 1, cells }));
}

/**
 * Sums the uncompressed sizes the zip central directory declares, so a small archive that inflates
 * to gigabytes is refused before exceljs inflates it in memory. Returns a problem, or undefined.
 */
export function zipProblem(bytes: Buffer): string | undefined {
  const EOCD = 0x06054b50;
  const CDH = 0x02014b50;
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (bytes.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return 'the zip archive is damaged (no central directory)';
  const entries = bytes.readUInt16LE(eocd + 10);
  const offset = bytes.readUInt32LE(eocd + 16);
  if (entries === 0xffff || offset === 0xffffffff) return 'the archive uses zip64, which no spreadsheet this size needs';
  if (entries > SHEET_LIMITS.maxZipEntries) return `the archive holds ${entries} entries`;
  let total = 0;
  let at = offset;
  for (let n = 0; n < entries; n++) {
    if (at + 46 > bytes.length || bytes.readUInt32LE(at) !== CDH) return 'the zip archive is damaged (bad central directory)';
    const size = bytes.readUInt32LE(at + 24);
    if (size === 0xffffffff) return 'the archive uses zip64, which no spreadsheet this size needs';
    total += size;
    if (total > SHEET_LIMITS.maxUnzippedBytes) {
      return `it unpacks to more than ${SHEET_LIMITS.maxUnzippedBytes / 1024 / 1024} MiB`;
    }
    at += 46 + bytes.readUInt16LE(at + 28) + bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
  }
  return undefined;
}

function textOf(value: { richText: { text: string }[] } | string | undefined): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : value.richText.map((r) => r.text).join('');
}

/** An exceljs cell value to a Cell: formulas give their cached result, rich text and links their text. */
function cellOf(value: ExcelJS.CellValue): Cell {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value instanceof Date) return value;
  if ('error' in value) return { error: String(value.error) };
  if ('richText' in value) return textOf(value);
  if ('hyperlink' in value) return textOf(value.text as unknown as { richText: { text: string }[] } | string);
  if ('formula' in value || 'sharedFormula' in value) {
    const result = (value as ExcelJS.CellFormulaValue).result;
    return result === undefined ? null : cellOf(result);
  }
  return null;
}

export async function readXlsx(bytes: Buffer, display: string): Promise<Sheet> {
  if (bytes.subarray(0, 4).equals(OLE_MAGIC)) {
    throw sheetError(`${display}: this is an old-format Excel (.xls) file or an encrypted workbook; vigil import reads .xlsx`);
  }
  if (!bytes.subarray(0, 4).equals(ZIP_MAGIC)) {
    throw sheetError(`${display}: not an Excel .xlsx workbook (an .xlsx file is a zip archive; this one is not)`);
  }
  const problem = zipProblem(bytes);
  if (problem) throw sheetError(`${display}: refused to open the workbook: ${problem}`);
  const workbook = new ExcelJS.Workbook();
  try {
    await workbook.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch (error) {
    throw sheetError(`${display}: not a readable .xlsx workbook (${String((error as Error)?.message ?? error).split('\n')[0]})`);
  }
  const sheets = workbook.worksheets.filter((s) => s.state !== 'hidden' && s.state !== 'veryHidden');
  const sheet = sheets[0];
  if (!sheet) throw sheetError(`${display}: the workbook has no visible worksheet`);
  const notes = sheets.length > 1 ? [`${display}: the workbook has ${sheets.length} worksheets; imported the first, "${sheet.name}"`] : [];
  if (sheet.rowCount > SHEET_LIMITS.maxRows + 1) throw tooManyRows(display, sheet.rowCount - 1);
  const rows: SheetRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const cells: Cell[] = [];
    row.eachCell({ includeEmpty: false }, (cell, col) => {
      // A stray cell far to the right must not make every row 16,384 cells wide.
      if (col <= SHEET_LIMITS.maxColumns) cells[col - 1] = cellOf(cell.value);
    });
    rows.push({ rowNumber, cells: Array.from(cells, (c) => c ?? null) });
  });
  return { rows, notes };
}
