import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContentSpec } from '../../../core/catalog/types.js';
import { referenceFingerprints, type References } from '../../../runners/monitor/confirm.js';
import { createFetcher, parseResolve } from '../../../runners/monitor/fetch.js';
import { recheckLink, type RecheckedFinding } from '../../../runners/takedown/recheck.js';
import { startFixtureServer, type FixtureServer, type Reply } from '../monitor/fixture-web.js';

const content = { title: 'Moonlit Harbor', referenceMedia: [{ path: 'ref.mp4', kind: 'video', episode: 3 }] } as ContentSpec;
const HOST = 'streamfree.to';

let work: string;
let server: FixtureServer;
let references: References;
/** What the pirate page answers now: tests switch it to make the link go away on cue. */
let pageReply: Reply;
let mediaReply: Reply;

const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args], { cwd: work, timeout: 60_000 });
const file = (name: string) => readFileSync(path.join(work, name));
const watchPage = (video?: string) => `<!doctype html><html><head><title>Moonlit Harbor S01E03 - watch free in 1080p</title></head><body>
<nav class="navbar"><a href="/">Home</a></nav><h1>Moonlit Harbor S01E03</h1>${video ? `<video controls src="${video}"></video>` : ''}<p>Eng sub, no sign up.</p>
<footer class="footer"><a href="/dmca">DMCA</a></footer></body></html>`;

const fetcher = (extra: Parameters<typeof createFetcher>[0] = {}) => createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()), ...extra });
let finding: RecheckedFinding;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-recheck-'));
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10:duration=8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'ref.mp4');
  // The leak phase 2 matched: re-encoded, cropped and scaled down.
  ffmpeg('-i', 'ref.mp4', '-vf', 'crop=iw*0.92:ih*0.92,scale=256:144', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '38', 'leak.mp4');
  // What a site swaps in after a notice: something else under the same name.
  ffmpeg('-f', 'lavfi', '-i', 'mandelbrot=size=320x180:rate=10', '-t', '8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'other.mp4');
  references = await referenceFingerprints(content, work);
  server = await startFixtureServer();
  server.route(HOST, '/watch/moonlit-harbor-s01e03', () => pageReply);
  server.route(HOST, '/media/ep3.mp4', () => mediaReply);
  server.route(HOST, '/media/other.mp4', { type: 'video/mp4', body: file('other.mp4') });
  server.route(HOST, '/', { body: '<html><head><title>StreamFree - watch free</title></head><body><h2>Trending</h2><a href="/watch/a">A</a></body></html>' });
  finding = { url: server.url(HOST, '/watch/moonlit-harbor-s01e03'), evidence: { phase2: { media: server.url(HOST, '/media/ep3.mp4'), kind: 'video' } } };
}, 60_000);

afterAll(async () => {
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

function live(): void {
  pageReply = { body: watchPage('/media/ep3.mp4') };
  mediaReply = { type: 'video/mp4', body: file('leak.mp4') };
}

describe('re-checking a taken-down link', () => {
  it('finds the link up while the page still serves the matched media', async () => {
    live();
    const r = await recheckLink(finding, { fetch: fetcher(), references });
    expect(r).toMatchObject({ verdict: 'up', why: 'media-matches', evidence: { status: 200, media: { verdict: 'match' } } });
  });

  it('finds it gone on HTTP 404 and on HTTP 410', async () => {
    pageReply = { status: 404, body: 'not found' };
    expect(await recheckLink(finding, { fetch: fetcher(), references })).toMatchObject({ verdict: 'gone', why: '404', evidence: { status: 404 } });
    pageReply = { status: 410, body: 'gone' };
    expect(await recheckLink(finding, { fetch: fetcher(), references })).toMatchObject({ verdict: 'gone', why: '410' });
  });

  it('finds it gone when the page answers 200 with a "file removed" message', async () => {
    pageReply = { body: '<html><head><title>Moonlit Harbor S01E03 - StreamFree</title></head><body><nav class="navbar"><a href="/">Home</a></nav><div class="alert"><h2>This video has been removed</h2><p>It was removed due to a copyright claim.</p></div></body></html>' };
    const r = await recheckLink(finding, { fetch: fetcher(), references });
    expect(r).toMatchObject({ verdict: 'gone', why: 'removed-page', evidence: { status: 200 } });
    expect(r.evidence.removedPage?.signals.join(' ')).toContain('video has been removed');
  });

  it('finds it gone when the link now redirects to the home page', async () => {
    pageReply = { status: 302, headers: { location: '/' } };
    const r = await recheckLink(finding, { fetch: fetcher(), references });
    expect(r).toMatchObject({ verdict: 'gone', why: 'removed-page', evidence: { finalUrl: server.url(HOST, '/') } });
  });

  it('finds it gone when the same page now plays other media', async () => {
    pageReply = { body: watchPage('/media/other.mp4') };
    const r = await recheckLink(finding, { fetch: fetcher(), references });
    expect(r).toMatchObject({ verdict: 'gone', why: 'media-changed', evidence: { media: { url: server.url(HOST, '/media/other.mp4'), verdict: 'no-match' } } });
  });

  it('finds it gone when the same media URL now serves other media', async () => {
    live();
    mediaReply = { type: 'video/mp4', body: file('other.mp4') };
    const r = await recheckLink(finding, { fetch: fetcher(), references });
    expect(r).toMatchObject({ verdict: 'gone', why: 'media-changed', evidence: { media: { url: server.url(HOST, '/media/ep3.mp4'), verdict: 'no-match' } } });
  });

  it('finds it gone when the page stays but its media answers 404', async () => {
    // A player set up by script names no URL in the markup: the matched URL is asked directly.
    pageReply = { body: watchPage() };
    mediaReply = { status: 404, body: 'no such file' };
    const r = await recheckLink(finding, { fetch: fetcher(), references });
    expect(r).toMatchObject({ verdict: 'gone', why: 'no-media', evidence: { media: { verdict: 'unavailable' } } });
  });

  it('compares a link that is the media file itself, up while it matches and gone once it is swapped', async () => {
    live();
    const direct: RecheckedFinding = { url: server.url(HOST, '/media/ep3.mp4'), evidence: { phase2: { media: server.url(HOST, '/media/ep3.mp4'), kind: 'video' } } };
    expect(await recheckLink(direct, { fetch: fetcher(), references })).toMatchObject({ verdict: 'up', why: 'media-matches' });
    mediaReply = { type: 'video/mp4', body: file('other.mp4') };
    expect(await recheckLink(direct, { fetch: fetcher(), references })).toMatchObject({ verdict: 'gone', why: 'media-changed' });
  });

  it('says unknown, never gone or up, on a 503', async () => {
    pageReply = { status: 503, body: 'busy', headers: { 'retry-after': '120' } };
    expect(await recheckLink(finding, { fetch: fetcher(), references })).toMatchObject({ verdict: 'unknown', why: 'server-error', evidence: { status: 503 } });
  });

  it('bounds a slow server and says unknown', async () => {
    pageReply = { body: watchPage('/media/ep3.mp4'), delayMs: 3_000 };
    const started = Date.now();
    const r = await recheckLink(finding, { fetch: fetcher(), references, timeoutMs: 300 });
    expect(r).toMatchObject({ verdict: 'unknown', why: 'timeout' });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('keeps the SSRF rules: loopback is refused without allowPrivate, and that says nothing about the link', async () => {
    live();
    const r = await recheckLink(finding, { fetch: createFetcher({ resolve: parseResolve(server.resolveEntries()) }), references });
    expect(r).toMatchObject({ verdict: 'unknown', why: 'blocked' });
    expect(r.evidence.message).toMatch(/VIGIL-E0401|refused to fetch/);
  });

  it('bounds the page size and says unknown for a page too large', async () => {
    pageReply = { body: watchPage('/media/ep3.mp4') + ' '.repeat(64 * 1024) };
    expect(await recheckLink(finding, { fetch: fetcher(), references, maxPageBytes: 32 * 1024 })).toMatchObject({ verdict: 'unknown', why: 'too-large' });
  });

  it('finds a live page up without comparing media when it has no references', async () => {
    live();
    const r = await recheckLink(finding, { fetch: fetcher() });
    expect(r).toMatchObject({ verdict: 'up', why: 'page-up' });
    expect(r.evidence.media).toBeUndefined();
  });
});
