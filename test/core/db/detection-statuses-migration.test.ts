import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../../core/db/migrate.js';
import { MIGRATIONS } from '../../../core/db/migrations/index.js';
import { openTestServices, type TestServices } from '../../support/services.js';

/**
 * Migration 14 on a database that holds detection results in the old meaning: a found-nothing
 * result as Completed, "cannot be analysed" as Failed, and lower-case request statuses. Run in a
 * schema of its own, migrated to 13 first, as a database of the previous release would be.
 */

let services: TestServices;
let pool: pg.Pool;

beforeAll(async () => {
  services = await openTestServices();
  await services.db.pool.query('create schema before14');
  pool = new pg.Pool({ connectionString: services.env.DATABASE_URL, options: '-c search_path=before14', max: 2 });
  await migrate(pool, MIGRATIONS.filter((m) => m.version < 14));
});
afterAll(async () => {
  await pool?.end();
  await services?.close();
});

describe('migration 14: detection statuses as the seed service has them', () => {
  it('moves old findings and requests to the new values, each changed finding audited', async () => {
    const finding = async (status: string, detection: unknown): Promise<number> => (await pool.query<{ id: number }>(
      `insert into findings (content_id, url, normalized_url, host, page_title, source, score, evidence, takedown_status, detection_status)
       values ('c', $1, $1, 'x.example', '', 'web', 1, $2, 'Available', $3) returning id`,
      [`https://x.example/${status}/${Math.random()}`, JSON.stringify(detection === undefined ? {} : { detection }), status])).rows[0]!.id;
    const found = await finding('Completed', { found: true, watermarkId: 7 });
    const none = await finding('Completed', { found: false, confidence: 0.1 });
    const unanalysable = await finding('Failed', undefined);
    const error = await finding('Error', undefined);
    const request = async (status: string, result: unknown): Promise<number> => (await pool.query<{ id: number }>(
      `insert into detection_requests (url, normalized_url, requested_by, status, result) values ('https://l.example/v', 'l.example/v', 'U1', $1, $2) returning id`,
      [status, result === null ? null : JSON.stringify(result)])).rows[0]!.id;
    const requests = {
      requested: await request('requested', null), detecting: await request('detecting', null), completed: await request('completed', { found: true }),
      clean: await request('completed', { found: false }), failed: await request('failed', null),
    };

    // Later migrations (15, 16, …) come after it; this one is the first to run.
    expect((await migrate(pool, MIGRATIONS))[0]).toBe(14);

    const statuses = await pool.query<{ id: number; detection_status: string }>('select id, detection_status from findings where id = any($1) order by id', [[found, none, unanalysable, error]]);
    expect(Object.fromEntries(statuses.rows.map((r) => [r.id, r.detection_status]))).toEqual({ [found]: 'Completed', [none]: 'Failed', [unanalysable]: 'Error', [error]: 'Error' });
    const audit = await pool.query<{ object_id: string; details: { from: string; to: string } }>(`select object_id, details from audit_log where actor = 'migration' order by id`);
    expect(audit.rows.map((r) => [Number(r.object_id), r.details.from, r.details.to])).toEqual([[unanalysable, 'Failed', 'Error'], [none, 'Completed', 'Failed']]);
    const after = await pool.query<{ id: number; status: string; via: string }>('select id, status, via from detection_requests order by id');
    expect(after.rows.map((r) => r.status)).toEqual(['Downloading', 'Detecting', 'Completed', 'Failed', 'Error']);
    expect(after.rows.every((r) => r.via === 'slack')).toBe(true);
    expect(Object.keys(requests)).toHaveLength(5);
    await expect(pool.query(`update detection_requests set status = 'completed' where id = $1`, [requests.completed])).rejects.toThrow(/detection_requests_status_check/);
  });
});
