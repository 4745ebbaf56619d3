import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetcher, parseResolve } from '../../../runners/monitor/fetch.js';
import { runRound, type RoundInput } from '../../../runners/monitor/round.js';
import { discoveredSites } from '../../../core/db/sites.js';
import type { ContentSpec } from '../../../core/catalog/types.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { siteDoc } from './families.test.js';
import { piracyTemplate, startFixtureServer, type FixtureServer } from './fixture-web.js';

// A site dies with no redirect and comes back under an unrelated name that only a forum post links
// to. Round 1 learns the old site's template, favicon and tracker; in round 2 the post names the dead
// site, so the hosts it links to are probed, and the one that arrives with the same tracker joins.
const content: ContentSpec = { type: 'season', title: 'Moonlit Harbor', season: 1, episodes: 10, releaseDate: '2026-03-06' };
let server: FixtureServer;
let services: TestServices;
let input: RoundInput;
let dead = false;

beforeAll(async () => {
  server = await startFixtureServer();
  services = await openTestServices();
  const u = (host: string, p: string) => server.url(host, p);
  const favicon = Buffer.from('dramanice-icon');
  const alive = (reply: () => { body: string | Buffer; type?: string }) => () => (dead ? { status: 404, body: 'gone' } : reply());
  server.route('dramanice.to', '/', alive(() => ({ body: piracyTemplate({ title: 'DramaNice - latest', body: 'New episodes', trackingId: 'UA-2200418-7', links: [u('dramanice.to', '/watch/other-1')] }) })));
  server.route('dramanice.to', '/watch/other-1', alive(() => ({ body: piracyTemplate({ title: 'Other Show Episode 1 watch free', body: 'eng sub', trackingId: 'UA-2200418-7' }) })));
  server.route('dramanice.to', '/favicon.ico', alive(() => ({ type: 'image/x-icon', body: favicon })));
  for (const host of ['nicedrama.net']) {
    server.route(host, '/', { body: piracyTemplate({ title: 'DramaNice - latest', body: 'New episodes', trackingId: 'UA-2200418-7', links: [u(host, '/watch/moonlit-harbor-2')] }) });
    server.route(host, '/watch/moonlit-harbor-2', { body: piracyTemplate({ title: 'Moonlit Harbor Episode 2 watch free eng sub', body: 'free streaming 1080p', trackingId: 'UA-2200418-7' }) });
    server.route(host, '/favicon.ico', { type: 'image/x-icon', body: favicon });
  }
  // Another host the post links to, unrelated: probed, but it shares nothing, so it does not join.
  server.route('pastebin.example', '/x1', { body: '<html><head><title>paste</title></head><body><pre>list</pre></body></html>' });
  server.route('warez.example', '/threads/status.1/', { body: `<html><head><title>Drama sites status</title></head><body>
    <p>DramaNice is down again, they moved to <a href="${u('nicedrama.net', '/')}">nicedrama.net</a>. Old list: <a href="${u('pastebin.example', '/x1')}">paste</a></p></body></html>` });
  server.route('warez.example', '/', { body: `<html><body><a href="${u('warez.example', '/threads/status.1/')}">Drama sites status</a></body></html>` });

  input = {
    contentId: 'moonlit-dead', content,
    sites: [
      siteDoc('dramanice', { type: 'piracy', family: 'dramanice', domains: ['dramanice.to'], sources: [{ type: 'web', url: u('dramanice.to', '/'), depth: 1 }] }),
      siteDoc('forum', { type: 'piracy', category: 'forum', domains: ['warez.example'], sources: [{ type: 'web', url: u('warez.example', '/'), depth: 1 }] }),
    ],
    fetch: createFetcher({ allowPrivate: true, resolve: parseResolve(server.resolveEntries()) }),
    web: { perHostDelayMs: 0 },
    db: services.db.pool,
  };
}, 60_000);

afterAll(async () => {
  await server?.close();
  await services?.close();
});

describe('a site that moved to an unrelated name, linked only from a post that names it', () => {
  it('joins its family in the round the post is crawled, by what arrives from the new host', async () => {
    const first = await runRound(input);
    expect(first.hops).toEqual([]);
    dead = true;
    const second = await runRound(input);
    expect(second.hops.map((h) => [h.host, h.site.id, h.signals.map((s) => s.kind).sort().join('+')])).toEqual([['nicedrama.net', 'dramanice', 'favicon+structure+tracking-id']]);
    expect(second.suspects.map((s) => new URL(s.url).pathname)).toContain('/watch/moonlit-harbor-2');
    expect((await discoveredSites(services.db.pool)).filter((d) => d.siteId === 'dramanice').map((d) => d.host)).toEqual(['nicedrama.net']);
    expect(second.hops.some((h) => h.host === 'pastebin.example')).toBe(false);
  });
});
