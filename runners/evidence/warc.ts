import { createHash, randomUUID } from 'node:crypto';
import zlib from 'node:zlib';
import type { HeaderPairs, PageCapture } from '../../core/db/finding-pages.js';

/**
 * A WARC/1.1 writer (ISO 28500:2017), pure: a page capture in, the bytes of a WARC file out. One
 * warcinfo record, then the request and the response of the page (each naming the other with
 * WARC-Concurrent-To), then a metadata record (WARC-Refers-To the response) with what the capture says besides the HTTP exchange
 * (the redirect chain, the URL first asked for, a cut body). Digests are SHA-1 in base32, as the
 * spec and every WARC tool write them (`sha1:` + 32 characters). Each record may be gzipped as a
 * member of its own (the .warc.gz convention that lets a reader seek to any record).
 *
 * The capture holds the body as the crawler read it, content-encoding undone; so the response
 * record's HTTP headers describe that body: Content-Encoding, Transfer-Encoding and Content-Length
 * as received are kept under an `X-Archive-Orig-` prefix (as warcio and pywb do), and a
 * Content-Length of the bytes recorded is added.
 */

export const WARC_VERSION = 'WARC/1.1';
const CRLF = '\r\n';

/** RFC 4648 base32 (upper case, no padding: a SHA-1 fills 32 characters exactly). */
export function base32(bytes: Uint8Array): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** A WARC digest field value: `sha1:` and the base32 SHA-1 of the bytes. */
export function sha1Digest(bytes: Uint8Array): string {
  return `sha1:${base32(createHash('sha1').update(bytes).digest())}`;
}

export const recordId = (uuid: string = randomUUID()): string => `<urn:uuid:${uuid}>`;

/** WARC-Date: UTC, W3C ISO 8601 (WARC/1.1 allows the fraction of a second). */
export const warcDate = (at: Date): string => at.toISOString();

/** A field value on one line: a CR or LF from a hostile server must not start a field of its own. */
function oneLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

export type WarcType = 'warcinfo' | 'request' | 'response' | 'metadata' | 'resource';

export interface WarcRecordInput {
  type: WarcType;
  id: string;
  date: Date;
  /** Fields after WARC-Type, WARC-Record-ID and WARC-Date, in order. */
  fields: HeaderPairs;
  contentType: string;
  block: Buffer;
}

/** One record: version line, named fields, Content-Type and Content-Length (bytes of the block), a blank line, the block, two CRLFs. */
export function warcRecord(r: WarcRecordInput): Buffer {
  const fields: [string, string][] = [
    ['WARC-Type', r.type], ['WARC-Record-ID', r.id], ['WARC-Date', warcDate(r.date)], ...r.fields.map(([n, v]): [string, string] => [n, v]),
    ['Content-Type', r.contentType], ['Content-Length', String(r.block.length)],
  ];
  const head = `${WARC_VERSION}${CRLF}${fields.map(([n, v]) => `${n}: ${oneLine(v)}${CRLF}`).join('')}${CRLF}`;
  return Buffer.concat([Buffer.from(head, 'utf8'), r.block, Buffer.from(CRLF + CRLF, 'latin1')]);
}

/** application/warc-fields: `name: value` lines. */
export function warcFields(fields: HeaderPairs): Buffer {
  return Buffer.from(fields.map(([n, v]) => `${n}: ${oneLine(v)}${CRLF}`).join(''), 'utf8');
}

function headerLines(headers: HeaderPairs): string {
  return headers.map(([n, v]) => `${n}: ${oneLine(v)}${CRLF}`).join('');
}

/** The request as sent: request line with the path and query, then its headers (Host added if the capture lacks it). */
export function httpRequestBlock(c: Pick<PageCapture, 'method' | 'finalUrl' | 'httpVersion' | 'requestHeaders'>): Buffer {
  const url = new URL(c.finalUrl);
  const headers = c.requestHeaders.some(([n]) => n.toLowerCase() === 'host') ? c.requestHeaders : [['Host', url.host] as const, ...c.requestHeaders];
  return Buffer.from(`${c.method} ${url.pathname}${url.search} HTTP/${c.httpVersion || '1.1'}${CRLF}${headerLines(headers)}${CRLF}`, 'utf8');
}

/** Headers that describe the bytes on the wire rather than the body recorded. */
const WIRE_HEADERS = ['content-encoding', 'transfer-encoding', 'content-length'];

/** The response: status line, headers (wire-only ones renamed X-Archive-Orig-…, Content-Length of the body recorded), the body. */
export function httpResponseBlock(c: Pick<PageCapture, 'httpVersion' | 'status' | 'statusText' | 'responseHeaders' | 'body'>): { block: Buffer; payload: Buffer } {
  const headers: [string, string][] = c.responseHeaders.map(([n, v]) => (WIRE_HEADERS.includes(n.toLowerCase()) ? [`X-Archive-Orig-${n}`, v] : [n, v]));
  headers.push(['Content-Length', String(c.body.length)]);
  const head = `HTTP/${c.httpVersion || '1.1'} ${c.status}${c.statusText ? ` ${oneLine(c.statusText)}` : ''}${CRLF}${headerLines(headers)}${CRLF}`;
  return { block: Buffer.concat([Buffer.from(head, 'utf8'), c.body]), payload: c.body };
}

export interface PageWarcOptions {
  /** The warcinfo's software field, e.g. "Vigil 0.1.0". */
  software: string;
  /** What the file is part of, e.g. "evidence pack of finding #42". */
  isPartOf: string;
  /** When the file is written (the warcinfo's date). */
  now: Date;
  /** Record ids, for tests that want fixed ones; random UUIDs otherwise. */
  newId?: () => string;
}

export interface PageWarc {
  records: Buffer[];
  ids: { warcinfo: string; request: string; response: string; metadata: string };
}

/** The capture as four records: warcinfo, request, response, metadata. */
export function pageWarc(c: PageCapture, o: PageWarcOptions): PageWarc {
  const newId = o.newId ?? (() => recordId());
  const ids = { warcinfo: newId(), request: newId(), response: newId(), metadata: newId() };
  const info = warcFields([
    ['software', o.software], ['format', 'WARC File Format 1.1'],
    ['conformsTo', 'http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/'],
    ['isPartOf', o.isPartOf], ['description', `the page ${c.finalUrl} as Vigil's crawler fetched it`],
  ]);
  const request = httpRequestBlock(c);
  const { block: response, payload } = httpResponseBlock(c);
  const common: [string, string][] = [['WARC-Target-URI', c.finalUrl], ['WARC-Warcinfo-ID', ids.warcinfo]];
  const ip: [string, string][] = c.remoteAddress ? [['WARC-IP-Address', c.remoteAddress]] : [];
  const metadata = Buffer.from(`${JSON.stringify({
    requestedUrl: c.requestedUrl, finalUrl: c.finalUrl, redirects: c.redirects, fetchedAt: c.fetchedAt.toISOString(),
    bodyBytes: c.bodyBytes, recordedBytes: c.body.length, truncated: c.truncated,
  }, null, 2)}\n`, 'utf8');
  const records = [
    warcRecord({ type: 'warcinfo', id: ids.warcinfo, date: o.now, fields: [['WARC-Filename', 'page.warc.gz']], contentType: 'application/warc-fields', block: info }),
    warcRecord({
      type: 'request', id: ids.request, date: c.fetchedAt, contentType: 'application/http;msgtype=request', block: request,
      fields: [...common, ...ip, ['WARC-Concurrent-To', ids.response], ['WARC-Block-Digest', sha1Digest(request)]],
    }),
    warcRecord({
      type: 'response', id: ids.response, date: c.fetchedAt, contentType: 'application/http;msgtype=response', block: response,
      fields: [...common, ...ip, ['WARC-Concurrent-To', ids.request], ['WARC-Block-Digest', sha1Digest(response)], ['WARC-Payload-Digest', sha1Digest(payload)],
        ...(c.truncated ? [['WARC-Truncated', 'length'] as [string, string]] : [])],
    }),
    warcRecord({
      type: 'metadata', id: ids.metadata, date: c.fetchedAt, contentType: 'application/json', block: metadata,
      fields: [...common, ['WARC-Refers-To', ids.response], ['WARC-Block-Digest', sha1Digest(metadata)]],
    }),
  ];
  return { records, ids };
}

/** A .warc.gz: each record a gzip member of its own. */
export function gzipRecords(records: readonly Buffer[]): Buffer {
  return Buffer.concat(records.map((r) => zlib.gzipSync(r)));
}
