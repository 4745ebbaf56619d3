/**
 * npm run bench:takedown: findings → notices → sent over SMTP and recorded, against the local
 * PostgreSQL (a scratch database) and Redis (a prefix of its own), with met/missed against issue 11.
 * Findings (Available) are made before any clock starts, on BENCH_TAKEDOWN_HOSTS (200) hosts whose
 * Sites name a takedown e-mail (no RDAP). What each row measures:
 * - automatic takedown (the goal, ≥ 2,000 URLs/s): BENCH_TAKEDOWN_FINDINGS (default 20,000: at the reference
 *   load, a million URLs a day, a contact's notice fills up to the Policy's cap; 5,000 on 200 hosts made
 *   25-URL notices and left the fixed batch window a third of the time) findings
 *   requested the way automatic takedown after a monitoring round and "take down all" request them:
 *   actOnFindings in batches of BENCH_TAKEDOWN_BATCH (500), BENCH_TAKEDOWN_WRITERS (2) batches in
 *   flight → the outbox relay (addBulk) → the real takedown worker (compose per batch window, one
 *   notice per contact, notices sent BENCH_TAKEDOWN_CONCURRENCY at a time) → a real SMTP server →
 *   receipts, In Progress. As in production, the worker (with its relay and pool: takedown-worker.ts)
 *   and the SMTP server (takedown-mail.ts, which counts the mails and URLs it received) are processes
 *   of their own; this one makes the requests and watches the database. URLs/s from the first request to the last finding In Progress
 *   (the batch window, BENCH_TAKEDOWN_WAIT_SECONDS = 1, plus its second of grace, is inside it).
 * - single click: BENCH_TAKEDOWN_SINGLE (500) other findings, each by actOnFinding (a Slack click),
 *   8 at a time, after the automatic run is over; the same path to In Progress, timed the same way.
 * - baseline in the same run: plain one-row INSERTs of as many finding-sized rows as the automatic
 *   run took down (and one notice-sized row per notice it sent), 8 connections; the ratios are printed.
 * - re-checks: every notice's first re-check job (one per notice, for all its links) promoted to due and
 *   run by the worker against a local HTTP server answering 404 for half the hosts and 200 for the other
 *   half; checks (links) per second, from the wait for the delayed jobs to the last check recorded.
 * - the load average (os.loadavg) before and after, so a reader can judge a figure from a shared machine.
 * Exits 1 when a goal is missed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { openQueue } from '../core/bullmq.js';
import { hasErrors } from '../core/catalog/diagnostics.js';
import { loadCatalog } from '../core/catalog/load.js';
import { loadConfig } from '../core/config.js';
import { openDatabase } from '../core/db/database.js';
import { actOnFinding, actOnFindings } from '../core/db/finding-actions.js';
import { recordFinding } from '../core/db/findings.js';
import { silentLogger } from '../core/log.js';
import { QUEUES } from '../core/queues.js';
import { openRedis } from '../core/redis.js';
import { hostOf, normalizeUrl } from '../core/url.js';
import { apply } from '../reconciler/apply.js';
import { desiredState } from '../reconciler/desired.js';
import { createScratchDatabase } from './scratch-database.js';

const FINDINGS = Number(process.env.BENCH_TAKEDOWN_FINDINGS ?? 20000);
const SINGLE = Number(process.env.BENCH_TAKEDOWN_SINGLE ?? 500);
const HOSTS = Number(process.env.BENCH_TAKEDOWN_HOSTS ?? 200);
/** Findings per bulk request (a round's automatic takedowns), and bulk requests in flight at once. */
const BATCH = Number(process.env.BENCH_TAKEDOWN_BATCH ?? 500);
const WRITERS = Number(process.env.BENCH_TAKEDOWN_WRITERS ?? 2);
/** Slack clicks in flight at once, and the connections the fixtures and the baseline use. */
const CLICKS = 8;
const CONCURRENCY = Number(process.env.BENCH_TAKEDOWN_CONCURRENCY ?? 8);
/** The Policy's batch.waitSeconds: a longer window puts more of a contact's links in one notice. */
const WAIT_SECONDS = Number(process.env.BENCH_TAKEDOWN_WAIT_SECONDS ?? 1);
const URLS_GOAL = 2000;

const run = `${Date.now().toString(36)}_${process.pid}`;
const scratch = await createScratchDatabase(`vigil_bench_takedown_${run}`);
const site = (i: number): string => `host-${i}.example`;

/** Half the hosts have taken their links down (404), the other half still serve them (200). */
const pages = http.createServer((req, res) => {
  const host = (req.headers.host ?? '').split(':')[0] ?? '';
  const n = Number(/host-(\d+)\./.exec(host)?.[1] ?? 0);
  if (n % 2 === 0) { res.writeHead(404, { 'content-type': 'text/html' }).end('<html><title>404 Not Found</title></html>'); return; }
  res.writeHead(200, { 'content-type': 'text/html' }).end('<html><head><title>Moonlit Harbor - watch free</title></head><body><video src="/v.mp4"></video></body></html>');
});
await new Promise<void>((r) => pages.listen(0, '127.0.0.1', () => r()));
const port = (pages.address() as AddressInfo).port;
const resolve = Array.from({ length: HOSTS }, (_, i) => `${site(i)}:${port}:127.0.0.1`);

const configEnv = {
  DATABASE_URL: scratch.url, REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379', VIGIL_QUEUE_PREFIX: `bench-takedown-${run}`,
  VIGIL_HOME: mkdtempSync(path.join(os.tmpdir(), 'vigil-bench-takedown-')), VIGIL_LOG_LEVEL: 'silent',
  VIGIL_CRAWL_ALLOW_PRIVATE: '1', VIGIL_CRAWL_RESOLVE: resolve.join(','),
};
const config = loadConfig(configEnv);
const db = await openDatabase(config, silentLogger);
const redis = await openRedis(config, silentLogger);
const pool = db.pool;

/** A process of the bench's own (a .ts file beside this one), and its messages. */
function child(file: string, env: Record<string, string>): { process: ChildProcess; next: <T>(has: (m: T) => boolean) => Promise<T> } {
  const proc = fork(path.join(import.meta.dirname, file), [], { env: { ...process.env, ...env }, execArgv: ['--import', 'tsx'] });
  const exited = new Promise<never>((_, reject) => proc.once('exit', (code) => reject(new Error(`bench:takedown: ${file} exited (${code})`))));
  exited.catch(() => undefined);
  return {
    process: proc,
    next: <T>(has: (m: T) => boolean) => Promise.race([exited, new Promise<T>((done) => {
      const on = (m: T): void => { if (has(m)) { proc.off('message', on); done(m); } };
      proc.on('message', on);
    })]),
  };
}

// The SMTP server and the worker (with its relay and its own pool) in processes of their own, as in production: the
// two cores share the requests, the worker, the mail server, PostgreSQL and Redis as a deployment would.
const mail = child('takedown-mail.ts', {});
const { url: smtpUrl } = await mail.next<{ url?: string }>((m) => m.url !== undefined);

const docs = [
  `apiVersion: vigil/v1\nkind: Content\nmetadata:\n  id: moonlit-harbor\nspec:\n  type: film\n  title: Moonlit Harbor\n  releaseDate: 2026-01-01\n`,
  `apiVersion: vigil/v1\nkind: Policy\nmetadata:\n  id: policy\nspec:\n  noticeSender: { name: Jane Counsel, organization: Harbor Films LLC, email: legal@harbor-films.test, address: "1 Studio Way, Burbank, CA 91502, USA", phone: "+1 555 0100" }\n  takedown:\n    batch: { maxUrls: 100, waitSeconds: ${WAIT_SECONDS} }\n    delivery: { attempts: 3, backoffMinutes: 0 }\n    recheck: { firstAfterMinutes: 600, everyMinutes: 600, count: 2 }\n`,
  ...Array.from({ length: HOSTS }, (_, i) => `apiVersion: vigil/v1\nkind: Site\nmetadata:\n  id: site-${i}\nspec:\n  type: piracy\n  domains: [${site(i)}]\n  takedown:\n    email: abuse@${site(i)}\n`),
];
const loaded = loadCatalog(docs.map((content, i) => ({ path: `doc${i}.yaml`, content })));
if (hasErrors(loaded.diagnostics)) throw new Error(JSON.stringify(loaded.diagnostics));
await apply(pool, desiredState(loaded.catalog), { source: 'bench', actor: 'bench' });

/** Runs `work(i)` for i in [0, n) with `width` in flight. */
async function inParallel(n: number, width: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => { while (next < n) await work(next++); }));
}

const seconds = (since: bigint): number => Number(process.hrtime.bigint() - since) / 1e9;
const count = async (sql: string): Promise<number> => Number((await pool.query<{ n: string }>(sql)).rows[0]!.n);
async function until(what: string, done: () => Promise<boolean>, timeoutMs = 900_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`bench:takedown timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Findings as a monitoring round leaves them (Available): not timed. The first FINDINGS for the automatic run, then SINGLE for the clicks.
const loadBefore = os.loadavg();
const ids: number[] = [];
await inParallel(FINDINGS + SINGLE, CLICKS, async (i) => {
  const url = `http://${site(i % HOSTS)}:${port}/watch/moonlit-harbor-${i}`;
  const { finding } = await recordFinding(pool, {
    contentId: 'moonlit-harbor', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: `Moonlit Harbor ${i} - watch free`, source: 'web', score: 12,
    evidence: {}, takedownStatus: 'Available', detectionStatus: 'Not Available',
  }, { actor: 'bench', reason: 'fixture' });
  ids[i] = finding.id;
});

// The queue as seen from here: for the trace and to promote the re-checks; the worker process serves it.
const takedownQueue = openQueue(QUEUES.takedown, redis, config.queuePrefix);
const worker = child('takedown-worker.ts', {
  BENCH_TAKEDOWN_ENV: JSON.stringify(configEnv), BENCH_TAKEDOWN_SMTP_URL: smtpUrl!, BENCH_TAKEDOWN_CONCURRENCY: String(CONCURRENCY),
});
await worker.next<{ ready?: boolean }>((m) => m.ready === true);

const sentSoFar = (): Promise<number> => count(`select count(*) n from findings where takedown_status in ('In Progress', 'Failed')`);

// BENCH_TAKEDOWN_TRACE=1: a line a second of where the work stands (queue counts, notices), to see which stage holds it up.
const trace = process.env.BENCH_TAKEDOWN_TRACE === '1' ? setInterval(() => {
  void (async () => {
    const jobs = await takedownQueue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed');
    const { rows } = await pool.query<{ status: string; n: string }>('select status, count(*) n from notices group by status');
    const unsent = await count('select count(*) n from outbox where sent_at is null');
    console.error(`${seconds(started).toFixed(1)} s: outbox unsent ${unsent}; takedown queue ${JSON.stringify(jobs)}; notices ${rows.map((r) => `${r.status} ${r.n}`).join(', ')}; done ${await sentSoFar()}`);
  })().catch(() => undefined);
}, 1000) : undefined;

// Automatic takedown: bulk requests in batches, first request → last finding In Progress.
const started = process.hrtime.bigint();
const batches = Math.ceil(FINDINGS / BATCH);
await inParallel(batches, WRITERS, (b) => actOnFindings(pool, ids.slice(b * BATCH, Math.min(FINDINGS, (b + 1) * BATCH)), 'takedown', {
  actor: 'automation', reason: "bench: automatic takedown (the monitoring job's takedown: automatic)", override: false,
}));
const requestedSeconds = seconds(started);
await until('every finding In Progress or Failed', async () => (await sentSoFar()) >= FINDINGS);
const takedownSeconds = seconds(started);
const bulkNotices = await count(`select count(*) n from notices where status = 'sent'`);

// Single clicks: one actOnFinding per finding, CLICKS at a time, the same path after.
const clickStart = process.hrtime.bigint();
await inParallel(SINGLE, CLICKS, (i) => actOnFinding(pool, ids[FINDINGS + i]!, 'takedown', { actor: 'bench', reason: 'bench: Take down clicked', override: false, via: 'slack-button' }));
const clickRequestSeconds = seconds(clickStart);
await until('every clicked finding In Progress or Failed', async () => (await sentSoFar()) >= FINDINGS + SINGLE);
const clickSeconds = seconds(clickStart);

const ALL = FINDINGS + SINGLE;
const inProgress = await count(`select count(*) n from findings where takedown_status = 'In Progress'`);
const sentNotices = await count(`select count(*) n from notices where status = 'sent'`);
// What the SMTP server received: mails, and each finding's URL once across them.
const mailReport = mail.next<{ mails?: number; urls?: number }>((m) => m.mails !== undefined);
mail.process.send({ report: true });
const { mails: mailsReceived, urls: mailedUrls } = await mailReport;
const receipts = await count(`select count(*) n from notice_receipts where outcome = 'sent'`).catch(() => Number.NaN);
// Every finding has its request and its In Progress on the audit log, one row each.
const auditRows = await count(`select count(*) n from audit_log where object_kind = 'Finding' and action = 'takedown-status' and details->>'to' in ('Takedown requested', 'In Progress')`);

// Re-checks: every first re-check made due now. One job per sent notice (for all of its links), so as many delayed
// jobs as notices whose findings went In Progress.
const recheckJobs = await count(`select count(*) n from notices n where n.status = 'sent'
  and exists (select 1 from notice_findings nf join findings f on f.id = nf.finding_id where nf.notice_id = n.id and f.takedown_status = 'In Progress')`);
const checkStart = process.hrtime.bigint();
await until('the first re-checks to be queued', async () => (await takedownQueue.getDelayedCount()) >= recheckJobs);
await takedownQueue.promoteJobs();
await until('every first re-check recorded', async () => (await count('select count(*) n from link_checks')) >= inProgress);
const checkSeconds = seconds(checkStart);
const completed = await count(`select count(*) n from findings where takedown_status = 'Complete'`);

if (trace) clearInterval(trace);
const workerStopped = worker.next<{ stopped?: boolean }>((m) => m.stopped === true);
worker.process.send({ stop: true });
await workerStopped;
await takedownQueue.close();

// Baseline: plain one-row INSERTs of finding-sized rows, one notice-sized row per notice.
await pool.query(`create table bench_plain (id bigserial primary key, content_id text, url text, normalized_url text, host text, page_title text, source text,
  score real, evidence jsonb, takedown_status text, detection_status text, first_seen timestamptz, last_seen timestamptz)`);
await pool.query(`create table bench_plain_notice (id bigserial primary key, contact text, subject text, text text, urls jsonb)`);
const sampleNotice = (await pool.query<{ contact: string; subject: string; text: string; urls: unknown }>('select contact, subject, text, urls from notices limit 1')).rows[0];
const baseStart = process.hrtime.bigint();
await inParallel(FINDINGS, CLICKS, async (i) => {
  const url = `http://${site(i % HOSTS)}:${port}/watch/plain-${i}`;
  await pool.query(`insert into bench_plain (content_id, url, normalized_url, host, page_title, source, score, evidence, takedown_status, detection_status, first_seen, last_seen)
    values ($1, $2, $3, $4, $5, 'web', 12, '{}', 'In Progress', 'Not Available', now(), now())`, ['moonlit-harbor', url, normalizeUrl(url), hostOf(url), `Moonlit Harbor ${i} - watch free`]);
});
await inParallel(bulkNotices, CLICKS, () => pool.query('insert into bench_plain_notice (contact, subject, text, urls) values ($1, $2, $3, $4)',
  [sampleNotice?.contact ?? '', sampleNotice?.subject ?? '', sampleNotice?.text ?? '', JSON.stringify(sampleNotice?.urls ?? [])]));
const baseSeconds = seconds(baseStart);

mail.process.send({ exit: true });
pages.closeAllConnections();
await new Promise<void>((r) => pages.close(() => r()));
const keys = await redis.client().keys(`${config.queuePrefix}:*`);
if (keys.length > 0) await redis.client().del(...keys);
redis.client().disconnect();
await redis.stop();
await db.close();
await scratch.drop();

const urlsPerSecond = FINDINGS / takedownSeconds;
const clickPerSecond = SINGLE / clickSeconds;
const basePerSecond = FINDINGS / baseSeconds;
const loadAfter = os.loadavg();
const load = (l: number[]): string => l.map((x) => x.toFixed(1)).join(' ');
const row = (name: string, value: string, goal: string, ok?: boolean): string =>
  `| ${name.padEnd(66)} | ${value.padStart(16)} | ${goal.padEnd(10)} | ${ok === undefined ? '' : ok ? 'met' : 'MISSED'} |`;
console.log(`\nbench:takedown: ${FINDINGS} findings by bulk request (batches of ${BATCH}, ${WRITERS} in flight) + ${SINGLE} by single click (${CLICKS} in flight) on ${HOSTS} hosts,`
  + ` worker concurrency ${CONCURRENCY}, batch window ${WAIT_SECONDS} s; ${os.cpus().length} cores, load average ${load(loadBefore)} before, ${load(loadAfter)} after\n`);
console.log(`| ${'measure'.padEnd(66)} | ${'value'.padStart(16)} | ${'goal'.padEnd(10)} | result |`);
console.log(`| ${'-'.repeat(66)} | ${'-'.repeat(16)} | ${'-'.repeat(10)} | ------ |`);
const lines = [
  row('findings In Progress (sent and recorded), both runs', String(inProgress), String(ALL), inProgress === ALL),
  row('URLs in the mails the SMTP server received', String(mailedUrls), String(ALL), mailedUrls === ALL),
  row('audit rows Takedown requested + In Progress (two per finding)', String(auditRows), String(2 * ALL), auditRows === 2 * ALL),
  row('notices sent / mails received / sent receipts', `${sentNotices} / ${mailsReceived} / ${receipts}`, ''),
  row(`automatic: requests made (actOnFindings, ${BATCH} a batch, ${WRITERS} at a time)`, `${requestedSeconds.toFixed(2)} s`, ''),
  row('automatic: requests/s (actOnFindings alone)', (FINDINGS / requestedSeconds).toFixed(0), ''),
  row('automatic: first request → last In Progress (incl. batch window)', `${takedownSeconds.toFixed(2)} s`, ''),
  row(`automatic: takedown URLs/s (${FINDINGS} URLs, ${bulkNotices} notices)`, urlsPerSecond.toFixed(0), `≥ ${URLS_GOAL}`, urlsPerSecond >= URLS_GOAL),
  ...(SINGLE > 0 ? [
    row(`single click: requests/s (actOnFinding, ${CLICKS} at a time)`, (SINGLE / clickRequestSeconds).toFixed(0), ''),
    row(`single click: takedown URLs/s, first click → last In Progress (${SINGLE})`, clickPerSecond.toFixed(0), ''),
  ] : []),
  row(`baseline: plain one-row INSERTs, URLs/s (${FINDINGS} finding rows + ${bulkNotices} notice rows)`, basePerSecond.toFixed(0), ''),
  row('automatic takedown ÷ baseline', `× ${(urlsPerSecond / basePerSecond).toFixed(2)}`, ''),
  ...(SINGLE > 0 ? [row('single click ÷ baseline', `× ${(clickPerSecond / basePerSecond).toFixed(2)}`, '')] : []),
  row(`re-checks, ${recheckJobs} jobs, one per notice (half 404, half 200): ${completed} Complete`, `${(inProgress / checkSeconds).toFixed(0)}/s`, ''),
];
for (const line of lines) console.log(line);
const missed = lines.filter((l) => l.endsWith('| MISSED |')).length;
console.log(missed === 0 ? '\nall goals met' : `\n${missed} goal(s) missed`);
// BullMQ's blocking Redis connections can outlive close() by minutes; the figures are out, so exit now.
process.exit(missed === 0 ? 0 : 1);
