import { describe, expect, it } from 'vitest';
import { contentIdFor, importRows, mapHeader, normalizeHeader, realDate, type Cell, type SheetRow, type TakenIds } from '../../../reconciler/import/rows.js';

const HEADER = ['type', 'title', 'season', 'episodes', 'release date', 'monitoring type', 'detection type', 'takedown type', 'aliases', 'id', 'watermarked'];
const NONE: TakenIds = { Content: new Set(), MonitoringJob: new Set() };

/** Rows numbered as a spreadsheet shows them: the header is row 1. */
function sheet(...data: Cell[][]): SheetRow[] {
  return [HEADER, ...data].map((cells, i) => ({ rowNumber: i + 1, cells }));
}

function film(title: string, overrides: Partial<Record<string, Cell>> = {}): Cell[] {
  const row: Record<string, Cell> = {
    type: 'film', title, season: '', episodes: '', 'release date': '2026-03-01', 'monitoring type': 'standard',
    'detection type': 'manual', 'takedown type': 'manual', aliases: '', id: '', watermarked: '', ...overrides,
  };
  return HEADER.map((h) => row[h] ?? null);
}

function errorsOf(rows: SheetRow[], taken = NONE): string[] {
  return importRows(rows, taken).errors.map((e) => `${e.row}|${e.column ?? ''}|${e.message}`);
}

describe('header', () => {
  it('matches headers ignoring case, spaces, underscores and common variants', () => {
    expect(normalizeHeader(' Release_Date ')).toBe('releasedate');
    const { columns, errors } = mapHeader({ rowNumber: 1, cells: ['Type', 'Movie Title', 'TITLE', 'release_date', 'Tier', 'Detection', 'Takedown-Type', 'AKA', 'Notes'] });
    expect(errors).toEqual([]);
    expect(columns.index).toMatchObject({ type: 0, title: 2, releaseDate: 3, tier: 4, detection: 5, takedown: 6, aliases: 7 });
    expect(columns.ignored).toEqual(['Movie Title', 'Notes']);
  });

  it('reports missing required columns and a column named twice on row 1', () => {
    const { errors } = mapHeader({ rowNumber: 1, cells: ['type', 'title', 'Release Date', 'release_date'] });
    expect(errors.map((e) => `${e.row}|${e.column}`)).toEqual([
      '1|release_date', '1|monitoring type', '1|detection type', '1|takedown type',
    ]);
  });

  it('reports an empty sheet and a header without rows', () => {
    expect(errorsOf([])).toEqual(['1||the sheet is empty: the first row must name the columns (type, title, release date, ...)']);
    expect(errorsOf(sheet())).toEqual(['1||the sheet has a header row but no rows to import']);
  });
});

describe('rows', () => {
  it('turns a film and a season into Content and MonitoringJob specs', () => {
    const result = importRows(sheet(
      film('Dune: Part Three', { aliases: 'Dune 3; Dune III;;Dune 3', 'monitoring type': 'Premium', 'detection type': 'AUTOMATIC', watermarked: 'yes' }),
      ['TV', 'Moonlit Harbor', 3, '10', new Date(Date.UTC(2027, 3, 2)), 'standard', 'manual', 'automatic', '', '', false],
    ), NONE);
    expect(result.errors).toEqual([]);
    expect(result.entries.map((e) => [e.id, e.jobId, e.content, e.job])).toEqual([
      ['dune-part-three', 'dune-part-three-watch',
        { type: 'film', title: 'Dune: Part Three', aliases: ['Dune 3', 'Dune III'], releaseDate: '2026-03-01', watermarked: true },
        { content: 'dune-part-three', tier: 'premium', detection: 'automatic', takedown: 'manual' }],
      ['moonlit-harbor-s03', 'moonlit-harbor-s03-watch',
        { type: 'season', title: 'Moonlit Harbor', season: 3, episodes: 10, releaseDate: '2027-04-02', watermarked: false },
        { content: 'moonlit-harbor-s03', tier: 'standard', detection: 'manual', takedown: 'automatic' }],
    ]);
  });

  it('reports a non-existent date by row and column', () => {
    expect(errorsOf(sheet(film('A'), film('B', { 'release date': '2026-02-30' })))).toEqual([
      '3|release date|"2026-02-30" is not a real date (write yyyy-MM-dd)',
    ]);
  });

  it('rejects dates not written as yyyy-MM-dd, numbers in a date column and dates with a time', () => {
    expect(errorsOf(sheet(
      film('A', { 'release date': '01/03/2026' }),
      film('B', { 'release date': 46082 }),
      film('C', { 'release date': new Date(Date.UTC(2026, 2, 1, 15, 30)) }),
      film('D', { 'release date': '' }),
    ))).toEqual([
      '2|release date|"01/03/2026" is not a date in the form yyyy-MM-dd (e.g. 2026-03-01)',
      '3|release date|"46082" is a number, not a date: format the cell as a date or write yyyy-MM-dd',
      '4|release date|"2026-03-01T15:30:00.000Z" has a time of day: give a date only (yyyy-MM-dd)',
      '5|release date|is empty: write the release date as yyyy-MM-dd',
    ]);
  });

  it('reports a missing title and an unknown type', () => {
    expect(errorsOf(sheet(film('  '), film('X', { type: 'documentary' })))).toEqual([
      '2|title|is empty: every row needs a title',
      '3|type|"documentary" is not a known type: write film (or movie) or season (or series, TV)',
    ]);
  });

  it('requires a whole season number and episode count for a season', () => {
    expect(errorsOf(sheet(
      film('S', { type: 'season', season: '', episodes: '8' }),
      film('T', { type: 'series', season: '1.5', episodes: 'ten' }),
      film('U', { type: 'season', season: 0, episodes: 2.5 }),
      film('V', { season: '2' }),
    ))).toEqual([
      '2|season|is empty: a season needs a whole number here',
      '3|season|"1.5" is not a whole number',
      '3|episodes|"ten" is not a whole number',
      '4|season|"0" is out of range: write a whole number from 1 to 999',
      '4|episodes|"2.5" is not a whole number',
      '5|season|"2" is set for a film: leave it empty, or set type to season',
    ]);
  });

  it('asks for a season column when a season row has none', () => {
    const rows: SheetRow[] = [
      { rowNumber: 1, cells: ['type', 'title', 'release date', 'monitoring type', 'detection type', 'takedown type'] },
      { rowNumber: 2, cells: ['season', 'S', '2026-01-01', 'standard', 'manual', 'manual'] },
    ];
    expect(errorsOf(rows)).toEqual([
      '2|season|is needed for a season: add a column named "season"',
      '2|episodes|is needed for a season: add a column named "episodes"',
    ]);
  });

  it('reports unknown monitoring, detection and takedown values', () => {
    expect(errorsOf(sheet(film('A', { 'monitoring type': 'gold', 'detection type': 'auto', 'takedown type': '' })))).toEqual([
      '2|monitoring type|"gold" is not one of standard, premium',
      '2|detection type|"auto" is not one of manual, automatic',
      '2|takedown type|is empty: write manual or automatic',
    ]);
  });

  it('reports bad ids, bad watermarked values and Excel error cells', () => {
    expect(errorsOf(sheet(
      film('A', { id: 'Not_An_Id' }),
      film('B', { id: 'x'.repeat(58) }),
      film('C', { watermarked: 'maybe' }),
      film({ error: '#N/A' } as unknown as string),
    ))).toEqual([
      '2|id|"Not_An_Id" is not a valid id: use lower-case letters, digits and \'-\', starting and ending with a letter or digit',
      `3|id|"${'x'.repeat(58)}" is 58 characters; at most 57 leave room for its monitoring job "${'x'.repeat(58)}-watch"`,
      '4|watermarked|"maybe" is not yes, no, true or false',
      '5|title|holds the Excel error #N/A: fix the formula or type the value',
    ]);
  });

  it('reports a title (and season) that appears twice, and two titles that make the same id', () => {
    expect(errorsOf(sheet(
      film('Alien'),
      film('alien'),
      film('ALIEN!'),
      film('Other', { id: 'alien' }),
      film('Show', { type: 'season', season: 1, episodes: 6 }),
      film('Show', { type: 'season', season: 2, episodes: 6 }),
      film('Show', { type: 'season', season: '1', episodes: 6 }),
    ))).toEqual([
      '3|title|"alien" is already on row 2: each title (and season) may appear once',
      '4|title|makes the id "alien", which row 2 ("Alien") already uses: give one of them another id in an "id" column',
      '5|id|id "alien", which row 2 ("Alien") already uses: give one of them another id in an "id" column',
      '8|title|"Show" season 1 is already on row 6: each title (and season) may appear once',
    ]);
  });

  it('reports ids the target catalog already has, marked as conflicts', () => {
    const result = importRows(sheet(film('Iron Orchard'), film('New One'), film('Watched', { id: 'watched' })), {
      Content: new Set(['iron-orchard']), MonitoringJob: new Set(['watched-watch']),
    });
    expect(result.errors).toEqual([
      { row: 2, column: 'title', conflict: true, message: 'Content/iron-orchard is already in the catalog: remove the row, or give it another id in an "id" column' },
      { row: 4, column: 'id', conflict: true, message: 'MonitoringJob/watched-watch is already in the catalog: remove the row, or give it another id in an "id" column' },
    ]);
  });

  it('skips blank rows but keeps the row numbers the operator sees', () => {
    const rows = sheet(film('A'), ['', null, '  '], film('B', { 'release date': '2026-13-01' }));
    expect(importRows(rows, NONE).rows).toBe(2);
    expect(errorsOf(rows)).toEqual(['4|release date|"2026-13-01" is not a real date (write yyyy-MM-dd)']);
  });
});

describe('ids and dates', () => {
  it('slugs Latin titles to ASCII and adds -sNN for seasons', () => {
    expect(contentIdFor('Amélie & the Straße: Part II')).toBe('amelie-and-the-strasse-part-ii');
    expect(contentIdFor('Moonlit Harbor', 2)).toBe('moonlit-harbor-s02');
    expect(contentIdFor('1917')).toBe('1917');
  });

  it('gives non-Latin titles a stable short hash', () => {
    const id = contentIdFor('진격의 거인', 1);
    expect(id).toMatch(/^title-[0-9a-f]{10}-s01$/);
    expect(contentIdFor('진격의 거인', 1)).toBe(id);
    expect(contentIdFor('进击的巨人')).not.toBe(contentIdFor('진격의 거인'));
  });

  it('keeps every id within the pattern and leaves room for the job suffix', () => {
    const id = contentIdFor(`${'Very Long Title '.repeat(10)}`, 12);
    expect(id.length).toBeLessThanOrEqual(57);
    expect(id).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
    expect(id.endsWith('-s12')).toBe(true);
  });

  it('accepts only calendar dates that exist', () => {
    expect(realDate('2028-02-29')).toBe('2028-02-29');
    expect(realDate('2026-02-29')).toBeUndefined();
    expect(realDate('2026-04-31')).toBeUndefined();
    expect(realDate('2026-4-1')).toBeUndefined();
  });
});

describe('formula cells', () => {
  it('refuses text cells that a spreadsheet would run as a formula, also after spaces, a tab or a line break', () => {
    expect(errorsOf(sheet(
      film('=HYPERLINK("http://evil.example","x")'),
      film('+cmd|\' /C calc\'!A0'),
      film('-2+3'),
      film('@SUM(A1)'),
      film(' \t=1+1'),
      film('\r=1+1'),
      film('Fine', { aliases: 'Good; =bad' }),
      film('Also fine', { 'detection type': '=manual' }),
    ))).toEqual([
      `2|title|"=HYPERLINK(\\"http://evil.example\\",\\"x\\")" starts with "=", which a spreadsheet runs as a formula: remove it (a title that really begins with it can be written into the catalog YAML by hand)`,
      `3|title|"+cmd|' /C calc'!A0" starts with "+", which a spreadsheet runs as a formula: remove it (a title that really begins with it can be written into the catalog YAML by hand)`,
      '4|title|"-2+3" starts with "-", which a spreadsheet runs as a formula: remove it (a title that really begins with it can be written into the catalog YAML by hand)',
      '5|title|"@SUM(A1)" starts with "@", which a spreadsheet runs as a formula: remove it (a title that really begins with it can be written into the catalog YAML by hand)',
      '6|title|"=1+1" starts with "=", which a spreadsheet runs as a formula: remove it (a title that really begins with it can be written into the catalog YAML by hand)',
      '7|title|"=1+1" starts with "=", which a spreadsheet runs as a formula: remove it (a title that really begins with it can be written into the catalog YAML by hand)',
      '8|aliases|"=bad" starts with "=", which a spreadsheet runs as a formula: remove it (a title that really begins with it can be written into the catalog YAML by hand)',
      '9|detection type|"=manual" starts with "=", which a spreadsheet runs as a formula: remove it (a title that really begins with it can be written into the catalog YAML by hand)',
    ]);
  });

  it('reads a signed whole number in a number column as the number, warning about a dropped "+"', () => {
    const result = importRows(sheet(
      film('Show', { type: 'season', season: '+2', episodes: '10' }),
      film('Other', { type: 'season', season: '-1', episodes: '10' }),
    ), NONE);
    expect(result.errors.map((e) => `${e.row}|${e.column}|${e.message}`)).toEqual([
      '3|season|"-1" is out of range: write a whole number from 1 to 999',
    ]);
    expect(result.entries[0]?.content).toMatchObject({ season: 2, episodes: 10 });
    expect(result.warnings.map((w) => `${w.row}|${w.column}|${w.message}`)).toEqual([
      '2|season|"+2" was read as 2: the leading "+" (which a spreadsheet would run as a formula) was dropped',
    ]);
  });

  it('leaves numbers, dates and titles with a sign inside them alone', () => {
    const result = importRows(sheet(film('Mission: Impossible - Fallout'), film('C++ Stories', { type: 'season', season: 3, episodes: 8 })), NONE);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });
});
