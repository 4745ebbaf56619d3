import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentSpec } from '../../../core/catalog/types.js';
import { createConfirmer, referenceFingerprints, type References } from '../../../runners/monitor/confirm.js';
import { createFetcher, parseResolve } from '../../../runners/monitor/fetch.js';
import { runRound, type RoundInput, type RoundResult } from '../../../runners/monitor/round.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { siteDoc } from './families.test.js';
import { startFixtureServer, type FixtureServer } from './fixture-web.js';

/**
 * A small pirate web built the way real ones are: a series page that links episodes on its own site
 * and files on a cyberlocker; players in iframes nested across hosts, set up by jwplayer, Clappr and
 * video.js in inline and external scripts, HLS and DASH behind them, lazy data-src and og:video; a
 * locker's form, countdown page and soft 404; a new domain that no redirect leads to. Decoys look
 * the same and carry another video.
 */

const content: ContentSpec = {
  type: 'season', title: 'Moonlit Harbor', season: 1, episodes: 10, releaseDate: '2026-03-06', watermarked: true,
  referenceMedia: [{ path: 'ref.mp4', kind: 'video', episode: 3 }],
};

let server: FixtureServer;
let services: TestServices;
let work: string;
let references: References;
let input: RoundInput;
let round: RoundResult;

function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { cwd: work, timeout: 60_000 });
}

/** A streaming site's page as such sites are made: menu, player box, episode list, trackers, ads. */
function pirate(o: { title: string; player?: string; links?: [string, string][]; text?: string; head?: string; tracking?: string }): string {
  const items = (o.links ?? []).map(([href, label]) => `<li class="ep"><a class="ep-link" href="${href}">${label}</a></li>`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${o.title}</title><link rel="icon" href="/favicon.ico">${o.head ?? ''}
<script async src="https://www.googletagmanager.com/gtag/js?id=${o.tracking ?? 'G-KD44444'}"></script>
<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag('config','${o.tracking ?? 'G-KD44444'}');</script></head>
<body><div id="wrapper"><header class="site-header"><nav class="main-nav"><a href="/">Home</a><a href="/drama">Drama</a><a href="/movies">Movies</a></nav></header>
<div class="container"><h1 class="post-title">${o.title}</h1><div class="player-area">${o.player ?? ''}</div>
<div class="entry-content"><p>${o.text ?? 'Watch free with eng sub in HD 1080p. No sign up.'}</p><ul class="episodes">${items}</ul></div></div>
<div class="sidebar"><div class="widget">ads</div></div><footer class="site-footer">DMCA | Contact</footer></div></body></html>`;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-pirate-web-'));
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10:duration=8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'ref.mp4');
  ffmpeg('-i', 'ref.mp4', '-vf', 'crop=iw*0.92:ih*0.92,scale=256:144', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '36', 'leak.mp4');
  ffmpeg('-f', 'lavfi', '-i', 'mandelbrot=size=320x180:rate=10', '-t', '8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'other.mp4');
  mkdirSync(path.join(work, 'hls'));
  ffmpeg('-i', 'leak.mp4', '-c', 'copy', '-f', 'hls', '-hls_time', '2', '-hls_list_size', '0', '-hls_segment_filename', 'hls/s%d.ts', 'hls/low.m3u8');
  mkdirSync(path.join(work, 'dash'));
  ffmpeg('-i', 'leak.mp4', '-c', 'copy', '-f', 'dash', '-seg_duration', '2', '-use_template', '1', '-use_timeline', '1',
    '-init_seg_name', 'init-$RepresentationID$.m4s', '-media_seg_name', 'c-$RepresentationID$-$Number%05d$.m4s', 'dash/ep6.mpd');
  references = await referenceFingerprints(content, work);

  server = await startFixtureServer();
  services = await openTestServices();
  const u = (host: string, p: string) => server.url(host, p);
  const file = (name: string) => readFileSync(path.join(work, name));
  const mp4 = (name: string) => ({ type: 'video/mp4', body: file(name) });
  const icon = { type: 'image/x-icon', body: Buffer.from('kd-icon') };

  // The series page: episodes on the site, files on a locker, a mirror on a new domain in plain text.
  server.route('kdrama4u.to', '/series/moonlit-harbor', { body: pirate({
    title: 'Moonlit Harbor (2026) all episodes eng sub',
    text: `Watch Moonlit Harbor free. Blocked in your country? Our mirror: kdrama5u.to:${server.port}`,
    links: [
      ['/ep/3', 'Episode 3'], ['/ep/4', 'Episode 4'], ['/ep/5', 'Episode 5'], ['/ep/6', 'Episode 6'], ['/ep/8', 'Episode 8'],
      [u('filelocker.io', '/f/x7Kq2'), 'Episode 7 download'], [u('filelocker.io', '/f/gone1'), 'Episode 9 download'],
    ],
  }) });
  for (const host of ['kdrama4u.to', 'kdrama5u.to']) server.route(host, '/favicon.ico', icon);
  // Episode 3: an iframe to an embed host, which nests the player host's iframe, where jwplayer plays an HLS master.
  server.route('kdrama4u.to', '/ep/3', { body: pirate({ title: 'Moonlit Harbor Episode 3 Eng Sub', player: `<iframe src="${u('embedplay.cc', '/e/ab12')}" allowfullscreen></iframe>` }) });
  server.route('embedplay.cc', '/e/ab12', { body: `<html><body><div class="server-list"><iframe data-src="${u('vidcdn.net', '/player/ab12')}" class="lazy"></iframe></div></body></html>` });
  server.route('vidcdn.net', '/player/ab12', { body: `<html><head><script src="https://ssl.p.jwpcdn.com/player/v/8.26/jwplayer.js"></script></head><body><div id="vplayer"></div>
<script>var player = jwplayer("vplayer"); player.setup({ sources: [{ file: "http:\\/\\/vidcdn.net:${server.port}\\/hls\\/master.m3u8", label: "auto" }], width: "100%", autostart: false });</script></body></html>` });
  server.route('vidcdn.net', '/hls/master.m3u8', { type: 'application/vnd.apple.mpegurl', body: [
    '#EXTM3U', '#EXT-X-STREAM-INF:BANDWIDTH=6000000,RESOLUTION=1920x1080', 'hd/index.m3u8', '#EXT-X-STREAM-INF:BANDWIDTH=300000,RESOLUTION=256x144', 'low.m3u8', '',
  ].join('\n') });
  server.route('vidcdn.net', '/hls/low.m3u8', { type: 'application/vnd.apple.mpegurl', body: file('hls/low.m3u8') });
  for (const seg of readdirSync(path.join(work, 'hls')).filter((f) => f.endsWith('.ts'))) server.route('vidcdn.net', `/hls/${seg}`, { type: 'video/mp2t', body: file(`hls/${seg}`) });
  // Episode 4: Clappr set up in a same-site external script; the source has no extension, the response says video/mp4.
  server.route('kdrama4u.to', '/ep/4', { body: pirate({ title: 'Moonlit Harbor Episode 4 Eng Sub', player: '<div id="clappr"></div>', head: '<script src="/assets/js/watch-ep4.js"></script>' }) });
  server.route('kdrama4u.to', '/assets/js/watch-ep4.js', { type: 'application/javascript', body: 'window.addEventListener("load",function(){ new Clappr.Player({ source: "/stream/get?id=ep4&t=9f2", parentId: "#clappr" }); });' });
  server.route('kdrama4u.to', '/stream/get', mp4('leak.mp4'));
  // Episode 5, the decoy: the same markup and player, another video.
  server.route('kdrama4u.to', '/ep/5', { body: pirate({ title: 'Moonlit Harbor Episode 5 Eng Sub', player: '<video id="v" class="video-js"></video><script>videojs("v").src({ src: "/media/e5.mp4", type: "video/mp4" });</script>' }) });
  server.route('kdrama4u.to', '/media/e5.mp4', mp4('other.mp4'));
  // Episode 6: a lazy data-src on a div names a DASH manifest.
  server.route('kdrama4u.to', '/ep/6', { body: pirate({ title: 'Moonlit Harbor Episode 6 Eng Sub', player: '<div class="lazy-player" data-src="/dash/ep6.mpd"></div>' }) });
  for (const f of readdirSync(path.join(work, 'dash'))) server.route('kdrama4u.to', `/dash/${f}`, { type: f.endsWith('.mpd') ? 'application/dash+xml' : 'video/iso.segment', body: file(`dash/${f}`) });
  // Episode 8: only og:video, on an address without extension.
  server.route('kdrama4u.to', '/ep/8', { body: pirate({ title: 'Moonlit Harbor Episode 8 Eng Sub', head: '<meta property="og:video" content="/v/8">' }) });
  server.route('kdrama4u.to', '/v/8', mp4('leak.mp4'));
  // The locker: file page → POST form with a hidden id → countdown page whose script sends the browser to the file.
  server.route('filelocker.io', '/f/x7Kq2', (req) => (req.method === 'POST'
    ? { body: `<html><body><p>Your link is ready in <span id="c">10</span> seconds</p><script>setTimeout(function(){ window.location.href = "/dl/x7Kq2/token-77"; }, 10000);</script></body></html>` }
    : { body: `<html><head><title>Moonlit.Harbor.S01E07.1080p.WEB-DL.mkv - FileLocker</title></head><body><h2>Moonlit.Harbor.S01E07.1080p.WEB-DL.mkv</h2><p>Size 412 MB</p>
<form method="POST" action=""><input type="hidden" name="op" value="download1"><input type="hidden" name="id" value="x7Kq2"><input type="submit" name="method_free" value="Free Download"></form></body></html>` }));
  server.route('filelocker.io', '/dl/x7Kq2/token-77', { type: 'application/octet-stream', body: file('leak.mp4') });
  server.route('filelocker.io', '/f/gone1', { body: '<html><head><title>File Not Found - FileLocker</title></head><body><h2>File Not Found</h2><p>The file you were looking for could not be found, sorry for any inconvenience. It was deleted by its owner or for a copyright violation.</p></body></html>' });
  // The new domain: linked from nowhere, named in text; same template, favicon and tracker.
  server.route('kdrama5u.to', '/', { body: pirate({ title: 'KDrama4U new home', links: [['/ep/10', 'Moonlit Harbor Episode 10']] }) });
  server.route('kdrama5u.to', '/ep/10', { body: pirate({ title: 'Moonlit Harbor Episode 10 Eng Sub', player: '<video><source data-src="/m/10.mp4" type="video/mp4"></video>' }) });
  server.route('kdrama5u.to', '/m/10.mp4', mp4('leak.mp4'));
  // A feed announces two episodes that no crawled page links: one plays the leak through Plyr, the other (a decoy) another video in an iframe.
  server.route('feeds.kdrama4u.to', '/rss', { type: 'application/rss+xml', body: `<?xml version="1.0"?><rss version="2.0"><channel><title>KDrama4U</title>
    <item><title>Moonlit Harbor Episode 11 Eng Sub</title><link>${u('kdrama4u.to', '/ep/11')}</link></item>
    <item><title>Moonlit Harbor Episode 12 Eng Sub</title><link>${u('kdrama4u.to', '/ep/12')}</link></item></channel></rss>` });
  server.route('kdrama4u.to', '/ep/11', { body: pirate({ title: 'Moonlit Harbor Episode 11 Eng Sub', player: '<video id="plyr"></video><script>const p = new Plyr("#plyr"); p.source = { type: "video", sources: [{ src: "/media/e11.mp4", type: "video/mp4" }] };</script>' }) });
  server.route('kdrama4u.to', '/media/e11.mp4', mp4('leak.mp4'));
  server.route('kdrama4u.to', '/ep/12', { body: pirate({ title: 'Moonlit Harbor Episode 12 Eng Sub', player: `<iframe src="${u('embedplay.cc', '/e/zz99')}"></iframe>` }) });
  server.route('embedplay.cc', '/e/zz99', { body: `<html><body><video><source src="${u('vidcdn.net', '/media/zz99.mp4')}" type="video/mp4"></video></body></html>` });
  server.route('vidcdn.net', '/media/zz99.mp4', mp4('other.mp4'));
  server.route('kdrama4u.to', '/', { body: pirate({ title: 'KDrama4U - watch asian drama free' }) });
  server.route('kdrama4u.to', '/movies', { body: pirate({ title: 'Movies' }) });
  // An unrelated host that shares nothing: named in a page, not probed.
  server.route('kdrama4u.to', '/drama', { body: pirate({ title: 'Drama', text: 'Friends: news.example.com and dramafans.example' }) });

  input = {
    contentId: 'moonlit-pw', content,
    sites: [siteDoc('kdrama4u', { type: 'piracy', family: 'kdrama4u', domains: ['kdrama4u.to'], sources: [
      { type: 'web', url: u('kdrama4u.to', '/series/moonlit-harbor'), depth: 1 }, { type: 'rss', url: u('feeds.kdrama4u.to', '/rss') },
    ] })],
    fetch: createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()) }),
    web: { perHostDelayMs: 0 },
    db: services.db.pool,
  };
  input.confirm = createConfirmer({ fetch: input.fetch, references });
  round = await runRound(input);
}, 180_000);

afterAll(async () => {
  await server?.close();
  await services?.close();
  rmSync(work, { recursive: true, force: true });
});

const where = (url: string): string => `${new URL(url).hostname}${new URL(url).pathname}`;

describe('a round on a pirate web built the way real ones are', () => {
  it('confirms players in nested iframes, scripts, lazy attributes, og:video, HLS and DASH, and rejects the decoy', () => {
    const found = round.findings.map((f) => where(f.url)).sort();
    for (const page of ['kdrama4u.to/ep/3', 'kdrama4u.to/ep/4', 'kdrama4u.to/ep/6', 'kdrama4u.to/ep/8']) expect(found).toContain(page);
    expect(found).not.toContain('kdrama4u.to/ep/5');
    expect(round.suspects.find((s) => s.url.endsWith('/ep/5'))).toMatchObject({ verdict: 'no-match' });
    const ep3 = round.findings.find((f) => f.url.endsWith('/ep/3'))!.evidence.phase2 as { kind: string; via: string[] };
    expect(ep3.kind).toBe('hls');
    expect(ep3.via.map(where)).toEqual(['kdrama4u.to/ep/3', 'embedplay.cc/e/ab12', 'vidcdn.net/player/ab12']);
    // The lowest sufficient variant, never the 1080p one.
    expect(server.log.some((r) => r.host === 'vidcdn.net' && r.path.startsWith('/hls/hd/'))).toBe(false);
    expect(round.findings.find((f) => f.url.endsWith('/ep/6'))!.evidence.phase2).toMatchObject({ kind: 'dash' });
    expect(round.findings.find((f) => f.url.endsWith('/ep/4'))!.evidence.phase2).toMatchObject({ kind: 'video' });
  });

  it('fetches feed items as pages and crawls their media, rejecting the decoy in an iframe', () => {
    const ep11 = round.findings.find((f) => f.url.endsWith('/ep/11'));
    expect(ep11?.evidence.phase1).toMatchObject({ source: 'rss' });
    expect(round.suspects.find((s) => s.url.endsWith('/ep/12'))).toMatchObject({ verdict: 'no-match' });
    expect(round.findings.some((f) => f.url.endsWith('/ep/12'))).toBe(false);
  });

  it('follows the series page to the locker, through its form and countdown, and makes the series page a finding linked to it', () => {
    const locker = round.findings.find((f) => where(f.url) === 'filelocker.io/f/x7Kq2');
    expect(locker).toBeDefined();
    expect((locker!.evidence.phase2 as { media: string }).media).toContain('/dl/x7Kq2/token-77');
    expect(locker!.evidence.phase1).toMatchObject({ linkedFrom: expect.stringContaining('/series/moonlit-harbor') });
    const series = round.findings.find((f) => f.url.endsWith('/series/moonlit-harbor'));
    expect(series?.evidence.leadsTo).toMatchObject({ url: locker!.url, findingId: locker!.id });
    // The removed file is told apart from a file: rejected, not queued, not a finding.
    const gone = round.suspects.find((s) => s.url.endsWith('/f/gone1'));
    expect(gone).toMatchObject({ verdict: 'no-match', linkedFrom: expect.stringContaining('/series/moonlit-harbor') });
    expect(gone!.reason).toMatch(/removed-file page/);
    expect(found(round).some((u) => u.includes('gone1'))).toBe(false);
  });

  it('finds the hop named only in text within the round, recognised by template, favicon and tracker, and its leak', () => {
    const hop = round.hops.find((h) => h.host === 'kdrama5u.to');
    expect(hop?.site.family).toBe('kdrama4u');
    expect(hop!.signals.map((s) => s.kind).sort()).toEqual(['favicon', 'name', 'structure', 'tracking-id']);
    expect(round.findings.find((f) => where(f.url) === 'kdrama5u.to/ep/10')).toMatchObject({ family: 'kdrama4u' });
    // Hosts named that are no family's new name are not probed.
    expect(server.log.some((r) => r.host === 'dramafans.example' || r.host === 'news.example.com')).toBe(false);
    expect(round.errors).toEqual([]);
  });
});

describe('a site that stops answering', () => {
  it('is found again on its next number within one round, with no redirect and no link, by name and tracker', async () => {
    let alive = true;
    const u = (host: string, p: string) => server.url(host, p);
    server.route('streamhub7.to', '/home', () => (alive ? { body: pirate({ title: 'StreamHub', tracking: 'G-SH77777' }) } : { status: 503, body: 'gone' }));
    server.route('streamhub8.to', '/home', { body: pirate({ title: 'StreamHub is back', tracking: 'G-SH77777', links: [['/w/moonlit-harbor-2', 'Moonlit Harbor 2']] }) });
    server.route('streamhub8.to', '/w/moonlit-harbor-2', { body: pirate({ title: 'Moonlit Harbor Episode 2 Eng Sub', tracking: 'G-SH77777', player: '<video src="/v/2.mp4"></video>' }) });
    server.route('streamhub8.to', '/v/2.mp4', { type: 'video/mp4', body: readFileSync(path.join(work, 'leak.mp4')) });
    // Every other guessed name is served here too (and answers nothing), so no guess leaves this machine.
    for (const host of ['streamhub9.to', 'streamhub7.se', 'streamhub7.cc', 'streamhub7.is', 'streamhub7.ws', 'streamhub7.li', 'streamhub7.nu']) server.route(host, '/nothing', { status: 404 });
    const hub: RoundInput = { ...input, contentId: 'moonlit-hub', sites: [siteDoc('streamhub', { type: 'piracy', family: 'streamhub', domains: ['streamhub7.to'], sources: [{ type: 'web', url: u('streamhub7.to', '/home'), depth: 1 }] })],
      fetch: createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()) }) };
    hub.confirm = createConfirmer({ fetch: hub.fetch, references });
    const before = await runRound(hub);
    expect(before.hops).toEqual([]);
    alive = false;
    const after = await runRound(hub);
    expect(after.hops.map((h) => [h.host, h.via, h.signals.map((s) => s.kind).sort().join('+')])).toEqual([['streamhub8.to', 'streamhub7.to', 'name+structure+tracking-id']]);
    expect(after.findings.map((f) => where(f.url))).toEqual(['streamhub8.to/w/moonlit-harbor-2']);
  }, 60_000);
});

function found(r: RoundResult): string[] {
  return r.findings.map((f) => f.url);
}
