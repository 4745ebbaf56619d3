import type pg from 'pg';
import type { ContentSpec } from '../../core/catalog/types.js';
import { findingPage, type PageCapture } from '../../core/db/finding-pages.js';
import { findingById, type Finding } from '../../core/db/findings.js';
import { VigilError } from '../../core/errors.js';

/**
 * What an evidence pack reads of the records (it writes none): the finding, its audit trail, its
 * Content (for the reference media) and the page kept with it. Notices and re-checks come through
 * EvidenceSources (pack.ts), whose tables belong to the takedown runner.
 */

type Queryable = Pick<pg.Pool, 'query'>;

export interface AuditRow {
  id: number;
  at: Date;
  actor: string;
  action: string;
  reason: string;
  commit: string | null;
  details: unknown;
}

export interface EvidenceRecords {
  finding: Finding;
  audit: AuditRow[];
  /** The Content as last applied (even if since retired), undefined when the catalog never had it. */
  content: ContentSpec | undefined;
  page: PageCapture | undefined;
}

export async function evidenceRecords(db: Queryable, findingId: number): Promise<EvidenceRecords> {
  const finding = await findingById(db, findingId);
  if (!finding) throw new VigilError('FINDING_UNKNOWN', `no finding has id ${findingId}, so there is no evidence pack to build`);
  const [audit, content, page] = await Promise.all([
    db.query<{ id: string; at: Date; actor: string; action: string; reason: string; commit: string | null; details: unknown }>(
      `select id, at, actor, action, reason, commit, details from audit_log where object_kind = 'Finding' and object_id = $1 order by id`, [String(findingId)]),
    db.query<{ spec: ContentSpec }>(`select spec from catalog_objects where kind = 'Content' and id = $1 order by deleted_at nulls first limit 1`, [finding.contentId]),
    findingPage(db, findingId),
  ]);
  return {
    finding,
    audit: audit.rows.map((r) => ({ id: Number(r.id), at: r.at, actor: r.actor, action: r.action, reason: r.reason, commit: r.commit, details: r.details })),
    content: content.rows[0]?.spec,
    page,
  };
}
