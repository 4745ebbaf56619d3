import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cappedBody, findingPage, PAGE_CAPTURE_MAX_BYTES, type PageCapture } from '../../../core/db/finding-pages.js';
import { recordFinding, recordSuspect } from '../../../core/db/findings.js';
import { decideSuspect } from '../../../core/db/review.js';
import { hostOf, normalizeUrl } from '../../../core/url.js';
import { pageCapture } from '../../../runners/monitor/capture.js';
import { createFetcher } from '../../../runners/monitor/fetch.js';
import { openTestServices, type TestServices } from '../../support/services.js';

/** The page kept with a finding: written in the finding's transaction, the first one kept, a suspect's passed on when it is confirmed. */

let services: TestServices;
let server: http.Server;
let base: string;
const seen: http.IncomingHttpHeaders[] = [];

beforeAll(async () => {
  services = await openTestServices();
  await services.db.pool.query(`insert into catalog_objects (kind, id, spec, metadata, spec_hash) values ('Content', 'orchard', $1, '{"id":"orchard"}', 'h1')`,
    [JSON.stringify({ type: 'film', title: 'The Iron Orchard', releaseDate: '2025-11-14' })]);
  server = http.createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/big') { res.writeHead(200, { 'content-type': 'text/html' }).end(Buffer.alloc(PAGE_CAPTURE_MAX_BYTES + 1000, 0x61)); return; }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'set-cookie': ['a=1', 'b=2'], 'X-Served-By': 'Edge-7' }).end(`<title>${req.url}</title>`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await services.close();
});

const fetch = createFetcher({ allowPrivate: true });

function sighting(url: string) {
  return { contentId: 'orchard', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: 't', source: 'web' as const, score: 9, evidence: {} };
}

describe('the fetcher as a capture', () => {
  it('says what it sent, masking credentials it sent for real, and keeps repeated response headers as received', async () => {
    const res = await fetch(`${base}/watch`, { headers: { cookie: 'session=s3cr3t' }, credentials: { headers: { 'x-api-key': 'k-123456' } } });
    expect(seen.at(-1)!.cookie).toBe('session=s3cr3t');
    expect(seen.at(-1)!['x-api-key']).toBe('k-123456');
    const c = pageCapture(res);
    expect(c.requestHeaders).toContainEqual(['cookie', '(redacted)']);
    expect(c.requestHeaders).toContainEqual(['x-api-key', '(redacted)']);
    expect(JSON.stringify(c.requestHeaders)).not.toMatch(/s3cr3t|k-123456/);
    expect(c.responseHeaders.filter(([n]) => n.toLowerCase() === 'set-cookie')).toEqual([['set-cookie', 'a=1'], ['set-cookie', 'b=2']]);
    // Names keep the case they were sent in.
    expect(c.responseHeaders).toContainEqual(['X-Served-By', 'Edge-7']);
    expect(c).toMatchObject({ method: 'GET', status: 200, statusText: 'OK', httpVersion: '1.1', remoteAddress: '127.0.0.1', truncated: false });
  });

  it('cuts a body over the bound and says how long it was', async () => {
    const c = pageCapture(await fetch(`${base}/big`, { maxBytes: 2 * PAGE_CAPTURE_MAX_BYTES }));
    expect(c.body.length).toBe(PAGE_CAPTURE_MAX_BYTES);
    expect(c).toMatchObject({ bodyBytes: PAGE_CAPTURE_MAX_BYTES + 1000, truncated: true });
    expect(cappedBody(Buffer.from('abc'), 2)).toMatchObject({ bodyBytes: 3, truncated: true });
  });
});

describe('finding pages', () => {
  it('are written with the finding, and a later round does not replace the first capture', async () => {
    const url = `${base}/watch/orchard-1`;
    const first = pageCapture(await fetch(url));
    const { finding } = await recordFinding(services.db.pool, { ...sighting(url), takedownStatus: 'Available', detectionStatus: 'Not Available', page: first }, { actor: 'monitor', reason: 'r' });
    const later: PageCapture = { ...pageCapture(await fetch(url)), body: Buffer.from('the page changed'), bodyBytes: 16 };
    await recordFinding(services.db.pool, { ...sighting(url), takedownStatus: 'Available', detectionStatus: 'Not Available', page: later }, { actor: 'monitor', reason: 'r' });
    const kept = (await findingPage(services.db.pool, finding.id))!;
    expect(kept.body.equals(first.body)).toBe(true);
    expect(kept.fetchedAt.getTime()).toBe(first.fetchedAt.getTime());
    expect(kept.requestHeaders).toEqual(first.requestHeaders);
    expect(kept.responseHeaders).toEqual(first.responseHeaders);
    const { rows } = await services.db.pool.query('select count(*)::int as n from finding_pages where finding_id = $1', [finding.id]);
    expect(rows[0].n).toBe(1);
  });

  it('of a suspect pass to the finding a reviewer confirms it as', async () => {
    const url = `${base}/watch/orchard-2`;
    const capture = pageCapture(await fetch(url));
    const { id } = await recordSuspect(services.db.pool, { ...sighting(url), reason: 'no media', queueForReview: true, page: capture }, { actor: 'monitor' });
    const outcome = await decideSuspect(services.db.pool, id, 'confirm', { actor: 'slack:U0REVIEW', reason: 'the poster shows it' });
    const page = (await findingPage(services.db.pool, outcome.findingId!))!;
    expect(page.body.toString()).toBe('<title>/watch/orchard-2</title>');
    expect(page.finalUrl).toBe(url);
  });

  it('are absent for a finding recorded without one', async () => {
    const url = `${base}/watch/orchard-3`;
    const { finding } = await recordFinding(services.db.pool, { ...sighting(url), takedownStatus: 'Available', detectionStatus: 'Not Available' }, { actor: 'monitor', reason: 'r' });
    expect(await findingPage(services.db.pool, finding.id)).toBeUndefined();
  });
});
