import fs from 'node:fs/promises';
import path from 'node:path';
import { FILE_CONCURRENCY, mapLimit } from '../concurrency.js';
import { VigilError } from '../errors.js';
import { sortDiagnostics, type Diagnostic } from './diagnostics.js';
import type { Catalog } from './catalog.js';
import { checkCatalog, type CheckOptions } from './checks.js';
import { parseFile, type RawDocument, type SourceFile } from './parse.js';
import { validateDocuments } from './schema.js';

export interface LoadedCatalog {
  catalog: Catalog;
  diagnostics: Diagnostic[];
  files: number;
}

export function isCatalogFile(name: string): boolean {
  return /\.ya?ml$/i.test(name);
}

/** Every YAML file under `dir` (dot-folders and node_modules skipped, symlinks not followed), sorted. */
export async function readCatalogDir(dir: string): Promise<SourceFile[]> {
  const root = path.resolve(dir);
  const stat = await fs.stat(root).catch(() => undefined);
  if (!stat?.isDirectory()) {
    throw new VigilError('CATALOG_NOT_FOUND', `catalog directory ${dir} does not exist or is not a directory`);
  }
  const paths: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    const entries = await fs.readdir(folder, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && isCatalogFile(entry.name)) paths.push(full);
    }
  };
  await walk(root);
  paths.sort();
  return mapLimit(paths, FILE_CONCURRENCY, async (full) => ({
    path: path.relative(root, full).split(path.sep).join('/'),
    content: await fs.readFile(full),
  }));
}

export type LoadOptions = CheckOptions;

/** Parse, schema-check and cross-check a set of files: the whole of `vigil validate`. */
export function loadCatalog(files: readonly SourceFile[], options: LoadOptions = {}): LoadedCatalog {
  const raw: RawDocument[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const file of files) {
    const parsed = parseFile(file);
    raw.push(...parsed.documents);
    diagnostics.push(...parsed.diagnostics);
  }
  const validated = validateDocuments(raw);
  diagnostics.push(...validated.diagnostics);
  const checked = checkCatalog(validated.documents, options);
  diagnostics.push(...checked.diagnostics);
  return { catalog: checked.catalog, diagnostics: sortDiagnostics(diagnostics), files: files.length };
}

export async function loadCatalogDir(dir: string, options: LoadOptions = {}): Promise<LoadedCatalog> {
  return loadCatalog(await readCatalogDir(dir), options);
}
