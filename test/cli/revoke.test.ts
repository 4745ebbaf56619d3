import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.js';
import { openRevocationView } from '../../edge/revocation-view.js';
import { runCli, startCli } from '../support/cli.js';
import { startFakeAkamai, type FakeAkamai } from '../support/fake-akamai.js';
import { startSession } from '../../core/db/sessions.js';
import { revokeCommandLine } from '../../core/revocation.js';
import { openTestServices, TEST_REDIS_URL, type TestServices } from '../support/services.js';

const CREDS = { clientToken: 'akab-ct-cli', clientSecret: 'Y2xpLXNlY3JldC12YWx1ZQ==', accessToken: 'akab-at-cli' };

describe('vigil revoke, vigil revocations, vigil revocation serve', () => {
  let env: Record<string, string>;
  let akamai: FakeAkamai;
  let redis: Redis;
  let services: TestServices;

  beforeAll(async () => {
    services = await openTestServices();
    env = services.env;
    akamai = await startFakeAkamai(CREDS, [1]);
    redis = new Redis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    await akamai.close();
    const keys = await redis.keys(`${loadConfig(env).queuePrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await services.close();
  });

  it('revokes a session in a list made on first use; an edge view sees it; revocations lists it with its TTL', async () => {
    const u = new URL(TEST_REDIS_URL);
    const view = openRevocationView({ host: u.hostname, port: Number(u.port || 6379) }, loadConfig(env).queuePrefix);
    await view.ready;
    const run = await runCli(['revoke', 'sess-cli-1', '--duration', '2h'], env, '/tmp');
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('revoked 1 session(s) for 7200 s in revocation list 1: 1 of 50000 in use\n  sess-cli-1: not a session vigil session start issued; revoked at the edge only\n');
    expect(run.code).toBe(0);
    for (let i = 0; i < 2000 && !view.isRevoked('sess-cli-1'); i++) await new Promise((r) => setTimeout(r, 5));
    expect(view.isRevoked('sess-cli-1')).toBe(true);
    await view.close();
    expect((await runCli(['revocations'], env, '/tmp')).stdout).toBe('  1  vigil  1/50000 revoked\n');
    expect((await runCli(['revocations', '--list', '1'], env, '/tmp')).stdout).toMatch(/^sess-cli-1  (2h00m|1h59m) left\n$/);
    const json = JSON.parse((await runCli(['revocations', '--list', '1', '--format', 'json'], env, '/tmp')).stdout) as unknown;
    expect(json).toEqual([{ id: 'sess-cli-1', ttl: expect.any(Number) }]);
  });

  it('refuses a duration under 30 minutes, a bad list id and a bad session id, with their codes', async () => {
    const short = await runCli(['revoke', 'sess-x', '--duration', '10m'], env, '/tmp');
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('error VIGIL-E0620: vigil revoke: --duration 10m is 600 s; a revocation lasts at least 1800 s (30m)');
    const badList = await runCli(['revoke', 'sess-x', '--list', 'main'], env, '/tmp');
    expect(badList.code).toBe(2);
    expect(badList.stderr).toContain('--list must be a revocation list id');
    const badId = await runCli(['revoke', 'bad/id'], env, '/tmp');
    expect(badId.stderr).toContain('error VIGIL-E0623: /0/id must be a token identifier of 1-64 letters');
    const missingList = await runCli(['revoke', 'sess-x', '--list', '9'], env, '/tmp');
    expect(missingList.stderr).toContain('error VIGIL-E0624: there is no revocation list 9');
  });

  it('pushes the same revocation to Akamai when AKAMAI_* is set, and unrevokes with --remove', async () => {
    const akEnv = { ...env, AKAMAI_HOST: akamai.url, AKAMAI_CLIENT_TOKEN: CREDS.clientToken, AKAMAI_CLIENT_SECRET: CREDS.clientSecret, AKAMAI_ACCESS_TOKEN: CREDS.accessToken };
    const run = await runCli(['revoke', 'sess-ak-1', 'sess-ak-2', '--duration', '1h'], akEnv, '/tmp');
    expect(run.stdout).toBe('revoked 2 session(s) for 3600 s in revocation list 1: 3 of 50000 in use\n'
      + '  sess-ak-1: not a session vigil session start issued; revoked at the edge only\n  sess-ak-2: not a session vigil session start issued; revoked at the edge only\n  akamai: done\n');
    expect(akamai.calls.at(-1)).toMatchObject({ path: '/taas/v2/revocation-lists/1/identifiers/add', status: 200, body: [{ id: 'sess-ak-1', durationSeconds: 3600 }, { id: 'sess-ak-2', durationSeconds: 3600 }] });
    const removed = await runCli(['revoke', 'sess-ak-1', '--remove'], akEnv, '/tmp');
    expect(removed.stdout).toBe('unrevoked 1 session(s) in revocation list 1: 2 of 50000 in use\n  akamai: done\n');
    expect([...akamai.lists.get(1)!.keys()]).toEqual(['sess-ak-2']);
    const wrong = await runCli(['revoke', 'sess-ak-3'], { ...akEnv, AKAMAI_CLIENT_SECRET: 'd3Jvbmctc2VjcmV0' }, '/tmp');
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain("akamai: FAILED (the revocation holds at Vigil's edge): error VIGIL-E0628: Akamai answered POST");
    expect(wrong.stderr).not.toContain('d3Jvbmctc2VjcmV0');
    expect(akamai.faults).toEqual([]);
  });

  it('owes Akamai a revocation it missed while down and pushes it, in order, once it is back', async () => {
    const akEnv = { ...env, AKAMAI_HOST: akamai.url, AKAMAI_CLIENT_TOKEN: CREDS.clientToken, AKAMAI_CLIENT_SECRET: CREDS.clientSecret, AKAMAI_ACCESS_TOKEN: CREDS.accessToken };
    // The adapter's own four tries all fail: Akamai is down for this call.
    akamai.failNext(500, 4);
    const down = await runCli(['revoke', 'sess-down-1', '--duration', '1h'], akEnv, '/tmp');
    expect(down.code).toBe(1);
    // The push the wrong secret left owed (above) goes first, fails the same way, and this one waits behind it.
    expect(down.stderr).toMatch(/akamai: FAILED \(the revocation holds at Vigil's edge\): waits for push \d+ to akamai; pushed again from \S+ \(vigil revocations shows what is owed\)/);
    expect(akamai.lists.get(1)!.has('sess-down-1')).toBe(false);
    const owed = await runCli(['revocations'], env, '/tmp');
    expect(owed.stdout).toMatch(/owed to CDN mirrors \(2; /);
    expect(owed.stdout).toMatch(/push \d+: akamai add of 1 id\(s\) to list 1, since \S+, 2 tries, next \S+: error VIGIL-E0628: Akamai answered POST .* with 500 .*\(after 4 tries\)\n/);
    // Akamai is back: the next revocation pushes what was owed first, then its own.
    const before = akamai.calls.length;
    const back = await runCli(['revoke', 'sess-down-2', '--duration', '1h'], akEnv, '/tmp');
    expect(back.code).toBe(0);
    expect(back.stdout).toContain('  akamai: done\n');
    const adds = akamai.calls.slice(before).filter((c) => c.path.endsWith('/identifiers/add') && c.status === 200).map((c) => (c.body as { id: string }[]).map((i) => i.id).join());
    expect(adds).toContain('sess-down-1');
    expect(adds.indexOf('sess-down-1')).toBeLessThan(adds.indexOf('sess-down-2'));
    expect(akamai.lists.get(1)!.get('sess-down-1')).toBe(3600);
    expect((await runCli(['revocations'], env, '/tmp')).stdout).not.toContain('owed to CDN mirrors');
    expect(akamai.faults).toEqual([]);
  });

  it('serves the API only with a key, and answers with it', async () => {
    const noKey = await runCli(['revocation', 'serve', '--port', '0'], env, '/tmp');
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('error VIGIL-E0626: vigil revocation serve: VIGIL_REVOCATION_API_KEY is not set');
    const key = 'cli-serve-key-0123456789';
    const controller = new AbortController();
    const served = startCli(['revocation', 'serve', '--port', '0'], { ...env, VIGIL_REVOCATION_API_KEY: key }, '/tmp', controller.signal);
    let url = '';
    for (let i = 0; i < 1000 && !url; i++) {
      url = /revocation API at (\S+)/.exec(served.stdout())?.[1] ?? '';
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/taas\/v2\/revocation-lists$/);
    const lists = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
    expect(lists.status).toBe(200);
    expect(await lists.json()).toEqual([expect.objectContaining({ id: 1, name: 'vigil' })]);
    const short = await fetch(`${url}/1/identifiers/add`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify([{ id: 's', durationSeconds: 1 }]) });
    expect(short.status).toBe(400);
    expect(await short.json()).toMatchObject({ type: 'bad_request', status: 400, code: 'VIGIL-E0620', field: '/0/durationSeconds' });
    controller.abort();
    expect((await served.done).code).toBe(0);
  });
  it('puts the revocation of a session it issued on record, audited once', async () => {
    const session = await startSession(services.db.pool, { viewer: 'acct-42', package: 'film', ttlMs: 3_600_000 }, { actor: 'test', reason: 'fixture' });
    // A random session id starts with '-' one time in 64: after --, it is an id whatever it starts with.
    const first = await runCli(['revoke', '--', session.id], env, '/tmp');
    expect(first.stdout).toContain(`${session.id}: session of acct-42 (watermark ID ${session.watermarkId})\n`);
    const again = await runCli(['revoke', '--', session.id], env, '/tmp');
    expect(again.stdout).toContain('already on record as revoked');
    const { rows } = await services.db.pool.query<{ revoked: boolean; audits: string }>(
      `select revoked_at is not null as revoked, (select count(*) from audit_log where action = 'session-revoked' and object_id = $1) as audits from streaming_sessions where id = $1`, [session.id]);
    expect(rows[0]).toEqual({ revoked: true, audits: 1 });
  });

  it('revokes a session whose id starts with \'-\' after --, reads -h there as an id, and says where such an id goes without it', async () => {
    const issued = await startSession(services.db.pool, { viewer: 'acct-dash', package: 'film', ttlMs: 3_600_000 }, { actor: 'test', reason: 'fixture' });
    // The id a random draw gives one time in 64, made certain: the session's row takes it.
    const id = `-d${issued.id.slice(2)}`;
    await services.db.pool.query('update streaming_sessions set id = $2 where id = $1', [issued.id, id]);
    const bare = await runCli(['revoke', id], env, '/tmp');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain(`vigil revoke: unknown option "${id}"; a value that starts with '-' (such as a session id) goes after --, as in: vigil revoke … -- ${id}`);
    const run = await runCli(['revoke', '--duration', '1h', '--', id, '-h'], env, '/tmp');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^revoked 2 session\\(s\\) for 3600 s in revocation list 1: \\d+ of 50000 in use\n`));
    expect(run.stdout).toContain(`  ${id}: session of acct-dash (watermark ID ${issued.watermarkId})\n  -h: not a session vigil session start issued; revoked at the edge only\n`);
    expect((await services.db.pool.query<{ revoked: boolean }>('select revoked_at is not null as revoked from streaming_sessions where id = $1', [id])).rows[0]).toEqual({ revoked: true });
    // Before -- a -h still asks for help.
    const help = await runCli(['revoke', '-h'], env, '/tmp');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^vigil revoke SESSION_ID/);
  });

  it('prints a revoke command line that works whatever the session id starts with', () => {
    expect(revokeCommandLine(['Ab3_x'])).toBe('vigil revoke Ab3_x');
    expect(revokeCommandLine(['-Ab3'])).toBe('vigil revoke -- -Ab3');
    expect(revokeCommandLine(['Ab3', '--x'])).toBe('vigil revoke -- Ab3 --x');
  });
});
