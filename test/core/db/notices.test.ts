import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actOnFinding } from '../../../core/db/finding-actions.js';
import { findingsByIds, recordFinding, setTakedownStatus } from '../../../core/db/findings.js';
import { claimNotice, createNotices, listNotices, recordNoticeOutcome, type NewNotice } from '../../../core/db/notices.js';
import { outboxRows } from '../../../core/db/outbox.js';
import { hostOf, normalizeUrl } from '../../../core/url.js';
import { openTestServices, type TestServices } from '../../support/services.js';

let services: TestServices;
beforeAll(async () => { services = await openTestServices(); }, 60_000);
afterAll(() => services.close());

async function requested(host: string, n: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const url = `https://${host}/f/${i}`;
    ids.push((await recordFinding(services.db.pool, {
      contentId: 'moonlit', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: `Moonlit ${i}`, source: 'web', score: 9, evidence: {},
      takedownStatus: 'Takedown requested', detectionStatus: 'Not Available',
    }, { actor: 'test', reason: 'fixture' })).finding.id);
  }
  return ids;
}

function notice(key: string, host: string, findingIds: number[]): NewNotice {
  return {
    key, contact: `abuse@${host}`, channel: 'smtp', language: 'en', dir: 'ltr', subject: 'Notice', text: 'text', html: '<p>html</p>',
    urls: findingIds.map((_, i) => `https://${host}/f/${i}`), works: [], sender: { name: 'Jane', email: 'legal@harbor.test' }, part: { index: 1, total: 1 }, findingIds,
  };
}

const audit = async (ids: number[]) => (await services.db.pool.query<{ object_id: string; actor: string; reason: string; details: Record<string, unknown> }>(
  `select object_id, actor, reason, details from audit_log where object_kind = 'Finding' and object_id = any($1::text[]) and action = 'takedown-status' and details->>'to' = 'In Progress' order by id`,
  [ids.map(String)])).rows;

describe('a notice sent and recorded (core/db/notices.ts)', () => {
  it('claims a notice with the URL and work of every finding it lists, for the channels', async () => {
    const ids = await requested('claim.example', 2);
    const { created } = await createNotices(services.db.pool, [notice('claim-1', 'claim.example', ids)]);
    const claim = await claimNotice(services.db.pool, created[0]!.id);
    expect(claim.claimed).toBe(true);
    if (!claim.claimed) return;
    expect(claim.notice.findingIds).toEqual(ids);
    expect(claim.findings).toEqual(ids.map((id, i) => ({ id, url: `https://claim.example/f/${i}`, contentId: 'moonlit' })));
  });

  it('moves only the findings still requested to In Progress, one audit row each, and owes the notice\'s first re-check', async () => {
    const pool = services.db.pool;
    const ids = await requested('sent.example', 4);
    const [a, b, c, d] = ids as [number, number, number, number];
    // c went through a takedown before: In Progress, then Failed, then requested again, so its re-checks are of round 2.
    await setTakedownStatus(pool, c, 'In Progress', { actor: 'test', reason: 'round 1' });
    await setTakedownStatus(pool, c, 'Failed', { actor: 'test', reason: 'round 1 over' });
    await setTakedownStatus(pool, c, 'Takedown requested', { actor: 'test', reason: 'round 2' });
    const { created } = await createNotices(pool, [notice('sent-1', 'sent.example', ids)]);
    const id = created[0]!.id;
    await claimNotice(pool, id);
    // A person ignores d after the notice was composed and before it went: it stays Ignore.
    expect((await actOnFinding(pool, d, 'ignore', { actor: 'alice', reason: 'false positive', override: false })).outcome).toBe('done');
    const before = await findingsByIds(pool, ids);
    const now = new Date('2026-05-01T10:00:00Z');
    await recordNoticeOutcome(pool, id, [
      { outcome: 'sent', channel: 'smtp', at: now, externalId: '<m1@harbor.test>', details: { to: 'abuse@sent.example' } },
      { outcome: 'failed', channel: 'lumen', at: now, reason: 'lumen is down', retryable: true, code: 'LUMEN_DOWN' },
    ], { status: 'sent' }, { firstAfterMinutes: 90, now });

    const after = await findingsByIds(pool, ids);
    expect(after.map((f) => f.takedownStatus)).toEqual(['In Progress', 'In Progress', 'In Progress', 'Ignore']);
    expect(after.map((f, i) => f.version - before[i]!.version)).toEqual([1, 1, 1, 0]);
    expect(await audit([a, b, d])).toEqual([a, b].map((f) => ({
      object_id: String(f), actor: 'takedown', reason: `notice ${id} sent to abuse@sent.example by smtp`, details: { notice: id, from: 'Takedown requested', to: 'In Progress' },
    })));
    // One re-check job for the notice's links (each checked in the takedown round the notice started: c's second).
    const rechecks = (await outboxRows(pool)).filter((r) => r.name === 'recheck' && (r.payload as { noticeId: number }).noticeId === id);
    expect(rechecks.map((r) => [r.jobId, r.payload, r.runAt])).toEqual([[`recheck-notice-${id}-1`, { noticeId: id, check: 1 }, '2026-05-01T11:30:00.000Z']]);
    const [record] = (await listNotices(pool)).filter((n) => n.id === id);
    expect(record).toMatchObject({ status: 'sent', sentAt: now, attempts: 1 });
    expect(record!.receipts.map((r) => [r.attempt, r.channel, r.outcome, r.externalId, r.reason, r.retryable, r.details])).toEqual([
      [1, 'smtp', 'sent', '<m1@harbor.test>', null, null, { to: 'abuse@sent.example' }],
      [1, 'lumen', 'failed', null, 'lumen is down', true, { code: 'LUMEN_DOWN' }],
    ]);
  });

  it('puts a notice to try again back in the queue with its receipt, moving no finding', async () => {
    const pool = services.db.pool;
    const ids = await requested('retry.example', 2);
    const { created } = await createNotices(pool, [notice('retry-1', 'retry.example', ids)]);
    const id = created[0]!.id;
    await claimNotice(pool, id);
    await recordNoticeOutcome(pool, id, [{ outcome: 'failed', channel: 'smtp', at: new Date(), reason: '451 try later', retryable: true }], { status: 'retry' }, { firstAfterMinutes: 90, now: new Date() });
    expect((await findingsByIds(pool, ids)).map((f) => f.takedownStatus)).toEqual(['Takedown requested', 'Takedown requested']);
    const [record] = (await listNotices(pool)).filter((n) => n.id === id);
    expect(record).toMatchObject({ status: 'queued', sentAt: null });
    expect(record!.receipts.map((r) => [r.outcome, r.reason])).toEqual([['failed', '451 try later']]);
  });
});
