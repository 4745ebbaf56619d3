import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initialStatuses, loadHops, loadProfiles, queryFindings, recordHop, reviewQueue, saveProfile, setTakedownStatus, upsertFinding, upsertSuspect, type FindingInput } from '../../../runners/monitor/findings-store.js';
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

function finding(over: Partial<FindingInput>): FindingInput {
  return {
    contentId: 'moonlit', url: 'https://streamfree.to/watch/moonlit-harbor-3', siteId: 'streamfree', family: 'streamfree', pageTitle: 'Moonlit Harbor EP3',
    source: 'web', score: 12, matchDistance: 0.1, evidence: { frames: [10, 20] }, ...initialStatuses({ takedown: 'manual', detection: 'manual' }, { watermarked: true }), ...over,
  };
}

describe('findings store', () => {
  it('sets statuses by the rules of the monitoring job', () => {
    expect(initialStatuses({ takedown: 'automatic', detection: 'automatic' }, { watermarked: true })).toEqual({ takedownStatus: 'Takedown requested', detectionStatus: 'Downloading' });
    expect(initialStatuses({}, { watermarked: true })).toEqual({ takedownStatus: 'Available', detectionStatus: 'Available' });
    expect(initialStatuses({ detection: 'automatic' }, { watermarked: false })).toEqual({ takedownStatus: 'Available', detectionStatus: 'Not Available' });
  });

  it('keeps one finding per content and normalized URL across rounds, keeping statuses people set', async () => {
    const pool = services.db.pool;
    const first = await upsertFinding(pool, finding({ seenAt: new Date('2026-03-07T01:00:00Z') }));
    expect(first.created).toBe(true);
    await setTakedownStatus(pool, first.finding.id, 'In Progress');
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
    expect(await urls({ link: 'https://www.streamfree.to/watch/moonlit-harbor-3#x' })).toHaveLength(2);
    expect(await urls({ link: 'torrentbay.example' })).toEqual(['torrentbay.example/t/99']);
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
    expect(await recordHop(pool, { host: 'streamfree.cc', site, via: 'streamfree.to', signals: [{ kind: 'redirect', weight: 1, detail: 'x' }], confidence: 1 })).toBe(true);
    expect(await recordHop(pool, { host: 'streamfree.cc', site, via: 'streamfree.to', signals: [], confidence: 1 })).toBe(false);
    expect(await loadHops(pool, [site])).toEqual([['streamfree.cc', site]]);
    await saveProfile(pool, { host: 'streamfree.to', trackingIds: ['G-1'], structure: [1, 4_000_000_000], faviconHash: 'ab' }, 'streamfree');
    expect(await loadProfiles(pool)).toEqual([{ host: 'streamfree.to', trackingIds: ['G-1'], structure: [1, 4_000_000_000], faviconHash: 'ab' }]);
  });
});
