import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { abuseAnswers } from '../../../core/db/abuse-contacts.js';
import { isVigilError } from '../../../core/errors.js';
import { isBlockedAddress } from '../../../runners/monitor/address.js';
import { createFetcher } from '../../../runners/monitor/fetch.js';
import { deliveryTargets, noticeRecipient, type ContactDeps, type NameResolver } from '../../../runners/takedown/contacts.js';
import { bootstrapFrom } from '../../../runners/takedown/rdap-bootstrap.js';
import { applyCatalog } from '../../support/applied-catalog.js';
import { bootstrapJson, domainObject, ipNetworkObject, startFakeRdap, type FakeRdap } from '../../support/fake-rdap.js';
import { openTestServices, type TestServices } from '../../support/services.js';

const REGISTRY = 'rdap.registry.test';
const RIR = 'rdap.rir.test';

let fake: FakeRdap;
let services: TestServices;

/** DNS for the test: names the fake world knows; anything else does not resolve. */
const DNS: Record<string, string[]> = {
  'www.pirate-stream.example': ['45.60.10.20'],
  'mirror.pirate-stream.example': ['45.60.200.1'],
  'hidden.example': ['45.61.0.9'],
  'intranet.example': ['10.9.8.7'],
  'evil.example': ['45.63.0.1'],
  'mixed.example': ['45.60.10.21'],
  'registrar.test': ['45.70.0.25'],
  'hoster.test': ['45.70.0.26'],
  'evil-registrar.test': ['10.1.2.3'],
};
const resolver: NameResolver = (name) => {
  const found = DNS[name];
  return found ? Promise.resolve(found) : Promise.reject(new Error('ENOTFOUND'));
};

beforeAll(async () => {
  fake = await startFakeRdap();
  fake.route(REGISTRY, '/domain/pirate-stream.example', { body: domainObject('PIRATE-STREAM.EXAMPLE', { name: 'Example Registrar, Inc.', ianaId: '9999', abuse: { email: 'abuse@registrar.test', tel: '+1.5555550100' } }) });
  fake.route(RIR, '/ip/45.60.10.20', { body: ipNetworkObject({ start: '45.60.0.0', end: '45.60.255.255', cidr: ['45.60.0.0', 16], name: 'HOSTER-NET', org: 'Bulletproof Hosting Ltd', abuse: { email: 'abuse@hoster.test' } }) });
  fake.route(REGISTRY, '/domain/hidden.example', { body: domainObject('HIDDEN.EXAMPLE', { name: 'Private Registrar', ianaId: '5555', abuse: 'redacted' }) });
  fake.route(RIR, '/ip/45.61.0.9', { body: ipNetworkObject({ start: '45.61.0.0', end: '45.61.0.255', name: 'QUIET-NET', org: 'Quiet Hosting' }) });
  fake.route(REGISTRY, '/domain/evil.example', { body: domainObject('EVIL.EXAMPLE', { name: 'Evil Registrar', ianaId: '6666', abuse: { email: 'abuse@evil-registrar.test' } }) });
  fake.route(RIR, '/ip/45.63.0.1', { body: ipNetworkObject({ start: '45.63.0.0', end: '45.63.0.255', name: 'EVIL-NET', org: 'Evil Hosting', abuse: { email: 'abuse@evil-registrar.test' } }) });
  fake.route(REGISTRY, '/domain/mixed.example', { body: domainObject('MIXED.EXAMPLE', { name: 'Mixed Registrar', ianaId: '7777', abuse: { url: 'http://127.0.0.1:8080/abuse-form' } }) });
  fake.route(REGISTRY, '/domain/intranet.example', { body: domainObject('INTRANET.EXAMPLE', { name: 'Example Registrar, Inc.', ianaId: '9999', abuse: { email: 'abuse@registrar.test' } }) });
});
afterAll(() => fake.close());
beforeEach(async () => { services = await openTestServices(); });
afterEach(() => services.close());

function deps(extra: Partial<ContactDeps> = {}): ContactDeps {
  const bootstrap = bootstrapFrom([{ source: 'test', json: bootstrapJson([[['example'], [fake.base(REGISTRY)]], [['45.0.0.0/8'], [fake.base(RIR)]]]) }]);
  // Only the fake's own loopback address may be fetched; every other private address stays refused.
  const fetcher = createFetcher({ resolve: fake.resolve(), refuse: (a) => a !== '127.0.0.1' && isBlockedAddress(a) });
  return { pool: services.db.pool, rdap: { fetcher, bootstrap }, resolver, ...extra };
}

const SITE = (takedown: string): string =>
  `apiVersion: vigil/v1\nkind: Site\nmetadata:\n  id: pirate-stream\nspec:\n  type: piracy\n  domains: [pirate-stream.example]\n  takedown:\n${takedown}`;

async function auditCount(): Promise<number> {
  const { rows } = await services.db.pool.query<{ n: string }>(`select count(*) as n from audit_log where action = 'abuse-contact-recorded'`);
  return Number(rows[0]!.n);
}

describe('who receives a notice', () => {
  it("takes the Site's own takedown contact when the catalog has one, without asking RDAP", async () => {
    await applyCatalog(services.db.pool, SITE('    email: dmca@pirate-stream.example\n    formUrl: https://pirate-stream.example/dmca\n'));
    const start = fake.requests.length;
    const recipient = await noticeRecipient({ host: 'www.pirate-stream.example' }, deps());
    expect(recipient).toEqual({
      kind: 'contacts', host: 'www.pirate-stream.example', from: 'site', refused: [], notes: [],
      contacts: [{ role: 'site', email: 'dmca@pirate-stream.example', source: 'Site/pirate-stream' }, { role: 'site', formUrl: 'https://pirate-stream.example/dmca', source: 'Site/pirate-stream' }],
    });
    expect(fake.requests.length).toBe(start);
    expect(deliveryTargets(recipient).map((t) => [t.channel, t.to])).toEqual([['email', 'dmca@pirate-stream.example'], ['form', 'https://pirate-stream.example/dmca']]);
  });

  it('asks RDAP for the registrar (domain) and the hosting provider (IP network), and records both', async () => {
    const recipient = await noticeRecipient({ host: 'www.pirate-stream.example' }, deps());
    expect(recipient.kind).toBe('contacts');
    if (recipient.kind !== 'contacts') return;
    expect(recipient.from).toBe('rdap');
    expect(recipient.contacts.map((c) => [c.role, c.email, c.organization])).toEqual([
      ['registrar', 'abuse@registrar.test', 'Example Registrar, Inc.'],
      ['hosting', 'abuse@hoster.test', 'Bulletproof Hosting Ltd'],
    ]);
    const rows = await abuseAnswers(services.db.pool);
    expect(rows.map((r) => [r.scope, r.key, r.found])).toEqual([['domain', 'pirate-stream.example', true], ['network', '45.60.0.0/16', true]]);
    const days = (rows[0]!.expiresAt.getTime() - rows[0]!.fetchedAt.getTime()) / 86_400_000;
    expect(days).toBeCloseTo(7, 1);
    expect(await auditCount()).toBe(2);
  });

  it('a hostingProvider alone in the catalog reaches nobody: RDAP is asked, and the note says why', async () => {
    await applyCatalog(services.db.pool, SITE('    hostingProvider: Bulletproof Hosting Ltd\n'));
    const recipient = await noticeRecipient({ host: 'www.pirate-stream.example', siteId: 'pirate-stream' }, deps());
    expect(recipient).toMatchObject({ kind: 'contacts', from: 'rdap' });
    expect(recipient.kind === 'contacts' && recipient.notes[0]).toContain('names Bulletproof Hosting Ltd as hosting provider but gives no e-mail or form');
  });

  it('answers from the cache without a request, for the same host and for another address in the cached network', async () => {
    await noticeRecipient({ host: 'www.pirate-stream.example' }, deps());
    const start = fake.requests.length;
    const again = await noticeRecipient({ host: 'www.pirate-stream.example' }, deps());
    const mirror = await noticeRecipient({ host: 'mirror.pirate-stream.example' }, deps());
    expect(fake.requests.length).toBe(start);
    for (const r of [again, mirror]) expect(r.kind === 'contacts' && r.contacts.map((c) => c.email)).toEqual(['abuse@registrar.test', 'abuse@hoster.test']);
  });

  it('looks an expired answer up again, and a refresh with the same contacts adds no audit row', async () => {
    await noticeRecipient({ host: 'www.pirate-stream.example' }, deps({ ttl: { found: 0 } }));
    const start = fake.requests.length;
    await noticeRecipient({ host: 'www.pirate-stream.example' }, deps({ ttl: { found: 0 } }));
    expect(fake.requests.length - start).toBe(2);
    expect(await auditCount()).toBe(2);
  });

  it("says why when the registrar's contact is redacted and the network has none, and keeps that shorter", async () => {
    const recipient = await noticeRecipient({ host: 'hidden.example' }, deps());
    expect(recipient.kind).toBe('none');
    if (recipient.kind !== 'none') return;
    expect(recipient.why).toContain("the registrar's abuse contact for hidden.example has no e-mail or form (redacted: REDACTED FOR PRIVACY)");
    expect(recipient.why).toContain('RDAP names no abuse contact for network 45.61.0.0/24 (Quiet Hosting)');
    const rows = await abuseAnswers(services.db.pool);
    expect(rows.every((r) => !r.found)).toBe(true);
    const hours = (rows[0]!.expiresAt.getTime() - rows[0]!.fetchedAt.getTime()) / 3_600_000;
    expect(hours).toBeCloseTo(24, 0);
    expect(await auditCount()).toBe(2);
  });

  it('refuses a notice to a private address from RDAP data', async () => {
    const error = await noticeRecipient({ host: 'evil.example' }, deps()).catch((e: unknown) => e);
    expect(isVigilError(error, 'CONTACT_PRIVATE_ADDRESS')).toBe(true);
    expect((error as Error).message).toContain('a notice to a private address from RDAP data: abuse@evil-registrar.test');
    expect((error as Error).message).toContain('resolves to 10.1.2.3');
    // The registrar's and the hoster's records name the same address: refused once, not twice.
    expect((error as Error).message.match(/a notice to a private address/g)).toHaveLength(1);
  });

  it('drops a contact URL at a loopback address but keeps the contacts that are safe', async () => {
    fake.route(RIR, '/ip/45.60.10.21', { body: ipNetworkObject({ start: '45.60.0.0', end: '45.60.255.255', cidr: ['45.60.0.0', 16], name: 'HOSTER-NET', org: 'Bulletproof Hosting Ltd', abuse: { email: 'abuse@hoster.test' } }) });
    const recipient = await noticeRecipient({ host: 'mixed.example' }, deps());
    expect(recipient.kind).toBe('contacts');
    if (recipient.kind !== 'contacts') return;
    expect(recipient.contacts.map((c) => c.role)).toEqual(['hosting']);
    expect(recipient.refused).toEqual([expect.stringMatching(/^a notice to a private address from RDAP data: http:\/\/127\.0\.0\.1:8080\/abuse-form .* resolves to 127\.0\.0\.1$/)]);
  });

  it('does not look up a hosting network for a host that resolves only to private addresses', async () => {
    const start = fake.requests.length;
    const recipient = await noticeRecipient({ host: 'intranet.example' }, deps());
    expect(requestsOf(start)).toEqual([`${REGISTRY}/domain/intranet.example`]);
    expect(recipient.kind === 'contacts' && recipient.contacts.map((c) => c.role)).toEqual(['registrar']);
  });

  it('a registry that does not answer in time is said so, and asked again sooner than a firm "none"', async () => {
    fake.route(REGISTRY, '/domain/slow.example', { delayMs: 2_000, body: {} });
    const d = deps();
    const recipient = await noticeRecipient({ host: 'slow.example' }, { ...d, rdap: { ...d.rdap, timeoutMs: 200 } });
    expect(recipient.kind === 'none' && recipient.why).toMatch(/slow\.example: timed out; no hosting network: slow\.example does not resolve/);
    const [row] = await abuseAnswers(services.db.pool);
    expect(row).toMatchObject({ scope: 'domain', key: 'slow.example', found: false });
    expect((row!.expiresAt.getTime() - row!.fetchedAt.getTime()) / 3_600_000).toBeCloseTo(1, 1);
  });

  it('a host nobody answers for is said so, naming each reason', async () => {
    const recipient = await noticeRecipient({ host: 'lost.nowhere' }, deps());
    expect(recipient).toEqual({
      kind: 'none', host: 'lost.nowhere', refused: [],
      why: expect.stringMatching(/no RDAP server is known for \.nowhere.*; no hosting network: lost\.nowhere does not resolve/),
    });
  });
});

function requestsOf(start: number): string[] {
  return fake.requests.slice(start).map((r) => `${r.host}${r.path}`);
}
