import { readFile, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { VigilError } from '../../core/errors.js';
import { v6Groups } from '../monitor/address.js';
import type { Fetcher } from '../monitor/fetch.js';

/**
 * Which RDAP server answers for a domain or an address (RFC 9224). IANA publishes the table as
 * dns.json, ipv4.json and ipv6.json: `services` is a list of [keys, base URLs], keys being TLDs
 * (or longer suffixes) or CIDR prefixes. The network Vigil runs in may be closed, so the table is
 * configuration (VIGIL_RDAP_BOOTSTRAP), with a small built-in one for the big registries.
 */

export interface IpRange {
  family: 4 | 6;
  /** The address as a number: 32 bits for IPv4, 128 for IPv6. */
  start: bigint;
  prefix: number;
}

interface IpService extends IpRange {
  bases: string[];
}

export interface RdapBootstrap {
  /** Suffix (lower case, no leading dot) -> base URLs, each ending in '/'. */
  domains: ReadonlyMap<string, readonly string[]>;
  networks: readonly IpService[];
}

/**
 * The default when nothing is configured. Registries move their servers rarely, but they do: real
 * deployments should point VIGIL_RDAP_BOOTSTRAP at IANA's files (or a mirror of them). The IP
 * table sends every address to ARIN, whose RDAP service redirects queries for other regions'
 * space to the RIR that holds it (RIPE, APNIC, LACNIC, AFRINIC).
 */
export const BUILT_IN_BOOTSTRAP = {
  services: [
    [['com'], ['https://rdap.verisign.com/com/v1/']],
    [['net'], ['https://rdap.verisign.com/net/v1/']],
    [['org'], ['https://rdap.publicinterestregistry.org/rdap/']],
    [['info'], ['https://rdap.identitydigital.services/rdap/']],
    [['0.0.0.0/0', '::/0'], ['https://rdap.arin.net/registry/']],
  ],
} as const;

/** A bootstrap file is a few hundred KiB at most (IANA's dns.json is about 100 KiB). */
const MAX_BOOTSTRAP_BYTES = 4 * 1024 * 1024;

function bad(source: string, reason: string): VigilError {
  return new VigilError('RDAP_FAILED', `the RDAP bootstrap ${source} ${reason}`);
}

/** An IPv4 or IPv6 address as a number, or undefined if it is neither. */
export function addressNumber(address: string): { family: 4 | 6; value: bigint } | undefined {
  const family = isIP(address);
  if (family === 4) {
    return { family: 4, value: address.split('.').reduce((n, o) => (n << 8n) + BigInt(Number(o)), 0n) };
  }
  if (family === 6) {
    const groups = v6Groups(address);
    return groups ? { family: 6, value: groups.reduce((n, g) => (n << 16n) + BigInt(g), 0n) } : undefined;
  }
  return undefined;
}

export function parseCidr(text: string): IpRange | undefined {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text.trim());
  if (!m) return undefined;
  const address = addressNumber(m[1]!);
  const prefix = Number(m[2]);
  if (!address || prefix > (address.family === 4 ? 32 : 128)) return undefined;
  const bits = BigInt(address.family === 4 ? 32 : 128);
  const mask = ((1n << BigInt(prefix)) - 1n) << (bits - BigInt(prefix));
  return { family: address.family, start: address.value & mask, prefix };
}

/** CIDR text for a range, IPv6 compressed at its longest run of zero groups as RFC 5952 writes it. */
export function formatCidr(range: IpRange): string {
  if (range.family === 4) {
    const v = range.start;
    return `${[24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.')}/${range.prefix}`;
  }
  const groups = Array.from({ length: 8 }, (_, i) => Number((range.start >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = { at: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len && j - i > 1) best = { at: i, len: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  const text = best.at < 0 ? hex.join(':') : `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
  return `${text}/${range.prefix}`;
}

export function inRange(range: IpRange, family: 4 | 6, value: bigint): boolean {
  if (range.family !== family) return false;
  const bits = BigInt(family === 4 ? 32 : 128);
  const shift = bits - BigInt(range.prefix);
  return (value >> shift) === (range.start >> shift);
}

function normalizedBase(url: string): string | undefined {
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
    return u.href.endsWith('/') ? u.href : `${u.href}/`;
  } catch {
    return undefined;
  }
}

/** Reads one file's `services` into `into`; keys may be TLDs or CIDRs, so one file or IANA's three all work. */
function addServices(json: unknown, source: string, into: { domains: Map<string, string[]>; networks: IpService[] }): void {
  const services = (json as { services?: unknown } | null)?.services;
  if (!Array.isArray(services)) throw bad(source, 'has no "services" list (IANA bootstrap format: {"services": [[[keys], [urls]], ...]})');
  for (const service of services) {
    if (!Array.isArray(service) || !Array.isArray(service[0]) || !Array.isArray(service[1])) throw bad(source, 'has a service that is not [[keys], [urls]]');
    const bases = (service[1] as unknown[]).filter((u): u is string => typeof u === 'string').map(normalizedBase).filter((u): u is string => u !== undefined)
      // RFC 9224 section 3: prefer https when a service lists both.
      .sort((a, b) => Number(b.startsWith('https:')) - Number(a.startsWith('https:')));
    if (bases.length === 0) continue;
    for (const key of service[0] as unknown[]) {
      if (typeof key !== 'string' || key.trim() === '') continue;
      const range = key.includes('/') ? parseCidr(key) : undefined;
      if (range) into.networks.push({ ...range, bases });
      else if (!key.includes('/')) into.domains.set(key.toLowerCase().replace(/^\.+|\.+$/g, ''), bases);
    }
  }
}

export function bootstrapFrom(files: readonly { source: string; json: unknown }[]): RdapBootstrap {
  const into = { domains: new Map<string, string[]>(), networks: [] as IpService[] };
  for (const file of files) addServices(file.json, file.source, into);
  // Longest prefix first, so the first match is the most specific.
  into.networks.sort((a, b) => b.prefix - a.prefix);
  return into;
}

export const builtInBootstrap = (): RdapBootstrap => bootstrapFrom([{ source: 'built-in', json: BUILT_IN_BOOTSTRAP }]);

async function readSource(source: string, fetcher: Fetcher): Promise<unknown> {
  let text: string;
  if (/^https?:\/\//i.test(source)) {
    const res = await fetcher(source, { accept: ['application/json', 'application/rdap+json', 'text/plain', 'application/octet-stream'], maxBytes: MAX_BOOTSTRAP_BYTES })
      .catch((error: unknown) => { throw bad(source, `could not be fetched: ${(error as Error).message}`); });
    text = res.body.toString('utf8');
  } else {
    const size = await stat(source).then((s) => s.size, (error: NodeJS.ErrnoException) => { throw bad(source, `cannot be read (${error.code ?? error.message})`); });
    if (size > MAX_BOOTSTRAP_BYTES) throw bad(source, `is larger than ${MAX_BOOTSTRAP_BYTES} bytes`);
    text = await readFile(source, 'utf8');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw bad(source, 'is not JSON');
  }
}

/** The configured bootstrap (Config.rdapBootstrap), or the built-in one when none is configured. */
export async function loadBootstrap(sources: readonly string[] | undefined, fetcher: Fetcher): Promise<RdapBootstrap> {
  if (!sources || sources.length === 0) return builtInBootstrap();
  const files = [];
  for (const source of sources) files.push({ source, json: await readSource(source, fetcher) });
  return bootstrapFrom(files);
}

/** Base URLs for a domain: the longest suffix the table has, label by label (RFC 9224 section 4). */
export function domainBases(bootstrap: RdapBootstrap, domain: string): readonly string[] {
  const labels = domain.toLowerCase().replace(/\.$/, '').split('.');
  for (let i = 0; i < labels.length; i++) {
    const bases = bootstrap.domains.get(labels.slice(i).join('.'));
    if (bases) return bases;
  }
  return [];
}

/** Base URLs for an address: the most specific network in the table that holds it. */
export function addressBases(bootstrap: RdapBootstrap, address: string): readonly string[] {
  const n = addressNumber(address);
  if (!n) return [];
  return bootstrap.networks.find((s) => inRange(s, n.family, n.value))?.bases ?? [];
}
