import { DelayedError, Worker, type Job, type Queue } from 'bullmq';
import type pg from 'pg';
import { bullConnection, jobError } from '../../core/bullmq.js';
import { takedownSettings, type TakedownSettings } from '../../core/catalog/takedown-policy.js';
import type { Config } from '../../core/config.js';
import { claimNotice, recordNoticeOutcome, type NoticeOutcome, type NoticeRecord, type ReceiptInput } from '../../core/db/notices.js';
import { appliedPolicy } from '../../core/db/policy.js';
import { VigilError } from '../../core/errors.js';
import { traced, type Logger } from '../../core/log.js';
import { QUEUES, type NoticePayload, type TakedownPayload, type TakedownRequestPayload } from '../../core/queues.js';
import type { RedisService } from '../../core/redis.js';
import { createNoticeChannels, deliverNotice, type DeliveryReceipt, type NoticeChannels } from './channels/index.js';
import { runComposePass, type ComposeResult } from './compose-pass.js';
import type { ContactDeps } from './contacts.js';
import type { Notice, NoticeWork } from './notice.js';
import { rdapClientFor } from './rdap.js';
import { recheckJobDeps, recheckPayloadOf, runRecheckJob, type RecheckJobResult } from './recheck-job.js';
import type { NoticeLanguage } from './templates/index.js';

/**
 * The takedown queue's worker, one handler per job name:
 * - 'finding' (one finding requested) or 'request' (a bulk request's findings): a compose pass is scheduled, one pending per batch window
 *   (the Policy's batch.waitSeconds), so a burst of requests becomes one pass and one notice per contact;
 * - 'compose': the pass (compose-pass.ts) that writes the notices and their 'notice' jobs;
 * - 'notice': claim, deliver through the channels, record (core/db/notices.ts); a failure that can
 *   pass is tried again after the Policy's backoff, doubling, until its attempts are spent;
 * - 'recheck': are a sent notice's links gone (recheck-job.ts, one job per notice and check)?
 */

export interface TakedownWorkerDeps {
  pool: pg.Pool;
  redis: RedisService;
  /** The takedown queue, to schedule compose passes on. */
  queue: Queue;
  config: Pick<Config, 'queuePrefix' | 'crawler' | 'mediaRoot' | 'takedown'>;
  log: Logger;
  contacts: Omit<ContactDeps, 'pool'>;
  channels?: NoticeChannels;
  concurrency?: number;
  /** BullMQ lock and stall check (ms): a killed worker's notice job is taken up again after about these. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  now?: () => Date;
}

export type NoticeJobResult =
  | { status: 'skipped'; reason: string }
  | { status: 'sent' | 'failed' | 'retry'; notice: number; attempt: number; recovered: boolean; reason?: string; retryInMs?: number };

export type TakedownJobResult = { status: 'scheduled'; composeJob: string; delayMs: number } | ComposeResult | NoticeJobResult | RecheckJobResult;

/**
 * Margin after a batch window before its pass runs, for the clocks of worker processes that differ.
 * Within one process none is needed: a 'request' job is handled after its findings committed, at a
 * time inside the window, so a pass that starts after the window ends reads them whether or not its
 * job was added again. Across processes a skew under this margin (NTP keeps hosts within a few ms) is
 * covered; a second, as before, only delayed every notice by a second.
 */
export const COMPOSE_MARGIN_MS = 250;

/**
 * The compose job for the batch window `at` falls in: runs once the window is over (plus
 * COMPOSE_MARGIN_MS), so every request made in the window is committed before its pass reads. With
 * no wait, each request gets a pass of its own (`trigger`, its job id): a shared id could be dropped
 * by BullMQ as a duplicate of a pass that already read the database.
 */
export function composeJobFor(at: Date, waitSeconds: number, trigger: string): { jobId: string; delayMs: number } {
  if (waitSeconds <= 0) return { jobId: `compose-after-${trigger}`, delayMs: 0 };
  const windowMs = waitSeconds * 1000;
  const window = Math.floor(at.getTime() / windowMs);
  const delayMs = (window + 1) * windowMs - at.getTime() + COMPOSE_MARGIN_MS;
  return { jobId: `compose-${windowMs}-${window}`, delayMs };
}

function noticeOf(record: NoticeRecord): Notice {
  return {
    to: record.contact, subject: record.subject, text: record.text, html: record.html, language: record.language as NoticeLanguage, dir: record.dir,
    urls: record.urls, findingIds: record.findingIds, works: record.works as unknown as NoticeWork[],
    // Checked when composed (finishNotice refuses a notice missing one); the text has not changed since.
    elements: { signature: true, works: true, material: true, contact: true, goodFaith: true, accuracy: true },
    part: record.part,
  };
}

function receiptInput(r: DeliveryReceipt, now: Date): ReceiptInput {
  if (r.status === 'sent') return { outcome: 'sent', channel: r.channel, at: r.at, externalId: r.id, details: r.details };
  return { outcome: 'failed', channel: r.channel, at: now, reason: r.reason, retryable: r.retryable, ...(r.code ? { code: r.code } : {}) };
}

export interface NoticeJobDeps extends Pick<TakedownWorkerDeps, 'pool' | 'log' | 'now'> {
  channels: NoticeChannels;
  /** The applied Policy's takedown settings; the worker reads them at most once a second. Default: read for this job. */
  settings?: () => Promise<TakedownSettings>;
}

/** One try of one notice; 'retry' tells the caller to run the job again after `retryInMs`. */
export async function runNoticeJob(deps: NoticeJobDeps, payload: NoticePayload): Promise<NoticeJobResult> {
  const now = deps.now ?? (() => new Date());
  // The claim brings the notice and what the channels need of its findings; the Policy is read beside it.
  const [claim, settings] = await Promise.all([
    claimNotice(deps.pool, payload.noticeId),
    deps.settings ? deps.settings() : appliedPolicy(deps.pool).then(takedownSettings),
  ]);
  if (!claim.claimed) return { status: 'skipped', reason: `notice ${payload.noticeId} is ${claim.status}` };
  const { notice, recovered } = claim;
  const log = traced(deps.log, { noticeId: notice.id, findingIds: notice.findingIds }).child({ attempt: notice.attempts });
  if (recovered) log.warn('notice taken up again after a worker stopped while sending it; it may reach its contact twice (same Message-ID)');
  const channel = deps.channels.byName(notice.channel);
  let receipts: ReceiptInput[];
  if (!channel) {
    receipts = [{ outcome: 'failed', channel: notice.channel, at: now(), reason: `the ${notice.channel} channel is not configured in this worker`, retryable: false, code: 'CHANNEL_NOT_CONFIGURED' }];
  } else {
    const delivered = await deliverNotice(noticeOf(notice), channel, deps.channels.alongside, { sender: notice.sender, log, findings: claim.findings, now });
    receipts = delivered.map((r) => receiptInput(r, now()));
  }
  const first = receipts[0]!;
  let outcome: NoticeOutcome;
  if (first.outcome === 'sent') outcome = { status: 'sent' };
  else if (first.retryable && notice.attempts < settings.delivery.attempts) outcome = { status: 'retry' };
  else outcome = { status: 'failed', reason: first.retryable ? `${first.reason} (after ${notice.attempts} attempts)` : first.reason };
  await recordNoticeOutcome(deps.pool, notice.id, receipts, outcome, { firstAfterMinutes: settings.recheck.firstAfterMinutes, now: now() });
  const base = { notice: notice.id, attempt: notice.attempts, recovered };
  if (outcome.status === 'retry') {
    const retryInMs = settings.delivery.backoffMinutes * 60_000 * 2 ** (notice.attempts - 1);
    log.warn({ reason: first.outcome === 'failed' ? first.reason : undefined, retryInMs }, 'notice not delivered; tried again later');
    return { ...base, status: 'retry', retryInMs, ...(first.outcome === 'failed' ? { reason: first.reason } : {}) };
  }
  if (outcome.status === 'failed') {
    log.error({ reason: outcome.reason }, 'notice not delivered; its findings are Failed');
    return { ...base, status: 'failed', reason: outcome.reason };
  }
  log.info({ to: notice.contact, channel: notice.channel }, 'notice sent; its findings are In Progress');
  return { ...base, status: 'sent' };
}

function noticePayloadOf(data: unknown): NoticePayload {
  const id = (data as Partial<NoticePayload> | null)?.noticeId;
  if (typeof id !== 'number' || !Number.isInteger(id) || id < 1) {
    throw new VigilError('JOB_PAYLOAD_INVALID', `a notice job needs { noticeId: integer ≥ 1 }, got ${JSON.stringify(data)?.slice(0, 200)}`);
  }
  return { noticeId: id };
}

/** The findings a 'finding' or 'request' job names, for its log line only (the compose pass reads the records). */
function findingIdsOf(data: unknown): number[] {
  const d = data as Partial<TakedownPayload & TakedownRequestPayload> | null;
  if (typeof d?.findingId === 'number') return [d.findingId];
  return Array.isArray(d?.findingIds) ? d.findingIds.filter((id) => typeof id === 'number') : [];
}

const POLICY_READ_EVERY_MS = 1000;

export function startTakedownWorker(deps: TakedownWorkerDeps): Worker<unknown, TakedownJobResult> {
  const channels = deps.channels ?? createNoticeChannels(deps.config.takedown);
  const closing = new AbortController();
  const recheckDeps = recheckJobDeps(deps.config, deps.pool, deps.log, closing.signal);
  const now = deps.now ?? (() => new Date());
  let scheduledCompose: string | undefined;
  let policyRead: { settings: Promise<TakedownSettings>; at: number } | undefined;
  // The Policy's takedown settings, read at most once a second: a burst of 'finding' jobs or of notices is not a burst of Policy reads.
  const settings = (): Promise<TakedownSettings> => {
    if (policyRead === undefined || Date.now() - policyRead.at > POLICY_READ_EVERY_MS) {
      const read = appliedPolicy(deps.pool).then(takedownSettings);
      // A failed read is not kept: the next job reads again.
      read.catch(() => { if (policyRead?.settings === read) policyRead = undefined; });
      policyRead = { settings: read, at: Date.now() };
    }
    return policyRead.settings;
  };
  const handle = async (job: Job<unknown, TakedownJobResult>, token?: string): Promise<TakedownJobResult> => {
    const log = traced(deps.log, { queue: QUEUES.takedown, ...(job.id ? { jobId: job.id } : {}) }).child({ name: job.name });
    switch (job.name) {
      case 'finding':
      case 'request': {
        const findingIds = findingIdsOf(job.data);
        const waitSeconds = (await settings()).batch.waitSeconds;
        const next = composeJobFor(now(), waitSeconds, String(job.id));
        // A bulk request brings a thousand 'finding' jobs in one window: the window's pass is added once per process
        // (it runs after the window, so it reads every one of them); BullMQ's id dedupes it across processes.
        if (waitSeconds <= 0 || scheduledCompose !== next.jobId) {
          await deps.queue.add('compose', {}, { jobId: next.jobId, ...(next.delayMs > 0 ? { delay: next.delayMs } : {}) });
          if (waitSeconds > 0) scheduledCompose = next.jobId;
        }
        log.info({ findingIds, composeJob: next.jobId, delayMs: next.delayMs }, 'takedown requested; compose pass scheduled');
        return { status: 'scheduled', composeJob: next.jobId, delayMs: next.delayMs };
      }
      case 'compose':
        return runComposePass({ pool: deps.pool, log, contacts: deps.contacts, channels, now });
      case 'notice': {
        const result = await runNoticeJob({ pool: deps.pool, log, channels, now, settings }, noticePayloadOf(job.data));
        if (result.status === 'retry') {
          // The Policy's backoff, not the queue's: the job waits as a delayed job and runs again.
          await job.moveToDelayed(Date.now() + (result.retryInMs ?? 0), token);
          throw new DelayedError();
        }
        return result;
      }
      case 'recheck':
        return runRecheckJob(recheckDeps, recheckPayloadOf(job.data));
      default:
        throw new VigilError('JOB_PAYLOAD_INVALID', `the takedown queue has no job named ${JSON.stringify(job.name)}; it takes finding, request, compose, notice and recheck`);
    }
  };
  const worker = new Worker<unknown, TakedownJobResult>(
    QUEUES.takedown,
    async (job, token) => {
      try {
        return await handle(job, token);
      } catch (error) {
        if (error instanceof DelayedError) throw error;
        throw jobError(error);
      }
    },
    {
      connection: bullConnection(deps.redis), prefix: deps.config.queuePrefix, concurrency: deps.concurrency ?? 4,
      ...(deps.lockDurationMs ? { lockDuration: deps.lockDurationMs } : {}),
      ...(deps.stalledIntervalMs ? { stalledInterval: deps.stalledIntervalMs } : {}),
      // A notice job whose worker died is taken up again (and its notice flagged recovered), not failed.
      maxStalledCount: 5,
    },
  );
  worker.on('failed', (job, error) => deps.log.error({ queue: QUEUES.takedown, jobId: job?.id, name: job?.name, attempt: job?.attemptsMade, err: error }, 'takedown job failed'));
  const close = worker.close.bind(worker);
  worker.close = async (force = false) => {
    // A forced close stops a re-check's fetch; a graceful one lets running jobs finish.
    if (force) closing.abort();
    try { await close(force); } finally { channels.close(); }
  };
  return worker;
}

/** The worker as `vigil worker` starts it: RDAP and channels from the configuration. */
export async function takedownWorkerFromConfig(deps: Omit<TakedownWorkerDeps, 'contacts'>, config: Config): Promise<Worker<unknown, TakedownJobResult>> {
  return startTakedownWorker({ ...deps, contacts: { rdap: await rdapClientFor(config) } });
}
