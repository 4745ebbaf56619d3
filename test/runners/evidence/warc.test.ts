import { createHash } from 'node:crypto';
import zlib from 'node:zlib';
import { WARCParser } from 'warcio';
import { describe, expect, it } from 'vitest';
import type { PageCapture } from '../../../core/db/finding-pages.js';
import { base32, gzipRecords, pageWarc, sha1Digest } from '../../../runners/evidence/warc.js';

/** A capture as the crawler makes one: a gzip-encoded, chunked page with a repeated header and a hostile one. */
function capture(overrides: Partial<PageCapture> = {}): PageCapture {
  const body = Buffer.from('<!doctype html><title>Moonlit Harbor S01E03 – 무료보기</title><video src="/media/leak.mp4"></video>\r\n\r\nWARC/1.1\r\n', 'utf8');
  return {
    method: 'GET', requestedUrl: 'http://streamfree.to/go/3', finalUrl: 'http://streamfree.to:8080/watch/moonlit-harbor-s01e03?lang=ko&x=%20y',
    requestHeaders: [['user-agent', 'VigilCrawler/0.1'], ['accept', 'text/html'], ['authorization', '(redacted)'], ['Host', 'streamfree.to:8080']],
    httpVersion: '1.1', status: 200, statusText: 'OK',
    responseHeaders: [['Content-Type', 'text/html; charset=utf-8'], ['Content-Encoding', 'gzip'], ['Transfer-Encoding', 'chunked'], ['Set-Cookie', 'a=1'], ['Set-Cookie', 'b=2'],
      ['X-Evil', 'one\r\nWARC-Type: resource']],
    redirects: [{ from: 'http://streamfree.to/go/3', to: 'http://streamfree.to:8080/watch/moonlit-harbor-s01e03?lang=ko&x=%20y', status: 302 }],
    body, bodyBytes: body.length, truncated: false, remoteAddress: '127.0.0.1', fetchedAt: new Date('2026-03-07T10:11:12.345Z'),
    ...overrides,
  };
}

function fixedIds(): () => string {
  let n = 0;
  return () => `<urn:uuid:00000000-0000-4000-8000-${String((n += 1)).padStart(12, '0')}>`;
}

const options = { software: 'Vigil test', isPartOf: 'evidence pack of finding #7', now: new Date('2026-03-08T00:00:00Z') };

interface ParsedRecord { version: string; fields: [string, string][]; block: Buffer }

/** A strict reading of what the writer wrote: version line, fields, a blank line, Content-Length bytes of block, CRLF CRLF. */
function parseWarc(bytes: Buffer): ParsedRecord[] {
  const out: ParsedRecord[] = [];
  let at = 0;
  while (at < bytes.length) {
    const end = bytes.indexOf('\r\n\r\n', at);
    const lines = bytes.subarray(at, end).toString('utf8').split('\r\n');
    const version = lines.shift()!;
    const fields = lines.map((l): [string, string] => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]);
    const length = Number(fields.find(([n]) => n === 'Content-Length')![1]);
    const block = bytes.subarray(end + 4, end + 4 + length);
    expect(bytes.subarray(end + 4 + length, end + 8 + length).toString('latin1')).toBe('\r\n\r\n');
    out.push({ version, fields, block });
    at = end + 8 + length;
  }
  return out;
}

const field = (r: ParsedRecord, name: string): string | undefined => r.fields.find(([n]) => n === name)?.[1];

describe('the WARC writer', () => {
  it('encodes base32 as RFC 4648 does', () => {
    // RFC 4648 section 10 test vectors (without padding).
    expect(['', 'f', 'fo', 'foo', 'foob', 'fooba', 'foobar'].map((s) => base32(Buffer.from(s)))).toEqual(['', 'MY', 'MZXQ', 'MZXW6', 'MZXW6YQ', 'MZXW6YTB', 'MZXW6YTBOI']);
    expect(sha1Digest(Buffer.from('abc'))).toBe(`sha1:${base32(createHash('sha1').update('abc').digest())}`);
    expect(sha1Digest(Buffer.from('abc'))).toMatch(/^sha1:[A-Z2-7]{32}$/);
  });

  it('writes warcinfo, request, response and metadata records that read back field by field', () => {
    const c = capture();
    const { records, ids } = pageWarc(c, options);
    const parsed = parseWarc(Buffer.concat(records));
    expect(parsed.map((r) => [r.version, field(r, 'WARC-Type')])).toEqual([['WARC/1.1', 'warcinfo'], ['WARC/1.1', 'request'], ['WARC/1.1', 'response'], ['WARC/1.1', 'metadata']]);
    const [info, request, response, metadata] = parsed as [ParsedRecord, ParsedRecord, ParsedRecord, ParsedRecord];
    for (const r of parsed) {
      expect(field(r, 'WARC-Record-ID')).toMatch(/^<urn:uuid:[0-9a-f-]{36}>$/);
      expect(Number(field(r, 'Content-Length'))).toBe(r.block.length);
    }
    expect(new Set(parsed.map((r) => field(r, 'WARC-Record-ID'))).size).toBe(4);
    expect(info.block.toString()).toContain('format: WARC File Format 1.1\r\n');
    expect(field(request, 'WARC-Concurrent-To')).toBe(ids.response);
    expect(field(response, 'WARC-Concurrent-To')).toBe(ids.request);
    expect(field(metadata, 'WARC-Refers-To')).toBe(ids.response);
    expect(field(request, 'WARC-Target-URI')).toBe(c.finalUrl);
    expect(field(request, 'WARC-Date')).toBe('2026-03-07T10:11:12.345Z');
    expect(field(response, 'WARC-IP-Address')).toBe('127.0.0.1');
    expect(request.block.toString()).toMatch(/^GET \/watch\/moonlit-harbor-s01e03\?lang=ko&x=%20y HTTP\/1\.1\r\n/);
    expect(request.block.toString()).toContain('authorization: (redacted)\r\n');
    // Digests are of exactly the bytes recorded.
    for (const r of [request, response, metadata]) expect(field(r, 'WARC-Block-Digest')).toBe(sha1Digest(r.block));
    expect(field(response, 'WARC-Payload-Digest')).toBe(sha1Digest(c.body));
    expect(response.block.subarray(response.block.length - c.body.length).equals(c.body)).toBe(true);
    const head = response.block.subarray(0, response.block.indexOf('\r\n\r\n')).toString();
    // The body is recorded decoded: the wire headers are kept renamed, and its own length is given.
    expect(head).toContain('X-Archive-Orig-Content-Encoding: gzip');
    expect(head).toContain('X-Archive-Orig-Transfer-Encoding: chunked');
    expect(head).toContain(`Content-Length: ${c.body.length}`);
    expect(head.match(/Set-Cookie/g)).toHaveLength(2);
    // A CR LF in a header value cannot start a field or record of its own.
    expect(head).toContain('X-Evil: one WARC-Type: resource');
    expect(JSON.parse(metadata.block.toString())).toMatchObject({ requestedUrl: c.requestedUrl, truncated: false, redirects: c.redirects });
  });

  it('marks a cut body WARC-Truncated', () => {
    const c = capture({ bodyBytes: 10_000_000, truncated: true });
    const response = parseWarc(Buffer.concat(pageWarc(c, options).records))[2]!;
    expect(field(response, 'WARC-Truncated')).toBe('length');
  });

  it('is read by warcio, gzipped per record, with its digests checked', async () => {
    const c = capture();
    const gz = gzipRecords(pageWarc(c, options).records);
    // Each record is a gzip member of its own: the members decode, one after another, to the records.
    const records = pageWarc(c, { ...options, newId: fixedIds() }).records;
    const again = gzipRecords(pageWarc(c, { ...options, newId: fixedIds() }).records);
    expect(zlib.gunzipSync(again).equals(Buffer.concat(records))).toBe(true);
    expect(zlib.gzipSync(records[0]!).equals(again.subarray(0, zlib.gzipSync(records[0]!).length))).toBe(true);
    async function* source(): AsyncGenerator<Uint8Array> { yield new Uint8Array(gz); }
    const parser = new WARCParser(source(), { keepHeadersCase: true });
    const seen: { type: string | undefined; uri: string | undefined; status?: number; body?: Buffer; payloadDigest?: string | null }[] = [];
    for await (const record of parser) {
      const body = Buffer.from(await record.readFully(false));
      seen.push({
        type: record.warcType ?? undefined, uri: record.warcTargetURI ?? undefined, ...(record.httpHeaders ? { status: Number(record.httpHeaders.statusCode) } : {}), body,
        payloadDigest: record.warcPayloadDigest,
      });
    }
    expect(seen.map((s) => s.type)).toEqual(['warcinfo', 'request', 'response', 'metadata']);
    const response = seen[2]!;
    expect(response).toMatchObject({ uri: c.finalUrl, status: 200 });
    expect(response.body!.equals(c.body)).toBe(true);
    expect(response.payloadDigest).toBe(sha1Digest(c.body));
  });
});
