/**
 * The process's Prometheus metrics, one registry per process (prom-client). Every part registers
 * its metrics here, by the names below, so a name is defined once and `/metrics` of any process
 * (web view, Slack bot, webhook server, workers) shows the same families. The edge keeps its own
 * hot-path counters (edge/metrics.ts) because its workers' snapshots are summed by the primary.
 *
 * Metric names follow Prometheus' conventions: `vigil_` prefix, base units, `_total` on counters.
 * Where a value comes from: queue depths and ages are read from Redis at scrape time
 * (queue-metrics.ts); job durations and failures are counted as workers finish jobs
 * (job-metrics.ts); findings per round are counted where the round ends (runners/monitor);
 * notices by status and findings by takedown and detection status are read from PostgreSQL at
 * scrape time (record-metrics.ts), so every process shows the same totals: dashboards take max().
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'vigil_process_' });

/** Something read at scrape time (Redis, PostgreSQL); each process adds the sources it has. */
export type ScrapeSource<T> = () => Promise<T>;

/** Sources of this process, by what they fill in; set by queue-metrics.ts and record-metrics.ts. */
export const scrapeSources = {
  queues: new Set<ScrapeSource<QueueSample[]>>(),
  records: new Set<ScrapeSource<RecordSample>>(),
};

export interface QueueSample {
  queue: string;
  /** Jobs per BullMQ state: waiting, active, delayed, prioritized, failed. */
  counts: Record<string, number>;
  /** Age of the oldest job waiting to start, in seconds; 0 when none waits. */
  oldestWaitingSeconds: number;
}

export interface RecordSample {
  notices: Record<string, number>;
  takedown: Record<string, number>;
  detection: Record<string, number>;
}

/** A scrape-time read that failed answers nothing for its families, and says so here. */
export const scrapeErrors = new Counter({
  name: 'vigil_metrics_scrape_errors_total',
  help: 'Scrape-time reads (Redis queue depths, PostgreSQL record counts) that failed, by source.',
  labelNames: ['source'] as const,
  registers: [registry],
});

async function sampled<T>(source: 'queues' | 'records', sources: ReadonlySet<ScrapeSource<T>>): Promise<T[]> {
  const results = await Promise.allSettled([...sources].map((read) => read()));
  const ok: T[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') ok.push(r.value);
    else scrapeErrors.inc({ source });
  }
  return ok;
}

// One read of the queues per scrape, shared by the two queue gauges (each has its own collect()).
let queueRead: { at: number; samples: Promise<QueueSample[][]> } | undefined;
function queueSamples(): Promise<QueueSample[][]> {
  if (!queueRead || Date.now() - queueRead.at > 1000) queueRead = { at: Date.now(), samples: sampled('queues', scrapeSources.queues) };
  return queueRead.samples;
}
let recordRead: { at: number; samples: Promise<RecordSample[]> } | undefined;
function recordSamples(): Promise<RecordSample[]> {
  if (!recordRead || Date.now() - recordRead.at > 1000) recordRead = { at: Date.now(), samples: sampled('records', scrapeSources.records) };
  return recordRead.samples;
}

export const queueJobs = new Gauge({
  name: 'vigil_queue_jobs',
  help: 'Jobs in each BullMQ queue by state (waiting, active, delayed, prioritized, failed), read from Redis at scrape time.',
  labelNames: ['queue', 'state'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const samples of await queueSamples()) {
      for (const s of samples) for (const [state, n] of Object.entries(s.counts)) this.set({ queue: s.queue, state }, n);
    }
  },
});

export const queueOldestWaiting = new Gauge({
  name: 'vigil_queue_oldest_waiting_seconds',
  help: 'Age of the oldest job waiting to start in each BullMQ queue (0 when none waits), read from Redis at scrape time.',
  labelNames: ['queue'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const samples of await queueSamples()) for (const s of samples) this.set({ queue: s.queue }, s.oldestWaitingSeconds);
  },
});

export const jobDuration = new Histogram({
  name: 'vigil_job_duration_seconds',
  help: 'Time a worker of this process spent on a job, from start to completion or failure, by queue and outcome.',
  labelNames: ['queue', 'outcome'] as const,
  buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600],
  registers: [registry],
});

export const jobFailures = new Counter({
  name: 'vigil_job_failures_total',
  help: 'Jobs that failed in a worker of this process, by queue; final="true" when no attempt is left (a wrong input, or retries spent).',
  labelNames: ['queue', 'final'] as const,
  registers: [registry],
});

export const roundFindings = new Histogram({
  name: 'vigil_monitor_round_findings',
  help: 'Findings per monitoring round run in this process, by kind: all (confirmed this round) or new (recorded for the first time).',
  labelNames: ['kind'] as const,
  buckets: [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
  registers: [registry],
});

export const roundSuspects = new Counter({
  name: 'vigil_monitor_suspects_total',
  help: 'Suspects phase 2 checked in this process\'s monitoring rounds, by verdict (match, no-match, unavailable).',
  labelNames: ['verdict'] as const,
  registers: [registry],
});

export const noticesByStatus = new Gauge({
  name: 'vigil_notices',
  help: 'Takedown notices by status (queued, sending, sent, failed), read from PostgreSQL at scrape time.',
  labelNames: ['status'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const s of await recordSamples()) for (const [status, n] of Object.entries(s.notices)) this.set({ status }, n);
  },
});

export const findingsByTakedown = new Gauge({
  name: 'vigil_findings_takedown',
  help: 'Findings by takedown status (Available, Takedown requested, In Progress, Complete, Ignore, Failed), read from PostgreSQL at scrape time.',
  labelNames: ['status'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const s of await recordSamples()) for (const [status, n] of Object.entries(s.takedown)) this.set({ status }, n);
  },
});

export const findingsByDetection = new Gauge({
  name: 'vigil_findings_detection',
  help: 'Findings by detection status: the detection outcomes (Completed, Failed, Error, Canceled) and the ones under way, read from PostgreSQL at scrape time.',
  labelNames: ['status'] as const,
  registers: [registry],
  async collect() {
    this.reset();
    for (const s of await recordSamples()) for (const [status, n] of Object.entries(s.detection)) this.set({ status }, n);
  },
});

/** The exposition text and its content type, for any HTTP framework. */
export async function metricsText(): Promise<{ contentType: string; body: string }> {
  return { contentType: registry.contentType, body: await registry.metrics() };
}

/** Answers `GET /metrics` on a plain node:http server; returns false for any other request. */
export async function serveMetrics(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') return false;
  const { contentType, body } = await metricsText();
  res.writeHead(200, { 'content-type': contentType });
  res.end(body);
  return true;
}
