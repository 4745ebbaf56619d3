/**
 * The revocation API over HTTP, in the shape of Akamai's Access Revocation API v2 (paths, bodies and
 * answers of test/fixtures/akamai/taas-v2-openapi.json) under `/taas/v2`, so a client written for
 * Akamai's API works against Vigil by changing its base URL and authentication:
 *
 *   GET    /taas/v2/revocation-lists                                  200 [{ id, name, contractId?, createdBy, createdTime }]
 *   POST   /taas/v2/revocation-lists                { name, … }       202 { id, name, contractId? }
 *   DELETE /taas/v2/revocation-lists/{id}                             204
 *   GET    /taas/v2/revocation-lists/{id}/identifiers[?offset=&limit=] 200 [{ id, ttl }]
 *   POST   /taas/v2/revocation-lists/{id}/identifiers/add    [{ id, durationSeconds }]  200 { count, limit }
 *   POST   /taas/v2/revocation-lists/{id}/identifiers/remove ["id", …]                  200 { count, limit }
 *   GET    /taas/v2/revocation-lists/{id}/identifiers/{tokenId}       200 { id, ttl }
 *   GET    /taas/v2/revocation-lists/{id}/meta                        200 { count, limit }
 *
 * Differences, each deliberate: a bearer key (VIGIL_REVOCATION_API_KEY) instead of EdgeGrid;
 * paging of the identifier list by `offset`/`limit` query parameters (Akamai documents none; without
 * them the whole list comes back, as from Akamai), with `X-Total-Count` and a `Link rel="next"`;
 * `limit` in the meta answer is the list's capacity, 50,000 (Akamai's schema text calls it "the
 * number you can still add" but its example is count 500, limit 50000, which reads as capacity);
 * problem+json errors carry, besides Akamai's type/title/status/detail/instance, the member at fault
 * (`field`, a JSON pointer or a parameter name) and Vigil's `code` and `fix` (RFC 9457 extension
 * members; the published error schema says additionalProperties: false, so a strict Akamai client
 * must ignore them); no /properties (Vigil has no AMD properties).
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isVigilError, type ErrorName } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { redact } from '../core/redact.js';
import { applyRevocation, type RevocationResult, type Revoker } from '../core/revocation.js';
import { checkAddBody, checkListBody, checkRemoveBody, RevocationRefusal, REVOCATION_LIMITS, type RevocationStore } from './revocation-store.js';

export const REVOCATION_API_BASE = '/taas/v2';
/** Room for a 50,000-identifier remove; an add of 5,000 takes about a tenth of it. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

const PROBLEM_TYPES: Record<number, [string, string]> = {
  400: ['bad_request', 'Bad Request'], 401: ['unauthorized', 'Unauthorized'], 403: ['forbidden', 'Forbidden'],
  404: ['not_found', 'Not Found'], 405: ['not_allowed', 'Not Allowed'], 415: ['unsupported_media_type', 'Unsupported Media Type'],
  429: ['too_many_requests', 'Too Many Requests'], 500: ['internal_server_error', 'Internal Server Error'],
};

const STATUS_OF: Partial<Record<ErrorName, number>> = {
  REVOCATION_DURATION_TOO_SHORT: 400,
  REVOCATION_ADD_TOO_LARGE: 400,
  REVOCATION_LIST_FULL: 400,
  REVOCATION_REQUEST_INVALID: 400,
  REVOCATION_LISTS_FULL: 400,
  REVOCATION_NOT_FOUND: 404,
  REVOCATION_UNAUTHORIZED: 401,
};

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  field?: string;
  code?: string;
  fix?: string;
}

export interface RevocationApiOptions {
  /** Reads (lists, identifiers, meta) and list changes. */
  store: RevocationStore;
  /**
   * Adds and removes, made as every revocation is (core/revocation.ts): on the store, the sessions
   * named put on record, and every CDN mirror owed the call (pushed at once and again until taken).
   */
  revoker: Revoker;
  /** The bearer key callers must send. */
  apiKey: string;
  log: Logger;
}

class HttpProblem extends Error {
  constructor(readonly status: number, message: string, readonly field?: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json' }), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    req.resume();
    return Promise.reject(new HttpProblem(415, `the body must be application/json, not ${JSON.stringify(req.headers['content-type'] ?? 'none')}`, 'content-type'));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        // Drained, not destroyed, so the caller still reads why.
        reject(new HttpProblem(400, `the body is larger than ${MAX_BODY_BYTES} bytes (an add takes at most ${REVOCATION_LIMITS.maxIdsPerAdd} identifiers)`, '/'));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch (error) {
        reject(new RevocationRefusal('REVOCATION_REQUEST_INVALID', `the body is not JSON: ${(error as Error).message}`, '/'));
      }
    });
    req.on('error', reject);
  });
}

function listIdOf(text: string): number {
  if (!/^\d{1,15}$/.test(text) || Number(text) < 1) {
    throw new RevocationRefusal('REVOCATION_REQUEST_INVALID', `the revocation list id must be a positive whole number, not ${JSON.stringify(decodeURIComponent(text)).slice(0, 80)}`, 'revocationListId');
  }
  return Number(text);
}

function intParam(url: URL, name: string, min: number, max: number): number | undefined {
  const text = url.searchParams.get(name);
  if (text === null) return undefined;
  if (!/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new RevocationRefusal('REVOCATION_REQUEST_INVALID', `query parameter ${name} must be a whole number from ${min} to ${max}, not ${JSON.stringify(text).slice(0, 40)}`, name);
  }
  return Number(text);
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * A request handler for the revocation paths: answers those under /taas/v2/revocation-lists and
 * returns true, returns false for any other path (so `vigil edge` can mount it beside its own).
 */
export function revocationApiHandler(options: RevocationApiOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { store, revoker, log } = options;
  const key = digest(options.apiKey);

  const authorized = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    return match !== null && timingSafeEqual(digest(match[1]!.trim()), key);
  };

  const answerOutcome = (res: ServerResponse, outcome: RevocationResult) => {
    // The answer is the local list's; how each mirror fared rides in a header (the body keeps Akamai's shape):
    // ok, or pending (this try failed or waits behind an earlier push; it is pushed again later).
    const header = outcome.pushes.map((m) => `${m.target}=${m.state === 'done' ? 'ok' : m.state}`).join(', ');
    send(res, 200, outcome.meta, header ? { 'vigil-mirrors': header } : {});
  };

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    if (!authorized(req)) {
      throw new RevocationRefusal('REVOCATION_UNAUTHORIZED', req.headers.authorization ? 'the bearer key is not the one this API was started with' : 'the request has no Authorization: Bearer header', 'authorization');
    }
    const parts = url.pathname.slice(REVOCATION_API_BASE.length).split('/').filter(Boolean); // ['revocation-lists', id?, …]
    const method = req.method ?? 'GET';
    const allow = (methods: string[]) => {
      if (!methods.includes(method)) throw new HttpProblem(405, `${method} is not allowed on ${url.pathname}; use ${methods.join(' or ')}`, 'method', { allow: methods.join(', ') });
    };
    if (parts.length === 1) {
      allow(['GET', 'POST']);
      if (method === 'GET') {
        const lists = await store.lists();
        return send(res, 200, lists.map((l) => ({
          id: l.id, name: l.name, ...(l.contractId ? { contractId: l.contractId } : {}), ...(l.description ? { description: l.description } : {}),
          createdBy: l.createdBy ?? 'vigil', createdTime: Math.floor(l.createdAt / 1000),
        })));
      }
      const body = checkListBody(await readJson(req));
      const list = await store.createList({ ...body, createdBy: 'api' });
      log.info({ listId: list.id, name: list.name }, 'revocation list created');
      return send(res, 202, { id: list.id, name: list.name, ...(list.contractId ? { contractId: list.contractId } : {}) });
    }
    const listId = listIdOf(parts[1]!);
    const rest = parts.slice(2).join('/');
    if (rest === '') {
      allow(['DELETE']);
      await store.deleteList(listId);
      log.info({ listId }, 'revocation list deleted');
      return send(res, 204, undefined);
    }
    if (rest === 'identifiers') {
      allow(['GET']);
      const offset = intParam(url, 'offset', 0, REVOCATION_LIMITS.maxIdsPerList);
      const limit = intParam(url, 'limit', 1, REVOCATION_LIMITS.maxIdsPerList);
      const paged = offset !== undefined || limit !== undefined;
      const page = paged ? { offset: offset ?? 0, limit: limit ?? 1000 } : undefined;
      const { items, total } = await store.identifiers(listId, page);
      const headers: Record<string, string> = { 'x-total-count': String(total) };
      if (page && page.offset + items.length < total) {
        headers.link = `<${REVOCATION_API_BASE}/revocation-lists/${listId}/identifiers?offset=${page.offset + items.length}&limit=${page.limit}>; rel="next"`;
      }
      return send(res, 200, items, headers);
    }
    if (rest === 'identifiers/add') {
      allow(['POST']);
      const items = checkAddBody(await readJson(req));
      const outcome = await applyRevocation(revoker, { op: 'add', listId, items }, { actor: 'revocation-api', reason: `revoked through the revocation API (POST ${url.pathname})` });
      log.info({ listId, identifiers: items.length, count: outcome.meta.count }, 'identifiers revoked');
      return answerOutcome(res, outcome);
    }
    if (rest === 'identifiers/remove') {
      allow(['POST']);
      const ids = checkRemoveBody(await readJson(req));
      const outcome = await applyRevocation(revoker, { op: 'remove', listId, ids }, { actor: 'revocation-api', reason: `unrevoked through the revocation API (POST ${url.pathname})` });
      log.info({ listId, identifiers: ids.length, count: outcome.meta.count }, 'identifiers unrevoked');
      return answerOutcome(res, outcome);
    }
    if (rest === 'meta') {
      allow(['GET']);
      return send(res, 200, await store.meta(listId));
    }
    if (parts.length === 4 && parts[2] === 'identifiers') {
      allow(['GET']);
      const tokenId = decodeURIComponent(parts[3]!);
      const found = await store.identifier(listId, tokenId);
      if (!found) throw new RevocationRefusal('REVOCATION_NOT_FOUND', `identifier ${JSON.stringify(tokenId).slice(0, 80)} is not revoked in list ${listId} (never added, removed, or ended)`, 'tokenId');
      return send(res, 200, found);
    }
    throw new HttpProblem(404, `no such resource: ${url.pathname} (see edge/README.md for the revocation API's paths)`, 'path');
  };

  const problem = (res: ServerResponse, error: unknown, url: URL) => {
    const instance = randomUUID();
    let body: ProblemBody;
    let headers: Record<string, string> = {};
    const base = (status: number) => ({ type: PROBLEM_TYPES[status]![0], title: PROBLEM_TYPES[status]![1], status, instance });
    if (isVigilError(error) && STATUS_OF[error.errorName] !== undefined) {
      const status = STATUS_OF[error.errorName]!;
      body = { ...base(status), detail: error.message, ...(error instanceof RevocationRefusal && error.field ? { field: error.field } : {}), code: error.code, fix: error.fix };
    } else if (error instanceof HttpProblem) {
      body = { ...base(error.status), detail: error.message, ...(error.field ? { field: error.field } : {}) };
      headers = error.headers;
    } else {
      log.error({ err: redact(String((error as Error)?.stack ?? error)), instance, path: url.pathname }, 'revocation API failed');
      body = { ...base(500), detail: `the revocation could not be completed (instance ${instance} in the log); try again` };
    }
    if (res.headersSent) return;
    send(res, body.status, body, headers);
  };

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== `${REVOCATION_API_BASE}/revocation-lists` && !url.pathname.startsWith(`${REVOCATION_API_BASE}/revocation-lists/`)) return false;
    route(req, res, url).catch((error: unknown) => problem(res, error, url));
    return true;
  };
}
