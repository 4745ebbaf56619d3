import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Queue, Worker } from 'bullmq';
import { openQueue } from '../../../core/bullmq.js';
import { silentLogger } from '../../../core/log.js';
import { QUEUES } from '../../../core/queues.js';
import type { UsageRow } from '../../../runners/report/usage.js';
import { postMonthlyUsage, registerReportSchedulers, REPORT_SCHEDULES, startReportWorker, type ReportDeps } from '../../../runners/report/worker.js';
import { applyCatalog } from '../../support/applied-catalog.js';
import { runCli } from '../../support/cli.js';
import { BOT_TOKEN, startFakeSlack, type FakeSlack } from '../../support/fake-slack.js';
import { openTestServices, type TestServices } from '../../support/services.js';

/**
 * The usage report on a seeded database: jobs whose history (migration 20) holds a release
 * mid-month, a stop mid-month, a reservation before release and a change to premium. The days the
 * CLI reports equal what SQL of the test's own counts from the same history; the monthly message is
 * posted to the loopback Slack API the bot tests use, once.
 */

const content = (id: string, title: string, release: string): string =>
  `apiVersion: vigil/v1\nkind: Content\nmetadata:\n  id: ${id}\nspec:\n  type: film\n  title: ${title}\n  releaseDate: ${release}\n`;
const job = (id: string, contentId: string, tier: string): string =>
  `apiVersion: vigil/v1\nkind: MonitoringJob\nmetadata:\n  id: ${id}\nspec:\n  content: ${contentId}\n  tier: ${tier}\n  start: 2026-01-01\n`;

/** Each job's history in July 2026 and before, as the trigger would have written it over time. */
const HISTORY: [string, string, string, string, string, string | null][] = [
  // job, at, status, tier, start, stop
  ['full-watch', '2026-05-02T10:00:00Z', 'Monitoring', 'standard', '2026-05-01', null],
  ['mid-watch', '2026-06-01T00:00:00Z', 'Monitoring', 'standard', '2026-06-01', null],
  ['stop-watch', '2026-04-01T00:00:00Z', 'Monitoring', 'standard', '2026-04-01', null],
  ['stop-watch', '2026-07-12T18:00:00Z', 'Stopped', 'standard', '2026-04-01', '2026-07-12'],
  ['reserved-watch', '2026-06-15T00:00:00Z', 'Scheduled', 'premium', '2026-09-04', null],
  ['tier-watch', '2026-03-01T00:00:00Z', 'Monitoring', 'standard', '2026-03-01', null],
  ['tier-watch', '2026-07-25T08:00:00Z', 'Monitoring', 'premium', '2026-03-01', null],
  ['gone-watch', '2026-01-01T00:00:00Z', 'Monitoring', 'standard', '2026-01-01', null],
  ['gone-watch', '2026-06-10T00:00:00Z', 'Stopped', 'standard', '2026-01-01', null],
];

let services: TestServices;
let slack: FakeSlack;

beforeAll(async () => {
  services = await openTestServices();
  slack = await startFakeSlack();
  await applyCatalog(services.db.pool,
    `apiVersion: vigil/v1\nkind: Policy\nmetadata:\n  id: policy\nspec:\n  channels: { reports: "#vigil-reports" }\n`,
    content('full', 'Full Month', '2026-01-10'), content('mid', 'Mid Release', '2026-07-15'), content('stop', 'Stopped Early', '2026-02-01'),
    content('reserved', 'Coming Soon', '2026-09-04'), content('tier', 'Gone Premium', '2026-02-01'), content('gone', 'Long Gone', '2026-01-01'),
    job('full-watch', 'full', 'standard'), job('mid-watch', 'mid', 'standard'), job('stop-watch', 'stop', 'standard'),
    job('reserved-watch', 'reserved', 'premium'), job('tier-watch', 'tier', 'premium'), job('gone-watch', 'gone', 'standard'));
  // The apply just wrote today's rows; July's history is the fixture's.
  await services.db.pool.query('delete from monitoring_job_history');
  for (const [jobId, at, status, tier, start, stop] of HISTORY) {
    await services.db.pool.query(
      `insert into monitoring_job_history (job_id, content_id, status, tier, start_date, stop_date, at)
       select $1, content_id, $3, $4, $5, $6, $2 from monitoring_jobs where id = $1`, [jobId, at, status, tier, start, stop]);
  }
});

afterAll(async () => {
  await slack?.close();
  await services?.close();
});

/** Per content, the billed days of July 2026 counted in SQL: days on or after release on which an interval of Monitoring (until the next entry) overlapped, within start and stop. */
async function sqlDays(): Promise<Map<string, { days: number; premiumDays: number }>> {
  const { rows } = await services.db.pool.query<{ content_id: string; days: string; premium_days: string }>(
    `with spans as (
       select h.*, coalesce(lead(h.at) over (partition by h.job_id order by h.at, h.id), now()) as until from monitoring_job_history h
     ), days as (
       select d::date as day from generate_series('2026-07-01'::date, '2026-07-31'::date, interval '1 day') as d
     ), billed as (
       select s.content_id, d.day, bool_or(s.tier = 'premium') as premium
       from spans s join days d on s.at < (d.day + 1)::timestamp at time zone 'UTC' and s.until > d.day::timestamp at time zone 'UTC'
       join catalog_objects c on c.kind = 'Content' and c.id = s.content_id
       where s.status = 'Monitoring' and d.day >= (c.spec->>'releaseDate')::date and d.day >= s.start_date and (s.stop_date is null or d.day <= s.stop_date)
       group by s.content_id, d.day
     )
     select content_id, count(*) as days, count(*) filter (where premium) as premium_days from billed group by content_id`);
  return new Map(rows.map((r) => [r.content_id, { days: Number(r.days), premiumDays: Number(r.premium_days) }]));
}

describe('vigil report usage', () => {
  it('reports per title the days SQL counts, billing only months monitored after release', async () => {
    const run = await runCli(['report', 'usage', '--month', '2026-07', '--format', 'json'], services.env, '/tmp');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const { rows } = JSON.parse(run.stdout) as { rows: UsageRow[] };
    const want = await sqlDays();
    expect(rows.map((r) => r.contentId).sort()).toEqual(['full', 'mid', 'reserved', 'stop', 'tier']);
    for (const r of rows) {
      expect({ days: r.days, premiumDays: r.premiumDays }, r.contentId).toEqual(want.get(r.contentId) ?? { days: 0, premiumDays: 0 });
      expect(r.billable).toBe(r.days > 0);
    }
    expect(Object.fromEntries(rows.map((r) => [r.contentId, [r.days, r.tier, r.billable]]))).toEqual({
      full: [31, 'standard', true], mid: [17, 'standard', true], stop: [12, 'standard', true], reserved: [0, 'premium', false], tier: [31, 'premium', true],
    });
  });

  it('writes CSV to --out and refuses a month written otherwise with VIGIL-E0720', async () => {
    const file = `/tmp/vigil-usage-${process.pid}.csv`;
    const run = await runCli(['report', 'usage', '--month', '2026-07', '--format', 'csv', '--out', file], services.env, '/tmp');
    expect(run.code).toBe(0);
    const csv = (await import('node:fs')).readFileSync(file, 'utf8');
    expect(csv).toContain('Mid Release,mid,standard,17,0,yes,2026-07-15,2026-07-31,2026-07-15,mid-watch,released 2026-07-15\r\n');
    const bad = await runCli(['report', 'usage', '--month', '07/2026'], services.env, '/tmp');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('error VIGIL-E0720');
  });

  it('keeps the history by trigger: a tier change through the table is recorded', async () => {
    await services.db.pool.query(`update monitoring_jobs set tier = 'premium' where id = 'full-watch'`);
    const { rows } = await services.db.pool.query(`select status, tier from monitoring_job_history where job_id = 'full-watch' order by at desc, id desc limit 1`);
    expect(rows[0]).toEqual({ status: 'Monitoring', tier: 'premium' });
  });
});

describe('the monthly usage message', () => {
  const deps = (): ReportDeps => ({ pool: services.db.pool, config: { slack: { ...services.config.slack, botToken: BOT_TOKEN, apiUrl: slack.apiUrl }, takedown: services.config.takedown }, log: silentLogger });

  it("posts the month before to the Policy's channels.reports through the Slack Web API, once", async () => {
    const first = await postMonthlyUsage(deps(), new Date('2026-08-01T09:00:00Z'));
    expect(first).toMatchObject({ posted: true });
    const [message] = slack.messages('#vigil-reports');
    expect(message!.text).toContain('*Monitoring usage, 2026-07*: 4 title(s) billable (3 standard, 1 premium) of 5 monitored');
    expect(message!.text).toContain('• Mid Release — standard, 17 day(s) (released 2026-07-15)');
    const again = await postMonthlyUsage(deps(), new Date('2026-08-01T09:10:00Z'));
    expect(again).toEqual({ posted: false, why: 'usage 2026-07 was already posted' });
    expect(slack.messages('#vigil-reports')).toHaveLength(1);
  });

  it('registers the monthly and quarterly job schedulers, and the worker posts when the monthly job runs', async () => {
    const queue: Queue = openQueue(QUEUES.report, services.redis, services.config.queuePrefix);
    let worker: Worker | undefined;
    try {
      await registerReportSchedulers(queue);
      await registerReportSchedulers(queue);
      const schedulers = await queue.getJobSchedulers(0, -1, true);
      expect(schedulers.map((s) => [s.key, s.pattern, s.tz]).sort()).toEqual([
        [REPORT_SCHEDULES.creators.id, '0 9 1 1,4,7,10 *', 'UTC'], [REPORT_SCHEDULES.usage.id, '0 9 1 * *', 'UTC'],
      ]);
      worker = startReportWorker(deps(), services.redis, services.config.queuePrefix);
      const done = new Promise((resolve, reject) => { worker!.on('completed', resolve); worker!.on('failed', (_j, e) => reject(e)); });
      await queue.add(REPORT_SCHEDULES.usage.name, {});
      await done;
      const posted = slack.messages('#vigil-reports');
      expect(posted).toHaveLength(2);
      const month = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 1)).toISOString().slice(0, 7);
      expect(posted[1]!.text).toContain(`*Monitoring usage, ${month}*`);
    } finally {
      await worker?.close();
      await queue.close();
    }
  });
});
