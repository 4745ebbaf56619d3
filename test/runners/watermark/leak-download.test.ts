import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectionRequestById, requestLinkDetection } from '../../../core/db/detection-requests.js';
import { outboxRows } from '../../../core/db/outbox.js';
import { isVigilError, type ErrorName } from '../../../core/errors.js';
import { silentLogger } from '../../../core/log.js';
import { createFetcher, parseResolve } from '../../../runners/monitor/fetch.js';
import type { FindingDetectionDeps } from '../../../runners/watermark/finding-detection.js';
import { downloadLeak, type LeakLimits } from '../../../runners/watermark/leak-download.js';
import { detectLink } from '../../../runners/watermark/url-detection.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { KEY_HEX, makeLeakMedia, recordLeakCopy, reply, startLeakServer, WATERMARK_ID, type LeakMedia, type LeakServer } from './leak-fixtures.js';

/**
 * Detection on a link end to end: real marked media made with ffmpeg and the embedder, served by a
 * local HTTP server as a direct file, HLS (TS and fMP4), DASH and player pages, downloaded through
 * the safe fetcher and detected, with the request's record in the seed service's statuses; and the
 * hostile links a download must refuse with a clear error naming the URL.
 */

let services: TestServices;
let server: LeakServer;
let media: LeakMedia;
let scratch: string;
let deps: FindingDetectionDeps;

beforeAll(async () => {
  services = await openTestServices();
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-leak-test-'));
  media = await makeLeakMedia(scratch);
  server = await startLeakServer(scratch);
  await recordLeakCopy(services.db.pool, media);
  deps = {
    pool: services.db.pool, log: silentLogger, env: { VIGIL_WATERMARK_KEY: KEY_HEX }, cwd: scratch,
    config: { ...services.config, crawler: { allowPrivate: true, resolve: server.resolveEntries() } },
  };
}, 120_000);

afterAll(async () => {
  await server?.close();
  await services?.close();
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
});

async function detect(url: string, extra: Partial<FindingDetectionDeps> = {}): Promise<{ result: Awaited<ReturnType<typeof detectLink>>; record: Awaited<ReturnType<typeof detectionRequestById>> }> {
  const request = await requestLinkDetection(services.db.pool, { url, requestedBy: 'U0ALICE', channel: 'C0ASK' });
  const result = await detectLink({ ...deps, ...extra }, request.id, false);
  return { result, record: await detectionRequestById(services.db.pool, request.id) };
}

async function statuses(requestId: number): Promise<string[]> {
  const { rows } = await services.db.pool.query<{ to: string }>(
    `select details->>'to' as to from audit_log where object_kind = 'DetectionRequest' and object_id = $1 and action = 'detection-request-status' order by id`, [String(requestId)]);
  return rows.map((r) => r.to);
}

function fetcher(allowPrivate = true) {
  return createFetcher({ allowPrivate, resolve: parseResolve(server.resolveEntries()) });
}

async function refusal(url: string, limits: Partial<LeakLimits> = {}, allowPrivate = true): Promise<{ name: ErrorName | undefined; message: string }> {
  const dir = await fs.mkdtemp(path.join(scratch, 'dl-'));
  const error = await downloadLeak(fetcher(allowPrivate), url, dir, { limits }).then(() => undefined, (e: unknown) => e);
  expect(error, `${url} should have been refused`).toBeDefined();
  return { name: isVigilError(error) ? error.errorName : undefined, message: (error as Error).message };
}

describe('detection on a link: what a pirate serves', () => {
  it('names the recipient, watermark ID and confidence from a direct file, step by step, and tells the person once', async () => {
    const { result, record } = await detect(server.url(`/media/${path.basename(media.marked)}`));
    expect(result).toMatchObject({ status: 'Completed', found: true });
    expect(record).toMatchObject({ status: 'Completed', result: { found: true, watermarkId: WATERMARK_ID, recipient: { name: 'Northwind-VOD', recipientId: 'northwind-vod' }, download: { kind: 'file' } } });
    expect(record!.result!.confidence as number).toBeGreaterThan(0.999);
    expect(await statuses(record!.id)).toEqual(['Downloading', 'Detecting', 'Completed']);
    expect((await outboxRows(services.db.pool)).filter((r) => r.name === 'detection-result' && (r.payload as { requestId: number }).requestId === record!.id)).toHaveLength(1);
  });

  it('downloads a file in ranged chunks, so memory holds one chunk, and gets the same bytes', async () => {
    const dir = await fs.mkdtemp(path.join(scratch, 'chunks-'));
    const before = server.log.length;
    const got = await downloadLeak(fetcher(), server.url(`/media/${path.basename(media.marked)}`), dir, { limits: { chunkBytes: 64 * 1024 } });
    const size = (await fs.stat(media.marked)).size;
    expect(got.bytes).toBe(size);
    expect(Buffer.compare(await fs.readFile(got.file), await fs.readFile(media.marked))).toBe(0);
    expect(server.log.length - before).toBe(Math.ceil(size / (64 * 1024)));
    // A server that ignores Range sends it whole, once; the same bytes land.
    server.route('/plain/whole.mp4', reply('video/mp4', await fs.readFile(media.marked)));
    const whole = await downloadLeak(fetcher(), server.url('/plain/whole.mp4'), dir, { limits: { chunkBytes: 64 * 1024 } });
    expect(Buffer.compare(await fs.readFile(whole.file), await fs.readFile(media.marked))).toBe(0);
  });

  it('assembles an HLS master (skipping its audio-only variant) and TS segments, and finds the mark', async () => {
    const { record } = await detect(server.url('/hls-ts/master.m3u8'));
    expect(record).toMatchObject({ status: 'Completed', result: { watermarkId: WATERMARK_ID, download: { kind: 'hls', rendition: { width: 320, height: 180 } } } });
    expect(record!.result!.download).toMatchObject({ segments: expect.any(Number) });
    expect((record!.result!.download as { segments: number }).segments).toBeGreaterThanOrEqual(4);
    expect(server.log).not.toContain('/hls-ts/not-fetched.aac');
  });

  it('assembles HLS fMP4 (EXT-X-MAP init section first) and finds the mark', async () => {
    const { record } = await detect(server.url('/hls-fmp4/index.m3u8'));
    expect(record).toMatchObject({ status: 'Completed', result: { watermarkId: WATERMARK_ID, download: { kind: 'hls' } } });
    expect(server.log).toContain('/hls-fmp4/init.mp4');
  });

  it('assembles DASH (ffmpeg -f dash: SegmentTemplate with a SegmentTimeline, video picked over audio) and finds the mark', async () => {
    const { record } = await detect(server.url('/dash/manifest.mpd'));
    expect(record).toMatchObject({ status: 'Completed', result: { watermarkId: WATERMARK_ID, download: { kind: 'dash', rendition: { width: 320, height: 180 } } } });
    expect(server.log.some((p) => /\/dash\/chunk-0-\d{5}\.m4s$/.test(p))).toBe(true);
    expect(server.log.some((p) => /\/dash\/chunk-1-/.test(p))).toBe(false); // the audio Representation is not downloaded
  });

  it('assembles HLS byte-range segments of one file (-hls_flags single_file) and DASH $Number$ over @duration', async () => {
    const dir = await fs.mkdtemp(path.join(scratch, 'variants-'));
    const single = await downloadLeak(fetcher(), server.url('/hls-single/index.m3u8'), dir);
    expect(single.source).toMatchObject({ kind: 'hls', segments: expect.any(Number) });
    expect(single.source.segments!).toBeGreaterThanOrEqual(4);
    // The parts together are the file the playlist cuts, byte for byte.
    const ts = (await fs.readdir(path.join(scratch, 'hls-single'))).find((f) => f.endsWith('.ts'))!;
    expect(Buffer.compare(await fs.readFile(single.file), await fs.readFile(path.join(scratch, 'hls-single', ts)))).toBe(0);
    const { record } = await detect(server.url('/dash-number/manifest.mpd'));
    expect(record).toMatchObject({ status: 'Completed', result: { watermarkId: WATERMARK_ID, download: { kind: 'dash' } } });
    expect(server.log).toContain('/dash-number/n-0-1.m4s');
  });

  it('finds the video of a page whose player sits in an iframe on another host, and of a cyberlocker download button', async () => {
    server.route('/watch/ep3', reply('text/html; charset=utf-8', `<!doctype html><html><head><title>Moonlit Harbor E03 free</title></head><body>
      <div class="ads"><a href="/promo">Watch more</a></div><iframe src="${server.url('/embed/ep3', 'player.example')}" allowfullscreen></iframe></body></html>`));
    server.route('/embed/ep3', reply('text/html', `<html><body><div id="player"><video controls poster="/p.jpg"><source src="${server.url('/hls-ts/index.m3u8')}" type="application/x-mpegURL"></video></div></body></html>`));
    const framed = await detect(server.url('/watch/ep3'));
    expect(framed.record).toMatchObject({ status: 'Completed', result: { watermarkId: WATERMARK_ID, download: { kind: 'hls', via: [server.url('/watch/ep3'), server.url('/embed/ep3', 'player.example')] } } });

    server.route('/f/ab12cd', reply('text/html', `<html><head><meta property="og:title" content="leak.mp4"></head><body><h1>leak.mp4 (1.1 MB)</h1>
      <a class="btn btn-primary" href="${server.url('/get/ab12cd', 'locker.example')}">Download file</a></body></html>`));
    server.route('/get/ab12cd', (_req, res) => {
      res.writeHead(302, { location: server.url(`/media/${path.basename(media.marked)}`) }).end();
    });
    const locker = await detect(server.url('/f/ab12cd', 'locker.example'));
    expect(locker.record).toMatchObject({ status: 'Completed', result: { watermarkId: WATERMARK_ID, download: { kind: 'file' } } });
  });

  it('reads og:video and JSON-LD contentUrl on a page without a <video>', async () => {
    server.route('/og', reply('text/html', `<html><head><meta property="og:video" content="/dash/manifest.mpd"></head><body>x</body></html>`));
    server.route('/ld', reply('text/html', `<html><head><script type="application/ld+json">{"@context":"https://schema.org","@graph":[{"@type":"VideoObject","name":"E03","contentUrl":"/hls-fmp4/index.m3u8"}]}</script></head><body></body></html>`));
    const dir = await fs.mkdtemp(path.join(scratch, 'pages-'));
    expect((await downloadLeak(fetcher(), server.url('/og'), dir)).source).toMatchObject({ kind: 'dash', via: [server.url('/og')] });
    expect((await downloadLeak(fetcher(), server.url('/ld'), dir)).source).toMatchObject({ kind: 'hls', url: server.url('/hls-fmp4/index.m3u8') });
  });
});

describe('detection on a link: the copy does not meet the requirements, or carries no mark', () => {
  it('ends Failed with how close it came on an unmarked copy', async () => {
    const { record } = await detect(server.url('/media/unmarked.mp4'));
    expect(record).toMatchObject({ status: 'Failed', result: { found: false, watermarkId: null } });
    expect(record!.result!.pilotZ as number).toBeLessThan(5);
    // no blind payload, so the ledger test ran over the one recipient with a copy, and named no one
    expect(record!.reason).toMatch(/no ID \(ledger test over 1 recipient .*bound 1e-6\)/);
  });

  it('ends Error "too short" on a 5-second clip, even a marked one, without a retry', async () => {
    const { result, record } = await detect(server.url(`/short/${path.basename(media.short)}`));
    expect(result).toMatchObject({ status: 'Error', requirement: 'too short' });
    expect(record).toMatchObject({ status: 'Error', result: { requirement: 'too short' } });
    expect(record!.reason).toMatch(/VIGIL-E0409: .*short.*is 5\.\d s long; detection needs at least 10 s/);
  });

  it('ends Error "no video" on an audio-only file and on a page with no player', async () => {
    const audio = await detect(server.url('/media/audio.m4a'));
    expect(audio.record).toMatchObject({ status: 'Error', result: { requirement: 'no video' } });
    server.route('/blank', reply('text/html', '<html><body><p>This video is available to members only.</p><a href="/signup">Sign up</a></body></html>'));
    const page = await detect(server.url('/blank'));
    expect(page.record).toMatchObject({ status: 'Error' });
    expect(page.record!.reason).toMatch(/VIGIL-E0408: .*\/blank is a page whose player names no video/);
  });
});

describe('downloads refused with a clear error naming the URL', () => {
  it('refuses an HLS master whose variant is the master itself', async () => {
    server.route('/loop/master.m3u8', reply('application/vnd.apple.mpegurl', '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=320x180\nmaster.m3u8\n'));
    const r = await refusal(server.url('/loop/master.m3u8'));
    expect(r).toMatchObject({ name: 'PLAYLIST_LOOPS' });
    expect(r.message).toContain(`${server.url('/loop/master.m3u8')} refers back to itself`);
  });

  it('refuses a media playlist whose segment list repeats, and one whose segment is the playlist', async () => {
    const segs = ['a.ts', 'b.ts', 'c.ts'];
    server.route('/loop/repeat.m3u8', reply('application/vnd.apple.mpegurl', `#EXTM3U\n#EXT-X-TARGETDURATION:3\n${[...segs, ...segs, ...segs].map((s) => `#EXTINF:3,\n${s}`).join('\n')}\n#EXT-X-ENDLIST\n`));
    expect(await refusal(server.url('/loop/repeat.m3u8'))).toMatchObject({ name: 'PLAYLIST_LOOPS', message: expect.stringMatching(/repeat\.m3u8: its segment list repeats \(the same 3 segments/) });
    server.route('/loop/self.m3u8', reply('application/vnd.apple.mpegurl', '#EXTM3U\n#EXT-X-TARGETDURATION:3\n#EXTINF:3,\n/hls-ts/seg000.ts\n#EXTINF:3,\nself.m3u8\n#EXT-X-ENDLIST\n'));
    expect(await refusal(server.url('/loop/self.m3u8'))).toMatchObject({ name: 'PLAYLIST_LOOPS', message: expect.stringContaining('self.m3u8') });
  });

  it('refuses a live playlist that never ends', async () => {
    let sequence = 0;
    server.route('/live/index.m3u8', (_req, res) => {
      sequence += 3;
      const lines = ['#EXTM3U', '#EXT-X-TARGETDURATION:2', `#EXT-X-MEDIA-SEQUENCE:${sequence}`, ...[0, 1, 2].flatMap((i) => ['#EXTINF:2,', `live${sequence + i}.ts`])];
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' }).end(lines.join('\n'));
    });
    const r = await refusal(server.url('/live/index.m3u8'), { liveReloadMs: 20, maxLiveReloads: 4 });
    expect(r).toMatchObject({ name: 'PLAYLIST_LOOPS' });
    expect(r.message).toContain(`${server.url('/live/index.m3u8')} is live and never ends: no EXT-X-ENDLIST after 4 reloads`);
  });

  it('refuses an MPD that refers back to itself, through its Location or as its own segment, and a live one', async () => {
    server.route('/loop/a.mpd', reply('application/dash+xml', `<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"><Location>${server.url('/loop/b.mpd')}</Location></MPD>`));
    server.route('/loop/b.mpd', reply('application/dash+xml', `<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"><Location>${server.url('/loop/a.mpd')}</Location></MPD>`));
    const a = await refusal(server.url('/loop/a.mpd'));
    expect(a).toMatchObject({ name: 'PLAYLIST_LOOPS', message: expect.stringContaining(`Location ${server.url('/loop/a.mpd')} was already read`) });
    server.route('/loop/self.mpd', reply('application/dash+xml', `<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT12S"><Period>
      <AdaptationSet mimeType="video/mp4"><Representation id="v" bandwidth="800000" width="320" height="180"><BaseURL>self.mpd</BaseURL><SegmentBase indexRange="0-100"/></Representation></AdaptationSet></Period></MPD>`));
    expect(await refusal(server.url('/loop/self.mpd'))).toMatchObject({ name: 'PLAYLIST_LOOPS', message: expect.stringContaining('refers back to itself') });
    server.route('/live.mpd', reply('application/dash+xml', '<MPD type="dynamic" availabilityStartTime="2026-01-01T00:00:00Z"><Period start="PT0S"/></MPD>'));
    expect(await refusal(server.url('/live.mpd'))).toMatchObject({ name: 'PLAYLIST_LOOPS', message: expect.stringContaining('is live (type="dynamic")') });
  });

  it('refuses a file past its byte bound, whether the server honours ranges or declares the length', async () => {
    const size = (await fs.stat(media.marked)).size;
    const bound = Math.floor(size / 3);
    const ranged = await refusal(server.url(`/media/${path.basename(media.marked)}`), { maxBytes: bound });
    expect(ranged).toMatchObject({ name: 'DOWNLOAD_TOO_LARGE', message: expect.stringContaining(path.basename(media.marked)) });
    const body = await fs.readFile(media.marked);
    server.route('/plain/big.mp4', reply('video/mp4', body)); // no ranges: the whole body, its length declared
    expect(await refusal(server.url('/plain/big.mp4'), { maxBytes: bound })).toMatchObject({ name: 'DOWNLOAD_TOO_LARGE', message: expect.stringContaining('/plain/big.mp4') });
    // HLS: the segments together are bounded, not each alone.
    expect(await refusal(server.url('/hls-ts/index.m3u8'), { maxBytes: bound })).toMatchObject({ name: 'DOWNLOAD_TOO_LARGE' });
  });

  it('refuses a server that dribbles bytes once the time bound passes, and lets go of the connection', async () => {
    let closed = false;
    server.route('/slow/leak.mp4', (_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(50 * 1024 * 1024) });
      const timer = setInterval(() => res.write(Buffer.alloc(512)), 50);
      res.on('close', () => { closed = true; clearInterval(timer); });
    });
    const started = Date.now();
    const r = await refusal(server.url('/slow/leak.mp4'), { maxTimeMs: 1200 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r).toMatchObject({ name: 'DOWNLOAD_TOO_SLOW' });
    expect(r.message).toContain(`${server.url('/slow/leak.mp4')} did not finish within its time bound of 1 s`);
    await expect.poll(() => closed, { timeout: 3000 }).toBe(true);
  });

  it('refuses a private address unless allowed, and records the refusal as a final Error', async () => {
    const direct = `http://127.0.0.1:${server.port}/media/${path.basename(media.marked)}`;
    expect(await refusal(direct, {}, false)).toMatchObject({ name: 'FETCH_BLOCKED', message: expect.stringContaining('127.0.0.1') });
    const { result, record } = await detect(direct, { config: { ...deps.config, crawler: { allowPrivate: false, resolve: [] } } });
    // Final at once (not 'retry' although this is not the last attempt): no retry reaches a private address.
    expect(result.status).toBe('Error');
    expect(record!.reason).toMatch(/VIGIL-E0401: refused to fetch http:\/\/127\.0\.0\.1/);
  });

  it('ends Canceled when a person stops it mid-download, whatever attempt it is on', async () => {
    server.route('/slow/stopped.mp4', (_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(10 * 1024 * 1024) });
      const timer = setInterval(() => res.write(Buffer.alloc(1024)), 20);
      res.on('close', () => clearInterval(timer));
    });
    const stop = new AbortController();
    setTimeout(() => stop.abort(new Error('cancelled')), 400);
    const { result, record } = await detect(server.url('/slow/stopped.mp4'), { signal: stop.signal });
    expect(result.status).toBe('Canceled');
    expect(record).toMatchObject({ status: 'Canceled', reason: expect.stringMatching(/^stopped: VIGIL-E0310: detection stopped while downloading .*stopped\.mp4/) });
    expect(await statuses(record!.id)).toEqual(['Downloading', 'Canceled']);
  });

  it('leaves a link that cannot be fetched for the next attempt (a fault that may pass)', async () => {
    const { result, record } = await detect(server.url('/media/removed.mp4'));
    expect(result).toMatchObject({ status: 'retry', reason: expect.stringMatching(/VIGIL-E0402: .*removed\.mp4: HTTP 404/) });
    expect(record).toMatchObject({ status: 'Downloading' });
  });
});
