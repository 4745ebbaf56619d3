import type { ContentSpec, PolicySpec } from '../../core/catalog/types.js';
import type { Finding } from '../../core/db/findings.js';
import { VigilError } from '../../core/errors.js';
import { addressLine, escapeHtml, noticeUrl, oneLine } from './hostile-text.js';
import { noticeLanguage } from './language.js';
import { renderNotice, signatureOf, type NoticeItem, type NoticeModel, type NoticeWork } from './render.js';
import { NOTICE_TEMPLATES, type NoticeLanguage, type NoticeTemplate } from './templates/index.js';

export type { NoticeWork } from './render.js';

/**
 * A takedown notice with every element of 17 U.S.C. 512(c)(3)(A), composed from the Policy's notice
 * sender, the Content and the findings. Pure: no sending, no records. Before a notice is returned
 * the rendered text and HTML are searched for each element, so a template, a sender or a finding
 * that leaves one out is refused here (NOTICE_INCOMPLETE) instead of reaching a host as a notice it
 * may lawfully ignore (512(c)(3)(B)(i)).
 */

/** The six elements, in the statute's order. */
export const NOTICE_ELEMENTS = ['signature', 'works', 'material', 'contact', 'goodFaith', 'accuracy'] as const;
export type NoticeElement = (typeof NOTICE_ELEMENTS)[number];
export type NoticeElements = Record<NoticeElement, boolean>;

const ELEMENT_NAMES: Record<NoticeElement, string> = {
  signature: '(i) the signature of a person authorized to act',
  works: '(ii) the copyrighted work',
  material: '(iii) the infringing material and where it is',
  contact: '(iv) the contact information of the complaining party',
  goodFaith: '(v) the good-faith statement',
  accuracy: '(vi) the accuracy and authority statement',
};

/** What a notice needs of a finding (a core/db Finding row has all of it). */
export type NoticeFinding = Pick<Finding, 'id' | 'contentId' | 'url' | 'pageTitle' | 'firstSeen' | 'host'>;
export type NoticeContent = Pick<ContentSpec, 'title' | 'localizedTitles' | 'type' | 'season' | 'releaseDate'>;

/** The Policy a notice is sent under; id and file name it in errors. */
export interface NoticePolicy {
  id?: string;
  file?: string;
  spec: Pick<PolicySpec, 'noticeSender'>;
}

export interface Notice {
  /** The abuse contact, as the caller gave it (flattened to one line). */
  to: string;
  subject: string;
  text: string;
  html: string;
  language: NoticeLanguage;
  dir: 'ltr' | 'rtl';
  /** The URLs listed, in the notice's order, each once. */
  urls: string[];
  /** The findings the notice covers (several may share a URL, one per title it leaks). */
  findingIds: number[];
  works: NoticeWork[];
  elements: NoticeElements;
  /** Which of its contact's notices this is (1 of 1 when its links fit in one). */
  part: { index: number; total: number };
}

export interface NoticeRequest {
  to: string;
  policy: NoticePolicy;
  /** Content specs by Content id, for every content the findings name. */
  contents: ReadonlyMap<string, NoticeContent>;
  findings: readonly NoticeFinding[];
  /** The Site's language (BCP 47), when the catalog has one. */
  siteLanguage?: string;
  /** When the notice is signed (passed in, so composing is pure). */
  date: Date;
}

/** Lengths past which a value from outside is cut: enough for any real title, address or host. */
const MAX = { name: 200, organization: 200, email: 254, address: 500, phone: 50, pageTitle: 200, title: 300, host: 253, to: 320 } as const;

/** One URL of a draft: what it shows and which findings and works it stands for. */
export interface DraftItem {
  item: Omit<NoticeItem, 'works'>;
  findingIds: number[];
  contentIds: string[];
}

/** A notice before its items are chosen: batching splits `items` into several notices. */
export interface NoticeDraft {
  to: string;
  language: NoticeLanguage;
  template: NoticeTemplate;
  sender: NoticeModel['sender'];
  principal: string;
  policy: NoticePolicy;
  works: ReadonlyMap<string, NoticeWork>;
  items: DraftItem[];
}

function policyName(policy: NoticePolicy): string {
  const where = policy.file ? ` (${policy.file})` : '';
  return policy.id ? `Policy ${JSON.stringify(policy.id)}${where}` : `the Policy${where}`;
}

/** The sender, flattened; a Policy without one, or without its name or e-mail, is NOTICE_SENDER_MISSING. */
export function noticeSender(policy: NoticePolicy): NoticeModel['sender'] {
  const given = policy.spec.noticeSender;
  const name = oneLine(given?.name ?? '', MAX.name);
  const email = oneLine(given?.email ?? '', MAX.email);
  if (!given || name === '' || email === '') {
    const missing = !given ? 'spec.noticeSender' : name === '' ? 'spec.noticeSender.name' : 'spec.noticeSender.email';
    throw new VigilError('NOTICE_SENDER_MISSING', `${policyName(policy)} has no ${missing}, so a takedown notice would carry no signature or contact; add spec.noticeSender with name and email (and address and phone) to the Policy file`);
  }
  const organization = oneLine(given.organization ?? '', MAX.organization);
  const address = addressLine(given.address ?? '', MAX.address);
  const phone = oneLine(given.phone ?? '', MAX.phone);
  return { name, email, ...(organization ? { organization } : {}), ...(address ? { address } : {}), ...(phone ? { phone } : {}) };
}

function dateOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function firstSeenOf(date: Date): string {
  const iso = date.toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** Code-point order, the same on every machine (localeCompare follows the ICU build). */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function workOf(contentId: string, content: NoticeContent, language: NoticeLanguage): NoticeWork {
  const title = oneLine(content.title, MAX.title) || contentId;
  const local = content.localizedTitles?.find((entry) => entry.lang.toLowerCase().split(/[-_]/)[0] === language);
  const localTitle = local ? oneLine(local.title, MAX.title) : '';
  return {
    contentId,
    title,
    ...(localTitle !== '' && localTitle !== title ? { localTitle } : {}),
    type: content.type,
    ...(content.type === 'season' && typeof content.season === 'number' ? { season: content.season } : {}),
    releaseDate: oneLine(content.releaseDate, 10),
  };
}

/** Everything about one contact's notice except which of its URLs go in it. */
export function noticeDraft(request: Omit<NoticeRequest, 'date'>): NoticeDraft {
  const sender = noticeSender(request.policy);
  const byUrl = new Map<string, { finding: NoticeFinding; findingIds: number[]; contentIds: Set<string> }>();
  const hosts = new Set<string>();
  for (const finding of request.findings) {
    const url = noticeUrl(finding.url);
    hosts.add(new URL(url).hostname);
    const entry = byUrl.get(url);
    if (entry) {
      entry.findingIds.push(finding.id);
      entry.contentIds.add(finding.contentId);
      // The earliest sighting of a URL is the one a host can check against its logs; on a tie the
      // oldest finding, so the notice does not depend on the order findings came in.
      const earlier = finding.firstSeen.getTime() - entry.finding.firstSeen.getTime();
      if (earlier < 0 || (earlier === 0 && finding.id < entry.finding.id)) entry.finding = finding;
    } else {
      byUrl.set(url, { finding, findingIds: [finding.id], contentIds: new Set([finding.contentId]) });
    }
  }
  const language = noticeLanguage({ ...(request.siteLanguage === undefined ? {} : { siteLanguage: request.siteLanguage }), hosts: [...hosts] });
  const works = new Map<string, NoticeWork>();
  for (const contentId of new Set(request.findings.map((finding) => finding.contentId))) {
    const content = request.contents.get(contentId);
    if (!content) throw new Error(`finding of content ${JSON.stringify(contentId)} given without its Content spec`);
    works.set(contentId, workOf(contentId, content, language));
  }
  const items = [...byUrl.entries()]
    .sort(([a], [b]) => byCodePoint(a, b))
    .map(([url, entry]): DraftItem => ({
      item: {
        url,
        pageTitle: oneLine(entry.finding.pageTitle, MAX.pageTitle),
        firstSeen: firstSeenOf(entry.finding.firstSeen),
        host: oneLine(entry.finding.host, MAX.host) || new URL(url).hostname,
      },
      findingIds: [...entry.findingIds].sort((a, b) => a - b),
      contentIds: [...entry.contentIds].sort(byCodePoint),
    }));
  return {
    to: oneLine(request.to, MAX.to),
    language,
    template: NOTICE_TEMPLATES[language],
    sender,
    principal: sender.organization ?? sender.name,
    policy: request.policy,
    works,
    items,
  };
}

function sortedWorks(works: Iterable<NoticeWork>): NoticeWork[] {
  return [...works].sort((a, b) => byCodePoint(a.title, b.title) || byCodePoint(a.contentId, b.contentId));
}

/** The model the renderer takes, for some of a draft's items. */
export function draftModel(draft: NoticeDraft, items: readonly DraftItem[], date: Date, part?: { index: number; total: number }): NoticeModel {
  const contentIds = new Set(items.flatMap((entry) => entry.contentIds));
  const works = sortedWorks([...draft.works.values()].filter((work) => contentIds.has(work.contentId)));
  const titleOf = (id: string): string => draft.works.get(id)?.title ?? id;
  return {
    principal: draft.principal,
    sender: draft.sender,
    works,
    items: items.map((entry) => ({ ...entry.item, works: entry.contentIds.map(titleOf).sort(byCodePoint) })),
    date: dateOf(date),
    ...(part ? { part } : {}),
  };
}

/** What each element must show, word for word, in a rendered notice. */
export interface ElementNeedles {
  signature: string[];
  works: string[];
  material: string[];
  contact: string[];
  goodFaith: string[];
  accuracy: string[];
}

export function elementNeedles(template: NoticeTemplate, model: NoticeModel): ElementNeedles {
  const en = NOTICE_TEMPLATES.en;
  const { sender } = model;
  const appendEnglish = template.language !== 'en';
  return {
    signature: [signatureOf(sender.name)],
    works: model.works.map((work) => work.title),
    material: model.items.map((item) => item.url),
    // An e-mail alone lets a host reply but not serve papers; a postal address is required too.
    contact: [sender.email, sender.address ?? '', ...(sender.phone ? [sender.phone] : [])],
    goodFaith: [template.goodFaith, ...(appendEnglish ? [en.goodFaith] : [])],
    accuracy: [template.accuracy, ...(appendEnglish ? [en.accuracy] : [])],
  };
}

/**
 * Which elements a rendered notice carries: each is present when every one of its needles (non-empty)
 * is found in the text part and, escaped, in the HTML part. An element with no needle is absent (a
 * notice naming no URL identifies no material).
 */
export function noticeElements(rendered: { text: string; html: string }, needles: ElementNeedles): NoticeElements {
  const present = (list: string[]): boolean =>
    list.length > 0 && list.every((needle) => needle.trim() !== '' && rendered.text.includes(needle) && rendered.html.includes(escapeHtml(needle)));
  // A URL must stand whole, not as the start of a longer one (…/v/1 inside …/v/10): as a token of
  // the text part and as a link's href in the HTML part.
  const textTokens = new Set(rendered.text.split(/\s+/));
  const hrefs = new Set([...rendered.html.matchAll(/href="([^"]*)"/g)].map((match) => match[1]));
  const listed = (urls: string[]): boolean => urls.length > 0 && urls.every((url) => textTokens.has(url) && hrefs.has(escapeHtml(url)));
  return {
    signature: present(needles.signature),
    works: present(needles.works),
    material: listed(needles.material),
    contact: present(needles.contact),
    goodFaith: present(needles.goodFaith),
    accuracy: present(needles.accuracy),
  };
}

function missingAdvice(element: NoticeElement, draft: NoticeDraft): string {
  switch (element) {
    case 'signature': return 'add spec.noticeSender.name';
    case 'contact': return draft.sender.address ? 'check spec.noticeSender.email, .address and .phone' : 'add spec.noticeSender.address (a postal address)';
    case 'works':
    case 'material': return 'the notice lists no finding; give it at least one open link';
    default: return `the ${draft.language} template lacks the statement; fix runners/takedown/templates/${draft.language}.ts`;
  }
}

/** Render some of a draft's items as one notice, after checking it carries all six elements. */
export function finishNotice(draft: NoticeDraft, items: readonly DraftItem[], date: Date, part?: { index: number; total: number }): Notice {
  const model = draftModel(draft, items, date, part);
  const rendered = renderNotice(draft.template, model);
  const elements = noticeElements(rendered, elementNeedles(draft.template, model));
  const missing = NOTICE_ELEMENTS.filter((element) => !elements[element]);
  if (missing.length > 0) {
    const what = missing.map((element) => `${ELEMENT_NAMES[element]}: ${missingAdvice(element, draft)}`).join('; ');
    throw new VigilError('NOTICE_INCOMPLETE', `the takedown notice to ${draft.to} under ${policyName(draft.policy)} lacks ${what}`);
  }
  return {
    to: draft.to,
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    language: draft.language,
    dir: draft.template.dir,
    urls: model.items.map((item) => item.url),
    findingIds: items.flatMap((entry) => entry.findingIds),
    works: model.works,
    elements,
    part: part ?? { index: 1, total: 1 },
  };
}

/** One notice listing every finding given (no cap: batchNotices splits a contact's links). */
export function composeNotice(request: NoticeRequest): Notice {
  const draft = noticeDraft(request);
  return finishNotice(draft, draft.items, request.date);
}
