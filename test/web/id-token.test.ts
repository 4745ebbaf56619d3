import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyIdToken, type Jwk } from '../../web/auth/id-token.js';
import { rsaKey, signJwt } from '../support/fake-oidc.js';

const key = rsaKey();
const other = rsaKey();
const jwks: Jwk[] = [{ ...key.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' }];
const issuer = 'http://127.0.0.1:9/realms/test';
const now = Date.parse('2026-12-02T12:00:00Z');
const claims = { iss: issuer, sub: 'u1', aud: 'vigil-web', iat: now / 1000, exp: now / 1000 + 300, nonce: 'n-1', email: 'a@example.com' };
const expect_ = { issuer, clientId: 'vigil-web', nonce: 'n-1', now };

function refusal(token: string, keys: Jwk[] = jwks): string {
  try {
    verifyIdToken(token, keys, expect_);
    return 'accepted';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('ID token checks', () => {
  it('accepts a token signed by a published key for this client and nonce', () => {
    expect(verifyIdToken(signJwt(claims, key.privateKey, 'k1'), jwks, expect_).email).toBe('a@example.com');
  });

  it('refuses a signature by another key, another audience, issuer or nonce, and an expired token', () => {
    expect(refusal(signJwt(claims, other.privateKey, 'k1'))).toContain('signature does not check');
    expect(refusal(signJwt({ ...claims, aud: 'someone-else' }, key.privateKey, 'k1'))).toContain('audience');
    expect(refusal(signJwt({ ...claims, iss: 'http://evil.example' }, key.privateKey, 'k1'))).toContain('issuer');
    expect(refusal(signJwt({ ...claims, nonce: 'replayed' }, key.privateKey, 'k1'))).toContain('nonce');
    expect(refusal(signJwt({ ...claims, exp: now / 1000 - 120 }, key.privateKey, 'k1'))).toContain('expired');
  });

  it('refuses alg none, an HMAC made with the public key, and an unknown key id', () => {
    const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    expect(refusal(`${part({ alg: 'none' })}.${part(claims)}.`)).toContain('"none" is not one accepted');
    expect(refusal(`${part({ alg: 'HS256', kid: 'k1' })}.${part(claims)}.AAAA`)).toContain('"HS256" is not one accepted');
    expect(refusal(signJwt(claims, key.privateKey, 'k2'))).toContain('no RSA key with kid "k2"');
  });

  it('checks ES256 signatures in their JWS form (r || s)', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
    const body = `${part({ alg: 'ES256', kid: 'e1' })}.${part(claims)}`;
    const token = `${body}.${sign('sha256', Buffer.from(body), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
    const keys: Jwk[] = [{ ...ec.publicKey.export({ format: 'jwk' }), kid: 'e1' }];
    expect(verifyIdToken(token, keys, expect_).sub).toBe('u1');
  });
});
