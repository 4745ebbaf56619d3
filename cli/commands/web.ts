import { ENV } from '../../core/config.js';
import { VigilError } from '../../core/errors.js';
import { createGate } from '../../web/auth/gate.js';
import { startWebServer } from '../../web/server.js';
import { parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';

export const usage = `vigil web [--port N] [--host ADDR]
  Serve the read-only web view until Ctrl-C: findings with the filters of vigil findings (paged,
  each with its evidence: the page fetched, detection, notices and their receipts, re-checks, audit
  trail, links to its Slack card and catalog file), trends (findings and removals per week), site
  families and their hops, monitoring jobs, the review queue, detection results, sessions revoked;
  GET /metrics for Prometheus. Sign-in (${ENV.VIGIL_WEB_AUTH}, required): oidc (${ENV.VIGIL_OIDC_ISSUER},
  ${ENV.VIGIL_OIDC_CLIENT_ID}, ${ENV.VIGIL_OIDC_CLIENT_SECRET} for a confidential client, ${ENV.VIGIL_OIDC_REDIRECT_URL}),
  proxy (${ENV.VIGIL_WEB_PROXY_HEADER} from ${ENV.VIGIL_WEB_PROXY_ADDRESS} only) or dev (no sign-in, loopback only).
  --port (default ${ENV.VIGIL_WEB_PORT} or 3005), --host (default ${ENV.VIGIL_BIND} or 127.0.0.1).`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { port: { type: 'string' }, host: { type: 'string' } } as const;

function portOf(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d{1,5}$/.test(value) || Number(value) > 65535) throw new VigilError('USAGE', `vigil web: --port must be a whole number from 0 to 65535, not ${JSON.stringify(value)}`);
  return Number(value);
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values } = parse('web', argv, options, 0);
  const port = portOf(values.port, ctx.config.web.port);
  const host = values.host ?? ctx.config.bind;
  // A missing sign-in setting is told before the database opens: it costs no embedded PostgreSQL start.
  createGate(ctx.config.web, { host, port: port || 1 }, ctx.log);
  const db = await ctx.db();
  const web = await startWebServer({ pool: db.pool, config: ctx.config, log: ctx.log, host, port });
  print(io.stdout, `vigil web: serving the web view at ${web.url}/ (${web.gate.describe}); metrics at ${web.url}/metrics`);
  await aborted(io.signal);
  await web.close();
  print(io.stdout, 'vigil web: stopped');
  return 0;
}
