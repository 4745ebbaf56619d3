import { VigilError } from './errors.js';

/**
 * URL normalization for deduplicating findings across rounds and sources: one finding per content and
 * normalized URL, whether a link came over http or https, with or without www, with tracking
 * parameters or a trailing slash. Host names are compared in punycode (the URL parser's form).
 */

const TRACKING_PARAMS = /^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|yclid|mc_[a-z]+|ref|ref_src|referrer|source|spm|_ga|_gl|phpsessid|jsessionid|sid|sessionid)$/i;

/** `host/path?query`: no scheme, no www., no default port, no fragment, sorted query without tracking parameters. */
export function normalizeUrl(input: string): string {
  const u = new URL(input);
  let host = u.hostname.toLowerCase().replace(/\.$/, '');
  if (host.startsWith('www.')) host = host.slice(4);
  const defaultPort = (u.protocol === 'http:' && u.port === '80') || (u.protocol === 'https:' && u.port === '443') || u.port === '';
  let path = u.pathname.replace(/\/{2,}/g, '/');
  // Decode percent-escapes of unreserved characters; they mean the same either way.
  path = path.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(ch) ? ch : m.toUpperCase();
  });
  path = path.replace(/\/(index|default)\.(html?|php|aspx?)$/i, '/');
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  const params = [...u.searchParams.entries()].filter(([k]) => !TRACKING_PARAMS.test(k)).sort(([a, x], [b, y]) => (a === b ? x.localeCompare(y) : a.localeCompare(b)));
  const query = params.length > 0 ? `?${new URLSearchParams(params).toString()}` : '';
  return `${host}${defaultPort ? '' : `:${u.port}`}${path === '/' ? '' : path}${query}`;
}

export function hostOf(url: string): string {
  return new URL(url).hostname.toLowerCase().replace(/\.$/, '').replace(/^www\./, '');
}

/** A `--link` as findings are queried by: a URL (normalized as findings are stored) or a bare host. */
export function linkQuery(link: string): { normalizedUrl: string } | { host: string } {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(link) ? { normalizedUrl: normalizeUrl(link) } : { host: link };
}

/** A link a person gave (a report, a detection request), checked as http(s) and normalized as findings are; LINK_INVALID names what was given. */
export function checkedLink(url: string): { url: string; normalizedUrl: string; host: string } {
  const trimmed = url.trim();
  const parsed = URL.canParse(trimmed) ? new URL(trimmed) : undefined;
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') {
    throw new VigilError('LINK_INVALID', `${JSON.stringify(url)} is not an http or https link`);
  }
  return { url: parsed.toString(), normalizedUrl: normalizeUrl(trimmed), host: hostOf(trimmed) };
}
