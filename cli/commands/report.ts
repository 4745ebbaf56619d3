import fs from 'node:fs/promises';
import path from 'node:path';
import { VigilError } from '../../core/errors.js';
import { CHROMIUM_ENV } from '../../runners/monitor/browser.js';
import { makeCreatorReport, sendCreatorReport, writeCreatorReport } from '../../runners/report/creator-run.js';
import { parseMonth, parseQuarter } from '../../runners/report/period.js';
import { usageRows } from '../../runners/report/usage.js';
import { loadUsageJobs } from '../../runners/report/usage-data.js';
import { formatUsage, USAGE_FORMATS, type UsageFormat } from '../../runners/report/usage-format.js';
import { parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';

export const usage = `vigil report usage --month yyyy-MM [--format table|csv|json] [--out FILE] | vigil report creator CREATOR --period yyyy-Qn [--out DIR] [--send]
  usage: per monitored title, standard or premium, the days it was monitored in the month (UTC days)
  and whether the month is billable: monitored on any day on or after its release date (a
  reservation before release is listed, not billed; a month with premium days bills as premium).
  --format table (default), csv or json; --out FILE writes it there instead of printing it.
  Posted to the Policy's channels.reports on the first of each month by the report worker.
  creator: for the creator or content provider named by spec.creator.name of the applied Content
  (ignoring case), per work: links found in the quarter, removed by its end, removal rate, median
  time to removal, top sites and site families, links reported by the creator or the community and
  their outcome, with charts (found and removed per week, removals by site) as SVG and PNG. Writes
  CREATOR-PERIOD.pdf, .html, .json and the charts into --out DIR (default: here); --send also
  e-mails it (HTML with the charts inline, the PDF attached) to spec.creator.email through
  VIGIL_SMTP_URL, From the Policy's noticeSender, as the report worker does each quarter.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = {
  month: { type: 'string' }, format: { type: 'string', default: 'table' }, out: { type: 'string' },
  period: { type: 'string' }, send: { type: 'boolean', default: false },
} as const;

function usageFormat(value: string): UsageFormat {
  if ((USAGE_FORMATS as readonly string[]).includes(value)) return value as UsageFormat;
  throw new VigilError('USAGE', `vigil report usage: --format must be ${USAGE_FORMATS.join(', ')}, not ${JSON.stringify(value)}`);
}

async function writeFileAt(file: string, content: string): Promise<void> {
  try {
    await fs.writeFile(`${file}.tmp`, content);
    await fs.rename(`${file}.tmp`, file);
  } catch (error) {
    throw new VigilError('REPORT_OUT_INVALID', `--out ${file} cannot be written: ${(error as Error).message}`, { cause: error });
  }
}

async function runUsage(values: { month?: string; format: string; out?: string }, io: CliIo, ctx: Context): Promise<number> {
  if (values.month === undefined) throw new VigilError('USAGE', 'vigil report usage: --month yyyy-MM is required (e.g. --month 2026-07)');
  const now = new Date();
  const month = parseMonth(values.month, now);
  const format = usageFormat(values.format);
  const db = await ctx.db();
  const rows = usageRows(await loadUsageJobs(db.pool, month), month, now);
  const text = formatUsage(rows, month, format);
  if (values.out === undefined) {
    io.stdout.write(text);
    return 0;
  }
  const file = path.resolve(io.cwd, values.out);
  await writeFileAt(file, text);
  print(io.stdout, `wrote ${file} (${rows.length} title(s))`);
  return 0;
}

async function runCreator(name: string | undefined, values: { period?: string; out?: string; send: boolean }, io: CliIo, ctx: Context): Promise<number> {
  if (!name?.trim()) throw new VigilError('USAGE', 'vigil report creator: name the creator (spec.creator.name), e.g. vigil report creator "Harbor Pictures" --period 2026-Q3');
  if (values.period === undefined) throw new VigilError('USAGE', 'vigil report creator: --period yyyy-Qn is required (e.g. --period 2026-Q3)');
  const period = parseQuarter(values.period);
  if (values.send && !ctx.config.takedown.smtpUrl) throw new VigilError('REPORT_NOT_SENDABLE', 'vigil report creator --send: VIGIL_SMTP_URL is not set (the mail server takedown notices go through)');
  const db = await ctx.db();
  const chromium = io.env[CHROMIUM_ENV];
  const made = await makeCreatorReport(db.pool, name, period, chromium ? { chromium } : {});
  const dir = path.resolve(io.cwd, values.out ?? '.');
  const files = await writeCreatorReport(made, dir);
  const t = made.report.totals;
  print(io.stdout, `${made.report.works.length} work(s) of ${made.creator.name}, ${period.label}: ${t.found} link(s) found, ${t.removed} removed`);
  for (const f of files) print(io.stdout, `  wrote ${f}`);
  if (values.send) {
    const sent = await sendCreatorReport(db.pool, made, { smtpUrl: ctx.config.takedown.smtpUrl, trigger: 'cli', actor: `cli:${io.env.USER ?? 'unknown'}` });
    print(io.stdout, `e-mailed to ${sent.to} (${sent.messageId})`);
  }
  return 0;
}

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const [kind, ...rest] = argv;
  if (kind === 'usage') {
    const { values } = parse('report usage', rest, options, 0);
    if (values.period !== undefined || values.send) throw new VigilError('USAGE', 'vigil report usage takes --month, --format and --out (--period and --send are for vigil report creator)');
    return runUsage(values, io, ctx);
  }
  if (kind === 'creator') {
    const { values, positionals } = parse('report creator', rest, options, 1);
    if (values.month !== undefined || values.format !== 'table') throw new VigilError('USAGE', 'vigil report creator takes --period, --out and --send (--month and --format are for vigil report usage)');
    return runCreator(positionals[0], values, io, ctx);
  }
  throw new VigilError('USAGE', `vigil report: say which report, usage or creator, not ${JSON.stringify(kind ?? '')}`);
}
