/**
 * The worker process of `npm run bench:takedown`, as `vigil worker` runs in production: a process of
 * its own with its own pool, the outbox relay and the real takedown worker, sending through the SMTP
 * server process. The bench's process hands it the environment its configuration is loaded from
 * (BENCH_TAKEDOWN_ENV, JSON), the SMTP URL and the concurrency; `{ stop: true }` closes it gracefully.
 */
import type { Queue } from 'bullmq';
import { openQueue } from '../core/bullmq.js';
import { loadConfig } from '../core/config.js';
import { openDatabase } from '../core/db/database.js';
import { silentLogger } from '../core/log.js';
import { QUEUES, type QueueName } from '../core/queues.js';
import { openRedis } from '../core/redis.js';
import { queueAdder, startOutboxRelay } from '../core/relay.js';
import { createFetcher } from '../runners/monitor/fetch.js';
import { createNoticeChannels } from '../runners/takedown/channels/index.js';
import { bootstrapFrom } from '../runners/takedown/rdap-bootstrap.js';
import { startTakedownWorker } from '../runners/takedown/worker.js';

const config = loadConfig(JSON.parse(process.env.BENCH_TAKEDOWN_ENV ?? '{}') as Record<string, string>);
const db = await openDatabase(config, silentLogger);
const redis = await openRedis(config, silentLogger);
const queues = new Map<QueueName, Queue>();
const queueOf = (name: QueueName): Promise<Queue> => {
  const q = queues.get(name) ?? openQueue(name, redis, config.queuePrefix);
  queues.set(name, q);
  return Promise.resolve(q);
};
const relay = startOutboxRelay({ pool: db.pool, add: queueAdder(queueOf), log: silentLogger, intervalMs: 100 });
const takedown = { smtpUrl: process.env.BENCH_TAKEDOWN_SMTP_URL, lumenUrl: undefined, lumenToken: undefined, delistingDir: config.takedown.delistingDir };
const worker = startTakedownWorker({
  pool: db.pool, redis, queue: await queueOf(QUEUES.takedown), config: { ...config, takedown }, log: silentLogger, concurrency: Number(process.env.BENCH_TAKEDOWN_CONCURRENCY ?? 8),
  contacts: { rdap: { fetcher: createFetcher(), bootstrap: bootstrapFrom([]) }, resolver: () => Promise.reject(new Error('no DNS in the bench')) },
  channels: createNoticeChannels(takedown, { delisting: false }),
});

process.on('message', (message: { stop?: boolean }) => {
  if (!message.stop) return;
  void (async () => {
    await worker.close();
    await relay.stop();
    for (const q of queues.values()) await q.close();
    await db.close();
    redis.client().disconnect();
    await redis.stop();
    // BullMQ's blocking connections can outlive close(): exit once the parent has the message.
    process.send?.({ stopped: true }, () => process.exit(0));
  })();
});
await worker.waitUntilReady();
process.send?.({ ready: true });
