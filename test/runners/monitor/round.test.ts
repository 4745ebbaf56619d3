import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentSpec } from '../../../core/catalog/types.js';
import { createConfirmer, referenceFingerprints, type References } from '../../../runners/monitor/confirm.js';
import { createFetcher, parseResolve } from '../../../runners/monitor/fetch.js';
import { SUSPECT_FPS, videoFingerprints } from '../../../runners/monitor/fingerprint.js';
import { matchSequences } from '../../../native/fingerprint.js';
import { queryFindings, reviewQueue } from '../../../core/db/findings.js';
import { runRound, type RoundInput } from '../../../runners/monitor/round.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { siteDoc } from './families.test.js';
import { articleTemplate, piracyTemplate, startFixtureServer, type FixtureServer } from './fixture-web.js';

const content: ContentSpec = {
  type: 'season', title: 'Moonlit Harbor', season: 1, episodes: 10, releaseDate: '2026-03-06', watermarked: true,
  localizedTitles: [{ lang: 'ko', title: '달빛 항구' }, { lang: 'ja', title: '月明かりの港' }],
  referenceMedia: [{ path: 'ref.mp4', kind: 'video', episode: 3 }],
};

let server: FixtureServer;
let services: TestServices;
let work: string;
let references: References;
let input: RoundInput;

function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { cwd: work, timeout: 60_000 });
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-round-'));
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10:duration=8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'ref.mp4');
  // The leak: re-encoded at low quality, cropped and scaled down.
  ffmpeg('-i', 'ref.mp4', '-vf', 'crop=iw*0.92:ih*0.92,scale=256:144', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '38', 'leak.mp4');
  ffmpeg('-i', 'leak.mp4', '-c', 'copy', '-f', 'hls', '-hls_time', '2', '-hls_list_size', '0', '-hls_segment_filename', 'seg%d.ts', 'leak.m3u8');
  // Something else under the same title: a fake or a trailer of another film.
  ffmpeg('-f', 'lavfi', '-i', 'mandelbrot=size=320x180:rate=10', '-t', '8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'other.mp4');
  references = await referenceFingerprints(content, work);

  server = await startFixtureServer();
  services = await openTestServices();
  const u = (host: string, p: string) => server.url(host, p);
  const favicon = Buffer.from('streamfree-icon-bytes');
  const file = (name: string) => readFileSync(path.join(work, name));
  for (const host of ['streamfree.to', 'streamfree.cc', 'streamfree124.to']) {
    server.route(host, '/favicon.ico', { type: 'image/x-icon', body: favicon });
    server.route(host, '/media/leak.mp4', { type: 'video/mp4', body: file('leak.mp4') });
  }
  server.route('streamfree.to', '/latest', { body: piracyTemplate({ title: 'Latest episodes', body: 'New today', trackingId: 'G-SF12345', links: [
    u('streamfree.to', '/watch/moonlit-harbor-s01e03'), u('streamfree.to', '/watch/moonlit-harbor-s01e04'), u('streamfree.to', '/watch/moonlit-harbor-s01e05'),
    u('streamfree.to', '/watch/other-show'), u('streamfree.to', '/moved'),
  ] }) });
  server.route('streamfree.to', '/watch/moonlit-harbor-s01e03', { body: piracyTemplate({ title: 'Moonlit Harbor S01E03 - watch free in 1080p', body: 'Eng sub, no sign up. Stream free.', trackingId: 'G-SF12345', video: '/media/leak.mp4' }) });
  server.route('streamfree.to', '/watch/moonlit-harbor-s01e04', { body: piracyTemplate({ title: '달빛 항구 4화 다시보기', body: '고화질 무료보기', trackingId: 'G-SF12345', video: '/hls/leak.m3u8' }) });
  server.route('streamfree.to', '/hls/leak.m3u8', { type: 'application/vnd.apple.mpegurl', body: file('leak.m3u8') });
  for (const seg of readdirSync(work).filter((f) => f.endsWith('.ts'))) server.route('streamfree.to', `/hls/${seg}`, { type: 'video/mp2t', body: file(seg) });
  server.route('streamfree.to', '/watch/moonlit-harbor-s01e05', { body: piracyTemplate({ title: 'Moonlit Harbor S01E05 watch free 720p', body: 'eng sub', trackingId: 'G-SF12345', video: '/media/other.mp4' }) });
  server.route('streamfree.to', '/media/other.mp4', { type: 'video/mp4', body: file('other.mp4') });
  server.route('streamfree.to', '/watch/other-show', { body: piracyTemplate({ title: 'Other Show S02E01 watch free 1080p', body: 'eng sub', trackingId: 'G-SF12345' }) });
  // The site hops: the old domain redirects to a new one that is in no catalog.
  server.route('streamfree.to', '/moved', { status: 301, headers: { location: u('streamfree.cc', '/latest') } });
  server.route('streamfree.cc', '/latest', { body: piracyTemplate({ title: 'Latest', body: 'We moved!', trackingId: 'G-SF12345', links: [u('streamfree.cc', '/watch/moonlit-harbor-6')] }) });
  server.route('streamfree.cc', '/watch/moonlit-harbor-6', { body: piracyTemplate({ title: '月明かりの港 第6話 無料視聴', body: '高画質', trackingId: 'G-SF12345', video: '/media/leak.mp4' }) });
  // A second hop found only through search: a numbered name, the same template and favicon, new trackers.
  server.route('streamfree124.to', '/watch/moonlit-harbor-7', { body: piracyTemplate({ title: 'Moonlit Harbor Episode 7 Eng Sub free streaming', body: 'HD', trackingId: 'G-NEW999', video: '/media/leak.mp4' }) });
  server.route('search.example', '/v1/search', { type: 'application/json', body: JSON.stringify({ results: [
    { url: u('streamfree124.to', '/watch/moonlit-harbor-7'), title: 'Moonlit Harbor Episode 7 Eng Sub free streaming', snippet: 'watch free 1080p' },
    { url: u('news.example', '/tv/moonlit-harbor-review'), title: 'Moonlit Harbor episode 3 review', snippet: 'Critics on the 2026 drama, streaming on HarborPlus' },
    { url: u('watch.harborpictures.example', '/moonlit-harbor'), title: 'Moonlit Harbor: watch free episode 1 eng sub 1080p', snippet: 'Official site. Watch free now' },
  ] }) });
  server.route('news.example', '/tv/moonlit-harbor-review', { body: articleTemplate('Moonlit Harbor episode 3 review', 'A quiet triumph. Critics agree.') });
  server.route('feeds.example', '/rss', { type: 'application/rss+xml', body: `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>Moonlit.Harbor.S01E08.1080p.WEB-DL.x264</title><link>${u('bay.example', '/t/8')}</link><description>torrent</description></item></channel></rss>` });

  input = {
    contentId: 'moonlit', content,
    job: { id: 'moonlit-premium', spec: { content: 'moonlit', tier: 'premium', takedown: 'automatic', detection: 'manual' } },
    sites: [
      siteDoc('streamfree', { type: 'piracy', family: 'streamfree', domains: ['streamfree.to'], sources: [{ type: 'web', url: u('streamfree.to', '/latest'), depth: 2 }] }),
      siteDoc('search-api', { type: 'piracy', category: 'search', domains: ['search.example'], sources: [{ type: 'search', url: u('search.example', '/v1/search') }] }),
      siteDoc('torrent-bay', { type: 'piracy', domains: ['bay.example'], sources: [{ type: 'rss', url: u('feeds.example', '/rss') }] }),
      siteDoc('harbor-official', { type: 'legitimate', category: 'official', domains: ['harborpictures.example'] }),
    ],
    fetch: createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()) }),
    web: { perHostDelayMs: 0 },
    db: services.db.pool,
  };
  input.confirm = createConfirmer({ fetch: input.fetch, references });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await services?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('native fingerprints of sampled frames', () => {
  it('find a re-encoded, cropped, scaled copy at its offset and not another video', async () => {
    const [ref] = references.video;
    expect(ref).toMatchObject({ media: 'ref.mp4', episode: 3 });
    expect(ref!.frames).toHaveLength(16);
    const leak = await videoFingerprints(path.join(work, 'leak.mp4'), { fps: SUSPECT_FPS });
    const m = matchSequences(ref!.frames, leak);
    expect(m).toMatchObject({ matched: true, offset: 0 });
    expect(m.coverage).toBeGreaterThanOrEqual(0.8);
    const other = matchSequences(ref!.frames, await videoFingerprints(path.join(work, 'other.mp4'), { fps: SUSPECT_FPS }));
    expect(other.matched).toBe(false);
  });
});

describe('a monitoring round', () => {
  it('finds the leaks, follows the hops, and leaves legitimate pages alone', async () => {
    const r = await runRound(input);
    const found = r.findings.map((f) => new URL(f.url).host.replace(/:\d+$/, '') + new URL(f.url).pathname).sort();
    expect(found).toEqual([
      'streamfree.cc/watch/moonlit-harbor-6',
      'streamfree.to/watch/moonlit-harbor-s01e03',
      'streamfree.to/watch/moonlit-harbor-s01e04',
      'streamfree124.to/watch/moonlit-harbor-7',
    ]);
    expect(r.hops.map((h) => [h.host, h.site.family, h.signals.map((s) => s.kind).sort().join('+')]).sort()).toEqual([
      ['streamfree.cc', 'streamfree', 'favicon+name+redirect+structure+tracking-id'],
      ['streamfree124.to', 'streamfree', 'favicon+name+structure'],
    ]);
    // Enforcement carries over: findings on hop domains belong to the family.
    expect(r.findings.every((f) => f.family === 'streamfree')).toBe(true);
    const hls = r.findings.find((f) => f.url.includes('s01e04'))!;
    expect(hls.evidence.phase2).toMatchObject({ kind: 'hls' });
    expect(hls.evidence.phase2).toMatchObject({ reference: { media: 'ref.mp4', episode: 3 } });
    const phase2 = hls.evidence.phase2 as { matchedFrames: number; votes: number; matchedTimes: { from: number; to: number; referenceFrom: number; referenceTo: number }[] };
    expect(phase2.matchedFrames).toBeGreaterThanOrEqual(10);
    expect(phase2.votes).toBeGreaterThanOrEqual(3);
    expect(phase2.matchedTimes.length).toBeGreaterThan(0);
    // The fake under the right title is rejected by phase 2; the torrent listing has no media and waits for review.
    expect(r.suspects.find((s) => s.url.includes('s01e05'))).toMatchObject({ verdict: 'no-match' });
    expect(r.suspects.find((s) => s.url.includes('bay.example'))).toMatchObject({ verdict: 'unavailable' });
    expect(r.suspects.some((s) => s.url.includes('news.example') || s.url.includes('other-show'))).toBe(false);
    expect(r.allowListedPages).toBe(1);
    expect(r.suspects.some((s) => s.url.includes('harborpictures'))).toBe(false);

    const stored = await queryFindings(services.db.pool, { contentId: 'moonlit' });
    expect(stored).toHaveLength(4);
    // The job's takedown is automatic, but the title is watermarked: nothing is taken down before detection.
    expect(stored.every((f) => f.takedownStatus === 'Available' && f.detectionStatus === 'Available')).toBe(true);
    expect((await queryFindings(services.db.pool, { link: { host: 'harborpictures.example' } }))).toEqual([]);
    expect((await reviewQueue(services.db.pool, 'moonlit')).map((s) => new URL(s.url).host.replace(/:\d+$/, ''))).toEqual(['bay.example']);
  });

  it('deduplicates findings across rounds and remembers hops', async () => {
    const r = await runRound(input);
    expect(r.findings).toHaveLength(4);
    expect(r.findings.every((f) => f.created === false)).toBe(true);
    // Hosts already linked in round one are known sites now, not new hops.
    expect(r.hops).toEqual([]);
    const stored = await queryFindings(services.db.pool, { contentId: 'moonlit' });
    expect(stored.every((f) => f.rounds === 2)).toBe(true);
  });
});
