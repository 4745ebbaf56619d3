import { cappedBody, type PageCapture } from '../../core/db/finding-pages.js';
import type { FetchResult } from './fetch.js';

/**
 * The page as fetched, as a finding's record keeps it (core/db/finding-pages.ts): the request as
 * sent, the response as received, the final URL and the time. The body is capped at the record's
 * bound and marked truncated when cut.
 */
export function pageCapture(res: FetchResult): PageCapture {
  return {
    method: res.request.method, requestedUrl: res.url, finalUrl: res.finalUrl, requestHeaders: res.request.headers,
    httpVersion: res.httpVersion, status: res.status, statusText: res.statusText, responseHeaders: res.rawHeaders, redirects: res.redirects,
    ...cappedBody(res.body), ...(res.remoteAddress ? { remoteAddress: res.remoteAddress } : {}), fetchedAt: res.request.sentAt,
  };
}
