import type pg from 'pg';
import { createNotices, claimNotice, recordNoticeOutcome } from '../../core/db/notices.js';
import { initialStatuses, recordFinding, setTakedownStatus, recordSuspect } from '../../core/db/findings.js';
import { startSession } from '../../core/db/sessions.js';
import { recordRevocation } from '../../core/db/revocations.js';
import { recordDiscoveredSite } from '../../core/db/sites.js';
import { seedCatalogDocs, seedFindings } from '../../bench/web/seed.js';
import { applyCatalog } from './applied-catalog.js';

/**
 * Records for the web view's tests: a catalog of three titles, a site per family and a monitoring
 * job per title; `count` findings seeded set-based (bench/web/seed.ts); then, through the core
 * functions people and automation use, one finding with its page, a notice sent with its receipt
 * and the takedown moving on, a few removals (takedown Complete) for the trend, a hop, a suspect
 * queued for review and a session revoked.
 */

export interface SeededWeb {
  /** The finding recorded through core with a page, a notice and its receipt. */
  detailId: number;
  /** Findings moved to Complete this week, through setTakedownStatus. */
  removedIds: number[];
  revokedSessionId: string;
  newest: Date;
}

export async function seedWebView(pool: pg.Pool, count: number, now = new Date()): Promise<SeededWeb> {
  await applyCatalog(pool, ...seedCatalogDocs());
  // Every 7 hours back from an hour ago: a few hundred findings span the trend's weeks.
  const newest = new Date(now.getTime() - 3_600_000);
  await seedFindings(pool, { count, newest, stepMinutes: 7 * 60, withJobs: true });
  const by = { actor: 'test', reason: 'web view test' };

  const { finding } = await recordFinding(pool, {
    contentId: 'moonlit-harbor', monitoringJobId: 'moonlit-harbor-watch', url: 'https://watch.streamzone.example/moonlit-harbor-e1',
    normalizedUrl: 'https://watch.streamzone.example/moonlit-harbor-e1', host: 'watch.streamzone.example', siteId: 'streamzone', family: 'streamzone',
    pageTitle: 'Moonlit Harbor <b>E1</b> free', source: 'web', score: 9.5, evidence: { keywords: ['moonlit harbor'] }, matchDistance: 0.08,
    ...initialStatuses({ takedown: 'manual', detection: 'manual' }, { watermarked: false }), seenAt: now,
    page: {
      method: 'GET', requestedUrl: 'https://watch.streamzone.example/moonlit-harbor-e1', finalUrl: 'https://watch.streamzone.example/moonlit-harbor-e1',
      requestHeaders: [['user-agent', 'Vigil']], httpVersion: '1.1', status: 200, statusText: 'OK', responseHeaders: [['content-type', 'text/html'], ['server', 'pirate/1.0']],
      redirects: [], body: Buffer.from('<html><title>Moonlit Harbor E1</title></html>'), bodyBytes: 44, truncated: false, fetchedAt: now,
    },
  }, by);
  await setTakedownStatus(pool, finding.id, 'Takedown requested', { actor: 'U123', reason: 'Take down pressed in Slack' });
  const created = await createNotices(pool, [{
    key: `test-notice-${finding.id}`, contact: 'abuse@streamzone-host.example', channel: 'smtp', language: 'en', dir: 'ltr',
    subject: 'DMCA notice: Moonlit Harbor', text: 'notice text', html: '<p>notice</p>', urls: [finding.url], works: [{ title: 'Moonlit Harbor' }],
    sender: { name: 'Rights Desk', email: 'rights@studio.example' }, part: { index: 1, total: 1 }, findingIds: [finding.id],
  }]);
  const notice = created.created[0]!;
  await claimNotice(pool, notice.id);
  await recordNoticeOutcome(pool, notice.id, [{ outcome: 'sent', channel: 'smtp', at: now, externalId: '<msg-1@vigil>', details: { response: '250 OK' } }],
    { status: 'sent' }, { firstAfterMinutes: 60, now });

  // Removals this week, for the trend: real status changes, so each has its audit row.
  const { rows } = await pool.query<{ id: string }>(`select id from findings where takedown_status = 'In Progress' and id <> $1 order by id limit 5`, [finding.id]);
  const removedIds = rows.map((r) => Number(r.id));
  for (const id of removedIds) await setTakedownStatus(pool, id, 'Complete', { actor: 'recheck', reason: 'the link is gone (404)' });

  await recordDiscoveredSite(pool, { host: 'streamzone2.example', siteId: 'streamzone', family: 'streamzone', viaHost: 'streamzone.example', signals: ['redirect'], confidence: 0.97 }, { actor: 'monitor' });
  await recordDiscoveredSite(pool, { host: 'streamzone3.example', siteId: 'streamzone', family: 'streamzone', viaHost: 'streamzone2.example', signals: ['tracking-id'], confidence: 0.9 }, { actor: 'monitor' });
  await recordSuspect(pool, {
    contentId: 'iron-orchid', url: 'https://forum.example/t/iron-orchid', normalizedUrl: 'https://forum.example/t/iron-orchid', host: 'forum.example',
    pageTitle: 'Iron Orchid thread', source: 'web', score: 4.2, evidence: {}, reason: 'title match without media', queueForReview: true,
  }, { actor: 'monitor' });
  const session = await startSession(pool, { viewer: 'account-4711', contentId: 'moonlit-harbor', ttlMs: 3_600_000 }, { actor: 'edge', reason: 'player start' });
  await recordRevocation(pool, { op: 'add', listId: 1, items: [{ id: session.id, durationSeconds: 86_400 }] }, [], { actor: 'U999', reason: 'leak attributed to this session' });
  return { detailId: finding.id, removedIds, revokedSessionId: session.id, newest };
}
