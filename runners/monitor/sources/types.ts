import type { Fetcher, Redirect } from '../fetch.js';
import type { HtmlFeatures } from '../html.js';

/**
 * Every place Vigil looks for leaks is a Source: one small interface, thin implementations (web
 * crawler, RSS/Atom feed, Torznab indexer, JSON search API). A source yields pages; what happens to
 * a page (scoring, hop detection, findings) is the round's business, not the source's.
 */

export type SourceKind = 'web' | 'rss' | 'torznab' | 'search';

export interface Page {
  /** Where the page is, after redirects. */
  url: string;
  /** The URL that led here (a link, a feed item), when it differs. */
  requestedUrl?: string;
  title: string;
  text: string;
  source: SourceKind;
  /** The seed, feed, indexer or search endpoint that produced the page. */
  sourceUrl: string;
  redirects: Redirect[];
  links: string[];
  media: HtmlFeatures['media'];
  /** Magnet links and .torrent URLs (feeds and indexers). */
  torrents?: string[];
  /** Parsed HTML features, for pages fetched as HTML (hop detection reads them). */
  html?: HtmlFeatures;
  depth?: number;
}

export interface SourceQuery {
  /** What to ask indexers and search APIs for: the title and its other names. */
  terms: string[];
}

export interface SourceContext {
  fetch: Fetcher;
  env?: Record<string, string | undefined>;
  signal?: AbortSignal;
  /** A URL that failed; the source goes on with the rest. */
  onError?: (url: string, error: unknown) => void;
}

export interface Source {
  kind: SourceKind;
  url: string;
  collect(query: SourceQuery, ctx: SourceContext): AsyncIterable<Page>;
}

export const HTML_TYPES = ['text/html', 'application/xhtml+xml'] as const;
export const XML_TYPES = ['application/rss+xml', 'application/atom+xml', 'application/xml', 'text/xml', 'application/x-rss+xml'] as const;
export const JSON_TYPES = ['application/json'] as const;

/** The API key named by a site's apiKeyEnv; keys live in the environment, never in the catalog. */
export function apiKey(env: SourceContext['env'], name: string | undefined): string | undefined {
  return name ? env?.[name] : undefined;
}
