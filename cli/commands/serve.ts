import { QUEUES } from '../../core/queues.js';
import { ENV } from '../../core/config.js';
import { VigilError } from '../../core/errors.js';
import { startGitHubServer } from '../../bot/github/server.js';
import { parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';
import { watchProcessMetrics } from '../metrics.js';

export const usage = `vigil serve [--port N] [--host ADDR]
  Run the GitHub App webhook server for one catalog repository (${ENV.VIGIL_CATALOG_REPO}, owner/name or
  a clone URL) and branch (${ENV.VIGIL_CATALOG_BRANCH}, default the repository's default branch): for its
  pull requests that change the catalog, a vigil/plan check run and one plan comment; for pushes to the
  branch, a reconcile of the branch head. Deliveries from any other repository do nothing.
  Needs ${ENV.GITHUB_APP_ID}, ${ENV.GITHUB_PRIVATE_KEY}, ${ENV.GITHUB_WEBHOOK_SECRET}; ${ENV.GITHUB_API_URL} for
  GitHub Enterprise; ${ENV.VIGIL_CATALOG_PATH} (default catalog). Listens on --port (default ${ENV.PORT}
  or 3000) and --host (default ${ENV.VIGIL_BIND} or 127.0.0.1: loopback, behind a proxy) until Ctrl-C or SIGTERM.
  The same port serves Prometheus /metrics and /healthz.`;

function portOf(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new VigilError('USAGE', `vigil serve: --port must be a port number (0-65535), not ${JSON.stringify(value)}`);
  return port;
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { port: { type: 'string' }, host: { type: 'string' } } as const;

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values } = parse('serve', argv, options, 0);
  const port = portOf(values.port, ctx.config.port);
  const github = ctx.config.github;
  const missing = [
    github.appId ? undefined : ENV.GITHUB_APP_ID,
    github.privateKey ? undefined : ENV.GITHUB_PRIVATE_KEY,
    github.webhookSecret ? undefined : ENV.GITHUB_WEBHOOK_SECRET,
  ].filter((name) => name !== undefined);
  if (!github.appId || !github.privateKey || !github.webhookSecret) {
    throw new VigilError('GITHUB_UNAVAILABLE', `vigil serve: the GitHub App is not configured: set ${missing.join(', ')}`);
  }
  const catalogRepo = github.catalogRepo;
  if (!catalogRepo) {
    throw new VigilError('CATALOG_REPO_MISSING', `vigil serve: set ${ENV.VIGIL_CATALOG_REPO} to the catalog repository the GitHub App follows (owner/name or a clone URL)`);
  }
  const db = await ctx.db();
  const reconcileQueue = await ctx.queue(QUEUES.reconcile);
  const redis = (await ctx.redis()).client();
  await watchProcessMetrics(ctx);
  const server = await startGitHubServer({
    port,
    host: values.host ?? ctx.config.bind,
    appId: github.appId,
    privateKey: github.privateKey,
    secret: github.webhookSecret,
    baseUrl: github.apiUrl,
    catalog: { repo: catalogRepo, branch: github.catalogBranch },
    catalogPath: github.catalogPath,
    sourceEnvPrefix: ctx.config.sourceEnvPrefix,
    pool: db.pool,
    reconcileQueue,
    redis,
    queuePrefix: ctx.config.queuePrefix,
    log: ctx.log,
  }).catch((error: unknown) => {
    redis.disconnect();
    throw error;
  });
  const branch = github.catalogBranch ?? 'its default branch';
  print(io.stdout, `vigil serve: GitHub webhooks at ${server.webhookUrl} (Prometheus at ${server.url}/metrics; following ${catalogRepo.setting}, ${branch}, catalog ${github.catalogPath}/, database ${db.where})`);
  await aborted(io.signal);
  await server.close();
  redis.disconnect();
  print(io.stdout, 'vigil serve: stopped');
  return 0;
}
