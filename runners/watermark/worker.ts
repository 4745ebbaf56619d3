/**
 * BullMQ workers for the embed and detect queues. They run the very functions `vigil embed` and
 * `vigil detect` run; a job's payload holds the same fields as the command line. Progress goes to
 * job.updateProgress; a job is cancelled by `requestCancel` (a flag in Redis) or by removing it,
 * which aborts the run: ffmpeg children are killed and no partial output is left.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { bullConnection, classified } from '../../core/bullmq.js';
import type { Config } from '../../core/config.js';
import { VigilError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { QUEUES, type DetectPayload, type EmbedPayload, type FindingDetectionPayload, type LinkDetectionPayload } from '../../core/queues.js';
import type { RedisService } from '../../core/redis.js';
import { removeDeadRunLeftovers } from '../media/leftovers.js';
import { runDetectCommand, type DetectOutcome } from './detect.js';
import { runEmbedCommand } from './embed.js';
import { detectFinding, WorkerClosing, type FindingDetectionResult } from './finding-detection.js';
import { detectLink, type UrlDetectionResult } from './url-detection.js';

/** A leak file (as `vigil detect` takes it), a finding whose leaked copy is downloaded first, or a link a person gave ('url'). */
export type DetectJobPayload = DetectPayload | FindingDetectionPayload | LinkDetectionPayload;

export interface EmbedJobResult {
  outputs: { output: string; recipient: string; watermarkId: number; allocated: boolean }[];
  frames: number;
  elapsedMs: number;
}

export type DetectJobResult = Omit<DetectOutcome, 'native' | 'byKey'> | FindingDetectionResult | UrlDetectionResult;

export interface WatermarkWorkerDeps {
  redis: RedisService;
  config: Config;
  log: Logger;
  env: Record<string, string | undefined>;
  /** Relative paths in payloads are resolved against this. */
  cwd: string;
  /** The database: embed resolves allocations and writes the ledger there; detect looks up recipients. */
  pool?: () => Promise<pg.Pool>;
  /** How often a running job checks for cancellation (ms). */
  cancelPollMs?: number;
  concurrency?: number;
}

type WatermarkQueue = typeof QUEUES.embed | typeof QUEUES.detect;

/** The Redis key whose presence cancels a job; BullMQ-prefixed so it lives in the queue's slot. */
export function cancelKey(prefix: string, queue: WatermarkQueue, jobId: string): string {
  return `${prefix}:${queue}:cancel:${jobId}`;
}

/** Asks a running (or not yet started) job to stop; the flag expires after a day. */
export async function requestCancel(client: Redis, prefix: string, queue: WatermarkQueue, jobId: string): Promise<void> {
  await client.set(cancelKey(prefix, queue, jobId), '1', 'EX', 86_400);
}

/**
 * An AbortController for one job: aborted when the cancel flag appears, when the job is removed
 * from the queue, or when the worker closes.
 */
function watchCancel(job: Job, queue: WatermarkQueue, deps: WatermarkWorkerDeps, client: Redis, closing: AbortSignal): { signal: AbortSignal; stop(): void } {
  const controller = new AbortController();
  const key = cancelKey(deps.config.queuePrefix, queue, job.id!);
  const check = async (): Promise<void> => {
    if (controller.signal.aborted) return;
    if (await client.exists(key)) controller.abort(new Error('cancelled'));
    else if ((await job.getState()) === 'unknown') controller.abort(new Error('job removed'));
  };
  const timer = setInterval(() => void check().catch(() => undefined), deps.cancelPollMs ?? 500);
  void check().catch(() => undefined);
  const onClose = (): void => controller.abort(new WorkerClosing());
  closing.addEventListener('abort', onClose, { once: true });
  return {
    signal: controller.signal,
    stop() {
      clearInterval(timer);
      closing.removeEventListener('abort', onClose);
    },
  };
}

function progressReporter(job: Job): (p: { fraction: number; frames: number }) => void {
  let last = -1;
  return (p) => {
    const pct = Math.floor(p.fraction * 100);
    if (pct === last) return;
    last = pct;
    void job.updateProgress({ percent: pct, frames: p.frames }).catch(() => undefined);
  };
}

function startWorker<P, R>(queue: WatermarkQueue, deps: WatermarkWorkerDeps, work: (job: Job<P>, signal: AbortSignal) => Promise<R>): Worker<P, R> {
  const client = deps.redis.client();
  const closing = new AbortController();
  const worker = new Worker<P, R>(
    queue,
    classified(async (job: Job<P>) => {
      const watch = watchCancel(job, queue, deps, client, closing.signal);
      try {
        return await work(job, watch.signal);
      } catch (error) {
        // Cancelled by a person (or removed): final. Stopped because the worker closes: tried again.
        if (watch.signal.aborted && !closing.signal.aborted) throw new UnrecoverableError(`cancelled: ${(error as Error).message}`);
        throw error;
      } finally {
        watch.stop();
      }
    }),
    // Media jobs are long: lock renewal keeps them ours; one at a time by default (ffmpeg uses the cores).
    { connection: bullConnection(deps.redis), prefix: deps.config.queuePrefix, concurrency: deps.concurrency ?? 1, lockDuration: 60_000 },
  );
  worker.on('failed', (job, error) => deps.log.error({ queue, jobId: job?.id, err: error }, `${queue} job failed`));
  const close = worker.close.bind(worker);
  // On a forced close (worker.close(true)) running jobs are aborted; on a graceful one they finish.
  worker.close = async (force = false) => {
    if (force) closing.abort();
    try {
      await close(force);
    } finally {
      client.disconnect();
    }
  };
  return worker;
}

export function startEmbedWorker(deps: WatermarkWorkerDeps): Worker<EmbedPayload, EmbedJobResult> {
  // Leftovers of a worker that was killed mid-job (its pipe folder) go at start; partial outputs
  // go when a job next writes to their folder.
  void removeDeadRunLeftovers([], deps.log).catch(() => undefined);
  return startWorker<EmbedPayload, EmbedJobResult>(QUEUES.embed, deps, async (job, signal) => {
    const log = deps.log.child({ queue: QUEUES.embed, jobId: job.id });
    if (!deps.pool) throw new Error('the embed worker needs the database');
    const summary = await runEmbedCommand(
      { job: job.data.job, input: job.data.input, recipients: job.data.recipients, ids: job.data.ids, outDir: job.data.outDir, output: job.data.output, unallocatedLab: job.data.unallocatedLab, preset: job.data.preset },
      { env: deps.env, cwd: deps.cwd, pool: deps.pool, actor: 'worker', queueJobId: job.id, signal, log, onProgress: progressReporter(job) },
    );
    return {
      outputs: summary.outputs.map((o) => ({ output: o.output, recipient: o.recipient.name, watermarkId: o.recipient.watermarkId, allocated: o.recipient.allocated })),
      frames: summary.frames,
      elapsedMs: summary.elapsedMs,
    };
  });
}

export function startDetectWorker(deps: WatermarkWorkerDeps): Worker<DetectJobPayload, DetectJobResult> {
  return startWorker<DetectJobPayload, DetectJobResult>(QUEUES.detect, deps, async (job, signal) => {
    const log = deps.log.child({ queue: QUEUES.detect, jobId: job.id });
    if (job.name === 'url' || 'requestId' in job.data) {
      if (!deps.pool) throw new Error('detection on a link needs the database');
      const { requestId } = job.data as Partial<LinkDetectionPayload>;
      if (!Number.isSafeInteger(requestId) || requestId! < 1) throw new VigilError('JOB_PAYLOAD_INVALID', `a 'url' detect job needs { requestId: a positive integer }, got ${JSON.stringify(job.data)}`);
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const result = await detectLink({ pool: await deps.pool(), config: deps.config, log, env: deps.env, cwd: deps.cwd, signal }, requestId!, lastAttempt);
      if (result.status === 'retry') throw new Error(`detection on link request ${requestId} did not complete: ${result.reason}`);
      // The error is on the request (its reason); a job's return value is JSON.
      const { error: _error, ...kept } = result;
      return kept;
    }
    if ('findingId' in job.data) {
      if (!deps.pool) throw new Error('detection on a finding needs the database');
      const { findingId } = job.data;
      if (!Number.isSafeInteger(findingId) || findingId < 1) throw new VigilError('JOB_PAYLOAD_INVALID', `a detect job on a finding needs { findingId: a positive integer }, got ${JSON.stringify(job.data)}`);
      const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      const result = await detectFinding({ pool: await deps.pool(), config: deps.config, log, env: deps.env, cwd: deps.cwd, signal }, findingId, lastAttempt);
      // A fault that can pass (the network, our side), not yet on the last attempt: the finding stays
      // Downloading and BullMQ tries again with backoff; every final state is on the finding already.
      if (result.status === 'retry') throw new Error(`detection on finding ${findingId} did not complete: ${result.reason}`);
      return result;
    }
    const { native: _native, byKey: _cells, ...outcome } = await runDetectCommand({ leak: job.data.leak, ...(job.data.original ? { original: job.data.original } : {}) }, { env: deps.env, cwd: deps.cwd, pool: deps.pool, signal, log, onProgress: progressReporter(job) });
    return outcome;
  });
}
