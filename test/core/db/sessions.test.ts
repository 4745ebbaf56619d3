import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordSessionRevoked, sessionByWatermarkId, startSession } from '../../../core/db/sessions.js';
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

  it('records a revocation once, audited; an unknown session is VIGIL-E0602', async () => {
    const pool = services.db.pool;
    const s = await startSession(pool, { viewer: 'leaker', package: '/p', ttlMs: 3_600_000 }, by);
    const first = await recordSessionRevoked(pool, s.id, by);
    const again = await recordSessionRevoked(pool, s.id, by);
    expect(first.changed).toBe(true);
    expect(again.changed).toBe(false);
    expect(again.session.revokedAt).toEqual(first.session.revokedAt);
    const { rowCount } = await pool.query(`select 1 from audit_log where object_kind = 'StreamingSession' and object_id = $1 and action = 'session-revoked'`, [s.id]);
    expect(rowCount).toBe(1);
    await expect(recordSessionRevoked(pool, 'no-such-session', by)).rejects.toMatchObject({ code: 'VIGIL-E0602' });
  });
});
