import { access } from 'node:fs/promises';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { FINGERPRINT_BYTES, fingerprintFromBits } from '../../native/fingerprint.js';
import type { ContentSpec } from '../../core/catalog/types.js';
import { referenceFingerprints, referenceFrameCount, type References } from './confirm.js';
import { FINGERPRINTER } from './fingerprint.js';

type Queryable = Pick<pg.Pool, 'query'>;

/**
 * The jsonb kept in reference_fingerprints.fingerprints. Fingerprint bits are base64: per video one
 * string of all its frames' 808-byte fingerprints back to back (one string parses much faster than
 * thousands), per page one string. `informative` is 1/0 per frame.
 */
interface StoredReferences {
  fingerprinter: string;
  video: { media: string; episode?: number; times: number[]; informative: number[]; bits: string }[];
  images: { media: string; page: number; informative: number; bits: string }[];
}

/** Identifies the reference media list and the fingerprinter: when either changes, fingerprints are recomputed. */
export function mediaHash(spec: ContentSpec): string {
  return createHash('sha1').update(JSON.stringify({ fp: FINGERPRINTER, media: spec.referenceMedia ?? [] })).digest('hex');
}

/**
 * The row's jsonb, but for each video's `bits`: those go to PostgreSQL as raw bytea parameters and
 * are base64-encoded into their place there (storeReferences). Built in node as one JSON string, a
 * 2-hour title's 11.6 MB of bits were copied four times over (base64, JSON, the driver's message):
 * node peaked at 228 MB registering it, 163 MB this way (npm run bench:fingerprint).
 */
function storedWithoutVideoBits(r: References): { doc: Omit<StoredReferences, 'video'> & { video: Omit<StoredReferences['video'][number], 'bits'>[] }; videoBits: Buffer[] } {
  return {
    doc: {
      fingerprinter: FINGERPRINTER,
      video: r.video.map((v) => ({
        media: v.media, ...(v.episode === undefined ? {} : { episode: v.episode }),
        times: v.frames.map((f) => f.time), informative: v.frames.map((f) => (f.fingerprint.informative ? 1 : 0)),
      })),
      images: r.images.map((p) => ({ media: p.media, page: p.page, informative: p.fingerprint.informative ? 1 : 0, bits: Buffer.from(p.fingerprint.bits).toString('base64') })),
    },
    videoBits: r.video.map((v) => Buffer.concat(v.frames.map((f) => f.fingerprint.bits))),
  };
}

async function storeReferences(db: Queryable, contentId: string, hash: string, references: References): Promise<void> {
  const { doc, videoBits } = storedWithoutVideoBits(references);
  const bitsParams = videoBits.map((_, i) => `$${i + 5}::bytea`).join(', ');
  // encode(…, 'base64') breaks lines every 76 characters; the stored strings never had breaks.
  await db.query(
    `insert into reference_fingerprints (content_id, media_hash, fingerprints, frames)
     select $1, $2, doc.d || jsonb_build_object('video', coalesce((
         select jsonb_agg(v.obj || jsonb_build_object('bits', translate(encode(b.bits, 'base64'), E'\\n', '')) order by v.i)
         from jsonb_array_elements(doc.d->'video') with ordinality v(obj, i)
         join unnest(array[${bitsParams}]::bytea[]) with ordinality b(bits, i) on b.i = v.i), '[]'::jsonb)), $4
     from (select $3::jsonb as d) doc
     on conflict (content_id) do update set media_hash = excluded.media_hash, fingerprints = excluded.fingerprints,
       frames = excluded.frames, computed_at = now()`,
    [contentId, hash, JSON.stringify(doc), referenceFrameCount(references), ...videoBits],
  );
}

function fromStored(s: StoredReferences): References {
  return {
    video: s.video.map((v) => {
      const bits = Buffer.from(v.bits, 'base64');
      return {
        media: v.media, ...(v.episode === undefined ? {} : { episode: v.episode }),
        frames: v.times.map((time, i) => ({ time, fingerprint: fingerprintFromBits(bits.subarray(i * FINGERPRINT_BYTES, (i + 1) * FINGERPRINT_BYTES), v.informative[i] === 1) })),
      };
    }),
    images: s.images.map((p) => ({ media: p.media, page: p.page, fingerprint: fingerprintFromBits(Buffer.from(p.bits, 'base64'), p.informative === 1) })),
  };
}

/**
 * A content's reference fingerprints, computed once (decoding the originals is the expensive part)
 * and kept in PostgreSQL, so every later round, on any worker, only reads them.
 */
export async function referencesFor(
  db: Queryable, contentId: string, declared: ContentSpec, mediaRoot: string,
): Promise<{ references: References; computed: boolean; missing: string[] }> {
  // Reference media not (yet) on this machine is left out and reported; the hash covers only what
  // is present, so fingerprints are recomputed once the files arrive.
  const missing: string[] = [];
  const present = [];
  for (const media of declared.referenceMedia ?? []) {
    if (await access(path.resolve(mediaRoot, media.path)).then(() => true, () => false)) present.push(media);
    else missing.push(media.path);
  }
  const spec: ContentSpec = { ...declared, referenceMedia: present };
  const hash = mediaHash(spec);
  const stored = await db.query<{ media_hash: string; fingerprints: StoredReferences }>(
    'select media_hash, fingerprints from reference_fingerprints where content_id = $1', [contentId]);
  const row = stored.rows[0];
  if (row && row.media_hash === hash) return { references: fromStored(row.fingerprints), computed: false, missing };
  const references = await referenceFingerprints(spec, mediaRoot);
  await storeReferences(db, contentId, hash, references);
  return { references, computed: true, missing };
}
