import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { VigilError } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import { isBlockedAddress } from './address.js';

/**
 * The crawler's only way onto the network. Every connection goes through a lookup that refuses
 * private, loopback and link-local addresses (after DNS, so a public name that resolves inward is
 * caught too, and again on every redirect); responses are bounded in bytes, redirects and time, and
 * checked for content type before their body is read.
 */

export interface Redirect {
  from: string;
  to: string;
  status: number;
}

export interface FetchResult {
  /** The URL asked for. */
  url: string;
  /** The URL answered, after redirects. */
  finalUrl: string;
  status: number;
  contentType: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  redirects: Redirect[];
  /** The request that got this answer, as sent (its credential values masked), and when it went: an evidence pack's WARC request record. */
  request: SentRequest;
  /** The response's header lines as received (order, case and repeats kept), its HTTP version, reason phrase and peer address. */
  rawHeaders: [string, string][];
  httpVersion: string;
  statusText: string;
  remoteAddress?: string;
  /** The body decoded with the charset the response declares (or a <meta charset>), UTF-8 otherwise. */
  text(): string;
}

export interface SentRequest {
  method: string;
  /** The URL requested, without a credential's query parameters. */
  url: string;
  headers: [string, string][];
  sentAt: Date;
}

export interface FetchOptions {
  /** Media types accepted ('text/html', 'application/*', '*'); others fail before the body is read. */
  accept?: readonly string[];
  maxBytes?: number;
  maxRedirects?: number;
  timeoutMs?: number;
  headers?: Record<string, string>;
  /**
   * A source's credential: headers and query parameters sent only to the origin (scheme, host and
   * port) of the URL asked for. A redirect to another origin drops them, as curl and the fetch
   * standard do, so an indexer that redirects elsewhere cannot hand our key to a third party.
   */
  credentials?: Credentials;
  signal?: AbortSignal;
  /**
   * Sends these fields as an application/x-www-form-urlencoded POST (a cyberlocker's "free download"
   * form). A redirect after it is followed with GET and no body, as browsers do (303, and 301/302 in practice).
   */
  form?: readonly (readonly [string, string])[];
}

export interface Credentials {
  headers?: Record<string, string>;
  query?: Record<string, string>;
}

/** Headers that carry credentials whoever set them; never sent across origins. */
const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

// Credentials belong to one request's origin, so a fetcher-wide default would make no sense.
export interface FetcherConfig extends Omit<FetchOptions, 'credentials'> {
  /** Allows private, loopback and link-local addresses: for tests and lab setups only. */
  allowPrivate?: boolean;
  /** Like curl --resolve: 'HOST:PORT' -> address. */
  resolve?: ReadonlyMap<string, string>;
  userAgent?: string;
  /** Which addresses to refuse when allowPrivate is off; isBlockedAddress unless an operator narrows or widens it. */
  refuse?: (address: string) => boolean;
}

export type Fetcher = (url: string, options?: FetchOptions) => Promise<FetchResult>;

export const FETCH_DEFAULTS = {
  maxBytes: 5 * 1024 * 1024,
  maxRedirects: 5,
  timeoutMs: 15_000,
  userAgent: 'VigilCrawler/0.1 (+anti-piracy monitoring)',
} as const;

/** Parses curl-style HOST:PORT:ADDR entries (ADDR may be a bracketed IPv6 address). */
export function parseResolve(entries: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of entries) {
    const m = /^([^:\s]+):(\d{1,5}):(\[[0-9a-fA-F:.]+\]|[^\s]+)$/.exec(entry);
    const address = m?.[3]?.replace(/^\[|\]$/g, '');
    if (!m || !address || isIP(address) === 0 || Number(m[2]) > 65535) {
      throw new VigilError('USAGE', `--resolve ${JSON.stringify(entry)} is not HOST:PORT:ADDR (as in curl, e.g. example.com:443:127.0.0.1)`);
    }
    map.set(`${m[1]!.toLowerCase()}:${Number(m[2])}`, address);
  }
  return map;
}

// Messages name the URL with its secrets masked: they reach logs, findings and the terminal.
function blocked(url: string, host: string, address: string): VigilError {
  return new VigilError('FETCH_BLOCKED', redact(`refused to fetch ${url}: ${host} is ${address}, a private, loopback or link-local address`));
}

function failed(url: string, reason: string, cause?: unknown): VigilError {
  return new VigilError('FETCH_FAILED', redact(`could not fetch ${url}: ${reason}`), cause === undefined ? undefined : { cause });
}

/** A lookup that answers from the resolve map, else DNS, and refuses addresses the crawler must not reach. */
function guardedLookup(url: string, port: number, config: FetcherConfig): LookupFunction {
  return (hostname, options, callback) => {
    const finish = (addresses: LookupAddress[]): void => {
      const refuse = config.refuse ?? isBlockedAddress;
      const bad = config.allowPrivate ? undefined : addresses.find((a) => refuse(a.address));
      if (bad) { callback(blocked(url, hostname, bad.address), '', 4); return; }
      if (addresses.length === 0) { callback(failed(url, `${hostname} has no address`), '', 4); return; }
      if (options.all) (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    };
    const mapped = config.resolve?.get(`${hostname.toLowerCase()}:${port}`);
    if (mapped) { finish([{ address: mapped, family: isIP(mapped) }]); return; }
    dnsLookup(hostname, { all: true, family: options.family ?? 0 }, (error, addresses) => {
      if (error) callback(failed(url, `cannot resolve ${hostname} (${error.code ?? error.message})`, error), '', 4);
      else finish(addresses);
    });
  };
}

function mediaTypeOf(contentType: string): string {
  return contentType.split(';')[0]!.trim().toLowerCase();
}

export function acceptsType(accept: readonly string[] | undefined, contentType: string): boolean {
  if (!accept || accept.length === 0) return true;
  const type = mediaTypeOf(contentType);
  return accept.some((a) => a === '*' || a === '*/*' || a === type || (a.endsWith('/*') && type.startsWith(a.slice(0, -1))));
}

function charsetOf(contentType: string, body: Buffer): string {
  const declared = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType)?.[1];
  if (declared) return declared;
  const head = body.subarray(0, 2048).toString('latin1');
  return /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1] ?? 'utf-8';
}

function decode(body: Buffer, contentType: string): string {
  try {
    return new TextDecoder(charsetOf(contentType, body)).decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

interface OneResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  stream: http.IncomingMessage;
  request: SentRequest;
}

/** What a capture shows of a credential's value. */
const MASKED = '(redacted)';

/** Header pairs from Node's flat rawHeaders list. */
function headerPairs(raw: readonly string[]): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
  return pairs;
}

/** The headers a request went with, in the order set; credential values (and the headers a credential named) masked. */
function sentHeaders(req: http.ClientRequest, secretNames: readonly string[]): [string, string][] {
  return req.getRawHeaderNames().map((name) => {
    const value = req.getHeader(name);
    const text = Array.isArray(value) ? value.join(', ') : String(value ?? '');
    const secret = CREDENTIAL_HEADERS.includes(name.toLowerCase()) || secretNames.includes(name.toLowerCase());
    return [name, secret ? MASKED : text];
  });
}

/** The URL to request: `url` plus the credential's query parameters while it may have them. */
function withQuery(url: URL, query: Record<string, string> | undefined): URL {
  if (!query) return url;
  const out = new URL(url);
  for (const [name, value] of Object.entries(query)) out.searchParams.set(name, value);
  return out;
}

/** The values a credential holds (a bearer token without its scheme too), to spot them in a Location. */
function credentialValues(credentials: Credentials | undefined): string[] {
  const values = [...Object.values(credentials?.query ?? {}), ...Object.values(credentials?.headers ?? {})];
  return [...values, ...values.map((v) => v.replace(/^\S+\s+/, ''))].filter((v) => v.length >= 4);
}

/**
 * `url` without query parameters that hold a credential: a source that echoes our key into a
 * redirect to another origin must not make us carry it there ourselves.
 */
function withoutValues(url: URL, values: readonly string[]): URL {
  if (values.length === 0) return url;
  const out = new URL(url);
  for (const [name, value] of [...out.searchParams]) if (values.some((v) => value.includes(v))) out.searchParams.delete(name);
  return out;
}

/** Requests `target`; messages name `url`, the same address without the credential. */
function requestOnce(url: URL, target: URL, config: FetcherConfig, headers: Record<string, string>, signal: AbortSignal, secretNames: readonly string[] = [], form?: Buffer): Promise<OneResponse> {
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) !== 0 && !config.allowPrivate && (config.refuse ?? isBlockedAddress)(host)) return Promise.reject(blocked(url.href, host, host));
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const sentAt = new Date();
    const req = mod.request(target, {
      method: form ? 'POST' : 'GET',
      headers: form ? { ...headers, 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(form.length) } : headers,
      lookup: guardedLookup(url.href, port, config),
      signal,
      // An agent per request: a pooled socket must not carry a connection made under another resolve map.
      agent: false,
    }, (res) => resolve({
      status: res.statusCode ?? 0, headers: res.headers, stream: res,
      request: { method: req.method, url: url.href, headers: sentHeaders(req, secretNames), sentAt },
    }));
    req.on('error', (error) => reject(error instanceof VigilError ? error : failed(url.href, signal.aborted ? 'timed out' : error.message, error)));
    req.end(form);
  });
}

function readBounded(stream: Readable, maxBytes: number, url: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        stream.destroy();
        reject(failed(url, `response is larger than ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', (error) => reject(failed(url, error.name === 'AbortError' ? 'timed out' : error.message, error)));
  });
}

function decoded(res: OneResponse): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding === 'gzip' || encoding === 'x-gzip') return res.stream.pipe(zlib.createGunzip());
  if (encoding === 'deflate') return res.stream.pipe(zlib.createInflate());
  if (encoding === 'br') return res.stream.pipe(zlib.createBrotliDecompress());
  return res.stream;
}

export function createFetcher(config: FetcherConfig = {}): Fetcher {
  return async (input, options = {}) => {
    const maxBytes = options.maxBytes ?? config.maxBytes ?? FETCH_DEFAULTS.maxBytes;
    const maxRedirects = options.maxRedirects ?? config.maxRedirects ?? FETCH_DEFAULTS.maxRedirects;
    const timeoutMs = options.timeoutMs ?? config.timeoutMs ?? FETCH_DEFAULTS.timeoutMs;
    const accept = options.accept ?? config.accept;
    const signals = [AbortSignal.timeout(timeoutMs), ...[options.signal, config.signal].filter((s): s is AbortSignal => s !== undefined)];
    const signal = AbortSignal.any(signals);
    const headers = {
      'user-agent': config.userAgent ?? FETCH_DEFAULTS.userAgent,
      accept: accept && accept.length > 0 ? accept.join(', ') : '*/*',
      'accept-encoding': 'gzip, deflate, br',
      ...config.headers,
      ...options.headers,
    };
    const redirects: Redirect[] = [];
    let current: URL;
    try {
      current = new URL(input);
    } catch (error) {
      throw failed(input, 'not a URL', error);
    }
    const origin = current.origin;
    // Once a redirect has left the origin, credentials stay off, even if a later hop comes back.
    let trusted = true;
    const secrets = credentialValues(options.credentials);
    const credentialFree = Object.fromEntries(Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.includes(name.toLowerCase())));
    let form = options.form ? Buffer.from(new URLSearchParams(options.form.map(([k, v]): [string, string] => [k, v])).toString()) : undefined;
    for (;;) {
      if (current.protocol !== 'http:' && current.protocol !== 'https:') throw failed(current.href, `${current.protocol} is not http or https`);
      trusted &&= current.origin === origin;
      if (!trusted) current = withoutValues(current, secrets);
      const res = trusted
        ? await requestOnce(current, withQuery(current, options.credentials?.query), config, { ...headers, ...options.credentials?.headers }, signal,
          Object.keys(options.credentials?.headers ?? {}).map((n) => n.toLowerCase()), form)
        : await requestOnce(current, current, config, credentialFree, signal, [], form);
      const location = res.headers.location;
      if (res.status >= 300 && res.status < 400 && res.status !== 304 && location) {
        res.stream.resume();
        const next = new URL(location, current);
        redirects.push({ from: redact(current.href), to: redact(next.href), status: res.status });
        if (redirects.length > maxRedirects) throw failed(input, `more than ${maxRedirects} redirects (last to ${next.href})`);
        current = next;
        form = undefined;
        continue;
      }
      if (res.status >= 400 || res.status < 200) {
        res.stream.resume();
        throw failed(current.href, `HTTP ${res.status}`);
      }
      const contentType = String(res.headers['content-type'] ?? '');
      if (!acceptsType(accept, contentType)) {
        res.stream.destroy();
        throw failed(current.href, `content type ${JSON.stringify(mediaTypeOf(contentType) || 'none')} is not one of ${accept!.join(', ')}`);
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        res.stream.destroy();
        throw failed(current.href, `response is larger than ${maxBytes} bytes (content-length ${declared})`);
      }
      let body: Buffer;
      try {
        body = await readBounded(decoded(res), maxBytes, current.href);
      } catch (error) {
        if (signal.aborted && !(error instanceof VigilError)) throw failed(current.href, 'timed out', error);
        throw error;
      }
      const finalUrl = current.href;
      return {
        url: input, finalUrl, status: res.status, contentType, headers: res.headers, body, redirects,
        request: res.request, rawHeaders: headerPairs(res.stream.rawHeaders), httpVersion: res.stream.httpVersion, statusText: res.stream.statusMessage ?? '',
        ...(res.stream.socket?.remoteAddress ? { remoteAddress: res.stream.socket.remoteAddress } : {}),
        text: () => decode(body, contentType),
      };
    }
  };
}
