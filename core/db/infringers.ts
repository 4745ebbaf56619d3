import type pg from 'pg';

/**
 * Repeat infringers: per host and per site family, how often Vigil had to act. Counted from the
 * audit log (every takedown-status change is there, whoever made it) and the counter-notices, so the
 * figures are events in the period: a link taken down again after a Failed counts twice as requested.
 *
 * Uploaders are not counted: no finding's evidence names one (phase 1 keeps the page's score terms
 * and source, phase 2 the matched media; no source reads an uploader, user or channel field), so
 * hosts and families are what can be counted today. `uploaders` says so to every caller.
 */

type Queryable = Pick<pg.Pool, 'query'>;

export interface InfringerCounts {
  /** Takedown requests (to 'Takedown requested'), by a person or automatic. */
  takedownsRequested: number;
  /** Links found gone by a re-check (to 'Complete'). */
  linksRemoved: number;
  /** Takedowns that failed (delivery, or the link still up after the re-checks). */
  failed: number;
  counterNotices: number;
}

export interface HostInfringer extends InfringerCounts {
  host: string;
  /** The family and catalog Site its findings were matched to, when any. */
  family: string | null;
  siteId: string | null;
}

export interface FamilyInfringer extends InfringerCounts {
  family: string;
  /** Hosts of the family with at least one counted event. */
  hosts: number;
}

export interface RepeatInfringers {
  hosts: HostInfringer[];
  families: FamilyInfringer[];
  /** Why there is no per-uploader table. */
  uploaders: { counted: false; why: string };
}

export interface InfringerQuery {
  /** Only hosts (and families) with at least this many takedown requests. */
  minTakedowns: number;
  /** Only events at or after this time (counter-notices received on or after its UTC day). */
  since?: Date;
}

export const UPLOADERS_NOT_RECORDED = 'no finding names an uploader (the evidence holds the page and the matched media, no account or channel), so only hosts and site families are counted';

interface Row {
  key: string; family: string | null; site_id: string | null; hosts: number;
  requested: number; removed: number; failed: number; counter_notices: number;
}

const counts = (r: Row): InfringerCounts => ({ takedownsRequested: r.requested, linksRemoved: r.removed, failed: r.failed, counterNotices: r.counter_notices });

/** The events per host, then rolled up by `by` (host or family). */
function sql(by: 'host' | 'family'): string {
  return `
    with ev as (
      select f.host, f.family, f.site_id, a.details->>'to' as to_status, null::bigint as counter_notice
      from audit_log a join findings f on a.object_kind = 'Finding' and a.object_id = f.id::text
      where a.action = 'takedown-status' and a.details->>'to' in ('Takedown requested', 'Complete', 'Failed') and ($1::timestamptz is null or a.at >= $1)
      union all
      select f.host, f.family, f.site_id, null, c.id
      from counter_notices c join findings f on f.id = c.finding_id
      where $1::timestamptz is null or c.received_on >= ($1::timestamptz at time zone 'UTC')::date
    )
    select ${by} as key, max(family) as family, max(site_id) as site_id, count(distinct host)::int as hosts,
      (count(*) filter (where to_status = 'Takedown requested'))::int as requested,
      (count(*) filter (where to_status = 'Complete'))::int as removed,
      (count(*) filter (where to_status = 'Failed'))::int as failed,
      count(counter_notice)::int as counter_notices
    from ev ${by === 'family' ? 'where family is not null' : ''}
    group by ${by}
    having count(*) filter (where to_status = 'Takedown requested') >= $2
    order by requested desc, removed desc, key`;
}

export async function repeatInfringers(db: Queryable, q: InfringerQuery): Promise<RepeatInfringers> {
  const params = [q.since ?? null, q.minTakedowns];
  const [hosts, families] = await Promise.all([db.query<Row>(sql('host'), params), db.query<Row>(sql('family'), params)]);
  return {
    hosts: hosts.rows.map((r) => ({ host: r.key, family: r.family, siteId: r.site_id, ...counts(r) })),
    families: families.rows.map((r) => ({ family: r.key, hosts: r.hosts, ...counts(r) })),
    uploaders: { counted: false, why: UPLOADERS_NOT_RECORDED },
  };
}
