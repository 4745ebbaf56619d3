import { isCatalogFile } from '../../core/catalog/load.js';

/**
 * The catalog directory inside the repository, as GitHub names paths: no leading './' or '/', no
 * trailing '/'; '' when the catalog is the repository root.
 */
export function normalizeCatalogPath(catalogPath: string): string {
  const trimmed = catalogPath.trim().replace(/^(\.\/)+/, '').replace(/^\/+|\/+$/g, '');
  return trimmed === '.' ? '' : trimmed;
}

/** A path relative to the repository root for a path relative to the catalog (as diagnostics carry). */
export function repoPath(catalogPath: string, file: string): string {
  return catalogPath === '' ? file : `${catalogPath}/${file}`;
}

/**
 * The path of a repository file relative to the catalog, or undefined when the file is no catalog
 * file. Mirrors readCatalogDir: YAML only, dot-folders and node_modules skipped.
 */
export function catalogRelative(catalogPath: string, file: string): string | undefined {
  const prefix = catalogPath === '' ? '' : `${catalogPath}/`;
  if (!file.startsWith(prefix)) return undefined;
  const relative = file.slice(prefix.length);
  const segments = relative.split('/');
  if (segments.some((s) => s.startsWith('.') || s === 'node_modules')) return undefined;
  return isCatalogFile(relative) ? relative : undefined;
}

/**
 * Whether a pull request's changed files reach into the catalog. Any file under the catalog
 * directory counts (a README there may change nothing, but planning costs little); a catalog at the
 * repository root counts only YAML files.
 */
export function touchesCatalog(changed: readonly string[], catalogPath: string): boolean {
  if (catalogPath === '') return changed.some((file) => catalogRelative('', file) !== undefined);
  return changed.some((file) => file.startsWith(`${catalogPath}/`));
}
