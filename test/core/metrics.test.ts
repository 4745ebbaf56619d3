import { UnrecoverableError, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullConnection, openQueue } from '../../core/bullmq.js';
import { recordFinding } from '../../core/db/findings.js';
import { observeJobs } from '../../core/job-metrics.js';
import { metricsText } from '../../core/metrics.js';
import { startMetricsServer } from '../../core/metrics-server.js';
import { watchQueueDepths } from '../../core/queue-metrics.js';
import { QUEUES } from '../../core/queues.js';
import { watchRecordCounts } from '../../core/record-metrics.js';
import { hostOf, normalizeUrl } from '../../core/url.js';
import { openTestServices, type TestServices } from '../support/services.js';

let services: TestServices;
beforeAll(async () => (services = await openTestServices()));
afterAll(() => services.close());

const sample = (text: string, series: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('process metrics', () => {
  it('read queue depths and the oldest waiting job from Redis when scraped', async () => {
    const queue = openQueue(QUEUES.report, services.redis, services.config.queuePrefix);
    const stop = watchQueueDepths([queue]);
    try {
      await queue.add('a', {}, { jobId: 'first' });
      await new Promise((r) => setTimeout(r, 1100));
      await queue.add('b', {}, { jobId: 'second' });
      await queue.add('c', {}, { jobId: 'later', delay: 60_000 });
      await new Promise((r) => setTimeout(r, 1100)); // past the one-second reuse of a scrape's reads
      const { body } = await metricsText();
      expect(sample(body, 'vigil_queue_jobs{queue="report",state="waiting"}')).toBe(2);
      expect(sample(body, 'vigil_queue_jobs{queue="report",state="delayed"}')).toBe(1);
      // The oldest is the first job added, over two seconds ago, not the second.
      expect(sample(body, 'vigil_queue_oldest_waiting_seconds{queue="report"}')).toBeGreaterThanOrEqual(2);
    } finally {
      stop();
      await queue.close();
    }
  });

  it('count findings and notices by status in PostgreSQL when scraped', async () => {
    const stop = watchRecordCounts(services.db.pool);
    try {
      for (const [i, takedownStatus] of (['Available', 'Available', 'Takedown requested'] as const).entries()) {
        const url = `https://pirate.example/watch/${i}`;
        await recordFinding(services.db.pool, {
          contentId: 'c', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: 't', source: 'web', score: 10, evidence: {},
          takedownStatus, detectionStatus: i === 0 ? 'Completed' : 'Not Available',
        }, { actor: 'test', reason: 'fixture' });
      }
      await new Promise((r) => setTimeout(r, 1100));
      const { body } = await metricsText();
      expect(sample(body, 'vigil_findings_takedown{status="Available"}')).toBe(2);
      expect(sample(body, 'vigil_findings_takedown{status="Takedown requested"}')).toBe(1);
      expect(sample(body, 'vigil_findings_detection{status="Completed"}')).toBe(1);
      expect(sample(body, 'vigil_findings_detection{status="Not Available"}')).toBe(2);
      expect(body).not.toMatch(/^vigil_notices\{/m);
    } finally {
      stop();
    }
  });

  it('time the jobs a worker finishes and count failures, final for a wrong input', async () => {
    const queue = openQueue(QUEUES.revoke, services.redis, services.config.queuePrefix);
    const worker = new Worker(QUEUES.revoke, async (job) => {
      await new Promise((r) => setTimeout(r, 50));
      if (job.name === 'bad') throw new UnrecoverableError('wrong input');
      return 'ok';
    }, { connection: bullConnection(services.redis), prefix: services.config.queuePrefix });
    observeJobs(worker);
    const before = await metricsText();
    const done = sample(before.body, 'vigil_job_duration_seconds_count{queue="revoke",outcome="completed"}') ?? 0;
    const final = sample(before.body, 'vigil_job_failures_total{queue="revoke",final="true"}') ?? 0;
    try {
      const finished = new Promise<void>((resolve) => {
        let n = 0;
        const one = (): void => { if (++n === 3) resolve(); };
        worker.on('completed', one);
        worker.on('failed', one);
      });
      await queue.add('good', {});
      await queue.add('good', {});
      await queue.add('bad', {}, { attempts: 5 });
      await finished;
      const { body } = await metricsText();
      expect(sample(body, 'vigil_job_duration_seconds_count{queue="revoke",outcome="completed"}')).toBe(done + 2);
      expect(sample(body, 'vigil_job_duration_seconds_sum{queue="revoke",outcome="completed"}')).toBeGreaterThanOrEqual(0.09);
      expect(sample(body, 'vigil_job_failures_total{queue="revoke",final="true"}')).toBe(final + 1);
    } finally {
      await worker.close();
      await queue.close();
    }
  });

  it('serve /metrics on a port of their own, and refuse a port set that is taken (VIGIL-E0740)', async () => {
    const server = await startMetricsServer({ port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(server.url);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      expect(await res.text()).toMatch(/^# TYPE vigil_queue_jobs gauge$/m);
      expect((await fetch(new URL('/other', server.url))).status).toBe(404);
      const port = Number(new URL(server.url).port);
      await expect(startMetricsServer({ port, host: '127.0.0.1' })).rejects.toMatchObject({ code: 'VIGIL-E0740', message: expect.stringContaining(`127.0.0.1:${port}`) });
    } finally {
      await server.close();
    }
  });
});
