import { parseHtml } from '../monitor/html.js';

/**
 * Pure: where a page's player keeps the media, for a download. Everything comes from the monitor's
 * own page reading (runners/monitor/html.ts parseHtml: <video>/<source>, lazy attributes, og:video,
 * JSON-LD, player set-ups in inline scripts, iframes, download anchors), so detection and phase 2
 * see the same media through one parser.
 */

export interface PageMedia {
  /** URLs that should be the media itself (a file, an HLS or DASH playlist), best first. */
  media: string[];
  /** Pages that may hold the player (iframes, JSON-LD embedUrl), to read one level down. */
  frames: string[];
  /** Links that look like a cyberlocker's download button; tried after the media. */
  downloads: string[];
}

export function pageMedia(html: string, pageUrl: string): PageMedia {
  const f = parseHtml(html, pageUrl);
  const media = unique([...f.media.filter((m) => m.kind !== 'image').map((m) => m.url), ...f.probes]);
  return {
    media,
    frames: f.frames.filter((u) => !media.includes(u) && u !== pageUrl),
    downloads: f.downloads.filter((u) => !media.includes(u) && u !== pageUrl),
  };
}

function unique(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}
