import cluster from 'node:cluster';
import { ENV } from '../../core/config.js';
import { VigilError } from '../../core/errors.js';
import { relayMetrics, workerMetrics } from '../../edge/cluster.js';
import { revocationApiHandler } from '../../edge/revocation-api.js';
import { openRevocationView } from '../../edge/revocation-view.js';
import { createSessionApi } from '../../edge/session-api.js';
import { edgeKeysOf } from '../../edge/session-tokens.js';
import { loadPackage, startEdgeServer } from '../../edge/server.js';
import { parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';
import type { PushRelay } from '../../edge/revocation-pushes.js';
import { openRevoker, type OpenRevoker } from '../revoker.js';

export const usage = `vigil edge --package DIR [--port N] [--host ADDR] [--workers N]
  Serve an A/B package (written by vigil package) to streaming sessions: every request carries the
  session's EdgeAuth token and watermarking token in its path (/s/TOKEN/WMT/PACKAGE/FILE, the URL
  vigil session start prints); the edge checks the token (signature, st/exp, ACL), the revocation
  lists in Redis (a revoked session is refused from its next request on), the WMT, and serves each
  segment from A/ or B/ by the session's pattern. Refusals are 403 with x-vigil-deny: REASON.
  Also GET /metrics (Prometheus), GET /healthz and, when ${ENV.VIGIL_SESSION_API_KEY} is set,
  POST /v1/sessions (the session API for a player back end, bearer key) and, when
  ${ENV.VIGIL_REVOCATION_API_KEY} is set, the revocation API under /taas/v2 (as vigil revocation serve,
  with the same bearer key: adds and removes put sessions on record and are pushed to Akamai when
  AKAMAI_* is set, a missed push tried again every 10 s).
  Needs ${ENV.VIGIL_EDGE_TOKEN_KEY} and ${ENV.VIGIL_WMT_KEY} (hex); ${ENV.VIGIL_EDGE_REVOCATION_LISTS} limits the
  lists enforced (default all); ${ENV.VIGIL_EDGE_URL} is the public URL printed in sessions' playlist URLs.
  --port (default 8080), --host (default ${ENV.VIGIL_BIND} or 127.0.0.1), --workers (processes sharing
  the port, default 1) until Ctrl-C or SIGTERM.`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { package: { type: 'string' }, port: { type: 'string' }, host: { type: 'string' }, workers: { type: 'string' } } as const;

function intOf(name: string, value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) > max) throw new VigilError('USAGE', `vigil edge: --${name} must be a whole number from 0 to ${max}, not ${JSON.stringify(value)}`);
  return Number(value);
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values } = parse('edge', argv, options, 0);
  if (!values.package) throw new VigilError('USAGE', 'vigil edge: --package DIR is missing: the folder vigil package wrote');
  const port = intOf('port', values.port, 8080, 65535);
  const workers = intOf('workers', values.workers, 1, 64);
  const host = values.host ?? ctx.config.bind;
  const keys = edgeKeysOf(ctx.config.edge);
  const pkg = await loadPackage(values.package);

  if (workers > 1 && cluster.isPrimary) {
    relayMetrics();
    for (let i = 0; i < workers; i++) cluster.fork();
    let stopping = false;
    cluster.on('exit', (worker, code, signal) => {
      if (stopping) return;
      ctx.log.warn({ event: 'edge-worker-exit', pid: worker.process.pid, code, signal }, 'an edge worker stopped; starting another');
      cluster.fork();
    });
    print(io.stdout, `vigil edge: serving ${pkg.name} (${pkg.segments.size} segments) at http://${host}:${port} with ${workers} workers`);
    await aborted(io.signal);
    stopping = true;
    // Each worker closes its server and leaves; the primary returns once all have exited.
    const live = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    await Promise.all(live.map((w) => new Promise<void>((resolve) => {
      if (w.isDead()) return resolve();
      w.once('exit', () => resolve());
      w.process.kill('SIGTERM');
      setTimeout(() => w.process.kill('SIGKILL'), 10_000).unref();
    })));
    print(io.stdout, 'vigil edge: stopped');
    return 0;
  }

  const redis = (await ctx.redis()).client();
  const revocations = openRevocationView(redis.options, ctx.config.queuePrefix, { log: ctx.log, ...(ctx.config.edge.revocationLists ? { lists: ctx.config.edge.revocationLists } : {}) });
  let revoker: OpenRevoker | undefined;
  let relay: PushRelay | undefined;
  try {
    await revocations.ready;
    const apiKey = ctx.config.edge.sessionApiKey;
    if (apiKey !== undefined && apiKey.length < 24) throw new VigilError('EDGE_NOT_CONFIGURED', `${ENV.VIGIL_SESSION_API_KEY} must be at least 24 characters (openssl rand -hex 32)`);
    let ownUrl = '';
    const sessionApi = apiKey === undefined ? undefined : createSessionApi({
      pool: (await ctx.db()).pool, apiKey, keys, publicUrl: () => ctx.config.edge.publicUrl ?? ownUrl, log: ctx.log,
      target: { packageName: pkg.name, playlist: pkg.manifest.playlist, packageDir: pkg.dir, ...(pkg.manifest.contentId ? { contentId: pkg.manifest.contentId } : {}) },
    });
    // The revocation API rides on the edge only when asked for (its key set), with its own bearer auth.
    const revocationKey = ctx.config.revocation.apiKey;
    if (revocationKey !== undefined && revocationKey.length < 16) throw new VigilError('REVOCATION_API_KEY_MISSING', `vigil edge: ${ENV.VIGIL_REVOCATION_API_KEY} is shorter than 16 characters`);
    revoker = revocationKey === undefined ? undefined : await openRevoker(ctx);
    const revocationApi = revoker && revocationKey ? revocationApiHandler({ store: revoker.store, revoker: revoker.revoker, apiKey: revocationKey, log: ctx.log }) : undefined;
    // Every edge process looks for what a mirror missed; the advisory lock lets one at a time push a target's calls.
    relay = revoker && revoker.revoker.mirrors.length > 0 ? revoker.startRelay() : undefined;
    const edge = await startEdgeServer({
      pkg, keys, log: ctx.log, port, host, isRevoked: (id) => revocations.isRevoked(id),
      ...(sessionApi ? { sessionApi } : {}), ...(revocationApi ? { revocationApi } : {}),
      ...(cluster.isWorker ? { metricsSnapshot: workerMetrics(() => edge.handler.metrics) } : {}),
    });
    ownUrl = edge.url;
    if (cluster.isPrimary) {
      print(io.stdout, `vigil edge: serving ${pkg.name} (${pkg.segments.size} segments) at ${edge.url}/s/TOKEN/WMT/${pkg.name}/${pkg.manifest.playlist}`);
      print(io.stdout, `  revocation lists: ${ctx.config.edge.revocationLists?.join(', ') ?? 'all'} (${revocations.size()} revoked now); session API: ${sessionApi ? `POST ${edge.url}/v1/sessions` : `off (set ${ENV.VIGIL_SESSION_API_KEY})`}; revocation API: ${revocationApi ? `${edge.url}/taas/v2/revocation-lists` : `off (set ${ENV.VIGIL_REVOCATION_API_KEY})`}; metrics: ${edge.url}/metrics`);
    }
    await aborted(cluster.isWorker ? workerSignal() : io.signal);
    await edge.close();
    if (cluster.isPrimary) print(io.stdout, 'vigil edge: stopped');
    return 0;
  } finally {
    await relay?.stop();
    await revocations.close();
    revoker?.close();
    redis.disconnect();
    // A worker's IPC channel to the primary would keep it alive after its work is done.
    if (cluster.isWorker) cluster.worker?.disconnect();
  }
}

/** A cluster worker stops on SIGTERM from its primary or when the primary goes. */
function workerSignal(): AbortSignal {
  const controller = new AbortController();
  process.once('SIGTERM', () => controller.abort());
  process.once('disconnect', () => controller.abort());
  return controller.signal;
}
