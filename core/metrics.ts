/**
 * The process's Prometheus metrics, one registry per process (prom-client). Every part registers
 * its metrics here, by the names below, so a name is defined once and `/metrics` of any process
 * (web view, Slack bot, webhook server, workers) shows the same families. The edge keeps its own
 * hot-path counters (edge/metrics.ts) because its workers' snapshots are summed by the primary.
 *
 * Metric names follow Prometheus' conventions: `vigil_` prefix, base units, `_total` on counters.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry, collectDefaultMetrics } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'vigil_process_' });

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
