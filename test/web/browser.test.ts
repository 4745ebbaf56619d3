import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebConfig } from '../../core/config.js';
import { silentLogger } from '../../core/log.js';
import { startWebServer, type WebServer } from '../../web/server.js';
import { startFakeOidc, type FakeOidc } from '../support/fake-oidc.js';
import { openTestServices, type TestServices } from '../support/services.js';
import { seedWebView, type SeededWeb } from '../support/web-view.js';

/**
 * The web view in real headless Chromium (Debian's, driven by playwright-core): sign-in through a
 * local OIDC provider, the filters, keyset paging, the trend chart's SVG and the family graph, and
 * nothing shown without sign-in. Screenshots go to test-artifacts/web/ (git-ignored).
 */

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'];
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts/web');
let playwright = true;
try { await import('playwright-core'); } catch { playwright = false; }
const why = !existsSync(CHROMIUM) ? `skipped: no Chromium at ${CHROMIUM}` : !playwright ? 'skipped: playwright-core is not installed' : '';

const NO_AUTH: WebConfig = { port: 0, auth: undefined, oidc: { issuer: undefined, clientId: undefined, clientSecret: undefined, redirectUrl: undefined }, proxy: { header: undefined, address: undefined }, sessionKey: undefined };

let services: TestServices;
let provider: FakeOidc;
let oidcWeb: WebServer;
let proxyWeb: WebServer;
let browser: Browser;
let page: Page;
let seeded: SeededWeb;

const shot = (name: string): Promise<Buffer> => page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
const rowIds = (): Promise<number[]> => page.locator('#findings tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-id'))));

describe.skipIf(why !== '')(`web view in Chromium ${why}`, () => {
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    services = await openTestServices();
    seeded = await seedWebView(services.db.pool, 300);
    const start = (web: Partial<WebConfig>): Promise<WebServer> =>
      startWebServer({ pool: services.db.pool, config: { ...services.config, web: { ...NO_AUTH, ...web } }, log: silentLogger, host: '127.0.0.1', port: 0 });
    provider = await startFakeOidc({ redirectUri: () => `${oidcWeb.url}/auth/callback` });
    oidcWeb = await start({ auth: 'oidc', oidc: { issuer: provider.issuer, clientId: provider.clientId, clientSecret: provider.clientSecret, redirectUrl: undefined } });
    proxyWeb = await start({ auth: 'proxy', proxy: { header: 'x-forwarded-user', address: '127.0.0.1' } });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await oidcWeb?.close();
    await proxyWeb?.close();
    await provider?.close();
    await services?.close();
  });

  it('shows nothing without sign-in: the proxy\'s header missing is 401, and OIDC sends the browser to the provider', async () => {
    const refused = await page.goto(`${proxyWeb.url}/findings`);
    expect(refused!.status()).toBe(401);
    await expect.poll(() => page.locator('#error').getAttribute('data-code')).toBe('VIGIL-E0708');
    expect(await page.locator('#findings').count()).toBe(0);
    await shot('refused-proxy');
    await page.goto(`${oidcWeb.url}/findings?family=toonhub`);
    expect(new URL(page.url()).origin).toBe(provider.issuer);
    expect(await page.locator('#provider').textContent()).toBe('Test provider');
    await shot('refused-oidc-provider');
  });

  it('signs in at the provider and comes back to the page asked for', async () => {
    await page.locator('#approve').click();
    await page.waitForURL(`${oidcWeb.url}/findings?family=toonhub`);
    expect(await page.locator('header .who').textContent()).toBe('signed in as alice@example.com');
    const ids = await rowIds();
    expect(ids.length).toBe(50);
    await shot('signed-in-findings');
  });

  it('filters by the form: takedown status and site family, as SQL selects them', async () => {
    await page.goto(`${oidcWeb.url}/findings`);
    await page.locator('input[name="takedown"][value="Complete"]').check();
    await page.locator('input[name="takedown"][value="Ignore"]').check();
    await page.locator('select[name="family"]').selectOption('fastlocker');
    await page.locator('select[name="limit"]').selectOption('25');
    await page.locator('#filters button[type="submit"]').click();
    await page.waitForURL(/family=fastlocker/);
    const cells = await page.locator('#findings td.takedown').allTextContents();
    expect(cells.length).toBeGreaterThan(0);
    expect(cells.filter((s) => s !== 'Complete' && s !== 'Ignore')).toEqual([]);
    const { rows } = await services.db.pool.query<{ id: string }>(
      `select id from findings where takedown_status in ('Complete', 'Ignore') and family = 'fastlocker' order by first_seen desc, id desc limit 25`);
    expect(await rowIds()).toEqual(rows.map((r) => Number(r.id)));
    await shot('filtered');
  });

  it('pages by keyset: Older shows the next findings with none repeated, Newest goes back', async () => {
    await page.goto(`${oidcWeb.url}/findings?limit=25`);
    const first = await rowIds();
    await page.locator('#older').first().click();
    await page.waitForURL(/after=/);
    const second = await rowIds();
    expect(second).toHaveLength(25);
    expect(second.filter((id) => first.includes(id))).toEqual([]);
    const { rows } = await services.db.pool.query<{ id: string }>(`select id from findings order by first_seen desc, id desc limit 25 offset 25`);
    expect(second).toEqual(rows.map((r) => Number(r.id)));
    await shot('page-2');
    await page.locator('#newest').first().click();
    await page.waitForURL((url) => !url.searchParams.has('after'));
    expect(await rowIds()).toEqual(first);
  });

  it('links from a finding to its evidence: the page fetched, the notice with its receipt, the audit trail', async () => {
    await page.goto(`${oidcWeb.url}/findings`);
    await page.locator(`#findings tr[data-id="${seeded.detailId}"] a[href="/findings/${seeded.detailId}"]`).click();
    await page.waitForURL(`${oidcWeb.url}/findings/${seeded.detailId}`);
    expect(await page.locator('#takedown').textContent()).toBe('In Progress');
    expect(await page.locator('#notices .notice-status').textContent()).toMatch(/^sent /);
    expect(await page.locator('#audit tr.audit').count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#page').textContent()).toContain('HTTP 200 OK');
    await shot('finding-evidence');
  });

  it('renders the trend chart as non-empty SVG, and the family graph with its hops', async () => {
    await page.goto(`${oidcWeb.url}/trends`);
    const chart = page.locator('#trend-chart svg.chart');
    await expect.poll(() => chart.count()).toBe(1);
    const box = await chart.boundingBox();
    expect(box!.width).toBeGreaterThan(300);
    expect(box!.height).toBeGreaterThan(100);
    // As laid out on the screen, not as written: the browser drew these bars.
    const heights = await chart.locator('rect.bar').evaluateAll((bars) => bars.map((b) => b.getBoundingClientRect().height));
    expect(heights.length).toBe(52);
    expect(heights.filter((h) => h > 0).length).toBeGreaterThan(10);
    await shot('trends');
    await page.goto(`${oidcWeb.url}/families`);
    expect(await page.locator('#family-graph svg line.hop').count()).toBe(2);
    expect(await page.locator('#family-graph svg g.host').count()).toBe(6);
    await shot('families');
  });

  it('signs out: the cookie is gone and the next page asks the provider again', async () => {
    await page.goto(`${oidcWeb.url}/jobs`);
    await page.locator('#sign-out').click();
    await page.waitForURL(`${oidcWeb.url}/signed-out`);
    await page.goto(`${oidcWeb.url}/jobs`);
    expect(new URL(page.url()).origin).toBe(provider.issuer);
  });
});
