/**
 * npm run bench:web: the web view's findings page with the CLI's filters on 100,000 findings
 * (BENCH_WEB_FINDINGS), seeded set-based (bench/web/seed.ts) into a scratch database with
 * migration 0019's indexes. For each filter, BENCH_WEB_REQUESTS requests one after another through
 * real HTTP to `startWebServer` (development sign-in on loopback): the p50/p95 of the server time
 * each page reports (Server-Timing: the queries, the filter form's choices and the HTML), against
 * the bare indexed query that page runs, timed on the same pool in the same run (the baseline), and
 * their ratio. Goal (issue 15): page p95 ≤ 100 ms. Prints the load average; exits 1 when missed.
 */
import os from 'node:os';
import { hasErrors } from '../core/catalog/diagnostics.js';
import { loadCatalog } from '../core/catalog/load.js';
import { loadConfig } from '../core/config.js';
import { openDatabase } from '../core/db/database.js';
import { queryFindings } from '../core/db/findings.js';
import { parseFindingFilters } from '../core/finding-filters.js';
import { silentLogger } from '../core/log.js';
import { apply } from '../reconciler/apply.js';
import { desiredState } from '../reconciler/desired.js';
import { findingsRequestOf } from '../web/pages/findings.js';
import { startWebServer } from '../web/server.js';
import { createScratchDatabase } from './scratch-database.js';
import { seedCatalogDocs, seedFindings } from './web/seed.js';

const FINDINGS = Number(process.env.BENCH_WEB_FINDINGS ?? 100_000);
const REQUESTS = Number(process.env.BENCH_WEB_REQUESTS ?? 200);
const WARMUP = 20;
const P95_GOAL_MS = 100;

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

const scratch = await createScratchDatabase(`vigil_bench_web_${Date.now().toString(36)}`);
const config = { ...loadConfig({ DATABASE_URL: scratch.url, VIGIL_LOG_LEVEL: 'silent', VIGIL_HOME: '/tmp/vigil-bench-web' }), web: { ...loadConfig({}).web, auth: 'dev' as const } };
const db = await openDatabase(config, silentLogger);
try {
  const loaded = loadCatalog(seedCatalogDocs().map((content, i) => ({ path: `doc${i}.yaml`, content })));
  if (hasErrors(loaded.diagnostics)) throw new Error(JSON.stringify(loaded.diagnostics));
  await apply(db.pool, desiredState(loaded.catalog), { source: 'bench', actor: 'bench' });
  const seedStart = performance.now();
  // Every 5 minutes back from now: 100,000 findings span about a year.
  await seedFindings(db.pool, { count: FINDINGS, newest: new Date(), stepMinutes: 5, withJobs: true });
  const seedSeconds = (performance.now() - seedStart) / 1000;
  const { rows: mid } = await db.pool.query<{ id: string }>('select id from findings order by first_seen desc, id desc limit 1 offset $1', [Math.floor(FINDINGS / 2)]);
  const middle = mid[0]!.id;
  const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString().slice(0, 10);
  const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);

  const cases: { name: string; qs: string }[] = [
    { name: 'no filter, first page', qs: '' },
    { name: 'takedown Available', qs: 'takedown=Available' },
    { name: 'family + 2 takedown statuses', qs: 'family=toonhub&takedown=In+Progress&takedown=Complete' },
    { name: 'title id + period in Asia/Seoul', qs: `content=iron-orchid&from=${monthAgo}&to=${weekAgo}&tz=Asia/Seoul` },
    { name: 'detection Failed + takedown Failed', qs: 'detection=Failed&takedown=Failed' },
    { name: 'host (with subdomains)', qs: 'link=fastlocker.example' },
    { name: 'title text (any of its names)', qs: 'title=orchid' },
    { name: `page after #${middle} (deep keyset page)`, qs: `takedown=Ignore&after=${middle}` },
    // The worst cases: nothing matches, so no page fills early and every candidate is looked at.
    { name: 'statuses nothing has (empty page)', qs: 'takedown=Failed&detection=Available' },
    { name: 'title text nothing has (empty page)', qs: 'title=no-such-title' },
    { name: 'host nothing has (empty page)', qs: 'link=no-such-host.example' },
  ];

  const web = await startWebServer({ pool: db.pool, config, log: silentLogger, host: '127.0.0.1', port: 0 });
  const results: { name: string; p50: number; p95: number; bare50: number; bare95: number; rows: number }[] = [];
  try {
    for (const c of cases) {
      const params = new URLSearchParams(c.qs);
      const request = findingsRequestOf(params);
      const query = { ...parseFindingFilters(request.filters).query, ...(request.afterId ? { afterId: request.afterId } : {}), limit: request.limit + 1 };
      const page: number[] = [];
      const bare: number[] = [];
      let rows = 0;
      for (let i = 0; i < WARMUP + REQUESTS; i++) {
        const res = await fetch(`${web.url}/findings?${c.qs}`);
        const body = await res.text();
        if (res.status !== 200) throw new Error(`${c.name}: HTTP ${res.status}: ${body.slice(0, 300)}`);
        const dur = Number(/app;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1]);
        // The baseline: the same indexed query, alone, on the same pool, interleaved so both see the same load.
        const t0 = performance.now();
        const found = await queryFindings(db.pool, query);
        const t1 = performance.now() - t0;
        if (i >= WARMUP) { page.push(dur); bare.push(t1); rows = found.length; }
      }
      results.push({ name: c.name, p50: percentile(page, 50), p95: percentile(page, 95), bare50: percentile(bare, 50), bare95: percentile(bare, 95), rows: Math.min(rows, request.limit) });
    }
  } finally {
    await web.close();
  }

  const load = os.loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`\nbench:web: ${FINDINGS.toLocaleString('en')} findings (seeded in ${seedSeconds.toFixed(1)} s), ${REQUESTS} requests per filter after ${WARMUP} to warm up; ${os.cpus().length} cores, load average ${load}\n`);
  console.log('| findings page filter                              | rows | page p50 ms | page p95 ms | bare p50 ms | bare p95 ms | p95 ratio | goal p95 ≤ 100 ms |');
  console.log('| ------------------------------------------------- | ---- | ----------- | ----------- | ----------- | ----------- | --------- | ----------------- |');
  for (const r of results) {
    console.log(`| ${r.name.padEnd(49)} | ${String(r.rows).padStart(4)} | ${r.p50.toFixed(2).padStart(11)} | ${r.p95.toFixed(2).padStart(11)} | ${r.bare50.toFixed(2).padStart(11)} | ${r.bare95.toFixed(2).padStart(11)} | ${`× ${(r.p95 / r.bare95).toFixed(2)}`.padStart(9)} | ${(r.p95 <= P95_GOAL_MS ? 'met' : 'MISSED').padEnd(17)} |`);
  }
  const missed = results.filter((r) => r.p95 > P95_GOAL_MS);
  console.log(missed.length === 0 ? '\nall goals met' : `\n${missed.length} filter(s) missed the p95 goal of ${P95_GOAL_MS} ms: ${missed.map((m) => m.name).join('; ')}`);
  process.exitCode = missed.length === 0 ? 0 : 1;
} finally {
  await db.close();
  await scratch.drop();
}
