import fs from 'node:fs/promises';
import path from 'node:path';
import { FILE_CONCURRENCY, mapLimit } from '../../core/concurrency.js';
import { VigilError } from '../../core/errors.js';
import { loadCatalog, readCatalogDir } from '../../core/catalog/load.js';
import { parseFile, type SourceFile } from '../../core/catalog/parse.js';
import { formatDiagnostic, hasErrors, type Diagnostic } from '../../core/catalog/diagnostics.js';
import { readSheet } from '../../reconciler/import/read-sheet.js';
import { importRows, type RowError, type TakenIds } from '../../reconciler/import/rows.js';
import {
  entryYaml, existingFiles, findSchemaPath, IMPORT_FOLDER, importedPath, writeFilesAtomically, type OutputFile,
} from '../../reconciler/import/write-yaml.js';
import { formatOf, formatOption, parse } from '../args.js';
import { catalogDir, displayDir } from '../catalog-input.js';
import { print, type CliIo } from '../io.js';

export const usage = `vigil import FILE.csv|FILE.xlsx [--out DIR] [--format text|json] [--dry-run]
  Register titles in bulk from a spreadsheet: each row becomes a Content and its MonitoringJob,
  written to DIR/imported/<id>.yaml (DIR defaults to ./catalog). Columns: type, title, season,
  episodes, release date, monitoring type, detection type, takedown type; optional aliases, id,
  watermarked (see docs/import.md). All or nothing: any bad row is reported as FILE:ROW: column
  "NAME": problem, and nothing is written. --dry-run checks and lists the files without writing.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = {
  ...formatOption,
  out: { type: 'string' },
  'dry-run': { type: 'boolean', default: false },
} as const;

/** Ids the catalog already uses, read leniently so that documents failing the schema still count. */
function takenIds(files: readonly SourceFile[]): TakenIds {
  const taken = { Content: new Set<string>(), MonitoringJob: new Set<string>() };
  for (const file of files) {
    for (const doc of parseFile(file).documents) {
      const value = doc.value as { kind?: unknown; metadata?: { id?: unknown } } | null;
      const kind = value?.kind;
      const id = value?.metadata?.id;
      if ((kind === 'Content' || kind === 'MonitoringJob') && typeof id === 'string') taken[kind].add(id);
    }
  }
  return taken;
}

/** Diagnostics that `after` has and `before` had not: what the imported files brought in. */
function newDiagnostics(before: readonly Diagnostic[], after: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set(before.map((d) => formatDiagnostic(d)));
  return after.filter((d) => !seen.has(formatDiagnostic(d)));
}

async function readBackMatches(dir: string, outputs: readonly OutputFile[]): Promise<boolean> {
  const same = await mapLimit(outputs, FILE_CONCURRENCY, async (o) => (await fs.readFile(path.join(dir, o.path), 'utf8').catch(() => undefined)) === o.text);
  return same.every(Boolean);
}

function rowLine(file: string, e: RowError): string {
  return `${file}:${e.row}: ${e.column === undefined ? '' : `column "${e.column}": `}${e.message}`;
}

export async function run(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse('import', argv, options);
  const format = formatOf('import', values.format);
  const dryRun = values['dry-run'] === true;
  const file = positionals[0];
  if (!file) throw new VigilError('USAGE', 'vigil import: name the spreadsheet to import (FILE.csv or FILE.xlsx)');
  const dir = catalogDir(io, values.out);
  const root = displayDir(io, dir);
  const json = (body: Record<string, unknown>): void => {
    if (format === 'json') print(io.stdout, JSON.stringify({ file, catalog: root, dryRun, ...body }, null, 2));
  };

  const sheet = await readSheet(path.resolve(io.cwd, file), file);
  const catalogExists = await fs.stat(dir).then(() => true, () => false);
  const existing = catalogExists ? await readCatalogDir(dir) : [];
  const baseline = loadCatalog(existing);
  const result = importRows(sheet.rows, takenIds(existing));

  const warnings = [
    ...sheet.notes,
    ...result.ignoredColumns.map((c) => `${file}:${result.headerRow}: column "${c}" is not one vigil import reads; its cells were ignored`),
    ...result.warnings.map((w) => rowLine(file, w)),
  ];
  if (format === 'text') for (const w of warnings) print(io.stderr, `warning: ${w}`);

  if (result.errors.length > 0) {
    const errors = result.errors;
    if (format === 'text') for (const e of errors) print(io.stderr, rowLine(file, e));
    json({ ok: false, rows: result.rows, errors: errors.map((e) => ({ file, ...e })), warnings, files: [] });
    const onlyConflicts = errors.every((e) => e.conflict === true);
    throw new VigilError(onlyConflicts ? 'IMPORT_CONFLICT' : 'IMPORT_INVALID', onlyConflicts
      ? `${errors.length} row(s) of ${file} name ids that ${root} already has; nothing was written`
      : `${errors.length} problem(s) in ${file}; nothing was written`);
  }

  const schemaPath = await findSchemaPath(path.join(dir, IMPORT_FOLDER));
  const outputs: OutputFile[] = result.entries.map((entry) => ({
    path: importedPath(entry),
    text: entryYaml(entry, { schemaPath, origin: `${path.basename(file)} row ${entry.row}` }),
  }));
  const clashes = await existingFiles(dir, outputs);
  if (clashes.length > 0) {
    if (format === 'text') for (const c of clashes) print(io.stderr, `${root}/${c}: already exists`);
    json({ ok: false, rows: result.rows, errors: clashes.map((c) => ({ file: `${root}/${c}`, message: 'already exists' })), warnings, files: [] });
    throw new VigilError('IMPORT_CONFLICT', `${clashes.length} file(s) to import already exist under ${root}; nothing was written`);
  }

  // Check the generated YAML with the existing catalog before anything touches the disk...
  const planned = newDiagnostics(baseline.diagnostics, loadCatalog([...existing, ...outputs.map((o) => ({ path: o.path, content: o.text }))]).diagnostics);
  if (hasErrors(planned)) {
    if (format === 'text') for (const d of planned) print(io.stderr, formatDiagnostic(d, root));
    json({ ok: false, rows: result.rows, errors: [], diagnostics: planned, warnings, files: [] });
    throw new VigilError('IMPORT_INVALID', `the catalog files made from ${file} do not validate; nothing was written`);
  }

  const listed = result.entries.map((e, i) => ({
    path: `${root}/${outputs[i]?.path ?? importedPath(e)}`, row: e.row, content: e.id, monitoringJob: e.jobId,
  }));
  if (!dryRun) await writeFilesAtomically(dir, outputs, io.signal);

  // ...and read back afterwards: files holding exactly the bytes just validated validate the same way
  // (parsing 100,000 documents twice would double the time of a large import); any file that
  // differs on disk sends the whole catalog through validation again, as `vigil validate` reads it.
  const written = dryRun || await readBackMatches(dir, outputs)
    ? planned
    : newDiagnostics(baseline.diagnostics, loadCatalog(await readCatalogDir(dir)).diagnostics);
  json({ ok: !hasErrors(written), rows: result.rows, errors: [], diagnostics: written, warnings, files: listed });
  if (format === 'text') {
    const verb = dryRun ? 'would create' : 'created';
    for (const f of listed) print(io.stdout, `${verb} ${f.path}: Content/${f.content}, MonitoringJob/${f.monitoringJob} (row ${f.row})`);
    for (const d of written) print(io.stderr, formatDiagnostic(d, root));
    const n = listed.length;
    const counts = `${n} Content, ${n} MonitoringJob`;
    const check = written.length === 0 ? 'the catalog validates with no new problems' : `${written.length} new problem(s) in the catalog`;
    print(io.stdout, dryRun
      ? `dry run: ${n} row(s) of ${file} are valid (${counts}); ${check}; nothing was written`
      : `imported ${n} row(s) from ${file} into ${root}/${IMPORT_FOLDER} (${counts}); ${check}`);
  }
  return hasErrors(written) ? 1 : 0;
}
