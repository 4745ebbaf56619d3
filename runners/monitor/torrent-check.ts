import type { ContentSpec } from '../../core/catalog/types.js';
import { VigilError } from '../../core/errors.js';
import { redact } from '../../core/redact.js';
import type { Fetcher } from './fetch.js';
import type { KeywordList } from './keywords.js';
import { scorePage } from './score.js';
import { parseMagnet, parseTorrentFile, type TorrentMeta } from './torrent.js';

/**
 * Phase 2 for torrents: a torrent cannot be watched without joining the swarm, but its metadata says
 * what it holds. A torrent is confirmed when one of its video files (the torrent's name and the file's
 * path read together, as a release name) names the content, names an episode of it when the content
 * is a season, and has a plausible size for one. Metadata comes from the indexer's download link
 * (through the crawler's fetcher, bounded in bytes) or from a magnet's dn/xl. Such a finding is
 * confirmed by metadata, not by media, and its evidence says so (`method: 'torrent-metadata'`).
 */

/** Byte sizes a real copy of one episode or one film falls within (a 20-minute SD episode to a 4K remux). */
export const PLAUSIBLE_BYTES = {
  episode: { min: 50 * 1024 ** 2, max: 20 * 1024 ** 3 },
  film: { min: 300 * 1024 ** 2, max: 150 * 1024 ** 3 },
} as const;

export const TORRENT_LIMITS = {
  /** A .torrent of a season pack is tens of KB; a few MB covers pieces of very large ones. */
  maxBytes: 4 * 1024 * 1024,
  /** Torrent links of one page checked at most. */
  perPage: 3,
} as const;

const VIDEO_FILE = /\.(mkv|mp4|m4v|avi|ts|m2ts|webm|mov|wmv|mpg|mpeg|flv)$/i;
const TORRENT_TYPES = ['application/x-bittorrent', 'application/octet-stream', 'application/force-download', 'binary/octet-stream'] as const;

export interface MatchedFile {
  path: string;
  length: number;
  episodes: number[];
}

export interface TorrentEvidence {
  method: 'torrent-metadata';
  /** The .torrent URL or the magnet link the metadata came from (credentials masked). */
  link: string;
  from: TorrentMeta['from'];
  name: string;
  infoHash?: string;
  totalLength?: number;
  fileCount: number;
  matchedFiles: MatchedFile[];
}

export type TorrentVerdict =
  | { confirmed: true; evidence: TorrentEvidence }
  | { confirmed: false; reason: string };

/** The files of a torrent that are this content (and episode) at a plausible size. Pure. */
export function matchingFiles(meta: TorrentMeta, list: KeywordList, content: ContentSpec): MatchedFile[] {
  const season = content.type === 'season';
  const bounds = season ? PLAUSIBLE_BYTES.episode : PLAUSIBLE_BYTES.film;
  const videos = meta.files.filter((f) => VIDEO_FILE.test(f.path));
  // A magnet's only "file" is its display name, which has no extension.
  const candidates = videos.length > 0 ? videos : meta.files.filter((f) => meta.from === 'magnet' || !/\.[a-z0-9]{2,4}$/i.test(f.path));
  const out: MatchedFile[] = [];
  for (const f of candidates) {
    if (f.length < bounds.min || f.length > bounds.max) continue;
    const s = scorePage({ url: 'torrent:', title: meta.name, text: f.path.replace(/\.[a-z0-9]{2,4}$/i, '') }, list);
    if (!s.namesContent) continue;
    const episodes = s.episodes.filter((e) => e >= 1 && e <= (content.episodes ?? Number.MAX_SAFE_INTEGER));
    if (season && episodes.length === 0) continue;
    out.push({ path: f.path, length: f.length, episodes });
  }
  return out;
}

async function metadataOf(link: string, fetch: Fetcher, signal?: AbortSignal): Promise<TorrentMeta> {
  const magnet = parseMagnet(link);
  if (magnet) return magnet;
  if (link.startsWith('magnet:')) throw new VigilError('TORRENT_UNREADABLE', `the magnet link ${redact(link)} names no file (no dn=)`);
  const res = await fetch(link, { accept: [...TORRENT_TYPES], maxBytes: TORRENT_LIMITS.maxBytes, ...(signal ? { signal } : {}) });
  try {
    return parseTorrentFile(res.body);
  } catch (error) {
    throw new VigilError('TORRENT_UNREADABLE', `the torrent at ${redact(link)} could not be read: ${(error as Error).message}`, { cause: error });
  }
}

/** Checks a page's torrent links in order; the first confirmed one wins. */
export async function checkTorrents(links: readonly string[], list: KeywordList, content: ContentSpec, fetch: Fetcher, signal?: AbortSignal): Promise<TorrentVerdict> {
  const reasons: string[] = [];
  for (const link of links.slice(0, TORRENT_LIMITS.perPage)) {
    const shown = redact(link);
    try {
      const meta = await metadataOf(link, fetch, signal);
      const matched = matchingFiles(meta, list, content);
      if (matched.length > 0) {
        return {
          confirmed: true,
          evidence: {
            method: 'torrent-metadata', link: shown, from: meta.from, name: meta.name, ...(meta.infoHash ? { infoHash: meta.infoHash } : {}),
            ...(meta.totalLength === undefined ? {} : { totalLength: meta.totalLength }), fileCount: meta.files.length, matchedFiles: matched.slice(0, 20),
          },
        };
      }
      reasons.push(`${shown}: no file of "${meta.name}" names the content${content.type === 'season' ? ' and an episode' : ''} at a plausible size`);
    } catch (error) {
      reasons.push(redact((error as Error).message));
    }
  }
  return { confirmed: false, reason: `torrent metadata did not confirm: ${reasons.join('; ')}` };
}
