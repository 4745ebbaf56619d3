import { Worker, type Job } from 'bullmq';
import type pg from 'pg';
import { bullConnection, classified } from '../../core/bullmq.js';
import { startMonitoring } from '../../core/db/monitoring-jobs.js';
import { VigilError } from '../../core/errors.js';
import type { Config } from '../../core/config.js';
import { traced, type Logger } from '../../core/log.js';
import { QUEUES, type MonitorPayload } from '../../core/queues.js';
import type { RedisService } from '../../core/redis.js';
import type { MonitoringJobStatus } from '../../core/status.js';
import type { CatalogDocument, ContentSpec, Metadata, MonitoringJobSpec, PolicySpec, SiteSpec, SourceRef } from '../../core/catalog/types.js';
import { browserFallback } from './browser.js';
import { createConfirmer, referenceFrameCount } from './confirm.js';
import { createFetcher, parseResolve } from './fetch.js';
import { referencesFor } from './references-store.js';
import { otherTitlesOf } from './keywords.js';
import { runRound } from './round.js';
import { appliedPolicy } from '../../core/db/policy.js';

export interface MonitorJobResult {
  status: 'ran' | 'skipped';
  reason?: string;
  pages?: number;
  findings?: number;
  newFindings?: number;
  suspects?: number;
  hops?: number;
}

/** Objects read back from the database were validated when applied; they have no file position. */
const FROM_DATABASE: SourceRef = { file: '(database)', index: 0, position: { line: 1, col: 1 }, locate: () => ({ line: 1, col: 1 }) };

interface JobContext {
  status: MonitoringJobStatus;
  startDate: string;
  job: MonitoringJobSpec;
  contentId: string;
  content: ContentSpec;
  sites: CatalogDocument<'Site'>[];
  policy: PolicySpec;
  otherTitles: string[];
}

/** Everything a round needs, as last applied by the reconciler. */
async function loadJobContext(db: Pick<pg.Pool, 'query'>, jobId: string): Promise<JobContext | undefined> {
  const job = await db.query<{ status: MonitoringJobStatus; start_date: string; content_id: string; spec: MonitoringJobSpec }>(
    `select j.status, j.start_date, j.content_id, o.spec from monitoring_jobs j
     join catalog_objects o on o.kind = 'MonitoringJob' and o.id = j.id and o.deleted_at is null where j.id = $1`, [jobId]);
  const row = job.rows[0];
  if (!row) return undefined;
  const content = await db.query<{ spec: ContentSpec }>(`select spec from catalog_objects where kind = 'Content' and id = $1 and deleted_at is null`, [row.content_id]);
  if (!content.rows[0]) return undefined;
  const sites = await db.query<{ metadata: Metadata; spec: SiteSpec }>(`select metadata, spec from catalog_objects where kind = 'Site' and deleted_at is null order by id`);
  const policy = await appliedPolicy(db);
  // Only the names of the other contents: a look-alike closer to one of them is not this content's.
  const others = await db.query<{ id: string; spec: ContentSpec }>(
    `select id, jsonb_build_object('title', spec->'title', 'aliases', coalesce(spec->'aliases', '[]'), 'localizedTitles', coalesce(spec->'localizedTitles', '[]')) as spec
     from catalog_objects where kind = 'Content' and deleted_at is null and id <> $1`, [row.content_id]);
  return {
    otherTitles: otherTitlesOf(others.rows.map((r) => ({ metadata: { id: r.id }, spec: r.spec })), row.content_id),
    status: row.status, startDate: row.start_date, job: row.spec, contentId: row.content_id, content: content.rows[0].spec,
    sites: sites.rows.map((s) => ({ apiVersion: 'vigil/v1', kind: 'Site', metadata: s.metadata, spec: s.spec, source: FROM_DATABASE })),
    policy,
  };
}

/** A reservation becomes Monitoring when its first round runs on or after its start date. */
async function startIfDue(pool: pg.Pool, jobId: string, ctx: JobContext, now: Date): Promise<void> {
  if (ctx.status !== 'Scheduled' || now.toISOString().slice(0, 10) < ctx.startDate) return;
  await startMonitoring(pool, jobId, { actor: 'monitor', reason: 'first round on or after the start date', since: ctx.startDate });
}

export interface MonitorDeps {
  pool: pg.Pool;
  log: Logger;
  config: Config;
}

/** Runs one crawl round for a monitoring job: what the job's BullMQ scheduler enqueues every period. */
export async function runMonitorJob(deps: MonitorDeps, jobId: string, signal?: AbortSignal, now = new Date()): Promise<MonitorJobResult> {
  const ctx = await loadJobContext(deps.pool, jobId);
  if (!ctx) return { status: 'skipped', reason: 'the job or its content is no longer in the catalog' };
  if (ctx.status === 'Stopped') return { status: 'skipped', reason: 'the job is stopped' };
  if (now.toISOString().slice(0, 10) < ctx.startDate) return { status: 'skipped', reason: `reserved until ${ctx.startDate}` };
  await startIfDue(deps.pool, jobId, ctx, now);
  const fetch = createFetcher({ allowPrivate: deps.config.crawler.allowPrivate, resolve: parseResolve(deps.config.crawler.resolve), ...(signal ? { signal } : {}) });
  const { references, computed, missing } = await referencesFor(deps.pool, ctx.contentId, ctx.content, deps.config.mediaRoot);
  if (missing.length > 0) deps.log.warn({ content: ctx.contentId, missing, mediaRoot: deps.config.mediaRoot }, 'reference media not found; suspects that need it go to review');
  if (computed) deps.log.info({ content: ctx.contentId, frames: referenceFrameCount(references) }, 'reference fingerprints computed');
  const watched = ctx.job.sites ? ctx.sites.filter((s) => ctx.job.sites!.includes(s.metadata.id) || s.spec.type === 'legitimate') : ctx.sites;
  const thresholds = ctx.policy.thresholds ?? {};
  const browser = browserFallback(fetch, process.env);
  const result = await runRound({
    contentId: ctx.contentId,
    content: ctx.content,
    job: { id: jobId, spec: ctx.job },
    sites: watched,
    otherTitles: ctx.otherTitles,
    fetch,
    env: process.env,
    credentialPrefix: deps.config.sourceEnvPrefix,
    log: deps.log,
    ...(thresholds.suspectScore === undefined ? {} : { suspectScore: thresholds.suspectScore }),
    confirm: createConfirmer({ fetch, references, ...(browser ? { browser } : {}), ...(thresholds.matchDistance === undefined ? {} : { matchDistance: thresholds.matchDistance }) }),
    // Each finding is recorded with its audit row and, for automatic detection, its detect job in
    // the outbox (one transaction each); the relay moves the jobs to the detect queue.
    db: deps.pool,
    actor: 'monitor',
    ...(signal ? { signal } : {}),
  }).finally(() => browser?.close());
  const created = result.findings.filter((f) => f.created);
  return { status: 'ran', pages: result.pages, findings: result.findings.length, newFindings: created.length, suspects: result.suspects.length, hops: result.hops.length };
}

/** The payload is checked once, here at the edge: a wrong one fails at once, without retries. */
function monitoringJobIdOf(data: unknown): string {
  const id = (data as Partial<MonitorPayload> | null)?.monitoringJobId;
  if (typeof id !== 'string' || id === '') {
    throw new VigilError('JOB_PAYLOAD_INVALID', `a monitor job needs { monitoringJobId: string }, got ${JSON.stringify(data)?.slice(0, 200)}`);
  }
  return id;
}

export function startMonitorWorker(deps: MonitorDeps, redis: RedisService): Worker<MonitorPayload, MonitorJobResult> {
  const worker = new Worker<MonitorPayload, MonitorJobResult>(
    QUEUES.monitor,
    classified(async (job: Job<MonitorPayload>) => {
      const jobId = monitoringJobIdOf(job.data);
      const log = traced(deps.log, { queue: QUEUES.monitor, ...(job.id ? { jobId: job.id } : {}), monitoringJobId: jobId });
      const result = await runMonitorJob({ ...deps, log }, jobId);
      log.info(result, 'monitor job finished');
      return result;
    }),
    // Rounds are network-bound, and phase 2 runs ffmpeg: two at a time per worker process.
    { connection: bullConnection(redis), prefix: deps.config.queuePrefix, concurrency: 2 },
  );
  worker.on('failed', (job, error) => deps.log.error({ queue: QUEUES.monitor, jobId: job?.id, attempt: job?.attemptsMade, err: error }, 'monitoring round failed'));
  return worker;
}
