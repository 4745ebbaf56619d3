/**
 * Issuing sessions: `vigil session start` and the player back end's HTTP API (POST /v1/sessions)
 * share issueSession, which records the session (core/db/sessions.ts, audited) and makes its tokens.
 *
 * POST /v1/sessions  Authorization: Bearer <VIGIL_SESSION_API_KEY>  Content-Type: application/json
 *   { "viewer": "acct-42", "ttlSeconds"?: 14400, "mode"?: "direct" | "indirect" }
 * 201 { sessionId, watermarkId, viewer, contentId, expiresAt, token, tokenName, wmt, playlistUrl }
 * Errors are application/problem+json (RFC 9457) with the Vigil error code where there is one.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type pg from 'pg';
import { isVigilError, VigilError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { startSession, type StreamingSession } from '../core/db/sessions.js';
import { TOKEN_NAME } from './edgeauth.js';
import { problem } from './server.js';
import { sessionTokens, type EdgeKeys, type SessionTokens } from './session-tokens.js';
import type { WmtMode } from './wmt.js';

export const DEFAULT_SESSION_TTL_MS = 4 * 3_600_000;

export interface SessionTarget {
  /** The path segment the package has on the edge (edge/session-tokens.ts packageNameOf). */
  packageName: string;
  /** The playlist file, when a package is known. */
  playlist?: string;
  contentId?: string;
  /** The package folder, recorded with the session. */
  packageDir?: string;
}

export interface IssuedSession { session: StreamingSession; tokens: SessionTokens }

export async function issueSession(pool: pg.Pool, keys: EdgeKeys, publicUrl: string, target: SessionTarget,
  input: { viewer: string; ttlMs: number; mode?: WmtMode }, by: { actor: string; reason: string }): Promise<IssuedSession> {
  const session = await startSession(pool, {
    viewer: input.viewer, ttlMs: input.ttlMs,
    ...(target.contentId ? { contentId: target.contentId } : {}), ...(target.packageDir ? { package: target.packageDir } : {}),
  }, by);
  const tokens = sessionTokens(keys, session, { packageName: target.packageName, publicUrl, ...(target.playlist ? { playlist: target.playlist } : {}), ...(input.mode ? { mode: input.mode } : {}) });
  return { session, tokens };
}

export function sessionJson({ session, tokens }: IssuedSession): Record<string, unknown> {
  return {
    sessionId: session.id, watermarkId: session.watermarkId, viewer: session.viewer, contentId: session.contentId,
    issuedAt: session.issuedAt.toISOString(), expiresAt: session.expiresAt.toISOString(),
    tokenName: TOKEN_NAME, token: tokens.token, acl: tokens.acl, wmt: tokens.wmt, playlistUrl: tokens.playlistUrl,
  };
}

const MAX_BODY = 16 * 1024;
const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

function readBody(req: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) { resolve(undefined); req.destroy(); return; }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface SessionApiOptions {
  pool: pg.Pool;
  apiKey: string;
  keys: EdgeKeys;
  /** The edge's public base URL, asked per session (the edge knows its port only once it listens). */
  publicUrl: () => string;
  target: SessionTarget;
  log: Logger;
}

export function createSessionApi(options: SessionApiOptions): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<{ status: number }> {
  const expected = digest(options.apiKey);
  return async (req, res) => {
    const fail = (status: number, title: string, detail: string, extra: Record<string, unknown> = {}): { status: number } => {
      if (status === 401) res.setHeader('www-authenticate', 'Bearer realm="vigil-sessions"');
      problem(res, status, title, detail, extra);
      return { status };
    };
    if (req.method !== 'POST') { res.setHeader('allow', 'POST'); return fail(405, 'Method not allowed', 'POST /v1/sessions starts a session'); }
    const auth = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!auth || !timingSafeEqual(digest(auth[1]!), expected)) return fail(401, 'Unauthorized', 'send Authorization: Bearer <the session API key> (VIGIL_SESSION_API_KEY of this edge)');
    if (!/^application\/json\b/i.test(req.headers['content-type'] ?? '')) return fail(415, 'Unsupported media type', 'send the body as application/json');
    const text = await readBody(req).catch(() => undefined);
    if (text === undefined) return fail(413, 'Body too large', `the body must be JSON of at most ${MAX_BODY} bytes`);
    let body: unknown;
    try { body = JSON.parse(text); } catch (e) { return fail(400, 'Bad request', `the body is not JSON: ${(e as Error).message}`); }
    const b = (typeof body === 'object' && body !== null && !Array.isArray(body) ? body : undefined) as Record<string, unknown> | undefined;
    if (!b) return fail(400, 'Bad request', 'the body must be a JSON object such as {"viewer": "acct-42"}');
    const problems: string[] = [];
    if (typeof b.viewer !== 'string') problems.push('viewer: must be a string (the account id)');
    if (b.ttlSeconds !== undefined && (typeof b.ttlSeconds !== 'number' || !Number.isInteger(b.ttlSeconds))) problems.push('ttlSeconds: must be a whole number of seconds');
    if (b.mode !== undefined && b.mode !== 'direct' && b.mode !== 'indirect') problems.push('mode: must be "direct" or "indirect"');
    const unknown = Object.keys(b).filter((k) => !['viewer', 'ttlSeconds', 'mode'].includes(k));
    if (unknown.length > 0) problems.push(`${unknown.join(', ')}: unknown field(s); the fields are viewer, ttlSeconds, mode`);
    if (problems.length > 0) return fail(400, 'Bad request', problems.join('; '), { problems });
    try {
      const issued = await issueSession(options.pool, options.keys, options.publicUrl(), options.target, {
        viewer: b.viewer as string, ttlMs: ((b.ttlSeconds as number | undefined) ?? DEFAULT_SESSION_TTL_MS / 1000) * 1000,
        ...(b.mode ? { mode: b.mode as WmtMode } : {}),
      }, { actor: 'api:sessions', reason: 'session started through POST /v1/sessions' });
      const json = JSON.stringify(sessionJson(issued));
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json), 'cache-control': 'no-store' });
      res.end(json);
      options.log.info({ event: 'session-started', sessionId: issued.session.id, watermarkId: issued.session.watermarkId }, 'session started');
      return { status: 201 };
    } catch (error) {
      if (isVigilError(error)) {
        const e = error as VigilError;
        return fail(e.errorName === 'SESSION_INVALID' ? 400 : 500, 'Session refused', e.message, { code: e.code });
      }
      options.log.error({ event: 'session-api-failed', err: (error as Error).message }, 'session API failed');
      return fail(500, 'Internal error', 'the session could not be recorded; try again');
    }
  };
}
