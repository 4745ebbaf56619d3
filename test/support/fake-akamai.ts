import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';

/**
 * A local Akamai Access Revocation API v2 that follows Akamai's published OpenAPI description
 * (test/fixtures/akamai/taas-v2-openapi.json): its paths and methods, request bodies validated
 * against the description's schemas, answers checked against its response schemas (a mismatch is
 * recorded in `faults`, so the fake cannot drift from the description unnoticed), and problem+json
 * errors. Rules the description states only in prose are kept too: at most 5,000 identifiers per
 * add, 50,000 per list. Every request's EdgeGrid signature is verified with code of its own (not
 * edge/edgegrid.ts), a nonce seen twice is refused, and every call is recorded.
 */

interface OpenApiOperation {
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}
type OpenApi = { paths: Record<string, Record<string, OpenApiOperation | unknown>> };

const SPEC = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../fixtures/akamai/taas-v2-openapi.json'), 'utf8')) as OpenApi;
const ajv = new Ajv({ strict: false, allErrors: false });
const compiled = new Map<object, ValidateFunction>();
const validatorOf = (schema: object) => {
  let v = compiled.get(schema);
  if (!v) { v = ajv.compile(schema); compiled.set(schema, v); }
  return v;
};

const ROUTES = Object.entries(SPEC.paths).map(([template, item]) => ({
  template,
  pattern: new RegExp(`^/taas/v2${template.replace(/\{revocationListId\}/g, '(?<revocationListId>[^/]+)').replace(/\{tokenId\}/g, '(?<tokenId>[^/]+)')}$`),
  item,
}));

export interface AkamaiCall {
  method: string;
  path: string;
  body: unknown;
  authorization: string;
  status: number;
}

export interface FakeAkamaiCredentials {
  clientToken: string;
  clientSecret: string;
  accessToken: string;
}

export interface FakeAkamai {
  /** http://127.0.0.1:PORT, the `host` to give the adapter. */
  url: string;
  calls: AkamaiCall[];
  /** Answers that did not match the description's response schema (should stay empty). */
  faults: string[];
  /** identifiers per list id: id -> durationSeconds given. */
  lists: Map<number, Map<string, number>>;
  /** The next `times` calls are answered with this status (429 or 500) and Retry-After. */
  failNext(status: 429 | 500, times: number, retryAfterSeconds?: number): void;
  close(): Promise<void>;
}

const TITLES: Record<number, [string, string]> = {
  400: ['bad_request', 'Bad Request'], 401: ['unauthorized', 'Unauthorized'], 403: ['forbidden', 'Forbidden'],
  404: ['not_found', 'Not Found'], 405: ['not_allowed', 'Not Allowed'], 415: ['unsupported_media_type', 'Unsupported Media Type'],
  429: ['too_many_requests', 'Too Many Requests'], 500: ['internal_server_error', 'Internal Server Error'],
};

/** EG1-HMAC-SHA256 checked independently: fields parsed, data to sign rebuilt, HMACs recomputed. */
function signatureProblem(req: IncomingMessage, body: Buffer, creds: FakeAkamaiCredentials, seenNonces: Set<string>, host: string): string | undefined {
  const header = req.headers.authorization ?? '';
  if (!header.startsWith('EG1-HMAC-SHA256 ')) return 'no EG1-HMAC-SHA256 Authorization header';
  const fields = new Map(header.slice('EG1-HMAC-SHA256 '.length).split(';').filter(Boolean).map((kv) => {
    const at = kv.indexOf('=');
    return [kv.slice(0, at), kv.slice(at + 1)] as [string, string];
  }));
  if (fields.get('client_token') !== creds.clientToken) return 'unknown client_token';
  if (fields.get('access_token') !== creds.accessToken) return 'unknown access_token';
  const timestamp = fields.get('timestamp') ?? '';
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2}):(\d{2}):(\d{2})\+0000$/.exec(timestamp);
  if (!m) return 'timestamp is not yyyyMMddTHH:mm:ss+0000';
  const when = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  if (Math.abs(Date.now() - when) > 5 * 60_000) return 'timestamp too far from now';
  const nonce = fields.get('nonce') ?? '';
  if (!nonce) return 'no nonce';
  if (seenNonces.has(nonce)) return 'nonce replayed';
  const unsigned = header.slice(0, header.indexOf('signature='));
  const contentHash = req.method === 'POST' && body.length > 0 ? createHash('sha256').update(body.subarray(0, 131_072)).digest('base64') : '';
  const data = [req.method ?? '', 'http', host, req.url ?? '', '', contentHash, unsigned].join('\t');
  const key = createHmac('sha256', creds.clientSecret).update(timestamp).digest('base64');
  const expected = Buffer.from(createHmac('sha256', key).update(data).digest('base64'));
  const given = Buffer.from(fields.get('signature') ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'signature does not match';
  seenNonces.add(nonce);
  return undefined;
}

export async function startFakeAkamai(creds: FakeAkamaiCredentials, listIds: number[] = [1]): Promise<FakeAkamai> {
  const calls: AkamaiCall[] = [];
  const faults: string[] = [];
  const lists = new Map<number, Map<string, number>>(listIds.map((id) => [id, new Map()]));
  const seenNonces = new Set<string>();
  const failures: Array<{ status: 429 | 500; retryAfter?: number }> = [];
  let host = '';

  const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      let parsed: unknown;
      const record = (status: number) => calls.push({ method: req.method ?? '', path: req.url ?? '', body: parsed, authorization: req.headers.authorization ?? '', status });
      const answer = (status: number, body: unknown, operation?: OpenApiOperation, headers: Record<string, string> = {}) => {
        const isProblem = status >= 400;
        const contentType = isProblem ? 'application/problem+json' : 'application/json';
        const schema = operation?.responses[String(status)]?.content?.[contentType]?.schema;
        if (operation && status !== 204) {
          if (!schema) faults.push(`${req.method} ${req.url}: the description has no ${status} ${contentType} answer`);
          else if (!validatorOf(schema)(body)) faults.push(`${req.method} ${req.url}: ${status} answer does not match the description: ${ajv.errorsText(validatorOf(schema).errors)}`);
        }
        record(status);
        res.writeHead(status, { 'content-type': contentType, ...headers });
        res.end(status === 204 ? undefined : JSON.stringify(body));
      };
      const problem = (status: number, detail: string, operation?: OpenApiOperation, headers?: Record<string, string>) => {
        const [type, title] = TITLES[status] ?? ['internal_server_error', 'Internal Server Error'];
        answer(status, { type, title, instance: randomUUID(), status, detail }, operation, headers);
      };

      const url = new URL(req.url ?? '/', 'http://x');
      const route = ROUTES.find((r) => r.pattern.test(url.pathname));
      if (!route) return problem(404, `no such resource: ${url.pathname}`);
      const operation = route.item[(req.method ?? '').toLowerCase()] as OpenApiOperation | undefined;
      if (!operation) return problem(405, `Method not allowed: ${req.method} ${route.template}`);
      const sigFault = signatureProblem(req, raw, creds, seenNonces, host);
      if (sigFault) return problem(401, `The signature does not match: ${sigFault}`, operation);
      const failure = failures.shift();
      if (failure) return problem(failure.status, failure.status === 429 ? 'Too many requests: slow down' : 'Internal Server Error', undefined, failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) });
      if (operation.requestBody) {
        if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return problem(415, 'Unsupported media type', operation);
        try { parsed = JSON.parse(raw.toString('utf8')); } catch { return problem(400, 'Invalid body', operation); }
        const schema = operation.requestBody.content['application/json']?.schema;
        if (schema && !validatorOf(schema)(parsed)) return problem(400, `Invalid body: ${ajv.errorsText(validatorOf(schema).errors)}`, operation);
      }
      const groups = route.pattern.exec(url.pathname)?.groups ?? {};
      const listId = Number(groups.revocationListId);
      if (groups.revocationListId !== undefined && !/^\d+$/.test(groups.revocationListId)) return problem(400, 'Invalid Revocation list Id', operation);
      const list = lists.get(listId);
      if (groups.revocationListId !== undefined && !list) return problem(404, 'Revocation list not found', operation);
      const meta = () => ({ count: list!.size, limit: 50_000 });
      const op = `${req.method} ${route.template}`;
      switch (op) {
        case 'POST /revocation-lists/{revocationListId}/identifiers/add': {
          const items = parsed as Array<{ id: string; durationSeconds?: number }>;
          if (items.length > 5000) return problem(400, `Invalid body: at most 5000 identifiers per request, got ${items.length}`, operation);
          const fresh = items.filter((i) => !list!.has(i.id)).length;
          if (list!.size + fresh > 50_000) return problem(400, 'Revocation list limit exceeded', operation);
          for (const item of items) list!.set(item.id, item.durationSeconds ?? 1800);
          return answer(200, meta(), operation);
        }
        case 'POST /revocation-lists/{revocationListId}/identifiers/remove':
          for (const id of parsed as string[]) list!.delete(id);
          return answer(200, meta(), operation);
        case 'GET /revocation-lists/{revocationListId}/meta':
          return answer(200, meta(), operation);
        case 'GET /revocation-lists/{revocationListId}/identifiers':
          return answer(200, [...list!].map(([id, ttl]) => ({ id, ttl })), operation);
        default:
          return problem(500, `the fake does not implement ${op}`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `http://${host}`,
    calls,
    faults,
    lists,
    failNext(status, times, retryAfterSeconds) {
      for (let i = 0; i < times; i++) failures.push({ status, retryAfter: retryAfterSeconds });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
