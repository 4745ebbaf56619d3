import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findMedia } from '../../../runners/monitor/acquire.js';
import { createFetcher, parseResolve } from '../../../runners/monitor/fetch.js';
import { parseHtml } from '../../../runners/monitor/html.js';
import { startFixtureServer, type FixtureServer } from './fixture-web.js';

// A single-page locker: the file's record sits in script JSON (its name looks like a media path but is
// only a name) and the download button carries the storage link in data-href, followed on click.
let server: FixtureServer;
beforeAll(async () => {
  server = await startFixtureServer();
  const store = server.url('store2.locker.example', '/dl/a1b2/c3d4');
  const record = JSON.stringify({ id: 'a1b2', name: 'Moonlit.Harbor.S01E02.720p.HDTV.mp4', size: '384 MB', mime: 'video/mp4', directLink: store }).replace(/\//g, '\\/');
  server.route('locker.example', '/d/a1b2', { body: `<!doctype html><html><head><title>Moonlit.Harbor.S01E02.720p.HDTV.mp4 | Locker</title>
    <script>window.__FILE__ = ${record};</script></head><body><h1>Moonlit.Harbor.S01E02.720p.HDTV.mp4</h1><p>384 MB</p>
    <button id="dl-btn" class="btn-download" data-href="${store}">Download</button></body></html>` });
  server.route('store2.locker.example', '/dl/a1b2/c3d4', { type: 'video/mp4', body: Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypmp42'), Buffer.alloc(64)]) });
});
afterAll(async () => { await server.close(); });

describe('a locker page that names its file in script JSON and links it from a data-href button', () => {
  it('finds the storage link and takes the bare file name for no address', async () => {
    const url = server.url('locker.example', '/d/a1b2');
    const fetch = createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()) });
    const res = await fetch(url);
    const html = parseHtml(res.body.toString('utf8'), url);
    // The decoy: the record's name, resolved against the page, would be a 404 on the locker's host.
    expect([...html.media.map((m) => m.url), ...html.probes].some((u) => u.includes('Moonlit.Harbor'))).toBe(false);
    const found = await findMedia(fetch, { url, html, media: html.media });
    expect(found.media.map((m) => [m.url, m.kind])).toEqual([[server.url('store2.locker.example', '/dl/a1b2/c3d4'), 'video']]);
    expect(server.log.some((l) => l.path.includes('Moonlit.Harbor'))).toBe(false);
  });
});
