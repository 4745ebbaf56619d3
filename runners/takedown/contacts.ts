import { lookup as dnsLookup, resolveMx } from 'node:dns/promises';
import { isIP } from 'node:net';
import type pg from 'pg';
import {
  cachedDomainAnswer, cachedNetworkAnswer, saveAbuseAnswer, siteTakedown,
  type AbuseAnswer, type AbuseContact, type AppliedSite, type CachedAbuseAnswer,
} from '../../core/db/abuse-contacts.js';
import { VigilError } from '../../core/errors.js';
import { isBlockedAddress } from '../monitor/address.js';
import { domainCandidates, lookupDomainAbuse, lookupNetworkAbuse, type RdapAnswer, type RdapClient } from './rdap.js';

/**
 * Who receives the takedown notice for a finding's host: the Site's own takedown contact when the
 * catalog gives one, otherwise the abuse contacts RDAP names for the domain's registrar and for
 * the hosting provider's IP network (cached in PostgreSQL). A host with nobody to write to is an
 * answer of its own ({ kind: 'none', why }), so a caller reports it instead of skipping it.
 *
 * RDAP data comes from outside, so every address in it is checked before use: an e-mail domain or
 * a URL that resolves to a private, loopback or link-local address is refused (a hostile record
 * must not turn our notice sender into a probe of our own network).
 */

export type NoticeRecipient =
  | { kind: 'contacts'; host: string; from: 'site' | 'rdap'; contacts: AbuseContact[]; refused: string[]; notes: string[] }
  | { kind: 'none'; host: string; why: string; refused: string[] };

/** Addresses a name resolves to: for 'mail' the MX hosts' (or the name's own without MX), for 'web' the name's own. */
export type NameResolver = (name: string, purpose: 'mail' | 'web') => Promise<string[]>;

export interface ContactDeps {
  pool: pg.Pool;
  rdap: RdapClient;
  resolver?: NameResolver;
  /** Seconds an answer is kept: found, firmly none, and the server failed. */
  ttl?: Partial<typeof CONTACT_TTL>;
  actor?: string;
  /** The applied Sites when the caller has read them already (a compose pass, once for all its hosts). */
  sites?: readonly AppliedSite[];
}

export const CONTACT_TTL = {
  found: 7 * 24 * 3600,
  // Registries fix missing contacts slowly, but a day is short enough for a fix to show.
  none: 24 * 3600,
  failed: 3600,
} as const;

const RESOLVE_TIMEOUT_MS = 5_000;

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`resolving ${what} timed out`)), RESOLVE_TIMEOUT_MS); });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The system resolver (DNS): MX first for mail, as a mail server would. */
export const systemResolver: NameResolver = async (name, purpose) => {
  const own = (): Promise<string[]> => dnsLookup(name, { all: true }).then((as) => as.map((a) => a.address));
  if (purpose === 'web') return withTimeout(own(), name);
  const mx = await withTimeout(resolveMx(name), name).catch(() => []);
  if (mx.length === 0) return withTimeout(own(), name);
  const hosts = mx.sort((a, b) => a.priority - b.priority).slice(0, 5).map((m) => m.exchange);
  const addresses = await Promise.all(hosts.map((h) => withTimeout(dnsLookup(h, { all: true }), h).then((as) => as.map((a) => a.address), () => [])));
  return addresses.flat();
};

type Checked = { ok: AbuseContact } | { refused: string } | { unusable: string };

async function addressesOf(name: string, purpose: 'mail' | 'web', resolver: NameResolver): Promise<string[] | string> {
  const bare = name.replace(/^\[|\]$/g, '');
  if (isIP(bare) !== 0) return [bare];
  try {
    const addresses = await resolver(name, purpose);
    return addresses.length > 0 ? addresses : `${name} has no address`;
  } catch (error) {
    return `${name} does not resolve (${(error as Error).message})`;
  }
}

/** Whether a contact from RDAP may receive a notice: its mail domain and form URL must resolve to public addresses. */
async function checkContact(contact: AbuseContact, resolver: NameResolver): Promise<Checked> {
  const targets: { name: string; purpose: 'mail' | 'web'; what: string }[] = [];
  if (contact.email) targets.push({ name: contact.email.slice(contact.email.lastIndexOf('@') + 1).toLowerCase(), purpose: 'mail', what: contact.email });
  if (contact.formUrl) {
    let host: string | undefined;
    try { host = new URL(contact.formUrl).hostname; } catch { host = undefined; }
    if (host) targets.push({ name: host, purpose: 'web', what: contact.formUrl });
    else return { unusable: `${contact.formUrl} is not a URL` };
  }
  const usable: AbuseContact = { ...contact };
  let reachable = false;
  for (const target of targets) {
    const addresses = await addressesOf(target.name, target.purpose, resolver);
    if (typeof addresses === 'string') {
      // An address that does not resolve is dropped from this contact, not from the others.
      if (target.purpose === 'mail') delete usable.email; else delete usable.formUrl;
      continue;
    }
    const bad = addresses.find((a) => isBlockedAddress(a));
    if (bad) return { refused: `a notice to a private address from RDAP data: ${target.what} (${contact.source}) resolves to ${bad}` };
    reachable = true;
  }
  return reachable ? { ok: usable } : { unusable: `${contact.email ?? contact.formUrl} does not resolve` };
}

async function cachedOrLooked(cached: CachedAbuseAnswer | undefined, look: () => Promise<RdapAnswer>, deps: ContactDeps): Promise<AbuseAnswer> {
  if (cached) return cached;
  const answer = await look();
  const ttl = { ...CONTACT_TTL, ...deps.ttl };
  const { failed, ...record } = answer;
  await saveAbuseAnswer(deps.pool, record, answer.found ? ttl.found : failed ? ttl.failed : ttl.none, { actor: deps.actor ?? 'takedown' });
  return record;
}

async function domainAnswer(host: string, deps: ContactDeps): Promise<AbuseAnswer> {
  let cached: CachedAbuseAnswer | undefined;
  for (const candidate of domainCandidates(host)) {
    cached = await cachedDomainAnswer(deps.pool, candidate);
    if (cached) break;
  }
  return cachedOrLooked(cached, () => lookupDomainAbuse(host, deps.rdap), deps);
}

async function networkAnswer(address: string, deps: ContactDeps): Promise<AbuseAnswer> {
  return cachedOrLooked(await cachedNetworkAnswer(deps.pool, address), () => lookupNetworkAbuse(address, deps.rdap), deps);
}

function siteContacts(siteId: string, takedown: { email?: string; formUrl?: string; hostingProvider?: string }): AbuseContact[] {
  const source = `Site/${siteId}`;
  const organization = takedown.hostingProvider ? { organization: takedown.hostingProvider } : {};
  return [
    ...(takedown.email ? [{ role: 'site' as const, email: takedown.email, source, ...organization }] : []),
    ...(takedown.formUrl ? [{ role: 'site' as const, formUrl: takedown.formUrl, source, ...organization }] : []),
  ];
}

function contactKey(contact: AbuseContact): string {
  return `${contact.email?.toLowerCase() ?? ''} ${contact.formUrl ?? ''}`;
}

export interface DeliveryTarget {
  channel: 'email' | 'form';
  /** The address a notice is batched under (ContactLinks.to of the notice batcher). */
  to: string;
  contact: AbuseContact;
}

/** Where each contact is written to: its e-mail over the e-mail channel, else its web form over the form channel. */
export function deliveryTargets(recipient: NoticeRecipient): DeliveryTarget[] {
  if (recipient.kind === 'none') return [];
  return recipient.contacts.flatMap((contact): DeliveryTarget[] => {
    if (contact.email) return [{ channel: 'email', to: contact.email.toLowerCase(), contact }];
    if (contact.formUrl) return [{ channel: 'form', to: contact.formUrl, contact }];
    return [];
  });
}

/**
 * The recipients of a notice for `host`. Throws CONTACT_PRIVATE_ADDRESS when RDAP's only contacts
 * point at private addresses: that is a refusal a person should see, not "nobody found".
 */
export async function noticeRecipient(target: { host: string; siteId?: string | null }, deps: ContactDeps): Promise<NoticeRecipient> {
  const host = target.host.toLowerCase().replace(/\.$/, '');
  const resolver = deps.resolver ?? systemResolver;
  // The catalog is written by the team itself: its contact is trusted as given, and wins.
  const site = await siteTakedown(deps.pool, { host, ...(target.siteId ? { siteId: target.siteId } : {}) }, deps.sites);
  const fromSite = site ? siteContacts(site.siteId, site.takedown) : [];
  if (fromSite.length > 0) return { kind: 'contacts', host, from: 'site', contacts: fromSite, refused: [], notes: [] };
  const notes: string[] = [];
  if (site?.takedown.hostingProvider) notes.push(`Site/${site.siteId} names ${site.takedown.hostingProvider} as hosting provider but gives no e-mail or form`);

  // Registrar first, then hosting: the order a reader of "why" expects, and the order notices go out.
  const answers: (AbuseAnswer | string)[] = [];
  if (isIP(host) === 0) answers.push(await domainAnswer(host, deps));
  const addresses = await addressesOf(host, 'web', resolver);
  if (typeof addresses === 'string') answers.push(`no hosting network: ${addresses}`);
  else {
    const address = addresses.find((a) => !isBlockedAddress(a));
    answers.push(address ? await networkAnswer(address, deps) : `no hosting network: ${host} resolves only to private addresses (${addresses.join(', ')})`);
  }

  const contacts: AbuseContact[] = [];
  const refused: string[] = [];
  const whyNot: string[] = [];
  const seen = new Set<string>();
  for (const answer of answers) {
    if (typeof answer === 'string') { whyNot.push(answer); continue; }
    if (!answer.found) { whyNot.push(answer.why); continue; }
    for (const contact of answer.contacts) {
      // A registrar that also hosts gets one notice, not two: the first role found names it.
      if (seen.has(contactKey(contact))) continue;
      seen.add(contactKey(contact));
      const checked = await checkContact(contact, resolver);
      if ('ok' in checked) contacts.push(checked.ok);
      else if ('refused' in checked) refused.push(checked.refused);
      else notes.push(checked.unusable);
    }
  }
  if (contacts.length > 0) return { kind: 'contacts', host, from: 'rdap', contacts, refused, notes };
  if (refused.length > 0) throw new VigilError('CONTACT_PRIVATE_ADDRESS', `no notice for ${host}: ${refused.join('; ')}`);
  return { kind: 'none', host, why: [...whyNot, ...notes].join('; ') || `no contact found for ${host}`, refused };
}
