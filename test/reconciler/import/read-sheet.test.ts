import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVigilError, type VigilError } from '../../../core/errors.js';
import { readCsv, readSheet, SHEET_LIMITS, zipProblem } from '../../../reconciler/import/read-sheet.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-read-sheet-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function failure(promise: Promise<unknown>): Promise<VigilError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  if (!isVigilError(error)) throw new Error(`expected a VigilError, got ${String(error)}`);
  return error;
}

function csvFailure(text: string | Buffer): VigilError {
  try {
    readCsv(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'), 'titles.csv');
  } catch (error) {
    if (isVigilError(error)) return error;
    throw error;
  }
  throw new Error('expected readCsv to fail');
}

describe('CSV', () => {
  it('numbers rows as a spreadsheet shows them, even when a quoted cell spans lines', () => {
    const rows = readCsv(Buffer.from('\ufefftitle,aliases\n"Two\nLines",x\n\n"Say ""Hi""",y\n'), 'titles.csv');
    expect(rows).toEqual([
      { rowNumber: 1, cells: ['title', 'aliases'] },
      { rowNumber: 2, cells: ['Two\nLines', 'x'] },
      { rowNumber: 3, cells: [''] },
      { rowNumber: 4, cells: ['Say "Hi"', 'y'] },
    ]);
  });

  it('reads semicolon-separated CSV from a European Excel and UTF-16 text', () => {
    expect(readCsv(Buffer.from('type;title\nfilm;"A;B"\n'), 'x.csv')[1]?.cells).toEqual(['film', 'A;B']);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('type\ttitle\r\nfilm\t진격\r\n', 'utf16le')]);
    expect(readCsv(utf16, 'x.csv')[1]?.cells).toEqual(['film', '진격']);
  });

  it('names the file and row of a quoting mistake', () => {
    expect(csvFailure('type,title\nfilm,Say "Hi"\n').message).toBe(
      'titles.csv:2: a quote (") appears inside a cell that does not start with one: wrap the whole cell in quotes and double the inner ones ("")',
    );
    expect(csvFailure('type,title\nfilm,ok\nfilm,"never closed\nfilm,x\n').message).toBe(
      'titles.csv:3: a quoted cell is never closed: add the missing closing quote (") (line 4 of the file)',
    );
    expect(csvFailure('type,title\n"film" x,ok\n').message).toMatch(/^titles\.csv:2: text follows a closing quote/);
  });

  it('refuses binary junk, legacy encodings and a workbook named .csv', () => {
    expect(csvFailure(Buffer.from([0x74, 0x00, 0x01, 0x02])).message).toBe('titles.csv: holds binary data (a NUL byte), not CSV text');
    expect(csvFailure(Buffer.from([0x74, 0x69, 0x74, 0xe9, 0x0a])).message).toMatch(/^titles\.csv: not UTF-8 text/);
    expect(csvFailure(Buffer.from('PK\u0003\u0004rest')).message).toMatch(/^titles\.csv: this is an Excel workbook/);
  });

  it('refuses a row longer than the record limit', () => {
    expect(csvFailure(`title\n${'x'.repeat(SHEET_LIMITS.maxRecordBytes + 10)}\n`).message).toMatch(/^titles\.csv:2: the row is longer than 64 KiB/);
  });

  it(`refuses more than ${SHEET_LIMITS.maxRows} rows with a clear error`, () => {
    const text = `title\n${'x\n'.repeat(SHEET_LIMITS.maxRows + 5)}`;
    const error = csvFailure(text);
    expect(error.errorName).toBe('IMPORT_INVALID');
    expect(error.message).toBe('titles.csv: 50,001 rows after the header; vigil import takes at most 50,000');
  });
});

describe('files', () => {
  it('refuses a file over 20 MiB before reading it', async () => {
    const file = path.join(dir, 'huge.csv');
    await fs.writeFile(file, Buffer.alloc(SHEET_LIMITS.maxFileBytes + 1, 0x61));
    const error = await failure(readSheet(file, 'huge.csv'));
    expect(error.message).toBe('huge.csv: file is 20.0 MiB; vigil import reads at most 20 MiB');
  });

  it('names a missing file, an unknown extension and old .xls', async () => {
    expect((await failure(readSheet(path.join(dir, 'nope.csv'), 'nope.csv'))).message).toBe('nope.csv: no such file');
    expect((await failure(readSheet(path.join(dir, 'a.ods'), 'a.ods'))).errorName).toBe('USAGE');
    expect((await failure(readSheet(path.join(dir, 'a.xls'), 'a.xls'))).message).toMatch(/^a\.xls: \.xls is the old Excel format/);
  });

  it('refuses an .xlsx that is not a zip archive', async () => {
    const file = path.join(dir, 'fake.xlsx');
    await fs.writeFile(file, 'type,title\nfilm,A\n');
    const error = await failure(readSheet(file, 'fake.xlsx'));
    expect(error.errorName).toBe('IMPORT_INVALID');
    expect(error.message).toBe('fake.xlsx: not an Excel .xlsx workbook (an .xlsx file is a zip archive; this one is not)');
  });

  it('refuses a damaged zip and a zip that would inflate past the limit', async () => {
    const file = path.join(dir, 'broken.xlsx');
    await fs.writeFile(file, Buffer.concat([Buffer.from('PK\u0003\u0004'), Buffer.alloc(200, 7)]));
    expect((await failure(readSheet(file, 'broken.xlsx'))).message).toBe('broken.xlsx: refused to open the workbook: the zip archive is damaged (no central directory)');

    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('S').addRow(['type']);
    const bytes = Buffer.from(await workbook.xlsx.writeBuffer());
    expect(zipProblem(bytes)).toBeUndefined();
    const entry = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bytes.writeUInt32LE(SHEET_LIMITS.maxUnzippedBytes + 1, entry + 24);
    expect(zipProblem(bytes)).toBe('it unpacks to more than 200 MiB');
  });

  it('reads an XLSX with date, number, formula, rich text and error cells from the first visible sheet', async () => {
    const workbook = new ExcelJS.Workbook();
    workbook.addWorksheet('Hidden').state = 'hidden';
    const sheet = workbook.addWorksheet('Titles');
    workbook.addWorksheet('Notes');
    sheet.addRow(['Type', 'Title', 'Season', 'Release Date']);
    sheet.addRow(['season', { richText: [{ text: 'Moonlit ' }, { text: 'Harbor', font: { bold: true } }] }, 2, new Date(Date.UTC(2027, 3, 2))]);
    sheet.addRow([]);
    sheet.addRow([{ formula: 'A2', result: 'film' }, { error: '#N/A' }, null, '2026-01-01']);
    const file = path.join(dir, 'titles.xlsx');
    await workbook.xlsx.writeFile(file);
    const read = await readSheet(file, 'titles.xlsx');
    expect(read.notes).toEqual(['titles.xlsx: the workbook has 2 worksheets; imported the first, "Titles"']);
    expect(read.rows).toEqual([
      { rowNumber: 1, cells: ['Type', 'Title', 'Season', 'Release Date'] },
      { rowNumber: 2, cells: ['season', 'Moonlit Harbor', 2, new Date(Date.UTC(2027, 3, 2))] },
      { rowNumber: 4, cells: ['film', { error: '#N/A' }, null, '2026-01-01'] },
    ]);
  });
});
