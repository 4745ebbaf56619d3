/**
 * Who a watermark ID belongs to, both ways: recipients named on a command line (or in an EmbedJob)
 * → IDs from the catalog, and an ID found in a leak → the recipient, from the database's
 * permanent allocations or, without a database, from the catalog.
 */
import type pg from 'pg';
import { VigilError } from '../../core/errors.js';
import type { Catalog } from '../../core/catalog/catalog.js';
import { loadCatalogDir } from '../../core/catalog/load.js';
import { formatDiagnostic, hasErrors } from '../../core/catalog/diagnostics.js';

export interface ResolvedRecipient {
  /** Used in output file names: the recipient's name, or `id<N>` for a raw ID. */
  name: string;
  watermarkId: number;
  /** The catalog id (metadata.id), when known. */
  recipientId?: string;
}

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

/** Loads a catalog for lookups; a catalog with errors is refused, as `vigil apply` would refuse it. */
export async function loadCatalogForLookup(dir: string): Promise<Catalog> {
  const loaded = await loadCatalogDir(dir);
  if (hasErrors(loaded.diagnostics)) {
    const first = loaded.diagnostics.filter((d) => d.severity === 'error').slice(0, 3).map((d) => formatDiagnostic(d, dir));
    throw new VigilError('CATALOG_INVALID', `the catalog at ${dir} has errors:\n${first.join('\n')}`);
  }
  return loaded.catalog;
}

/**
 * Names (catalog id or recipient name, any case) and raw IDs → recipients. A retired or unknown
 * name is an error (RECIPIENT_UNKNOWN): a copy must never carry an ID nobody answers for. A raw ID
 * is taken as given, named after its catalog recipient when there is one.
 */
export function resolveRecipients(catalog: Catalog | undefined, names: readonly string[], ids: readonly number[]): ResolvedRecipient[] {
  const recipients = catalog ? [...catalog.byKind.Recipient.values()] : [];
  const out: ResolvedRecipient[] = [];
  for (const name of names) {
    if (!catalog) throw new VigilError('RECIPIENT_UNKNOWN', `recipient ${JSON.stringify(name)} cannot be looked up without a catalog (give --catalog DIR or a raw --id)`);
    const wanted = name.trim().toLowerCase();
    const doc = recipients.find((r) => r.metadata.id.toLowerCase() === wanted || r.spec.name.toLowerCase() === wanted);
    if (!doc) throw new VigilError('RECIPIENT_UNKNOWN', `no recipient ${JSON.stringify(name)} in the catalog`);
    if (doc.spec.retired) throw new VigilError('RECIPIENT_UNKNOWN', `recipient ${doc.spec.name} (watermark ID ${doc.spec.watermarkId}) is retired`);
    out.push({ name: doc.spec.name, watermarkId: doc.spec.watermarkId, recipientId: doc.metadata.id });
  }
  for (const id of ids) {
    const doc = recipients.find((r) => r.spec.watermarkId === id);
    if (doc?.spec.retired) throw new VigilError('RECIPIENT_UNKNOWN', `watermark ID ${id} belongs to retired recipient ${doc.spec.name}`);
    out.push(doc ? { name: doc.spec.name, watermarkId: id, recipientId: doc.metadata.id } : { name: `id${id}`, watermarkId: id });
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

export async function lookupInDatabase(pool: pg.Pool, watermarkId: number): Promise<RecipientMatch | undefined> {
  const { rows } = await pool.query<{ recipient_id: string; recipient_name: string; retired_at: Date | null }>(
    'select recipient_id, recipient_name, retired_at from watermark_allocations where watermark_id = $1',
    [watermarkId],
  );
  const row = rows[0];
  return row ? { watermarkId, recipientId: row.recipient_id, name: row.recipient_name, retired: row.retired_at !== null, source: 'database' } : undefined;
}
