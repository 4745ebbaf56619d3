import { MASK, redact } from '../../../core/redact.js';
import type { Notice } from '../notice.js';
import { noticeKey } from './notice-key.js';
import { failed, type ChannelContext, type DeliveryReceipt, type NoticeChannel } from './types.js';
import { workLabel, worksOfUrls } from './url-works.js';

/**
 * A copy of every notice to a Lumen-database-shaped API (Lumen is where Google and others publish
 * the notices they receive; submitting there too makes the record public and searchable). The
 * request follows Lumen's notice-submission API: POST {base}/notices with the submitter's
 * authentication_token and a `notice` whose works each list their infringing URLs. Lumen answers
 * 201 with the new notice's URL in Location (and, on newer servers, a JSON body with its id).
 */

export interface LumenChannelOptions {
  /** The API base, e.g. https://lumendatabase.org (VIGIL_LUMEN_URL). */
  url: string;
  /** The submitter's authentication_token (VIGIL_LUMEN_TOKEN): a secret, never logged or put in a receipt. */
  token: string;
  timeoutMs?: number;
}

export interface LumenUrl { url: string }
export interface LumenWork {
  description: string;
  copyrighted_urls_attributes: LumenUrl[];
  infringing_urls_attributes: LumenUrl[];
}
export interface LumenEntityRole {
  name: 'sender' | 'principal' | 'recipient';
  entity_attributes: { name: string; kind: 'individual' | 'organization' };
}
export interface LumenNotice {
  title: string;
  type: 'DMCA';
  subject: string;
  date_sent: string;
  principal_name: string;
  sender_name: string;
  recipient_name: string;
  language: string;
  works_attributes: LumenWork[];
  entity_notice_roles_attributes: LumenEntityRole[];
  /** Our key, so a resubmitted notice can be matched to the first (Lumen keeps it as a tag). */
  tag_list: string;
}
export interface LumenSubmission {
  authentication_token: string;
  notice: LumenNotice;
}

export const DEFAULT_LUMEN_TIMEOUT_MS = 15_000;
/** More of an answer than this is not a notice id; read no further. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** The recipient as Lumen lists it: the host the contact belongs to, not a person's mailbox. */
function recipientName(to: string): string {
  const at = to.lastIndexOf('@');
  if (at >= 0) return to.slice(at + 1);
  return URL.canParse(to) ? new URL(to).hostname : to;
}

/** The submission body for one notice (pure; the token is added by the caller). */
export function lumenNotice(notice: Notice, ctx: Pick<ChannelContext, 'sender' | 'findings'>, sentAt: Date): LumenNotice {
  const byUrl = worksOfUrls(notice, ctx.findings);
  const works = new Map<string, LumenWork>();
  for (const url of notice.urls) {
    for (const work of byUrl.get(url) ?? []) {
      const entry = works.get(work.contentId) ?? { description: workLabel(work), copyrighted_urls_attributes: [], infringing_urls_attributes: [] };
      entry.infringing_urls_attributes.push({ url });
      works.set(work.contentId, entry);
    }
  }
  const principal = ctx.sender.organization ?? ctx.sender.name;
  const recipient = recipientName(notice.to);
  return {
    title: notice.subject,
    type: 'DMCA',
    subject: notice.subject,
    date_sent: sentAt.toISOString(),
    principal_name: principal,
    sender_name: ctx.sender.name,
    recipient_name: recipient,
    language: notice.language,
    works_attributes: [...works.values()],
    entity_notice_roles_attributes: [
      { name: 'principal', entity_attributes: { name: principal, kind: ctx.sender.organization ? 'organization' : 'individual' } },
      { name: 'sender', entity_attributes: { name: ctx.sender.name, kind: 'individual' } },
      { name: 'recipient', entity_attributes: { name: recipient, kind: 'organization' } },
    ],
    tag_list: `vigil-${noticeKey(notice)}`,
  };
}

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= MAX_ANSWER_BYTES) { await reader.cancel(); break; }
  }
  return Buffer.concat(chunks).toString('utf8').slice(0, MAX_ANSWER_BYTES);
}

/** The new notice's id: from the JSON answer ({id} or {notice: {id}}), else the last segment of Location. */
export function lumenNoticeId(body: string, location: string | null): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null) {
      const record = parsed as { id?: unknown; notice?: { id?: unknown } };
      const id = record.id ?? record.notice?.id;
      if ((typeof id === 'number' && Number.isInteger(id)) || (typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id))) return String(id);
    }
  } catch {
    // Not JSON: Lumen's classic answer is an empty body and a Location header.
  }
  const match = location?.match(/\/notices\/([A-Za-z0-9_-]{1,64})(?:[/?#.]|$)/);
  return match?.[1];
}

function snippet(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

export function createLumenChannel(options: LumenChannelOptions): NoticeChannel {
  const endpoint = new URL('notices', options.url.endsWith('/') ? options.url : `${options.url}/`).href;
  const timeoutMs = options.timeoutMs ?? DEFAULT_LUMEN_TIMEOUT_MS;
  // The token is masked here too, not only by the process-wide registry: a server that echoes it
  // in an error page must not put it into a receipt, whoever built this channel.
  const scrub = (text: string): string => (options.token.length > 0 ? redact(text).split(options.token).join(MASK) : redact(text));

  async function send(notice: Notice, ctx: ChannelContext): Promise<DeliveryReceipt> {
    const at = (ctx.now ?? (() => new Date()))();
    const submission: LumenSubmission = { authentication_token: options.token, notice: lumenNotice(notice, ctx, at) };
    let response: Response;
    let body: string;
    try {
      response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify(submission),
        redirect: 'error',
        signal: AbortSignal.timeout(timeoutMs),
      });
      body = await readCapped(response);
    } catch (error) {
      const why = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return failed('lumen', scrub(`the Lumen API at ${endpoint} could not be reached (${why})`), true);
    }
    if (response.status === 401 || response.status === 403) {
      return failed('lumen', scrub(`the Lumen API refused the submitter's token (HTTP ${response.status}); check VIGIL_LUMEN_TOKEN`), false);
    }
    if (response.status === 429 || response.status >= 500) {
      return failed('lumen', scrub(`the Lumen API answered HTTP ${response.status}: ${snippet(body)}`), true);
    }
    if (response.status < 200 || response.status >= 300) {
      return failed('lumen', scrub(`the Lumen API rejected the notice (HTTP ${response.status}): ${snippet(body)}`), false);
    }
    const id = lumenNoticeId(body, response.headers.get('location'));
    if (id === undefined) {
      // Accepted but unnamed: retrying would file it twice, so this is final and a person looks.
      return failed('lumen', scrub(`the Lumen API accepted the notice (HTTP ${response.status}) but named no notice id`), false);
    }
    ctx.log?.info({ event: 'notice.sent', channel: 'lumen', lumenId: id, urls: notice.urls.length }, 'takedown notice submitted to Lumen');
    return { status: 'sent', channel: 'lumen', at, id, details: { endpoint: scrub(endpoint), works: submission.notice.works_attributes.length, urls: notice.urls.length } };
  }

  return { name: 'lumen', send };
}
