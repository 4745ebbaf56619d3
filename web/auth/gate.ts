import type { IncomingMessage, ServerResponse } from 'node:http';
import { ENV, type WebAuthMode, type WebConfig } from '../../core/config.js';
import { VigilError, isVigilError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { oidcClient, type OidcClient } from './oidc.js';
import { cookieSigner, parseCookies, setCookie } from './signed-cookie.js';

/**
 * Who is looking, for every request: nothing of the records is served to nobody. Three ways, chosen
 * once (VIGIL_WEB_AUTH): an OIDC provider (a signed cookie after the code flow), a reverse proxy
 * that names the person in a header (believed only from the proxy's own address), or development
 * mode, which signs nobody in and serves only on loopback.
 */

export interface Gate {
  mode: WebAuthMode;
  /** One line for the start banner: how people sign in. */
  describe: string;
  /** The person signed in, or undefined. */
  who(req: IncomingMessage): string | undefined;
  /** Answers the sign-in routes (/login, /auth/callback, /logout); false for any other path. */
  route(req: IncomingMessage, res: ServerResponse, url: URL, page: ErrorPage): Promise<boolean>;
  /** Answers a request that has nobody signed in: to the provider's sign-in, or 401. */
  refuse(req: IncomingMessage, res: ServerResponse, url: URL, page: ErrorPage): void;
}

/** Writes an error page with its status; the server owns how pages look. */
export type ErrorPage = (status: number, error: VigilError) => void;

const SESSION_COOKIE = 'vigil_web';
const SIGN_IN_COOKIE = 'vigil_web_signin';
const SESSION_TTL_MS = 8 * 3_600_000;
const SIGN_IN_TTL_MS = 10 * 60_000;

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** An IPv4 peer reaches a dual-stack socket as ::ffff:a.b.c.d; compare it as a.b.c.d. */
function plainAddress(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

/** A path on this site to return to after sign-in; anything else (another origin, //host) goes to /. */
function localPath(value: string | null): string {
  return value && value.startsWith('/') && !value.startsWith('//') && !value.startsWith('/\\') ? value : '/';
}

export function createGate(web: WebConfig, listen: { host: string; port: number }, log: Logger): Gate {
  switch (web.auth) {
    case undefined:
      throw new VigilError('WEB_AUTH_MISSING', `${ENV.VIGIL_WEB_AUTH} is not set; choose oidc, proxy or dev`);
    case 'dev':
      if (!isLoopback(listen.host)) throw new VigilError('WEB_DEV_NOT_LOOPBACK', `${ENV.VIGIL_WEB_AUTH}=dev with --host ${listen.host}: development mode serves without sign-in, so only on loopback`);
      return {
        mode: 'dev', describe: `development mode: no sign-in, serving on loopback (${listen.host}) only`,
        who: () => 'development',
        route: () => Promise.resolve(false),
        refuse: () => undefined,
      };
    case 'proxy':
      return proxyGate(web);
    case 'oidc':
      return oidcGate(web, listen, log);
  }
}

function proxyGate(web: WebConfig): Gate {
  const { header, address } = web.proxy;
  if (!header || !address) {
    throw new VigilError('WEB_PROXY_INCOMPLETE', `${ENV.VIGIL_WEB_AUTH}=proxy needs ${!header ? ENV.VIGIL_WEB_PROXY_HEADER : ENV.VIGIL_WEB_PROXY_ADDRESS}`);
  }
  const proxy = plainAddress(address);
  return {
    mode: 'proxy', describe: `sign-in by the reverse proxy at ${proxy} (header ${header}); requests from any other address are refused`,
    who(req) {
      if (plainAddress(req.socket.remoteAddress) !== proxy) return undefined;
      const value = req.headers[header];
      const user = (Array.isArray(value) ? value[0] : value)?.trim();
      return user ? user.slice(0, 200) : undefined;
    },
    route: () => Promise.resolve(false),
    refuse(req, res, _url, page) {
      const from = plainAddress(req.socket.remoteAddress);
      page(401, new VigilError('WEB_SIGN_IN_REQUIRED', from === proxy ? `the proxy sent no ${header} header: nobody is signed in` : `this request came from ${from}, not through the sign-in proxy`));
    },
  };
}

function oidcGate(web: WebConfig, listen: { host: string; port: number }, log: Logger): Gate {
  const { issuer, clientId, clientSecret } = web.oidc;
  if (!issuer || !clientId) throw new VigilError('WEB_OIDC_INCOMPLETE', `${ENV.VIGIL_WEB_AUTH}=oidc needs ${!issuer ? ENV.VIGIL_OIDC_ISSUER : ENV.VIGIL_OIDC_CLIENT_ID}`);
  const redirectUrl = web.oidc.redirectUrl ?? `http://${listen.host.includes(':') ? `[${listen.host}]` : listen.host}:${listen.port}/auth/callback`;
  const callbackPath = new URL(redirectUrl).pathname;
  const secure = redirectUrl.startsWith('https:');
  const signer = cookieSigner(web.sessionKey);
  const client: OidcClient = oidcClient({ issuer, clientId, clientSecret, redirectUrl });
  const session = (req: IncomingMessage): Record<string, unknown> | undefined => signer.verify(parseCookies(req.headers.cookie).get(SESSION_COOKIE));
  const failed = (res: ServerResponse, error: unknown, page: ErrorPage): void => {
    if (!isVigilError(error)) throw error;
    log.warn({ event: 'web-sign-in-failed', code: error.code, err: error }, 'web view: a sign-in failed');
    res.setHeader('set-cookie', setCookie(SIGN_IN_COOKIE, '', { maxAgeS: 0, secure }));
    page(error.errorName === 'WEB_OIDC_DISCOVERY_FAILED' ? 502 : 401, error);
  };
  return {
    mode: 'oidc', describe: `sign-in by OIDC at ${issuer} (client ${clientId}, callback ${redirectUrl})`,
    who(req) {
      const s = session(req);
      return typeof s?.user === 'string' ? s.user : undefined;
    },
    async route(req, res, url, page) {
      if (url.pathname === '/logout') {
        res.writeHead(303, { location: '/signed-out', 'set-cookie': setCookie(SESSION_COOKIE, '', { maxAgeS: 0, secure }) });
        res.end();
        return true;
      }
      if (url.pathname === '/login') {
        try {
          const start = await client.start();
          const pending = signer.sign({ state: start.state, nonce: start.nonce, verifier: start.verifier, back: localPath(url.searchParams.get('back')) }, SIGN_IN_TTL_MS);
          res.writeHead(302, { location: start.url, 'set-cookie': setCookie(SIGN_IN_COOKIE, pending, { maxAgeS: SIGN_IN_TTL_MS / 1000, secure }) });
          res.end();
        } catch (error) {
          failed(res, error, page);
        }
        return true;
      }
      if (url.pathname !== callbackPath) return false;
      try {
        const pending = signer.verify(parseCookies(req.headers.cookie).get(SIGN_IN_COOKIE));
        const providerError = url.searchParams.get('error');
        if (providerError) throw new VigilError('WEB_SIGN_IN_FAILED', `the provider answered ${providerError}${url.searchParams.get('error_description') ? `: ${url.searchParams.get('error_description')}` : ''}`);
        if (!pending) throw new VigilError('WEB_SIGN_IN_FAILED', 'no sign-in was started from this browser in the last 10 minutes (the sign-in cookie is missing or expired)');
        if (url.searchParams.get('state') !== pending.state) throw new VigilError('WEB_SIGN_IN_FAILED', 'the state the provider returned is not the one this sign-in sent');
        const code = url.searchParams.get('code');
        if (!code) throw new VigilError('WEB_SIGN_IN_FAILED', 'the provider returned no code');
        const claims = await client.finish(code, { nonce: String(pending.nonce), verifier: String(pending.verifier) });
        const user = claims.email ?? claims.preferred_username ?? claims.name ?? claims.sub;
        log.info({ event: 'web-signed-in', user, sub: claims.sub }, 'web view: signed in');
        res.writeHead(303, {
          location: localPath(typeof pending.back === 'string' ? pending.back : null),
          'set-cookie': [setCookie(SESSION_COOKIE, signer.sign({ user, sub: claims.sub }, SESSION_TTL_MS), { maxAgeS: SESSION_TTL_MS / 1000, secure }), setCookie(SIGN_IN_COOKIE, '', { maxAgeS: 0, secure })],
        });
        res.end();
      } catch (error) {
        failed(res, error, page);
      }
      return true;
    },
    refuse(req, res, url, page) {
      // A person's browser is sent to sign in; anything else (a script, curl) is told it is not signed in.
      if (req.method === 'GET' && (req.headers.accept ?? '').includes('text/html')) {
        res.writeHead(302, { location: `/login?back=${encodeURIComponent(url.pathname + url.search)}` });
        res.end();
        return;
      }
      page(401, new VigilError('WEB_SIGN_IN_REQUIRED', 'nobody is signed in; open /login in a browser to sign in'));
    },
  };
}
