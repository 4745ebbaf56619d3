import type pg from 'pg';
import type { SiteSpec } from '../catalog/types.js';
import { appendAudit } from './audit.js';
import { inTransaction } from './transaction.js';

/**
 * Who receives takedown notices: the Site's own contact from the applied catalog, and the abuse
 * contacts RDAP gave for a domain or an IP network, cached with an expiry. Lookups themselves live
 * in runners/takedown; this module only reads and writes the records.
 */

type Queryable = Pick<pg.Pool, 'query'>;

export const ABUSE_CONTACT_ROLES = ['site', 'registrar', 'hosting'] as const;
export type AbuseContactRole = (typeof ABUSE_CONTACT_ROLES)[number];

export interface AbuseContact {
  /** The Site's own takedown contact, the domain's registrar, or the IP network's hosting provider. */
  role: AbuseContactRole;
  email?: string;
  tel?: string;
  /** A web form a person fills in (the "form" channel). */
  formUrl?: string;
  /** The contact's name as given (often a role such as "Abuse Desk"). */
  name?: string;
  /** The registrar or hosting provider it speaks for. */
  organization?: string;
  /** Where it came from: "Site/ID" or the RDAP URL that named it. */
  source: string;
}

export type AbuseScope = 'domain' | 'network';

export interface AbuseAnswer {
  scope: AbuseScope;
  /** The domain, or the network as CIDR text. */
  key: string;
  /** Networks only: the range as CIDR, so any address inside it is answered from the cache. */
  network?: string;
  found: boolean;
  contacts: AbuseContact[];
  organization: string;
  /** Why nobody was found (redacted, absent, the registry unreachable); empty when found. */
  why: string;
  sources: string[];
}

export interface CachedAbuseAnswer extends AbuseAnswer {
  fetchedAt: Date;
  expiresAt: Date;
}

interface Row {
  scope: AbuseScope;
  key: string;
  network: string | null;
  found: boolean;
  contacts: AbuseContact[];
  organization: string;
  why: string;
  sources: string[];
  fetched_at: Date;
  expires_at: Date;
}

const COLUMNS = 'scope, key, network::text as network, found, contacts, organization, why, sources, fetched_at, expires_at';

function fromRow(r: Row): CachedAbuseAnswer {
  return {
    scope: r.scope, key: r.key, ...(r.network ? { network: r.network } : {}), found: r.found, contacts: r.contacts,
    organization: r.organization, why: r.why, sources: r.sources, fetchedAt: r.fetched_at, expiresAt: r.expires_at,
  };
}

/** The unexpired answer for a domain, if any. */
export async function cachedDomainAnswer(db: Queryable, domain: string): Promise<CachedAbuseAnswer | undefined> {
  const { rows } = await db.query<Row>(
    `select ${COLUMNS} from abuse_contacts where scope = 'domain' and key = $1 and expires_at > now()`, [domain.toLowerCase()]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

/** The unexpired answer for the narrowest cached network that holds `address`, if any. */
export async function cachedNetworkAnswer(db: Queryable, address: string): Promise<CachedAbuseAnswer | undefined> {
  const { rows } = await db.query<Row>(
    `select ${COLUMNS} from abuse_contacts where scope = 'network' and network >>= $1::inet and expires_at > now()
     order by masklen(network) desc limit 1`, [address]);
  return rows[0] ? fromRow(rows[0]) : undefined;
}

function sameContacts(a: readonly AbuseContact[], b: readonly AbuseContact[]): boolean {
  const key = (list: readonly AbuseContact[]): string => JSON.stringify(list.map((c) => [c.role, c.email ?? '', c.tel ?? '', c.formUrl ?? '']).sort());
  return key(a) === key(b);
}

/**
 * Records what RDAP answered for `ttlSeconds`. A change of who receives notices (a new key, other
 * contacts, found or not) is audited in the same transaction; a refresh that finds the same
 * contacts only moves the expiry, so the audit log does not fill with cache renewals.
 */
export async function saveAbuseAnswer(pool: pg.Pool, answer: AbuseAnswer, ttlSeconds: number, by: { actor: string }): Promise<void> {
  await inTransaction(pool, async (tx) => {
    const key = answer.scope === 'domain' ? answer.key.toLowerCase() : answer.key;
    const before = await tx.query<Row>(`select ${COLUMNS} from abuse_contacts where scope = $1 and key = $2 for update`, [answer.scope, key]);
    await tx.query(
      `insert into abuse_contacts (scope, key, network, found, contacts, organization, why, sources, fetched_at, expires_at)
       values ($1, $2, $3::cidr, $4, $5, $6, $7, $8, now(), now() + make_interval(secs => $9))
       on conflict (scope, key) do update set network = excluded.network, found = excluded.found, contacts = excluded.contacts,
         organization = excluded.organization, why = excluded.why, sources = excluded.sources, fetched_at = now(), expires_at = excluded.expires_at`,
      [answer.scope, key, answer.network ?? null, answer.found, JSON.stringify(answer.contacts), answer.organization, answer.why,
        JSON.stringify(answer.sources), ttlSeconds],
    );
    const old = before.rows[0];
    if (old && old.found === answer.found && sameContacts(old.contacts, answer.contacts)) return;
    const who = answer.contacts.map((c) => c.email ?? c.formUrl ?? c.tel).filter(Boolean).join(', ');
    await appendAudit(tx, by.actor, null, [{
      action: 'abuse-contact-recorded', kind: null, id: `${answer.scope}:${key}`,
      reason: answer.found ? `notices for ${answer.scope} ${key} go to ${who}` : `no abuse contact for ${answer.scope} ${key}: ${answer.why}`,
      details: { scope: answer.scope, key, found: answer.found, contacts: answer.contacts, sources: answer.sources, previous: old ? { found: old.found, contacts: old.contacts } : null },
    }]);
  });
}

/** Every recorded answer, expired or not, for a person or a test to read. */
export async function abuseAnswers(db: Queryable): Promise<CachedAbuseAnswer[]> {
  const { rows } = await db.query<Row>(`select ${COLUMNS} from abuse_contacts order by scope, key`);
  return rows.map(fromRow);
}

export interface SiteTakedown {
  siteId: string;
  takedown: NonNullable<SiteSpec['takedown']>;
}

function hostInDomain(host: string, domain: string): boolean {
  const d = domain.toLowerCase().replace(/^\*\./, '').replace(/\.$/, '');
  return host === d || host.endsWith(`.${d}`);
}

/**
 * The applied Site for a finding (by its site id, else the Site whose domains hold the host) with
 * its takedown section, if that Site has one.
 */
export async function siteTakedown(db: Queryable, target: { host: string; siteId?: string | null }, sites?: readonly AppliedSite[]): Promise<SiteTakedown | undefined> {
  const host = target.host.toLowerCase().replace(/\.$/, '');
  const rows = sites ?? await appliedSites(db);
  const site = rows.find((r) => r.id === target.siteId)
    ?? rows.filter((r) => (r.spec.domains ?? []).some((d) => hostInDomain(host, d)))
      // The most specific domain wins: a Site for cdn.example.to before one for example.to.
      .sort((a, b) => longest(b.spec, host) - longest(a.spec, host))[0];
  if (!site?.spec.takedown) return undefined;
  return { siteId: site.id, takedown: site.spec.takedown };
}

/** An applied (not retired) catalog Site. */
export interface AppliedSite {
  id: string;
  spec: SiteSpec;
}

/** The applied Sites, in id order: read once by a compose pass and handed to siteTakedown for each host. */
export async function appliedSites(db: Queryable): Promise<AppliedSite[]> {
  const { rows } = await db.query<AppliedSite>(`select id, spec from catalog_objects where kind = 'Site' and deleted_at is null order by id`);
  return rows;
}

function longest(spec: SiteSpec, host: string): number {
  return Math.max(0, ...(spec.domains ?? []).filter((d) => hostInDomain(host, d)).map((d) => d.length));
}
