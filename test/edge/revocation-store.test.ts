import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../core/db/embedded.js';
import { isVigilError } from '../../core/errors.js';
import { revocationKeys } from '../../edge/revocation-keys.js';
import { checkAddBody, REVOCATION_LIMITS, revocationStore, type RevocationStore } from '../../edge/revocation-store.js';
import { openRevocationView, type RevocationView } from '../../edge/revocation-view.js';
import { TEST_REDIS_URL, uniqueName } from '../support/services.js';

/** Waits for a condition the code under test makes true by itself; the deadline only ends a hung test. */
async function eventually(check: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const connection = () => {
  const u = new URL(TEST_REDIS_URL);
  return { host: u.hostname, port: Number(u.port || 6379) };
};

describe('revocation store and views on the shared Redis', () => {
  let prefix: string;
  let redis: Redis;
  let clock: number;
  let store: RevocationStore;
  const views: RevocationView[] = [];

  beforeAll(() => {
    prefix = `{${uniqueName('trev')}}`;
    redis = new Redis(TEST_REDIS_URL);
    clock = Date.now();
    store = revocationStore(redis, prefix, { now: () => clock });
  });

  afterAll(async () => {
    await Promise.all(views.map((v) => v.close()));
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  const view = (options: Parameters<typeof openRevocationView>[2] = {}) => {
    const v = openRevocationView(connection(), prefix, { now: () => clock, ...options });
    views.push(v);
    return v;
  };

  it('two readers on connections of their own see an add as soon as it is made, and a remove', async () => {
    const list = await store.createList({ name: 'two-readers' });
    const a = view();
    const b = view();
    await Promise.all([a.ready, b.ready]);
    expect(a.isRevoked('sess-a')).toBe(false);
    const meta = await store.add(list.id, checkAddBody([{ id: 'sess-a', durationSeconds: 1800 }]));
    expect(meta).toEqual({ count: 1, limit: 50_000 });
    // No polling of Redis happens in the views: only the published event can bring this in.
    await eventually(() => a.isRevoked('sess-a') && b.isRevoked('sess-a'), 'both readers see sess-a revoked');
    expect(a.resyncs()).toBe(1);
    await store.remove(list.id, ['sess-a']);
    await eventually(() => !a.isRevoked('sess-a') && !b.isRevoked('sess-a'), 'both readers see sess-a unrevoked');
    expect(await store.meta(list.id)).toEqual({ count: 0, limit: 50_000 });
  });

  it('a revocation ends at its durationSeconds: in the readers, the meta count and the identifier list', async () => {
    const list = await store.createList({ name: 'expiry' });
    const v = view();
    await v.ready;
    await store.add(list.id, checkAddBody([{ id: 'short', durationSeconds: 1800 }, { id: 'long', durationSeconds: 7200 }]));
    await eventually(() => v.isRevoked('short') && v.isRevoked('long'), 'both revoked');
    expect((await store.identifiers(list.id)).items).toEqual([{ id: 'short', ttl: 1800 }, { id: 'long', ttl: 7200 }]);
    clock += 1000 * 1000;
    expect((await store.identifier(list.id, 'short'))?.ttl).toBe(800);
    clock += 800 * 1000;
    expect(v.isRevoked('short')).toBe(false);
    expect(v.isRevoked('long')).toBe(true);
    expect(await store.meta(list.id)).toEqual({ count: 1, limit: 50_000 });
    expect(await store.identifier(list.id, 'short')).toBeUndefined();
    expect(await store.identifiers(list.id)).toEqual({ items: [{ id: 'long', ttl: 5400 }], total: 1 });
    clock += 5400 * 1000;
    expect(v.isRevoked('long')).toBe(false);
    // Ended entries were removed from Redis by the next write, not only hidden.
    await store.add(list.id, checkAddBody([{ id: 'next', durationSeconds: 1800 }]));
    expect(await redis.zcard(revocationKeys(prefix).ids(list.id))).toBe(1);
  });

  it('pages the identifiers and counts them all', async () => {
    const list = await store.createList({ name: 'paging' });
    await store.add(list.id, Array.from({ length: 25 }, (_, i) => ({ id: `p${String(i).padStart(2, '0')}`, durationSeconds: 1800 + i })));
    const page = await store.identifiers(list.id, { offset: 10, limit: 10 });
    expect(page.total).toBe(25);
    expect(page.items.map((i) => i.id)).toEqual(Array.from({ length: 10 }, (_, i) => `p${String(i + 10).padStart(2, '0')}`));
  });

  it('two adds that each fit but together pass 50,000 cannot both pass: one is refused whole', async () => {
    const list = await store.createList({ name: 'limit' });
    for (let call = 0; call < 9; call++) {
      await store.add(list.id, Array.from({ length: 5000 }, (_, i) => ({ id: `c${call}-${i}`, durationSeconds: 1800 })));
    }
    expect((await store.meta(list.id)).count).toBe(45_000);
    const batch = (tag: string) => Array.from({ length: 3000 }, (_, i) => ({ id: `${tag}-${i}`, durationSeconds: 1800 }));
    const results = await Promise.allSettled([store.add(list.id, batch('x')), store.add(list.id, batch('y'))]);
    const passed = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(passed).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect(isVigilError(refused[0]?.reason, 'REVOCATION_LIST_FULL')).toBe(true);
    expect((refused[0]?.reason as Error).message).toContain(`holds 48000 live identifiers; adding 3000 more would pass its limit of 50000`);
    expect((await store.meta(list.id)).count).toBe(48_000);
    // Re-adding identifiers already there takes no room: it only moves their end.
    await expect(store.add(list.id, batch(passed.length === 1 && (await store.identifier(list.id, 'x-0')) ? 'x' : 'y'))).resolves.toEqual({ count: 48_000, limit: 50_000 });
  });

  it('refuses an add over 5,000 identifiers and a duration under 1,800 s before touching Redis', () => {
    const over = Array.from({ length: REVOCATION_LIMITS.maxIdsPerAdd + 1 }, (_, i) => ({ id: `o${i}`, durationSeconds: 1800 }));
    expect(() => checkAddBody(over)).toThrow(/names 5001 identifiers; one call may add at most 5000/);
    expect(() => checkAddBody([{ id: 'ok', durationSeconds: 1800 }, { id: 'quick', durationSeconds: 1799 }])).toThrow(/\/1\/durationSeconds is 1799 for "quick"; a revocation lasts at least 1800 seconds/);
  });

  it('a deleted list unrevokes its identifiers in the readers', async () => {
    const list = await store.createList({ name: 'deleted' });
    const v = view();
    await v.ready;
    await store.add(list.id, checkAddBody([{ id: 'gone', durationSeconds: 1800 }]));
    await eventually(() => v.isRevoked('gone'), 'revoked');
    await store.deleteList(list.id);
    await eventually(() => !v.isRevoked('gone'), 'unrevoked with its list');
    await expect(store.meta(list.id)).rejects.toThrow(/there is no revocation list/);
  });

  it('a reader that watches some lists ignores the others', async () => {
    const watchedList = await store.createList({ name: 'watched' });
    const other = await store.createList({ name: 'other' });
    const v = view({ lists: [watchedList.id] });
    await v.ready;
    await store.add(other.id, checkAddBody([{ id: 'elsewhere', durationSeconds: 1800 }]));
    await store.add(watchedList.id, checkAddBody([{ id: 'here', durationSeconds: 1800 }]));
    await eventually(() => v.isRevoked('here'), 'revoked in the watched list');
    expect(v.isRevoked('elsewhere')).toBe(false);
  });

  it('refuses an eleventh list', async () => {
    const existing = (await store.lists()).length;
    for (let i = existing; i < REVOCATION_LIMITS.maxLists; i++) await store.createList({ name: `fill-${i}` });
    await expect(store.createList({ name: 'one-too-many' })).rejects.toThrow(/10 revocation lists exist already/);
  });
});

describe('revocation view across a Redis restart (a private redis-server)', () => {
  let dir: string;
  let port: number;
  let server: ChildProcess | undefined;

  const start = async () => {
    server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const c = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      c.on('error', () => undefined);
      const up = await c.connect().then(() => c.ping(), () => 'down').finally(() => c.disconnect());
      if (up === 'PONG') return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`redis-server on port ${port} did not start`);
  };
  const stop = async () => {
    if (!server || server.exitCode !== null) return;
    const exited = new Promise((r) => server!.once('exit', r));
    server.kill('SIGKILL');
    await exited;
  };

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-rev-redis-'));
    port = await freePort();
    await start();
  });
  afterAll(async () => {
    await stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('reads the lists again on reconnect, picking up what was written while it was away', async () => {
    const prefix = '{vigil}';
    const writer = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: null, retryStrategy: () => 200 });
    writer.on('error', () => undefined);
    const store = revocationStore(writer, prefix);
    const list = await store.createList({ name: 'restart' });
    await store.add(list.id, checkAddBody([{ id: 'before', durationSeconds: 1800 }]));
    // Reconnects a second after a drop: time for the test to write behind its back.
    const v = openRevocationView({ port, host: '127.0.0.1' }, prefix, { redisOptions: { retryStrategy: () => 1000 } });
    try {
      await v.ready;
      expect(v.isRevoked('before')).toBe(true);
      await stop();
      await start();
      // The restarted server is empty; this write publishes nothing, so only a full read can bring it in.
      const keys = revocationKeys(prefix);
      await writer.hset(keys.lists, String(list.id), JSON.stringify({ id: list.id, name: 'restart', createdAt: Date.now() }));
      await writer.zadd(keys.ids(list.id), Date.now() + 1_800_000, 'while-away');
      expect(v.resyncs()).toBe(1);
      await eventually(() => v.resyncs() === 2, 'a second full read after the reconnect');
      expect(v.isRevoked('while-away')).toBe(true);
      // The copy mirrors Redis: what the restart lost is no longer revoked.
      expect(v.isRevoked('before')).toBe(false);
      // Events flow again after the reconnect.
      await store.add(list.id, checkAddBody([{ id: 'after', durationSeconds: 1800 }]));
      await eventually(() => v.isRevoked('after'), 'an add after the reconnect arrives by its event');
    } finally {
      await v.close();
      writer.disconnect();
    }
  });
});
