import type { SiteSpec } from '../../core/catalog/types.js';
import type { Lang } from './text.js';

/**
 * What the corpus is made of and what each page is, so the bench can score a round: every route
 * the server answers, and for every HTML page a label saying whether it is a leak (and of which
 * kind and markup family), a decoy that looks like one but carries another title's media, a page
 * that carries the media behind a leak, a soft 404, an allow-listed official page, or chrome.
 */

export const PAGE_KINDS = ['stream', 'iframe', 'scripted', 'hls', 'locker', 'link-list', 'torrent', 'comic', 'misspelled'] as const;
export type PageKind = (typeof PAGE_KINDS)[number];

/** The catalog contents the corpus leaks (catalog/content/). */
export const CONTENT_IDS = ['moonlit-harbor-s01', 'star-courier-webtoon'] as const;
export type ContentId = (typeof CONTENT_IDS)[number];

/** Media the server holds, made by media.ts; the generator only names them. */
export const VIDEO_MEDIA = ['mh-e1-scaled', 'mh-e1-cropped', 'mh-e1-lowq', 'mh-e2-scaled', 'mh-e2-cropped', 'mh-e2-letterbox', 'other-a', 'other-b', 'other-c'] as const;
export type VideoMediaId = (typeof VIDEO_MEDIA)[number];
export const LEAK_VIDEOS: Record<1 | 2, readonly VideoMediaId[]> = { 1: ['mh-e1-scaled', 'mh-e1-cropped', 'mh-e1-lowq'], 2: ['mh-e2-scaled', 'mh-e2-cropped', 'mh-e2-letterbox'] };
export const OTHER_VIDEOS: readonly VideoMediaId[] = ['other-a', 'other-b', 'other-c'];
/** Comic images: leaked chapter pages one per file, the same pages stacked into long strips, and another comic's. */
export const IMAGE_MEDIA = ['sc-p1', 'sc-p2', 'sc-p3', 'sc-p4', 'sc-strip-a', 'sc-strip-b', 'oc-p1', 'oc-p2', 'oc-p3', 'oc-strip'] as const;
export type ImageMediaId = (typeof IMAGE_MEDIA)[number];
export type MediaId = VideoMediaId | ImageMediaId;

export type Body =
  | { kind: 'text'; type: string; text: string }
  | { kind: 'bytes'; type: string; bytes: Buffer }
  /** A media file from media.ts; `file` names one file of an HLS rendition (index.m3u8, seg0.ts, ...). */
  | { kind: 'media'; media: MediaId; file?: string; type?: string };

/** Whether a route exists before the domain moves (round 1), after (round 2), or in both. */
export type Epoch = 'before' | 'after' | 'always';

export interface CorpusRoute {
  host: string;
  path: string;
  status?: number;
  headers?: Record<string, string>;
  body: Body;
  epoch: Epoch;
}

export type PageLabel =
  | { role: 'leak'; kind: PageKind; content: ContentId; family: string; lang: Lang }
  | { role: 'decoy'; kind: PageKind; content: ContentId; family: string; lang: Lang }
  /** A page behind a leak or decoy (embed player, locker file or stream page) that carries media itself. */
  | { role: 'carrier'; content: ContentId; genuine: boolean }
  | { role: 'soft-404'; family: string }
  | { role: 'official'; content: ContentId; service: string }
  /** A site's home and menu pages, listing its leaks among other pages: a finding here is right (it links to the leak), not recall. */
  | { role: 'listing'; content: ContentId }
  /** Forum threads, status and mirror pages, password forms: no media of their own. */
  | { role: 'chrome' };

export interface LabelledPage {
  url: string;
  /** Other URLs a finding may name for the same item (a torrent page's .torrent and magnet). */
  aliases: string[];
  label: PageLabel;
  /** How this leak or decoy is built (player style, disguise, locker link, torrent files), for per-variant figures. */
  variant?: string;
  /** On a domain the site moved to without a redirect. */
  onHop?: string;
}

export interface CorpusSite {
  id: string;
  spec: SiteSpec;
  /** Crawled in round 1, before its domain died. */
  dies?: boolean;
}

/** A move with no redirect: the dead host, the new one, and where the new one is mentioned. */
export interface ExpectedHop {
  siteId: string;
  from: string;
  to: string;
  how: 'forum link' | 'link-list link' | 'plain-text mention';
}

export interface Corpus {
  seed: number;
  routes: CorpusRoute[];
  pages: LabelledPage[];
  sites: CorpusSite[];
  hops: ExpectedHop[];
}
