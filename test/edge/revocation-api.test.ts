import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Ajv } from 'ajv';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { akamaiTarget } from '../../edge/akamai-adapter.js';
import { revocationApiHandler } from '../../edge/revocation-api.js';
import { pendingPushes, pushById } from '../../core/db/revocations.js';
import { sessionById, startSession } from '../../core/db/sessions.js';
import { revocationStore } from '../../edge/revocation-store.js';
import { pushDeliverer, type PushDeliverer } from '../../edge/revocation-pushes.js';
import { openRevocationView, type RevocationView } from '../../edge/revocation-view.js';
import { startFakeAkamai, type FakeAkamai } from '../support/fake-akamai.js';
import { openTestServices, TEST_REDIS_URL, uniqueName, type TestServices } from '../support/services.js';

const KEY = 'test-revocation-key-0123456789abcdef';
const CREDS = { clientToken: 'akab-ct-api', clientSecret: 'YXBpLXRlc3Qtc2VjcmV0', accessToken: 'akab-at-api' };

/** Akamai's own schemas, so Vigil's answers are checked against the description, not against themselves. */
const SPEC = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../fixtures/akamai/taas-v2-openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> }>>;
};
const ajv = new Ajv({ strict: false });
const responseSchema = (p: string, method: string, status: string, type = 'application/json') => SPEC.paths[p]![method]!.responses[status]!.content![type]!.schema;
const matchesAkamai = (p: string, method: string, status: string, body: unknown) => {
  const validate = ajv.compile(responseSchema(p, method, status));
  return validate(body) ? 'ok' : ajv.errorsText(validate.errors);
};
// Vigil's problems add field/code/fix (extension members); everything Akamai's schema asks must hold.
const problemSchema = { ...responseSchema('/revocation-lists/{revocationListId}/identifiers/add', 'post', '400', 'application/problem+json'), additionalProperties: true };
const isAkamaiProblem = ajv.compile(problemSchema);

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

describe('the revocation API (Akamai Access Revocation shape) with an Akamai mirror', () => {
  let prefix: string;
  let redis: Redis;
  let server: http.Server;
  let base: string;
  let akamai: FakeAkamai;
  let view: RevocationView;
  let listId: number;
  let services: TestServices;
  let deliverer: PushDeliverer;

  const call = async (method: string, p: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const response = await fetch(`${base}${p}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) };
  };
  const expectProblem = (answer: Answer, status: number, code: string | undefined, field: string | undefined, detail: RegExp) => {
    expect(answer.status).toBe(status);
    expect(answer.headers.get('content-type')).toBe('application/problem+json');
    expect(isAkamaiProblem(answer.body), ajv.errorsText(isAkamaiProblem.errors)).toBe(true);
    const problem = answer.body as Record<string, unknown>;
    expect(problem.detail).toMatch(detail);
    expect(problem.field).toBe(field);
    expect(problem.code).toBe(code);
  };

  beforeAll(async () => {
    prefix = `{${uniqueName('tapi')}}`;
    redis = new Redis(TEST_REDIS_URL);
    akamai = await startFakeAkamai(CREDS, [1, 2, 3, 4, 5]);
    services = await openTestServices();
    const mirror = akamaiTarget({ credentials: { host: akamai.url, ...CREDS, maxBody: 131_072 }, attempts: 2, maxWaitMs: 50 });
    const store = revocationStore(redis, prefix);
    deliverer = pushDeliverer({ pool: services.db.pool, targets: [mirror], retryBaseMs: 50 });
    const revoker = { pool: services.db.pool, lists: store, mirrors: [mirror.name], deliver: deliverer.deliver };
    const handler = revocationApiHandler({ store, revoker, apiKey: KEY, log: silentLogger });
    server = http.createServer((req, res) => {
      if (!handler(req, res)) { res.writeHead(418); res.end('not mine'); }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const u = new URL(TEST_REDIS_URL);
    view = openRevocationView({ host: u.hostname, port: Number(u.port || 6379) }, prefix);
    await view.ready;
    const created = await call('POST', '/taas/v2/revocation-lists', { name: 'live-event-1', contractId: 'C-0N7RAC7' });
    expect(created.status).toBe(202);
    expect(matchesAkamai('/revocation-lists', 'post', '202', created.body)).toBe('ok');
    listId = (created.body as { id: number }).id;
  });

  afterAll(async () => {
    await view.close();
    await new Promise((r) => server.close(r));
    await akamai.close();
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await services.close();
  });

  it('refuses a call without the bearer key or with another one (401 problem+json), and leaves other paths to the caller', async () => {
    expectProblem(await call('GET', '/taas/v2/revocation-lists', undefined, { authorization: '' }), 401, 'VIGIL-E0625', 'authorization', /no Authorization: Bearer header/);
    expectProblem(await call('GET', '/taas/v2/revocation-lists', undefined, { authorization: 'Bearer nope' }), 401, 'VIGIL-E0625', 'authorization', /not the one this API was started with/);
    const other = await fetch(`${base}/segments/1.m4s`);
    expect(other.status).toBe(418);
  });

  it('revokes: 200 {count, limit} as Akamai answers, every reader sees it, and Akamai gets the same signed add', async () => {
    const answer = await call('POST', `/taas/v2/revocation-lists/${listId}/identifiers/add`, [{ id: 'sess-leak-1', durationSeconds: 3600 }, { id: 'sess-leak-2', durationSeconds: 1800 }]);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ count: 2, limit: 50_000 });
    expect(matchesAkamai('/revocation-lists/{revocationListId}/identifiers/add', 'post', '200', answer.body)).toBe('ok');
    expect(answer.headers.get('vigil-mirrors')).toBe('akamai=ok');
    // The view only learns by the published event; no Redis read happens on this path.
    for (let i = 0; i < 2000 && !(view.isRevoked('sess-leak-1') && view.isRevoked('sess-leak-2')); i++) await new Promise((r) => setTimeout(r, 5));
    expect(view.isRevoked('sess-leak-1')).toBe(true);
    expect(view.isRevoked('sess-other')).toBe(false);
    const pushed = akamai.calls.filter((c) => c.path === `/taas/v2/revocation-lists/${listId}/identifiers/add`);
    expect(pushed.at(-1)?.body).toEqual([{ id: 'sess-leak-1', durationSeconds: 3600 }, { id: 'sess-leak-2', durationSeconds: 1800 }]);
    expect(pushed.at(-1)?.status).toBe(200);
    expect(akamai.faults).toEqual([]);
  });

  it('lists identifiers with their TTL, gets one, pages, counts (meta) and removes', async () => {
    const all = await call('GET', `/taas/v2/revocation-lists/${listId}/identifiers`);
    expect(all.body).toEqual([{ id: 'sess-leak-2', ttl: expect.any(Number) }, { id: 'sess-leak-1', ttl: expect.any(Number) }]);
    const [short, long] = all.body as Array<{ ttl: number }>;
    expect(short!.ttl).toBeLessThanOrEqual(1800);
    expect(long!.ttl).toBeGreaterThan(3500);
    expect(matchesAkamai('/revocation-lists/{revocationListId}/identifiers', 'get', '200', all.body)).toBe('ok');
    const one = await call('GET', `/taas/v2/revocation-lists/${listId}/identifiers/sess-leak-1`);
    expect(matchesAkamai('/revocation-lists/{revocationListId}/identifiers/{tokenId}', 'get', '200', one.body)).toBe('ok');
    const page = await call('GET', `/taas/v2/revocation-lists/${listId}/identifiers?offset=0&limit=1`);
    expect(page.body).toEqual([{ id: 'sess-leak-2', ttl: expect.any(Number) }]);
    expect(page.headers.get('x-total-count')).toBe('2');
    expect(page.headers.get('link')).toBe(`</taas/v2/revocation-lists/${listId}/identifiers?offset=1&limit=1>; rel="next"`);
    const meta = await call('GET', `/taas/v2/revocation-lists/${listId}/meta`);
    expect(meta.body).toEqual({ count: 2, limit: 50_000 });
    expect(matchesAkamai('/revocation-lists/{revocationListId}/meta', 'get', '200', meta.body)).toBe('ok');
    const removed = await call('POST', `/taas/v2/revocation-lists/${listId}/identifiers/remove`, ['sess-leak-2']);
    expect(removed.body).toEqual({ count: 1, limit: 50_000 });
    expect(akamai.calls.at(-1)).toMatchObject({ path: `/taas/v2/revocation-lists/${listId}/identifiers/remove`, body: ['sess-leak-2'], status: 200 });
    for (let i = 0; i < 2000 && view.isRevoked('sess-leak-2'); i++) await new Promise((r) => setTimeout(r, 5));
    expect(view.isRevoked('sess-leak-2')).toBe(false);
    expectProblem(await call('GET', `/taas/v2/revocation-lists/${listId}/identifiers/sess-leak-2`), 404, 'VIGIL-E0624', 'tokenId', /"sess-leak-2" is not revoked in list/);
    const lists = await call('GET', '/taas/v2/revocation-lists');
    expect(matchesAkamai('/revocation-lists', 'get', '200', lists.body)).toBe('ok');
  });

  it('refuses a durationSeconds below 1,800 with its item named, and pushes nothing to Akamai', async () => {
    const before = akamai.calls.length;
    const answer = await call('POST', `/taas/v2/revocation-lists/${listId}/identifiers/add`, [{ id: 'fine', durationSeconds: 3600 }, { id: 'too-short', durationSeconds: 600 }]);
    expectProblem(answer, 400, 'VIGIL-E0620', '/1/durationSeconds', /^\/1\/durationSeconds is 600 for "too-short"; a revocation lasts at least 1800 seconds \(30 minutes\)$/);
    expect((answer.body as { type: string }).type).toBe('bad_request');
    expect(akamai.calls.length).toBe(before);
    expect(view.isRevoked('fine')).toBe(false);
  });

  it('refuses an add call over 5,000 identifiers', async () => {
    const items = Array.from({ length: 5001 }, (_, i) => ({ id: `many-${i}`, durationSeconds: 1800 }));
    expectProblem(await call('POST', `/taas/v2/revocation-lists/${listId}/identifiers/add`, items), 400, 'VIGIL-E0621', '/', /^this add call names 5001 identifiers; one call may add at most 5000$/);
  });

  it('refuses an add that would take a list past 50,000, adding none of it', async () => {
    const full = await call('POST', '/taas/v2/revocation-lists', { name: 'to-fill', contractId: 'C-0N7RAC7' });
    const id = (full.body as { id: number }).id;
    for (let n = 0; n < 10; n++) {
      const answer = await call('POST', `/taas/v2/revocation-lists/${id}/identifiers/add`, Array.from({ length: 5000 }, (_, i) => ({ id: `fill-${n}-${i}`, durationSeconds: 1800 })));
      expect(answer.status).toBe(200);
    }
    const over = await call('POST', `/taas/v2/revocation-lists/${id}/identifiers/add`, [{ id: 'one-more', durationSeconds: 1800 }]);
    expectProblem(over, 400, 'VIGIL-E0622', '/', /^revocation list \d+ holds 50000 live identifiers; adding 1 more would pass its limit of 50000 \(nothing was added\)$/);
    expect((await call('GET', `/taas/v2/revocation-lists/${id}/meta`)).body).toEqual({ count: 50_000, limit: 50_000 });
  });

  it('names what is wrong with a malformed request: JSON, shape, id, list id, media type, method, path', async () => {
    const add = `/taas/v2/revocation-lists/${listId}/identifiers/add`;
    expectProblem(await call('POST', add, '[{"id": "x"'), 400, 'VIGIL-E0623', '/', /^the body is not JSON/);
    expectProblem(await call('POST', add, { id: 'x' }), 400, 'VIGIL-E0623', '/', /must be a JSON array/);
    expectProblem(await call('POST', add, [{ id: 'has space', durationSeconds: 1800 }]), 400, 'VIGIL-E0623', '/0/id', /1-64 letters, digits/);
    expectProblem(await call('POST', add, [{ id: 'x', durationSeconds: 1800.5 }]), 400, 'VIGIL-E0623', '/0/durationSeconds', /whole number of seconds/);
    expectProblem(await call('POST', add, [{ id: 'x', ttl: 1800 }]), 400, 'VIGIL-E0623', '/0/ttl', /only id and durationSeconds/);
    expectProblem(await call('GET', '/taas/v2/revocation-lists/abc/meta'), 400, 'VIGIL-E0623', 'revocationListId', /positive whole number, not "abc"/);
    expectProblem(await call('GET', '/taas/v2/revocation-lists/999/meta'), 404, 'VIGIL-E0624', 'revocationListId', /there is no revocation list 999/);
    expectProblem(await call('POST', add, '[]', { 'content-type': 'text/plain' }), 415, undefined, 'content-type', /must be application\/json/);
    const wrongMethod = await call('GET', add);
    expectProblem(wrongMethod, 405, undefined, 'method', /GET is not allowed/);
    expect(wrongMethod.headers.get('allow')).toBe('POST');
    expectProblem(await call('GET', `/taas/v2/revocation-lists/${listId}/properties`), 404, undefined, 'path', /no such resource/);
    expectProblem(await call('GET', `/taas/v2/revocation-lists/${listId}/identifiers?limit=0`), 400, 'VIGIL-E0623', 'limit', /from 1 to 50000/);
    expectProblem(await call('POST', add, `[${'"x",'.repeat(1_100_000)}"x"]`), 400, undefined, '/', /^the body is larger than 4194304 bytes/);
  });

  it('keeps the local revocation when Akamai fails, says so in Vigil-Mirrors, and pushes it once Akamai is back', async () => {
    // Two tries per push (attempts: 2): the call's own push fails both, and so does the relay's first pass.
    akamai.failNext(500, 4);
    const answer = await call('POST', `/taas/v2/revocation-lists/${listId}/identifiers/add`, [{ id: 'akamai-down', durationSeconds: 1800 }]);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('vigil-mirrors')).toBe('akamai=pending');
    for (let i = 0; i < 2000 && !view.isRevoked('akamai-down'); i++) await new Promise((r) => setTimeout(r, 5));
    expect(view.isRevoked('akamai-down')).toBe(true);
    const [owed] = await pendingPushes(services.db.pool, 'akamai');
    expect(owed).toMatchObject({ op: 'add', listId, body: [{ id: 'akamai-down', durationSeconds: 1800 }], attempts: 1, lastError: expect.stringMatching(/^error VIGIL-E0628: Akamai answered POST .* with 500/) });
    expect(akamai.lists.get(listId)?.has('akamai-down')).toBe(false);
    // A pass before the push is due leaves it; one after its backoff tries it (still down), the next delivers it.
    await new Promise((r) => setTimeout(r, 60));
    expect(await deliverer.deliverDue()).toEqual([expect.objectContaining({ pushId: owed!.id, state: 'pending' })]);
    expect((await pushById(services.db.pool, owed!.id))!.attempts).toBe(2);
    await new Promise((r) => setTimeout(r, 120));
    expect(await deliverer.deliverDue()).toEqual([{ pushId: owed!.id, target: 'akamai', state: 'done' }]);
    expect(akamai.lists.get(listId)?.get('akamai-down')).toBe(1800);
    expect(await pendingPushes(services.db.pool)).toEqual([]);
    expect(await deliverer.deliverDue()).toEqual([]);
    expect(akamai.faults).toEqual([]);
  });

  it('puts the sessions Vigil issued on record as revoked, audited once, and unrevoked on remove', async () => {
    const session = await startSession(services.db.pool, { viewer: 'acct-api', package: 'film', ttlMs: 3_600_000 }, { actor: 'test', reason: 'fixture' });
    const add = `/taas/v2/revocation-lists/${listId}/identifiers/add`;
    expect((await call('POST', add, [{ id: session.id, durationSeconds: 1800 }, { id: 'not-a-session', durationSeconds: 1800 }])).status).toBe(200);
    expect((await call('POST', add, [{ id: session.id, durationSeconds: 3600 }])).status).toBe(200);
    expect((await sessionById(services.db.pool, session.id))!.revokedAt).toBeInstanceOf(Date);
    const audits = async () => (await services.db.pool.query<{ actor: string; action: string; details: Record<string, unknown> }>(
      `select actor, action, details from audit_log where object_kind = 'StreamingSession' and object_id = $1 and action <> 'session-started' order by id`, [session.id])).rows;
    expect(await audits()).toEqual([{ actor: 'revocation-api', action: 'session-revoked', details: { watermarkId: session.watermarkId, viewer: 'acct-api', listId, durationSeconds: 1800 } }]);
    expect((await call('POST', `/taas/v2/revocation-lists/${listId}/identifiers/remove`, [session.id])).status).toBe(200);
    expect((await sessionById(services.db.pool, session.id))!.revokedAt).toBeNull();
    expect((await audits()).map((a) => a.action)).toEqual(['session-revoked', 'session-unrevoked']);
  });
});
