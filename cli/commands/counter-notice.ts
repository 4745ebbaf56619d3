import { openCounterNotices, recordCounterNotice, type CounterNotice } from '../../core/db/counter-notices.js';
import { findingById } from '../../core/db/findings.js';
import { VigilError } from '../../core/errors.js';
import { businessDaysBetween, parseDay, restoreWindow, RESTORE_NOT_AFTER, RESTORE_NOT_BEFORE } from '../../runners/takedown/business-days.js';
import { formatOf, formatOption, parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';

export const usage = `vigil counter-notice FINDING --received yyyy-MM-dd [--from NAME] [--note TEXT] [--format text|json]
vigil counter-notice --list [--format text|json]
  Record a counter-notice (17 U.S.C. 512(g)) received for a link taken down (FINDING is its id, 42
  or #42), audited, and print its restore window: the service provider puts the material back not
  less than ${RESTORE_NOT_BEFORE} nor more than ${RESTORE_NOT_AFTER} business days after receipt (weekends and US federal
  holidays skipped) unless the copyright owner files an action first. --from names who sent it,
  --note keeps a remark. --list shows the counter-notices whose window is still open, with the
  business days left before the earliest restore.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = {
  ...formatOption,
  received: { type: 'string' }, from: { type: 'string' }, note: { type: 'string' }, list: { type: 'boolean', default: false },
} as const;

function findingIdOf(text: string | undefined): number {
  const m = /^#?(\d{1,15})$/.exec(text?.trim() ?? '');
  if (!m) throw new VigilError('USAGE', `vigil counter-notice: FINDING must be a finding id such as 42 or #42${text === undefined ? ' (or --list)' : `, not ${JSON.stringify(text)}`}`);
  return Number(m[1]);
}

/** What is left of a window on `today`, for a person. */
export function windowLeft(c: Pick<CounterNotice, 'restoreEarliest' | 'restoreLatest'>, today: string): string {
  if (today < c.restoreEarliest) {
    const left = businessDaysBetween(today, c.restoreEarliest);
    return `${left} business day${left === 1 ? '' : 's'} left before the earliest restore (${c.restoreEarliest})`;
  }
  const left = businessDaysBetween(today, c.restoreLatest);
  return `in the restore window: back by ${c.restoreLatest} (${left} business day${left === 1 ? '' : 's'} left)`;
}

const today = (): string => new Date().toISOString().slice(0, 10);

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values, positionals } = parse('counter-notice', argv, options, 1);
  const format = formatOf('counter-notice', values.format);
  if (values.list) {
    if (positionals.length > 0 || values.received !== undefined) throw new VigilError('USAGE', 'vigil counter-notice: --list takes no FINDING and no --received');
    const db = await ctx.db();
    const day = today();
    const open = await openCounterNotices(db.pool, day);
    if (format === 'json') print(io.stdout, JSON.stringify(open.map((c) => ({ ...c, left: windowLeft(c, day) })), null, 2));
    else {
      for (const c of open) print(io.stdout, `  #${c.findingId}  received ${c.receivedOn}${c.from ? ` from ${c.from}` : ''}  restore ${c.restoreEarliest}..${c.restoreLatest}  ${windowLeft(c, day)}  ${c.url}`);
      print(io.stdout, `${open.length} open counter-notice(s) on ${day} (UTC).`);
    }
    return 0;
  }
  const findingId = findingIdOf(positionals[0]);
  if (values.received === undefined) throw new VigilError('USAGE', 'vigil counter-notice: --received yyyy-MM-dd is missing: give the day the counter-notice arrived (or --list)');
  const received = parseDay(values.received.trim());
  if (!received) throw new VigilError('COUNTER_NOTICE_DATE_INVALID', `vigil counter-notice: --received ${JSON.stringify(values.received)} is not a calendar date (yyyy-MM-dd)`);
  const window = restoreWindow(received);
  const db = await ctx.db();
  const { counterNotice: c, created } = await recordCounterNotice(db.pool, {
    findingId, receivedOn: received, window, today: today(),
    ...(values.from === undefined ? {} : { from: values.from }), ...(values.note === undefined ? {} : { note: values.note }),
  }, { actor: `cli:${io.env.USER ?? 'unknown'}`, reason: 'counter-notice recorded with vigil counter-notice' });
  if (format === 'json') {
    print(io.stdout, JSON.stringify({ created, counterNotice: c, left: windowLeft(c, today()) }, null, 2));
    return 0;
  }
  const finding = await findingById(db.pool, findingId);
  print(io.stdout, `${created ? 'Recorded' : 'Already recorded'}: counter-notice for finding #${findingId} (${finding?.url ?? '?'}), received ${c.receivedOn}${c.from ? ` from ${c.from}` : ''}.`);
  print(io.stdout, `Restore window (17 U.S.C. 512(g)(2)(C), ${RESTORE_NOT_BEFORE}-${RESTORE_NOT_AFTER} business days after receipt, weekends and US federal holidays skipped):`);
  print(io.stdout, `  not before ${c.restoreEarliest}, not after ${c.restoreLatest}; ${windowLeft(c, today())}.`);
  print(io.stdout, `To keep the link down, file an action seeking a court order and tell the service provider before ${c.restoreEarliest}.`);
  return 0;
}
