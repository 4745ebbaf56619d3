import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actOnFinding } from '../../../core/db/finding-actions.js';
import { recordFinding } from '../../../core/db/findings.js';
import { linkChecksOf } from '../../../core/db/link-checks.js';
import { noticesForFinding } from '../../../core/db/notices.js';
import { hostOf, normalizeUrl } from '../../../core/url.js';
import { applyCatalog } from '../../support/applied-catalog.js';
import { startFakeRdap, type FakeRdap } from '../../support/fake-rdap.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { startFixtureServer, type FixtureServer } from '../monitor/fixture-web.js';
import { startMailServer, textParts, type MailServer } from './channels/mail-server.js';
import { FILM_CONTENT_YAML, startHarness, waitForStatus, type Harness } from './worker-harness.js';

/**
 * The whole lifecycle through the worker: a local pirate page → a finding → Take down (actOnFinding,
 * as a Slack button does it) → the notice mailed → re-checks → Complete when the page goes away after
 * the notice, Failed when it stays up through the Policy's re-check count.
 */

const HOST = 'streamfree.to';
const CATALOG = [FILM_CONTENT_YAML, `apiVersion: vigil/v1
kind: Policy
metadata:
  id: policy
spec:
  noticeSender: { name: Jane Counsel, organization: Harbor Films LLC, email: legal@harbor-films.test, address: "1 Studio Way, Burbank, CA 91502, USA" }
  takedown:
    batch: { maxUrls: 50, waitSeconds: 0 }
    delivery: { attempts: 2, backoffMinutes: 0 }
    recheck: { firstAfterMinutes: 0, everyMinutes: 0, count: 2 }
`, `apiVersion: vigil/v1
kind: Site
metadata:
  id: streamfree
spec:
  type: piracy
  domains: [${HOST}]
  takedown:
    email: dmca@streamfree.to
`];

const page = (title: string) => `<!doctype html><html><head><title>${title} - watch free in 1080p</title></head><body><h1>${title} (2026)</h1><p>Eng sub, no sign up.</p></body></html>`;

let services: TestServices;
let rdap: FakeRdap;
let mail: MailServer;
let web: FixtureServer;
let harness: Harness;

/** Whether a notice listing `url` has reached the mail server: the pirate takes a page down only after. */
const noticed = (url: string) => mail.received.some((m) => textParts(m.raw).get('text/plain')?.includes(url));

beforeAll(async () => {
  services = await openTestServices();
  await applyCatalog(services.db.pool, ...CATALOG);
  rdap = await startFakeRdap();
  mail = await startMailServer({ user: 'vigil', pass: 's3cret' });
  web = await startFixtureServer();
  web.route(HOST, '/watch/goes-away', (_req, url) => (noticed(web.url(HOST, url.pathname)) ? { status: 404, body: 'not found' } : { body: page('Moonlit Harbor') }));
  web.route(HOST, '/watch/stays-up', { body: page('Moonlit Harbor') });
  harness = startHarness(services, rdap, mail.url(), () => Promise.reject(new Error('ENOTFOUND')), { ...services.config.crawler, allowPrivate: true, resolve: web.resolveEntries() });
}, 60_000);
afterAll(async () => {
  await harness?.stop();
  await web?.close();
  await mail?.close();
  await rdap?.close();
  await services?.close();
});

async function takenDown(path: string): Promise<number> {
  const url = web.url(HOST, path);
  const { finding } = await recordFinding(services.db.pool, {
    contentId: 'moonlit-harbor', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: 'Moonlit Harbor - watch free', source: 'web', score: 12,
    evidence: {}, takedownStatus: 'Available', detectionStatus: 'Not Available',
  }, { actor: 'monitor', reason: 'found' });
  const outcome = await actOnFinding(services.db.pool, finding.id, 'takedown', { actor: 'U0ALICE', reason: 'clicked Take down', override: false });
  expect(outcome.outcome).toBe('done');
  return finding.id;
}

describe('a finding\'s takedown lifecycle through the worker', () => {
  it('goes Complete when a re-check after the notice finds the page gone (404)', async () => {
    const id = await takenDown('/watch/goes-away');
    await waitForStatus(services, [id], 'Complete', 30_000);
    const [notice] = await noticesForFinding(services.db.pool, id);
    expect(notice).toMatchObject({ status: 'sent', contact: 'dmca@streamfree.to' });
    const checks = await linkChecksOf(services.db.pool, id);
    expect(checks.at(-1)).toMatchObject({ outcome: 'gone', why: '404' });
  }, 40_000);

  it('goes Failed when the page stays up through the Policy\'s re-check count', async () => {
    const id = await takenDown('/watch/stays-up');
    await waitForStatus(services, [id], 'Failed', 30_000);
    expect((await noticesForFinding(services.db.pool, id))[0]).toMatchObject({ status: 'sent' });
    expect((await linkChecksOf(services.db.pool, id)).map((c) => c.outcome)).toEqual(['up', 'up']);
  }, 40_000);
});
