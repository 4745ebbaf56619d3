import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
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
  const found = await Promise.all(files.map((f) => fs.lstat(path.join(root, f.path)).then(() => f.path, () => undefined)));
  return found.filter((f): f is string => f !== undefined);
}

/**
 * Writes every file or none. Each goes to a hidden temporary name in its own folder (the catalog
 * loader skips dot-files), is flushed, and only when all are on disk are they renamed into place;
 * a failure or an abort removes the temporaries and undoes any rename already made.
 */
export async function writeFilesAtomically(root: string, files: readonly OutputFile[], signal?: AbortSignal): Promise<void> {
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const staged: { temp: string; target: string }[] = [];
  const placed: string[] = [];
  const checkAbort = (): void => {
    if (signal?.aborted) throw new VigilError('INTERRUPTED', 'vigil import was stopped before it finished writing', { fix: 'Run the import again; no file was written.' });
  };
  try {
    for (const file of files) {
      checkAbort();
      const target = path.join(root, file.path);
      await fs.mkdir(path.dirname(target), { recursive: true });
      const temp = path.join(path.dirname(target), `.${path.basename(target)}.${tag}.tmp`);
      staged.push({ temp, target });
      const handle = await fs.open(temp, 'wx');
      try {
        await handle.writeFile(file.text, 'utf8');
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
    checkAbort();
    for (const { temp, target } of staged) {
      // Refuse to replace a file that appeared since the caller checked.
      if (await fs.lstat(target).then(() => true, () => false)) {
        throw new VigilError('IMPORT_CONFLICT', `${target} appeared while importing`);
      }
      await fs.rename(temp, target);
      placed.push(target);
    }
  } catch (error) {
    await Promise.all(placed.map((p) => fs.rm(p, { force: true })));
    await Promise.all(staged.map((s) => fs.rm(s.temp, { force: true })));
    if (error instanceof VigilError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new VigilError('OUTPUT_NOT_WRITABLE', `cannot write the catalog files under ${root}: ${code ?? (error as Error).message}`, {
      cause: error, fix: 'Choose an --out directory that you may write to; no file was written.',
    });
  }
}
