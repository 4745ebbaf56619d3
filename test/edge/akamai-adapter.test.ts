import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVigilError } from '../../core/errors.js';
import { akamaiCredentials, akamaiTarget } from '../../edge/akamai-adapter.js';
import type { EdgeGridCredentials } from '../../edge/edgegrid.js';
import { startFakeAkamai, type FakeAkamai } from '../support/fake-akamai.js';

const CREDS = { clientToken: 'akab-client-token-test', clientSecret: 'c2VjcmV0LWZvci10aGUtZmFrZQ==', accessToken: 'akab-access-token-test' };

describe('the akamai revocation target against a local server that follows the OpenAPI description', () => {
  let akamai: FakeAkamai;
  let credentials: EdgeGridCredentials;

  beforeAll(async () => {
    akamai = await startFakeAkamai(CREDS, [7, 8]);
    credentials = { host: akamai.url, ...CREDS, maxBody: 131_072 };
  });
  afterAll(async () => {
    await akamai.close();
  });

  it('pushes adds and removes as signed calls with the documented bodies, and reads the meta count', async () => {
    const target = akamaiTarget({ credentials });
    const before = akamai.calls.length;
    await expect(target.add(7, [{ id: 'sess-1', durationSeconds: 1800 }, { id: 'sess-2', durationSeconds: 7200 }])).resolves.toEqual({ count: 2, limit: 50_000 });
    await expect(target.remove(7, ['sess-1'])).resolves.toEqual({ count: 1, limit: 50_000 });
    await expect(target.meta(7)).resolves.toEqual({ count: 1, limit: 50_000 });
    const calls = akamai.calls.slice(before);
    expect(calls.map((c) => [c.method, c.path, c.status])).toEqual([
      ['POST', '/taas/v2/revocation-lists/7/identifiers/add', 200],
      ['POST', '/taas/v2/revocation-lists/7/identifiers/remove', 200],
      ['GET', '/taas/v2/revocation-lists/7/meta', 200],
    ]);
    expect(calls[0]?.body).toEqual([{ id: 'sess-1', durationSeconds: 1800 }, { id: 'sess-2', durationSeconds: 7200 }]);
    expect(calls[1]?.body).toEqual(['sess-1']);
    expect(calls[0]?.authorization).toMatch(/^EG1-HMAC-SHA256 client_token=akab-client-token-test;access_token=akab-access-token-test;timestamp=\d{8}T\d\d:\d\d:\d\d\+0000;nonce=[0-9a-f-]{36};signature=[A-Za-z0-9+/]{43}=$/);
    expect([...(akamai.lists.get(7) ?? new Map())]).toEqual([['sess-2', 7200]]);
    expect(akamai.faults).toEqual([]);
  });

  it('a full 5,000-identifier add (a body past max_body, whose first 131,072 bytes are hashed) is accepted', async () => {
    const target = akamaiTarget({ credentials });
    const items = Array.from({ length: 5000 }, (_, i) => ({ id: `bulk-session-identifier-${String(i).padStart(5, '0')}`, durationSeconds: 1800 }));
    expect(JSON.stringify(items).length).toBeGreaterThan(131_072);
    await expect(target.add(8, items)).resolves.toEqual({ count: 5000, limit: 50_000 });
  });

  it("turns Akamai's 400 problem+json into a clear error at once, without retrying", async () => {
    const target = akamaiTarget({ credentials });
    const before = akamai.calls.length;
    const error = await target.add(7, [{ id: 'quick', durationSeconds: 60 }]).catch((e: unknown) => e);
    expect(isVigilError(error, 'AKAMAI_REQUEST_FAILED')).toBe(true);
    expect((error as Error).message).toMatch(new RegExp(`^Akamai answered POST ${akamai.url}/taas/v2/revocation-lists/7/identifiers/add with 400 bad_request: Invalid body: .*durationSeconds must be >= 1800 \\(instance [0-9a-f-]{36}\\)$`));
    expect(akamai.calls.length - before).toBe(1);
  });

  it('names a list Akamai does not have (404)', async () => {
    const error = await akamaiTarget({ credentials }).add(99, [{ id: 'x', durationSeconds: 1800 }]).catch((e: unknown) => e);
    expect((error as Error).message).toContain('with 404 not_found: Revocation list not found');
  });

  it('waits out a 429 for Retry-After, signing the new try afresh, then succeeds', async () => {
    const target = akamaiTarget({ credentials });
    akamai.failNext(429, 2, 0);
    const before = akamai.calls.length;
    await expect(target.add(7, [{ id: 'after-429', durationSeconds: 1800 }])).resolves.toMatchObject({ limit: 50_000 });
    const calls = akamai.calls.slice(before);
    expect(calls.map((c) => c.status)).toEqual([429, 429, 200]);
    const nonces = calls.map((c) => /nonce=([^;]+)/.exec(c.authorization)?.[1]);
    expect(new Set(nonces).size).toBe(3);
  });

  it('gives up on a 429 that does not pass, saying so', async () => {
    const target = akamaiTarget({ credentials, attempts: 3 });
    akamai.failNext(429, 3, 0);
    const error = await target.add(7, [{ id: 'never', durationSeconds: 1800 }]).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/with 429 too_many_requests: Too many requests: slow down \(instance [0-9a-f-]{36}\) \(after 3 tries\)$/);
  });

  it('is refused (401) with a wrong client secret, and does not retry', async () => {
    const before = akamai.calls.length;
    const error = await akamaiTarget({ credentials: { ...credentials, clientSecret: 'd3Jvbmc=' } }).meta(7).catch((e: unknown) => e);
    expect((error as Error).message).toContain('with 401 unauthorized: The signature does not match: signature does not match');
    expect(akamai.calls.length - before).toBe(1);
    expect(akamai.faults).toEqual([]);
  });

  it('reads credentials from an .edgerc section, with AKAMAI_* variables taking precedence, and names what is missing', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-edgerc-'));
    const file = path.join(dir, '.edgerc');
    await fs.writeFile(file, `[taas]\nhost = ${akamai.url}\nclient_token = ${CREDS.clientToken}\nclient_secret = ${CREDS.clientSecret}\naccess_token = ${CREDS.accessToken}\n`);
    const fromFile = await akamaiCredentials({ edgerc: { path: file, section: 'taas' }, host: undefined, clientToken: undefined, clientSecret: undefined, accessToken: undefined, listId: undefined });
    await expect(akamaiTarget({ credentials: fromFile }).meta(7)).resolves.toMatchObject({ limit: 50_000 });
    const overridden = await akamaiCredentials({ edgerc: { path: file, section: 'taas' }, host: 'http://127.0.0.1:1', clientToken: undefined, clientSecret: undefined, accessToken: undefined, listId: undefined });
    expect(overridden.host).toBe('http://127.0.0.1:1');
    const missing = await akamaiCredentials({ edgerc: undefined, host: 'h', clientToken: 'c', clientSecret: undefined, accessToken: undefined, listId: undefined }).catch((e: unknown) => e);
    expect((missing as Error).message).toBe('the Akamai revocation target needs AKAMAI_CLIENT_SECRET, AKAMAI_ACCESS_TOKEN (or VIGIL_AKAMAI_EDGERC)');
    await fs.rm(dir, { recursive: true, force: true });
  });
});
