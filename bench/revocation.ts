/**
 * `npm run bench:revocation`: issue 13's revocation figures, against the local Redis
 * (`BENCH_REDIS_URL`, default redis://127.0.0.1:6379) under a key prefix of its own, removed after,
 * and a scratch database on BENCH_DATABASE_URL's server, where every add is put on record as the API
 * does in production (core/revocation.ts: sessions named, pushes owed), dropped after.
 *
 * 1. Revocation → seen by an edge in ANOTHER process: the revocation API (edge/revocation-api.ts)
 *    serves on loopback in this process; bench/revocation-reader.ts keeps a revocation view
 *    (edge/revocation-view.ts) in a child process. Per trial (`BENCH_REVOCATION_TRIALS`, default 50)
 *    the child is told a fresh session id, this process POSTs it to …/identifiers/add, and the child
 *    reports when isRevoked(id) first turns true. Since the edge's 403 is decided by that
 *    synchronous call on the request's path, this is the revocation-to-first-403 time minus one
 *    request. Both ends read the same system clock (performance.timeOrigin + now()); from the call's
 *    return it can be negative: the edge may see the event before the caller reads its answer.
 *    Goal (issue 13): ≤ 1 s, for the median and the max.
 * 2. Adds of 5,000 identifiers through the HTTP API (`BENCH_REVOCATION_BULK_CALLS`, default 20): calls/s
 *    and identifiers/s, each list filled to its 50,000 limit then replaced.
 * 3. A fresh view's full read of a 50,000-identifier list (what an edge does at start and on reconnect).
 * Exits 1 when a goal is missed.
 */
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '../core/config.js';
import { openDatabase } from '../core/db/database.js';
import { silentLogger } from '../core/log.js';
import { revocationApiHandler } from '../edge/revocation-api.js';
import { revocationStore } from '../edge/revocation-store.js';
import { openRevocationView } from '../edge/revocation-view.js';
import { createScratchDatabase } from './scratch-database.js';

const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TRIALS = Number(process.env.BENCH_REVOCATION_TRIALS ?? 50);
const BULK_CALLS = Number(process.env.BENCH_REVOCATION_BULK_CALLS ?? 20);
const PREFIX = `{bench-rev-${randomBytes(4).toString('hex')}}`;
const KEY = randomBytes(24).toString('hex');
const clock = () => performance.timeOrigin + performance.now();

const redis = new Redis(REDIS_URL);
const store = revocationStore(redis, PREFIX);
// Every add is put on record as the API does it in production (core/revocation.ts): a scratch database.
const scratch = await createScratchDatabase(`bench_revocation_${randomBytes(4).toString('hex')}`);
const db = await openDatabase(loadConfig({ DATABASE_URL: scratch.url, VIGIL_LOG_LEVEL: 'silent' }), silentLogger);
const handler = revocationApiHandler({ store, revoker: { pool: db.pool, lists: store, mirrors: [] }, apiKey: KEY, log: silentLogger });
const server = http.createServer((req, res) => { if (!handler(req, res)) { res.writeHead(404); res.end(); } });
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/taas/v2/revocation-lists`;
const post = async (p: string, body: unknown) => {
  const response = await fetch(`${base}${p}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = await response.json() as { id?: number; detail?: string };
  if (!response.ok) throw new Error(`${p}: ${response.status} ${json.detail ?? ''}`);
  return json;
};
const del = (p: string) => fetch(`${base}${p}`, { method: 'DELETE', headers: { authorization: `Bearer ${KEY}` } });

type ChildMessage = { ready?: boolean; watching?: string; seen?: string; at?: number };
const child = fork(path.join(import.meta.dirname, 'revocation-reader.ts'), [], {
  env: { ...process.env, BENCH_REDIS_URL: REDIS_URL, BENCH_PREFIX: PREFIX },
  execArgv: ['--import', 'tsx'],
});
const waitFor = (match: (m: ChildMessage) => boolean) => new Promise<ChildMessage>((resolve) => {
  const on = (m: ChildMessage) => { if (match(m)) { child.off('message', on); resolve(m); } };
  child.on('message', on);
});

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = Math.floor(s.length / 2); return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const rows: string[] = [];
const row = (name: string, value: string, goal: string, ok?: boolean) =>
  rows.push(`| ${name.padEnd(80)} | ${value.padStart(14)} | ${goal.padEnd(8)} | ${ok === undefined ? '' : ok ? 'met' : 'MISSED'} |`);

try {
  const list = await post('', { name: 'bench-latency' });
  await waitFor((m) => m.ready === true);
  const fromReturn: number[] = [];
  const fromStart: number[] = [];
  for (let i = 0; i < TRIALS; i++) {
    const id = `bench-session-${i}-${randomBytes(3).toString('hex')}`;
    const watching = waitFor((m) => m.watching === id);
    child.send({ watch: id });
    await watching;
    const seen = waitFor((m) => m.seen === id);
    const start = clock();
    await post(`/${list.id}/identifiers/add`, [{ id, durationSeconds: 1800 }]);
    const returned = clock();
    const { at } = await seen;
    fromReturn.push(at! - returned);
    fromStart.push(at! - start);
  }

  // Bulk adds: 5,000 ids a call; a list is full after 10, so a new one takes its place.
  let bulkList = (await post('', { name: 'bench-bulk-0' })).id!;
  let inList = 0;
  let timed = 0;
  for (let call = 0; call < BULK_CALLS; call++) {
    if (inList === 50_000) {
      await del(`/${bulkList}`);
      bulkList = (await post('', { name: `bench-bulk-${call}` })).id!;
      inList = 0;
    }
    const items = Array.from({ length: 5000 }, (_, i) => ({ id: `bulk-${call}-${i}-${randomBytes(4).toString('hex')}`, durationSeconds: 3600 }));
    const t0 = clock();
    await post(`/${bulkList}/identifiers/add`, items);
    timed += clock() - t0;
    inList += 5000;
  }
  // Fill the current list to 50,000 (untimed) for the full-read figure.
  while (inList < 50_000) {
    await post(`/${bulkList}/identifiers/add`, Array.from({ length: 5000 }, (_, i) => ({ id: `fill-${inList}-${i}`, durationSeconds: 3600 })));
    inList += 5000;
  }
  const u = new URL(REDIS_URL);
  const t0 = clock();
  const fresh = openRevocationView({ host: u.hostname, port: Number(u.port || 6379) }, PREFIX);
  await fresh.ready;
  const readMs = clock() - t0;
  const held = fresh.size();
  await fresh.close();

  const ms = (x: number) => `${x.toFixed(1)} ms`;
  row(`revocation call returned → isRevoked true in another process, median (${TRIALS})`, ms(median(fromReturn)), '≤ 1 s', median(fromReturn) <= 1000);
  row(`revocation call returned → isRevoked true in another process, max`, ms(Math.max(...fromReturn)), '≤ 1 s', Math.max(...fromReturn) <= 1000);
  row(`revocation call started → isRevoked true in another process, median`, ms(median(fromStart)), '', undefined);
  row(`revocation call started → isRevoked true in another process, max`, ms(Math.max(...fromStart)), '', undefined);
  row(`adds of 5,000 identifiers through the HTTP API (${BULK_CALLS} calls)`, `${(BULK_CALLS / (timed / 1000)).toFixed(1)} calls/s`, '', undefined);
  row(`  identifiers revoked per second`, `${Math.round((BULK_CALLS * 5000) / (timed / 1000))} ids/s`, '', undefined);
  row(`a new view's full read: ${held} identifiers (a full list and the latency list)`, ms(readMs), '', undefined);
  console.log(`| ${'measure'.padEnd(80)} | ${'value'.padStart(14)} | ${'goal'.padEnd(8)} | result |`);
  console.log(`| ${'-'.repeat(80)} | ${'-'.repeat(14)} | ${'-'.repeat(8)} | ------ |`);
  for (const line of rows) console.log(line);
} finally {
  child.send({ exit: true });
  await new Promise((r) => server.close(r));
  const keys = await redis.keys(`${PREFIX}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await db.close();
  await scratch.drop();
}
const missed = rows.filter((l) => l.endsWith('| MISSED |')).length;
console.log(missed === 0 ? '\nall goals met' : `\n${missed} goal(s) missed`);
process.exit(missed === 0 ? 0 : 1);
