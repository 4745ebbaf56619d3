import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sessionByWatermarkId, startSession } from '../../../core/db/sessions.js';
import { openTestServices, type TestServices } from '../../support/services.js';

let services: TestServices;
beforeAll(async () => { services = await openTestServices(); });
afterAll(async () => { await services?.close(); });
const by = { actor: 'test', reason: 'test' };

describe('streaming sessions', () => {
  it('allocate watermark IDs from a sequence that never hands one out twice, even after a failed start', async () => {
    const pool = services.db.pool;
    const a = await startSession(pool, { viewer: 'v1', package: '/p', ttlMs: 3_600_000 }, by);
    // A failed insert still consumes its sequence value: the next session does not reuse it.
    await expect(pool.query(`insert into streaming_sessions (id, viewer, package, expires_at, issued_by) values ('bad id!', 'v', '/p', now() + interval '1 hour', 't')`)).rejects.toThrow();
    const b = await startSession(pool, { viewer: 'v2', contentId: 'film', ttlMs: 60_000 }, by);
    expect(b.watermarkId).toBeGreaterThan(a.watermarkId + 1);
    expect((await sessionByWatermarkId(pool, b.watermarkId))?.viewer).toBe('v2');
    expect(b.expiresAt.getTime() - b.issuedAt.getTime()).toBe(60_000);
  });

  it('refuses a bad viewer, no content or package, a TTL out of range, with VIGIL-E0601', async () => {
    const pool = services.db.pool;
    await expect(startSession(pool, { viewer: 'a\nb', package: '/p', ttlMs: 3_600_000 }, by)).rejects.toMatchObject({ code: 'VIGIL-E0601' });
    await expect(startSession(pool, { viewer: 'v', ttlMs: 3_600_000 }, by)).rejects.toMatchObject({ code: 'VIGIL-E0601' });
    await expect(startSession(pool, { viewer: 'v', package: '/p', ttlMs: 1000 }, by)).rejects.toMatchObject({ code: 'VIGIL-E0601' });
  });
});
