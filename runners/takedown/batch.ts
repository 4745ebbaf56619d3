import { byCodePoint, finishNotice, noticeDraft, draftModel, type DraftItem, type Notice, type NoticeContent, type NoticeDraft, type NoticeFinding, type NoticePolicy } from './notice.js';
import { itemHtml, itemText, renderNotice } from './render.js';

/**
 * One notice per abuse contact lists all of its open links, split into several when they pass the
 * cap (hosts' mail servers and web forms refuse huge messages; Google's trusted-submitter batches
 * are capped too). Deterministic: contacts in code-point order of their address, URLs in code-point
 * order within a contact, so a retried batch composes the same notices; every URL of a contact is
 * in exactly one of its notices.
 */

export interface ContactLinks {
  /** The abuse contact (an e-mail address, or a form's URL for the form channel). */
  to: string;
  /** The Site's language, when the catalog has one. */
  siteLanguage?: string;
  findings: readonly NoticeFinding[];
}

export interface NoticeCap {
  /** URLs per notice. */
  maxUrls: number;
  /** UTF-8 bytes of the text and HTML parts together; a single URL bigger than this still goes, alone. */
  maxBytes: number;
}

export const DEFAULT_NOTICE_CAP: NoticeCap = { maxUrls: 100, maxBytes: 512 * 1024 };

export interface BatchOptions {
  policy: NoticePolicy;
  contents: ReadonlyMap<string, NoticeContent>;
  date: Date;
  cap?: Partial<NoticeCap>;
}

function bytes(value: string): number {
  return Buffer.byteLength(value, 'utf8');
}

/** Same contact (compared case-insensitively) given twice: one notice run, with the language hint they agree on. */
function mergeContacts(byContact: readonly ContactLinks[]): ContactLinks[] {
  const merged = new Map<string, { to: string; hints: Set<string | undefined>; findings: NoticeFinding[] }>();
  for (const contact of byContact) {
    const key = contact.to.trim().toLowerCase();
    const entry = merged.get(key) ?? { to: key, hints: new Set<string | undefined>(), findings: [] };
    entry.hints.add(contact.siteLanguage);
    entry.findings.push(...contact.findings);
    merged.set(key, entry);
  }
  return [...merged.values()]
    .sort((a, b) => byCodePoint(a.to, b.to))
    .map((entry) => {
      const [hint] = entry.hints;
      return { to: entry.to, findings: entry.findings, ...(entry.hints.size === 1 && hint !== undefined ? { siteLanguage: hint } : {}) };
    });
}

/**
 * Greedy split by an estimate: the notice with all the contact's works and no URL, plus each URL's
 * own text and HTML. The estimate can only overstate (a part names at most the contact's works), so
 * the check after rendering rarely has anything to split again.
 */
function splitByEstimate(draft: NoticeDraft, cap: NoticeCap, date: Date): DraftItem[][] {
  const empty = renderNotice(draft.template, draftModel(draft, [], date, { index: cap.maxUrls, total: cap.maxUrls }));
  const base = bytes(empty.text) + bytes(empty.html) + 64;
  const showWork = draft.works.size > 1;
  const chunks: DraftItem[][] = [];
  let chunk: DraftItem[] = [];
  let size = base;
  for (const entry of draft.items) {
    const item = { ...entry.item, works: entry.contentIds.map((id) => draft.works.get(id)?.title ?? id) };
    const itemBytes = bytes(itemText(draft.template, item, chunk.length + 1, showWork)) + bytes(itemHtml(draft.template, item, showWork));
    if (chunk.length > 0 && (chunk.length >= cap.maxUrls || size + itemBytes > cap.maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      size = base;
    }
    chunk.push(entry);
    size += itemBytes;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

function noticeBytes(notice: Notice): number {
  return bytes(notice.text) + bytes(notice.html);
}

function contactNotices(draft: NoticeDraft, cap: NoticeCap, date: Date): Notice[] {
  let chunks = splitByEstimate(draft, cap, date);
  for (;;) {
    const notices = chunks.map((chunk, i) => finishNotice(draft, chunk, date, { index: i + 1, total: chunks.length }));
    const over = notices.findIndex((notice, i) => noticeBytes(notice) > cap.maxBytes && (chunks[i]?.length ?? 0) > 1);
    if (over < 0) return notices;
    const chunk = chunks[over] ?? [];
    const half = Math.ceil(chunk.length / 2);
    chunks = [...chunks.slice(0, over), chunk.slice(0, half), chunk.slice(half), ...chunks.slice(over + 1)];
  }
}

/** Notices for every contact's open links, each within the cap. A contact with no findings gets none. */
export function batchNotices(byContact: readonly ContactLinks[], options: BatchOptions): Notice[] {
  const cap: NoticeCap = { ...DEFAULT_NOTICE_CAP, ...options.cap };
  if (!Number.isInteger(cap.maxUrls) || cap.maxUrls < 1) throw new RangeError(`maxUrls must be a whole number of at least 1, not ${cap.maxUrls}`);
  if (!Number.isFinite(cap.maxBytes) || cap.maxBytes < 1) throw new RangeError(`maxBytes must be a positive number, not ${cap.maxBytes}`);
  return mergeContacts(byContact)
    .filter((contact) => contact.findings.length > 0)
    .flatMap((contact) => {
      const draft = noticeDraft({ to: contact.to, policy: options.policy, contents: options.contents, findings: contact.findings, ...(contact.siteLanguage === undefined ? {} : { siteLanguage: contact.siteLanguage }) });
      return contactNotices(draft, cap, options.date);
    });
}
