import { statusSummary } from '../../core/db/status-summary.js';
import { formatOf, formatOption, parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';

export const usage = `vigil status [--format text|json]
  Show monitoring jobs with their status, recipients, the last reconciliations, the open findings and the
  revocation pushes each CDN mirror (Akamai) still owes (vigil revocations lists each one).`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = formatOption;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values } = parse('status', argv, options, 0);
  const format = formatOf('status', values.format);
  const db = await ctx.db();
  const summary = await statusSummary(db.pool);
  const { jobs, reconciliations: runs } = summary;
  if (format === 'json') {
    print(io.stdout, JSON.stringify({ database: db.where, jobs: jobs, recipients: summary.recipients, reconciliations: runs, openFindings: summary.openFindings, revocationPushes: summary.revocationPushes }, null, 2));
    return 0;
  }
  print(io.stdout, `Database: ${db.where}`);
  print(io.stdout, `Recipients: ${summary.recipients.active} active, ${summary.recipients.retired} retired`);
  print(io.stdout, '\nMonitoring jobs:');
  const width = Math.max(4, ...jobs.map((j) => j.id.length));
  for (const j of jobs) print(io.stdout, `  ${j.id.padEnd(width)}  ${j.tier.padEnd(8)}  ${j.status.padEnd(19)}  ${j.status_reason}`);
  if (jobs.length === 0) print(io.stdout, '  (none)');
  print(io.stdout, '\nLast reconciliations:');
  for (const r of runs) print(io.stdout, `  #${r.id}  ${r.finished_at.toISOString()}  ${(r.commit ?? '-').slice(0, 12).padEnd(12)}  ${r.result.padEnd(8)}  ${r.changes} change(s)`);
  if (runs.length === 0) print(io.stdout, '  (none)');
  const open = Object.entries(summary.openFindings.byTakedown).map(([status, n]) => `${n} ${status}`).join(', ');
  print(io.stdout, `\nOpen findings: ${summary.openFindings.total}${open ? ` (${open})` : ''}`);
  print(io.stdout, '\nRevocation pushes owed to CDN mirrors:');
  for (const p of summary.revocationPushes) {
    print(io.stdout, `  ${p.target}: ${p.pending} owed since ${p.oldest.toISOString()}, next try ${p.nextAttemptAt.toISOString()}${p.lastError ? `: ${p.lastError}` : ''}`);
  }
  if (summary.revocationPushes.length === 0) print(io.stdout, '  (none)');
  return 0;
}
