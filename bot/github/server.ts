import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeMiddleware, Probot, ProbotOctokit } from 'probot';
import { VigilError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/log.js';
import { serveMetrics } from '../../core/metrics.js';
import { vigilGitHubApp, type GitHubAppDeps } from './app.js';
import { MAX_WEBHOOK_BODY_BYTES, readCappedBody } from './body.js';
import { webhookLogger } from './redacted-log.js';

export const WEBHOOK_PATH = '/api/github/webhooks';

export interface GitHubServerOptions extends GitHubAppDeps {
  port: number;
  /** Interface to listen on; 127.0.0.1 (the default) keeps it local behind a proxy, 0.0.0.0 exposes it. */
  host?: string;
  /** Largest webhook body accepted; larger ones are answered 413 before the signature is checked. */
  maxBodyBytes?: number;
  appId: string | number;
  /** The App's private key (PEM), used to sign the JWT that obtains installation tokens. */
  privateKey: string;
  /** The webhook secret; deliveries whose X-Hub-Signature-256 does not match are refused with 4xx. */
  secret: string;
  /** GitHub REST API root, e.g. https://api.github.com or https://ghe.example/api/v3. */
  baseUrl?: string;
  /** Where Probot and the App log; errors are stripped of payloads, signatures and headers. */
  log?: Logger;
  /**
   * Octokit's throttling (one write a second, as GitHub asks of integrations). On by default; tests
   * against a local fake turn it off to stay fast.
   */
  throttle?: boolean;
}

export interface GitHubServer {
  /** http://host:port of the server. */
  url: string;
  /** Where GitHub delivers webhooks. */
  webhookUrl: string;
  close(): Promise<void>;
}

function checkOptions(options: GitHubServerOptions): void {
  const missing = [
    options.appId === '' || options.appId === undefined ? 'GITHUB_APP_ID' : undefined,
    options.privateKey ? undefined : 'GITHUB_PRIVATE_KEY',
    options.secret ? undefined : 'GITHUB_WEBHOOK_SECRET',
  ].filter((m): m is string => m !== undefined);
  if (missing.length > 0) throw new VigilError('GITHUB_UNAVAILABLE', `the GitHub App is not configured: set ${missing.join(', ')}`);
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(options.privateKey)) {
    throw new VigilError('GITHUB_UNAVAILABLE', 'GITHUB_PRIVATE_KEY is not a PEM private key (-----BEGIN ... PRIVATE KEY-----)', {
      fix: 'Set GITHUB_PRIVATE_KEY to the .pem the GitHub App settings page generated; newlines may be written as \\n.',
    });
  }
}

/**
 * ProbotOctokit without the throttling plugin. Probot always passes throttle options of its own, so
 * an object default would be overwritten; a function default runs after Probot's and wins.
 */
function unthrottled(): typeof ProbotOctokit {
  return ProbotOctokit.defaults((options: { throttle?: object }) => ({ ...options, throttle: { ...options.throttle, enabled: false } }));
}

function refuse(res: ServerResponse, status: number, message: string): void {
  // Connection: close, so that node drops the socket once this is sent instead of reading the rest of the body.
  res.writeHead(status, { 'content-type': 'text/plain', connection: 'close' }).end(`${message}\n`);
}

/**
 * The GitHub App's webhook server: probot's middleware on a plain node http server. The body is
 * read here, capped, before the middleware sees it (it would otherwise buffer any size to check the
 * signature); the middleware takes a body already read from `request.body`.
 */
export async function startGitHubServer(options: GitHubServerOptions): Promise<GitHubServer> {
  checkOptions(options);
  const log = webhookLogger(options.log ?? silentLogger);
  const maxBodyBytes = options.maxBodyBytes ?? MAX_WEBHOOK_BODY_BYTES;
  const probot = new Probot({
    appId: options.appId,
    privateKey: options.privateKey,
    secret: options.secret,
    baseUrl: options.baseUrl,
    log,
    Octokit: options.throttle === false ? unthrottled() : ProbotOctokit,
  });
  const middleware = await createNodeMiddleware(vigilGitHubApp(options), { probot, webhooksPath: WEBHOOK_PATH });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (await serveMetrics(req, res)) return;
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (req.method === 'POST' && new URL(req.url ?? '/', 'http://localhost').pathname.replace(/\/+$/, '') === WEBHOOK_PATH) {
      const read = await readCappedBody(req, maxBodyBytes, req.headers['content-length']);
      if (!read.ok) {
        log.info({ delivery: req.headers['x-github-delivery'], event: req.headers['x-github-event'], maxBodyBytes }, 'webhook body over the size cap; refused unread');
        refuse(res, 413, `webhook body larger than ${maxBodyBytes} bytes`);
        return;
      }
      req.body = read.body.toString('utf8');
    }
    await middleware(req, res, () => {
      if (!res.headersSent) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    });
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      log.error({ err: error }, 'webhook request failed');
      if (!res.headersSent) refuse(res, 500, 'internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  log.info({ url, webhookPath: WEBHOOK_PATH }, 'GitHub webhook server listening');
  return {
    url,
    webhookUrl: `${url}${WEBHOOK_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
