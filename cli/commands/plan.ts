import { desiredState } from '../../reconciler/desired.js';
import { plan } from '../../reconciler/plan.js';
import { formatDiagnostic } from '../../core/catalog/diagnostics.js';
import { planJson, rejectionDiagnostics, renderPlanText } from '../../reconciler/render.js';
import { loadActualState } from '../../reconciler/store.js';
import { formatOf, formatOption, parse } from '../args.js';
import { catalogDir, displayDir, loadValidCatalog } from '../catalog-input.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';

export const usage = `vigil plan [DIR] [--format text|json]
  Show what apply would change: + add, ~ change, - stop or retire, ! repair drift.
  Compares the catalog in DIR (default ./catalog) with the database; changes nothing.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = formatOption;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values, positionals } = parse('plan', argv, options);
  const format = formatOf('plan', values.format);
  const dir = catalogDir(io, positionals[0]);
  const { catalog, diagnostics } = await loadValidCatalog(io, dir, format, { sourceEnvPrefix: ctx.config.sourceEnvPrefix });
  const db = await ctx.db();
  const actual = await loadActualState(db.pool);
  const p = plan(desiredState(catalog), actual, new Date());
  const rejections = rejectionDiagnostics(p.rejections, catalog);
  if (format === 'json') {
    print(io.stdout, JSON.stringify({ diagnostics, ...(planJson(p) as object) }, null, 2));
  } else {
    for (const r of rejections) print(io.stderr, formatDiagnostic(r, displayDir(io, dir)));
    print(io.stdout, `Plan for ${displayDir(io, dir)} against ${db.where}:\n`);
    print(io.stdout, renderPlanText(p));
  }
  return rejections.length > 0 ? 1 : 0;
}
