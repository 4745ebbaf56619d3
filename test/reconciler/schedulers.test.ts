import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Queue } from 'bullmq';
import { Redis as IORedis, type Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../core/bullmq.js';
import { loadCatalog } from '../../core/catalog/load.js';
import { loadConfig } from '../../core/config.js';
import { freePort } from '../../core/db/embedded.js';
import { silentLogger } from '../../core/log.js';
import { monitorSchedulerId, QUEUES } from '../../core/queues.js';
import { openRedis, type RedisService } from '../../core/redis.js';
import { apply } from '../../reconciler/apply.js';
import { desiredState } from '../../reconciler/desired.js';
import { bullmqSchedulers, watchSchedulers, type JobSchedulers } from '../../reconciler/schedulers.js';
import { openTestServices, type TestServices } from '../support/services.js';

/**
 * Redis holds work in flight, PostgreSQL the record: when Redis comes back empty, the monitoring
 * jobs' schedulers are registered again from monitoring_jobs. The Redis here is a private
 * redis-server without persistence on a port of its own, so it can be restarted and flushed.
 */

const CATALOG = `apiVersion: vigil/v1
kind: Content
metadata: { id: quiet }
spec: { type: film, title: The Quiet Quarry, releaseDate: 2026-01-01 }
---
apiVersion: vigil/v1
kind: Content
metadata: { id: later }
spec: { type: film, title: Later Lake, releaseDate: 2099-01-01 }
---
apiVersion: vigil/v1
kind: MonitoringJob
metadata: { id: quiet-watch }
spec: { content: quiet }
---
apiVersion: vigil/v1
kind: MonitoringJob
metadata: { id: later-watch }
spec: { content: later }
---
apiVersion: vigil/v1
kind: MonitoringJob
metadata: { id: stopped-watch }
spec: { content: quiet, stopped: true }
`;

let dir: string;
let port: number;
let server: ChildProcess | undefined;
let services: TestServices;
let redis: RedisService;
let queue: Queue;
let schedulers: JobSchedulers;

async function startRedisServer(): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const c = new IORedis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => undefined);
    const up = await c.connect().then(() => c.ping(), () => 'down').finally(() => c.disconnect());
    if (up === 'PONG') return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`redis-server on port ${port} did not start`);
}

async function stopRedisServer(): Promise<void> {
  if (!server || server.exitCode !== null) return;
  const exited = new Promise((r) => server!.once('exit', r));
  server.kill('SIGKILL');
  await exited;
  server = undefined;
}

const ids = async () => [...(await schedulers.list())].sort();

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-redis-restart-'));
  port = await freePort();
  server = await startRedisServer();
  services = await openTestServices();
  redis = await openRedis(loadConfig({ REDIS_URL: `redis://127.0.0.1:${port}` }), silentLogger);
  queue = openQueue(QUEUES.monitor, redis, services.config.queuePrefix);
  queue.on('error', () => undefined);
  schedulers = bullmqSchedulers(queue);
  const loaded = loadCatalog([{ path: 'catalog.yaml', content: CATALOG }]);
  await apply(services.db.pool, desiredState(loaded.catalog), { source: 'test', actor: 'test', now: new Date('2026-06-01T00:00:00Z'), schedulers });
}, 60_000);

afterAll(async () => {
  await queue?.close().catch(() => undefined);
  await stopRedisServer();
  await services?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('job schedulers restored from the database', () => {
  const expected = [monitorSchedulerId('later-watch'), monitorSchedulerId('quiet-watch')];

  it('come back after a Redis restart without persistence, for active jobs only, audited', async () => {
    expect(await ids()).toEqual(expected);
    const client: Redis = redis.client();
    client.on('error', () => undefined);
    // A long period: only the reconnection can bring them back within the test.
    const watch = watchSchedulers({ pool: services.db.pool, schedulers, redis: client, log: silentLogger, intervalMs: 3_600_000 });
    try {
      await stopRedisServer();
      server = await startRedisServer();
      await expect.poll(ids, { timeout: 30_000, interval: 250 }).toEqual(expected);
      const audit = await services.db.pool.query(`select actor, object_id, reason from audit_log where action = 'repair' order by object_id`);
      expect(audit.rows).toEqual([
        { actor: 'reconciler', object_id: 'later-watch', reason: 'job scheduler missing from Redis; restored from the database' },
        { actor: 'reconciler', object_id: 'quiet-watch', reason: 'job scheduler missing from Redis; restored from the database' },
      ]);
    } finally {
      await watch.stop();
      client.disconnect();
    }
  }, 60_000);

  it('come back after a FLUSHALL, on the periodic check', async () => {
    const client: Redis = redis.client();
    client.on('error', () => undefined);
    const watch = watchSchedulers({ pool: services.db.pool, schedulers, redis: client, log: silentLogger, intervalMs: 200 });
    try {
      await client.flushall();
      await expect.poll(ids, { timeout: 30_000, interval: 250 }).toEqual(expected);
    } finally {
      await watch.stop();
      client.disconnect();
    }
  }, 60_000);
});
