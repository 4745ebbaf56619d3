import { apply } from '../../reconciler/apply.js';
import { desiredState } from '../../reconciler/desired.js';
import { formatDiagnostic } from '../../core/catalog/diagnostics.js';
import { planJson, rejectionDiagnostics, renderPlanText } from '../../reconciler/render.js';
import { bullmqSchedulers } from '../../reconciler/schedulers.js';
import { formatOf, formatOption, parse } from '../args.js';
import { catalogDir, displayDir, headCommit, loadValidCatalog } from '../catalog-input.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';

export const usage = `vigil apply [DIR] [--commit SHA] [--format text|json]
  Make the running state match the catalog in DIR (default ./catalog): record objects, allocate
  watermark IDs, register monitoring jobs as BullMQ job schedulers, stop what was removed.
  Idempotent: a second apply reports no changes. Every change is written to the audit log.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { ...formatOption, commit: { type: 'string' } } as const;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values, positionals } = parse('apply', argv, options);
  const format = formatOf('apply', values.format);
  const dir = catalogDir(io, positionals[0]);
  const { catalog } = await loadValidCatalog(io, dir, format, { sourceEnvPrefix: ctx.config.sourceEnvPrefix });
  const db = await ctx.db();
  const schedulers = bullmqSchedulers(await ctx.monitorQueue());
  const commit = values.commit ?? (await headCommit(dir));
  const result = await apply(db.pool, desiredState(catalog), {
    commit, source: dir, actor: `cli:${io.env.USER ?? 'unknown'}`, schedulers, log: ctx.log,
  });
  const rejections = rejectionDiagnostics(result.plan.rejections, catalog);
  if (format === 'json') {
    print(io.stdout, JSON.stringify({ result: result.result, reconciliation: result.reconciliationId, commit: commit ?? null,
      registrationFailures: result.registrationFailures, ...(planJson(result.plan) as object) }, null, 2));
  } else {
    for (const r of rejections) print(io.stderr, formatDiagnostic(r, displayDir(io, dir)));
    print(io.stdout, renderPlanText(result.plan));
    for (const f of result.registrationFailures) print(io.stderr, `MonitoringJob/${f.jobId}: Registration Failed: ${f.message}`);
    print(io.stdout, result.result === 'rejected' ? 'Nothing was applied.' : `Applied${commit ? ` ${commit}` : ''} (reconciliation #${result.reconciliationId}).`);
  }
  return result.result === 'rejected' || result.registrationFailures.length > 0 ? 1 : 0;
}
