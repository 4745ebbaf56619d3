import { VigilError } from '../../core/errors.js';
import { queryFindings, reviewQueue } from '../../core/db/findings.js';
import { parseFindingFilters } from '../../core/finding-filters.js';
import { formatOf, formatOption, parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';

export const usage = `vigil findings [--content ID] [--title TEXT] [--from yyyy-MM-dd] [--to yyyy-MM-dd] [--tz ZONE]
                [--link URL|HOST] [--takedown STATUS]... [--detection STATUS]... [--family F]
                [--review] [--limit N] [--format text|json]
  List findings, newest first: by title (any of its names), period (calendar days in --tz, default
  UTC), link or host, takedown status (Available, "Takedown requested", "In Progress", Complete,
  Ignore, Failed), detection status (Available, "Not Available", Downloading, Detecting, Completed,
  Canceled, Error, Failed) and site family. Statuses, titles, hosts and ids match in any case.
  --review lists the suspects waiting for a person instead.`;

function dateInZone(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'short' }).format(date);
}

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = {
  ...formatOption,
  content: { type: 'string' }, title: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
  tz: { type: 'string', default: 'UTC' }, link: { type: 'string' }, family: { type: 'string' },
  takedown: { type: 'string', multiple: true }, detection: { type: 'string', multiple: true },
  review: { type: 'boolean', default: false }, limit: { type: 'string', default: '100' },
} as const;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values } = parse('findings', argv, options, 0);
  const format = formatOf('findings', values.format);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new VigilError('USAGE', `vigil findings: --limit must be a whole number from 1 to 100000, not ${JSON.stringify(values.limit)}`);
  // Every filter is checked before the database opens: a typo costs no embedded PostgreSQL start.
  const filters = parseFindingFilters(values);
  const { timeZone } = filters;
  const content = filters.query.contentId;
  const db = await ctx.db();
  if (values.review) {
    const items = await reviewQueue(db.pool, content, limit);
    if (format === 'json') print(io.stdout, JSON.stringify(items, null, 2));
    else {
      for (const s of items) print(io.stdout, `  #${s.id}  ${s.contentId ?? '(title unknown)'}  score=${s.score}  ${s.url}  (${s.reason})`);
      print(io.stdout, `${items.length} suspect(s) waiting for review.`);
    }
    return 0;
  }
  const findings = await queryFindings(db.pool, { ...filters.query, limit });
  if (format === 'json') {
    print(io.stdout, JSON.stringify(findings, null, 2));
    return 0;
  }
  for (const f of findings) {
    print(io.stdout, `  #${f.id}  ${dateInZone(f.firstSeen, timeZone)}  ${f.contentId}  ${f.takedownStatus} / ${f.detectionStatus}  ${f.siteId ?? '-'}${f.family ? ` (${f.family})` : ''}  ${f.url}`);
  }
  print(io.stdout, `${findings.length} finding(s)${findings.length === limit ? ` (first ${limit}; raise --limit for more)` : ''}; times in ${timeZone}.`);
  return 0;
}
