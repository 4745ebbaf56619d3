import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingById } from '../../../core/db/findings.js';
import { detectionRequestById, requestLinkDetection, setDetectionRequestStatus } from '../../../core/db/detection-requests.js';
import { outboxRows } from '../../../core/db/outbox.js';
import { appliedPolicy } from '../../../core/db/policy.js';
import { decideSuspect, reportLink, reviewPage, suspectById } from '../../../core/db/review.js';
import { isVigilError } from '../../../core/errors.js';
import { openTestServices, type TestServices } from '../../support/services.js';

let services: TestServices;

beforeAll(async () => {
  services = await openTestServices();
  await services.db.pool.query(`insert into catalog_objects (kind, id, spec, metadata, spec_hash) values
    ('Content', 'orchard', $1, '{"id":"orchard"}', 'h1'), ('MonitoringJob', 'orchard-watch', $2, '{"id":"orchard-watch"}', 'h2'),
    ('Policy', 'default', $3, '{"id":"default"}', 'h3')`, [
    JSON.stringify({ type: 'film', title: 'The Iron Orchard', releaseDate: '2025-11-14', watermarked: true }),
    JSON.stringify({ content: 'orchard', tier: 'premium', takedown: 'manual', detection: 'automatic' }),
    JSON.stringify({ approvers: { review: ['U0REVIEW', 'S0REVIEWERS'] } }),
  ]);
});
afterAll(() => services.close());

async function audit(objectId: string): Promise<{ actor: string; action: string; reason: string }[]> {
  const { rows } = await services.db.pool.query<{ actor: string; action: string; reason: string }>(
    'select actor, action, reason from audit_log where object_id = $1 order by id', [objectId]);
  return rows;
}

describe('review queue', () => {
  it('puts a reported link in the queue once, with its first reporter and note, and audits every report', async () => {
    const pool = services.db.pool;
    const first = await reportLink(pool, { url: 'https://www.Pirate.example/watch/orchard?utm_source=x', note: 'full film, 1080p', reporter: 'U0ALICE' });
    const again = await reportLink(pool, { url: 'http://pirate.example/watch/orchard/', note: 'same one', reporter: 'U0BOB' });
    expect(first.created).toBe(true);
    expect(again).toMatchObject({ suspectId: first.suspectId, created: false });
    const suspect = await suspectById(pool, first.suspectId);
    expect(suspect).toMatchObject({ contentId: null, source: 'report', reporter: 'U0ALICE', note: 'full film, 1080p', review: 'queued' });
    expect((await reviewPage(pool, { limit: 10 })).map((s) => s.id)).toContain(first.suspectId);
    expect((await audit(String(first.suspectId))).map((a) => `${a.actor} ${a.action}`)).toEqual(['U0ALICE link-reported', 'U0BOB link-reported']);
  });

  it('refuses a link that is not http(s) with LINK_INVALID', async () => {
    await expect(reportLink(services.db.pool, { url: 'javascript:alert(1)', note: '', reporter: 'U0ALICE' })).rejects.toSatisfy((e) => isVigilError(e, 'LINK_INVALID'));
  });

  it('confirms a reported link as a finding of the chosen content, with its monitoring job\'s statuses, once', async () => {
    const pool = services.db.pool;
    const { suspectId } = await reportLink(pool, { url: 'https://cyberlocker.example/f/abc', note: '', reporter: 'U0ALICE' });
    await expect(decideSuspect(pool, suspectId, 'confirm', { actor: 'U0REVIEW', reason: 'looks right' })).rejects.toSatisfy((e) => isVigilError(e, 'REVIEW_NEEDS_CONTENT'));
    await expect(decideSuspect(pool, suspectId, 'confirm', { actor: 'U0REVIEW', reason: 'x' }, 'no-such-title')).rejects.toSatisfy((e) => isVigilError(e, 'REVIEW_NEEDS_CONTENT'));
    const [a, b] = await Promise.all([
      decideSuspect(pool, suspectId, 'confirm', { actor: 'U0REVIEW', reason: 'looks right' }, 'Orchard'),
      decideSuspect(pool, suspectId, 'reject', { actor: 'U0OTHER', reason: 'late click' }),
    ]);
    const winner = a.changed ? a : b;
    expect([a.changed, b.changed].filter(Boolean)).toHaveLength(1);
    if (winner === a) {
      const finding = await findingById(pool, a.findingId!);
      expect(finding).toMatchObject({ contentId: 'orchard', monitoringJobId: 'orchard-watch', source: 'report', takedownStatus: 'Available', detectionStatus: 'Downloading' });
      expect(b).toMatchObject({ changed: false, review: 'confirmed', findingId: a.findingId });
      const jobs = await outboxRows(pool);
      expect(jobs.some((j) => j.name === 'finding' && (j.payload as { findingId: number }).findingId === a.findingId)).toBe(true);
    } else {
      expect(a).toMatchObject({ changed: false, review: 'rejected' });
    }
    const again = await decideSuspect(pool, suspectId, 'confirm', { actor: 'U0REVIEW', reason: 'again' }, 'orchard');
    expect(again.changed).toBe(false);
    expect((await audit(String(suspectId))).filter((r) => r.action.startsWith('suspect-'))).toHaveLength(1);
  });

  it('rejects a suspect, audited, and a second decision changes nothing', async () => {
    const pool = services.db.pool;
    const { suspectId } = await reportLink(pool, { url: 'https://forum.example/t/1', note: 'maybe', reporter: 'U0ALICE' });
    expect(await decideSuspect(pool, suspectId, 'reject', { actor: 'U0REVIEW', reason: 'a trailer' })).toMatchObject({ changed: true, review: 'rejected', findingId: null });
    expect(await decideSuspect(pool, suspectId, 'confirm', { actor: 'U0REVIEW', reason: 'oops' }, 'orchard')).toMatchObject({ changed: false, review: 'rejected' });
    expect((await audit(String(suspectId))).map((r) => r.action)).toEqual(['link-reported', 'suspect-rejected']);
    await expect(decideSuspect(pool, 999_999, 'reject', { actor: 'U0REVIEW', reason: 'x' })).rejects.toSatisfy((e) => isVigilError(e, 'SUSPECT_UNKNOWN'));
  });

  it('reads the review approvers from the Policy', async () => {
    expect((await appliedPolicy(services.db.pool)).approvers?.review).toEqual(['U0REVIEW', 'S0REVIEWERS']);
  });
});

describe('detection requests', () => {
  it('records a request with its detect job, and its final result once with the slack job that posts it', async () => {
    const pool = services.db.pool;
    const request = await requestLinkDetection(pool, { url: 'https://leak.example/v.mp4', requestedBy: 'U0ALICE', channel: 'C0ASK' });
    let jobs = await outboxRows(pool);
    expect(jobs.filter((j) => j.name === 'url')).toEqual([expect.objectContaining({ queue: 'detect', jobId: `url-${request.id}`, payload: { requestId: request.id } })]);
    expect(request.status).toBe('Downloading'); // asked for: its job is owed, as a finding's Detect sets Downloading
    expect(await setDetectionRequestStatus(pool, request.id, 'Detecting', { actor: 'detector', reason: 'detecting' })).toBe(true);
    expect(await setDetectionRequestStatus(pool, request.id, 'Completed', { actor: 'detector', reason: 'found' }, { found: true, watermarkId: 7 })).toBe(true);
    for (const later of ['Error', 'Failed', 'Canceled', 'Downloading'] as const) expect(await setDetectionRequestStatus(pool, request.id, later, { actor: 'detector', reason: 'retry' })).toBe(false);
    expect(await detectionRequestById(pool, request.id)).toMatchObject({ status: 'Completed', result: { found: true, watermarkId: 7 }, channel: 'C0ASK' });
    jobs = await outboxRows(pool);
    expect(jobs.filter((j) => j.name === 'detection-result')).toEqual([expect.objectContaining({ queue: 'slack', payload: { requestId: request.id } })]);
  });

  it('runs a request from vigil detect URL in its own process: no detect job, and no Slack answer at its end', async () => {
    const pool = services.db.pool;
    const request = await requestLinkDetection(pool, { url: 'https://leak.example/cli.mp4', requestedBy: 'cli:alice', via: 'cli', enqueue: false });
    expect((await outboxRows(pool)).filter((j) => (j.payload as { requestId?: number }).requestId === request.id)).toEqual([]);
    expect(await setDetectionRequestStatus(pool, request.id, 'Failed', { actor: 'detector', reason: 'no watermark found' }, { found: false })).toBe(true);
    expect((await outboxRows(pool)).filter((j) => (j.payload as { requestId?: number }).requestId === request.id)).toEqual([]);
    expect(await detectionRequestById(pool, request.id)).toMatchObject({ status: 'Failed', via: 'cli', finishedAt: expect.any(Date) });
    await expect(setDetectionRequestStatus(pool, request.id, 'failed' as never, { actor: 'x', reason: 'y' })).rejects.toMatchObject({ errorName: 'USAGE' });
  });
});
