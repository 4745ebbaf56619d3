import type { Pool, PoolClient } from 'pg';
import { appendAudit } from './audit.js';
import { inTransaction } from './transaction.js';

/**
 * A/B packages (migration 16): each title `vigil package` wrote, with the positions its segments
 * carry and the key its variants were derived from, so detection knows which package a re-stream
 * may come from and the edge knows what it serves.
 */
export interface AbPackageRecord {
  id: string;
  contentId?: string;
  dir: string;
  keyId: string;
  keyFingerprint: string;
  patternVersion: number;
  segmentSeconds: number;
  /** WMPaceInfo position of each segment, in playlist order (-1 = unmarked). */
  positions: number[];
  inputPath: string;
  inputSha256: string;
}

export interface AbPackageRow extends AbPackageRecord {
  at: Date;
  segmentCount: number;
  markedCount: number;
  actor: string;
}

interface Row {
  id: string; at: Date; content_id: string | null; dir: string; key_id: string; key_fingerprint: string; pattern_version: number;
  segment_seconds: number; segment_count: number; marked_count: number; positions: number[]; input_path: string; input_sha256: string; actor: string;
}

function rowOf(r: Row): AbPackageRow {
  return {
    id: r.id, at: r.at, ...(r.content_id !== null ? { contentId: r.content_id } : {}), dir: r.dir, keyId: r.key_id, keyFingerprint: r.key_fingerprint,
    patternVersion: r.pattern_version, segmentSeconds: r.segment_seconds, segmentCount: r.segment_count, markedCount: r.marked_count,
    positions: r.positions, inputPath: r.input_path, inputSha256: r.input_sha256, actor: r.actor,
  };
}

/** Records a package and its audit row in one transaction. */
export async function recordAbPackage(pool: Pool, actor: string, p: AbPackageRecord): Promise<void> {
  await inTransaction(pool, async (client: PoolClient) => {
    const marked = p.positions.filter((x) => x >= 0).length;
    await client.query(
      `insert into ab_packages (id, content_id, dir, key_id, key_fingerprint, pattern_version, segment_seconds, segment_count, marked_count, positions, input_path, input_sha256, actor)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
      [p.id, p.contentId ?? null, p.dir, p.keyId, p.keyFingerprint, p.patternVersion, p.segmentSeconds, p.positions.length, marked, p.positions, p.inputPath, p.inputSha256, actor],
    );
    await appendAudit(client, actor, null, [{
      action: 'package', kind: p.contentId ? 'Content' : null, id: p.contentId ?? null,
      reason: `A/B package ${p.id} of ${p.inputPath} in ${p.dir}: ${p.positions.length} segments, ${marked} marked`,
      details: { packageId: p.id, dir: p.dir, keyId: p.keyId, segments: p.positions.length, marked },
    }]);
  });
}

export async function abPackageById(db: Pick<Pool, 'query'>, id: string): Promise<AbPackageRow | undefined> {
  const { rows } = await db.query<Row>('select * from ab_packages where id = $1', [id]);
  return rows[0] ? rowOf(rows[0]) : undefined;
}

/** Packages of a Content, newest first. */
export async function abPackagesForContent(db: Pick<Pool, 'query'>, contentId: string): Promise<AbPackageRow[]> {
  const { rows } = await db.query<Row>('select * from ab_packages where content_id = $1 order by at desc limit 100', [contentId]);
  return rows.map(rowOf);
}
