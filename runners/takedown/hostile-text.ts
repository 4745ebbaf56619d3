import { VigilError } from '../../core/errors.js';

/**
 * Page titles, hosts and URLs in a notice come from pirate sites, which choose them. Before any of it
 * reaches a subject line, a plain-text body or an HTML body it is flattened to one line (no CR/LF
 * to forge a header or a fake "Signature:" line), stripped of control and bidi-override characters
 * (which can make a line read differently from what it says) and capped in length.
 */

// C0 and C1 controls, DEL, the Unicode line and paragraph separators, bidi marks, embeddings,
// overrides and isolates, and the byte-order mark.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/g;

/** No server accepts a request line much longer than this (nginx's default is 8 KiB), so a longer "URL" is not a link anyone can follow. */
export const MAX_URL_LENGTH = 8192;

/** At most `max` characters (code points, so no surrogate pair is cut in half), with an ellipsis when cut. */
export function capLength(value: string, max: number): string {
  const chars = Array.from(value);
  return chars.length <= max ? value : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** One line: controls become spaces, runs of white space one space, trimmed, capped. */
export function oneLine(value: string, max: number): string {
  return capLength(value.replace(CONTROL, ' ').replace(/\s+/g, ' ').trim(), max);
}

/** A postal address kept readable on one line: its own line breaks become ", ". */
export function addressLine(value: string, max: number): string {
  return oneLine(value.split(/\r\n|\r|\n/).map((part) => part.trim()).filter((part) => part !== '').join(', '), max);
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch);
}

/**
 * The URL as the WHATWG parser serializes it: ASCII only (punycode host, percent-escaped path and
 * query), so it carries no white space, no quote and no angle bracket. Only http(s) links can be
 * taken down; a `javascript:` or `data:` "link" never becomes an href in a notice.
 */
export function noticeUrl(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : undefined;
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || parsed.hostname === '') {
    throw new VigilError('LINK_INVALID', `${JSON.stringify(capLength(url, 200))} is not an http or https link and cannot be listed in a takedown notice`);
  }
  if (parsed.href.length > MAX_URL_LENGTH) {
    throw new VigilError('LINK_INVALID', `a link of ${parsed.href.length} characters (${JSON.stringify(capLength(parsed.href, 120))}) is longer than the ${MAX_URL_LENGTH} any server serves and cannot be listed in a takedown notice`);
  }
  return parsed.href;
}
