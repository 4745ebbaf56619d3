import { DEFAULT_METRICS_PORT, ENV, parseMetricsPort } from '../core/config.js';
import { startMetricsServer, type MetricsServer } from '../core/metrics-server.js';
import { watchQueueDepths } from '../core/queue-metrics.js';
import { QUEUES } from '../core/queues.js';
import { watchRecordCounts } from '../core/record-metrics.js';
import type { Writable } from 'node:stream';
import type { Context } from './context.js';
import { print } from './io.js';

/** What `vigil help` says of --metrics-port, the same for every command that takes it. */
export const METRICS_PORT_USAGE = `--metrics-port N (default ${ENV.VIGIL_METRICS_PORT} or ${DEFAULT_METRICS_PORT}; 0: a free port) serves Prometheus
  /metrics at ${ENV.VIGIL_BIND} (default 127.0.0.1); the URL is printed at start`;

const watched = new WeakSet<Context>();

/** What a process reads at scrape time: every queue and the records, or (the web view, which opens no Redis) the records only. */
export interface Watched {
  queues: boolean;
}

/**
 * The scrape-time reads of this process (every queue's depth and oldest wait from Redis, notices
 * and findings by status from PostgreSQL), added once per process whichever servers show them.
 */
export async function watchProcessMetrics(ctx: Context, what: Watched = { queues: true }): Promise<void> {
  if (watched.has(ctx)) return;
  watched.add(ctx);
  if (what.queues) watchQueueDepths(await Promise.all(Object.values(QUEUES).map((name) => ctx.queue(name))));
  watchRecordCounts((await ctx.db()).pool);
}

const servers = new WeakMap<Context, Promise<MetricsServer>>();

/**
 * The metrics port of a process without an HTTP server of its own, or (the web view) one whose port
 * serves people: started once per process (vigil up runs workers, a Socket Mode bot and the web view
 * side by side), its URL printed on `out`; closed when the command's signal aborts.
 */
export function serveProcessMetrics(ctx: Context, out: Writable, flag: string | undefined, what: Watched = { queues: true }): Promise<MetricsServer> {
  const existing = servers.get(ctx);
  if (existing) return existing;
  let port: number | undefined;
  try {
    port = parseMetricsPort('--metrics-port', flag) ?? ctx.config.metricsPort;
  } catch (error) {
    return Promise.reject(error);
  }
  const started = (async () => {
    await watchProcessMetrics(ctx, what);
    const server = await startMetricsServer({ port, host: ctx.config.bind });
    if (server.defaultPortTaken) print(out, `metrics: port ${server.defaultPortTaken} is taken by another process; serving on a free port instead (set --metrics-port or ${ENV.VIGIL_METRICS_PORT} to fix one)`);
    print(out, `metrics: Prometheus /metrics at ${server.url}`);
    ctx.io.signal.addEventListener('abort', () => void server.close(), { once: true });
    return server;
  })();
  servers.set(ctx, started);
  return started;
}
