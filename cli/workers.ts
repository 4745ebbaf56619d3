import type { Worker } from 'bullmq';
import { VigilError } from '../core/errors.js';
import { observeJobs } from '../core/job-metrics.js';
import { QUEUES, type QueueName } from '../core/queues.js';
import { queueAdder, startOutboxRelay } from '../core/relay.js';
import { bullmqSchedulers, watchSchedulers } from '../reconciler/schedulers.js';
import { startReconcileWorker } from '../reconciler/worker.js';
import { startMonitorWorker } from '../runners/monitor/worker.js';
import { startDetectWorker, startEmbedWorker } from '../runners/watermark/worker.js';
import { takedownWorkerFromConfig } from '../runners/takedown/worker.js';
import { CHROMIUM_ENV } from '../runners/monitor/browser.js';
import { registerReportSchedulers, startReportWorker } from '../runners/report/worker.js';
import { evidenceBuilder } from '../runners/evidence/builder.js';
import { packageVersion } from './version.js';
import { startSlackJobs } from '../bot/slack/run.js';
import type { Context } from './context.js';
import { openRevoker } from './revoker.js';

type Starter = (ctx: Context) => Promise<Worker>;

/** The queues this build can work on, and how to start a worker for each. */
export const WORKERS: Partial<Record<QueueName, Starter>> = {
  [QUEUES.reconcile]: async (ctx) => {
    const db = await ctx.db();
    const schedulers = bullmqSchedulers(await ctx.monitorQueue());
    return startReconcileWorker({ pool: db.pool, schedulers, log: ctx.log, sourceEnvPrefix: ctx.config.sourceEnvPrefix }, await ctx.redis(), ctx.config);
  },
  [QUEUES.monitor]: async (ctx) => startMonitorWorker({ pool: (await ctx.db()).pool, log: ctx.log, config: ctx.config }, await ctx.redis()),
  [QUEUES.embed]: async (ctx) => startEmbedWorker({ redis: await ctx.redis(), config: ctx.config, log: ctx.log, env: ctx.io.env, cwd: ctx.io.cwd, pool: async () => (await ctx.db()).pool }),
  // Only when named (vigil worker --queues slack): the bot's own process does these jobs unless told otherwise.
  [QUEUES.slack]: async (ctx) => {
    const pool = (await ctx.db()).pool;
    const revocations = await openRevoker(ctx);
    const worker = startSlackJobs({
      pool, redis: await ctx.redis(), queue: await ctx.queue(QUEUES.slack), queuePrefix: ctx.config.queuePrefix,
      config: ctx.config.slack, github: ctx.config.github, log: ctx.log,
      evidence: evidenceBuilder({ pool, config: ctx.config, software: `Vigil ${packageVersion()}` }),
      revoker: revocations.revoker,
    });
    worker.on('closed', () => revocations.close());
    return worker;
  },
  [QUEUES.takedown]: async (ctx) => takedownWorkerFromConfig({
    pool: (await ctx.db()).pool, redis: await ctx.redis(), queue: await ctx.queue(QUEUES.takedown), config: ctx.config, log: ctx.log,
  }, ctx.config),
  [QUEUES.detect]: async (ctx) => startDetectWorker({ redis: await ctx.redis(), config: ctx.config, log: ctx.log, env: ctx.io.env, cwd: ctx.io.cwd, pool: async () => (await ctx.db()).pool }),
  // The monthly usage message and the quarterly creator reports: the worker registers their job schedulers (upserts, so every start may).
  [QUEUES.report]: async (ctx) => {
    await registerReportSchedulers(await ctx.queue(QUEUES.report));
    const chromium = ctx.io.env[CHROMIUM_ENV];
    return startReportWorker({ pool: (await ctx.db()).pool, config: ctx.config, log: ctx.log, ...(chromium ? { chromium } : {}) }, await ctx.redis(), ctx.config.queuePrefix);
  },
};

/** Queues a worker serves only when asked by name: the slack queue belongs with the bot (vigil slack) by default. */
const ONLY_WHEN_NAMED: readonly QueueName[] = [QUEUES.slack];

export function parseQueues(list: string | undefined): QueueName[] {
  const available = Object.keys(WORKERS) as QueueName[];
  if (!list) return available.filter((q) => !ONLY_WHEN_NAMED.includes(q));
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of names) {
    if (!(available as string[]).includes(name)) {
      throw new VigilError('USAGE', `no worker for queue ${JSON.stringify(name)}; this build has: ${available.join(', ')}`);
    }
  }
  return names as QueueName[];
}

/**
 * Starts workers and resolves when `signal` aborts and they have finished their current jobs. Every
 * worker process also relays the outbox (follow-up jobs written with their records) to the queues;
 * one serving the reconcile queue also restores job schedulers that Redis lost.
 */
export async function runWorkers(ctx: Context, queues: QueueName[], signal: AbortSignal): Promise<void> {
  const workers = await Promise.all(queues.map((q) => WORKERS[q]!(ctx)));
  for (const worker of workers) observeJobs(worker);
  const pool = (await ctx.db()).pool;
  const relay = startOutboxRelay({ pool, add: queueAdder((name) => ctx.queue(name)), log: ctx.log });
  const watchClient = queues.includes(QUEUES.reconcile) ? (await ctx.redis()).client() : undefined;
  watchClient?.on('error', () => undefined); // reconnects by itself; each failed check is logged
  const watch = watchClient ? watchSchedulers({ pool, schedulers: bullmqSchedulers(await ctx.monitorQueue()), redis: watchClient, log: ctx.log }) : undefined;
  ctx.log.info({ queues }, 'workers started');
  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  ctx.log.info('stopping workers after their current jobs');
  await Promise.all(workers.map((w) => w.close()));
  await relay.stop();
  await watch?.stop();
  watchClient?.disconnect();
}
