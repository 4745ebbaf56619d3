/**
 * The watermarking token (WMT) of ETSI TS 104 002 V1.1.1 (DASH-IF Forensic A/B Watermarking),
 * clause 5.4: a CWT (RFC 8392) with integer claim keys in deterministically encoded CBOR, MACed as a
 * COSE_Mac0 (RFC 9052, tag 17) with HMAC 256/256 (COSE alg 5), base64url without padding.
 *
 * Claim keys: exp 4, nbf 5, iat 6, cti 7 from RFC 8392 clause 3.1; the WM claims from the spec's Table 1
 * ("Integer Claim key values for the WM token"): wmver 300, wmvnd 301, wmpatlen 302,
 * wmsegduration 303, wmpattern 304, wmid 305, wmopid 306, wmkeyver 307. The spec requires exp and iat.
 *
 * - direct mode: wmpattern carries the pattern as bytes, bit addressed big-endian (the spec's own
 *   example), which is core/ab-pattern.ts patternToBytes. The spec recommends encrypting it
 *   (COSE_Encrypt0); Vigil issues it in the clear inside the MACed token: an edge of ours or a CDN
 *   reads it, a player could too, which tells it nothing it could not see from the segments.
 * - indirect mode: wmid (text) is the input of a vendor-specific derivation; Vigil's derivation is
 *   core/ab-pattern.ts patternFor(the decimal watermark ID), with wmopid and wmkeyver carried as the
 *   spec's CDDL requires.
 *
 * wmvnd: the spec refers to a DASH-IF list of vendor identifiers that we could not read; Vigil uses
 * VIGIL_WM_VENDOR (250), an arbitrary value, until it has a registered one.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { CODEWORD_BITS, patternFor, patternFromBytes, patternToBytes, PATTERN_VERSION, type Variant } from '../core/ab-pattern.js';
import { CborError, CborTag, decodeCbor, encodeCbor, type CborMap, type CborValue } from './cbor.js';

export const CLAIM = {
  exp: 4, nbf: 5, iat: 6, cti: 7,
  wmver: 300, wmvnd: 301, wmpatlen: 302, wmsegduration: 303, wmpattern: 304, wmid: 305, wmopid: 306, wmkeyver: 307,
} as const;
/** The WMT version the spec describes (and the only one accepted). */
export const WMT_VERSION = 1;
export const VIGIL_WM_VENDOR = 250;
/** The wmkeyver of indirect tokens: the version of core/ab-pattern.ts's derivation. */
export const VIGIL_WM_KEY_VERSION = PATTERN_VERSION;

const COSE_MAC0_TAG = 17;
const CWT_TAG = 61;
const COSE_HEADER_ALG = 1;
const COSE_ALG_HMAC_256_256 = 5;

export type WmtMode = 'direct' | 'indirect';

export interface WmtRequest {
  mode: WmtMode;
  watermarkId: number;
  /** Epoch seconds. */
  issuedAt: number;
  expiresAt: number;
  /** Nominal segment duration as [ticks, ticks per second] (optional in the spec). */
  segmentDuration?: [number, number];
  /**
   * The streaming session, as the CWT ID (cti, a byte string): the edge serves a WMT only with the
   * EdgeAuth token of the same session, so one viewer's token cannot be paired with another's pattern.
   */
  sessionId?: string;
  /** wmopid of indirect mode (an operator id); default 0. */
  operatorId?: number;
}

export type WmtRefusal = 'wmt-missing' | 'wmt-malformed' | 'wmt-bad-alg' | 'wmt-bad-mac' | 'wmt-unknown-version' | 'wmt-bad-claims' | 'wmt-expired' | 'wmt-not-yet-valid';

export interface Wmt {
  mode: WmtMode;
  version: number;
  vendor: number;
  pattern: Variant[];
  /** Indirect mode: the watermark ID wmid names. */
  watermarkId?: number;
  issuedAt: number;
  expiresAt: number;
  notBefore?: number;
  /** From cti, when present. */
  sessionId?: string;
}

export type WmtCheck = { ok: true; wmt: Wmt } | { ok: false; reason: WmtRefusal; message: string };

export function checkWmtKey(hex: string): Buffer {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex) || hex.length < 64) throw new RangeError('the WMT key must be hex of at least 32 bytes (64 hex digits), the HMAC 256/256 key size');
  return Buffer.from(hex, 'hex');
}

function macStructure(protectedHeader: Uint8Array, payload: Uint8Array): Uint8Array {
  // RFC 9052 clause 6.3: MAC_structure = [ "MAC0", protected, external_aad (empty), payload ].
  return encodeCbor(['MAC0', protectedHeader, new Uint8Array(0), payload]);
}

function mac(key: Buffer, protectedHeader: Uint8Array, payload: Uint8Array): Buffer {
  return createHmac('sha256', key).update(macStructure(protectedHeader, payload)).digest();
}

/** A WMT for `request`, base64url. */
export function issueWmt(keyHex: string, request: WmtRequest): string {
  const key = checkWmtKey(keyHex);
  const claims: CborMap = new Map<number, CborValue>([
    [CLAIM.iat, request.issuedAt],
    [CLAIM.exp, request.expiresAt],
    [CLAIM.wmver, WMT_VERSION],
    [CLAIM.wmvnd, VIGIL_WM_VENDOR],
    [CLAIM.wmpatlen, CODEWORD_BITS],
  ]);
  if (request.sessionId !== undefined) claims.set(CLAIM.cti, new TextEncoder().encode(request.sessionId));
  if (request.segmentDuration) claims.set(CLAIM.wmsegduration, [...request.segmentDuration]);
  if (request.mode === 'direct') claims.set(CLAIM.wmpattern, patternToBytes(patternFor(request.watermarkId)));
  else {
    patternFor(request.watermarkId); // throws on an ID outside 1..2^32-1
    claims.set(CLAIM.wmid, String(request.watermarkId));
    claims.set(CLAIM.wmopid, request.operatorId ?? 0);
    claims.set(CLAIM.wmkeyver, VIGIL_WM_KEY_VERSION);
  }
  const payload = encodeCbor(claims);
  const protectedHeader = encodeCbor(new Map([[COSE_HEADER_ALG, COSE_ALG_HMAC_256_256]]));
  const tag = mac(key, protectedHeader, payload);
  return Buffer.from(encodeCbor(new CborTag(COSE_MAC0_TAG, [protectedHeader, new Map(), payload, new Uint8Array(tag)]))).toString('base64url');
}

const refuse = (reason: WmtRefusal, message: string): WmtCheck => ({ ok: false, reason, message });
const uint = (v: CborValue | undefined): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * A WMT's MAC, version and claims, checked once per token string (the edge caches it); times are
 * checked per request by checkWmtTimes.
 */
export function verifyWmtSignature(keyHex: string, text: string | undefined): WmtCheck {
  if (text === undefined || text === '') return refuse('wmt-missing', 'no watermarking token was given');
  const key = checkWmtKey(keyHex);
  if (!/^[A-Za-z0-9_-]+$/.test(text) || text.length > 4096) return refuse('wmt-malformed', 'the watermarking token is not base64url');
  let outer: CborValue;
  try { outer = decodeCbor(Buffer.from(text, 'base64url')); } catch (e) { return refuse('wmt-malformed', `the watermarking token is not CBOR: ${(e as CborError).message}`); }
  if (outer instanceof CborTag && outer.tag === CWT_TAG) outer = outer.value;
  if (outer instanceof CborTag) {
    if (outer.tag !== COSE_MAC0_TAG) return refuse('wmt-malformed', `the watermarking token is a COSE message with tag ${outer.tag}, not a COSE_Mac0 (17)`);
    outer = outer.value;
  }
  if (!Array.isArray(outer) || outer.length !== 4) return refuse('wmt-malformed', 'the watermarking token is not a COSE_Mac0 array of 4');
  const [protectedHeader, , payload, tag] = outer;
  if (!(protectedHeader instanceof Uint8Array) || !(payload instanceof Uint8Array) || !(tag instanceof Uint8Array)) return refuse('wmt-malformed', 'the COSE_Mac0 fields are not byte strings');
  let header: CborValue;
  try { header = decodeCbor(protectedHeader); } catch { return refuse('wmt-malformed', 'the COSE protected header is not CBOR'); }
  const alg = header instanceof Map ? header.get(COSE_HEADER_ALG) : undefined;
  if (alg !== COSE_ALG_HMAC_256_256) return refuse('wmt-bad-alg', `the watermarking token's alg is ${JSON.stringify(alg ?? null)}, not HMAC 256/256 (5)`);
  const expected = mac(key, protectedHeader, payload);
  if (tag.length !== expected.length || !timingSafeEqual(tag, expected)) return refuse('wmt-bad-mac', 'the watermarking token\'s MAC does not match: not made with this key, or changed');
  let claims: CborValue;
  try { claims = decodeCbor(payload); } catch { return refuse('wmt-malformed', 'the CWT claims are not CBOR'); }
  if (!(claims instanceof Map)) return refuse('wmt-malformed', 'the CWT claims are not a map');
  const version = claims.get(CLAIM.wmver);
  if (version !== WMT_VERSION) return refuse('wmt-unknown-version', `the watermarking token's wmver is ${JSON.stringify(version ?? null)}; this edge reads version ${WMT_VERSION}`);
  const exp = claims.get(CLAIM.exp);
  const iat = claims.get(CLAIM.iat);
  const nbf = claims.get(CLAIM.nbf);
  const vendor = claims.get(CLAIM.wmvnd);
  const patlen = claims.get(CLAIM.wmpatlen);
  if (!uint(exp) || !uint(iat)) return refuse('wmt-bad-claims', 'the watermarking token needs exp and iat as epoch seconds');
  if (nbf !== undefined && !uint(nbf)) return refuse('wmt-bad-claims', 'nbf must be epoch seconds');
  if (!uint(vendor) || vendor > 255) return refuse('wmt-bad-claims', 'wmvnd must be a one-byte unsigned integer');
  if (!uint(patlen) || patlen < 1 || patlen > 65535) return refuse('wmt-bad-claims', 'wmpatlen must be a two-byte unsigned integer > 0');
  const cti = claims.get(CLAIM.cti);
  if (cti !== undefined && !(cti instanceof Uint8Array)) return refuse('wmt-bad-claims', 'cti must be a byte string');
  const base = {
    version, vendor, issuedAt: iat, expiresAt: exp, ...(nbf === undefined ? {} : { notBefore: nbf }),
    ...(cti === undefined ? {} : { sessionId: Buffer.from(cti).toString('utf8') }),
  };
  const direct = claims.get(CLAIM.wmpattern);
  if (direct !== undefined) {
    if (!(direct instanceof Uint8Array)) return refuse('wmt-bad-claims', 'wmpattern must be a byte string (an encrypted pattern is not supported)');
    if (direct.length * 8 < patlen) return refuse('wmt-bad-claims', `wmpattern has ${direct.length * 8} bits, fewer than wmpatlen ${patlen}`);
    return { ok: true, wmt: { ...base, mode: 'direct', pattern: patternFromBytes(direct, patlen) } };
  }
  const wmid = claims.get(CLAIM.wmid);
  if (wmid === undefined) return refuse('wmt-bad-claims', 'the watermarking token has neither wmpattern (direct mode) nor wmid (indirect mode)');
  if (typeof wmid !== 'string' || !/^[1-9]\d{0,9}$/.test(wmid)) return refuse('wmt-bad-claims', 'wmid must be a decimal watermark ID');
  if (!uint(claims.get(CLAIM.wmopid)) || !uint(claims.get(CLAIM.wmkeyver))) return refuse('wmt-bad-claims', 'indirect mode needs wmopid and wmkeyver');
  if (claims.get(CLAIM.wmkeyver) !== VIGIL_WM_KEY_VERSION) return refuse('wmt-bad-claims', `wmkeyver ${String(claims.get(CLAIM.wmkeyver))} is not a derivation this edge knows (${VIGIL_WM_KEY_VERSION})`);
  let pattern: Variant[];
  try { pattern = patternFor(Number(wmid)); } catch (e) { return refuse('wmt-bad-claims', (e as Error).message); }
  if (patlen !== pattern.length) return refuse('wmt-bad-claims', `wmpatlen ${patlen} does not match the derived pattern's ${pattern.length} bits`);
  return { ok: true, wmt: { ...base, mode: 'indirect', pattern, watermarkId: Number(wmid) } };
}

export function checkWmtTimes(wmt: Wmt, nowSeconds: number, skewSeconds = 0): WmtCheck {
  if (nowSeconds - skewSeconds >= wmt.expiresAt) return refuse('wmt-expired', `the watermarking token expired at ${new Date(wmt.expiresAt * 1000).toISOString()}`);
  const from = Math.max(wmt.notBefore ?? 0, wmt.issuedAt);
  if (nowSeconds + skewSeconds < from) return refuse('wmt-not-yet-valid', `the watermarking token is valid from ${new Date(from * 1000).toISOString()}`);
  return { ok: true, wmt };
}

export function verifyWmt(keyHex: string, text: string | undefined, nowSeconds = Math.floor(Date.now() / 1000)): WmtCheck {
  const signed = verifyWmtSignature(keyHex, text);
  return signed.ok ? checkWmtTimes(signed.wmt, nowSeconds) : signed;
}
