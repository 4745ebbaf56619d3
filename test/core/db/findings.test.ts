import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  initialStatuses, queryFindings, recordFinding, recordSuspect, reviewQueue, setDetectionStatus, setTakedownStatus, type FindingInput,
} from '../../../core/db/findings.js';
import { outboxRows } from '../../../core/db/outbox.js';
import { discoveredSites, hostProfiles, recordDiscoveredSite, saveHostProfile } from '../../../core/db/sites.js';
import { findingDetectionJobId, takedownJobId } from '../../../core/queues.js';
import { actOnFinding } from '../../../core/db/finding-actions.js';
import { isVigilError } from '../../../core/errors.js';
import { hostOf, linkQuery, normalizeUrl } from '../../../core/url.js';
import { openTestServices, type TestServices } from '../../support/services.js';

let services: TestServices;

beforeAll(async () => {
  services = await openTestServices();
  const pool = services.db.pool;
  await pool.query(`insert into catalog_objects (kind, id, spec, metadata, spec_hash) values
    ('Content', 'moonlit', $1, '{"id":"moonlit"}', 'h1'), ('Content', 'orchard', $2, '{"id":"orchard"}', 'h2')`, [
    JSON.stringify({ type: 'season', title: 'Moonlit Harbor', aliases: ['Moonlit Harbour'], localizedTitles: [{ lang: 'ko', title: '달빛 항구' }], season: 1, episodes: 10, releaseDate: '2026-03-06' }),
    JSON.stringify({ type: 'film', title: 'The Iron Orchard', releaseDate: '2025-11-14' }),
  ]);
});
afterAll(() => services.close());

type Over = Partial<Omit<FindingInput, 'normalizedUrl' | 'host'>>;

function finding(over: Over): FindingInput {
  const url = over.url ?? 'https://streamfree.to/watch/moonlit-harbor-3';
  return {
    contentId: 'moonlit', siteId: 'streamfree', family: 'streamfree', pageTitle: 'Moonlit Harbor EP3',
    source: 'web', score: 12, matchDistance: 0.1, evidence: { frames: [10, 20] }, ...initialStatuses({ takedown: 'manual', detection: 'manual' }, { watermarked: true }), ...over,
    url, normalizedUrl: normalizeUrl(url), host: hostOf(url),
  };
}

const upsertFinding = (pool: TestServices['db']['pool'], f: FindingInput) => recordFinding(pool, f, { actor: 'test', reason: 'seen by the test' });
const upsertSuspect = (pool: TestServices['db']['pool'], s: Omit<Parameters<typeof recordSuspect>[1], 'normalizedUrl' | 'host'>) =>
  recordSuspect(pool, { ...s, normalizedUrl: normalizeUrl(s.url), host: hostOf(s.url) }, { actor: 'test' });
const by = { actor: 'alice', reason: 'checked by hand' };

describe('findings, suspects and sites in core', () => {
  it('sets statuses by the rules of the monitoring job', () => {
    // Watermarked: never taken down before detection, whatever the job says.
    expect(initialStatuses({ takedown: 'automatic', detection: 'automatic' }, { watermarked: true })).toEqual({ takedownStatus: 'Available', detectionStatus: 'Downloading' });
    expect(initialStatuses({ takedown: 'automatic', detection: 'automatic' }, { watermarked: false })).toEqual({ takedownStatus: 'Takedown requested', detectionStatus: 'Not Available' });
    expect(initialStatuses({}, { watermarked: true })).toEqual({ takedownStatus: 'Available', detectionStatus: 'Available' });
    expect(initialStatuses({ detection: 'automatic' }, { watermarked: false })).toEqual({ takedownStatus: 'Available', detectionStatus: 'Not Available' });
  });

  it('keeps one finding per content and normalized URL across rounds, keeping statuses people set', async () => {
    const pool = services.db.pool;
    const first = await upsertFinding(pool, finding({ seenAt: new Date('2026-03-07T01:00:00Z') }));
    expect(first.created).toBe(true);
    await setTakedownStatus(pool, first.finding.id, 'In Progress', by);
    const again = await upsertFinding(pool, finding({ url: 'http://www.streamfree.to/watch/moonlit-harbor-3/?utm_source=feed', source: 'rss', score: 15, matchDistance: 0.05, evidence: { pages: [1] }, seenAt: new Date('2026-03-08T01:00:00Z') }));
    expect(again.created).toBe(false);
    expect(again.finding).toMatchObject({ id: first.finding.id, rounds: 2, score: 15, takedownStatus: 'In Progress', url: 'https://streamfree.to/watch/moonlit-harbor-3' });
    expect(again.finding.matchDistance).toBeCloseTo(0.05);
    expect(again.finding.evidence).toEqual({ frames: [10, 20], pages: [1] });
    expect(again.finding.lastSeen.toISOString()).toBe('2026-03-08T01:00:00.000Z');
    // Another content at the same URL is another finding.
    expect((await upsertFinding(pool, finding({ contentId: 'orchard', pageTitle: 'Iron Orchard 2025' }))).created).toBe(true);
  });

  it('refuses statuses outside the closed sets', async () => {
    await expect(services.db.pool.query(`update findings set takedown_status = 'Done'`)).rejects.toThrow(/check constraint/);
    await expect(services.db.pool.query(`update findings set detection_status = 'Maybe'`)).rejects.toThrow(/check constraint/);
  });

  it('queries by title (any of the content names), link, statuses and family', async () => {
    const pool = services.db.pool;
    await upsertFinding(pool, finding({ url: 'https://torrentbay.example/t/99', siteId: 'torrent-bay', family: 'torrent-bay', pageTitle: 'x', source: 'torznab', takedownStatus: 'Complete', detectionStatus: 'Completed', seenAt: new Date('2026-03-09T16:30:00Z') }));
    const urls = async (q: Parameters<typeof queryFindings>[1]) => (await queryFindings(pool, q)).map((f) => f.normalizedUrl).sort();
    expect(await urls({ title: '달빛' })).toEqual(['streamfree.to/watch/moonlit-harbor-3', 'torrentbay.example/t/99']);
    expect(await urls({ title: 'harbour' })).toHaveLength(2);
    expect(await urls({ title: 'orchard' })).toEqual(['streamfree.to/watch/moonlit-harbor-3']);
    expect(await urls({ title: '100%' })).toEqual([]);
    expect(await urls({ link: linkQuery('https://www.streamfree.to/watch/moonlit-harbor-3#x') })).toHaveLength(2);
    expect(await urls({ link: linkQuery('torrentbay.example') })).toEqual(['torrentbay.example/t/99']);
    expect(await urls({ takedownStatus: ['Complete'] })).toEqual(['torrentbay.example/t/99']);
    expect(await urls({ detectionStatus: ['Available', 'Completed'], contentId: 'moonlit' })).toHaveLength(2);
    expect(await urls({ family: 'torrent-bay' })).toEqual(['torrentbay.example/t/99']);
    await expect(queryFindings(pool, { takedownStatus: ['Gone' as never] })).rejects.toThrow(/unknown takedown status/);
  });

  it('queries a period in calendar days of a time zone', async () => {
    const pool = services.db.pool;
    // 2026-03-09T16:30Z is 2026-03-10 01:30 in Seoul and 2026-03-09 09:30 in Los Angeles.
    const q = (timeZone: string, day: string) => queryFindings(pool, { contentId: 'moonlit', period: { from: day, to: day, timeZone } });
    expect((await q('Asia/Seoul', '2026-03-10')).map((f) => f.normalizedUrl)).toEqual(['torrentbay.example/t/99']);
    expect(await q('Asia/Seoul', '2026-03-09')).toEqual([]);
    expect((await q('America/Los_Angeles', '2026-03-09')).map((f) => f.normalizedUrl)).toEqual(['torrentbay.example/t/99']);
    expect((await queryFindings(pool, { contentId: 'moonlit', period: { from: '2026-03-07', timeZone: 'UTC' } })).length).toBe(2);
    await expect(q('Mars/Olympus', '2026-03-09')).rejects.toThrow(/unknown time zone/);
    await expect(q('UTC', '2026-13-45')).rejects.toThrow(/not a date/);
  });

  it('keeps a review queue of unconfirmed suspects, and confirms them when a finding arrives', async () => {
    const pool = services.db.pool;
    const s = { contentId: 'moonlit', url: 'https://blog.example/p/3', pageTitle: '달빛 항구 3화', source: 'rss' as const, score: 9, reason: 'no media to compare', evidence: {} };
    expect((await upsertSuspect(pool, { ...s, queueForReview: true })).created).toBe(true);
    expect((await upsertSuspect(pool, { ...s, score: 11, queueForReview: true })).created).toBe(false);
    await upsertSuspect(pool, { ...s, url: 'https://blog.example/p/4', queueForReview: false });
    expect((await reviewQueue(pool, 'moonlit')).map((r) => [r.url, r.score])).toEqual([['https://blog.example/p/3', 11]]);
    await upsertFinding(pool, finding({ url: 'https://blog.example/p/3' }));
    expect(await reviewQueue(pool, 'moonlit')).toEqual([]);
  });

  it('remembers hops and host profiles between rounds', async () => {
    const pool = services.db.pool;
    const site = { id: 'streamfree', type: 'piracy' as const, family: 'sf', domains: ['streamfree.to'] };
    const hop = { host: 'streamfree.cc', siteId: site.id, family: site.family, viaHost: 'streamfree.to', confidence: 1 };
    expect(await recordDiscoveredSite(pool, { ...hop, signals: [{ kind: 'redirect', weight: 1, detail: 'x' }] }, { actor: 'monitor' })).toBe(true);
    expect(await recordDiscoveredSite(pool, { ...hop, signals: [] }, { actor: 'monitor' })).toBe(false);
    expect(await discoveredSites(pool)).toEqual([{ host: 'streamfree.cc', siteId: 'streamfree', family: 'sf' }]);
    const audit = await pool.query(`select actor, action, object_id from audit_log where action = 'site-discovered'`);
    expect(audit.rows).toEqual([{ actor: 'monitor', action: 'site-discovered', object_id: 'streamfree' }]);
    await saveHostProfile(pool, { host: 'streamfree.to', trackingIds: ['G-1'], structure: [1, 4_000_000_000], faviconHash: 'ab' }, 'streamfree');
    expect(await hostProfiles(pool)).toEqual([{ host: 'streamfree.to', trackingIds: ['G-1'], structure: [1, 4_000_000_000], faviconHash: 'ab' }]);
  });

  it('writes a new finding, its audit row and (for automatic detection) its detect job in one transaction', async () => {
    const pool = services.db.pool;
    const auto = initialStatuses({ detection: 'automatic' }, { watermarked: true });
    const { finding: f, created } = await upsertFinding(pool, finding({ url: 'https://auto.example/w/1', ...auto }));
    expect(created).toBe(true);
    const audit = await pool.query(`select actor, reason from audit_log where action = 'finding-created' and object_id = $1`, [String(f.id)]);
    expect(audit.rows).toEqual([{ actor: 'test', reason: 'seen by the test' }]);
    const owed = (await outboxRows(pool)).filter((r) => r.jobId === findingDetectionJobId(f.id));
    expect(owed.map((r) => [r.queue, r.name, r.payload, r.sentAt])).toEqual([['detect', 'finding', { findingId: f.id }, null]]);
    // Seen again: no second audit row, no second job; a manual-detection finding owes none.
    await upsertFinding(pool, finding({ url: 'https://auto.example/w/1', ...auto }));
    expect((await outboxRows(pool)).filter((r) => r.jobId === findingDetectionJobId(f.id))).toHaveLength(1);
    const manual = await upsertFinding(pool, finding({ url: 'https://auto.example/w/2' }));
    expect((await outboxRows(pool)).some((r) => r.jobId === findingDetectionJobId(manual.finding.id))).toBe(false);
  });

  it('owes an automatic takedown its job and audits it as the first request, so a re-request after Failed is a new job', async () => {
    const pool = services.db.pool;
    const auto = initialStatuses({ takedown: 'automatic' }, { watermarked: false });
    const { finding: f } = await upsertFinding(pool, finding({ url: 'https://auto.example/t/1', ...auto }));
    expect(f.takedownStatus).toBe('Takedown requested');
    expect((await outboxRows(pool)).filter((r) => r.queue === 'takedown' && (r.payload as { findingId: number }).findingId === f.id).map((r) => r.jobId)).toEqual([takedownJobId(f.id, 1)]);
    const audit = await pool.query(`select action, details->>'to' as to from audit_log where object_id = $1 and action = 'takedown-status'`, [String(f.id)]);
    expect(audit.rows).toEqual([{ action: 'takedown-status', to: 'Takedown requested' }]);
    await setTakedownStatus(pool, f.id, 'Failed', { actor: 'notices', reason: 'delivery failed' });
    expect(await actOnFinding(pool, f.id, 'takedown', { actor: 'slack:UALICE', reason: 'try again', override: false })).toMatchObject({ outcome: 'done' });
    expect((await outboxRows(pool)).filter((r) => r.queue === 'takedown' && (r.payload as { findingId: number }).findingId === f.id).map((r) => r.jobId)).toEqual([takedownJobId(f.id, 1), takedownJobId(f.id, 2)]);
  });

  it('changes statuses only with an audit row naming who, why, from and to', async () => {
    const pool = services.db.pool;
    const { finding: f } = await upsertFinding(pool, finding({ url: 'https://status.example/w/1' }));
    expect(await setTakedownStatus(pool, f.id, 'Takedown requested', by)).toEqual({ from: 'Available', to: 'Takedown requested' });
    expect(await setDetectionStatus(pool, f.id, 'Completed', { actor: 'detector', reason: 'no watermark found' }, { found: false })).toEqual({ from: 'Available', to: 'Completed' });
    const rows = await pool.query(`select actor, action, reason, details from audit_log where object_kind = 'Finding' and object_id = $1 and action <> 'finding-created' order by id`, [String(f.id)]);
    expect(rows.rows).toEqual([
      { actor: 'alice', action: 'takedown-status', reason: 'checked by hand', details: { from: 'Available', to: 'Takedown requested' } },
      { actor: 'detector', action: 'detection-status', reason: 'no watermark found', details: { from: 'Available', to: 'Completed' } },
    ]);
    expect((await pool.query('select evidence from findings where id = $1', [f.id])).rows[0].evidence.detection).toEqual({ found: false });
    const unknown = await setTakedownStatus(pool, 999_999, 'Complete', by).catch((e: unknown) => e);
    expect(isVigilError(unknown, 'FINDING_UNKNOWN')).toBe(true);
    await expect(setTakedownStatus(pool, f.id, 'Done' as never, by)).rejects.toThrow(/unknown takedown status "Done"/);
  });
});
