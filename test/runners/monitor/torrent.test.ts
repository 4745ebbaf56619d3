import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentSpec } from '../../../core/catalog/types.js';
import { queryFindings, reviewQueue } from '../../../core/db/findings.js';
import { torrentLine } from '../../../bot/slack/card.js';
import { decodeBencode } from '../../../runners/monitor/bencode.js';
import { createFetcher, parseResolve } from '../../../runners/monitor/fetch.js';
import { deriveKeywords } from '../../../runners/monitor/keywords.js';
import { runRound } from '../../../runners/monitor/round.js';
import { matchingFiles } from '../../../runners/monitor/torrent-check.js';
import { parseMagnet, parseTorrentFile } from '../../../runners/monitor/torrent.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { siteDoc } from './families.test.js';
import { piracyTemplate, startFixtureServer, type FixtureServer } from './fixture-web.js';

const MB = 1024 ** 2;
const content: ContentSpec = { type: 'season', title: 'Moonlit Harbor', season: 1, episodes: 10, releaseDate: '2026-03-06' };
const list = deriveKeywords('moonlit', content);

/** A bencoder for fixtures: what a real client writes (sorted keys). */
function bencode(v: unknown): Buffer {
  if (typeof v === 'number') return Buffer.from(`i${v}e`);
  if (typeof v === 'string' || Buffer.isBuffer(v)) { const b = Buffer.isBuffer(v) ? v : Buffer.from(v); return Buffer.concat([Buffer.from(`${b.length}:`), b]); }
  if (Array.isArray(v)) return Buffer.concat([Buffer.from('l'), ...v.map(bencode), Buffer.from('e')]);
  const o = v as Record<string, unknown>;
  return Buffer.concat([Buffer.from('d'), ...Object.keys(o).sort().flatMap((k) => [bencode(k), bencode(o[k])]), Buffer.from('e')]);
}
const torrentOf = (info: Record<string, unknown>): Buffer => bencode({ announce: 'udp://tracker.example:1337/announce', 'created by': 'qBittorrent v4.6', info: { 'piece length': 262144, pieces: Buffer.alloc(20), ...info } });

const seasonPack = torrentOf({ name: 'Moonlit.Harbor.S01.1080p.WEB-DL.x264-GRP', files: [
  { length: 1400 * MB, path: ['Moonlit.Harbor.S01E01.1080p.WEB-DL.x264-GRP.mkv'] },
  { length: 1300 * MB, path: ['Moonlit.Harbor.S01E02.1080p.WEB-DL.x264-GRP.mkv'] },
  { length: 12_000, path: ['Moonlit.Harbor.S01E01.1080p.WEB-DL.x264-GRP.srt'] },
  { length: 90, path: ['RARBG.txt'] },
] });

describe('bencode', () => {
  it('decodes integers, strings, lists and dictionaries, and the span of a key', () => {
    const buf = Buffer.from('d3:bar4:spam3:fooi-42e4:infold1:xi1eeee');
    const { value, span } = decodeBencode(buf, { spanOf: 'info' });
    expect((value as Record<string, unknown>).foo).toBe(-42n);
    expect(String((value as Record<string, Buffer>).bar)).toBe('spam');
    expect(buf.subarray(span![0], span![1]).toString()).toBe('ld1:xi1eee');
  });

  it.each([
    ['a string longer than the data', Buffer.from('4294967295:abc'), /string of 4294967295 bytes is longer than the 3 bytes left at byte 0/],
    ['deep nesting', Buffer.from(`${'l'.repeat(100_000)}${'e'.repeat(100_000)}`), /nested deeper than 32 at byte 32/],
    ['a huge integer', Buffer.from(`i${'9'.repeat(5000)}e`), /integer is longer than 20 digits/],
    ['too many values', Buffer.from(`l${'i1e'.repeat(200_001)}e`), /more than 200000 values/],
    ['an unterminated list', Buffer.from('li1e'), /list is not terminated/],
    ['a leading zero', Buffer.from('i03e'), /invalid integer "03"/],
    ['trailing data', Buffer.from('i1ei2e'), /trailing data after the value at byte 3/],
    ['a non-string key', Buffer.from('di1ei2ee'), /dictionary key is not a string at byte 1/],
  ])('refuses %s and names the byte', (_name, buf, message) => {
    // The bounds stop a bomb before it costs anything; how fast is for benches, not for a loaded test machine.
    expect(() => decodeBencode(buf)).toThrow(message);
  });
});

describe('torrent metadata', () => {
  it('reads a multi-file torrent and its v1 info-hash', () => {
    const meta = parseTorrentFile(seasonPack);
    expect(meta.name).toBe('Moonlit.Harbor.S01.1080p.WEB-DL.x264-GRP');
    expect(meta.files.map((f) => f.path)[0]).toBe('Moonlit.Harbor.S01.1080p.WEB-DL.x264-GRP/Moonlit.Harbor.S01E01.1080p.WEB-DL.x264-GRP.mkv');
    expect(meta.totalLength).toBe(2700 * MB + 12_090);
    const { span } = decodeBencode(seasonPack, { spanOf: 'info' });
    expect(meta.infoHash).toBe(createHash('sha1').update(seasonPack.subarray(span![0], span![1])).digest('hex'));
  });

  it('refuses a negative or absurd length', () => {
    expect(() => parseTorrentFile(torrentOf({ name: 'x.mkv', length: -5 }))).toThrow(/not a plausible byte count/);
    expect(() => parseTorrentFile(bencode({ announce: 'x' }))).toThrow(/no info dictionary/);
  });

  it('reads a magnet link\'s name, size and hash', () => {
    expect(parseMagnet(`magnet:?xt=urn:btih:${'ab'.repeat(20)}&dn=Moonlit+Harbor+S01E03+720p&xl=${900 * MB}&tr=udp%3A%2F%2Ft.example`)).toEqual({
      from: 'magnet', name: 'Moonlit Harbor S01E03 720p', files: [{ path: 'Moonlit Harbor S01E03 720p', length: 900 * MB }], totalLength: 900 * MB, infoHash: 'ab'.repeat(20),
    });
    expect(parseMagnet('magnet:?xt=urn:btih:abc')).toBeUndefined();
  });

  it('matches the video files of this title and episode at a plausible size, not samples, subtitles or decoys', () => {
    expect(matchingFiles(parseTorrentFile(seasonPack), list, content).map((f) => f.episodes)).toEqual([[1], [2]]);
    const decoys = [
      torrentOf({ name: 'Moonlit.Hamlet.S01E03.1080p.mkv', length: 1400 * MB }),
      torrentOf({ name: 'Moonlit.Harbor.S01E03.Sample.mkv', length: 20 * MB }),
      torrentOf({ name: 'Moonlit.Harbor.S01.Soundtrack', files: [{ length: 9 * MB, path: ['01 - Theme.flac'] }] }),
      torrentOf({ name: 'Moonlit.Harbor.S01E03.1080p.mkv', length: 60 * 1024 * MB }),
      torrentOf({ name: 'Moonlit.Harbor.Behind.The.Scenes.1080p.mkv', length: 800 * MB }),
    ];
    for (const d of decoys) expect(matchingFiles(parseTorrentFile(d), list, content), parseTorrentFile(d).name).toEqual([]);
  });
});

describe('torrents in a round', () => {
  let server: FixtureServer;
  let services: TestServices;
  beforeAll(async () => {
    server = await startFixtureServer();
    services = await openTestServices();
    const item = (n: number, title: string): string => `<item><title>${title}</title><guid>${server.url('idx.example', `/details/${n}`)}</guid>
      <comments>${server.url('idx.example', `/details/${n}`)}</comments><link>${server.url('idx.example', `/dl/${n}`)}</link>
      <torznab:attr name="seeders" value="${40 + n}"/><torznab:attr name="size" value="${1400 * MB}"/></item>`;
    server.route('idx.example', '/api', {
      type: 'application/rss+xml',
      body: `<?xml version="1.0"?><rss version="2.0" xmlns:torznab="http://torznab.com/schemas/2015/feed"><channel><title>idx</title>
        ${item(1, 'Moonlit Harbor S01 1080p WEB-DL x264 Complete')}${item(2, 'Moonlit Harbor S01E03 1080p WEB-DL x264')}${item(3, 'Moonlit Harbor S01E04 720p x264')}
      </channel></rss>`,
    });
    // Jackett-style download links without a .torrent suffix; the second is a 20 MB "sample" under the real name, the third a bencode bomb.
    server.route('idx.example', '/dl/1', { type: 'application/x-bittorrent', body: seasonPack });
    server.route('idx.example', '/dl/2', { type: 'application/x-bittorrent', body: torrentOf({ name: 'Moonlit.Harbor.S01E03.1080p.WEB-DL.x264.mkv', length: 20 * MB }) });
    server.route('idx.example', '/dl/3', { type: 'application/x-bittorrent', body: Buffer.from(`d4:info${'l'.repeat(50_000)}`) });
  });
  afterAll(async () => { await server?.close(); await services?.close(); });

  it('reads the magnet link of an index page that has no .torrent link, and confirms it by its name and size', async () => {
    const magnet = (name: string, bytes: number): string => `magnet:?xt=urn:btih:${createHash('sha1').update(name).digest('hex')}&amp;dn=${name}&amp;xl=${bytes}&amp;tr=udp%3A%2F%2Ftracker.example%3A1337`;
    server.route('bay.example', '/torrent/77/moonlit-harbor-s01e05', {
      type: 'text/html',
      body: piracyTemplate({ title: 'Moonlit Harbor S01E05 1080p WEB-DL x264 - download torrent', body: `<p>Seeders 214 · Leechers 31 · 1.4 GB</p>
        <a class="btn-magnet" href="${magnet('Moonlit.Harbor.S01E05.1080p.WEB-DL.x264-GRP.mkv', 1400 * MB)}">Magnet download</a>
        <p>Uploaded by rlsbot. Also: <a href="${magnet('Moonlit.Harbor.S01E05.SAMPLE.mkv', 20 * MB)}">sample</a></p>` }),
    });
    const result = await runRound({
      contentId: 'moonlit', content,
      sites: [siteDoc('bay', { type: 'piracy', category: 'torrent', domains: ['bay.example'], sources: [{ type: 'web', url: server.url('bay.example', '/torrent/77/moonlit-harbor-s01e05'), depth: 0 }] })],
      fetch: createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()) }),
    });
    expect(result.findings).toHaveLength(1);
    expect(result.findings[0]).toMatchObject({ url: server.url('bay.example', '/torrent/77/moonlit-harbor-s01e05'), confirmedBy: 'torrent-metadata' });
    expect(result.findings[0]!.evidence.phase2).toMatchObject({ method: 'torrent-metadata', from: 'magnet', name: 'Moonlit.Harbor.S01E05.1080p.WEB-DL.x264-GRP.mkv' });
  });

  it('records a torrent whose files match as a finding confirmed by metadata, and keeps the rest in review', async () => {
    const result = await runRound({
      contentId: 'moonlit', content, job: { id: 'job-t', spec: { content: 'moonlit', tier: 'premium', detection: 'manual', takedown: 'manual', start: '2026-03-06' } },
      sites: [siteDoc('idx', { type: 'piracy', category: 'torrent', domains: ['idx.example'], sources: [{ type: 'torznab', url: server.url('idx.example', '/api') }] })],
      fetch: createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()) }),
      db: services.db.pool,
    });
    expect(result.findings).toHaveLength(1);
    const [f] = result.findings;
    expect(f).toMatchObject({ url: server.url('idx.example', '/details/1'), confirmedBy: 'torrent-metadata' });
    expect(f!.distance).toBeUndefined();
    expect(f!.evidence.phase2).toMatchObject({ method: 'torrent-metadata', from: 'torrent-file', name: 'Moonlit.Harbor.S01.1080p.WEB-DL.x264-GRP', fileCount: 4 });
    const stored = await queryFindings(services.db.pool, { contentId: 'moonlit' });
    expect(stored.map((s) => s.matchDistance)).toEqual([null]);
    expect(torrentLine(stored[0]!.evidence)).toBe('confirmed by torrent metadata, not media: "Moonlit.Harbor.S01.1080p.WEB-DL.x264-GRP", 2.6 GB, 4 file(s); matched Moonlit.Harbor.S01E01.1080p.WEB-DL.x264-GRP.mkv E1 (1.4 GB), Moonlit.Harbor.S01E02.1080p.WEB-DL.x264-GRP.mkv E2 (1.3 GB)');
    const review = await reviewQueue(services.db.pool, 'moonlit');
    expect(review.map((s) => s.url).sort()).toEqual([server.url('idx.example', '/details/2'), server.url('idx.example', '/details/3')]);
    const bomb = result.suspects.find((s) => s.url.endsWith('/details/3'))!;
    expect(bomb.reason).toMatch(/the torrent at http:\/\/idx\.example:\d+\/dl\/3 could not be read: nested deeper than 32 at byte 38/);
  });
});
