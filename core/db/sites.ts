import type pg from 'pg';
import { appendAudit } from './audit.js';
import { inTransaction } from './transaction.js';

/**
 * Sites the crawler found by itself (domain hops) and what it last saw of each host (host profiles),
 * so a hop is recognized against earlier rounds too.
 */

type Queryable = Pick<pg.Pool, 'query'>;

/** A host linked to a known site by hop detection; it joins that site and its family. */
export interface DiscoveredSite {
  host: string;
  siteId: string;
  family: string;
  /** The known host it was linked to. */
  viaHost: string;
  /** The signals that linked it, for a person (redirect, tracking ID, favicon, template, name). */
  signals: readonly unknown[];
  confidence: number;
}

/** Records a discovered host (audited when new, in the same transaction); true when it is new. */
export async function recordDiscoveredSite(pool: pg.Pool, site: DiscoveredSite, by: { actor: string }): Promise<boolean> {
  return inTransaction(pool, async (tx) => {
    const { rows } = await tx.query<{ created: boolean }>(
      `insert into discovered_sites (host, site_id, family, via_host, signals, confidence) values ($1, $2, $3, $4, $5, $6)
       on conflict (host) do update set last_seen = now(), signals = excluded.signals, confidence = greatest(discovered_sites.confidence, excluded.confidence)
       returning (xmax = 0) as created`,
      [site.host, site.siteId, site.family, site.viaHost, JSON.stringify(site.signals), site.confidence],
    );
    const created = rows[0]!.created;
    if (created) {
      await appendAudit(tx, by.actor, null, [{
        action: 'site-discovered', kind: 'Site', id: site.siteId, reason: `${site.host} hopped from ${site.viaHost} (confidence ${site.confidence})`,
        details: { host: site.host, family: site.family, signals: site.signals },
      }]);
    }
    return created;
  });
}

export async function discoveredSites(db: Queryable): Promise<{ host: string; siteId: string; family: string }[]> {
  const { rows } = await db.query<{ host: string; site_id: string; family: string }>('select host, site_id, family from discovered_sites order by host');
  return rows.map((r) => ({ host: r.host, siteId: r.site_id, family: r.family }));
}

export interface HostProfileRecord {
  host: string;
  trackingIds: string[];
  faviconHash?: string;
  /** Template shingle hashes, unsigned 32-bit. */
  structure: number[];
}

export async function saveHostProfile(db: Queryable, profile: HostProfileRecord, siteId?: string): Promise<void> {
  await db.query(
    `insert into host_profiles (host, site_id, tracking_ids, favicon_hash, structure) values ($1, $2, $3, $4, $5)
     on conflict (host) do update set site_id = coalesce(excluded.site_id, host_profiles.site_id), tracking_ids = excluded.tracking_ids,
       favicon_hash = coalesce(excluded.favicon_hash, host_profiles.favicon_hash), structure = excluded.structure, updated_at = now()`,
    // Shingle hashes are unsigned 32-bit; the column is a signed integer.
    [profile.host, siteId ?? null, profile.trackingIds, profile.faviconHash ?? null, profile.structure.map((h) => h | 0)],
  );
}

export async function hostProfiles(db: Queryable): Promise<HostProfileRecord[]> {
  const { rows } = await db.query<{ host: string; tracking_ids: string[]; favicon_hash: string | null; structure: number[] }>(
    'select host, tracking_ids, favicon_hash, structure from host_profiles');
  return rows.map((r) => ({
    host: r.host, trackingIds: r.tracking_ids, structure: r.structure.map((h) => h >>> 0).sort((a, b) => a - b), ...(r.favicon_hash ? { faviconHash: r.favicon_hash } : {}),
  }));
}
