/**
 * The A/B segment edge (`vigil edge`): serves one package (core/package-layout.ts) to sessions.
 *
 * GET /s/<token>/<wmt>/<package>/<file> (edge/session-tokens.ts builds it):
 *   1. the EdgeAuth token: signature (cached per token string), st/exp, ACL against /<package>/<file>;
 *   2. the revocation list: isRevoked(the token's id), injected, asked on every request, so a session
 *      revoked now is refused from its next request on;
 *   3. the WMT: MAC, version, claims (cached), exp/iat, and its cti must be the token's session;
 *   4. the playlist and init as they are; a segment from A/ or B/ by variantAt(pattern, position).
 * Any refusal is a 403 with `x-vigil-deny: <reason>` and a problem+json body naming it.
 * GET /metrics: Prometheus text. GET /healthz. POST /v1/sessions: the session API (edge/session-api.ts).
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { variantAt, type Variant } from '../core/ab-pattern.js';
import { VigilError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { PACKAGE_MANIFEST, readPackageManifest, variantFile, type PackageManifest } from '../core/package-layout.js';
import { checkTokenFor, verifySignature, type ParsedToken, type TokenCheck } from './edgeauth.js';
import { EdgeMetrics, exposition, type MetricsSnapshot } from './metrics.js';
import { packageNameOf, SESSION_PATH_PREFIX, type EdgeKeys } from './session-tokens.js';
import { checkWmtTimes, verifyWmtSignature, type WmtCheck } from './wmt.js';

export type DenyReason = Extract<TokenCheck, { ok: false }>['reason'] | Extract<WmtCheck, { ok: false }>['reason'] | 'session-revoked' | 'wmt-session-mismatch' | 'token-no-session' | 'revocation-unavailable';

interface ServedFile { body: Buffer; type: string }

export interface ServedPackage {
  dir: string;
  name: string;
  manifest: PackageManifest;
  playlist: ServedFile;
  init: ServedFile;
  /** uri → position and the bytes of A and B (B absent for an unmarked segment). */
  segments: Map<string, { position: number; variants: [ServedFile, ServedFile | undefined] }>;
}

function contentType(file: string): string {
  if (file.endsWith('.m3u8')) return 'application/vnd.apple.mpegurl';
  if (file.endsWith('.m4s')) return 'video/iso.segment';
  if (file.endsWith('.ts')) return 'video/mp2t';
  return 'video/mp4';
}

/** Reads a package once, into memory (segments are served many times over); PACKAGE_UNREADABLE names the file or field at fault. */
export async function loadPackage(dir: string): Promise<ServedPackage> {
  const manifestPath = path.join(dir, PACKAGE_MANIFEST);
  const text = await readFile(manifestPath, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new VigilError('PACKAGE_UNREADABLE', `${manifestPath}: ${e.code === 'ENOENT' ? 'not found (is this a folder written by vigil package?)' : e.message}`);
  });
  const read = readPackageManifest(text);
  if (!read.ok) throw new VigilError('PACKAGE_UNREADABLE', `${manifestPath}: ${read.problems.join('; ')}`);
  const manifest = read.manifest;
  const load = async (file: string, name: string): Promise<ServedFile> => ({
    body: await readFile(file).catch(() => { throw new VigilError('PACKAGE_UNREADABLE', `${file}: missing or unreadable (listed in ${manifestPath} as ${name})`); }),
    type: contentType(file),
  });
  const segments: ServedPackage['segments'] = new Map();
  for (const [i, s] of manifest.segments.entries()) {
    const a = await load(variantFile(dir, s, 0), `segments[${i}]`);
    const b = s.position < 0 ? undefined : await load(variantFile(dir, s, 1), `segments[${i}]`);
    segments.set(s.uri, { position: s.position, variants: [a, b] });
  }
  return {
    dir, manifest, segments,
    name: packageNameOf(manifest.contentId ?? path.basename(path.resolve(dir))),
    playlist: await load(path.join(dir, manifest.playlist), 'playlist'),
    init: await load(path.join(dir, manifest.init), 'init'),
  };
}

export interface EdgeOptions {
  pkg: ServedPackage;
  keys: EdgeKeys;
  isRevoked: (sessionId: string) => boolean | Promise<boolean>;
  log: Logger;
  /** Seconds of clock leeway on st/exp/iat (default 0, as Akamai). */
  skewSeconds?: number;
  now?: () => number;
  /** The session API's handler (POST /v1/sessions), when it runs. */
  sessionApi?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<{ status: number }>;
  /** The revocation API (revocation-api.ts) under /taas/v2, when it is mounted: answers its paths and returns true. */
  revocationApi?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  /** How /metrics gets its numbers; default this process's (a cluster worker asks its primary for the sum). */
  metricsSnapshot?: () => Promise<MetricsSnapshot>;
}

const MAX_CACHE = 20_000;
/** Which edge process answered (`vigil edge --workers N`): for tracing a session's requests. */
const PID = String(process.pid);

/**
 * A bounded memo of results worth keeping (`keep`): cleared when full, which only costs a re-check.
 * Only good signatures are kept, so forged tokens (anyone can send them) cannot fill memory.
 */
function memo<T>(compute: (key: string) => T, keep: (value: T) => boolean): (key: string) => T {
  let cache = new Map<string, T>();
  return (key) => {
    let v = cache.get(key);
    if (v === undefined) {
      v = compute(key);
      if (!keep(v)) return v;
      if (cache.size >= MAX_CACHE) cache = new Map();
      cache.set(key, v);
    }
    return v;
  };
}

const DENY_TITLES: Record<DenyReason, string> = {
  'token-missing': 'No EdgeAuth token', 'token-malformed': 'The EdgeAuth token cannot be read', 'token-bad-signature': 'The EdgeAuth token is forged or changed',
  'token-expired': 'The EdgeAuth token has expired', 'token-not-yet-valid': 'The EdgeAuth token is not valid yet', 'token-acl-mismatch': 'The EdgeAuth token does not cover this path',
  'token-no-session': 'The EdgeAuth token names no session',
  'wmt-missing': 'No watermarking token', 'wmt-malformed': 'The watermarking token cannot be read', 'wmt-bad-alg': 'The watermarking token uses another algorithm',
  'wmt-bad-mac': 'The watermarking token is forged or changed', 'wmt-unknown-version': 'The watermarking token has an unknown version', 'wmt-bad-claims': 'The watermarking token lacks claims',
  'wmt-expired': 'The watermarking token has expired', 'wmt-not-yet-valid': 'The watermarking token is not valid yet', 'wmt-session-mismatch': 'The watermarking token belongs to another session',
  'session-revoked': 'The session was revoked', 'revocation-unavailable': 'The revocation list could not be read',
};

export function problem(res: http.ServerResponse, status: number, title: string, detail: string, extra: Record<string, unknown> = {}): void {
  const body = JSON.stringify({ type: 'about:blank', title, status, detail, ...extra });
  res.writeHead(status, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

export interface EdgeHandler {
  (req: http.IncomingMessage, res: http.ServerResponse): void;
  metrics: EdgeMetrics;
}

export function createEdgeHandler(options: EdgeOptions): EdgeHandler {
  const { pkg, keys, log } = options;
  const skew = options.skewSeconds ?? 0;
  const now = options.now ?? Date.now;
  const metrics = new EdgeMetrics();
  /** `<percent-encoded token>/<wmt>` → both checked (signature, MAC, claims); times come per request. */
  const credentials = memo((raw): { token: TokenCheck; wmt: WmtCheck } => {
    const slash = raw.indexOf('/');
    let tokenText: string;
    try { tokenText = decodeURIComponent(slash < 0 ? raw : raw.slice(0, slash)); } catch {
      return { token: { ok: false, reason: 'token-malformed', message: 'the token path segment is not percent-encoded text' }, wmt: { ok: false, reason: 'wmt-missing', message: '' } };
    }
    return { token: verifySignature({ hex: keys.tokenKey }, tokenText), wmt: verifyWmtSignature(keys.wmtKey, slash < 0 ? '' : raw.slice(slash + 1)) };
  }, (c) => c.token.ok && c.wmt.ok);
  const pkgPrefix = `/${pkg.name}/`;

  const deny = (res: http.ServerResponse, reason: DenyReason, detail: string, started: bigint, kind: string, sessionId?: string): void => {
    metrics.denial(reason);
    log.info({ event: 'edge-denied', reason, sessionId }, 'edge request refused');
    const body = JSON.stringify({ type: 'about:blank', title: DENY_TITLES[reason], status: 403, detail, reason });
    res.writeHead(403, { 'content-type': 'application/problem+json', 'content-length': Buffer.byteLength(body), 'x-vigil-deny': reason, 'cache-control': 'no-store' });
    res.end(body);
    metrics.request(kind, 403, Number(process.hrtime.bigint() - started) / 1e9);
  };

  const send = (res: http.ServerResponse, file: ServedFile, head: boolean, started: bigint, kind: string, extra?: Record<string, string>): void => {
    // Segments differ per session: private, so no shared cache hands one session's variant to another.
    res.writeHead(200, { 'content-type': file.type, 'content-length': file.body.length, 'cache-control': 'private, max-age=60', 'x-vigil-edge-pid': PID, ...extra });
    res.end(head ? undefined : file.body);
    metrics.request(kind, 200, Number(process.hrtime.bigint() - started) / 1e9);
  };

  const serveAllowed = (req: http.IncomingMessage, res: http.ServerResponse, revoked: boolean, wmtSigned: WmtCheck, sessionId: string, nowSeconds: number,
    kind: string, file: string | undefined, contentPath: string, started: bigint): void => {
    if (revoked) return deny(res, 'session-revoked', `session ${sessionId} was revoked`, started, kind, sessionId);
    if (!wmtSigned.ok) return deny(res, wmtSigned.reason, wmtSigned.message, started, kind, sessionId);
    const wmtTimed = checkWmtTimes(wmtSigned.wmt, nowSeconds, skew);
    if (!wmtTimed.ok) return deny(res, wmtTimed.reason, wmtTimed.message, started, kind, sessionId);
    if (wmtSigned.wmt.sessionId !== undefined && wmtSigned.wmt.sessionId !== sessionId) {
      return deny(res, 'wmt-session-mismatch', 'the watermarking token was issued to another session than the EdgeAuth token', started, kind, sessionId);
    }
    const head = req.method === 'HEAD';
    if (kind === 'playlist') return send(res, pkg.playlist, head, started, kind);
    if (kind === 'init') return send(res, pkg.init, head, started, kind);
    const segment = file === undefined ? undefined : pkg.segments.get(file);
    if (!segment) {
      problem(res, 404, 'Not found', `${contentPath} is not a file of package ${pkg.name}`);
      metrics.request(kind, 404, Number(process.hrtime.bigint() - started) / 1e9);
      return;
    }
    const variant: Variant = segment.position < 0 ? 0 : variantAt(wmtSigned.wmt.pattern, segment.position);
    send(res, segment.variants[variant] ?? segment.variants[0], head, started, kind);
  };

  const serveSession = (req: http.IncomingMessage, res: http.ServerResponse, url: string, started: bigint): void => {
    // /s/<token>/<wmt>/<package>/<file>
    const rest = url.slice(SESSION_PATH_PREFIX.length);
    const a = rest.indexOf('/');
    const b = a < 0 ? -1 : rest.indexOf('/', a + 1);
    const q = rest.indexOf('?');
    const contentPath = b < 0 ? '' : rest.slice(b, q < 0 ? undefined : q);
    const file = contentPath.startsWith(pkgPrefix) ? contentPath.slice(pkgPrefix.length) : undefined;
    const kind = file === undefined ? 'other' : file === pkg.manifest.playlist ? 'playlist' : file === pkg.manifest.init ? 'init' : 'segment';
    // Both tokens are checked once per distinct pair (memo on the raw path text): the per-request
    // work is the times, the ACL, the revocation lookup and a Map read.
    const creds = credentials(b < 0 ? rest : rest.slice(0, b));
    const signed = creds.token;
    if (!signed.ok) return deny(res, signed.reason, signed.message, started, kind);
    const nowSeconds = Math.floor(now() / 1000);
    const timed = checkTokenFor(signed.token, contentPath || '/', nowSeconds, skew);
    if (!timed.ok) return deny(res, timed.reason, timed.message, started, kind, signed.token.sessionId);
    const token: ParsedToken = timed.token;
    const sessionId = token.sessionId;
    if (!sessionId) return deny(res, 'token-no-session', 'the token has no id field, so it cannot be revoked; tokens for this edge come from vigil session start', started, kind);
    let revoked: boolean | Promise<boolean>;
    try { revoked = options.isRevoked(sessionId); } catch (e) { revoked = Promise.reject(e as Error); }
    if (typeof revoked === 'boolean') return serveAllowed(req, res, revoked, creds.wmt, sessionId, nowSeconds, kind, file, contentPath, started);
    revoked.then((r) => serveAllowed(req, res, r, creds.wmt, sessionId, nowSeconds, kind, file, contentPath, started), (error: unknown) => {
      // Fail closed: an edge that cannot tell whether a session is revoked serves nothing.
      log.warn({ event: 'revocation-lookup-failed', err: (error as Error).message }, 'revocation lookup failed; refusing');
      deny(res, 'revocation-unavailable', 'the revocation list could not be read; try again', started, kind, sessionId);
    });
  };

  const handler = ((req, res) => {
    const started = process.hrtime.bigint();
    const url = req.url ?? '/';
    if ((req.method === 'GET' || req.method === 'HEAD') && url.startsWith(SESSION_PATH_PREFIX)) return serveSession(req, res, url, started);
    if (req.method === 'GET' && url === '/metrics') {
      void (options.metricsSnapshot?.() ?? Promise.resolve(metrics.snapshot())).then((s) => {
        const body = exposition(s);
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8', 'content-length': Buffer.byteLength(body) });
        res.end(body);
      });
      return;
    }
    if (req.method === 'GET' && url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    }
    if (url.split('?')[0] === '/v1/sessions' && options.sessionApi) {
      void options.sessionApi(req, res).then(({ status }) => metrics.request('api', status, Number(process.hrtime.bigint() - started) / 1e9));
      return;
    }
    // The handler answers asynchronously, so the metric is taken when its answer is sent.
    if (options.revocationApi?.(req, res)) {
      res.once('finish', () => metrics.request('api', res.statusCode, Number(process.hrtime.bigint() - started) / 1e9));
      return;
    }
    if (url.startsWith(pkgPrefix)) return deny(res, 'token-missing', `requests for ${pkg.name} carry the session's tokens in the path: ${SESSION_PATH_PREFIX}<token>/<wmt>${pkgPrefix}…`, started, 'other');
    problem(res, 404, 'Not found', `nothing is served at ${url.split('?')[0]}`);
    metrics.request('other', 404, Number(process.hrtime.bigint() - started) / 1e9);
  }) as EdgeHandler;
  handler.metrics = metrics;
  return handler;
}

export interface RunningEdge {
  url: string;
  port: number;
  server: http.Server;
  handler: EdgeHandler;
  close(): Promise<void>;
}

export async function startEdgeServer(options: EdgeOptions & { port: number; host: string }): Promise<RunningEdge> {
  const handler = createEdgeHandler(options);
  const server = http.createServer({ keepAlive: true }, handler);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new VigilError('EDGE_LISTEN_FAILED', `vigil edge: cannot listen on ${options.host}:${options.port}: ${e.code ?? e.message}`)));
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`,
    port, server, handler,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
