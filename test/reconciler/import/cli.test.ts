import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalogDir } from '../../../core/catalog/load.js';
import { writeFilesAtomically } from '../../../reconciler/import/write-yaml.js';
import { runCli, type CliRun } from '../../support/cli.js';

let cwd: string;
beforeEach(async () => {
  cwd = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-import-'));
});
afterEach(async () => {
  await fs.rm(cwd, { recursive: true, force: true });
});

function vigil(...argv: string[]): Promise<CliRun> {
  return runCli(argv, {}, cwd);
}

/** Every file under `dir`, relative, sorted; dot-files included so that a left-over temporary shows. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

async function expectValidCatalog(dir: string, documents: number): Promise<void> {
  const loaded = await loadCatalogDir(dir);
  expect(loaded.diagnostics).toEqual([]);
  expect(loaded.catalog.documents.length).toBe(documents);
}

const HEADER = 'Type,Title,Season,Episodes,Release Date,Monitoring Type,Detection Type,Takedown Type,Aliases,Watermarked';
const GOOD_CSV = [
  HEADER,
  'film,The Iron Orchard,,,2025-11-14,standard,manual,automatic,"Iron Orchard;Le Verger de fer",no',
  'series,Moonlit Harbor,2,10,2027-04-02,premium,automatic,manual,,yes',
  'TV,진격의 거인,1,25,2026-04-01,standard,manual,manual,,',
].join('\n');

const EXISTING = `apiVersion: vigil/v1
kind: Content
metadata:
  id: moonlit-harbor-s02
spec:
  type: season
  title: Moonlit Harbor
  season: 2
  episodes: 10
  releaseDate: 2027-04-02
`;

describe('vigil import', () => {
  it('imports a CSV into one validating file per content under catalog/imported', async () => {
    await fs.writeFile(path.join(cwd, 'titles.csv'), GOOD_CSV);
    const result = await vigil('import', 'titles.csv');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('created catalog/imported/the-iron-orchard.yaml: Content/the-iron-orchard, MonitoringJob/the-iron-orchard-watch (row 2)');
    expect(result.stdout).toContain('imported 3 row(s) from titles.csv into catalog/imported (3 Content, 3 MonitoringJob); the catalog validates with no new problems');
    const catalog = path.join(cwd, 'catalog');
    const files = await filesUnder(catalog);
    expect(files).toHaveLength(3);
    expect(files).toContain('imported/the-iron-orchard.yaml');
    expect(files).toContain('imported/moonlit-harbor-s02.yaml');
    expect(files.find((f) => /^imported\/title-[0-9a-f]{10}-s01\.yaml$/.test(f))).toBeDefined();
    await expectValidCatalog(catalog, 6);

    const text = await fs.readFile(path.join(catalog, 'imported/moonlit-harbor-s02.yaml'), 'utf8');
    expect(text).toBe(`# Imported by vigil import from titles.csv row 3.
apiVersion: vigil/v1
kind: Content
metadata:
  id: moonlit-harbor-s02
  name: Moonlit Harbor, season 2
spec:
  type: season
  title: Moonlit Harbor
  season: 2
  episodes: 10
  releaseDate: 2027-04-02
  watermarked: true
---
apiVersion: vigil/v1
kind: MonitoringJob
metadata:
  id: moonlit-harbor-s02-watch
spec:
  content: moonlit-harbor-s02
  tier: premium
  detection: automatic
  takedown: manual
`);
  });

  it('imports an XLSX made with exceljs, with a real date cell and a numeric season cell', async () => {
    const workbook = new ExcelJS.Workbook();
    const sheet = workbook.addWorksheet('Titles');
    sheet.addRow(['type', 'title', 'season', 'episodes', 'release_date', 'monitoring', 'detection', 'takedown', 'id', 'watermarked']);
    sheet.addRow(['Series', 'Star Courier', 1, 60, new Date(Date.UTC(2024, 8, 1)), 'standard', 'manual', 'manual', 'star-courier-webtoon', true]);
    sheet.getCell('E2').numFmt = 'yyyy-mm-dd';
    sheet.addRow(['Movie', 1917, null, null, '2026-01-10', 'Premium', 'Automatic', 'Automatic', null, 'no']);
    await workbook.xlsx.writeFile(path.join(cwd, 'titles.xlsx'));

    const result = await vigil('import', 'titles.xlsx', '--out', 'repo-catalog', '--format', 'json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { ok: boolean; files: { path: string; content: string; row: number }[]; diagnostics: unknown[] };
    expect(report.ok).toBe(true);
    expect(report.diagnostics).toEqual([]);
    expect(report.files.map((f) => [f.path, f.content, f.row])).toEqual([
      ['repo-catalog/imported/star-courier-webtoon.yaml', 'star-courier-webtoon', 2],
      ['repo-catalog/imported/1917.yaml', '1917', 3],
    ]);
    const catalog = path.join(cwd, 'repo-catalog');
    await expectValidCatalog(catalog, 4);
    const loaded = await loadCatalogDir(catalog);
    expect(loaded.catalog.byKind.Content.get('star-courier-webtoon')?.spec).toEqual({
      type: 'season', title: 'Star Courier', season: 1, episodes: 60, releaseDate: '2024-09-01', watermarked: true,
    });
    expect(loaded.catalog.byKind.Content.get('1917')?.spec.title).toBe('1917');
    expect(loaded.catalog.byKind.MonitoringJob.get('1917-watch')?.spec).toEqual({ content: '1917', tier: 'premium', detection: 'automatic', takedown: 'automatic' });
  });

  it('reports every bad row by row and column and writes nothing', async () => {
    await fs.writeFile(path.join(cwd, 'bad.csv'), [
      HEADER,
      'film,Fine,,,2026-01-01,standard,manual,manual,,',
      'film,,,,2026-01-01,standard,manual,manual,,',
      'documentary,Odd,,,2026-01-01,standard,manual,manual,,',
      'season,Show,,x,2026-01-01,standard,manual,manual,,',
      'film,Leap,,,2026-02-30,standard,manual,manual,,',
      'film,Tiers,,,2026-01-01,gold,auto,sometimes,,',
      'film,fine,,,2026-01-02,standard,manual,manual,,',
    ].join('\n'));
    const result = await vigil('import', 'bad.csv');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe([
      'bad.csv:3: column "Title": is empty: every row needs a title',
      'bad.csv:4: column "Type": "documentary" is not a known type: write film (or movie) or season (or series, TV)',
      'bad.csv:5: column "Season": is empty: a season needs a whole number here',
      'bad.csv:5: column "Episodes": "x" is not a whole number',
      'bad.csv:6: column "Release Date": "2026-02-30" is not a real date (write yyyy-MM-dd)',
      'bad.csv:7: column "Monitoring Type": "gold" is not one of standard, premium',
      'bad.csv:7: column "Detection Type": "auto" is not one of manual, automatic',
      'bad.csv:7: column "Takedown Type": "sometimes" is not one of manual, automatic',
      'bad.csv:8: column "Title": "fine" is already on row 2: each title (and season) may appear once',
      'error VIGIL-E0105: 9 problem(s) in bad.csv; nothing was written',
      '  fix: Fix the rows listed above in the spreadsheet and import again; nothing was written.',
      '',
    ].join('\n'));
    expect(await filesUnder(cwd)).toEqual(['bad.csv']);
  });

  it('refuses ids the existing catalog already has, naming the row', async () => {
    const catalog = path.join(cwd, 'catalog');
    await fs.mkdir(path.join(catalog, 'content'), { recursive: true });
    await fs.writeFile(path.join(catalog, 'content/moonlit.yaml'), EXISTING);
    await fs.writeFile(path.join(cwd, 'titles.csv'), GOOD_CSV);
    const result = await vigil('import', 'titles.csv');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('titles.csv:3: column "Title": Content/moonlit-harbor-s02 is already in the catalog: remove the row, or give it another id in an "id" column');
    expect(result.stderr).toContain('error VIGIL-E0106: 1 row(s) of titles.csv name ids that catalog already has; nothing was written');
    expect(await filesUnder(catalog)).toEqual(['content/moonlit.yaml']);
  });

  it('imports alongside an existing catalog when ids differ, and the whole catalog validates', async () => {
    const catalog = path.join(cwd, 'catalog');
    await fs.mkdir(path.join(catalog, 'content'), { recursive: true });
    await fs.writeFile(path.join(catalog, 'content/moonlit.yaml'), EXISTING);
    await fs.writeFile(path.join(cwd, 'titles.csv'), `${HEADER}\nseason,Moonlit Harbor,3,8,2028-04-02,premium,manual,manual,,\n`);
    const result = await vigil('import', 'titles.csv');
    expect(result.code).toBe(0);
    await expectValidCatalog(catalog, 3);
  });

  it('refuses to overwrite an existing file and writes nothing', async () => {
    const imported = path.join(cwd, 'catalog/imported');
    await fs.mkdir(imported, { recursive: true });
    await fs.writeFile(path.join(imported, 'the-iron-orchard.yaml'), '# placeholder\n');
    await fs.writeFile(path.join(cwd, 'titles.csv'), GOOD_CSV);
    const result = await vigil('import', 'titles.csv');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('catalog/imported/the-iron-orchard.yaml: already exists');
    expect(result.stderr).toContain('error VIGIL-E0106: 1 file(s) to import already exist under catalog; nothing was written');
    expect(await filesUnder(path.join(cwd, 'catalog'))).toEqual(['imported/the-iron-orchard.yaml']);
  });

  it('checks without writing on --dry-run', async () => {
    await fs.writeFile(path.join(cwd, 'titles.csv'), GOOD_CSV);
    const result = await vigil('import', 'titles.csv', '--dry-run');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('would create catalog/imported/the-iron-orchard.yaml');
    expect(result.stdout).toContain('dry run: 3 row(s) of titles.csv are valid (3 Content, 3 MonitoringJob); the catalog validates with no new problems; nothing was written');
    expect(await filesUnder(cwd)).toEqual(['titles.csv']);
  });

  it('points the editor at the schema when the catalog is inside a repository that has one', async () => {
    await fs.mkdir(path.join(cwd, '.git'));
    await fs.mkdir(path.join(cwd, 'schemas'));
    await fs.writeFile(path.join(cwd, 'schemas/catalog.schema.json'), '{}');
    await fs.writeFile(path.join(cwd, 'titles.csv'), GOOD_CSV);
    expect((await vigil('import', 'titles.csv', '--out', 'catalog')).code).toBe(0);
    const text = await fs.readFile(path.join(cwd, 'catalog/imported/the-iron-orchard.yaml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../../schemas/catalog.schema.json');
    await expectValidCatalog(path.join(cwd, 'catalog'), 6);
  });

  it('reports a hostile file as an error naming it, never a stack trace', async () => {
    await fs.writeFile(path.join(cwd, 'junk.csv'), Buffer.from([0x00, 0xff, 0x13, 0x37, 0x00]));
    await fs.writeFile(path.join(cwd, 'fake.xlsx'), 'just text');
    await fs.writeFile(path.join(cwd, 'quotes.csv'), `${HEADER}\nfilm,The "Best" Film,,,2026-01-01,standard,manual,manual,,\n`);
    const junk = await vigil('import', 'junk.csv');
    const fake = await vigil('import', 'fake.xlsx');
    const quotes = await vigil('import', 'quotes.csv');
    expect([junk.code, fake.code, quotes.code]).toEqual([1, 1, 1]);
    expect(junk.stderr).toMatch(/^error VIGIL-E0105: junk\.csv: holds binary data/);
    expect(fake.stderr).toMatch(/^error VIGIL-E0105: fake\.xlsx: not an Excel \.xlsx workbook/);
    expect(quotes.stderr).toMatch(/^error VIGIL-E0105: quotes\.csv:2: a quote \(".*/);
    for (const r of [junk, fake, quotes]) expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(await filesUnder(cwd)).toEqual(['fake.xlsx', 'junk.csv', 'quotes.csv']);
  });

  it('answers usage mistakes with exit code 2', async () => {
    expect((await vigil('import')).code).toBe(2);
    expect((await vigil('import', 'a.csv', '--format', 'xml')).code).toBe(2);
    expect((await vigil('import', 'a.numbers')).code).toBe(2);
  });
});

describe('writeFilesAtomically', () => {
  it('leaves no file and no temporary when stopped before it finishes', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await writeFilesAtomically(cwd, [{ path: 'imported/a.yaml', text: 'a: 1\n' }], controller.signal).catch((e: unknown) => e);
    expect((error as { errorName?: string }).errorName).toBe('INTERRUPTED');
    expect(await filesUnder(cwd)).toEqual([]);
  });

  it('undoes every file when one cannot be written', async () => {
    await fs.mkdir(path.join(cwd, 'imported/b.yaml'), { recursive: true }); // a folder where a file must go
    const error = await writeFilesAtomically(cwd, [
      { path: 'imported/a.yaml', text: 'a: 1\n' },
      { path: 'imported/b.yaml', text: 'b: 1\n' },
    ]).catch((e: unknown) => e);
    expect((error as { errorName?: string }).errorName).toBe('IMPORT_CONFLICT');
    expect(await filesUnder(cwd)).toEqual([]);
  });
});

describe('docs/import-example.csv', () => {
  it('imports into a catalog that validates', async () => {
    const example = path.resolve(import.meta.dirname, '../../../docs/import-example.csv');
    await fs.copyFile(example, path.join(cwd, 'import-example.csv'));
    const result = await vigil('import', 'import-example.csv', '--out', 'out');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    await expectValidCatalog(path.join(cwd, 'out'), 10);
  });
});
