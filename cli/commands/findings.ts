import { VigilError } from '../../core/errors.js';
import type { DetectionStatus, TakedownStatus } from '../../core/status.js';
import { queryFindings, reviewQueue, type FindingQuery } from '../../core/db/findings.js';
import { linkQuery } from '../../runners/monitor/url.js';
import { formatOf, formatOption, parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';

export const usage = `vigil findings [--content ID] [--title TEXT] [--from yyyy-MM-dd] [--to yyyy-MM-dd] [--tz ZONE]
                [--link URL|HOST] [--takedown STATUS]... [--detection STATUS]... [--family F]
                [--review] [--limit N] [--format text|json]
  List findings, newest first: by title (any of its names), period (calendar days in --tz, default
  UTC), link or host, takedown status (Available, "Takedown requested", "In Progress", Complete,
  Ignore, Failed) and detection status. --review lists the suspects waiting for a person instead.`;

function dateInZone(date: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone, dateStyle: 'short', timeStyle: 'short' }).format(date);
}

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values } = parse('findings', argv, {
    ...formatOption,
    content: { type: 'string' }, title: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
    tz: { type: 'string', default: 'UTC' }, link: { type: 'string' }, family: { type: 'string' },
    takedown: { type: 'string', multiple: true }, detection: { type: 'string', multiple: true },
    review: { type: 'boolean', default: false }, limit: { type: 'string', default: '100' },
  }, 0);
  const format = formatOf('findings', values.format);
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 100_000) throw new VigilError('USAGE', `vigil findings: --limit must be a whole number from 1 to 100000, not ${JSON.stringify(values.limit)}`);
  const db = await ctx.db();
  if (values.review) {
    const items = await reviewQueue(db.pool, values.content, limit);
    if (format === 'json') print(io.stdout, JSON.stringify(items, null, 2));
    else {
      for (const s of items) print(io.stdout, `  #${s.id}  ${s.contentId}  score=${s.score}  ${s.url}  (${s.reason})`);
      print(io.stdout, `${items.length} suspect(s) waiting for review.`);
    }
    return 0;
  }
  const query: FindingQuery = {
    ...(values.content ? { contentId: values.content } : {}),
    ...(values.title ? { title: values.title } : {}),
    ...(values.from || values.to ? { period: { timeZone: values.tz, ...(values.from ? { from: values.from } : {}), ...(values.to ? { to: values.to } : {}) } } : {}),
    ...(values.link ? { link: linkQuery(values.link) } : {}),
    ...(values.family ? { family: values.family } : {}),
    ...(values.takedown ? { takedownStatus: values.takedown as TakedownStatus[] } : {}),
    ...(values.detection ? { detectionStatus: values.detection as DetectionStatus[] } : {}),
    limit,
  };
  const findings = await queryFindings(db.pool, query);
  if (format === 'json') {
    print(io.stdout, JSON.stringify(findings, null, 2));
    return 0;
  }
  for (const f of findings) {
    print(io.stdout, `  #${f.id}  ${dateInZone(f.firstSeen, values.tz)}  ${f.contentId}  ${f.takedownStatus} / ${f.detectionStatus}  ${f.siteId ?? '-'}${f.family ? ` (${f.family})` : ''}  ${f.url}`);
  }
  print(io.stdout, `${findings.length} finding(s)${findings.length === limit ? ` (first ${limit}; raise --limit for more)` : ''}; times in ${values.tz}.`);
  return 0;
}
