import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { ContentSpec } from '../../reconciler/catalog/types.js';
import { referenceFingerprints, type References } from './confirm.js';
import { pHash, type FrameHash, type Fingerprinter } from './fingerprint.js';

type Queryable = Pick<pg.Pool, 'query'>;

interface StoredReferences {
  fingerprinter: string;
  video: { at: number; hash: string }[];
  images: { at: number; hash: string }[];
}

/** Identifies the reference media list (and the fingerprinter): when either changes, fingerprints are recomputed. */
export function mediaHash(spec: ContentSpec, fp: Fingerprinter): string {
  return createHash('sha1').update(JSON.stringify({ fp: fp.name, media: spec.referenceMedia ?? [] })).digest('hex');
}

const toStored = (hashes: FrameHash[]) => hashes.map((h) => ({ at: h.at, hash: h.hash.toString(16) }));
const fromStored = (hashes: { at: number; hash: string }[]): FrameHash[] => hashes.map((h) => ({ at: h.at, hash: BigInt(`0x${h.hash}`) }));

/**
 * A content's reference fingerprints, computed once (decoding the originals is the expensive part)
 * and kept in PostgreSQL, so every later round, on any worker, only reads them.
 */
export async function referencesFor(
  db: Queryable, contentId: string, spec: ContentSpec, mediaRoot: string, fp: Fingerprinter = pHash,
): Promise<{ references: References; computed: boolean }> {
  const hash = mediaHash(spec, fp);
  const stored = await db.query<{ media_hash: string; fingerprints: StoredReferences }>(
    'select media_hash, fingerprints from reference_fingerprints where content_id = $1', [contentId]);
  const row = stored.rows[0];
  if (row && row.media_hash === hash) {
    return { references: { video: fromStored(row.fingerprints.video), images: fromStored(row.fingerprints.images) }, computed: false };
  }
  const references = await referenceFingerprints(spec, mediaRoot, fp);
  const value: StoredReferences = { fingerprinter: fp.name, video: toStored(references.video), images: toStored(references.images) };
  await db.query(
    `insert into reference_fingerprints (content_id, media_hash, fingerprints, frames) values ($1, $2, $3, $4)
     on conflict (content_id) do update set media_hash = excluded.media_hash, fingerprints = excluded.fingerprints,
       frames = excluded.frames, computed_at = now()`,
    [contentId, hash, JSON.stringify(value), references.video.length + references.images.length],
  );
  return { references, computed: true };
}
