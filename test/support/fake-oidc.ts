import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './read-body.js';

/**
 * A local OpenID Connect provider on 127.0.0.1 for the web view's sign-in tests: discovery
 * document, JWKS, an authorization endpoint with a sign-in form, and a token endpoint that checks
 * the client secret, the redirect URI and the PKCE verifier (S256) before it issues an RS256 ID
 * token carrying the nonce. `forgeNext` makes the next token be signed by a key it does not publish.
 */

export interface FakeOidc {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Token requests received, as form fields. */
  tokenRequests: Record<string, string>[];
  /** The next ID token is signed with a key not in the JWKS (a forged token). */
  forgeNext(): void;
  /** Signs claims with the provider's published key, for tests of the token checks. */
  signToken(claims: Record<string, unknown>, key?: KeyObject): string;
  close(): Promise<void>;
}

interface Grant { clientId: string; redirectUri: string; challenge: string; nonce: string; user: string }

export function rsaKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

export function signJwt(claims: Record<string, unknown>, privateKey: KeyObject, kid: string): string {
  const part = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${part({ alg: 'RS256', typ: 'JWT', kid })}.${part(claims)}`;
  return `${body}.${sign('sha256', Buffer.from(body), privateKey).toString('base64url')}`;
}

export async function startFakeOidc(o: { redirectUri: () => string }): Promise<FakeOidc> {
  const key = rsaKey();
  const forger = rsaKey();
  const kid = 'test-key-1';
  const clientId = 'vigil-web';
  const clientSecret = randomBytes(16).toString('hex');
  const grants = new Map<string, Grant>();
  const tokenRequests: Record<string, string>[] = [];
  let forge = false;
  let issuer = '';

  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', issuer);
      const json = (status: number, value: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(value));
      };
      if (url.pathname === '/.well-known/openid-configuration') {
        return json(200, {
          issuer, authorization_endpoint: `${issuer}/authorize`, token_endpoint: `${issuer}/token`, jwks_uri: `${issuer}/jwks`,
          response_types_supported: ['code'], subject_types_supported: ['public'], id_token_signing_alg_values_supported: ['RS256'],
          code_challenge_methods_supported: ['S256'], token_endpoint_auth_methods_supported: ['client_secret_basic'],
        });
      }
      if (url.pathname === '/jwks') return json(200, { keys: [{ ...key.publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }] });
      if (url.pathname === '/authorize' && req.method === 'GET') {
        const p = url.searchParams;
        if (p.get('client_id') !== clientId || p.get('redirect_uri') !== o.redirectUri() || p.get('response_type') !== 'code' || p.get('code_challenge_method') !== 'S256' || !p.get('code_challenge')) {
          res.writeHead(400, { 'content-type': 'text/plain' });
          return res.end('bad authorization request');
        }
        const hidden = [...p].map(([k, v]) => `<input type="hidden" name="${k}" value="${v.replace(/"/g, '&quot;')}">`).join('');
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end(`<!doctype html><title>Test provider sign-in</title><h1 id="provider">Test provider</h1><form method="post" action="/authorize">${hidden}<input name="user" id="user" value="alice@example.com"><button id="approve">Sign in</button></form>`);
      }
      if (url.pathname === '/authorize' && req.method === 'POST') {
        const p = new URLSearchParams(await readBody(req));
        const code = randomBytes(16).toString('hex');
        grants.set(code, { clientId: p.get('client_id')!, redirectUri: p.get('redirect_uri')!, challenge: p.get('code_challenge')!, nonce: p.get('nonce')!, user: p.get('user')! });
        const back = new URL(p.get('redirect_uri')!);
        back.searchParams.set('code', code);
        back.searchParams.set('state', p.get('state')!);
        res.writeHead(302, { location: back.toString() });
        return res.end();
      }
      if (url.pathname === '/token' && req.method === 'POST') {
        const p = Object.fromEntries(new URLSearchParams(await readBody(req)));
        tokenRequests.push(p);
        const basic = Buffer.from((req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString().split(':').map(decodeURIComponent);
        if (basic[0] !== clientId || basic[1] !== clientSecret) return json(401, { error: 'invalid_client' });
        const grant = grants.get(p.code ?? '');
        grants.delete(p.code ?? '');
        if (!grant || grant.redirectUri !== p.redirect_uri || grant.clientId !== p.client_id) return json(400, { error: 'invalid_grant' });
        if (createHash('sha256').update(p.code_verifier ?? '').digest('base64url') !== grant.challenge) return json(400, { error: 'invalid_grant', error_description: 'PKCE verifier does not match' });
        const now = Math.floor(Date.now() / 1000);
        const claims = { iss: issuer, sub: `user-${grant.user}`, aud: clientId, iat: now, exp: now + 300, nonce: grant.nonce, email: grant.user };
        const idToken = signJwt(claims, forge ? forger.privateKey : key.privateKey, kid);
        forge = false;
        return json(200, { access_token: randomBytes(8).toString('hex'), token_type: 'Bearer', expires_in: 300, id_token: idToken });
      }
      res.writeHead(404);
      res.end();
    })().catch(() => { res.writeHead(500); res.end(); });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer, clientId, clientSecret, tokenRequests,
    forgeNext: () => { forge = true; },
    signToken: (claims, privateKey = key.privateKey) => signJwt(claims, privateKey, kid),
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}
