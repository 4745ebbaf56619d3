import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ContentSpec } from '../../reconciler/catalog/types.js';
import type { Fetcher } from './fetch.js';
import { compareHashes, imageHash, pHash, videoHashes, type Fingerprinter, type FrameHash } from './fingerprint.js';
import type { Confirmer, Verdict } from './round.js';

/**
 * Phase 2: acquire the media behind a suspect (a video file, an HLS playlist, or the images of a
 * comic chapter) through the safe fetcher, never through ffmpeg's own network stack, and compare its
 * perceptual hashes with the reference hashes of the original.
 */

export interface References {
  video: FrameHash[];
  images: FrameHash[];
}

export const REFERENCE_CROPS = [1, 0.9, 0.8] as const;

/** Reference fingerprints of a content's referenceMedia (paths relative to `root`), computed when it is registered. */
export async function referenceFingerprints(spec: ContentSpec, root: string, fp: Fingerprinter = pHash, every = 1): Promise<References> {
  const refs: References = { video: [], images: [] };
  for (const media of spec.referenceMedia ?? []) {
    const p = path.resolve(root, media.path);
    if (media.kind === 'images' || (await stat(p)).isDirectory()) {
      const files = (await readdir(p)).filter((f) => /\.(png|jpe?g|webp|gif|bmp)$/i.test(f)).sort();
      for (const [i, f] of files.entries()) {
        for (const crop of REFERENCE_CROPS) {
          const h = await imageHash(fp, path.join(p, f), crop);
          if (h !== undefined) refs.images.push({ at: i + 1, hash: h });
        }
      }
    } else {
      for (const crop of REFERENCE_CROPS) refs.video.push(...await videoHashes(fp, p, { every, crop }));
    }
  }
  return refs;
}

export interface ConfirmOptions {
  fetch: Fetcher;
  references: References;
  fingerprinter?: Fingerprinter;
  /** Largest normalized Hamming distance for a frame to match (Policy thresholds.matchDistance). */
  matchDistance?: number;
  /** Share of checked frames or pages that must match. */
  minMatchedShare?: number;
  every?: number;
  maxMediaBytes?: number;
  maxSegments?: number;
  maxImages?: number;
}

const VIDEO_TYPES = ['video/*', 'application/octet-stream', 'application/mp4'];
const HLS_TYPES = ['application/vnd.apple.mpegurl', 'application/x-mpegurl', 'audio/mpegurl', 'text/plain', 'application/octet-stream'];

/** The media segments of an HLS playlist (the first variant of a master playlist). */
export async function hlsSegments(fetch: Fetcher, url: string, maxSegments: number): Promise<string[]> {
  const res = await fetch(url, { accept: HLS_TYPES, maxBytes: 1024 * 1024 });
  const lines = res.text().split(/\r?\n/).map((l) => l.trim());
  const variant = lines.findIndex((l) => l.startsWith('#EXT-X-STREAM-INF'));
  if (variant >= 0) {
    const next = lines.slice(variant + 1).find((l) => l !== '' && !l.startsWith('#'));
    if (next) return hlsSegments(fetch, new URL(next, res.finalUrl).href, maxSegments);
  }
  return lines.filter((l) => l !== '' && !l.startsWith('#')).slice(0, maxSegments).map((l) => new URL(l, res.finalUrl).href);
}

export function createConfirmer(o: ConfirmOptions): Confirmer {
  const fp = o.fingerprinter ?? pHash;
  const maxDistance = o.matchDistance ?? 0.18;
  const share = o.minMatchedShare ?? 0.5;
  const maxBytes = o.maxMediaBytes ?? 200 * 1024 * 1024;
  return async ({ page }): Promise<Verdict> => {
    const media = page.media.filter((m) => (m.kind === 'image' ? o.references.images.length > 0 : o.references.video.length > 0));
    if (media.length === 0) return { verdict: 'unavailable', reason: page.media.length === 0 ? 'no media on the page' : 'no reference fingerprints for this kind of media' };
    const dir = await mkdtemp(path.join(tmpdir(), 'vigil-confirm-'));
    try {
      const video = media.find((m) => m.kind === 'video' || m.kind === 'hls');
      if (video) {
        const file = path.join(dir, video.kind === 'hls' ? 'media.ts' : 'media.bin');
        if (video.kind === 'hls') {
          const parts: Buffer[] = [];
          let size = 0;
          for (const seg of await hlsSegments(o.fetch, video.url, o.maxSegments ?? 30)) {
            const r = await o.fetch(seg, { accept: ['video/*', 'application/octet-stream'], maxBytes: maxBytes - size });
            parts.push(r.body);
            size += r.body.length;
          }
          await writeFile(file, Buffer.concat(parts));
        } else {
          await writeFile(file, (await o.fetch(video.url, { accept: VIDEO_TYPES, maxBytes })).body);
        }
        const hashes = await videoHashes(fp, file, { every: o.every ?? 1 });
        const c = compareHashes(hashes, o.references.video, maxDistance);
        const evidence = { media: video.url, kind: video.kind, fingerprinter: fp.name, checkedFrames: c.checked, matchedTimes: c.matched.map((m) => ({ at: m.at, referenceAt: m.referenceAt, distance: Number(m.distance.toFixed(3)) })) };
        if (c.checked > 0 && c.matched.length >= Math.max(2, Math.ceil(c.checked * share))) return { verdict: 'match', distance: c.distance, evidence };
        return { verdict: 'no-match', distance: c.distance, reason: `${c.matched.length} of ${c.checked} frames within ${maxDistance}` };
      }
      const images = media.filter((m) => m.kind === 'image').slice(0, o.maxImages ?? 40);
      const hashes: FrameHash[] = [];
      for (const [i, img] of images.entries()) {
        const file = path.join(dir, `p${i}`);
        try {
          await writeFile(file, (await o.fetch(img.url, { accept: ['image/*'], maxBytes: 20 * 1024 * 1024 })).body);
          const h = await imageHash(fp, file);
          if (h !== undefined) hashes.push({ at: i + 1, hash: h });
        } catch { /* a broken image is not evidence either way */ }
      }
      const c = compareHashes(hashes, o.references.images, maxDistance);
      const evidence = { kind: 'images', fingerprinter: fp.name, checkedPages: c.checked, matchedPages: c.matched.map((m) => ({ page: m.at, referencePage: m.referenceAt, distance: Number(m.distance.toFixed(3)) })) };
      if (c.checked > 0 && c.matched.length >= Math.max(1, Math.ceil(c.checked * share))) return { verdict: 'match', distance: c.distance, evidence };
      return { verdict: 'no-match', distance: c.distance, reason: `${c.matched.length} of ${c.checked} pages within ${maxDistance}` };
    } catch (error) {
      return { verdict: 'unavailable', reason: `could not acquire the media: ${(error as Error).message}` };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}
