import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for RDAP servers (RFC 7480 over HTTP, RFC 9083 JSON) on 127.0.0.1: one port,
 * several server names (a registry, a registrar, an RIR) told apart by the Host header, reached
 * through the fetcher's resolve map as a crawler reaches a real host. Answers are plain JSON a test
 * writes, shaped like real registry answers (builders below); slow, oversize and non-RDAP answers
 * are there on request. Every request is recorded.
 */

export interface RdapRoute {
  status?: number;
  body?: unknown;
  /** Sent as is instead of `body` as JSON. */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Streams this many bytes of JSON-looking padding, without a content-length. */
  streamBytes?: number;
}

export interface FakeRdap {
  port: number;
  /** http://HOST:PORT/ : an RDAP base URL on this server. */
  base(host: string): string;
  route(host: string, path: string, route: RdapRoute): void;
  /** HOST:PORT -> 127.0.0.1 for every server name used, for createFetcher's resolve map. */
  resolve(): Map<string, string>;
  requests: { host: string; path: string }[];
  close(): Promise<void>;
}

const RDAP_TYPE = 'application/rdap+json';

export async function startFakeRdap(): Promise<FakeRdap> {
  const routes = new Map<string, RdapRoute>();
  const hosts = new Set<string>();
  const requests: { host: string; path: string }[] = [];
  const send = (res: ServerResponse, route: RdapRoute): void => {
    if (route.streamBytes !== undefined) {
      res.writeHead(route.status ?? 200, { 'content-type': route.contentType ?? RDAP_TYPE, ...route.headers });
      let left = route.streamBytes;
      const chunk = Buffer.alloc(16 * 1024, 0x20);
      const pump = (): void => {
        while (left > 0) {
          const n = Math.min(left, chunk.length);
          left -= n;
          if (!res.write(chunk.subarray(0, n))) { res.once('drain', pump); return; }
        }
        res.end();
      };
      res.on('error', () => undefined);
      pump();
      return;
    }
    const body = route.raw ?? JSON.stringify(route.body ?? {});
    res.writeHead(route.status ?? 200, { 'content-type': route.contentType ?? RDAP_TYPE, 'content-length': Buffer.byteLength(body), ...route.headers });
    res.end(body);
  };
  const server = createServer((req, res) => {
    const host = String(req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push({ host, path });
    const route = routes.get(`${host}${path}`)
      ?? { status: 404, body: { errorCode: 404, title: 'Not Found', description: [`${path} is not in this registry`] } };
    if (route.delayMs) setTimeout(() => send(res, route), route.delayMs).unref();
    else send(res, route);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    base: (host) => { hosts.add(host); return `http://${host}:${port}/`; },
    route(host, path, route) { hosts.add(host); routes.set(`${host}${path}`, route); },
    resolve: () => new Map([...hosts].map((h) => [`${h}:${port}`, '127.0.0.1'])),
    requests,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** IANA bootstrap format (RFC 9224): [[keys], [base URLs]] per service. */
export function bootstrapJson(services: [string[], string[]][]): unknown {
  return { description: 'RDAP bootstrap for tests', publication: '2026-01-01T00:00:00Z', services, version: '1.0' };
}

type VCardProperty = [string, Record<string, unknown>, string, unknown];

export function vcard(fields: { fn?: string; org?: string; email?: string; tel?: string; url?: string; kind?: string }): ['vcard', VCardProperty[]] {
  const props: VCardProperty[] = [['version', {}, 'text', '4.0']];
  if (fields.fn !== undefined) props.push(['fn', {}, 'text', fields.fn]);
  if (fields.kind) props.push(['kind', {}, 'text', fields.kind]);
  if (fields.org) props.push(['org', {}, 'text', fields.org]);
  // Real servers use both forms: a text value, and (ARIN) a list under 'adr'; tel as a tel: URI.
  props.push(['adr', { label: '1 Example Way\nSpringfield' }, 'text', ['', '', '', '', '', '', '']]);
  if (fields.email !== undefined) props.push(['email', { type: 'work' }, 'text', fields.email]);
  if (fields.tel !== undefined) props.push(['tel', { type: ['voice', 'work'] }, 'uri', `tel:${fields.tel}`]);
  if (fields.url) props.push(['url', {}, 'uri', fields.url]);
  return ['vcard', props];
}

export interface RegistrarShape {
  name: string;
  ianaId: string;
  /** The abuse entity's contact; 'redacted' gives placeholders, as registrars do under privacy rules; undefined: no abuse entity. */
  abuse?: { email?: string; tel?: string; url?: string } | 'redacted';
}

/** A domain object as a thin registry sends it (Verisign-like), optionally linking to the registrar's own RDAP. */
export function domainObject(ldhName: string, registrar: RegistrarShape, options: { related?: string; self?: string } = {}): unknown {
  const abuse = registrar.abuse === 'redacted'
    ? [{ objectClassName: 'entity', roles: ['abuse'], vcardArray: vcard({ fn: 'REDACTED FOR PRIVACY', email: 'REDACTED FOR PRIVACY', tel: 'REDACTED' }) }]
    : registrar.abuse
      ? [{ objectClassName: 'entity', roles: ['abuse'], vcardArray: vcard({ fn: 'Abuse Desk', ...registrar.abuse }) }]
      : [];
  return {
    rdapConformance: ['rdap_level_0', 'icann_rdap_technical_implementation_guide_1', 'icann_rdap_response_profile_1', 'redacted'],
    objectClassName: 'domain',
    handle: `${ldhName.toUpperCase().replace(/\W/g, '')}_DOMAIN`,
    ldhName,
    links: [
      { value: options.self ?? `https://rdap.invalid/domain/${ldhName}`, rel: 'self', href: options.self ?? `https://rdap.invalid/domain/${ldhName}`, type: RDAP_TYPE },
      ...(options.related ? [{ value: options.related, rel: 'related', href: options.related, type: RDAP_TYPE }] : []),
    ],
    status: ['client transfer prohibited'],
    entities: [
      {
        objectClassName: 'entity', handle: registrar.ianaId, roles: ['registrar'],
        publicIds: [{ type: 'IANA Registrar ID', identifier: registrar.ianaId }],
        vcardArray: vcard({ fn: registrar.name }),
        entities: abuse,
      },
      {
        objectClassName: 'entity', roles: ['registrant'],
        vcardArray: vcard({ fn: '', org: 'REDACTED FOR PRIVACY' }),
        remarks: [{ title: 'REDACTED FOR PRIVACY', type: 'object redacted due to authorization', description: ['Some of the data in this object has been removed.'] }],
      },
    ],
    events: [{ eventAction: 'registration', eventDate: '2024-03-01T10:00:00Z' }, { eventAction: 'last update of RDAP database', eventDate: '2026-11-30T00:00:00Z' }],
    secureDNS: { delegationSigned: false },
    nameservers: [{ objectClassName: 'nameserver', ldhName: `NS1.${ldhName.toUpperCase()}` }],
    redacted: registrar.abuse === 'redacted'
      ? [{ name: { description: 'Registrar Abuse Contact Email' }, method: 'replacementValue', reason: { description: 'Server policy' } }]
      : [{ name: { description: 'Registrant Email' }, method: 'removal' }],
    notices: [{ title: 'Terms of Use', description: ['Service subject to Terms of Use.'] }],
  };
}

/** An IP network object, ARIN-style: the abuse contact nested under the registrant organization, cidr0 CIDRs. */
export function ipNetworkObject(net: { start: string; end: string; cidr?: [string, number]; name: string; org: string; abuse?: { email?: string; tel?: string }; related?: string }): unknown {
  return {
    rdapConformance: ['nro_rdap_profile_0', 'rdap_level_0', 'cidr0', 'arin_originas0'],
    objectClassName: 'ip network',
    handle: `NET-${net.start.replace(/[.:]/g, '-')}-1`,
    startAddress: net.start,
    endAddress: net.end,
    ipVersion: net.start.includes(':') ? 'v6' : 'v4',
    name: net.name,
    type: 'DIRECT ALLOCATION',
    ...(net.cidr ? { cidr0_cidrs: [net.start.includes(':') ? { v6prefix: net.cidr[0], length: net.cidr[1] } : { v4prefix: net.cidr[0], length: net.cidr[1] }] } : {}),
    links: net.related ? [{ value: net.related, rel: 'related', href: net.related, type: RDAP_TYPE }] : [],
    entities: [{
      objectClassName: 'entity', handle: 'HOST-1', roles: ['registrant'],
      vcardArray: vcard({ fn: net.org, kind: 'org' }),
      entities: net.abuse
        ? [{ objectClassName: 'entity', handle: 'ABUSE-ARIN', roles: ['abuse'], vcardArray: vcard({ fn: 'Abuse', kind: 'group', ...net.abuse }) },
          { objectClassName: 'entity', handle: 'NOC-ARIN', roles: ['technical', 'noc'], vcardArray: vcard({ fn: 'Network Operations', kind: 'group', email: 'noc@hoster.test' }) }]
        : [],
    }],
    remarks: [{ title: 'Registration Comments', description: ['Addresses within this block are non-portable.'] }],
  };
}

/** A RIPE-style network: the abuse contact as a top-level entity (abuse-c), no registrant nesting. */
export function ripeNetworkObject(net: { start: string; end: string; name: string; abuseEmail: string }): unknown {
  return {
    rdapConformance: ['rdap_level_0', 'cidr0', 'redacted'],
    objectClassName: 'ip network',
    handle: `${net.start} - ${net.end}`,
    startAddress: net.start,
    endAddress: net.end,
    ipVersion: net.start.includes(':') ? 'v6' : 'v4',
    name: net.name,
    country: 'NL',
    entities: [
      { objectClassName: 'entity', handle: 'ORG-HX1-RIPE', roles: ['registrant'], vcardArray: vcard({ fn: 'Hoster Europe B.V.', kind: 'org' }) },
      { objectClassName: 'entity', handle: 'AR1-RIPE', roles: ['abuse'], vcardArray: vcard({ fn: 'Abuse contact', kind: 'group', email: net.abuseEmail }) },
    ],
  };
}
