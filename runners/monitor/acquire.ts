import { writeFile } from 'node:fs/promises';
import type { Fetcher } from './fetch.js';

/**
 * Downloading the media behind a page, always through the safe fetcher (never ffmpeg's own network
 * stack, which knows nothing of private-address rules or size limits). Used by phase 2 to compare
 * fingerprints and by watermark detection on a finding.
 */

export const VIDEO_TYPES = ['video/*', 'application/octet-stream', 'application/mp4'];
const HLS_TYPES = ['application/vnd.apple.mpegurl', 'application/x-mpegurl', 'audio/mpegurl', 'text/plain', 'application/octet-stream'];

export interface VideoMedia {
  url: string;
  kind: 'video' | 'hls';
}

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

/** Writes a video file, or an HLS playlist's segments joined as one transport stream, to `file`. */
export async function downloadVideo(fetch: Fetcher, media: VideoMedia, file: string, limits: { maxBytes: number; maxSegments: number }): Promise<number> {
  if (media.kind === 'video') {
    const body = (await fetch(media.url, { accept: VIDEO_TYPES, maxBytes: limits.maxBytes })).body;
    await writeFile(file, body);
    return body.length;
  }
  const parts: Buffer[] = [];
  let size = 0;
  for (const segment of await hlsSegments(fetch, media.url, limits.maxSegments)) {
    const r = await fetch(segment, { accept: ['video/*', 'application/octet-stream'], maxBytes: limits.maxBytes - size });
    parts.push(r.body);
    size += r.body.length;
  }
  await writeFile(file, Buffer.concat(parts));
  return size;
}
