import { formatOf, formatOption, parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';

export const usage = `vigil status [--format text|json]
  Show monitoring jobs with their status, recipients, and the last reconciliations.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = formatOption;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values } = parse('status', argv, options, 0);
  const format = formatOf('status', values.format);
  const db = await ctx.db();
  const jobs = await db.pool.query<{ id: string; content_id: string; tier: string; status: string; status_reason: string; start_date: string; stop_date: string | null }>(
    'select id, content_id, tier, status, status_reason, start_date, stop_date from monitoring_jobs order by id');
  const recipients = await db.pool.query<{ active: number; retired: number }>(
    'select count(*) filter (where retired_at is null)::int as active, count(*) filter (where retired_at is not null)::int as retired from watermark_allocations');
  const runs = await db.pool.query<{ id: number; commit: string | null; result: string; changes: number; finished_at: Date }>(
    'select id, commit, result, changes, finished_at from reconciliations order by id desc limit 5');
  if (format === 'json') {
    print(io.stdout, JSON.stringify({ database: db.where, jobs: jobs.rows, recipients: recipients.rows[0], reconciliations: runs.rows }, null, 2));
    return 0;
  }
  print(io.stdout, `Database: ${db.where}`);
  print(io.stdout, `Recipients: ${recipients.rows[0]?.active ?? 0} active, ${recipients.rows[0]?.retired ?? 0} retired`);
  print(io.stdout, '\nMonitoring jobs:');
  const width = Math.max(4, ...jobs.rows.map((j) => j.id.length));
  for (const j of jobs.rows) print(io.stdout, `  ${j.id.padEnd(width)}  ${j.tier.padEnd(8)}  ${j.status.padEnd(19)}  ${j.status_reason}`);
  if (jobs.rows.length === 0) print(io.stdout, '  (none)');
  print(io.stdout, '\nLast reconciliations:');
  for (const r of runs.rows) print(io.stdout, `  #${r.id}  ${r.finished_at.toISOString()}  ${(r.commit ?? '-').slice(0, 12).padEnd(12)}  ${r.result.padEnd(8)}  ${r.changes} change(s)`);
  if (runs.rows.length === 0) print(io.stdout, '  (none)');
  return 0;
}
