import type { Job, Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../../core/bullmq.js';
import { silentLogger } from '../../../core/log.js';
import { QUEUES } from '../../../core/queues.js';
import { previousQuarter } from '../../../runners/report/period.js';
import { REPORT_SCHEDULES, registerReportSchedulers, startReportWorker } from '../../../runners/report/worker.js';
import { applyCatalog } from '../../support/applied-catalog.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { startMailServer, type MailServer } from '../takedown/channels/mail-server.js';

/**
 * The quarterly creator report through BullMQ on the real Redis: the job scheduler `vigil worker`
 * registers is there with its pattern, its delayed job is made due now (as an operator's "run now"
 * does: promote), the report worker takes it and e-mails the report over a real SMTP server, and
 * the next firing, for the same quarter, sends nothing: the once-only record is report_deliveries
 * in PostgreSQL (migration 20), not anything in Redis.
 */

const catalog = [
  `apiVersion: vigil/v1\nkind: Policy\nmetadata:\n  id: policy\nspec:\n  noticeSender: { name: Dana Reyes, organization: Harbor Anti-Piracy, email: antipiracy@harbor.example }\n`,
  `apiVersion: vigil/v1\nkind: Content\nmetadata:\n  id: sky-garden\nspec:\n  type: film\n  title: Sky Garden\n  releaseDate: 2026-01-01\n  creator: { name: Hana Studio, email: hana@studio.example }\n`,
];

let services: TestServices;
let mail: MailServer;
let queue: Queue;
let worker: Worker;

beforeAll(async () => {
  services = await openTestServices();
  mail = await startMailServer({ user: 'reports', pass: 's3cret-pass' });
  await applyCatalog(services.db.pool, ...catalog);
  queue = openQueue(QUEUES.report, services.redis, services.config.queuePrefix);
  const config = { slack: services.config.slack, takedown: { ...services.config.takedown, smtpUrl: mail.url() } };
  worker = startReportWorker({ pool: services.db.pool, config, log: silentLogger }, services.redis, services.config.queuePrefix);
});

afterAll(async () => {
  await worker?.close();
  await queue?.close();
  await mail?.close();
  await services?.close();
});

/** The scheduler's waiting iteration: BullMQ keeps exactly one delayed job per scheduler. */
async function nextIteration(): Promise<Job> {
  let job: Job | undefined;
  await expect.poll(async () => {
    job = (await queue.getDelayed()).find((j) => j.name === REPORT_SCHEDULES.creators.name);
    return job?.id;
  }, { timeout: 10_000 }).toBeDefined();
  return job!;
}

/** Fires the iteration now and waits for the worker's answer. */
async function fire(job: Job): Promise<{ sent: string[]; skipped: string[] }> {
  await job.promote();
  let done: Job | undefined;
  await expect.poll(async () => {
    done = await queue.getJob(job.id!);
    return done?.finishedOn;
  }, { timeout: 60_000, interval: 200 }).toBeDefined();
  expect(done!.failedReason).toBeUndefined();
  return done!.returnvalue as { sent: string[]; skipped: string[] };
}

describe('the quarterly creator report on its BullMQ schedule', () => {
  it('is registered once as a job scheduler for 09:00 UTC on the first day of each quarter', async () => {
    await registerReportSchedulers(queue);
    await registerReportSchedulers(queue); // a restart, or a second worker: upserted, not doubled
    const scheduler = await queue.getJobScheduler(REPORT_SCHEDULES.creators.id);
    expect(scheduler).toMatchObject({ pattern: '0 9 1 1,4,7,10 *', tz: 'UTC', name: 'creators-quarterly' });
    const next = new Date(scheduler!.next!);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect([0, 3, 6, 9]).toContain(next.getUTCMonth());
    expect([next.getUTCDate(), next.getUTCHours(), next.getUTCMinutes()]).toEqual([1, 9, 0]);
    expect((await queue.getDelayed()).filter((j) => j.name === REPORT_SCHEDULES.creators.name)).toHaveLength(1);
  });

  it('e-mails the report of the quarter before over SMTP when the job fires, and sends nothing when it fires again for the same quarter', async () => {
    // Fired now, the job reports the last quarter that has ended before now.
    const quarter = previousQuarter(new Date()).label;
    const first = await fire(await nextIteration());
    expect(first).toEqual({ sent: ['Hana Studio'], skipped: [] });
    expect(mail.received).toHaveLength(1);
    expect(mail.received[0]!.to).toEqual(['hana@studio.example']);
    expect(mail.received[0]!.raw).toMatch(new RegExp(`^Subject: Enforcement report for Hana Studio, ${quarter}$`, 'm'));
    const deliveries = await services.db.pool.query(`select kind, subject, period, channel, target, trigger from report_deliveries`);
    expect(deliveries.rows).toEqual([{ kind: 'creator', subject: 'hana studio', period: quarter, channel: 'smtp', target: 'hana@studio.example', trigger: 'schedule' }]);

    // Taking the job made the scheduler queue its next iteration; fired now too, it is for the same quarter.
    const again = await fire(await nextIteration());
    expect(again).toEqual({ sent: [], skipped: ['Hana Studio: already sent'] });
    expect(mail.received).toHaveLength(1);
    expect((await services.db.pool.query(`select count(*)::int as n from report_deliveries`)).rows[0]).toEqual({ n: 1 });
    const audit = await services.db.pool.query(`select actor, object_id from audit_log where action = 'report-sent'`);
    expect(audit.rows).toEqual([{ actor: 'report-schedule', object_id: `creator:hana studio:${quarter}` }]);
  });
});
