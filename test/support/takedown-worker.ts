/**
 * The takedown worker and the outbox relay as a process of their own, for tests that SIGKILL it:
 * started with the test's environment (DATABASE_URL, REDIS_URL, VIGIL_QUEUE_PREFIX, VIGIL_SMTP_URL),
 * with short BullMQ locks so a killed worker's jobs are taken up again within seconds.
 */
import { openQueue } from '../../core/bullmq.js';
import { loadConfig } from '../../core/config.js';
import { openDatabase } from '../../core/db/database.js';
import { silentLogger } from '../../core/log.js';
import { QUEUES, type QueueName } from '../../core/queues.js';
import { openRedis } from '../../core/redis.js';
import { queueAdder, startOutboxRelay } from '../../core/relay.js';
import { rdapClientFor } from '../../runners/takedown/rdap.js';
import { startTakedownWorker } from '../../runners/takedown/worker.js';

const config = loadConfig(process.env);
const db = await openDatabase(config, silentLogger);
const redis = await openRedis(config, silentLogger);
const queue = (name: QueueName) => Promise.resolve(openQueue(name, redis, config.queuePrefix));
startOutboxRelay({ pool: db.pool, add: queueAdder(queue), log: silentLogger, intervalMs: 100 });
startTakedownWorker({
  pool: db.pool, redis, queue: openQueue(QUEUES.takedown, redis, config.queuePrefix), config, log: silentLogger,
  contacts: { rdap: await rdapClientFor(config) }, concurrency: 4, lockDurationMs: 1500, stalledIntervalMs: 500,
});
process.stdout.write('ready\n');
