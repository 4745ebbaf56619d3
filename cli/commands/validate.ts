import { loadCatalogDir } from '../../core/catalog/load.js';
import { formatDiagnostic, hasErrors } from '../../core/catalog/diagnostics.js';
import { formatOf, formatOption, parse } from '../args.js';
import { catalogDir, displayDir } from '../catalog-input.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';

export const usage = `vigil validate [DIR] [--format text|json]
  Check the catalog in DIR (default ./catalog) against the schemas and across documents.
  Prints FILE:LINE:COL: kind/id: message per problem; exits 1 on errors, 0 otherwise (warnings allowed).`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = formatOption;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values, positionals } = parse('validate', argv, options);
  const format = formatOf('validate', values.format);
  const dir = catalogDir(io, positionals[0]);
  const loaded = await loadCatalogDir(dir, { sourceEnvPrefix: ctx.config.sourceEnvPrefix });
  const root = displayDir(io, dir);
  const errors = loaded.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = loaded.diagnostics.length - errors;
  if (format === 'json') {
    print(io.stdout, JSON.stringify({
      valid: errors === 0, files: loaded.files, documents: loaded.catalog.documents.length, errors, warnings,
      diagnostics: loaded.diagnostics.map((d) => ({ ...d, file: `${root}/${d.file}` })),
    }, null, 2));
  } else {
    for (const d of loaded.diagnostics) print(io.stdout, formatDiagnostic(d, root));
    print(io.stdout, `${loaded.files} file(s), ${loaded.catalog.documents.length} document(s): ${errors} error(s), ${warnings} warning(s)`);
  }
  return hasErrors(loaded.diagnostics) ? 1 : 0;
}
