import { listNotices, NOTICE_STATUSES, type NoticeRecord, type NoticeStatus } from '../../core/db/notices.js';
import { VigilError } from '../../core/errors.js';
import { formatOf, formatOption, parse } from '../args.js';
import type { Context } from '../context.js';
import { print } from '../io.js';
import type { CliIo } from '../io.js';

export const usage = `vigil notices [--finding N] [--status queued|sending|sent|failed] [--format text|json]
  Takedown notices, oldest first: to whom, by which channel, the findings and URLs each lists, its
  status (a notice flagged recovered was taken up again after a worker stopped mid-send and may have
  reached its contact twice, with the same Message-ID), and every delivery receipt. --finding N lists
  the notices of one finding; --status those in one status.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { ...formatOption, finding: { type: 'string' }, status: { type: 'string' } } as const;

function lines(n: NoticeRecord): string[] {
  const head = `notice ${n.id} to ${n.contact} by ${n.channel}: ${n.status}${n.recovered ? ' (recovered: may have gone twice)' : ''}, ${n.attempts} attempt(s), part ${n.part.index}/${n.part.total}, ${n.language}`;
  const when = `  created ${n.createdAt.toISOString()}${n.sentAt ? `, sent ${n.sentAt.toISOString()}` : ''}; findings ${n.findingIds.map((id) => `#${id}`).join(', ')}`;
  const urls = n.urls.map((u) => `  - ${u}`);
  const receipts = n.receipts.map((r) => `  receipt (try ${r.attempt}) ${r.channel} ${r.outcome}${r.externalId ? ` ${r.externalId}` : ''}${r.reason ? `: ${r.reason}${r.retryable ? ' (retryable)' : ''}` : ''} at ${r.at.toISOString()}`);
  return [head, when, ...urls, ...receipts];
}

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values } = parse('notices', argv, options, 0);
  const format = formatOf('notices', values.format);
  let findingId: number | undefined;
  if (values.finding !== undefined) {
    const digits = values.finding.replace(/^#/, '');
    if (!/^\d+$/.test(digits) || Number(digits) < 1) throw new VigilError('USAGE', `vigil notices: --finding must be a finding id such as 42 or #42, not ${JSON.stringify(values.finding)}`);
    findingId = Number(digits);
  }
  if (values.status !== undefined && !(NOTICE_STATUSES as readonly string[]).includes(values.status)) {
    throw new VigilError('USAGE', `vigil notices: --status must be one of ${NOTICE_STATUSES.join(', ')}, not ${JSON.stringify(values.status)}`);
  }
  const db = await ctx.db();
  const notices = await listNotices(db.pool, { ...(findingId === undefined ? {} : { findingId }), ...(values.status === undefined ? {} : { status: values.status as NoticeStatus }) });
  if (format === 'json') {
    print(io.stdout, JSON.stringify(notices.map(({ text: _text, html: _html, ...rest }) => rest), null, 2));
    return 0;
  }
  if (notices.length === 0) print(io.stdout, 'No notices.');
  for (const n of notices) for (const l of lines(n)) print(io.stdout, l);
  return 0;
}
