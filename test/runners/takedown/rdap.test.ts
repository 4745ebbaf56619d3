import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../core/config.js';
import { isVigilError } from '../../../core/errors.js';
import { isBlockedAddress } from '../../../runners/monitor/address.js';
import { createFetcher } from '../../../runners/monitor/fetch.js';
import { addressBases, bootstrapFrom, builtInBootstrap, domainBases, loadBootstrap, type RdapBootstrap } from '../../../runners/takedown/rdap-bootstrap.js';
import { parseRdapObject, parseVCard } from '../../../runners/takedown/rdap-json.js';
import { lookupDomainAbuse, lookupNetworkAbuse, rdapClientFor, type RdapClient } from '../../../runners/takedown/rdap.js';
import { bootstrapJson, domainObject, ipNetworkObject, ripeNetworkObject, startFakeRdap, type FakeRdap } from '../../support/fake-rdap.js';

let fake: FakeRdap;
let dir: string;
const REGISTRY = 'rdap.registry.test';
const REGISTRAR = 'rdap.registrar.test';
const RIR = 'rdap.rir.test';
const OTHER_RIR = 'rdap.other-rir.test';

beforeAll(async () => {
  fake = await startFakeRdap();
  dir = await mkdtemp(path.join(tmpdir(), 'vigil-rdap-'));
});
afterAll(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

/** Only the fake's loopback address is allowed: every other private address stays refused, as in production. */
function fetcher() {
  return createFetcher({ resolve: fake.resolve(), refuse: (a) => a !== '127.0.0.1' && isBlockedAddress(a) });
}

function bootstrap(): RdapBootstrap {
  return bootstrapFrom([{ source: 'test', json: bootstrapJson([
    [['example', 'co.example'], [fake.base(REGISTRY)]],
    [['45.0.0.0/8'], [fake.base(RIR)]],
    [['2a0f::/16'], [fake.base(OTHER_RIR)]],
  ]) }]);
}

function client(extra: Partial<RdapClient> = {}): RdapClient {
  return { fetcher: fetcher(), bootstrap: bootstrap(), ...extra };
}

function requestsSince(start: number): string[] {
  return fake.requests.slice(start).map((r) => `${r.host}${r.path}`);
}

describe('the RDAP bootstrap', () => {
  it('reads IANA-format files from a path and a URL, TLDs and CIDRs alike, preferring https', async () => {
    const file = path.join(dir, 'dns.json');
    await writeFile(file, JSON.stringify(bootstrapJson([[['example'], ['http://plain.test/rdap', 'https://secure.test/rdap/']]])));
    fake.route('bootstrap.test', '/ipv4.json', { contentType: 'application/json', body: bootstrapJson([[['45.0.0.0/8'], ['https://rir-a.test/']], [['45.60.0.0/16'], ['https://rir-b.test/']]]) });
    const loaded = await loadBootstrap([file, `${fake.base('bootstrap.test')}ipv4.json`], fetcher());
    expect(domainBases(loaded, 'www.pirate.example')).toEqual(['https://secure.test/rdap/', 'http://plain.test/rdap/']);
    expect(domainBases(loaded, 'pirate.unknown')).toEqual([]);
    // The most specific network wins.
    expect(addressBases(loaded, '45.60.10.20')).toEqual(['https://rir-b.test/']);
    expect(addressBases(loaded, '45.1.1.1')).toEqual(['https://rir-a.test/']);
  });

  it('is configured by VIGIL_RDAP_BOOTSTRAP: paths and http(s) URLs, comma-separated', () => {
    expect(loadConfig({}).rdapBootstrap).toBeUndefined();
    expect(loadConfig({ VIGIL_RDAP_BOOTSTRAP: '/etc/vigil/dns.json, https://mirror.test/ipv4.json' }).rdapBootstrap).toEqual(['/etc/vigil/dns.json', 'https://mirror.test/ipv4.json']);
    const error = (() => { try { loadConfig({ VIGIL_RDAP_BOOTSTRAP: 'ftp://mirror.test/dns.json' }); } catch (e) { return e; } return undefined; })();
    expect(isVigilError(error, 'CONFIG_INVALID')).toBe(true);
    expect((error as Error).message).toContain('VIGIL_RDAP_BOOTSTRAP must start with https: or http:');
  });

  it('takes the longest suffix for a domain (RFC 9224 section 4)', () => {
    const b = bootstrap();
    expect(domainBases(b, 'a.b.co.example')).toEqual([fake.base(REGISTRY)]);
  });

  it('has a built-in table for the big registries when nothing is configured', async () => {
    const b = await loadBootstrap(undefined, fetcher());
    expect(domainBases(b, 'pirate.com')[0]).toMatch(/^https:\/\/rdap\.verisign\.com\/com\/v1\/$/);
    expect(addressBases(b, '2a0f:1::1')[0]).toMatch(/^https:\/\/rdap\.arin\.net\//);
    expect(builtInBootstrap().networks.length).toBeGreaterThan(0);
  });

  it('refuses a bootstrap that is not in IANA format, naming it', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(file, JSON.stringify({ tlds: ['example'] }));
    const error = await loadBootstrap([file], fetcher()).catch((e: unknown) => e);
    expect(isVigilError(error, 'RDAP_FAILED')).toBe(true);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).toContain('"services"');
  });
});

describe('a client from configuration', () => {
  it('reaches a local RDAP server through VIGIL_RDAP_BOOTSTRAP and the crawler settings', async () => {
    fake.route('bootstrap.test', '/dns.json', { contentType: 'application/json', body: bootstrapJson([[['example'], [fake.base(REGISTRY)]]]) });
    fake.route(REGISTRY, '/domain/configured.example', { body: domainObject('CONFIGURED.EXAMPLE', { name: 'Configured Registrar', ianaId: '1111', abuse: { email: 'abuse@configured.test' } }) });
    const resolve = [...fake.resolve().keys()].map((hostPort) => `${hostPort}:127.0.0.1`).join(',');
    const config = loadConfig({ VIGIL_RDAP_BOOTSTRAP: `${fake.base('bootstrap.test')}dns.json`, VIGIL_CRAWL_RESOLVE: resolve, VIGIL_CRAWL_ALLOW_PRIVATE: '1' });
    const answer = await lookupDomainAbuse('configured.example', await rdapClientFor(config));
    expect(answer.contacts.map((c) => c.email)).toEqual(['abuse@configured.test']);
  });

  it('is refused by the safe fetcher when the RDAP server is on a private address and allowPrivate is off', async () => {
    const resolve = [...fake.resolve().keys()].map((hostPort) => `${hostPort}:127.0.0.1`).join(',');
    const file = path.join(dir, 'local-dns.json');
    await writeFile(file, JSON.stringify(bootstrapJson([[['example'], [fake.base(REGISTRY)]]])));
    const config = loadConfig({ VIGIL_RDAP_BOOTSTRAP: file, VIGIL_CRAWL_RESOLVE: resolve });
    const answer = await lookupDomainAbuse('configured.example', await rdapClientFor(config));
    expect(answer.why).toContain('a private, loopback or link-local address');
  });
});

describe('RFC 9083 parsing', () => {
  it('reads jCard e-mail and tel URIs and keeps placeholders apart', () => {
    const card = parseVCard(['vcard', [['version', {}, 'text', '4.0'], ['fn', {}, 'text', 'Abuse'], ['email', {}, 'text', 'mailto:abuse@registrar.test'],
      ['email', {}, 'text', 'REDACTED FOR PRIVACY'], ['tel', {}, 'uri', 'tel:+1.5555550100'], ['adr', {}, 'text', ['', '', 'Main St']], 'junk', [7]]]);
    expect(card).toMatchObject({ fn: 'Abuse', emails: ['abuse@registrar.test'], tels: ['+1.5555550100'], placeholders: ['REDACTED FOR PRIVACY'] });
  });

  it('is not an RDAP object without objectClassName, and survives odd members', () => {
    expect(parseRdapObject({ errorCode: 404 })).toBeUndefined();
    expect(parseRdapObject([1, 2])).toBeUndefined();
    const odd = parseRdapObject({ objectClassName: 'domain', entities: [null, 'x', { roles: 'registrar', vcardArray: 5, entities: {} }], links: [{ rel: 1 }], remarks: 'x' });
    expect(odd?.entities).toHaveLength(1);
    expect(odd?.entities[0]?.roles).toEqual([]);
  });
});

describe('registrar abuse contact through the domain', () => {
  it('finds the abuse entity nested under the registrar, trying the registered domain first', async () => {
    fake.route(REGISTRY, '/domain/pirate-stream.example', { body: domainObject('PIRATE-STREAM.EXAMPLE', { name: 'Example Registrar, Inc.', ianaId: '9999', abuse: { email: 'abuse@registrar.test', tel: '+1.5555550100' } }) });
    const start = fake.requests.length;
    const answer = await lookupDomainAbuse('www.pirate-stream.example', client());
    expect(answer).toMatchObject({ scope: 'domain', key: 'pirate-stream.example', found: true, organization: 'Example Registrar, Inc.' });
    expect(answer.contacts).toEqual([{ role: 'registrar', email: 'abuse@registrar.test', tel: '+1.5555550100', name: 'Abuse Desk', organization: 'Example Registrar, Inc.', source: `${fake.base(REGISTRY)}domain/pirate-stream.example` }]);
    expect(requestsSince(start)).toEqual([`${REGISTRY}/domain/pirate-stream.example`]);
  });

  it('moves past a name the registry does not hold (404) to the registered domain', async () => {
    fake.route(REGISTRY, '/domain/leaks.co.example', { body: domainObject('LEAKS.CO.EXAMPLE', { name: 'Second Registrar', ianaId: '8888', abuse: { email: 'abuse@second.test' } }) });
    const start = fake.requests.length;
    const answer = await lookupDomainAbuse('cdn.leaks.co.example', client());
    expect(answer.found).toBe(true);
    expect(answer.key).toBe('leaks.co.example');
    expect(requestsSince(start)).toEqual([`${REGISTRY}/domain/co.example`, `${REGISTRY}/domain/leaks.co.example`]);
  });

  it("follows one related link to the registrar's own RDAP server when the registry has no abuse contact", async () => {
    const related = `${fake.base(REGISTRAR)}domain/thin.example`;
    fake.route(REGISTRY, '/domain/thin.example', { body: domainObject('THIN.EXAMPLE', { name: 'Thin Registrar', ianaId: '7777' }, { related }) });
    fake.route(REGISTRAR, '/domain/thin.example', { body: domainObject('THIN.EXAMPLE', { name: 'Thin Registrar LLC', ianaId: '7777', abuse: { email: 'abuse@thin-registrar.test' } }, { related: `${fake.base(REGISTRAR)}domain/elsewhere` }) });
    const start = fake.requests.length;
    const answer = await lookupDomainAbuse('thin.example', client());
    expect(answer.found).toBe(true);
    expect(answer.contacts[0]).toMatchObject({ email: 'abuse@thin-registrar.test', source: related, organization: 'Thin Registrar LLC' });
    expect(answer.sources).toEqual([`${fake.base(REGISTRY)}domain/thin.example`, related]);
    expect(requestsSince(start)).toHaveLength(2);
  });

  it('follows at most one hop', async () => {
    const hop1 = `${fake.base(REGISTRAR)}domain/hops.example`;
    fake.route(REGISTRY, '/domain/hops.example', { body: domainObject('HOPS.EXAMPLE', { name: 'Hop Registrar', ianaId: '6666' }, { related: hop1 }) });
    fake.route(REGISTRAR, '/domain/hops.example', { body: domainObject('HOPS.EXAMPLE', { name: 'Hop Registrar', ianaId: '6666' }, { related: `${fake.base(REGISTRAR)}domain/hops2.example` }) });
    fake.route(REGISTRAR, '/domain/hops2.example', { body: domainObject('HOPS.EXAMPLE', { name: 'Hop Registrar', ianaId: '6666', abuse: { email: 'abuse@too-far.test' } }) });
    const start = fake.requests.length;
    const answer = await lookupDomainAbuse('hops.example', client());
    expect(answer.found).toBe(false);
    expect(answer.why).toContain('names no abuse contact');
    expect(requestsSince(start)).not.toContain(`${REGISTRAR}/domain/hops2.example`);
  });

  it('says so when the abuse contact is redacted', async () => {
    fake.route(REGISTRY, '/domain/hidden.example', { body: domainObject('HIDDEN.EXAMPLE', { name: 'Private Registrar', ianaId: '5555', abuse: 'redacted' }) });
    const answer = await lookupDomainAbuse('hidden.example', client());
    expect(answer).toMatchObject({ found: false, key: 'hidden.example', organization: 'Private Registrar' });
    expect(answer.why).toMatch(/has no e-mail or form \(redacted: REDACTED FOR PRIVACY\)/);
  });

  it('says so when there is no abuse entity at all', async () => {
    fake.route(REGISTRY, '/domain/bare.example', { body: domainObject('BARE.EXAMPLE', { name: 'Bare Registrar', ianaId: '4444' }) });
    const answer = await lookupDomainAbuse('bare.example', client());
    expect(answer.found).toBe(false);
    expect(answer.why).toBe('RDAP names no abuse contact for the registrar of bare.example');
  });

  it('says so when no RDAP server is known for the TLD, without a request', async () => {
    const start = fake.requests.length;
    const answer = await lookupDomainAbuse('pirate.nowhere', client());
    expect(answer.found).toBe(false);
    expect(answer.why).toContain('no RDAP server is known for .nowhere');
    expect(fake.requests.length).toBe(start);
  });

  it('refuses a related link that points at a private address', async () => {
    fake.route(REGISTRY, '/domain/inward.example', { body: domainObject('INWARD.EXAMPLE', { name: 'Inward Registrar', ianaId: '3333' }, { related: 'http://10.0.0.7/rdap/domain/inward.example' }) });
    const answer = await lookupDomainAbuse('inward.example', client());
    expect(answer).toMatchObject({ found: false, failed: true });
    expect(answer.why).toMatch(/refused to fetch http:\/\/10\.0\.0\.7\/.*private, loopback or link-local/);
  });
});

describe('hosting abuse contact through the IP network', () => {
  it('finds the abuse entity nested under the registrant (ARIN shape), with the network from cidr0', async () => {
    fake.route(RIR, '/ip/45.60.10.20', { body: ipNetworkObject({ start: '45.60.0.0', end: '45.60.255.255', cidr: ['45.60.0.0', 16], name: 'HOSTER-NET', org: 'Bulletproof Hosting Ltd', abuse: { email: 'abuse@hoster.test', tel: '+1-555-555-0199' } }) });
    const answer = await lookupNetworkAbuse('45.60.10.20', client());
    expect(answer).toMatchObject({ scope: 'network', key: '45.60.0.0/16', network: '45.60.0.0/16', found: true, organization: 'Bulletproof Hosting Ltd' });
    expect(answer.contacts).toEqual([expect.objectContaining({ role: 'hosting', email: 'abuse@hoster.test', tel: '+1-555-555-0199', organization: 'Bulletproof Hosting Ltd' })]);
  });

  it('computes the network from start and end addresses, and follows a redirect to the region that holds it (RIPE shape)', async () => {
    fake.route(OTHER_RIR, '/ip/2a0f:1::1', { status: 301, headers: { location: `${fake.base(RIR)}ip/2a0f:1::1` }, body: {} });
    fake.route(RIR, '/ip/2a0f:1::1', { body: ripeNetworkObject({ start: '2a0f:1::', end: '2a0f:1:ffff:ffff:ffff:ffff:ffff:ffff', name: 'EU-HOSTER', abuseEmail: 'abuse@hoster-europe.test' }) });
    const answer = await lookupNetworkAbuse('2a0f:1::1', client());
    expect(answer).toMatchObject({ found: true, network: '2a0f:1::/32', organization: 'Hoster Europe B.V.' });
    expect(answer.contacts[0]?.email).toBe('abuse@hoster-europe.test');
  });

  it('believes a network only when it holds the address asked and is no wider than an allocation', async () => {
    const abuse = { email: 'abuse@hoster.test' };
    fake.route(RIR, '/ip/45.64.0.1', { body: ipNetworkObject({ start: '0.0.0.0', end: '255.255.255.255', cidr: ['0.0.0.0', 0], name: 'ALL', org: 'Greedy', abuse }) });
    fake.route(RIR, '/ip/45.64.0.2', { body: ipNetworkObject({ start: '46.0.0.0', end: '46.0.0.255', cidr: ['46.0.0.0', 24], name: 'ELSEWHERE', org: 'Wrong', abuse }) });
    fake.route(RIR, '/ip/45.64.0.3', { body: ipNetworkObject({ start: '45.64.0.0', end: '45.64.0.255', cidr: ['45.64.0.77', 24], name: 'HOSTBITS', org: 'Sloppy', abuse }) });
    expect((await lookupNetworkAbuse('45.64.0.1', client())).network).toBe('45.64.0.1/32');
    expect((await lookupNetworkAbuse('45.64.0.2', client())).network).toBe('45.64.0.2/32');
    // Host bits past the prefix are cleared, as PostgreSQL's cidr type requires.
    expect((await lookupNetworkAbuse('45.64.0.3', client())).network).toBe('45.64.0.0/24');
  });

  it('says so when the network has no abuse contact', async () => {
    fake.route(RIR, '/ip/45.61.0.9', { body: ipNetworkObject({ start: '45.61.0.0', end: '45.61.0.255', name: 'QUIET-NET', org: 'Quiet Hosting' }) });
    const answer = await lookupNetworkAbuse('45.61.0.9', client());
    expect(answer).toMatchObject({ found: false, network: '45.61.0.0/24' });
    expect(answer.why).toBe('RDAP names no abuse contact for network 45.61.0.0/24 (Quiet Hosting)');
  });
});

describe('bounds', () => {
  it('stops reading an oversize answer', async () => {
    fake.route(RIR, '/ip/45.62.0.1', { streamBytes: 2 * 1024 * 1024 });
    const answer = await lookupNetworkAbuse('45.62.0.1', client({ maxBytes: 64 * 1024 }));
    expect(answer).toMatchObject({ found: false, failed: true });
    expect(answer.why).toContain('larger than 65536 bytes');
  });

  it('gives up on a slow server within its time bound', async () => {
    fake.route(RIR, '/ip/45.62.0.2', { delayMs: 3_000, body: {} });
    const started = Date.now();
    const answer = await lookupNetworkAbuse('45.62.0.2', client({ timeoutMs: 300 }));
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(answer.why).toContain('timed out');
  });

  it('refuses an answer that is not RDAP JSON', async () => {
    fake.route(RIR, '/ip/45.62.0.3', { raw: '<html>maintenance</html>', contentType: 'application/rdap+json' });
    fake.route(RIR, '/ip/45.62.0.4', { raw: '<html>maintenance</html>', contentType: 'text/html' });
    expect((await lookupNetworkAbuse('45.62.0.3', client())).why).toContain('is not JSON');
    expect((await lookupNetworkAbuse('45.62.0.4', client())).why).toContain('content type "text/html"');
  });

  it('refuses a redirect to a private address', async () => {
    fake.route(RIR, '/ip/45.62.0.5', { status: 302, headers: { location: 'http://169.254.169.254/latest/meta-data/' }, body: {} });
    const answer = await lookupNetworkAbuse('45.62.0.5', client());
    expect(answer).toMatchObject({ found: false, failed: true });
    expect(answer.why).toContain('169.254.169.254 is 169.254.169.254, a private, loopback or link-local address');
  });

  it('makes at most maxRequests requests per lookup', async () => {
    const start = fake.requests.length;
    const answer = await lookupDomainAbuse('a.b.c.d.example', client({ maxRequests: 2 }));
    expect(requestsSince(start)).toHaveLength(2);
    expect(answer.why).toContain('already made 2 requests');
  });
});
