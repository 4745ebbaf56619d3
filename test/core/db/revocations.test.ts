import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pendingPushes, recordRevocation } from '../../../core/db/revocations.js';
import { sessionById, startSession } from '../../../core/db/sessions.js';
import { openTestServices, type TestServices } from '../../support/services.js';

let services: TestServices;
beforeAll(async () => { services = await openTestServices(); });
afterAll(async () => { await services?.close(); });
const by = { actor: 'test', reason: 'test' };

describe('the records a revocation leaves', () => {
  it('revokes a session Vigil issued once, audited once, keeps the first time, and names ids it did not issue as such', async () => {
    const pool = services.db.pool;
    const s = await startSession(pool, { viewer: 'leaker', package: '/p', ttlMs: 3_600_000 }, by);
    const first = await recordRevocation(pool, { op: 'add', listId: 1, items: [{ id: s.id, durationSeconds: 1800 }, { id: 'stranger', durationSeconds: 1800 }] }, [], by);
    const again = await recordRevocation(pool, { op: 'add', listId: 1, items: [{ id: s.id, durationSeconds: 7200 }] }, [], by);
    expect(first.sessions).toEqual([
      { id: s.id, session: { viewer: 'leaker', watermarkId: s.watermarkId, revokedAt: expect.any(Date) }, changed: true },
      { id: 'stranger', changed: false },
    ]);
    expect(again.sessions[0]!.changed).toBe(false);
    expect(again.sessions[0]!.session!.revokedAt).toEqual(first.sessions[0]!.session!.revokedAt);
    const { rowCount } = await pool.query(`select 1 from audit_log where object_kind = 'StreamingSession' and object_id = $1 and action = 'session-revoked'`, [s.id]);
    expect(rowCount).toBe(1);
    await recordRevocation(pool, { op: 'remove', listId: 1, ids: [s.id] }, [], by);
    expect((await sessionById(pool, s.id))!.revokedAt).toBeNull();
  });

  it('owes each mirror the call, in order, until the revocations it carries have ended', async () => {
    const pool = services.db.pool;
    const add = await recordRevocation(pool, { op: 'add', listId: 2, items: [{ id: 'a', durationSeconds: 1800 }, { id: 'b', durationSeconds: 7200 }] }, ['akamai'], by);
    const remove = await recordRevocation(pool, { op: 'remove', listId: 2, ids: ['a'] }, ['akamai'], by);
    const owed = await pendingPushes(pool, 'akamai');
    expect(owed.map((p) => p.id)).toEqual([...add.pushIds, ...remove.pushIds]);
    expect(owed[0]).toMatchObject({ op: 'add', listId: 2, body: [{ id: 'a', durationSeconds: 1800 }, { id: 'b', durationSeconds: 7200 }], state: 'pending', attempts: 0 });
    // Moot once the longest revocation in it would have ended.
    expect(Math.round((owed[0]!.mootAfter.getTime() - owed[0]!.createdAt.getTime()) / 1000)).toBe(7200);
    expect(owed[1]).toMatchObject({ op: 'remove', body: ['a'] });
  });
});
