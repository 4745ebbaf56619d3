import type pg from 'pg';
import type { Config } from '../../core/config.js';
import { createFetcher, parseResolve } from '../monitor/fetch.js';
import { buildEvidencePack, type PackResult } from './pack.js';
import { defaultEvidenceSources } from './sources.js';

/**
 * Evidence packs as a process builds them with its configuration: the leak fetched again through
 * the crawler's fetcher (VIGIL_CRAWL_ALLOW_PRIVATE, VIGIL_CRAWL_RESOLVE), reference media under
 * VIGIL_MEDIA_ROOT, notices and re-checks from defaultEvidenceSources. `vigil evidence` and the
 * Slack bot's Evidence button (given it by the CLI, since bot/ may not import runners/) share it.
 */
export interface EvidenceBuilderOptions {
  pool: pg.Pool;
  config: Pick<Config, 'crawler' | 'mediaRoot'>;
  software: string;
  /** Extra curl-style resolve entries and private addresses (vigil evidence --resolve, --allow-private). */
  resolve?: readonly string[];
  allowPrivate?: boolean;
  signal?: AbortSignal;
}

export interface EvidenceBuilder {
  build(findingId: number, out: string, options?: { overwrite?: boolean }): Promise<PackResult>;
}

export function evidenceBuilder(o: EvidenceBuilderOptions): EvidenceBuilder {
  const fetch = createFetcher({
    allowPrivate: (o.allowPrivate ?? false) || o.config.crawler.allowPrivate,
    resolve: parseResolve([...o.config.crawler.resolve, ...(o.resolve ?? [])]), ...(o.signal ? { signal: o.signal } : {}),
  });
  return {
    build: (findingId, out, options = {}) => buildEvidencePack({
      pool: o.pool, findingId, out, overwrite: options.overwrite ?? false, fetch, mediaRoot: o.config.mediaRoot,
      sources: defaultEvidenceSources(o.pool), software: o.software, ...(o.signal ? { signal: o.signal } : {}),
    }),
  };
}
