import type { SiteSource } from '../../../core/catalog/types.js';
import { rssSource } from './rss.js';
import { searchSource } from './search.js';
import { sitemapSource } from './sitemap.js';
import { torznabSource } from './torznab.js';
import type { Source } from './types.js';
import { webSource, type WebCrawlOptions } from './web.js';

/** The source a catalog Site's `sources[]` entry names. */
export function sourceFor(spec: SiteSource, web: WebCrawlOptions = {}): Source {
  switch (spec.type) {
    case 'web':
      return webSource(spec.url, { ...web, ...(spec.depth === undefined ? {} : { depth: spec.depth }), ...(spec.maxPages === undefined ? {} : { maxPages: spec.maxPages }) });
    case 'sitemap':
      return sitemapSource(spec.url, { ...web, ...(spec.maxPages === undefined ? {} : { maxPages: spec.maxPages }) });
    case 'rss':
      return rssSource(spec.url);
    case 'torznab':
      return torznabSource(spec.url, spec.apiKeyEnv, spec.maxResults);
    case 'search':
      return searchSource(spec.url, spec.apiKeyEnv, spec.maxResults);
  }
}
