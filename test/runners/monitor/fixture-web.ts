import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

/**
 * A local HTTP server that plays many sites at once, told apart by the Host header. Tests point the
 * crawler at it with a curl-style resolve map (HOST:PORT → 127.0.0.1) and allowPrivate.
 */

export interface Reply {
  status?: number;
  type?: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Milliseconds before answering. */
  delayMs?: number;
  gzip?: boolean;
}

export type Route = Reply | ((req: http.IncomingMessage, url: URL) => Reply);

export interface FixtureServer {
  port: number;
  /** `http://HOST:PORT/path` for a fixture host. */
  url(host: string, path?: string): string;
  /** HOST:PORT:127.0.0.1 entries for every host with routes. */
  resolveEntries(): string[];
  /** Requests seen, as `host path` with their start time, in order. */
  log: { host: string; path: string; at: number }[];
  route(host: string, path: string, reply: Route): void;
  close(): Promise<void>;
}

export async function startFixtureServer(): Promise<FixtureServer> {
  const routes = new Map<string, Map<string, Route>>();
  const log: FixtureServer['log'] = [];
  const server = http.createServer((req, res) => {
    const host = (req.headers.host ?? '').replace(/:\d+$/, '');
    const url = new URL(req.url ?? '/', `http://${host}`);
    log.push({ host, path: url.pathname + url.search, at: Date.now() });
    const route = routes.get(host)?.get(url.pathname);
    if (!route) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
    const reply = typeof route === 'function' ? route(req, url) : route;
    const send = (): void => {
      let body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body ?? Buffer.alloc(0);
      const headers: Record<string, string> = { 'content-type': reply.type ?? 'text/html; charset=utf-8', ...reply.headers };
      if (reply.gzip) { body = zlib.gzipSync(body); headers['content-encoding'] = 'gzip'; }
      res.writeHead(reply.status ?? 200, headers).end(body);
    };
    if (reply.delayMs) setTimeout(send, reply.delayMs); else send();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    log,
    url: (host, path = '/') => `http://${host}:${port}${path}`,
    resolveEntries: () => [...routes.keys()].map((h) => `${h}:${port}:127.0.0.1`),
    route(host, path, reply) {
      const m = routes.get(host) ?? new Map<string, Route>();
      m.set(path, reply);
      routes.set(host, m);
    },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A piracy site's page template: the same markup, tracking IDs and favicon wherever the site moves. */
export function piracyTemplate(opts: { title: string; body: string; links?: string[]; trackingId?: string; adId?: string; favicon?: string; video?: string }): string {
  const links = (opts.links ?? []).map((l) => `<li class="item"><a class="title" href="${l}">${l}</a></li>`).join('');
  return `<!doctype html><html><head><title>${opts.title}</title><meta charset="utf-8">
<link rel="icon" href="${opts.favicon ?? '/favicon.ico'}">
<script async src="https://www.googletagmanager.com/gtag/js?id=${opts.trackingId ?? 'G-NONE000'}"></script>
<script>window.dataLayer=[];gtag('config','${opts.trackingId ?? 'G-NONE000'}');</script>
${opts.adId ? `<script data-ad-client="${opts.adId}" src="https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js"></script>` : ''}
</head><body><div class="wrap"><header class="top"><nav class="menu"><a href="/">Home</a><a href="/latest">Latest</a><a href="/genre">Genre</a></nav></header>
<main class="content"><div class="player">${opts.video ? `<video src="${opts.video}"></video>` : ''}</div><article class="post"><h1 class="entry">${opts.title}</h1><p class="desc">${opts.body}</p></article>
<ul class="list">${links}</ul></main><aside class="side"><div class="ads">ad</div><div class="ads">ad</div></aside><footer class="foot"><p>DMCA</p></footer></div></body></html>`;
}

/** A plain editorial page (news, reviews): different markup, no trackers shared with pirates. */
export function articleTemplate(title: string, body: string): string {
  return `<!doctype html><html><head><title>${title}</title></head><body><article><h1>${title}</h1><section><p>${body}</p></section></article></body></html>`;
}
