import path from 'node:path';
import { simpleGit } from 'simple-git';
import { VigilError } from '../core/errors.js';
import { loadCatalogDir, type LoadedCatalog, type LoadOptions } from '../core/catalog/load.js';
import { formatDiagnostic, hasErrors, type Diagnostic } from '../core/catalog/diagnostics.js';
import { print, type CliIo, type Format } from './io.js';

/** The catalog directory a command works on: the argument, else ./catalog. */
export function catalogDir(io: CliIo, dir: string | undefined): string {
  return path.resolve(io.cwd, dir ?? 'catalog');
}

/** How a directory is named in messages: relative to where the user stands. */
export function displayDir(io: CliIo, dir: string): string {
  return path.relative(io.cwd, dir) || '.';
}

export function printDiagnostics(io: CliIo, diagnostics: readonly Diagnostic[], root: string): void {
  for (const d of diagnostics) print(io.stderr, formatDiagnostic(d, root));
}

/** Loads and checks a catalog; on errors prints them (text) and throws CATALOG_INVALID. */
export async function loadValidCatalog(io: CliIo, dir: string, format: Format, options: LoadOptions = {}): Promise<LoadedCatalog> {
  const loaded = await loadCatalogDir(dir, options);
  const root = displayDir(io, dir);
  if (format === 'text') printDiagnostics(io, loaded.diagnostics, root);
  if (hasErrors(loaded.diagnostics)) {
    const count = loaded.diagnostics.filter((d) => d.severity === 'error').length;
    throw Object.assign(new VigilError('CATALOG_INVALID', `${count} error(s) in the catalog at ${root}`), { diagnostics: loaded.diagnostics });
  }
  return loaded;
}

/** HEAD of the git work tree holding `dir`, if there is one and it is clean; for the audit log. */
export async function headCommit(dir: string): Promise<string | undefined> {
  try {
    const git = simpleGit(dir);
    if (!(await git.checkIsRepo())) return undefined;
    const head = (await git.revparse(['HEAD'])).trim();
    const status = await git.status(['--porcelain', '--', '.']);
    return status.isClean() ? head : `${head}-dirty`;
  } catch {
    return undefined;
  }
}
