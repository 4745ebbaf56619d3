import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../core/db/migrate.js';
import { MIGRATIONS } from '../../../core/db/migrations/index.js';
import { openTestServices, type TestServices } from '../../support/services.js';

/**
 * Migration 20 on a database of the previous release: monitoring jobs with audited status changes
 * (and one without any) get their history rebuilt from the audit log, and from then on the trigger
 * writes each change. Run in a schema of its own, migrated to 16 first.
 */

let services: TestServices;
let pool: pg.Pool;

beforeAll(async () => {
  services = await openTestServices();
  await services.db.pool.query('create schema before20');
  pool = new pg.Pool({ connectionString: services.env.DATABASE_URL, options: '-c search_path=before20', max: 2 });
  await migrate(pool, MIGRATIONS.filter((m) => m.version < 20));
});
afterAll(async () => {
  await pool?.end();
  await services?.close();
});

describe('migration 20: monitoring job history', () => {
  it('rebuilds each job\'s history from its audited status changes, and the trigger records later ones', async () => {
    await pool.query(`insert into monitoring_jobs (id, content_id, tier, detection, takedown, start_date, every_ms, status, status_since)
      values ('a', 'film-a', 'premium', 'manual', 'manual', '2026-05-01', 3600000, 'Monitoring', '2026-05-01T00:10:00Z'),
             ('b', 'film-b', 'standard', 'manual', 'manual', '2026-06-01', 3600000, 'Stopped', '2026-06-20T00:00:00Z')`);
    await pool.query(`insert into audit_log (at, actor, action, object_kind, object_id, details) values
      ('2026-04-20T09:00:00Z', 'apply', 'job-status', 'MonitoringJob', 'a', '{"from": null, "to": "Scheduled"}'),
      ('2026-05-01T00:10:00Z', 'monitor', 'job-status', 'MonitoringJob', 'a', '{"from": "Scheduled", "to": "Monitoring"}'),
      ('2026-05-02T00:00:00Z', 'apply', 'update', 'MonitoringJob', 'a', '{}')`);

    expect(await migrate(pool, MIGRATIONS.filter((m) => m.version <= 20))).toEqual([20]);

    const history = await pool.query<{ job_id: string; status: string; tier: string; at: Date }>('select job_id, status, tier, at from monitoring_job_history order by job_id, at');
    expect(history.rows.map((r) => [r.job_id, r.status, r.tier, r.at.toISOString()])).toEqual([
      ['a', 'Scheduled', 'premium', '2026-04-20T09:00:00.000Z'],
      ['a', 'Monitoring', 'premium', '2026-05-01T00:10:00.000Z'],
      ['b', 'Stopped', 'standard', '2026-06-20T00:00:00.000Z'],
    ]);

    await pool.query(`update monitoring_jobs set status = 'Stopped', updated_at = now() where id = 'a'`);
    await pool.query(`update monitoring_jobs set updated_at = now(), status_reason = 'unchanged otherwise' where id = 'b'`);
    const after = await pool.query<{ job_id: string; status: string }>(`select job_id, status from monitoring_job_history where at > '2026-07-01' order by id`);
    expect(after.rows).toEqual([{ job_id: 'a', status: 'Stopped' }]);
  });
});
