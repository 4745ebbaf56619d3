import { createHash } from 'node:crypto';
import type { Fetcher } from './fetch.js';

/** The SHA-256 of a host's favicon (the <link rel=icon> target, else /favicon.ico), or undefined. */
export async function faviconHash(fetch: Fetcher, pageUrl: string, iconUrl?: string): Promise<string | undefined> {
  const url = iconUrl ?? new URL('/favicon.ico', pageUrl).href;
  try {
    const res = await fetch(url, { accept: ['image/*', 'application/octet-stream'], maxBytes: 256 * 1024, timeoutMs: 5_000 });
    if (res.body.length === 0) return undefined;
    return createHash('sha256').update(res.body).digest('hex');
  } catch {
    return undefined;
  }
}
