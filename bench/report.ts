/**
 * npm run bench:report: the reports of issue 15 on a large seeded scratch database (BENCH_DATABASE_URL).
 * - creator figures: one creator's BENCH_REPORT_WORKS (10) works with BENCH_REPORT_FINDINGS (100,000)
 *   findings between them in the quarter (and as many of another creator's, which must not be read),
 *   60% removed (an audit row each, some twice): loadWorks + creatorReport, median of BENCH_RUNS (5),
 *   against a bare indexed scan of the same findings (count by host) in the same run.
 * - the whole creator report once: figures, 2 charts per work (Vega SVG + resvg PNG) and the PDF (Chromium).
 * - usage: BENCH_REPORT_JOBS (2,000) monitoring jobs with 4 history entries each: loadUsageJobs +
 *   usageRows for one month, against a bare read of the history table.
 * The issue sets no time goal for reports; the figures and the load average (os.loadavg) are printed.
 */
import os from 'node:os';
import { hasErrors } from '../core/catalog/diagnostics.js';
import { loadCatalog } from '../core/catalog/load.js';
import { loadConfig } from '../core/config.js';
import { openDatabase } from '../core/db/database.js';
import { silentLogger } from '../core/log.js';
import { apply } from '../reconciler/apply.js';
import { desiredState } from '../reconciler/desired.js';
import { creatorReport } from '../runners/report/creator.js';
import { findCreator, loadWorks } from '../runners/report/creator-data.js';
import { makeCreatorReport } from '../runners/report/creator-run.js';
import { parseMonth, parseQuarter } from '../runners/report/period.js';
import { usageRows } from '../runners/report/usage.js';
import { loadUsageJobs } from '../runners/report/usage-data.js';
import { createScratchDatabase } from './scratch-database.js';

const FINDINGS = Number(process.env.BENCH_REPORT_FINDINGS ?? 100_000);
const WORKS = Number(process.env.BENCH_REPORT_WORKS ?? 10);
const JOBS = Number(process.env.BENCH_REPORT_JOBS ?? 2000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

function load(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

async function medianMs(work: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i += 1) times.push((await timed(work)).ms);
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

const content = (id: string, creator: string): string =>
  `apiVersion: vigil/v1\nkind: Content\nmetadata:\n  id: ${id}\nspec:\n  type: film\n  title: Work ${id}\n  releaseDate: 2026-01-01\n  creator: { name: ${creator} }\n`;
const job = (id: string, contentId: string): string =>
  `apiVersion: vigil/v1\nkind: MonitoringJob\nmetadata:\n  id: ${id}\nspec:\n  content: ${contentId}\n  start: 2026-01-01\n`;

async function main(): Promise<void> {
  const loadBefore = load();
  const scratch = await createScratchDatabase(`vigil_bench_report_${process.pid}`);
  const db = await openDatabase(loadConfig({ DATABASE_URL: scratch.url, VIGIL_LOG_LEVEL: 'silent' }), silentLogger);
  try {
    const pool = db.pool;
    const docs: string[] = [];
    for (let w = 0; w < WORKS; w += 1) docs.push(content(`mine-${w}`, 'Bench Creator'), content(`other-${w}`, 'Other Creator'));
    for (let j = 0; j < JOBS; j += 1) docs.push(content(`title-${j}`, 'Catalog'), job(`job-${j}`, `title-${j}`));
    const loaded = loadCatalog(docs.map((text, i) => ({ path: `d${i}.yaml`, content: text })));
    if (hasErrors(loaded.diagnostics)) throw new Error(JSON.stringify(loaded.diagnostics.slice(0, 3)));
    await apply(pool, desiredState(loaded.catalog), { source: 'bench', actor: 'bench', now: new Date('2026-12-01T00:00:00Z') });

    // Findings over the quarter and a little around it; 60% removed within 20 days, a fifth of those twice.
    await pool.query(
      `insert into findings (content_id, url, normalized_url, host, site_id, family, source, score, first_seen, last_seen, takedown_status)
       select c, 'https://h' || (i % 300) || '.example/' || i, 'h' || (i % 300) || '.example/' || i, 'h' || (i % 300) || '.example',
              case when i % 3 = 0 then 'site-' || (i % 40) end, 'fam-' || (i % 12), 'web', 9, t, t,
              case when i % 10 < 6 then 'Complete' when i % 10 = 6 then 'Ignore' else 'In Progress' end
       from (select i, (case when i % 2 = 0 then 'mine-' else 'other-' end) || ((i / 2) % $2) as c,
                    timestamptz '2026-06-25' + (i % 104) * interval '1 day' + (i % 86400) * interval '1 second' as t
             from generate_series(1, $1 * 2) as i) s`, [FINDINGS, WORKS]);
    await pool.query(
      `insert into audit_log (at, actor, action, object_kind, object_id, details)
       select f.first_seen + (f.id % 480) * interval '1 hour', 'bench', 'takedown-status', 'Finding', f.id::text, '{"to": "Complete"}'::jsonb
       from findings f where f.takedown_status = 'Complete'
       union all
       select f.first_seen + (f.id % 480 + 100) * interval '1 hour', 'bench', 'takedown-status', 'Finding', f.id::text, '{"to": "Complete"}'::jsonb
       from findings f where f.takedown_status = 'Complete' and f.id % 5 = 0`);
    await pool.query(`delete from monitoring_job_history`);
    await pool.query(
      `insert into monitoring_job_history (job_id, content_id, status, tier, start_date, stop_date, at)
       select j.id, j.content_id, s.status, s.tier, '2026-01-01', null, s.at from monitoring_jobs j
       cross join lateral (values ('Scheduled', 'standard', timestamptz '2025-12-01'), ('Monitoring', 'standard', timestamptz '2026-01-01'),
                                  ('Monitoring', 'premium', timestamptz '2026-07-10' + (hashtext(j.id) & 15) * interval '1 day'),
                                  ('Stopped', 'premium', timestamptz '2026-07-20' + (hashtext(j.id) & 31) * interval '1 day')) as s(status, tier, at)`);
    await pool.query('analyze');

    const quarter = parseQuarter('2026-Q3');
    const creator = await findCreator(pool, 'Bench Creator');
    let found = 0;
    const figures = await medianMs(async () => {
      const report = creatorReport(creator, quarter, await loadWorks(pool, creator.contentIds, quarter));
      found = report.totals.found;
    });
    const bare = await medianMs(() => pool.query(
      `select host, count(*) from findings where content_id = any($1) and first_seen >= $2 and first_seen < $3 group by host`, [creator.contentIds, quarter.start, quarter.end]));
    const whole = await timed(() => makeCreatorReport(pool, creator, quarter));

    const month = parseMonth('2026-07');
    let billable = 0;
    const usage = await medianMs(async () => {
      billable = usageRows(await loadUsageJobs(pool, month), month, new Date()).filter((r) => r.billable).length;
    });
    const usageBare = await medianMs(() => pool.query('select job_id, status, tier, at from monitoring_job_history where at < $1', [month.end]));

    const rows: [string, string, string, string][] = [
      [`creator figures (${found.toLocaleString('en')} links, ${WORKS} works)`, `${figures.toFixed(0)} ms`, `${bare.toFixed(0)} ms`, (figures / bare).toFixed(1)],
      [`whole creator report (${whole.value.charts.length} charts + PDF ${(whole.value.pdf.length / 1024).toFixed(0)} KiB)`, `${whole.ms.toFixed(0)} ms`, '—', '—'],
      [`usage ${month.label} (${JOBS} jobs, ${billable} billable)`, `${usage.toFixed(0)} ms`, `${usageBare.toFixed(0)} ms`, (usage / usageBare).toFixed(1)],
    ];
    const widths = [0, 1, 2, 3].map((i) => Math.max(...[['measure', 'time', 'baseline (bare query)', 'ratio'], ...rows].map((r) => r[i]!.length)));
    for (const r of [['measure', 'time', 'baseline (bare query)', 'ratio'], ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
    console.log(`median of ${RUNS} runs; load average before ${loadBefore}, after ${load()} (${os.cpus().length} cores). No time goal is set for reports.`);
  } finally {
    await db.close();
    await scratch.drop();
  }
}

await main();
