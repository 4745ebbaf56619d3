/**
 * EdgeAuth tokens (Akamai Token Authentication 2.0), byte-compatible with Akamai's published token
 * libraries (EdgeAuth-Token-Python / -Node / -Java): the same fields in the same order, joined by
 * `~`, and `hmac` = hex HMAC over them with the key given as hex.
 *
 *   token   = [ip=IP~][st=START~]exp=END[~acl=ACL][~id=SESSION][~data=PAYLOAD]~hmac=HEX
 *   signed  = the token's fields before hmac, plus `~url=URL` for a URL token, plus `~salt=SALT`
 *
 * `escapeEarly` URL-encodes ip, id, data and url as Python's quote_plus does (space → `+`, every
 * byte but letters, digits and `_.-~` as %XX) with the escapes in lower case, as the libraries do;
 * the ACL is never escaped. (The Node library's escapeEarly differs from the Python one on six
 * characters: it writes space as %20, escapes `~` and leaves `!()` alone; on letters, digits and
 * `-_.`, which is all a Vigil session id holds (base64url), the two agree and so do we.) An ACL may hold several paths separated by `!`, each with `*` matching
 * any run of characters (slashes included), which is how Akamai's edge reads it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TOKEN_NAME = '__token__';
export const FIELD_DELIMITER = '~';
export const ACL_DELIMITER = '!';

export type EdgeAuthAlgorithm = 'sha256' | 'sha1' | 'md5';

export interface EdgeAuthKey {
  /** The shared secret as hex (what Akamai's property manager shows and the libraries take). */
  hex: string;
  algorithm?: EdgeAuthAlgorithm;
  /** Optional salt appended to the string to sign, never sent. */
  salt?: string;
  escapeEarly?: boolean;
}

export interface TokenRequest {
  /** Epoch seconds the token starts to be valid; omitted: valid at once (no st field). */
  startTime?: number;
  /** Epoch seconds the token stops being valid. */
  endTime: number;
  /** ACL path(s): one token for many URLs (a playlist and its segments). Exactly one of acl and url. */
  acl?: string | readonly string[];
  /** A single URL path: the url is signed but not carried in the token. */
  url?: string;
  ip?: string;
  sessionId?: string;
  data?: string;
}

const HEX_KEY = /^(?:[0-9a-fA-F]{2})+$/;

/** Throws a RangeError naming what is wrong with a key: Vigil's callers turn it into a user error. */
export function checkKey(key: EdgeAuthKey): Buffer {
  if (!HEX_KEY.test(key.hex)) throw new RangeError('the EdgeAuth key must be hex (an even number of 0-9a-f digits), as Akamai shows it');
  if (key.hex.length < 32) throw new RangeError('the EdgeAuth key must be at least 16 bytes (32 hex digits)');
  return Buffer.from(key.hex, 'hex');
}

/** Python's quote_plus with lower-case escapes: what the libraries' escapeEarly does. */
export function escapeEarly(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
    .replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
}

function hmacHex(key: EdgeAuthKey, secret: Buffer, text: string): string {
  return createHmac(key.algorithm ?? 'sha256', secret).update(text, 'utf8').digest('hex');
}

function signedText(fields: readonly string[], key: EdgeAuthKey, url: string | undefined): string {
  const parts = [...fields];
  if (url !== undefined) parts.push(`url=${key.escapeEarly ? escapeEarly(url) : url}`);
  if (key.salt) parts.push(`salt=${key.salt}`);
  return parts.join(FIELD_DELIMITER);
}

/** A token for `request`, exactly as Akamai's libraries would make it. */
export function generateToken(key: EdgeAuthKey, request: TokenRequest): string {
  const secret = checkKey(key);
  const esc = (v: string): string => (key.escapeEarly ? escapeEarly(v) : v);
  if ((request.acl === undefined) === (request.url === undefined)) throw new RangeError('an EdgeAuth token needs exactly one of acl and url');
  if (!Number.isInteger(request.endTime) || request.endTime <= 0) throw new RangeError('endTime must be epoch seconds > 0');
  if (request.startTime !== undefined && (!Number.isInteger(request.startTime) || request.startTime <= 0)) throw new RangeError('startTime must be epoch seconds > 0');
  if (request.startTime !== undefined && request.endTime <= request.startTime) throw new RangeError('the token would have expired already: endTime <= startTime');
  const fields: string[] = [];
  if (request.ip) fields.push(`ip=${esc(request.ip)}`);
  if (request.startTime !== undefined) fields.push(`st=${request.startTime}`);
  fields.push(`exp=${request.endTime}`);
  if (request.acl !== undefined) {
    const acl = typeof request.acl === 'string' ? request.acl : request.acl.join(ACL_DELIMITER);
    if (acl.length === 0) throw new RangeError('acl must not be empty');
    fields.push(`acl=${acl}`);
  }
  if (request.sessionId) fields.push(`id=${esc(request.sessionId)}`);
  if (request.data) fields.push(`data=${esc(request.data)}`);
  const hmac = hmacHex(key, secret, signedText(fields, key, request.url));
  return [...fields, `hmac=${hmac}`].join(FIELD_DELIMITER);
}

/** Why a token was refused; the edge sends it as `x-vigil-deny`. */
export type TokenRefusal = 'token-missing' | 'token-malformed' | 'token-bad-signature' | 'token-expired' | 'token-not-yet-valid' | 'token-acl-mismatch';

export interface ParsedToken {
  ip?: string;
  startTime?: number;
  endTime: number;
  acl?: string[];
  sessionId?: string;
  data?: string;
}

export type TokenCheck = { ok: true; token: ParsedToken } | { ok: false; reason: TokenRefusal; message: string };

const KNOWN_FIELDS = new Set(['ip', 'st', 'exp', 'acl', 'id', 'data', 'hmac']);
const EPOCH = /^\d{1,12}$/;

function unescape(value: string, key: EdgeAuthKey): string | undefined {
  if (!key.escapeEarly) return value;
  try { return decodeURIComponent(value.replace(/\+/g, ' ')); } catch { return undefined; }
}

/**
 * The signature of a token, checked once (the edge caches the result per token string): fields
 * parsed, the hmac recomputed over the text before it (plus url/salt) and compared in constant time.
 * Times and the ACL are checked per request by checkTokenFor.
 */
export function verifySignature(key: EdgeAuthKey, token: string | undefined, url?: string): TokenCheck {
  if (token === undefined || token === '') return { ok: false, reason: 'token-missing', message: `no ${TOKEN_NAME} was given` };
  const secret = checkKey(key);
  const at = token.lastIndexOf(`${FIELD_DELIMITER}hmac=`);
  if (at < 0) return { ok: false, reason: 'token-malformed', message: 'the token has no hmac field' };
  const fieldText = token.slice(0, at);
  const given = token.slice(at + 6);
  const fields = fieldText.split(FIELD_DELIMITER);
  const parsed: Partial<ParsedToken> & { seen: Set<string> } = { seen: new Set() };
  for (const field of fields) {
    const eq = field.indexOf('=');
    const name = eq < 0 ? field : field.slice(0, eq);
    const value = eq < 0 ? '' : field.slice(eq + 1);
    if (!KNOWN_FIELDS.has(name) || name === 'hmac' || eq < 0) return { ok: false, reason: 'token-malformed', message: `the token has an unknown field ${JSON.stringify(name.slice(0, 20))}` };
    if (parsed.seen.has(name)) return { ok: false, reason: 'token-malformed', message: `the token has the field ${name} twice` };
    parsed.seen.add(name);
    if (name === 'st' || name === 'exp') {
      if (!EPOCH.test(value)) return { ok: false, reason: 'token-malformed', message: `the token's ${name} is not epoch seconds` };
      if (name === 'st') parsed.startTime = Number(value); else parsed.endTime = Number(value);
    } else if (name === 'acl') parsed.acl = value.split(ACL_DELIMITER);
    else {
      const v = unescape(value, key);
      if (v === undefined) return { ok: false, reason: 'token-malformed', message: `the token's ${name} is not URL-encoded text` };
      if (name === 'ip') parsed.ip = v; else if (name === 'id') parsed.sessionId = v; else parsed.data = v;
    }
  }
  if (parsed.endTime === undefined) return { ok: false, reason: 'token-malformed', message: 'the token has no exp field' };
  if ((parsed.acl === undefined) === (url === undefined)) {
    return { ok: false, reason: 'token-malformed', message: parsed.acl === undefined ? 'the token has no acl (a URL token is not accepted here)' : 'the token has an acl but a URL token was expected' };
  }
  const expected = hmacHex(key, secret, signedText(fields, key, url));
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  if (a.length !== b.length || !timingSafeEqual(a, b)) return { ok: false, reason: 'token-bad-signature', message: 'the token\'s hmac does not match: it was not made with this key, or was changed' };
  const { seen: _seen, ...token_ } = parsed;
  return { ok: true, token: token_ as ParsedToken };
}

/** Entries split at `*`, kept: an edge checks the same few ACLs on every request. */
const ACL_PARTS = new Map<string, string[]>();
function partsOf(entry: string): string[] {
  let parts = ACL_PARTS.get(entry);
  if (!parts) {
    parts = entry.split('*');
    if (ACL_PARTS.size >= 10_000) ACL_PARTS.clear();
    ACL_PARTS.set(entry, parts);
  }
  return parts;
}

/** Whether one ACL entry (Akamai's `*` wildcard) covers `path`. */
export function aclEntryMatches(entry: string, path: string): boolean {
  const parts = partsOf(entry);
  if (parts.length === 1) return entry === path;
  if (!path.startsWith(parts[0]!) || !path.endsWith(parts[parts.length - 1]!)) return false;
  let from = parts[0]!.length;
  const end = path.length - parts[parts.length - 1]!.length;
  if (end < from) return false;
  for (let i = 1; i < parts.length - 1; i++) {
    const at = path.indexOf(parts[i]!, from);
    if (at < 0 || at + parts[i]!.length > end) return false;
    from = at + parts[i]!.length;
  }
  return true;
}

export function aclMatches(acl: readonly string[], path: string): boolean {
  return acl.some((entry) => aclEntryMatches(entry, path));
}

/** Times (with `skewSeconds` of leeway for clocks) and the ACL of a token whose signature checked. */
export function checkTokenFor(token: ParsedToken, path: string, nowSeconds: number, skewSeconds = 0): TokenCheck {
  if (token.startTime !== undefined && nowSeconds + skewSeconds < token.startTime) {
    return { ok: false, reason: 'token-not-yet-valid', message: `the token is valid from ${new Date(token.startTime * 1000).toISOString()}` };
  }
  if (nowSeconds - skewSeconds >= token.endTime) return { ok: false, reason: 'token-expired', message: `the token expired at ${new Date(token.endTime * 1000).toISOString()}` };
  if (token.acl && !aclMatches(token.acl, path)) return { ok: false, reason: 'token-acl-mismatch', message: `the token's acl does not cover ${path}` };
  return { ok: true, token };
}

/** Signature, times and ACL in one call (a player back end checking one token, or a test). */
export function verifyToken(key: EdgeAuthKey, token: string | undefined, path: string, nowSeconds = Math.floor(Date.now() / 1000)): TokenCheck {
  const signed = verifySignature(key, token);
  return signed.ok ? checkTokenFor(signed.token, path, nowSeconds) : signed;
}
