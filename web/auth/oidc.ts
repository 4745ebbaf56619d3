import { createHash, randomBytes } from 'node:crypto';
import { VigilError } from '../../core/errors.js';
import { tokenKeyId, verifyIdToken, type IdTokenClaims, type Jwk } from './id-token.js';

/**
 * The relying party of the OIDC authorization code flow with PKCE (RFC 7636, S256): the provider is
 * found from its discovery document, the browser is sent to its authorization endpoint, and the code
 * it comes back with is exchanged at the token endpoint for an ID token that is checked here.
 */

export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  redirectUrl: string;
}

interface ProviderMetadata {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
  jwks_uri: string;
}

export interface SignInStart {
  /** Where to send the browser. */
  url: string;
  /** What the callback must see again: kept in a signed cookie between the two. */
  state: string;
  nonce: string;
  verifier: string;
}

export interface OidcClient {
  start(): Promise<SignInStart>;
  /** Exchanges the code and checks the ID token; VIGIL-E0707 when anything does not check. */
  finish(code: string, sent: { nonce: string; verifier: string }): Promise<IdTokenClaims>;
}

const TIMEOUT_MS = 10_000;

function discoveryFailed(url: string, why: string): VigilError {
  return new VigilError('WEB_OIDC_DISCOVERY_FAILED', `${url}: ${why}`);
}

async function getJson(url: string, fail: (why: string) => VigilError): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (error) {
    throw fail(`not reachable (${(error as Error).message})`);
  }
  if (!res.ok) throw fail(`answered HTTP ${res.status}`);
  try {
    return await res.json() as Record<string, unknown>;
  } catch {
    throw fail('did not answer JSON');
  }
}

async function discover(issuer: string): Promise<ProviderMetadata> {
  // The issuer is compared as written (tokens carry it so); only the discovery path drops a trailing '/'.
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const doc = await getJson(url, (why) => discoveryFailed(url, why));
  if (doc.issuer !== issuer) throw discoveryFailed(url, `its issuer ${JSON.stringify(doc.issuer)} is not VIGIL_OIDC_ISSUER ${JSON.stringify(issuer)}`);
  for (const field of ['authorization_endpoint', 'token_endpoint', 'jwks_uri'] as const) {
    if (typeof doc[field] !== 'string' || !URL.canParse(doc[field])) throw discoveryFailed(url, `${field} is missing or not a URL`);
  }
  const methods = doc.code_challenge_methods_supported;
  // Providers that omit the list often support S256 anyway; one that lists methods without it does not.
  if (Array.isArray(methods) && !methods.includes('S256')) throw discoveryFailed(url, 'code_challenge_methods_supported does not include S256 (PKCE)');
  return doc as unknown as ProviderMetadata;
}

const random = (): string => randomBytes(32).toString('base64url');

export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

export function oidcClient(settings: OidcSettings): OidcClient {
  // Discovered on first use and kept; a failure is not kept, so the next sign-in tries again.
  let metadata: Promise<ProviderMetadata> | undefined;
  let keys: Jwk[] = [];
  const provider = (): Promise<ProviderMetadata> => {
    metadata ??= discover(settings.issuer).catch((error: unknown) => { metadata = undefined; throw error; });
    return metadata;
  };
  const loadKeys = async (meta: ProviderMetadata): Promise<Jwk[]> => {
    const doc = await getJson(meta.jwks_uri, (why) => discoveryFailed(meta.jwks_uri, why));
    if (!Array.isArray(doc.keys)) throw discoveryFailed(meta.jwks_uri, 'it holds no keys array (a JWK Set)');
    keys = doc.keys as Jwk[];
    return keys;
  };
  return {
    async start() {
      const meta = await provider();
      const state = random();
      const nonce = random();
      const verifier = random();
      const url = new URL(meta.authorization_endpoint);
      url.search = new URLSearchParams({
        response_type: 'code', client_id: settings.clientId, redirect_uri: settings.redirectUrl, scope: 'openid profile email',
        state, nonce, code_challenge: pkceChallenge(verifier), code_challenge_method: 'S256',
      }).toString();
      return { url: url.toString(), state, nonce, verifier };
    },
    async finish(code, sent) {
      const meta = await provider();
      const body = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: settings.redirectUrl, client_id: settings.clientId, code_verifier: sent.verifier });
      const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
      if (settings.clientSecret !== undefined) {
        // client_secret_basic (RFC 6749 2.3.1): both parts form-encoded before base64.
        const enc = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');
        headers.authorization = `Basic ${Buffer.from(`${enc(settings.clientId)}:${enc(settings.clientSecret)}`).toString('base64')}`;
      }
      let res: Response;
      try {
        res = await fetch(meta.token_endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(TIMEOUT_MS) });
      } catch (error) {
        throw new VigilError('WEB_SIGN_IN_FAILED', `the token endpoint ${meta.token_endpoint} is not reachable (${(error as Error).message})`);
      }
      const answer = await res.json().catch(() => ({})) as Record<string, unknown>;
      if (!res.ok || typeof answer.id_token !== 'string') {
        const why = typeof answer.error === 'string' ? `${answer.error}${typeof answer.error_description === 'string' ? `: ${answer.error_description}` : ''}` : `HTTP ${res.status} without an id_token`;
        throw new VigilError('WEB_SIGN_IN_FAILED', `the token endpoint ${meta.token_endpoint} refused the code (${why})`);
      }
      const idToken = answer.id_token;
      const kid = tokenKeyId(idToken);
      // A key id we have not seen means the provider rotated its keys: read them again, once.
      if (keys.length === 0 || (kid !== undefined && !keys.some((k) => k.kid === kid))) await loadKeys(meta);
      return verifyIdToken(idToken, keys, { issuer: settings.issuer, clientId: settings.clientId, nonce: sent.nonce });
    },
  };
}
