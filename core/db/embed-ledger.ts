import type { Pool, PoolClient } from 'pg';
import { appendAudit } from './audit.js';
import { inTransaction } from './transaction.js';

/**
 * The embed ledger: one row per watermarked copy that exists, written once its file is complete
 * and in place. Append-only (a trigger refuses update, delete and truncate), so "who got which
 * copy, carrying which ID and key" can always be answered, even after a key is rotated.
 */

/**
 * The forensic mark version a copy carries, as migration 0023 stores it (the kernel's own option,
 * native/index.ts MarkVersion, has the same values; core may not import native).
 */
export type MarkVersion = 1 | 2;

/** What is known about one finished copy; `recipient` is absent only for an unallocated lab copy. */
export interface EmbeddedCopy {
  watermarkId: number;
  recipient?: { id: string; name: string };
  keyId: string;
  keyFingerprint: string;
  inputPath: string;
  inputSha256: string;
  outputPath: string;
  outputSha256: string;
  /** The forensic mark version the copy carries. */
  markVersion: MarkVersion;
  /** The catalog EmbedJob (metadata.id) the copy was made for. */
  embedJobId?: string;
  /** The BullMQ job that made it. */
  queueJobId?: string;
  /** The catalog commit the recipients and job were applied from. */
  catalogCommit?: string;
}

export interface LedgerEntry {
  id: number;
  at: Date;
  watermarkId: number;
  allocated: boolean;
  recipientId: string | null;
  recipientName: string | null;
  keyId: string;
  inputPath: string;
  inputSha256: string;
  outputPath: string;
  outputSha256: string;
  markVersion: MarkVersion;
  embedJobId: string | null;
  queueJobId: string | null;
  catalogCommit: string | null;
  actor: string;
}

interface LedgerRow {
  id: number; at: Date; watermark_id: number; allocated: boolean; recipient_id: string | null; recipient_name: string | null;
  key_id: string; input_path: string; input_sha256: string; output_path: string; output_sha256: string; mark_version: MarkVersion;
  embed_job_id: string | null; queue_job_id: string | null; catalog_commit: string | null; actor: string;
}

const COLUMNS = `id, at, watermark_id, allocated, recipient_id, recipient_name, key_id, input_path, input_sha256,
  output_path, output_sha256, mark_version, embed_job_id, queue_job_id, catalog_commit, actor`;

function entryOf(r: LedgerRow): LedgerEntry {
  return {
    id: r.id, at: r.at, watermarkId: r.watermark_id, allocated: r.allocated, recipientId: r.recipient_id, recipientName: r.recipient_name,
    keyId: r.key_id, inputPath: r.input_path, inputSha256: r.input_sha256, outputPath: r.output_path, outputSha256: r.output_sha256,
    markVersion: r.mark_version, embedJobId: r.embed_job_id, queueJobId: r.queue_job_id, catalogCommit: r.catalog_commit, actor: r.actor,
  };
}

/** Records finished copies and their audit rows in one transaction; returns the ledger ids in order. */
export async function recordEmbeddedCopies(pool: Pool, actor: string, copies: readonly EmbeddedCopy[]): Promise<number[]> {
  if (copies.length === 0) return [];
  return inTransaction(pool, async (client: PoolClient) => {
    const rows = copies.map((c, n) => ({
      n, watermark_id: c.watermarkId, allocated: c.recipient !== undefined, recipient_id: c.recipient?.id ?? null, recipient_name: c.recipient?.name ?? null,
      key_id: c.keyId, key_fingerprint: c.keyFingerprint, input_path: c.inputPath, input_sha256: c.inputSha256,
      output_path: c.outputPath, output_sha256: c.outputSha256, mark_version: c.markVersion, embed_job_id: c.embedJobId ?? null, queue_job_id: c.queueJobId ?? null,
      catalog_commit: c.catalogCommit ?? null,
    }));
    const inserted = await client.query<{ id: number }>(
      `insert into embed_ledger (watermark_id, allocated, recipient_id, recipient_name, key_id, key_fingerprint, input_path, input_sha256,
                                 output_path, output_sha256, mark_version, embed_job_id, queue_job_id, catalog_commit, actor)
       select r.watermark_id, r.allocated, r.recipient_id, r.recipient_name, r.key_id, r.key_fingerprint, r.input_path, r.input_sha256,
              r.output_path, r.output_sha256, r.mark_version, r.embed_job_id, r.queue_job_id, r.catalog_commit, $2
       from jsonb_to_recordset($1::jsonb) as r(n int, watermark_id bigint, allocated boolean, recipient_id text, recipient_name text,
            key_id text, key_fingerprint text, input_path text, input_sha256 text, output_path text, output_sha256 text,
            mark_version smallint, embed_job_id text, queue_job_id text, catalog_commit text)
       order by r.n
       returning id`,
      [JSON.stringify(rows), actor],
    );
    const ids = inserted.rows.map((r) => r.id).sort((a, b) => a - b);
    // One commit per statement at most; copies of one run share it.
    await appendAudit(client, actor, copies[0]!.catalogCommit ?? null, copies.map((c, i) => ({
      action: 'embed',
      kind: c.recipient ? 'Recipient' : null,
      id: c.recipient?.id ?? null,
      reason: c.recipient
        ? `watermarked copy ${c.outputPath} for ${c.recipient.name} (watermark ID ${c.watermarkId})`
        : `unallocated lab copy ${c.outputPath} (watermark ID ${c.watermarkId})`,
      details: { ledgerId: ids[i], watermarkId: c.watermarkId, keyId: c.keyId, outputSha256: c.outputSha256, embedJobId: c.embedJobId ?? null, queueJobId: c.queueJobId ?? null },
    })));
    return ids;
  });
}

/** Copies whose bytes are exactly `sha256` (an untouched leak), or that were made from it (an original). */
export async function ledgerEntriesBySha256(db: Pick<Pool, 'query'>, sha256s: readonly string[]): Promise<LedgerEntry[]> {
  if (sha256s.length === 0) return [];
  const { rows } = await db.query<LedgerRow>(
    `select ${COLUMNS} from embed_ledger where output_sha256 = any($1) or input_sha256 = any($1) order by id desc limit 100`, [sha256s]);
  return rows.map(entryOf);
}

/** Every copy carrying `watermarkId`, newest first. */
export async function ledgerEntriesForWatermark(db: Pick<Pool, 'query'>, watermarkId: number): Promise<LedgerEntry[]> {
  const { rows } = await db.query<LedgerRow>(`select ${COLUMNS} from embed_ledger where watermark_id = $1 order by id desc limit 100`, [watermarkId]);
  return rows.map(entryOf);
}

/**
 * The watermark IDs of every copy made under `keyId`: of those made from one of `inputSha256s`
 * (one content's copies) when given, else of every copy under the key.
 */
export async function ledgerIdsUnderKey(db: Pick<Pool, 'query'>, keyId: string, inputSha256s?: readonly string[]): Promise<number[]> {
  const { rows } = await db.query<{ watermark_id: number }>(
    `select distinct watermark_id from embed_ledger where key_id = $1 and ($2::text[] is null or input_sha256 = any($2)) order by watermark_id`,
    [keyId, inputSha256s && inputSha256s.length > 0 ? inputSha256s : null]);
  return rows.map((r) => Number(r.watermark_id));
}
