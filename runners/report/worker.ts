import { webApi } from '@slack/bolt';
import { Worker, type Job, type Queue } from 'bullmq';
import type pg from 'pg';
import { bullConnection, classified, JOB_OPTIONS } from '../../core/bullmq.js';
import type { Config } from '../../core/config.js';
import { appliedPolicy } from '../../core/db/policy.js';
import { recordReportDelivery, scheduledReportSent } from '../../core/db/report-deliveries.js';
import { isVigilError, VigilError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { QUEUES } from '../../core/queues.js';
import type { RedisService } from '../../core/redis.js';
import { redactedMessage } from '../../core/redact.js';
import { appliedCreators } from './creator-data.js';
import { makeCreatorReport, sendCreatorReport } from './creator-run.js';
import { previousMonth, previousQuarter } from './period.js';
import { usageRows } from './usage.js';
import { loadUsageJobs } from './usage-data.js';
import { usageSlackText } from './usage-format.js';

/**
 * The report queue: two BullMQ job schedulers, like the monitoring jobs' (upserted by id, so a
 * restart or a second worker registers nothing twice). On the first of each month the usage of the
 * month before is posted to Slack (the Policy's channels.reports) through the Web API as the bot
 * posts; on the first of each quarter every creator with an e-mail address gets the report of the
 * quarter before. Each (report, subject, period) is sent once: a retried job skips what went.
 */

export const REPORT_SCHEDULES = {
  usage: { id: 'report:usage-monthly', name: 'usage-monthly', pattern: '0 9 1 * *' },
  creators: { id: 'report:creators-quarterly', name: 'creators-quarterly', pattern: '0 9 1 1,4,7,10 *' },
} as const;

export async function registerReportSchedulers(queue: Queue): Promise<void> {
  for (const s of Object.values(REPORT_SCHEDULES)) {
    await queue.upsertJobScheduler(s.id, { pattern: s.pattern, tz: 'UTC' }, { name: s.name, data: {}, opts: JOB_OPTIONS[QUEUES.report] });
  }
}

export interface ReportDeps {
  pool: pg.Pool;
  config: Pick<Config, 'slack' | 'takedown'>;
  log: Logger;
  chromium?: string;
}

/**
 * The moment whose period before it a job reports: when the scheduler meant it to run (its creation
 * plus its delay; a retry keeps both), so a late run reports the right period; but never later than
 * `now`: a job run early (promoted, "run now") keeps its delay in its options, and would otherwise
 * send, once and for good, the report of a period that has not ended.
 */
export function dueAt(job: Pick<Job, 'timestamp' | 'opts'>, now = new Date()): Date {
  return new Date(Math.min(job.timestamp + (job.opts.delay ?? 0), now.getTime()));
}

export type UsagePostResult = { posted: false; why: string } | { posted: true; channel: string; ts: string | undefined };

/** Posts the usage of the month before `due` to the Policy's channels.reports, once per month. */
export async function postMonthlyUsage(deps: ReportDeps, due: Date): Promise<UsagePostResult> {
  const month = previousMonth(due);
  if (await scheduledReportSent(deps.pool, 'usage', 'all', month.label)) return { posted: false, why: `usage ${month.label} was already posted` };
  const channel = (await appliedPolicy(deps.pool)).channels?.reports;
  if (!channel) return { posted: false, why: 'the Policy names no channels.reports' };
  if (!deps.config.slack.botToken) return { posted: false, why: 'SLACK_BOT_TOKEN is not set' };
  const rows = usageRows(await loadUsageJobs(deps.pool, month), month, due);
  const client = new webApi.WebClient(deps.config.slack.botToken, { slackApiUrl: deps.config.slack.apiUrl, logLevel: webApi.LogLevel.ERROR, retryConfig: { retries: 2, maxTimeout: 2000 } });
  let answer;
  try {
    answer = await client.chat.postMessage({ channel, text: usageSlackText(rows, month), unfurl_links: false, mrkdwn: true });
  } catch (error) {
    // Slack refusing (channel_not_found, not_in_channel) is told; the job retries with backoff.
    throw new VigilError('SLACK_API_FAILED', `posting the usage report ${month.label} to ${channel}: ${redactedMessage(error)}`, { cause: error });
  }
  await recordReportDelivery(deps.pool, { kind: 'usage', subject: 'all', period: month.label, channel: 'slack', target: channel, messageId: answer.ts ?? null, trigger: 'schedule' }, 'report-schedule');
  return { posted: true, channel, ts: answer.ts };
}

/** E-mails each creator with an address the report of the quarter before `due`, once per creator and quarter. */
export async function sendQuarterlyReports(deps: ReportDeps, due: Date): Promise<{ sent: string[]; skipped: string[] }> {
  const period = previousQuarter(due);
  const sent: string[] = [];
  const skipped: string[] = [];
  for (const creator of await appliedCreators(deps.pool)) {
    if (!creator.email) { skipped.push(`${creator.name}: no creator.email`); continue; }
    if (await scheduledReportSent(deps.pool, 'creator', creator.name.toLowerCase(), period.label)) { skipped.push(`${creator.name}: already sent`); continue; }
    let result;
    try {
      const made = await makeCreatorReport(deps.pool, creator, period, deps.chromium ? { chromium: deps.chromium } : {});
      result = await sendCreatorReport(deps.pool, made, { smtpUrl: deps.config.takedown.smtpUrl, trigger: 'schedule', actor: 'report-schedule' });
    } catch (error) {
      // A setting missing for everyone (no SMTP, no sender) is logged per creator and not retried; a mail server fault retries the job, which skips those sent.
      if (!isVigilError(error, 'REPORT_NOT_SENDABLE')) throw error;
      deps.log.warn({ event: 'report.not-sent', creator: creator.name, period: period.label, err: error }, 'creator report not e-mailed');
      skipped.push(`${creator.name}: ${error.message}`);
      continue;
    }
    deps.log.info({ event: 'report.sent', creator: creator.name, period: period.label, to: result.to, messageId: result.messageId }, 'creator report e-mailed');
    sent.push(creator.name);
  }
  return { sent, skipped };
}

export function startReportWorker(deps: ReportDeps, redis: RedisService, prefix: string): Worker {
  const worker = new Worker(
    QUEUES.report,
    classified(async (job: Job) => {
      const log = deps.log.child({ queueJob: job.id, report: job.name });
      const due = dueAt(job);
      if (job.name === REPORT_SCHEDULES.usage.name) {
        const result = await postMonthlyUsage({ ...deps, log }, due);
        if (!result.posted) log.warn({ why: result.why }, 'monthly usage report not posted');
        return result;
      }
      if (job.name === REPORT_SCHEDULES.creators.name) {
        const result = await sendQuarterlyReports({ ...deps, log }, due);
        log.info(result, 'quarterly creator reports done');
        return result;
      }
      throw new VigilError('JOB_PAYLOAD_INVALID', `the report queue has no job named ${JSON.stringify(job.name)}`);
    }),
    // Reports print PDFs with Chromium: one at a time per worker process.
    { connection: bullConnection(redis), prefix, concurrency: 1 },
  );
  worker.on('failed', (job, error) => deps.log.error({ queueJob: job?.id, attempt: job?.attemptsMade, err: error }, 'report job failed'));
  return worker;
}
