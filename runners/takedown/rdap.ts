import type { AbuseAnswer, AbuseContact } from '../../core/db/abuse-contacts.js';
import { VigilError } from '../../core/errors.js';
import type { Config } from '../../core/config.js';
import { createFetcher, parseResolve, type Fetcher } from '../monitor/fetch.js';
import { addressBases, addressNumber, domainBases, formatCidr, inRange, loadBootstrap, parseCidr, type IpRange, type RdapBootstrap } from './rdap-bootstrap.js';
import { entitiesWithRole, looksRedacted, parseRdapObject, relatedRdapLinks, type RdapEntity, type RdapObject } from './rdap-json.js';

/**
 * RDAP lookups for abuse contacts (RFC 7480-7484, 9082, 9083): a domain's registrar abuse contact,
 * and the abuse contact of the IP network that hosts an address. Every request goes through the
 * crawler's fetcher (private addresses refused, redirects re-checked, size and time bounded), and a
 * lookup spends at most `maxRequests` requests, so a hostile server cannot keep Vigil busy.
 * The contacts returned are what RDAP says; contacts.ts checks where they point before use.
 */

export interface RdapClient {
  fetcher: Fetcher;
  bootstrap: RdapBootstrap;
  /** Requests per lookup, the related-link hop included. */
  maxRequests?: number;
  timeoutMs?: number;
  maxBytes?: number;
}

/**
 * The client a worker uses: the crawler's fetcher under the crawler's settings (private addresses
 * refused unless VIGIL_CRAWL_ALLOW_PRIVATE, VIGIL_CRAWL_RESOLVE overrides) and the bootstrap that
 * VIGIL_RDAP_BOOTSTRAP names.
 */
export async function rdapClientFor(config: Pick<Config, 'crawler' | 'rdapBootstrap'>): Promise<RdapClient> {
  const fetcher = createFetcher({
    allowPrivate: config.crawler.allowPrivate,
    resolve: parseResolve(config.crawler.resolve),
    userAgent: 'VigilTakedown/0.1 (+abuse contact lookup, RFC 7482)',
  });
  return { fetcher, bootstrap: await loadBootstrap(config.rdapBootstrap, fetcher) };
}

/** What a lookup found; `failed` when the server could not answer (worth asking again sooner than a firm "none"). */
export type RdapAnswer = AbuseAnswer & { failed?: boolean };

export const RDAP_DEFAULTS = {
  maxRequests: 4,
  timeoutMs: 5_000,
  // Real answers are a few KiB; ARIN's largest network objects stay well under 256 KiB.
  maxBytes: 256 * 1024,
  maxRedirects: 2,
  // Thin registries give at most one hop to the registrar's server (RFC 9082 section 4; RFC 9224).
  maxHops: 1,
  // More contacts than this are noise: a notice goes to the abuse desk, not to every role.
  maxContacts: 3,
} as const;

const RDAP_TYPES = ['application/rdap+json', 'application/json'];

/** One lookup's spending: how many requests are left and which URLs were asked. */
interface Lookup {
  client: RdapClient;
  left: number;
  sources: string[];
}

type Got = { object: RdapObject; url: string } | { notFound: true; url: string };

async function get(lookup: Lookup, url: string): Promise<Got> {
  if (lookup.left <= 0) throw new VigilError('RDAP_FAILED', `RDAP lookup stopped: it already made ${lookup.client.maxRequests ?? RDAP_DEFAULTS.maxRequests} requests`);
  lookup.left -= 1;
  lookup.sources.push(url);
  let res;
  try {
    res = await lookup.client.fetcher(url, {
      accept: RDAP_TYPES,
      maxBytes: lookup.client.maxBytes ?? RDAP_DEFAULTS.maxBytes,
      timeoutMs: lookup.client.timeoutMs ?? RDAP_DEFAULTS.timeoutMs,
      maxRedirects: RDAP_DEFAULTS.maxRedirects,
    });
  } catch (error) {
    // The fetcher fails every HTTP error; a 404 is RDAP's "no such object", an answer like any other.
    if (error instanceof VigilError && error.errorName === 'FETCH_FAILED' && /HTTP 404$/.test(error.message)) return { notFound: true, url };
    if (error instanceof VigilError && error.errorName === 'FETCH_BLOCKED') throw error;
    throw new VigilError('RDAP_FAILED', `RDAP server did not give a usable answer: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(res.body.toString('utf8'));
  } catch {
    throw new VigilError('RDAP_FAILED', `RDAP answer from ${url} is not JSON`);
  }
  const object = parseRdapObject(json);
  if (!object) throw new VigilError('RDAP_FAILED', `RDAP answer from ${url} is not an RDAP object (no objectClassName)`);
  return { object, url: res.finalUrl };
}

function contactsOf(entities: readonly RdapEntity[], role: AbuseContact['role'], organization: string | undefined, source: string): AbuseContact[] {
  const out: AbuseContact[] = [];
  for (const e of entities) {
    const email = e.contact.emails[0];
    const tel = e.contact.tels[0];
    const formUrl = e.contact.urls[0];
    if (!email && !formUrl) continue;
    if (out.some((c) => c.email === email && c.formUrl === formUrl)) continue;
    out.push({
      role, source,
      ...(email ? { email } : {}), ...(tel ? { tel } : {}), ...(formUrl ? { formUrl } : {}),
      ...(e.contact.fn ? { name: e.contact.fn } : {}),
      ...(organization ?? e.contact.org ? { organization: (organization ?? e.contact.org)! } : {}),
    });
  }
  return out.slice(0, RDAP_DEFAULTS.maxContacts);
}

/** The registrar's abuse contacts in a domain answer, falling back to an abuse entity anywhere in it. */
function registrarAbuse(object: RdapObject, source: string): { contacts: AbuseContact[]; organization: string; abuseEntities: RdapEntity[] } {
  const registrars = entitiesWithRole(object.entities, 'registrar');
  const organization = registrars[0]?.contact.fn ?? registrars[0]?.contact.org ?? '';
  const nested = registrars.flatMap((r) => entitiesWithRole(r.entities, 'abuse'));
  const abuse = nested.length > 0 ? nested : entitiesWithRole(object.entities, 'abuse');
  return { contacts: contactsOf(abuse, 'registrar', organization || undefined, source), organization, abuseEntities: abuse };
}

/**
 * The names that may be the registered domain of `host`, shortest first (www.pirate.example:
 * pirate.example, www.pirate.example). Without a public-suffix list a registry's 404 decides: for
 * a.b.co.uk, co.uk is not a domain and b.co.uk is. At most three, to keep the lookup bounded.
 */
export function domainCandidates(host: string): string[] {
  const labels = host.toLowerCase().replace(/\.$/, '').split('.').filter(Boolean);
  const out: string[] = [];
  for (let n = 2; n <= labels.length && out.length < 3; n++) out.push(labels.slice(-n).join('.'));
  return out.length > 0 ? out : [labels.join('.')];
}

function none(scope: AbuseAnswer['scope'], key: string, why: string, sources: string[], organization = '', network?: string): AbuseAnswer {
  return { scope, key, ...(network ? { network } : {}), found: false, contacts: [], organization, why, sources };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The registrar abuse contact of the domain that holds `host`. Tries the registered-domain
 * candidates in turn (404 means "not this one"), then follows one "related" link to the
 * registrar's own RDAP server when the registry's answer has no usable abuse contact.
 */
export async function lookupDomainAbuse(host: string, client: RdapClient): Promise<RdapAnswer> {
  const candidates = domainCandidates(host);
  const lookup: Lookup = { client, left: client.maxRequests ?? RDAP_DEFAULTS.maxRequests, sources: [] };
  const bases = domainBases(client.bootstrap, host);
  if (bases.length === 0) return none('domain', candidates[0]!, `no RDAP server is known for .${host.split('.').pop()} (add it to VIGIL_RDAP_BOOTSTRAP, e.g. IANA's dns.json)`, []);
  try {
    for (const domain of candidates) {
      const got = await get(lookup, `${bases[0]}domain/${encodeURIComponent(domain)}`);
      if ('notFound' in got) continue;
      let found = registrarAbuse(got.object, got.url);
      let answered = got.object;
      for (let hop = 0; hop < RDAP_DEFAULTS.maxHops && found.contacts.length === 0; hop++) {
        const related = relatedRdapLinks(answered, got.url)[0];
        if (!related) break;
        const next = await get(lookup, related);
        if ('notFound' in next) break;
        const there = registrarAbuse(next.object, next.url);
        found = { ...there, organization: there.organization || found.organization };
        answered = next.object;
      }
      if (found.contacts.length > 0) return { scope: 'domain', key: domain, found: true, contacts: found.contacts, organization: found.organization, why: '', sources: lookup.sources };
      const redacted = looksRedacted(answered, found.abuseEntities);
      const why = found.abuseEntities.length > 0
        ? `the registrar's abuse contact for ${domain} has no e-mail or form${redacted ? ` (redacted: ${redacted})` : ''}`
        : `RDAP names no abuse contact for the registrar of ${domain}${redacted ? ` (redacted: ${redacted})` : ''}`;
      return none('domain', domain, why, lookup.sources, found.organization);
    }
    return none('domain', candidates[0]!, `RDAP has no domain ${candidates.join(' or ')} (HTTP 404)`, lookup.sources);
  } catch (error) {
    return { ...none('domain', candidates[0]!, messageOf(error), lookup.sources), failed: true };
  }
}

/**
 * The network an answer covers, as the cache keys it: the cidr0 CIDR, else start..end when that is
 * one prefix, else the one address. An answer is believed only for a range that holds the address
 * asked and is no wider than a registry allocates (a /8, a /12 for IPv6): a wrong or hostile
 * answer must not become the cached contact for half the Internet.
 */
function networkOf(object: RdapObject, address: string): string {
  const asked = addressNumber(address);
  const bits = asked?.family === 6 ? 128 : 32;
  const single = `${address}/${bits}`;
  if (!asked) return single;
  const believable = (range: IpRange | undefined): range is IpRange =>
    range !== undefined && range.prefix >= (range.family === 4 ? 8 : 12) && inRange(range, asked.family, asked.value);
  const fromCidr = object.cidrs.map(parseCidr).find(believable);
  if (fromCidr) return formatCidr(fromCidr);
  const start = object.startAddress ? addressNumber(object.startAddress) : undefined;
  const end = object.endAddress ? addressNumber(object.endAddress) : undefined;
  if (start && end && start.family === end.family && end.value >= start.value) {
    const size = end.value - start.value + 1n;
    // A true prefix: a power-of-two size aligned on its own size.
    if ((size & (size - 1n)) === 0n && start.value % size === 0n) {
      const range: IpRange = { family: start.family, start: start.value, prefix: bits - (size.toString(2).length - 1) };
      if (believable(range)) return formatCidr(range);
    }
  }
  return single;
}

/** The abuse contact of the IP network holding `address`, and the hosting provider's name. */
export async function lookupNetworkAbuse(address: string, client: RdapClient): Promise<RdapAnswer> {
  const lookup: Lookup = { client, left: client.maxRequests ?? RDAP_DEFAULTS.maxRequests, sources: [] };
  const single = `${address}/${addressNumber(address)?.family === 6 ? 128 : 32}`;
  const bases = addressBases(client.bootstrap, address);
  if (bases.length === 0) return none('network', single, `no RDAP server is known for ${address} (add IANA's ipv4.json / ipv6.json to VIGIL_RDAP_BOOTSTRAP)`, [], '', single);
  try {
    const got = await get(lookup, `${bases[0]}ip/${encodeURIComponent(address)}`);
    if ('notFound' in got) return none('network', single, `RDAP has no network for ${address} (HTTP 404)`, lookup.sources, '', single);
    let object = got.object;
    let source = got.url;
    const holder = (o: RdapObject): string => {
      const registrant = entitiesWithRole(o.entities, 'registrant')[0];
      return registrant?.contact.fn ?? registrant?.contact.org ?? o.name ?? '';
    };
    let abuse = entitiesWithRole(object.entities, 'abuse');
    if (contactsOf(abuse, 'hosting', undefined, source).length === 0) {
      const related = relatedRdapLinks(object, got.url)[0];
      if (related) {
        const next = await get(lookup, related);
        if (!('notFound' in next)) { object = next.object; source = next.url; abuse = entitiesWithRole(object.entities, 'abuse'); }
      }
    }
    const organization = holder(object) || holder(got.object);
    const network = networkOf(object, address);
    const contacts = contactsOf(abuse, 'hosting', organization || undefined, source);
    if (contacts.length > 0) return { scope: 'network', key: network, network, found: true, contacts, organization, why: '', sources: lookup.sources };
    const redacted = looksRedacted(object, abuse);
    const why = abuse.length > 0
      ? `the abuse contact of network ${network}${organization ? ` (${organization})` : ''} has no e-mail or form${redacted ? ` (redacted: ${redacted})` : ''}`
      : `RDAP names no abuse contact for network ${network}${organization ? ` (${organization})` : ''}`;
    return none('network', network, why, lookup.sources, organization, network);
  } catch (error) {
    return { ...none('network', single, messageOf(error), lookup.sources, '', single), failed: true };
  }
}
