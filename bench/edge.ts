/**
 * `npm run bench:edge` (issue 13): segment requests per second through `vigil edge` (EdgeAuth token
 * check, revocation lookup, WMT, A/B choice) against a plain static file server of the same package
 * in the same run, both with BENCH_EDGE_WORKERS processes (default 2, node:cluster), loaded by wrk
 * on loopback (apt-get install -y wrk); and the time from a revocation (ZADD + PUBLISH in the layout
 * of edge/revocation-keys.ts, what the revocation API does) to the first 403 and to 403 on every
 * worker. Prints a table with met/missed; exits 1 when a goal is missed.
 * BENCH_REDIS_URL (default redis://127.0.0.1:6379), BENCH_SECONDS (5), BENCH_CONNECTIONS (64),
 * BENCH_RUNS (2: alternating static/edge, best of each), BENCH_REVOKED (10,000 other revoked ids).
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { revocationKeys } from '../edge/revocation-keys.js';
import { sessionTokens } from '../edge/session-tokens.js';
import { makeAbPackage } from '../test/support/ab-package.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const WORKERS = Number(process.env.BENCH_EDGE_WORKERS ?? 2);
const REVOKED = Number(process.env.BENCH_REVOKED ?? 10_000);
const TOKEN_KEY = randomBytes(32).toString('hex');
const WMT_KEY = randomBytes(32).toString('hex');
const PREFIX = `bench-edge-${randomBytes(3).toString('hex')}`;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => { const p = (s.address() as { port: number }).port; s.close(() => resolve(p)); });
  });
}

function startProcess(args: string[], env: Record<string, string>, ready: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start: ${out}`)), 60_000);
    const onData = (d: Buffer): void => { out += d.toString(); if (ready.test(out)) { clearTimeout(timer); resolve(child); } };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${args.join(' ')} exited ${code}: ${out}`)); });
  });
}

function wrk(base: string, paths: string[], script: string): Promise<{ rps: number; non2xx: number; p99: string }> {
  return wrkFor(SECONDS, base, paths, script);
}

async function wrkFor(seconds: number, base: string, paths: string[], script: string): Promise<{ rps: number; non2xx: number; p99: string }> {
  await writeFile(script, `local paths = {${paths.map((p) => JSON.stringify(p)).join(',')}}\nlocal i = 0\nrequest = function()\n  i = i + 1\n  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n`);
  const { stdout } = await run('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', '-s', script, base], { timeout: (seconds + 30) * 1000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
  const p99 = /\s99%\s+(\S+)/.exec(stdout)?.[1] ?? '?';
  return { rps, non2xx, p99 };
}

const dir = await mkdtemp(path.join(tmpdir(), 'vigil-bench-edge-'));
const redis = new Redis(REDIS_URL);
const children: ChildProcess[] = [];
try {
  const manifest = await makeAbPackage(dir, { contentId: 'bench-film', seconds: 12 });
  const queuePrefix = `{${PREFIX}}`;
  const keys = revocationKeys(queuePrefix);
  // A list that is not empty: the lookups run against REVOKED other sessions.
  await redis.hset(keys.lists, '1', JSON.stringify({ id: 1, name: 'bench', createdAt: new Date().toISOString() }));
  const until = Date.now() + 3_600_000;
  for (let i = 0; i < REVOKED; i += 1000) {
    const args: (string | number)[] = [];
    for (let j = i; j < Math.min(REVOKED, i + 1000); j++) args.push(until, `revoked-${j}`);
    await redis.zadd(keys.ids(1), ...args);
  }
  const edgePort = await freePort();
  const staticPort = await freePort();
  children.push(await startProcess(['cli/run.ts', 'edge', '--package', dir, '--port', String(edgePort), '--workers', String(WORKERS)], {
    REDIS_URL, VIGIL_QUEUE_PREFIX: PREFIX, VIGIL_EDGE_TOKEN_KEY: TOKEN_KEY, VIGIL_WMT_KEY: WMT_KEY, VIGIL_LOG_LEVEL: 'warn',
  }, /serving/));
  children.push(await startProcess(['bench/edge-static.ts', dir, String(staticPort), String(WORKERS)], {}, /static listening/));
  const now = new Date();
  const session = { id: randomBytes(16).toString('base64url'), watermarkId: 4242, viewer: 'bench', contentId: 'bench-film', package: dir, issuedAt: new Date(now.getTime() - 1000), expiresAt: new Date(now.getTime() + 3_600_000), revokedAt: null, issuedBy: 'bench' };
  const tokens = sessionTokens({ tokenKey: TOKEN_KEY, wmtKey: WMT_KEY }, session, { packageName: 'bench-film', playlist: manifest.playlist, publicUrl: '' });
  const prefix = tokens.playlistUrl.slice(0, tokens.playlistUrl.length - manifest.playlist.length);
  const edgePaths = manifest.segments.map((s) => `${prefix}${s.uri}`);
  const staticPaths = manifest.segments.map((s) => `/A/${s.uri}`);
  // Workers start (and read the revocation lists) asynchronously: wait until both servers answer 200 on fresh connections.
  const ready = async (url: string): Promise<void> => {
    for (let ok = 0, i = 0; ok < 10; i++) {
      if (i > 600) throw new Error(`${url} did not answer 200 within a minute`);
      const r = await fetch(url, { headers: { connection: 'close' } }).catch(() => undefined);
      if (r) await r.arrayBuffer();
      if (r?.status === 200) ok++; else { ok = 0; await new Promise((res) => setTimeout(res, 100)); }
    }
  };
  await ready(`http://127.0.0.1:${edgePort}${edgePaths[1]}`);
  await ready(`http://127.0.0.1:${staticPort}${staticPaths[1]}`);
  const script = path.join(dir, 'paths.lua');
  type WrkRun = Awaited<ReturnType<typeof wrk>>;
  const staticRuns: WrkRun[] = [];
  const edgeRuns: WrkRun[] = [];
  // Warm-up (JIT, connection setup) for both before anything is measured.
  await wrkFor(1, `http://127.0.0.1:${staticPort}`, staticPaths, script);
  await wrkFor(1, `http://127.0.0.1:${edgePort}`, edgePaths, script);
  for (let i = 0; i < RUNS; i++) {
    staticRuns.push(await wrk(`http://127.0.0.1:${staticPort}`, staticPaths, script));
    edgeRuns.push(await wrk(`http://127.0.0.1:${edgePort}`, edgePaths, script));
  }
  const best = (runs: WrkRun[]): WrkRun => runs.reduce((a, b) => (b.rps > a.rps ? b : a));
  const s = best(staticRuns);
  const e = best(edgeRuns);

  // Revocation → 403: the time to the first refused request, and to 20 fresh connections (spread over the workers) all refused.
  const t0 = performance.now();
  await redis.zadd(keys.ids(1), Date.now() + 3_600_000, session.id);
  await redis.publish(keys.events, JSON.stringify({ listId: 1, op: 'add', ids: [session.id], until: Date.now() + 3_600_000 }));
  let first = Number.NaN;
  let all = Number.NaN;
  const url = `http://127.0.0.1:${edgePort}${edgePaths[2]}`;
  while (performance.now() - t0 < 5000 && Number.isNaN(all)) {
    const statuses = await Promise.all(Array.from({ length: 20 }, () => fetch(url, { headers: { connection: 'close' } }).then(async (r) => { await r.arrayBuffer(); return r.headers.get('x-vigil-deny'); })));
    const refused = statuses.filter((x) => x === 'session-revoked').length;
    if (refused > 0 && Number.isNaN(first)) first = performance.now() - t0;
    if (refused === statuses.length) all = performance.now() - t0;
  }

  const rows: [string, string, string, boolean | undefined][] = [
    [`static server (${WORKERS} proc, in-memory files), req/s`, s.rps.toFixed(0), '', undefined],
    [`vigil edge (${WORKERS} proc): token + revocation (${REVOKED} ids) + WMT + A/B, req/s`, e.rps.toFixed(0), '>= 10000', e.rps >= 10_000],
    ['edge / static', (e.rps / s.rps).toFixed(2), '>= 0.8', e.rps / s.rps >= 0.8],
    ['p99 latency static / edge', `${s.p99} / ${e.p99}`, '', undefined],
    ['non-2xx answers under load (static, edge)', `${s.non2xx}, ${e.non2xx}`, '0', s.non2xx + e.non2xx === 0],
    ['revocation -> first 403, ms', first.toFixed(0), '<= 1000', first <= 1000],
    ['revocation -> 403 on 20 fresh connections, ms', all.toFixed(0), '<= 1000', all <= 1000],
  ];
  console.log(`\nbench:edge: ${manifest.segments.length} segments of ~8 KB, wrk -t2 -c${CONNECTIONS} -d${SECONDS}s, best of ${RUNS} (runs: static ${staticRuns.map((r) => r.rps.toFixed(0)).join(', ')}; edge ${edgeRuns.map((r) => r.rps.toFixed(0)).join(', ')})\n`);
  console.log(`| ${'measure'.padEnd(76)} | ${'value'.padStart(15)} | ${'goal'.padEnd(9)} |        |`);
  console.log(`|${'-'.repeat(78)}|${'-'.repeat(17)}|${'-'.repeat(11)}|--------|`);
  for (const [name, value, goal, ok] of rows) console.log(`| ${name.padEnd(76)} | ${value.padStart(15)} | ${goal.padEnd(9)} | ${ok === undefined ? '      ' : ok ? 'met   ' : 'MISSED'} |`);
  const missed = rows.filter((r) => r[3] === false).length;
  console.log(missed === 0 ? '\nall goals met' : `\n${missed} goal(s) missed`);
  process.exitCode = missed === 0 ? 0 : 1;
} finally {
  for (const c of children) c.kill('SIGTERM');
  const keys = await redis.keys(`{${PREFIX}}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
  await rm(dir, { recursive: true, force: true });
}
