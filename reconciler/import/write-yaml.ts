import fs from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { FILE_CONCURRENCY, mapLimit } from '../../core/concurrency.js';
import { VigilError } from '../../core/errors.js';
import type { ImportEntry } from './rows.js';

/** Where imported files go inside the catalog directory. */
export const IMPORT_FOLDER = 'imported';

export interface OutputFile {
  /** Path relative to the catalog root, with '/' separators. */
  path: string;
  text: string;
}

export function importedPath(entry: ImportEntry): string {
  return `${IMPORT_FOLDER}/${entry.id}.yaml`;
}

/**
 * The catalog file for one row: its Content and the MonitoringJob that watches it. `schemaPath` is
 * the editor schema relative to the file's folder (no header when undefined); `origin` says where
 * the row came from, as a comment, so a reviewer of the pull request can trace it.
 */
export function entryYaml(entry: ImportEntry, options: { schemaPath?: string | undefined; origin?: string | undefined } = {}): string {
  const content = {
    apiVersion: 'vigil/v1',
    kind: 'Content',
    metadata: { id: entry.id, ...(entry.name.length <= 200 ? { name: entry.name } : {}) },
    spec: entry.content,
  };
  const job = { apiVersion: 'vigil/v1', kind: 'MonitoringJob', metadata: { id: entry.jobId }, spec: entry.job };
  const head = [
    ...(options.schemaPath ? [`# yaml-language-server: $schema=${options.schemaPath}`] : []),
    ...(options.origin ? [`# Imported by vigil import from ${options.origin.replace(/[\r\n]/g, ' ')}.`] : []),
  ];
  const body = [content, job].map((doc) => stringify(doc, { lineWidth: 0 })).join('---\n');
  return [...head, body].join('\n');
}

/**
 * The `$schema` path for files in `folder`: schemas/catalog.schema.json in the nearest ancestor that
 * has one, looking no further up than the enclosing git work tree. Undefined outside any such tree.
 */
export async function findSchemaPath(folder: string): Promise<string | undefined> {
  let dir = path.resolve(folder);
  for (;;) {
    const candidate = path.join(dir, 'schemas', 'catalog.schema.json');
    if (await fs.stat(candidate).then((s) => s.isFile(), () => false)) {
      return path.relative(path.resolve(folder), candidate).split(path.sep).join('/');
    }
    const atRepoRoot = await fs.stat(path.join(dir, '.git')).then(() => true, () => false);
    const parent = path.dirname(dir);
    if (atRepoRoot || parent === dir) return undefined;
    dir = parent;
  }
}

/** Files among `files` that already exist under `root`. */
export async function existingFiles(root: string, files: readonly OutputFile[]): Promise<string[]> {
  const found = await mapLimit(files, FILE_CONCURRENCY, (f) => fs.lstat(path.join(root, f.path)).then(() => f.path, () => undefined));
  return found.filter((f): f is string => f !== undefined);
}

const exists = (p: string): Promise<boolean> => fs.lstat(p).then(() => true, () => false);

async function writeDurably(file: string, text: string): Promise<void> {
  const handle = await fs.open(file, 'wx');
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes every file or none. All of them must lie directly in one folder (`imported/`). They are
 * written, a bounded number at a time (no EMFILE at any size), into a hidden staging folder under
 * `root` (the catalog loader skips dot-folders) and flushed. When the target folder does not exist
 * yet, the staging folder is renamed into place in one step: readers see all files or none. When
 * it does, each file is renamed into it, and a failure or an abort undoes the renames already made.
 */
export async function writeFilesAtomically(root: string, files: readonly OutputFile[], signal?: AbortSignal): Promise<void> {
  const folders = new Set(files.map((f) => path.posix.dirname(f.path)));
  if (folders.size > 1) throw new Error(`writeFilesAtomically: files must share one folder, got ${[...folders].join(', ')}`);
  const folder = [...folders][0];
  if (folder === undefined) return;
  const target = path.join(root, folder);
  let stage: string | undefined;
  const placed: string[] = [];
  const checkAbort = (): void => {
    if (signal?.aborted) throw new VigilError('INTERRUPTED', 'vigil import was stopped before it finished writing', { fix: 'Run the import again; no file was written.' });
  };
  try {
    await fs.mkdir(root, { recursive: true });
    stage = await fs.mkdtemp(path.join(root, `.vigil-import-${process.pid}-`));
    const staged = stage;
    await mapLimit(files, FILE_CONCURRENCY, async (file) => {
      checkAbort();
      await writeDurably(path.join(staged, path.posix.basename(file.path)), file.text);
    });
    await syncDir(staged);
    checkAbort();
    if (!(await exists(target))) {
      await fs.mkdir(path.dirname(target), { recursive: true });
      await fs.rename(staged, target);
      stage = undefined;
      await syncDir(path.dirname(target));
      return;
    }
    for (const file of files) {
      checkAbort();
      const destination = path.join(root, file.path);
      // Refuse to replace a file that appeared since the caller checked.
      if (await exists(destination)) throw new VigilError('IMPORT_CONFLICT', `${destination} appeared while importing; nothing was written`);
      await fs.rename(path.join(staged, path.posix.basename(file.path)), destination);
      placed.push(destination);
    }
    await syncDir(target);
  } catch (error) {
    await mapLimit(placed, FILE_CONCURRENCY, (p) => fs.rm(p, { force: true }));
    if (error instanceof VigilError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new VigilError('OUTPUT_NOT_WRITABLE', `cannot write the catalog files under ${root}: ${code ?? (error as Error).message}`, {
      cause: error, fix: 'Choose an --out directory that you may write to; no file was written.',
    });
  } finally {
    if (stage) await fs.rm(stage, { recursive: true, force: true });
  }
}
