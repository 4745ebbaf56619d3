import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadVideo, findMedia } from '../../../runners/monitor/acquire.js';
import { createFetcher, parseResolve, type Fetcher } from '../../../runners/monitor/fetch.js';
import { parseHtml } from '../../../runners/monitor/html.js';
import { startFixtureServer, type FixtureServer } from './fixture-web.js';

let server: FixtureServer;
let fetch: Fetcher;
let work: string;
const mp4 = (tag: string) => Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), Buffer.from(tag), Buffer.alloc(48)]);
const ts = (n: number) => Buffer.concat([Buffer.from([0x47]), Buffer.alloc(187, n)]);

beforeAll(async () => {
  server = await startFixtureServer();
  work = mkdtempSync(path.join(tmpdir(), 'vigil-acquire-'));
  // A locker whose download is behind a password; the same file streams one page away.
  server.route('locker.example', '/file/77', { body: `<!doctype html><html><head><title>Show.S01E02.mp4 - Locker</title></head><body><h1>Show.S01E02.mp4</h1>
    <a href="/stream/77">Ver online / Stream</a> · <a href="/file/77/pass">Descargar</a> · <a href="https://other-locker.example/stream/9">Stream on a mirror</a></body></html>` });
  server.route('locker.example', '/file/77/pass', { body: '<html><body><form method="post"><input type="password" name="password"><button>Descargar</button></form></body></html>' });
  server.route('locker.example', '/stream/77', { body: '<html><body><video controls src="/v/77/file.mp4"></video></body></html>' });
  server.route('locker.example', '/v/77/file.mp4', { type: 'video/mp4', body: mp4('locker') });
  server.route('other-locker.example', '/stream/9', { body: '<html><body><video controls src="/v/9/file.mp4"></video></body></html>' });
  // An HLS master at a URL without extension, with a content type in odd case, that a page calls a video.
  const variant = ['#EXTM3U', '#EXT-X-TARGETDURATION:2', '#EXTINF:2.0,', 'seg0.ts', '#EXTINF:2.0,', 'seg1.ts', '#EXT-X-ENDLIST', ''].join('\n');
  server.route('cdn.example', '/hls/a1/playlist', { type: 'application/x-mpegURL', body: ['#EXTM3U', '#EXT-X-STREAM-INF:BANDWIDTH=450000,RESOLUTION=256x144', '480/index.m3u8', ''].join('\n') });
  server.route('cdn.example', '/hls/a1/480/index.m3u8', { type: 'application/vnd.apple.mpegurl', body: variant });
  server.route('cdn.example', '/hls/a1/480/seg0.ts', { type: 'video/mp2t', body: ts(0) });
  server.route('cdn.example', '/hls/a1/480/seg1.ts', { type: 'video/mp2t', body: ts(1) });
  // The same master served as text/plain at a .mp4 name: only its first bytes say what it is.
  server.route('cdn.example', '/v/a1/file.mp4', { type: 'text/plain', body: ['#EXTM3U', '#EXT-X-STREAM-INF:BANDWIDTH=450000', '/hls/a1/480/index.m3u8', ''].join('\n') });
  server.route('cdn.example', '/v/a2/file.mp4', { type: 'video/mp4', body: mp4('plain') });
  fetch = createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()) });
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

describe('a locker file page whose stream is one link away', () => {
  it('follows its own site\'s "watch online" button to the stream page\'s video, not another site\'s', async () => {
    const url = server.url('locker.example', '/file/77');
    const html = parseHtml((await fetch(url)).text(), url);
    const found = await findMedia(fetch, { url, html, media: html.media });
    expect(found.media).toEqual([{ url: server.url('locker.example', '/v/77/file.mp4'), kind: 'video', via: [url, server.url('locker.example', '/stream/77')] }]);
    expect(server.log.some((l) => l.host === 'other-locker.example')).toBe(false);
  });
});

describe('what a media URL is comes from its response', () => {
  it('reads an HLS master without extension, named as a plain video, as a playlist', async () => {
    const file = path.join(work, 'a.bin');
    const bytes = await downloadVideo(fetch, { url: server.url('cdn.example', '/hls/a1/playlist'), kind: 'video' }, file, { maxBytes: 1 << 20, maxSegments: 4 });
    expect(bytes).toBe(2 * 188);
    expect(readFileSync(file)).toEqual(Buffer.concat([ts(0), ts(1)]));
  });

  it('sniffs #EXTM3U behind a .mp4 name and a text/plain type, and keeps a real file as it is', async () => {
    const file = path.join(work, 'b.bin');
    await downloadVideo(fetch, { url: server.url('cdn.example', '/v/a1/file.mp4'), kind: 'video' }, file, { maxBytes: 1 << 20, maxSegments: 4 });
    expect(readFileSync(file)).toEqual(Buffer.concat([ts(0), ts(1)]));
    await downloadVideo(fetch, { url: server.url('cdn.example', '/v/a2/file.mp4'), kind: 'video' }, file, { maxBytes: 1 << 20, maxSegments: 4 });
    expect(readFileSync(file)).toEqual(mp4('plain'));
  });
});
