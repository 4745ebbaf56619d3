import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Corpus, CorpusRoute, Epoch } from './labels.js';
import type { CorpusMedia } from './media.js';

/**
 * The corpus on one local HTTP server that plays every host by its Host header (the crawler reaches
 * it through a curl-style resolve map, HOST:PORT:127.0.0.1). Routes match on path and query, as
 * PHP sites need (else on the path alone, as an API does); a route belongs to an epoch, so a site can die between rounds. Anything else is a
 * plain 404.
 */

export interface CorpusServer {
  port: number;
  origin(host: string): string;
  load(corpus: Corpus, media: CorpusMedia): void;
  /** 'before': round 1 (the moving sites still on their old domains); 'after': round 2. */
  setEpoch(epoch: Exclude<Epoch, 'always'>): void;
  resolveEntries(): string[];
  requests(): number;
  close(): Promise<void>;
}

/** Path and query as a client sends them (percent-encoded), so a route written with raw Unicode matches. */
function requestTarget(pathAndQuery: string): { full: string; path: string } {
  const u = new URL(pathAndQuery, 'http://corpus.invalid');
  return { full: u.pathname + u.search, path: u.pathname };
}

function bodyOf(route: CorpusRoute, media: CorpusMedia): { type: string; bytes: Buffer } {
  const b = route.body;
  if (b.kind === 'text') return { type: b.type, bytes: Buffer.from(b.text) };
  if (b.kind === 'bytes') return { type: b.type, bytes: b.bytes };
  const video = media.video.get(b.media as never);
  if (video) {
    const seg = b.file ? /^seg(\d+)\.ts$/.exec(b.file) : null;
    const bytes = seg ? video.segments[Number(seg[1])] : video.mp4;
    if (!bytes) throw new Error(`no ${b.file} in ${b.media}`);
    return { type: b.type ?? 'video/mp4', bytes };
  }
  const image = media.images.get(b.media as never);
  if (!image) throw new Error(`no media ${b.media}`);
  return { type: b.type ?? 'image/jpeg', bytes: image };
}

export async function startCorpusServer(): Promise<CorpusServer> {
  let epoch: Exclude<Epoch, 'always'> = 'after';
  const table = new Map<string, { route: CorpusRoute; type: string; bytes: Buffer }[]>();
  const hosts = new Set<string>();
  let count = 0;
  const server = http.createServer((req, res) => {
    count += 1;
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const target = requestTarget(req.url ?? '/');
    const live = (key: string) => table.get(key)?.find((e) => e.route.epoch === 'always' || e.route.epoch === epoch);
    // An API answers whatever its query (the search source asks once per title); pages match path and query.
    const found = live(`${host}${target.full}`) ?? live(`${host}${target.path}`);
    if (!found) { res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>404 Not Found</h1>'); return; }
    res.writeHead(found.route.status ?? 200, { 'content-type': found.type, 'content-length': String(found.bytes.length), ...found.route.headers });
    res.end(req.method === 'HEAD' ? undefined : found.bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: (host) => `http://${host}:${port}`,
    load(corpus, media) {
      for (const route of corpus.routes) {
        hosts.add(route.host);
        const key = `${route.host}${requestTarget(route.path).full}`;
        table.set(key, [...(table.get(key) ?? []), { route, ...bodyOf(route, media) }]);
      }
    },
    setEpoch: (e) => { epoch = e; },
    resolveEntries: () => [...hosts].map((h) => `${h}:${port}:127.0.0.1`),
    requests: () => count,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
