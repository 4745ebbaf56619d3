import { hostOf } from '../../core/url.js';

/**
 * Domain names of a site: its registered domain and the label people know it by (normalizeUrl and
 * hostOf, which findings are deduplicated on, live in core/url.ts).
 */

// Second-level suffixes under which names are registered (a short list; enough to tell name.co.uk from co.uk).
const SECOND_LEVEL = new Set(['co', 'com', 'net', 'org', 'gov', 'edu', 'ac', 'or', 'ne', 'go', 'gob', 'nic', 'mil']);

/** The registered domain (`watch.name.co.uk` → `name.co.uk`), approximated without the public suffix list. */
export function registrableDomain(host: string): string {
  const labels = host.toLowerCase().replace(/\.$/, '').split('.');
  if (labels.length <= 2) return labels.join('.');
  const sld = labels[labels.length - 2]!;
  const tld = labels[labels.length - 1]!;
  const take = tld.length === 2 && SECOND_LEVEL.has(sld) ? 3 : 2;
  return labels.slice(-take).join('.');
}

/** The registered name without its public suffix (`name.co.uk` → `name`). */
export function domainLabel(host: string): string {
  return registrableDomain(host).split('.')[0]!;
}

/** `host` is `domain` or a subdomain of it. */
export function hostMatches(host: string, domain: string): boolean {
  const h = host.toLowerCase().replace(/^www\./, '');
  const d = domain.toLowerCase().replace(/^www\./, '');
  return h === d || h.endsWith(`.${d}`);
}

export function sameSite(a: string, b: string): boolean {
  return registrableDomain(hostOf(a)) === registrableDomain(hostOf(b));
}
