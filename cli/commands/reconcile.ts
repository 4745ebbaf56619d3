import path from 'node:path';
import { VigilError } from '../../core/errors.js';
import { openCheckout } from '../../reconciler/git-source.js';
import { follow, reconcileCommit, type ReconcileOutcome } from '../../reconciler/reconcile.js';
import { formatDiagnostic } from '../../core/catalog/diagnostics.js';
import { renderPlanText } from '../../reconciler/render.js';
import { bullmqSchedulers } from '../../reconciler/schedulers.js';
import { formatOf, formatOption, parse } from '../args.js';
import type { Context } from '../context.js';
import { parseDuration } from '../duration.js';
import { print, type CliIo, type Format } from '../io.js';

export const usage = `vigil reconcile --repo URL|PATH [--branch main] [--path catalog] [--once] [--interval 30s] [--resync 5m] [--format text|json]
  Follow a branch of a catalog repository: each new commit is validated and applied; the current
  commit is re-applied every --resync period to repair drift. --once reconciles the head and exits.`;

function report(io: CliIo, format: Format, outcome: ReconcileOutcome, root: string): void {
  if (format === 'json') {
    print(io.stdout, JSON.stringify({
      status: outcome.status, commit: outcome.commit, diagnostics: outcome.diagnostics,
      ...(outcome.status === 'applied' ? { result: outcome.apply.result, changes: outcome.apply.plan.changes.length } : {}),
    }));
    return;
  }
  for (const d of outcome.diagnostics) print(io.stderr, formatDiagnostic(d, root));
  if (outcome.status === 'invalid') {
    print(io.stdout, `${outcome.commit.slice(0, 12)}: catalog invalid, nothing applied`);
  } else {
    print(io.stdout, `${outcome.commit.slice(0, 12)}: ${outcome.apply.result}`);
    if (outcome.apply.plan.changes.length > 0) print(io.stdout, renderPlanText(outcome.apply.plan));
  }
}

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = {
  ...formatOption,
  repo: { type: 'string' }, branch: { type: 'string', default: 'main' }, path: { type: 'string', default: 'catalog' },
  once: { type: 'boolean', default: false }, interval: { type: 'string', default: '30s' }, resync: { type: 'string', default: '5m' },
} as const;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values } = parse('reconcile', argv, options, 0);
  const format = formatOf('reconcile', values.format);
  if (!values.repo) throw new VigilError('USAGE', 'vigil reconcile needs --repo URL|PATH');
  const repo = /^[a-z+]+:\/\//i.test(values.repo) || values.repo.includes('@') ? values.repo : path.resolve(io.cwd, values.repo);
  const catalog = { repo, branch: values.branch, path: values.path };
  const intervalMs = parseDuration('--interval', values.interval);
  const resyncMs = parseDuration('--resync', values.resync);
  const db = await ctx.db();
  const schedulers = bullmqSchedulers(await ctx.monitorQueue());
  const checkout = await openCheckout(catalog, ctx.config.home);
  const deps = { pool: db.pool, schedulers, log: ctx.log, sourceEnvPrefix: ctx.config.sourceEnvPrefix };
  if (values.once) {
    const outcome = await reconcileCommit(deps, catalog, checkout, 'reconciler', await checkout.fetch());
    report(io, format, outcome, values.path);
    return outcome.status === 'invalid' || outcome.apply.result === 'rejected' ? 1 : 0;
  }
  print(io.stderr, `following ${repo} branch ${values.branch} (every ${values.interval}, resync ${values.resync}); Ctrl-C stops`);
  await follow(deps, catalog, checkout, { intervalMs, resyncMs, signal: io.signal, onOutcome: (o) => report(io, format, o, values.path) });
  return 0;
}
