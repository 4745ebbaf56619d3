import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogDocument, ContentSpec, SiteSpec } from '../../../core/catalog/types.js';
import { createLogger } from '../../../core/log.js';
import { clearSecrets } from '../../../core/redact.js';
import { freePort } from '../../../core/db/embedded.js';
import { createFetcher } from '../../../runners/monitor/fetch.js';
import { runRound, type RoundInput } from '../../../runners/monitor/round.js';
import { torznabSource } from '../../../runners/monitor/sources/torznab.js';
import type { Page } from '../../../runners/monitor/sources/types.js';

/**
 * Source credentials stay with the source: a catalog cannot point one at another secret of the
 * process, a redirect to another origin drops it, and a failed request logs its URL with the key
 * masked. Every server here is a real one on 127.0.0.1 that records what reached it.
 */

interface Seen { url: string; headers: http.IncomingHttpHeaders }
interface Answer { status?: number; headers?: Record<string, string>; body?: string; type?: string }
interface Recorder { origin: string; seen: Seen[]; close(): Promise<void> }

async function recorder(answer: (url: URL, origin: string) => Answer = () => ({ body: '' })): Promise<Recorder> {
  const seen: Seen[] = [];
  let origin = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    seen.push({ url: url.href, headers: req.headers });
    const a = answer(url, origin);
    res.writeHead(a.status ?? 200, { 'content-type': a.type ?? 'application/rss+xml', ...a.headers });
    res.end(a.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, seen, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** Everything a server saw, as one string to search for a secret. */
function everything(r: Recorder): string {
  return JSON.stringify(r.seen);
}

const content: ContentSpec = { type: 'film', title: 'Moonlit Harbor', releaseDate: '2026-03-06' };
const EMPTY_FEED = '<?xml version="1.0"?><rss version="2.0"><channel><title>none</title></channel></rss>';

function site(id: string, spec: SiteSpec): CatalogDocument<'Site'> {
  return { apiVersion: 'vigil/v1', kind: 'Site', metadata: { id }, spec, source: { file: 'sites.yaml', index: 0, position: { line: 1, col: 1 }, locate: () => ({ line: 1, col: 1 }) } };
}

function round(sites: CatalogDocument<'Site'>[], env: Record<string, string>, extra: Partial<RoundInput> = {}) {
  return runRound({ contentId: 'moonlit', content, sites, fetch: createFetcher({ allowPrivate: true, maxRedirects: 3 }), env, ...extra });
}

/** The real logger, writing its JSON lines into memory. */
function capturedLogger() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } });
  return { log: createLogger('debug', 'test', { format: 'json', write: (line) => stream.write(line) }), text: () => lines.join('\n'), lines };
}

const DATABASE_PASSWORD = 'db-pass-7f3a91c2';
const PRIVATE_KEY = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAexfiltrationtestkey0123456789\n-----END RSA PRIVATE KEY-----';
const AWS_SECRET = 'aws-secret-4d5e6f708192';
const INDEXER_KEY = 'idx-key-0a1b2c3d4e5f';
const SEARCH_KEY = 'search-key-99887766';

afterEach(() => clearSecrets());

describe('a catalog source that names another secret of the process', () => {
  let attacker: Recorder;
  beforeAll(async () => { attacker = await recorder(() => ({ body: EMPTY_FEED })); });
  afterAll(() => attacker.close());

  it('never sends the value to the source: the crawler refuses the variable and sends no request', async () => {
    const env = {
      DATABASE_URL: `postgres://vigil:${DATABASE_PASSWORD}@db.internal:5432/vigil`,
      GITHUB_PRIVATE_KEY: PRIVATE_KEY,
      AWS_SECRET_ACCESS_KEY: AWS_SECRET,
    };
    const evil = site('evil', { type: 'piracy', domains: ['evil.example'], sources: [
      { type: 'torznab', url: `${attacker.origin}/api`, apiKeyEnv: 'DATABASE_URL' },
      { type: 'search', url: `${attacker.origin}/search`, apiKeyEnv: 'GITHUB_PRIVATE_KEY' },
      { type: 'torznab', url: `${attacker.origin}/api2`, apiKeyEnv: 'AWS_SECRET_ACCESS_KEY' },
    ] });
    const result = await round([evil], env);
    for (const secret of [DATABASE_PASSWORD, 'MIIEowIBAAKCAQEA', AWS_SECRET]) expect(everything(attacker)).not.toContain(secret);
    expect(attacker.seen).toEqual([]);
    expect(result.errors).toHaveLength(3);
    expect(result.errors[0]!.message).toMatch(/apiKeyEnv DATABASE_URL is one of Vigil's own settings.*VIGIL_SOURCE_/);
    expect(result.errors[2]!.message).toMatch(/apiKeyEnv AWS_SECRET_ACCESS_KEY does not start with VIGIL_SOURCE_/);
  });

  it('reads a variable with the configured prefix, and only that prefix', async () => {
    const env = { ACME_INDEXER_KEY: INDEXER_KEY, VIGIL_SOURCE_INDEXER_KEY: 'not-this-one' };
    const indexer = site('idx', { type: 'piracy', domains: ['idx.example'], sources: [{ type: 'torznab', url: `${attacker.origin}/ok`, apiKeyEnv: 'ACME_INDEXER_KEY' }] });
    attacker.seen.length = 0;
    const result = await round([indexer], env, { credentialPrefix: 'ACME_' });
    expect(result.errors).toEqual([]);
    expect(attacker.seen.map((s) => new URL(s.url).searchParams.get('apikey'))).toEqual([INDEXER_KEY]);
    const refused = await round([indexer], env);
    expect(refused.errors[0]!.message).toContain('does not start with VIGIL_SOURCE_');
  });
});

describe('a redirect to another origin', () => {
  let elsewhere: Recorder;
  let source: Recorder;
  beforeAll(async () => {
    elsewhere = await recorder(() => ({ body: EMPTY_FEED }));
    // The source sends every request elsewhere, echoing its query (our key with it) as a hostile
    // indexer would; /same stays on its own origin.
    source = await recorder((url, origin) => {
      if (url.pathname === '/same') return { status: 302, headers: { location: `${origin}/landed?t=search` } };
      if (url.pathname === '/landed') return { body: EMPTY_FEED };
      return { status: 302, headers: { location: `${elsewhere.origin}/collect${url.search}` } };
    });
  });
  afterAll(async () => { await elsewhere.close(); await source.close(); });

  it('drops the Torznab key the fetcher added to the query', async () => {
    const s = site('idx', { type: 'piracy', domains: ['idx.example'], sources: [{ type: 'torznab', url: `${source.origin}/api`, apiKeyEnv: 'VIGIL_SOURCE_INDEXER_KEY' }] });
    const result = await round([s], { VIGIL_SOURCE_INDEXER_KEY: INDEXER_KEY });
    expect(result.errors).toEqual([]);
    // The first leg carried the key (so the test proves something); the second server never saw it.
    expect(everything(source)).toContain(INDEXER_KEY);
    expect(elsewhere.seen.length).toBeGreaterThan(0);
    expect(everything(elsewhere)).not.toContain(INDEXER_KEY);
  });

  it('drops the search API bearer token', async () => {
    const s = site('search', { type: 'piracy', domains: ['search.example'], sources: [{ type: 'search', url: `${source.origin}/v1/search`, apiKeyEnv: 'VIGIL_SOURCE_SEARCH_KEY' }] });
    elsewhere.seen.length = 0;
    await round([s], { VIGIL_SOURCE_SEARCH_KEY: SEARCH_KEY });
    expect(source.seen.some((r) => r.headers.authorization === `Bearer ${SEARCH_KEY}`)).toBe(true);
    expect(elsewhere.seen.length).toBeGreaterThan(0);
    expect(elsewhere.seen.every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(everything(elsewhere)).not.toContain(SEARCH_KEY);
  });

  it('drops Authorization and Cookie headers a caller set, and keeps every credential on the same origin', async () => {
    const fetch = createFetcher({ allowPrivate: true });
    elsewhere.seen.length = 0;
    source.seen.length = 0;
    await fetch(`${source.origin}/away`, { headers: { authorization: 'Basic dXNlcjpwYXNzd29yZA==', cookie: 'session=abc123456' }, credentials: { headers: { 'x-api-key': 'hdr-key-123456' }, query: { apikey: INDEXER_KEY } } });
    expect(elsewhere.seen).toHaveLength(1);
    expect(elsewhere.seen[0]!.headers).not.toHaveProperty('authorization');
    expect(elsewhere.seen[0]!.headers).not.toHaveProperty('cookie');
    expect(everything(elsewhere)).not.toMatch(/hdr-key-123456|idx-key|abc123456/);
    const same = await fetch(`${source.origin}/same`, { credentials: { headers: { 'x-api-key': 'hdr-key-123456' }, query: { apikey: INDEXER_KEY } } });
    expect(same.finalUrl).toBe(`${source.origin}/landed?t=search`);
    const landed = source.seen.find((r) => r.url.includes('/landed'))!;
    expect(landed.headers['x-api-key']).toBe('hdr-key-123456');
    expect(new URL(landed.url).searchParams.get('apikey')).toBe(INDEXER_KEY);
    // The key is a credential, not part of the address: results and redirect records never carry it.
    expect(JSON.stringify({ url: same.url, finalUrl: same.finalUrl, redirects: same.redirects })).not.toContain(INDEXER_KEY);
  });
});

describe('an indexer that puts our key into its own links', () => {
  it('yields pages that keep no copy of the key', async () => {
    const indexer = await recorder((url, origin) => {
      const k = url.searchParams.get('apikey') ?? '';
      return { body: `<?xml version="1.0"?><rss version="2.0" xmlns:torznab="http://torznab.com/schemas/2015/feed"><channel>
        <item><title>Moonlit Harbor 1080p WEB-DL</title><comments>${origin}/details/1?jackett_apikey=${k}</comments>
          <link>${origin}/dl/1.torrent?apikey=${k}&amp;file=x</link><enclosure url="${origin}/dl/1.torrent?apikey=${k}" type="application/x-bittorrent"/>
          <description>grab it at ${origin}/dl/1?apikey=${k}</description></item></channel></rss>` };
    });
    const pages: Page[] = [];
    const source = torznabSource(`${indexer.origin}/api`, 'VIGIL_SOURCE_INDEXER_KEY');
    for await (const p of source.collect({ terms: ['Moonlit Harbor'] }, { fetch: createFetcher({ allowPrivate: true }), env: { VIGIL_SOURCE_INDEXER_KEY: INDEXER_KEY } })) pages.push(p);
    await indexer.close();
    expect(pages).toHaveLength(1);
    expect(pages[0]!.url).toBe(`${indexer.origin}/details/1?jackett_apikey=***`);
    expect(JSON.stringify(pages)).not.toContain(INDEXER_KEY);
  });
});

describe('a failed source request', () => {
  let failing: Recorder;
  beforeAll(async () => {
    failing = await recorder((url, origin) => {
      if (url.pathname === '/unauthorized') return { status: 401, body: 'bad key' };
      if (url.pathname === '/broken') return { status: 500, body: 'oops' };
      // A loop that echoes the key into its Location, as some indexers do.
      return { status: 302, headers: { location: `${origin}/loop?apikey=${url.searchParams.get('apikey') ?? ''}&n=${Math.random()}` } };
    });
  });
  afterAll(() => failing.close());

  it('logs and reports the URL with the key masked: HTTP 401 and 500, connection refused, a redirect loop', async () => {
    const closed = await freePort();
    const s = site('idx', { type: 'piracy', domains: ['idx.example'], sources: [
      { type: 'torznab', url: `${failing.origin}/unauthorized`, apiKeyEnv: 'VIGIL_SOURCE_INDEXER_KEY' },
      { type: 'search', url: `${failing.origin}/broken`, apiKeyEnv: 'VIGIL_SOURCE_SEARCH_KEY' },
      { type: 'torznab', url: `http://127.0.0.1:${closed}/api`, apiKeyEnv: 'VIGIL_SOURCE_INDEXER_KEY' },
      { type: 'torznab', url: `${failing.origin}/loop`, apiKeyEnv: 'VIGIL_SOURCE_INDEXER_KEY' },
    ] });
    const { log, text, lines } = capturedLogger();
    const result = await round([s], { VIGIL_SOURCE_INDEXER_KEY: INDEXER_KEY, VIGIL_SOURCE_SEARCH_KEY: SEARCH_KEY }, { log });
    // The key did go out (the loop echoed it back), so its absence below is the redaction's doing.
    expect(everything(failing)).toContain(INDEXER_KEY);
    const logged = text();
    const reported = JSON.stringify(result.errors);
    for (const out of [logged, reported]) {
      expect(out).not.toContain(INDEXER_KEY);
      expect(out).not.toContain(SEARCH_KEY);
      expect(out).toContain(`${failing.origin}/unauthorized?t=search&q=Moonlit+Harbor`);
      expect(out).toContain('HTTP 401');
      expect(out).toContain('HTTP 500');
      expect(out).toContain(`127.0.0.1:${closed}`);
      expect(out).toMatch(/more than 3 redirects \(last to http:\/\/127\.0\.0\.1:\d+\/loop\?apikey=\*\*\*/);
    }
    expect(lines.filter((l) => l.includes('source request failed'))).toHaveLength(4);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });
});
