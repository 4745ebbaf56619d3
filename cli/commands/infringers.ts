import { repeatInfringers, type InfringerCounts } from '../../core/db/infringers.js';
import { VigilError } from '../../core/errors.js';
import { parseDay } from '../../runners/takedown/business-days.js';
import { formatOf, formatOption, parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';

export const usage = `vigil infringers [--min N] [--since yyyy-MM-dd] [--format text|json]
  Repeat infringers: per host and per site family, the takedowns requested, links removed
  (Complete), takedowns Failed and counter-notices, most takedowns first. --min N (default 2) keeps
  those with at least N takedowns requested; --since counts only what happened from that UTC day.
  Uploaders are not counted: no finding's evidence names one.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { ...formatOption, min: { type: 'string', default: '2' }, since: { type: 'string' } } as const;

function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // Text columns left, counts right.
  const line = (cells: string[]) => `  ${cells.map((c, i) => (i < head.length - 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`.trimEnd();
  return [line(head), ...rows.map(line)];
}

const figures = (c: InfringerCounts): string[] => [c.takedownsRequested, c.linksRemoved, c.failed, c.counterNotices].map(String);
const COUNT_HEADS = ['takedowns', 'removed', 'failed', 'counter-notices'];

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values } = parse('infringers', argv, options, 0);
  const format = formatOf('infringers', values.format);
  const min = Number(values.min);
  if (!/^\d+$/.test(values.min) || min < 1 || min > 1_000_000) throw new VigilError('USAGE', `vigil infringers: --min must be a whole number of takedowns from 1, not ${JSON.stringify(values.min)}`);
  let since: Date | undefined;
  if (values.since !== undefined) {
    const day = parseDay(values.since);
    if (!day) throw new VigilError('USAGE', `vigil infringers: --since must be a calendar date (yyyy-MM-dd), not ${JSON.stringify(values.since)}`);
    since = new Date(`${day}T00:00:00Z`);
  }
  const db = await ctx.db();
  const result = await repeatInfringers(db.pool, { minTakedowns: min, ...(since ? { since } : {}) });
  if (format === 'json') {
    print(io.stdout, JSON.stringify(result, null, 2));
    return 0;
  }
  const period = since ? ` since ${values.since}` : '';
  print(io.stdout, `Hosts with at least ${min} takedown(s) requested${period}:`);
  if (result.hosts.length === 0) print(io.stdout, '  (none)');
  else for (const l of table(['host', 'family', ...COUNT_HEADS], result.hosts.map((h) => [h.host, h.family ?? '-', ...figures(h)]))) print(io.stdout, l);
  print(io.stdout, `\nSite families with at least ${min} takedown(s) requested${period}:`);
  if (result.families.length === 0) print(io.stdout, '  (none)');
  else for (const l of table(['family', 'hosts', ...COUNT_HEADS], result.families.map((f) => [f.family, String(f.hosts), ...figures(f)]))) print(io.stdout, l);
  print(io.stdout, `\nUploaders: not counted; ${result.uploaders.why}.`);
  return 0;
}
