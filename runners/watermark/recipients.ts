/**
 * Who a watermark ID belongs to, both ways, from the database's permanent allocations (the
 * reconciler writes them on apply): recipients named for an embed → their IDs, and an ID found in
 * a leak → its recipient. Catalog files are read only when `vigil detect --catalog DIR` asks for
 * an offline lookup.
 */
import type pg from 'pg';
import { VigilError } from '../../core/errors.js';
import type { Catalog } from '../../core/catalog/catalog.js';

/** What the media pipeline needs to mark one copy and name its file. */
export interface EmbedRecipient {
  /** Used in output file names: the recipient's name, or `id<N>` for an unallocated lab ID. */
  name: string;
  watermarkId: number;
}

/** A recipient an embed is for: allocated in the database, or an explicitly unallocated lab ID. */
export type ResolvedRecipient = EmbedRecipient & ({ allocated: true; recipientId: string } | { allocated: false });

export interface RecipientMatch {
  watermarkId: number;
  recipientId: string;
  name: string;
  retired: boolean;
  source: 'database' | 'catalog';
}

export const MAX_WATERMARK_ID = 4294967295;

export function parseWatermarkId(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_WATERMARK_ID) {
    throw new VigilError('USAGE', `watermark ID must be a whole number from 1 to ${MAX_WATERMARK_ID}, not ${JSON.stringify(value)}`);
  }
  return n;
}

/** A name to resolve and where it was given, so a refusal can point at it. */
export interface NamedRecipient {
  name: string;
  /** e.g. `--recipient` or `EmbedJob/screeners recipients[2]`. */
  where: string;
}

export interface ResolveOptions {
  /** Raw IDs with no allocation are taken (as unallocated lab copies) only when this is set. */
  unallocatedLab: boolean;
  /** Where the allocations live, for messages. */
  database: string;
}

interface AllocationRow {
  watermark_id: number;
  recipient_id: string;
  recipient_name: string;
  retired: boolean;
}

/**
 * Names (catalog id or recipient name, any case) and raw IDs → recipients, through
 * `watermark_allocations`. A name with no allocation, or only a retired one, is RECIPIENT_UNKNOWN;
 * a raw ID that belongs to a retired recipient likewise; a raw ID with no allocation is
 * RECIPIENT_UNALLOCATED unless the lab flag allows it. A copy must never carry an ID nobody
 * answers for without saying so.
 */
export async function resolveRecipients(pool: Pick<pg.Pool, 'query'>, names: readonly NamedRecipient[], ids: readonly number[], options: ResolveOptions): Promise<ResolvedRecipient[]> {
  const { rows } = await pool.query<AllocationRow>(
    `select watermark_id, recipient_id, recipient_name, retired_at is not null as retired from watermark_allocations
     where lower(recipient_id) = any($1) or lower(recipient_name) = any($1) or watermark_id = any($2::bigint[])`,
    [names.map((n) => n.name.trim().toLowerCase()), ids],
  );
  const out: ResolvedRecipient[] = [];
  for (const { name, where } of names) {
    const wanted = name.trim().toLowerCase();
    const matches = rows.filter((r) => r.recipient_id.toLowerCase() === wanted || r.recipient_name.toLowerCase() === wanted);
    const row = matches.find((r) => !r.retired) ?? matches[0];
    if (!row) {
      throw new VigilError('RECIPIENT_UNKNOWN', `${where} ${JSON.stringify(name)}: no recipient of that name or id has a watermark ID allocated in ${options.database}`);
    }
    if (row.retired) throw new VigilError('RECIPIENT_UNKNOWN', `${where} ${JSON.stringify(name)}: recipient ${row.recipient_name} (watermark ID ${row.watermark_id}) is retired`);
    out.push({ name: row.recipient_name, watermarkId: row.watermark_id, allocated: true, recipientId: row.recipient_id });
  }
  for (const id of ids) {
    const row = rows.find((r) => r.watermark_id === id);
    if (row?.retired) throw new VigilError('RECIPIENT_UNKNOWN', `--id ${id}: watermark ID ${id} belongs to retired recipient ${row.recipient_name}`);
    if (row) {
      out.push({ name: row.recipient_name, watermarkId: id, allocated: true, recipientId: row.recipient_id });
    } else if (options.unallocatedLab) {
      out.push({ name: `id${id}`, watermarkId: id, allocated: false });
    } else {
      throw new VigilError('RECIPIENT_UNALLOCATED', `--id ${id}: watermark ID ${id} is not allocated to any recipient in ${options.database}`);
    }
  }
  const seen = new Set<number>();
  return out.filter((r) => (seen.has(r.watermarkId) ? false : (seen.add(r.watermarkId), true)));
}

export function lookupInCatalog(catalog: Catalog, watermarkId: number): RecipientMatch | undefined {
  for (const doc of catalog.byKind.Recipient.values()) {
    if (doc.spec.watermarkId === watermarkId) {
      return { watermarkId, recipientId: doc.metadata.id, name: doc.spec.name, retired: doc.spec.retired === true, source: 'catalog' };
    }
  }
  return undefined;
}

export async function lookupInDatabase(pool: Pick<pg.Pool, 'query'>, watermarkId: number): Promise<RecipientMatch | undefined> {
  const { rows } = await pool.query<{ recipient_id: string; recipient_name: string; retired_at: Date | null }>(
    'select recipient_id, recipient_name, retired_at from watermark_allocations where watermark_id = $1',
    [watermarkId],
  );
  const row = rows[0];
  return row ? { watermarkId, recipientId: row.recipient_id, name: row.recipient_name, retired: row.retired_at !== null, source: 'database' } : undefined;
}
