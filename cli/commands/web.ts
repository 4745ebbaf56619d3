import { ENV, parseMetricsPort, type WebConfig } from '../../core/config.js';
import { VigilError } from '../../core/errors.js';
import { createGate } from '../../web/auth/gate.js';
import { startWebServer } from '../../web/server.js';
import { parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';
import { METRICS_PORT_USAGE, serveProcessMetrics } from '../metrics.js';

export const usage = `vigil web [--port N] [--host ADDR] [--metrics-port N]
  Serve the read-only web view until Ctrl-C: findings with the filters of vigil findings (paged,
  each with its evidence: the page fetched, detection, notices and their receipts, re-checks, audit
  trail, links to its Slack card and catalog file), trends (findings and removals per week), site
  families and their hops, monitoring jobs, the review queue, detection results, sessions revoked.
  Sign-in (${ENV.VIGIL_WEB_AUTH}, required): oidc (${ENV.VIGIL_OIDC_ISSUER},
  ${ENV.VIGIL_OIDC_CLIENT_ID}, ${ENV.VIGIL_OIDC_CLIENT_SECRET} for a confidential client, ${ENV.VIGIL_OIDC_REDIRECT_URL}),
  proxy (${ENV.VIGIL_WEB_PROXY_HEADER} from ${ENV.VIGIL_WEB_PROXY_ADDRESS} only) or dev (no sign-in, loopback only).
  --port (default ${ENV.VIGIL_WEB_PORT} or 3005), --host (default ${ENV.VIGIL_BIND} or 127.0.0.1). Prometheus /metrics is
  not on the web port but on the metrics port: ${METRICS_PORT_USAGE}.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { port: { type: 'string' }, host: { type: 'string' }, 'metrics-port': { type: 'string' } } as const;

function portOf(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new VigilError('USAGE', `vigil web: --port must be a whole number from 0 to 65535, not ${JSON.stringify(value)}`);
  return Number(value);
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/**
 * Serves the web view with the sign-in `web` until the command's signal aborts. vigil up calls it
 * with development mode when no sign-in is chosen on loopback; it serves the metrics port itself.
 */
export async function serveWebView(ctx: Context, io: CliIo, o: { host: string; port: number; web: WebConfig }): Promise<number> {
  const db = await ctx.db();
  const web = await startWebServer({ pool: db.pool, config: { ...ctx.config, web: o.web }, log: ctx.log, host: o.host, port: o.port });
  print(io.stdout, `vigil web: serving the web view at ${web.url}/ (${web.gate.describe})`);
  await aborted(io.signal);
  await web.close();
  print(io.stdout, 'vigil web: stopped');
  return 0;
}

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values } = parse('web', argv, options, 0);
  const port = portOf(values.port, ctx.config.web.port);
  const host = values.host ?? ctx.config.bind;
  // A missing sign-in setting or a wrong metrics port is told before the database opens: it costs no embedded PostgreSQL start.
  createGate(ctx.config.web, { host, port: port || 1 }, ctx.log);
  parseMetricsPort('--metrics-port', values['metrics-port']);
  // The scrape reads the records only: the web view opens no Redis.
  await serveProcessMetrics(ctx, io.stdout, values['metrics-port'], { queues: false });
  return serveWebView(ctx, io, { host, port, web: ctx.config.web });
}
