import type pg from 'pg';
import type { PoolClient } from 'pg';
import { takedownSettings } from '../catalog/takedown-policy.js';
import { allowListProposalJob } from '../queues.js';
import { appendAudit } from './audit.js';
import type { Change, Finding } from './findings.js';
import { writeOutbox } from './outbox.js';
import { appliedPolicy } from './policy.js';
import { inTransaction } from './transaction.js';

/**
 * What an Ignore teaches: a host people keep telling Vigil is no leak is proposed for the allow-list
 * (a legitimate Site) through a catalog pull request, so git stays the source of the catalog. One
 * proposal per host (migration 12, allow_list_proposals) holds who ignored what and why until the
 * pull request is open; the slack-queue job that opens it (bot/slack/allow-list.ts) is written in
 * the Ignore's own transaction.
 */

type Queryable = Pick<PoolClient, 'query'>;

export interface AllowListProposal {
  host: string;
  findingId: number;
  proposedBy: string;
  reason: string;
  createdAt: Date;
  pull: { url: string; number: number; openedAt: Date } | null;
}

/**
 * Whether a host is already known: a domain of an applied catalog Site of either type (the host or a
 * subdomain of it), or a host the crawler linked to a piracy site by a domain hop.
 */
export async function hostIsKnownSite(db: Queryable, host: string): Promise<boolean> {
  const h = host.toLowerCase().replace(/^www\./, '');
  const { rows } = await db.query(
    `select 1 from catalog_objects o, jsonb_array_elements_text(coalesce(o.spec->'domains', '[]')) d(domain),
       lateral (select lower(regexp_replace(d.domain, '^www\\.', '')) as dom) n
     where o.kind = 'Site' and o.deleted_at is null and ($1 = n.dom or right($1, length(n.dom) + 1) = '.' || n.dom)
     union all select 1 from discovered_sites where host = $1 limit 1`, [h]);
  return rows.length > 0;
}

export type ProposalOutcome = 'proposed' | 'asked-again' | 'already-open' | 'known-site' | 'not-a-name' | 'off';

/**
 * After an Ignore, in its transaction: proposes the finding's host for the allow-list when the
 * applied Policy's takedown.allowList.proposeOnIgnore is on (the default) and the host is no
 * catalog Site yet. A host already proposed whose pull request is not open yet (no GitHub App at
 * the time) is asked for again, so a later Ignore brings a lost chance back.
 */
export async function proposeAllowListOnIgnore(tx: Queryable, finding: Pick<Finding, 'id' | 'host'>, by: Change): Promise<ProposalOutcome> {
  if (!takedownSettings(await appliedPolicy(tx)).allowList.proposeOnIgnore) return 'off';
  const host = finding.host.toLowerCase().replace(/^www\./, '');
  // A Site lists domain names: an address (an IP literal, a bare name) is nothing to allow-list.
  if (!/^[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z][a-z0-9-]*$/.test(host)) return 'not-a-name';
  if (await hostIsKnownSite(tx, host)) return 'known-site';
  const { rows } = await tx.query<{ created: boolean; pull_url: string | null }>(
    `insert into allow_list_proposals (host, finding_id, proposed_by, reason) values ($1, $2, $3, $4)
     on conflict (host) do update set host = excluded.host returning (xmax = 0) as created, pull_url`, [host, finding.id, by.actor, by.reason]);
  const row = rows[0]!;
  if (row.pull_url !== null) return 'already-open';
  if (row.created) {
    await appendAudit(tx, by.actor, null, [{ action: 'allow-list-proposed', kind: 'Finding', id: String(finding.id), reason: by.reason, details: { host } }]);
  }
  await writeOutbox(tx, [allowListProposalJob(host)]);
  return row.created ? 'proposed' : 'asked-again';
}

interface Row { host: string; finding_id: number; proposed_by: string; reason: string; created_at: Date; pull_url: string | null; pull_number: number | null; opened_at: Date | null }

export async function allowListProposal(db: Pick<pg.Pool, 'query'>, host: string): Promise<AllowListProposal | undefined> {
  const { rows } = await db.query<Row>('select host, finding_id, proposed_by, reason, created_at, pull_url, pull_number, opened_at from allow_list_proposals where host = $1', [host]);
  const r = rows[0];
  if (!r) return undefined;
  return {
    host: r.host, findingId: Number(r.finding_id), proposedBy: r.proposed_by, reason: r.reason, createdAt: r.created_at,
    pull: r.pull_url !== null && r.pull_number !== null && r.opened_at !== null ? { url: r.pull_url, number: r.pull_number, openedAt: r.opened_at } : null,
  };
}

/** The pull request a proposal became, audited; the first one recorded stays (a retried job finds it). */
export async function recordAllowListPull(pool: pg.Pool, host: string, pull: { url: string; number: number }, actor = 'slack-bot'): Promise<void> {
  await inTransaction(pool, async (tx) => {
    const { rows } = await tx.query<{ finding_id: number }>(
      `update allow_list_proposals set pull_url = $2, pull_number = $3, opened_at = now() where host = $1 and pull_url is null returning finding_id`, [host, pull.url, pull.number]);
    if (rows[0]) {
      await appendAudit(tx, actor, null, [{ action: 'allow-list-pull-request', kind: 'Finding', id: String(rows[0].finding_id), reason: `catalog pull request #${pull.number} proposes ${host} for the allow-list`, details: { host, url: pull.url, number: pull.number } }]);
    }
  });
}

/** The other findings of the host people ignored, for the pull request's body. */
export async function ignoredFindingsOf(db: Pick<pg.Pool, 'query'>, host: string, limit = 20): Promise<{ id: number; url: string }[]> {
  const { rows } = await db.query<{ id: number; url: string }>(
    `select id, url from findings where (host = $1 or host = 'www.' || $1) and takedown_status = 'Ignore' order by id limit $2`, [host, limit]);
  return rows.map((r) => ({ id: Number(r.id), url: r.url }));
}
