import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { VigilError } from '../../core/errors.js';

/**
 * Checks an OIDC ID token (a JWS in compact form) as OpenID Connect Core 3.1.3.7 asks: the
 * signature under one of the provider's published keys (RS256 or ES256, never "none" nor an HMAC
 * with a public key), the issuer, the audience (our client id), the expiry and the nonce we sent.
 */

export interface Jwk extends JsonWebKey {
  kid?: string;
  alg?: string;
  use?: string;
}

export interface IdTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nonce?: string;
  name?: string;
  email?: string;
  preferred_username?: string;
}

/** Algorithms accepted, with what node:crypto needs to check them. */
const ALGORITHMS: Record<string, { kty: string; hash: string; dsaEncoding?: 'ieee-p1363' }> = {
  RS256: { kty: 'RSA', hash: 'sha256' },
  ES256: { kty: 'EC', hash: 'sha256', dsaEncoding: 'ieee-p1363' },
};

/** Clock skew tolerated between us and the provider. */
const LEEWAY_S = 60;

function refuse(why: string): VigilError {
  return new VigilError('WEB_SIGN_IN_FAILED', `the ID token was refused: ${why}`);
}

function decodePart(part: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch { /* reported below */ }
  throw refuse(`its ${what} is not base64url JSON`);
}

/** The key id a token names, so the caller can fetch the provider's keys again when it is new. */
export function tokenKeyId(token: string): string | undefined {
  const kid = decodePart(token.split('.')[0] ?? '', 'header').kid;
  return typeof kid === 'string' ? kid : undefined;
}

export function verifyIdToken(token: string, keys: readonly Jwk[], expect: { issuer: string; clientId: string; nonce: string; now?: number }): IdTokenClaims {
  const parts = token.split('.');
  if (parts.length !== 3) throw refuse('it is not a compact JWS (three parts)');
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  const header = decodePart(headerPart, 'header');
  const alg = typeof header.alg === 'string' ? header.alg : '';
  const algorithm = ALGORITHMS[alg];
  if (!algorithm) throw refuse(`its algorithm ${JSON.stringify(alg)} is not one accepted (${Object.keys(ALGORITHMS).join(', ')})`);
  const candidates = keys.filter((k) => k.kty === algorithm.kty && (k.use === undefined || k.use === 'sig') && (k.alg === undefined || k.alg === alg)
    && (header.kid === undefined || k.kid === header.kid));
  if (candidates.length === 0) throw refuse(`the provider publishes no ${algorithm.kty} key${header.kid === undefined ? '' : ` with kid ${JSON.stringify(header.kid)}`}`);
  const signed = Buffer.from(`${headerPart}.${payloadPart}`);
  const signature = Buffer.from(signaturePart, 'base64url');
  const good = candidates.some((jwk) => {
    try {
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      return verify(algorithm.hash, signed, algorithm.dsaEncoding ? { key, dsaEncoding: algorithm.dsaEncoding } : key, signature);
    } catch {
      return false;
    }
  });
  if (!good) throw refuse('its signature does not check under the provider\'s keys');
  const claims = decodePart(payloadPart, 'payload') as Partial<IdTokenClaims>;
  const now = Math.floor((expect.now ?? Date.now()) / 1000);
  if (claims.iss !== expect.issuer) throw refuse(`its issuer ${JSON.stringify(claims.iss)} is not ${JSON.stringify(expect.issuer)}`);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(expect.clientId)) throw refuse(`its audience ${JSON.stringify(claims.aud)} does not name client ${JSON.stringify(expect.clientId)}`);
  if (typeof claims.exp !== 'number' || claims.exp + LEEWAY_S < now) throw refuse('it has expired');
  if (typeof claims.iat !== 'number' || claims.iat - LEEWAY_S > now) throw refuse('it was issued in the future');
  if (claims.nonce !== expect.nonce) throw refuse('its nonce is not the one this sign-in sent');
  if (typeof claims.sub !== 'string' || claims.sub === '') throw refuse('it names no subject (sub)');
  return claims as IdTokenClaims;
}
