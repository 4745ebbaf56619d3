import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openQueue } from '../../core/bullmq.js';
import { loadConfig } from '../../core/config.js';
import { silentLogger } from '../../core/log.js';
import { monitorSchedulerId, QUEUES } from '../../core/queues.js';
import { openRedis } from '../../core/redis.js';
import { apply } from '../../reconciler/apply.js';
import { loadCatalog } from '../../core/catalog/load.js';
import { desiredState } from '../../reconciler/desired.js';
import { hasErrors } from '../../core/catalog/diagnostics.js';
import { bullmqSchedulers, type JobSchedulers } from '../../reconciler/schedulers.js';
import { openTestServices, type TestServices } from '../support/services.js';

const HEAD = 'apiVersion: vigil/v1\n';
const content = (id: string, releaseDate: string, extra = '') =>
  `${HEAD}kind: Content\nmetadata:\n  id: ${id}\nspec:\n  type: film\n  title: ${id}\n  releaseDate: ${releaseDate}\n${extra}`;
const job = (id: string, contentId: string, extra = '') => `${HEAD}kind: MonitoringJob\nmetadata:\n  id: ${id}\nspec:\n  content: ${contentId}\n${extra}`;
const recipient = (id: string, watermarkId: number, extra = '') =>
  `${HEAD}kind: Recipient\nmetadata:\n  id: ${id}\nspec:\n  name: ${id}\n  watermarkId: ${watermarkId}\n${extra}`;

function desired(...docs: string[]) {
  const loaded = loadCatalog(docs.map((d, i) => ({ path: `f${i}.yaml`, content: d })));
  expect(hasErrors(loaded.diagnostics), JSON.stringify(loaded.diagnostics)).toBe(false);
  return desiredState(loaded.catalog);
}

const NOW = new Date('2026-06-01T12:00:00Z');

describe('apply', () => {
  let services: TestServices;
  let schedulers: JobSchedulers;
  let closeQueue: () => Promise<void>;

  beforeEach(async () => {
    services = await openTestServices();
    const queue = openQueue(QUEUES.monitor, services.redis, services.config.queuePrefix);
    schedulers = bullmqSchedulers(queue);
    closeQueue = () => queue.close();
  });
  afterEach(async () => {
    await closeQueue();
    await services.close();
  });

  const run = (state: ReturnType<typeof desired>, options: { now?: Date; commit?: string; schedulers?: JobSchedulers } = {}) =>
    apply(services.db.pool, state, { source: 'test', actor: 'test', now: options.now ?? NOW, commit: options.commit, schedulers: options.schedulers ?? schedulers });

  it('is idempotent: a second apply of the same catalog changes nothing and says so', async () => {
    const state = desired(content('a', '2026-01-01'), job('a-watch', 'a'), recipient('r1', 11));
    const first = await run(state, { commit: 'c1' });
    expect(first.result).toBe('applied');
    expect(first.plan.changes.length).toBe(5); // 3 objects, 1 allocation, 1 job
    const second = await run(state, { commit: 'c1' });
    expect(second.result).toBe('no-op');
    expect(second.plan.changes).toEqual([]);
    const runs = await services.db.pool.query('select commit, result, changes from reconciliations order by id');
    expect(runs.rows).toEqual([{ commit: 'c1', result: 'applied', changes: 5 }, { commit: 'c1', result: 'no-op', changes: 0 }]);
    const audit = await services.db.pool.query<{ n: number }>(`select count(*)::int as n from audit_log where commit = 'c1'`);
    expect(audit.rows[0]!.n).toBe(5);
  });

  it('registers monitoring jobs as job schedulers from the start date, and stops a removed job', async () => {
    await run(desired(content('a', '2026-01-01'), content('b', '2026-09-01'), job('a-watch', 'a', '  tier: premium\n'), job('b-watch', 'b')));
    const jobs = await services.db.pool.query('select id, status, every_ms from monitoring_jobs order by id');
    expect(jobs.rows).toEqual([
      { id: 'a-watch', status: 'Monitoring', every_ms: 3_600_000 },
      { id: 'b-watch', status: 'Scheduled', every_ms: 21_600_000 },
    ]);
    expect([...(await schedulers.list())].sort()).toEqual([monitorSchedulerId('a-watch'), monitorSchedulerId('b-watch')]);

    const after = await run(desired(content('a', '2026-01-01'), content('b', '2026-09-01'), job('a-watch', 'a', '  tier: premium\n')), { commit: 'c2' });
    expect(after.plan.changes).toContainEqual(expect.objectContaining({ op: 'delete', kind: 'MonitoringJob', id: 'b-watch' }));
    const stopped = await services.db.pool.query(`select status, status_reason from monitoring_jobs where id = 'b-watch'`);
    expect(stopped.rows[0]).toEqual({ status: 'Stopped', status_reason: 'removed from the catalog' });
    expect([...(await schedulers.list())]).toEqual([monitorSchedulerId('a-watch')]);
  });

  it('stops a job marked stopped: true and moves a reservation to Monitoring once its start date comes', async () => {
    const catalog = [content('a', '2026-07-01'), job('a-watch', 'a')];
    await run(desired(...catalog));
    expect((await services.db.pool.query(`select status from monitoring_jobs`)).rows[0]).toEqual({ status: 'Scheduled' });
    const later = await run(desired(...catalog), { now: new Date('2026-07-01T00:00:01Z') });
    expect(later.plan.changes).toEqual([expect.objectContaining({ op: 'job', from: 'Scheduled', to: 'Monitoring' })]);
    await run(desired(content('a', '2026-07-01'), job('a-watch', 'a', '  stopped: true\n')), { now: new Date('2026-07-02T00:00:00Z') });
    expect((await services.db.pool.query(`select status from monitoring_jobs`)).rows[0]).toEqual({ status: 'Stopped' });
    expect((await schedulers.list()).size).toBe(0);
  });

  it('retires a removed recipient, keeps its watermark ID forever and refuses to reuse or change IDs', async () => {
    await run(desired(recipient('r1', 5), recipient('r2', 6)));
    const retired = await run(desired(recipient('r2', 6)));
    expect(retired.plan.changes).toEqual([{ op: 'retire', recipientId: 'r1', watermarkId: 5 }]);

    const reuse = await run(desired(recipient('r2', 6), recipient('r3', 5)));
    expect(reuse.result).toBe('rejected');
    expect(reuse.plan.rejections[0]!.message).toMatch(/watermarkId 5 was allocated to Recipient\/r1 \(retired\) and is never reused/);

    const change = await run(desired(recipient('r2', 7)));
    expect(change.result).toBe('rejected');
    expect(change.plan.rejections[0]!.message).toMatch(/is 6 forever; it cannot become 7/);

    const rows = await services.db.pool.query('select watermark_id, recipient_id, retired_at is not null as retired from watermark_allocations order by 1');
    expect(rows.rows).toEqual([{ watermark_id: 5, recipient_id: 'r1', retired: true }, { watermark_id: 6, recipient_id: 'r2', retired: false }]);
    await expect(services.db.pool.query('delete from watermark_allocations')).rejects.toThrow(/permanent/);
    await expect(services.db.pool.query('update watermark_allocations set watermark_id = 9 where watermark_id = 5')).rejects.toThrow(/forever/);
    const rejected = await services.db.pool.query(`select count(*)::int as n from reconciliations where result = 'rejected'`);
    expect(rejected.rows[0]).toEqual({ n: 2 });
  });

  it('finds and repairs drift: a scheduler lost from Redis and a row edited by hand', async () => {
    const state = desired(content('a', '2026-01-01'), job('a-watch', 'a'));
    await run(state);
    await schedulers.unregister('a-watch');
    await services.db.pool.query(`update catalog_objects set spec = jsonb_set(spec, '{title}', '"tampered"') where id = 'a'`);
    const repaired = await run(state);
    const ops = repaired.plan.changes.map((c) => c.op === 'job' ? `job:${c.reason}` : `${c.op}`);
    expect(ops.sort()).toEqual(['job:drift: job scheduler missing from Redis', 'repair']);
    expect((await schedulers.list()).has(monitorSchedulerId('a-watch'))).toBe(true);
    const title = await services.db.pool.query(`select spec->>'title' as title, generation from catalog_objects where id = 'a'`);
    expect(title.rows[0]).toEqual({ title: 'a', generation: 2 });
    expect((await run(state)).result).toBe('no-op');
  });

  it('keeps status conditions with the observed generation of each object', async () => {
    await run(desired(content('a', '2026-01-01')));
    await run(desired(content('a', '2026-01-02')));
    const row = await services.db.pool.query(`select generation, conditions from catalog_objects where id = 'a'`);
    expect(row.rows[0].generation).toBe(2);
    expect(row.rows[0].conditions[0]).toMatchObject({ type: 'Ready', status: 'True', reason: 'Updated', observedGeneration: 2 });
    const update = await services.db.pool.query(`select reason, details from audit_log where action = 'update'`);
    expect(update.rows[0].reason).toBe('changed releaseDate');
    expect(update.rows[0].details.fields).toEqual([{ field: 'releaseDate', from: '2026-01-01', to: '2026-01-02' }]);
    await expect(services.db.pool.query('update audit_log set actor = $1', ['mallory'])).rejects.toThrow(/append-only/);
  });

  it('marks a job Registration Failed when Redis refuses writes, and registers it on the next apply', async () => {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-redis-'));
    const ownRedis = await openRedis(loadConfig({ VIGIL_HOME: home }), silentLogger);
    const queue = openQueue(QUEUES.monitor, ownRedis, '{refusing}');
    const admin = ownRedis.client();
    try {
      // A real Redis that refuses every write: it demands a replica it does not have.
      await admin.config('SET', 'min-replicas-to-write', '1');
      const state = desired(content('a', '2026-01-01'), job('a-watch', 'a'));
      const failed = await run(state, { schedulers: bullmqSchedulers(queue) });
      expect(failed.registrationFailures).toEqual([{ jobId: 'a-watch', message: expect.stringMatching(/NOREPLICAS/) }]);
      expect((await services.db.pool.query('select status from monitoring_jobs')).rows[0]).toEqual({ status: 'Registration Failed' });

      await admin.config('SET', 'min-replicas-to-write', '0');
      const retried = await run(state, { schedulers: bullmqSchedulers(queue) });
      expect(retried.plan.changes).toEqual([expect.objectContaining({ op: 'job', from: 'Registration Failed', to: 'Monitoring' })]);
      expect((await services.db.pool.query('select status from monitoring_jobs')).rows[0]).toEqual({ status: 'Monitoring' });
    } finally {
      admin.disconnect();
      await queue.close();
      await ownRedis.stop();
    }
  });
});
