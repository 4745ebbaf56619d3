import { credentialEnvProblem } from '../../../core/catalog/credential-env.js';
import { VigilError } from '../../../core/errors.js';
import { registerSecret } from '../../../core/redact.js';
import type { PageCapture } from '../../../core/db/finding-pages.js';
import type { Fetcher, Redirect } from '../fetch.js';
import type { HtmlFeatures } from '../html.js';

/**
 * Every place Vigil looks for leaks is a Source: one small interface, thin implementations (web
 * crawler, sitemap, RSS/Atom feed, Torznab indexer, JSON search API). A source yields pages; what happens to
 * a page (scoring, hop detection, findings) is the round's business, not the source's.
 */

export type SourceKind = 'web' | 'rss' | 'torznab' | 'search' | 'sitemap';
/** How a page came to the round; a sitemap's pages are crawled web pages (found through the sitemap, named by sourceUrl). */
export type PageSource = Exclude<SourceKind, 'sitemap'>;

/** Results a search or Torznab source reads per query term, over as many result pages as that takes, when the catalog sets no maxResults. */
export const DEFAULT_MAX_RESULTS = 100;

export interface Page {
  /** Where the page is, after redirects. */
  url: string;
  /** The URL that led here (a link, a feed item), when it differs. */
  requestedUrl?: string;
  title: string;
  text: string;
  /** Images' alt and title attributes, scored like the text (a title may appear only there). */
  alt?: string;
  source: PageSource;
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
  /** The page as fetched (request, response, body, time), kept with a finding or suspect for its evidence pack. */
  capture?: PageCapture;
}

export interface SourceQuery {
  /** What to ask indexers and search APIs for: the title and its other names. */
  terms: string[];
}

export interface SourceContext {
  fetch: Fetcher;
  env?: Record<string, string | undefined>;
  /** VIGIL_SOURCE_ENV_PREFIX: the only variables a source may read its credential from (default VIGIL_SOURCE_). */
  credentialPrefix?: string;
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

/**
 * The API key named by a site's apiKeyEnv; keys live in the environment, never in the catalog. The
 * variable must pass the same rule as `vigil validate` (catalog rows may predate it or skip it):
 * one that does not is refused and reported, and the source is not crawled. A key's value is
 * registered as a secret before any request carries it.
 */
export function apiKey(ctx: SourceContext, name: string | undefined, sourceUrl: string): { refused: true } | { refused: false; key: string | undefined } {
  if (!name) return { refused: false, key: undefined };
  const problem = credentialEnvProblem(name, ctx.credentialPrefix);
  if (problem) {
    // Reported like any failed source; the round goes on without it.
    ctx.onError?.(sourceUrl, new VigilError('SOURCE_CREDENTIAL_REFUSED', `the source ${sourceUrl} was not crawled: ${problem}`));
    return { refused: true };
  }
  const key = ctx.env?.[name];
  registerSecret(key);
  return { refused: false, key };
}
