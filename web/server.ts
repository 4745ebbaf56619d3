import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pg from 'pg';
import type { Config } from '../core/config.js';
import { VigilError, isVigilError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { createGate, type Gate } from './auth/gate.js';
import { html, layout, type Html } from './html.js';
import { detectionsPage } from './pages/detections.js';
import { familiesPage } from './pages/families.js';
import { findingPage, type Places } from './pages/finding.js';
import { findingsPage } from './pages/findings.js';
import { jobsPage } from './pages/jobs.js';
import { reviewPage } from './pages/review.js';
import { sessionsPage } from './pages/sessions.js';
import { trendsPage } from './pages/trends.js';
import { slackPermalinks } from './slack-permalink.js';

/**
 * The read-only web view: plain node:http, every page rendered on the server from the records, no
 * script. Every page needs a signed-in person (auth/gate.ts); only /healthz, which says "ok" and
 * nothing else, is answered without one. Prometheus /metrics is not served here, where people sign
 * in, but on the process's metrics port (cli/metrics.ts), as every other process serves it. Each
 * answer says its server time (Server-Timing), which `npm run bench:web` reads.
 */

export interface WebServerOptions {
  pool: pg.Pool;
  config: Config;
  log: Logger;
  host: string;
  port: number;
}

export interface WebServer {
  url: string;
  gate: Gate;
  close(): Promise<void>;
}

type Page = { status?: number; title: string; body: Html };

const SECURITY_HEADERS = {
  // No script at all, styles inline only, forms back to us only: a page title from a pirate site cannot run.
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

async function pageFor(url: URL, pool: pg.Pool, places: Places): Promise<Page> {
  const path = url.pathname.replace(/\/+$/, '') || '/';
  const found = /^\/findings\/(\d{1,18})$/.exec(path);
  if (found) {
    const page = await findingPage(pool, Number(found[1]), places);
    if (!page) throw new VigilError('WEB_NOT_FOUND', `no finding has id ${found[1]}`);
    return page;
  }
  switch (path) {
    case '/findings': {
      const { status, body } = await findingsPage(pool, url.searchParams);
      return { status, title: 'Findings', body };
    }
    case '/trends': return { title: 'Trends', body: await trendsPage(pool) };
    case '/families': return { title: 'Site families', body: await familiesPage(pool) };
    case '/jobs': return { title: 'Monitoring jobs', body: await jobsPage(pool) };
    case '/review': return { title: 'Review queue', body: await reviewPage(pool) };
    case '/detections': return { title: 'Detection results', body: await detectionsPage(pool) };
    case '/sessions': return { title: 'Sessions revoked', body: await sessionsPage(pool) };
    case '/metrics': throw new VigilError('WEB_NOT_FOUND', 'Prometheus /metrics is served on the metrics port vigil web prints at start (--metrics-port, VIGIL_METRICS_PORT), not on the web port');
    default: throw new VigilError('WEB_NOT_FOUND', `there is no page at ${url.pathname}`);
  }
}

export async function startWebServer(o: WebServerOptions): Promise<WebServer> {
  // Checked before listening, so a missing setting serves nothing; the gate that serves is made once
  // the port is known (0 picks one), since the OIDC callback URL defaults to this server's own.
  createGate(o.config.web, { host: o.host, port: o.port || 1 }, o.log);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new VigilError('WEB_LISTEN_FAILED', `cannot listen on ${o.host}:${o.port}: ${error.message}`, { cause: error })));
    server.listen(o.port, o.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const gate: Gate = createGate(o.config.web, { host: o.host, port: address.port }, o.log);
  const places: Places = {
    catalogRepo: o.config.github.catalogRepo, githubApiUrl: o.config.github.apiUrl, catalogPath: o.config.github.catalogPath, catalogBranch: o.config.github.catalogBranch,
    slackLink: slackPermalinks(o.config.slack, o.log),
  };

  const send = (res: ServerResponse, status: number, body: string, started: bigint, extra: Record<string, string> = {}): void => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS, 'server-timing': `app;dur=${ms.toFixed(2)}`, ...extra });
    res.end(body);
  };
  const errorPage = (res: ServerResponse, req: IncomingMessage, user: string | undefined, started: bigint) => (status: number, error: VigilError): void => {
    const signIn = error.errorName === 'WEB_SIGN_IN_REQUIRED' || error.errorName === 'WEB_SIGN_IN_FAILED';
    const body = html`<div class="error" id="error" data-code="${error.code}">${error.code}: ${error.message}<br>fix: ${error.fix}</div>${signIn && gate.mode === 'oidc' ? html`<p><a id="sign-in" href="/login">Sign in</a></p>` : ''}`;
    send(res, status, layout({ title: signIn ? 'Sign-in required' : status === 404 ? 'Not found' : 'Cannot show this', path: req.url ?? '/', user, body }), started);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://web.invalid');
    if (url.pathname === '/healthz') {
      // For a load balancer or an orchestrator's probe: the process answers, and nothing of the records.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      // Read-only: actions stay in Slack and in git.
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' });
      res.end('the web view is read-only\n');
      return;
    }
    if (await gate.route(req, res, url, errorPage(res, req, undefined, started))) return;
    if (url.pathname === '/signed-out') {
      send(res, 200, layout({ title: 'Signed out', path: '/', user: undefined, body: html`<p>You are signed out. <a href="/login">Sign in again</a></p>` }), started);
      return;
    }
    const user = gate.who(req);
    if (user === undefined) {
      gate.refuse(req, res, url, errorPage(res, req, undefined, started));
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(302, { location: '/findings' });
      res.end();
      return;
    }
    try {
      const page = await pageFor(url, o.pool, places);
      send(res, page.status ?? 200, layout({ title: page.title, path: url.pathname, user, body: page.body, signOut: gate.mode === 'oidc' }), started);
    } catch (error) {
      if (isVigilError(error)) {
        errorPage(res, req, user, started)(error.errorName === 'WEB_NOT_FOUND' ? 404 : 400, error);
        return;
      }
      throw error;
    }
  };

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      o.log.error({ err: error, event: 'web-error', path: req.url }, 'web view: a page failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('the page could not be made; the error is in the web view\'s log\n');
    });
  });
  return {
    url: `http://${host}:${address.port}`,
    gate,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
