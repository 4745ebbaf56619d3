import type pg from 'pg';
import type { PoolClient } from 'pg';

/**
 * The page as fetched when a finding (or a suspect) was recorded: the request as sent, the
 * response as received (status, headers, the body as the crawler read it), the URL that answered
 * after redirects, and when. An evidence pack writes it out as a WARC record pair
 * (runners/evidence/warc.ts). The first capture of a finding is kept and never overwritten: it is
 * the page as it was when the infringement was found. A suspect's capture passes to the finding a
 * person confirms it as (recordFinding calls adoptSuspectPage).
 *
 * Captures are written inside recordFinding's and recordSuspect's transactions (core/db/findings.ts),
 * so a finding and its page are kept together or not at all; they record no decision of anyone's,
 * so they have no audit row of their own (the finding-created row covers them).
 */

type Queryable = Pick<pg.Pool, 'query'>;
type Tx = Pick<PoolClient, 'query'>;

/** Header name/value pairs in wire order; a name may repeat (Set-Cookie). */
export type HeaderPairs = readonly (readonly [string, string])[];

export interface PageCapture {
  method: string;
  /** The URL asked for, and the URL that answered after redirects. */
  requestedUrl: string;
  finalUrl: string;
  /** The headers of the request that got the answer, credential values masked. */
  requestHeaders: HeaderPairs;
  /** '1.1', '1.0'. */
  httpVersion: string;
  status: number;
  statusText: string;
  responseHeaders: HeaderPairs;
  redirects: readonly { from: string; to: string; status: number }[];
  /** The body as read (content-encoding undone), at most PAGE_CAPTURE_MAX_BYTES. */
  body: Buffer;
  /** How many bytes the body had before the cap; more than body.length when truncated. */
  bodyBytes: number;
  truncated: boolean;
  remoteAddress?: string;
  /** When the request that got the answer was sent. */
  fetchedAt: Date;
}

/** Pages are kept up to this size (the fetcher's own default bound); a longer body is cut and marked truncated. */
export const PAGE_CAPTURE_MAX_BYTES = 5 * 1024 * 1024;

/** The body cut to `max` bytes, with its real length and whether it was cut. */
export function cappedBody(body: Buffer, max = PAGE_CAPTURE_MAX_BYTES): Pick<PageCapture, 'body' | 'bodyBytes' | 'truncated'> {
  return body.length <= max ? { body, bodyBytes: body.length, truncated: false } : { body: body.subarray(0, max), bodyBytes: body.length, truncated: true };
}

const COLUMNS = `method, requested_url, final_url, request_headers, http_version, status, status_text, response_headers, redirects, body, body_bytes, truncated,
  remote_address, fetched_at`;

function values(c: PageCapture): unknown[] {
  const capped = c.body.length > PAGE_CAPTURE_MAX_BYTES ? cappedBody(c.body) : { body: c.body, bodyBytes: c.bodyBytes, truncated: c.truncated };
  return [c.method, c.requestedUrl, c.finalUrl, JSON.stringify(c.requestHeaders), c.httpVersion, c.status, c.statusText, JSON.stringify(c.responseHeaders),
    JSON.stringify(c.redirects), capped.body, Math.max(capped.bodyBytes, capped.body.length), capped.truncated, c.remoteAddress ?? null, c.fetchedAt];
}

const PLACEHOLDERS = Array.from({ length: 14 }, (_, i) => `$${i + 2}`).join(', ');

/** Keeps a finding's page, inside the caller's transaction; a finding that has one keeps it. Returns whether this one was kept. */
export async function recordFindingPage(tx: Tx, findingId: number, capture: PageCapture): Promise<boolean> {
  const { rowCount } = await tx.query(
    `insert into finding_pages (finding_id, ${COLUMNS}) values ($1, ${PLACEHOLDERS}) on conflict (finding_id) do nothing`, [findingId, ...values(capture)]);
  return (rowCount ?? 0) > 0;
}

/** Keeps a suspect's page (for the finding a person may confirm it as), inside the caller's transaction. */
export async function recordSuspectPage(tx: Tx, suspectId: number, capture: PageCapture): Promise<boolean> {
  const { rowCount } = await tx.query(
    `insert into finding_pages (suspect_id, ${COLUMNS}) values ($1, ${PLACEHOLDERS}) on conflict (suspect_id) do nothing`, [suspectId, ...values(capture)]);
  return (rowCount ?? 0) > 0;
}

/**
 * A finding without a page of its own takes the capture of the suspect it confirms (same content
 * and normalized URL), inside recordFinding's transaction.
 */
export async function adoptSuspectPage(tx: Tx, findingId: number, contentId: string, normalizedUrl: string): Promise<void> {
  await tx.query(
    `update finding_pages set finding_id = $1
     where finding_id is null and suspect_id = (select id from suspects where content_id = $2 and normalized_url = $3)
       and not exists (select 1 from finding_pages where finding_id = $1)`, [findingId, contentId, normalizedUrl]);
}

interface CaptureRow {
  method: string; requested_url: string; final_url: string; request_headers: [string, string][]; http_version: string; status: number; status_text: string;
  response_headers: [string, string][]; redirects: PageCapture['redirects']; body: Buffer; body_bytes: string; truncated: boolean; remote_address: string | null; fetched_at: Date;
}

/** The page kept for a finding, if any. */
export async function findingPage(db: Queryable, findingId: number): Promise<PageCapture | undefined> {
  const { rows } = await db.query<CaptureRow>(`select ${COLUMNS} from finding_pages where finding_id = $1`, [findingId]);
  const r = rows[0];
  if (!r) return undefined;
  return {
    method: r.method, requestedUrl: r.requested_url, finalUrl: r.final_url, requestHeaders: r.request_headers, httpVersion: r.http_version, status: r.status,
    statusText: r.status_text, responseHeaders: r.response_headers, redirects: r.redirects, body: r.body, bodyBytes: Number(r.body_bytes), truncated: r.truncated,
    ...(r.remote_address ? { remoteAddress: r.remote_address } : {}), fetchedAt: r.fetched_at,
  };
}
