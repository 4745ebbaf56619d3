import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config, WebConfig } from '../../core/config.js';
import { parseCatalogRepo } from '../../core/catalog-repo.js';
import { markCardPosted, markSummaryPosted } from '../../core/db/chat-cards.js';
import { isVigilError } from '../../core/errors.js';
import { createLogger, silentLogger } from '../../core/log.js';
import { createGate } from '../../web/auth/gate.js';
import { startWebServer, type WebServer } from '../../web/server.js';
import { startFakeOidc, type FakeOidc } from '../support/fake-oidc.js';
import { BOT_TOKEN, startFakeSlack } from '../support/fake-slack.js';
import { openTestServices, type TestServices } from '../support/services.js';
import { seedWebView, type SeededWeb } from '../support/web-view.js';

const COUNT = 300;
let services: TestServices;
let seeded: SeededWeb;
let dev: WebServer;

const NO_AUTH: WebConfig = { port: 0, auth: undefined, oidc: { issuer: undefined, clientId: undefined, clientSecret: undefined, redirectUrl: undefined }, proxy: { header: undefined, address: undefined }, sessionKey: undefined };

function configWith(web: Partial<WebConfig>): Config {
  return { ...services.config, web: { ...NO_AUTH, ...web } };
}

function start(web: Partial<WebConfig>): Promise<WebServer> {
  return startWebServer({ pool: services.db.pool, config: configWith(web), log: silentLogger, host: '127.0.0.1', port: 0 });
}

const idsOf = (page: string): number[] => [...page.matchAll(/<tr data-id="(\d+)">/g)].map((m) => Number(m[1]));

async function get(server: WebServer, path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; res: Response }> {
  const res = await fetch(`${server.url}${path}`, { headers, redirect: 'manual' });
  return { status: res.status, text: await res.text(), res };
}

beforeAll(async () => {
  services = await openTestServices();
  seeded = await seedWebView(services.db.pool, COUNT);
  dev = await start({ auth: 'dev' });
}, 60_000);

afterAll(async () => {
  await dev?.close();
  await services?.close();
});

describe('findings page', () => {
  it('shows what the CLI filters select, newest first, in pages of the size asked', async () => {
    const { status, text } = await get(dev, '/findings?takedown=complete&family=toonhub&limit=25');
    expect(status).toBe(200);
    const { rows } = await services.db.pool.query<{ id: string }>(
      `select id from findings where takedown_status = 'Complete' and family = 'toonhub' order by first_seen desc, id desc limit 25`);
    expect(rows.length).toBeGreaterThan(0);
    expect(idsOf(text)).toEqual(rows.map((r) => Number(r.id)));
  });

  it('walks every finding of a filter by its Older links, none twice and none left out', async () => {
    const seen: number[] = [];
    let path: string | undefined = '/findings?content=iron-orchid&takedown=takedown+requested&takedown=IGNORE&limit=25';
    let pages = 0;
    while (path) {
      const { text } = await get(dev, path);
      seen.push(...idsOf(text));
      const older = /<a id="older" rel="next" href="([^"]+)"/.exec(text);
      path = older ? older[1]!.replace(/&amp;/g, '&') : undefined;
      pages++;
    }
    const { rows } = await services.db.pool.query<{ id: string }>(
      `select id from findings where content_id = 'iron-orchid' and takedown_status in ('Takedown requested', 'Ignore') order by first_seen desc, id desc`);
    expect(rows.length).toBeGreaterThan(75);
    expect(seen).toEqual(rows.map((r) => Number(r.id)));
    // A page is read one row long, so the last full page knows it is the last: no empty page after it.
    expect(pages).toBe(Math.ceil(rows.length / 25));
  });

  it('keeps the form as typed and says which filter is wrong', async () => {
    const { status, text } = await get(dev, '/findings?from=2026-02-30&title=orchid');
    expect(status).toBe(400);
    expect(text).toContain('VIGIL-E0104');
    expect(text).toContain('2026-02-30');
    expect(text).toContain('value="orchid"');
  });
});

describe('finding detail', () => {
  it('shows the page fetched, the notice with its receipt and the audit trail, with record text escaped', async () => {
    const { status, text } = await get(dev, `/findings/${seeded.detailId}`);
    expect(status).toBe(200);
    expect(text).toContain('HTTP 200 OK');
    expect(text).toContain('server: pirate/1.0');
    expect(text).toContain('DMCA notice: Moonlit Harbor');
    expect(text).toMatch(/try 1 smtp: <strong>sent<\/strong> \(&lt;msg-1@vigil&gt;\)/);
    expect(text).toContain('<strong id="takedown">In Progress</strong>');
    expect(text).toContain('Take down pressed in Slack');
    expect(text).toContain(`vigil evidence ${seeded.detailId}`);
    expect(text).toContain('Moonlit Harbor &lt;b&gt;E1&lt;/b&gt; free');
    expect(text).not.toContain('<b>E1</b>');
  });

  it('links out to the finding\'s Slack card and to its title\'s file in the catalog repository', async () => {
    const { rows } = await services.db.pool.query<{ summary_id: string }>('select summary_id from chat_cards where finding_id = $1', [seeded.detailId]);
    expect(rows).toHaveLength(1);
    await markSummaryPosted(services.db.pool, Number(rows[0]!.summary_id), { ts: '1764676800.000100', channelId: 'C0FINDINGS', revision: 1 });
    await markCardPosted(services.db.pool, seeded.detailId, { ts: '1764676801.000200', version: 1, auditId: 0 });
    const base = configWith({ auth: 'dev' });
    const withRepo = await startWebServer({
      pool: services.db.pool, log: silentLogger, host: '127.0.0.1', port: 0,
      config: { ...base, github: { ...base.github, catalogRepo: parseCatalogRepo('VIGIL_CATALOG_REPO', 'studio/catalog', base.github.apiUrl), catalogBranch: 'main' } },
    });
    try {
      const { text } = await get(withRepo, `/findings/${seeded.detailId}`);
      expect(text).toContain('href="https://slack.com/archives/C0FINDINGS/p1764676801000200?thread_ts=1764676800.000100&amp;cid=C0FINDINGS"');
      const { rows: content } = await services.db.pool.query<{ source_file: string; source_line: number }>(`select source_file, source_line from catalog_objects where kind = 'Content' and id = 'moonlit-harbor'`);
      expect(text).toContain(`href="https://github.com/studio/catalog/blob/main/catalog/${content[0]!.source_file}#L${content[0]!.source_line}"`);
    } finally {
      await withRepo.close();
    }
  });

  it("links the card by Slack's own permalink (chat.getPermalink), asked once, and by the hand-built form, logged, when Slack refuses", async () => {
    // The card was marked posted by the test before this one.
    const slack = await startFakeSlack();
    const lines: string[] = [];
    const log = createLogger('warn', 'vigil', { format: 'json', write: (l) => lines.push(l) });
    const base = configWith({ auth: 'dev' });
    const config = { ...base, slack: { ...base.slack, botToken: BOT_TOKEN, apiUrl: slack.apiUrl } };
    const web = await startWebServer({ pool: services.db.pool, log, host: '127.0.0.1', port: 0, config });
    try {
      for (let i = 0; i < 2; i++) {
        const { text } = await get(web, `/findings/${seeded.detailId}`);
        expect(text).toContain('href="https://vigil-test.slack.com/archives/C0FINDINGS/p1764676801000200"');
      }
      expect(slack.accepted('chat.getPermalink').map((c) => c.args)).toEqual([{ channel: 'C0FINDINGS', message_ts: '1764676801.000200' }]);
      expect(lines).toEqual([]);
    } finally {
      await web.close();
    }
    slack.failNext('chat.getPermalink', { status: 200, error: 'message_not_found' });
    const refused = await startWebServer({ pool: services.db.pool, log, host: '127.0.0.1', port: 0, config });
    try {
      const { status, text } = await get(refused, `/findings/${seeded.detailId}`);
      expect(status).toBe(200);
      expect(text).toContain('href="https://slack.com/archives/C0FINDINGS/p1764676801000200?thread_ts=1764676800.000100&amp;cid=C0FINDINGS"');
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'web-slack-permalink-failed');
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ channel: 'C0FINDINGS', ts: '1764676801.000200', error: expect.stringContaining('message_not_found') });
      expect(lines.join('\n')).not.toContain(BOT_TOKEN);
    } finally {
      await refused.close();
      await slack.close();
    }
  });

  it('answers 404 for a finding that does not exist', async () => {
    const { status, text } = await get(dev, '/findings/999999');
    expect(status).toBe(404);
    expect(text).toContain('VIGIL-E0709');
  });
});

describe('the other pages', () => {
  it('charts findings and removals per week from the records', async () => {
    const { text } = await get(dev, '/trends');
    const bars = [...text.matchAll(/<rect class="bar" data-series="(\w+)" data-label="([\d-]+)" data-value="(\d+)"/g)];
    expect(bars).toHaveLength(52);
    const sum = (series: string): number => bars.filter((b) => b[1] === series).reduce((n, b) => n + Number(b[3]), 0);
    const since = bars[0]![2]!;
    const { rows } = await services.db.pool.query<{ n: number }>(`select count(*)::int as n from findings where first_seen >= $1::date`, [since]);
    expect(sum('found')).toBe(rows[0]!.n);
    expect(sum('removed')).toBe(seeded.removedIds.length);
  });

  it('draws each hop of a family as an arrow from the host it was found through', async () => {
    const { text } = await get(dev, '/families');
    expect(text).toContain('<line class="hop" data-from="streamzone.example" data-to="streamzone2.example"');
    expect(text).toContain('<line class="hop" data-from="streamzone2.example" data-to="streamzone3.example"');
    expect(text).toContain('data-host="toonhub.example" data-kind="catalog"');
  });

  it('lists jobs with status and schedule, the review queue, detections and sessions revoked', async () => {
    const jobs = await get(dev, '/jobs');
    expect(jobs.text).toMatch(/<tr data-job="iron-orchid-watch">.*every 6h from 2026-01-01/s);
    const review = await get(dev, '/review');
    expect(review.text).toContain('title match without media');
    const sessions = await get(dev, '/sessions');
    expect(sessions.text).toContain(seeded.revokedSessionId);
    expect(sessions.text).toContain('leak attributed to this session');
    expect((await get(dev, '/detections')).status).toBe(200);
  });

  it('answers /healthz with "ok" alone to anyone, keeps /metrics off the web port behind sign-in, and refuses to change anything', async () => {
    const proxied = await start({ auth: 'proxy', proxy: { header: 'x-forwarded-user', address: '10.1.2.3' } });
    try {
      // Nobody is signed in here (the proxy is elsewhere): the probe is answered, and says nothing of the records.
      const health = await get(proxied, '/healthz');
      expect(health.status).toBe(200);
      expect(health.text).toBe('ok\n');
      const metrics = await get(proxied, '/metrics');
      expect(metrics.status).toBe(401);
      expect(metrics.text).toContain('VIGIL-E0708');
      expect(metrics.text).not.toMatch(/vigil_(findings|notices|process)_/);
    } finally {
      await proxied.close();
    }
    // Signed in, /metrics is still not here: it says where Prometheus reads it.
    const signedIn = await get(dev, '/metrics');
    expect(signedIn.status).toBe(404);
    expect(signedIn.text).toContain('served on the metrics port');
    expect(signedIn.text).not.toMatch(/vigil_(findings|notices|process)_/);
    const post = await fetch(`${dev.url}/findings`, { method: 'POST' });
    expect(post.status).toBe(405);
  });
});

describe('sign-in', () => {
  it('refuses to start without a sign-in, and development mode off loopback', () => {
    const code = (web: Partial<WebConfig>, host = '127.0.0.1'): string | undefined => {
      try {
        createGate({ ...NO_AUTH, ...web }, { host, port: 3005 }, silentLogger);
        return undefined;
      } catch (error) {
        return isVigilError(error) ? error.code : String(error);
      }
    };
    expect(code({})).toBe('VIGIL-E0701');
    expect(code({ auth: 'dev' }, '0.0.0.0')).toBe('VIGIL-E0702');
    expect(code({ auth: 'oidc', oidc: { ...NO_AUTH.oidc, issuer: 'https://id.example' } })).toBe('VIGIL-E0703');
    expect(code({ auth: 'proxy', proxy: { header: 'x-user', address: undefined } })).toBe('VIGIL-E0705');
    expect(code({ auth: 'dev' }, '::1')).toBeUndefined();
  });

  it('believes the proxy header only from the proxy\'s address', async () => {
    const trusted = await start({ auth: 'proxy', proxy: { header: 'x-forwarded-user', address: '127.0.0.1' } });
    const elsewhere = await start({ auth: 'proxy', proxy: { header: 'x-forwarded-user', address: '10.1.2.3' } });
    try {
      const none = await get(trusted, '/findings');
      expect(none.status).toBe(401);
      expect(none.text).toContain('VIGIL-E0708');
      expect(none.text).not.toContain('data-id=');
      const ok = await get(trusted, '/findings', { 'x-forwarded-user': 'bob@studio.example' });
      expect(ok.status).toBe(200);
      expect(ok.text).toContain('signed in as bob@studio.example');
      const spoofed = await get(elsewhere, '/findings', { 'x-forwarded-user': 'bob@studio.example' });
      expect(spoofed.status).toBe(401);
      expect(spoofed.text).toContain('not through the sign-in proxy');
    } finally {
      await trusted.close();
      await elsewhere.close();
    }
  });

  describe('OIDC', () => {
    let provider: FakeOidc;
    let web: WebServer;
    beforeAll(async () => {
      provider = await startFakeOidc({ redirectUri: () => `${web.url}/auth/callback` });
      web = await start({ auth: 'oidc', oidc: { issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret, redirectUrl: undefined } });
    });
    afterAll(async () => {
      await web?.close();
      await provider?.close();
    });

    /** The browser's part: follow the redirects to the provider, approve, and come back with the code. */
    async function signIn(o: { tamperState?: boolean } = {}): Promise<{ status: number; text: string; cookie: string | undefined; location: string | null }> {
      const login = await get(web, '/login?back=%2Ftrends');
      expect(login.status).toBe(302);
      const pending = login.res.headers.get('set-cookie')!.split(';')[0]!;
      const authorize = new URL(login.res.headers.get('location')!);
      expect(authorize.origin).toBe(provider.issuer);
      expect(authorize.searchParams.get('code_challenge_method')).toBe('S256');
      const form = new URLSearchParams([...authorize.searchParams, ['user', 'alice@example.com']]);
      if (o.tamperState) form.set('state', 'forged-state');
      const approved = await fetch(`${provider.issuer}/authorize`, { method: 'POST', body: form, redirect: 'manual' });
      const callback = new URL(approved.headers.get('location')!);
      const back = await fetch(callback, { headers: { cookie: pending }, redirect: 'manual' });
      const cookies = back.headers.getSetCookie().map((c) => c.split(';')[0]!).filter((c) => c.startsWith('vigil_web=') && c !== 'vigil_web=');
      return { status: back.status, text: await back.text(), cookie: cookies[0], location: back.headers.get('location') };
    }

    it('sends a browser with nobody signed in to the provider, and tells a script 401', async () => {
      const browser = await get(web, '/findings?family=toonhub', { accept: 'text/html' });
      expect(browser.status).toBe(302);
      expect(browser.res.headers.get('location')).toBe('/login?back=%2Ffindings%3Ffamily%3Dtoonhub');
      const script = await get(web, '/findings');
      expect(script.status).toBe(401);
      expect(script.text).toContain('VIGIL-E0708');
    });

    it('signs in by the code flow with PKCE and a verified ID token, then serves the pages', async () => {
      const result = await signIn();
      expect(result.status).toBe(303);
      expect(result.location).toBe('/trends');
      expect(result.cookie).toBeDefined();
      const last = provider.tokenRequests.at(-1)!;
      expect(last.grant_type).toBe('authorization_code');
      expect(last.code_verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const page = await get(web, '/findings', { cookie: result.cookie! });
      expect(page.status).toBe(200);
      expect(page.text).toContain('signed in as alice@example.com');
      const forged = await get(web, '/findings', { cookie: `${result.cookie!.slice(0, -3)}abc` });
      expect(forged.status).toBe(401);
    });

    it('refuses an ID token signed by a key the provider does not publish', async () => {
      provider.forgeNext();
      const result = await signIn();
      expect(result.status).toBe(401);
      expect(result.text).toContain('VIGIL-E0707');
      expect(result.text).toContain('signature does not check');
      expect(result.cookie).toBeUndefined();
    });

    it('refuses a callback whose state is not the one sent', async () => {
      const result = await signIn({ tamperState: true });
      expect(result.status).toBe(401);
      expect(result.text).toContain('state');
      expect(result.cookie).toBeUndefined();
    });
  });
});
