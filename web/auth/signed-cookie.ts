import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Small signed cookies: a JSON value, base64url, and an HMAC-SHA256 of it under the process's key,
 * with an expiry inside the signed part. The web view keeps no session store: the cookie is the
 * session, and a forged or stale one simply reads as nobody.
 */

export interface CookieSigner {
  sign(value: Record<string, unknown>, ttlMs: number, now?: number): string;
  /** The value when the signature checks and it has not expired; undefined otherwise. */
  verify(token: string | undefined, now?: number): Record<string, unknown> | undefined;
}

export function cookieSigner(key: string | undefined): CookieSigner {
  // Without a configured key each process signs with its own: a restart signs everyone out, which is safe.
  const secret = key === undefined ? randomBytes(32) : Buffer.from(key, 'utf8');
  const mac = (body: string): Buffer => createHmac('sha256', secret).update(body).digest();
  return {
    sign(value, ttlMs, now = Date.now()) {
      const body = Buffer.from(JSON.stringify({ ...value, exp: now + ttlMs })).toString('base64url');
      return `${body}.${mac(body).toString('base64url')}`;
    },
    verify(token, now = Date.now()) {
      if (!token) return undefined;
      const [body, sig, extra] = token.split('.');
      if (!body || !sig || extra !== undefined) return undefined;
      const given = Buffer.from(sig, 'base64url');
      const want = mac(body);
      if (given.length !== want.length || !timingSafeEqual(given, want)) return undefined;
      try {
        const value = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<string, unknown>;
        return typeof value.exp === 'number' && value.exp > now ? value : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** The cookies of a request by name (the first of a repeated name wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 1) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

/** A Set-Cookie value: HttpOnly, SameSite=Lax (the OIDC callback is a top-level redirect back), Secure on https. */
export function setCookie(name: string, value: string, o: { maxAgeS: number; secure: boolean }): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${o.maxAgeS}${o.secure ? '; Secure' : ''}`;
}
