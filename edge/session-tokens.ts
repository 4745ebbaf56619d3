/**
 * What a session's player needs: the EdgeAuth token (ACL = the package's path on the edge, id = the
 * session), the WMT (the session's pattern, bound to the session by cti) and the playlist URL.
 *
 * URL layout on the edge: /s/<token, percent-encoded as one path segment>/<wmt>/<package>/<file>.
 * Both tokens sit in the path, not the query, because HLS clients (ffmpeg, hls.js, AVPlayer)
 * resolve the playlist's relative segment URIs against the playlist URL and drop its query: with
 * the tokens in the path every segment request carries them without rewriting the playlist.
 */
import { ENV, type EdgeConfig } from '../core/config.js';
import { VigilError } from '../core/errors.js';
import type { StreamingSession } from '../core/db/sessions.js';
import { checkKey, generateToken } from './edgeauth.js';
import { checkWmtKey, issueWmt, type WmtMode } from './wmt.js';

export const SESSION_PATH_PREFIX = '/s/';

export interface EdgeKeys {
  tokenKey: string;
  wmtKey: string;
}

/** The two keys, checked (EDGE_NOT_CONFIGURED names the variable at fault). */
export function edgeKeysOf(config: EdgeConfig): EdgeKeys {
  const { tokenKey, wmtKey } = config;
  if (!tokenKey) throw new VigilError('EDGE_NOT_CONFIGURED', `${ENV.VIGIL_EDGE_TOKEN_KEY} is not set: give the EdgeAuth key as hex (openssl rand -hex 32)`);
  if (!wmtKey) throw new VigilError('EDGE_NOT_CONFIGURED', `${ENV.VIGIL_WMT_KEY} is not set: give the watermarking-token key as hex (openssl rand -hex 32)`);
  try { checkKey({ hex: tokenKey }); } catch (e) { throw new VigilError('EDGE_NOT_CONFIGURED', `${ENV.VIGIL_EDGE_TOKEN_KEY}: ${(e as Error).message}`); }
  try { checkWmtKey(wmtKey); } catch (e) { throw new VigilError('EDGE_NOT_CONFIGURED', `${ENV.VIGIL_WMT_KEY}: ${(e as Error).message}`); }
  return { tokenKey, wmtKey };
}

/** A name usable as one URL path segment: the package's content id or folder name. */
export function packageNameOf(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[-.]+/, '').slice(0, 100);
  return cleaned === '' ? 'package' : cleaned;
}

export function sessionPath(token: string, wmt: string, packageName: string, file: string): string {
  return `${SESSION_PATH_PREFIX}${encodeURIComponent(token)}/${wmt}/${packageName}/${file}`;
}

export interface SessionTokens {
  token: string;
  wmt: string;
  acl: string;
  /** The playlist URL on the edge (when the playlist's name is known), else the package's base URL. */
  playlistUrl: string;
}

export function sessionTokens(keys: EdgeKeys, session: StreamingSession, where: { packageName: string; playlist?: string; publicUrl: string; mode?: WmtMode }): SessionTokens {
  const issuedAt = Math.floor(session.issuedAt.getTime() / 1000);
  const expiresAt = Math.floor(session.expiresAt.getTime() / 1000);
  const acl = `/${where.packageName}/*`;
  const token = generateToken({ hex: keys.tokenKey }, { startTime: issuedAt, endTime: expiresAt, acl, sessionId: session.id });
  const wmt = issueWmt(keys.wmtKey, { mode: where.mode ?? 'direct', watermarkId: session.watermarkId, issuedAt, expiresAt, sessionId: session.id });
  return { token, wmt, acl, playlistUrl: `${where.publicUrl}${sessionPath(token, wmt, where.packageName, where.playlist ?? '')}` };
}
