import { escapeHtml, oneLine } from './hostile-text.js';
import { NOTICE_TEMPLATES, type NoticeTemplate } from './templates/index.js';

/**
 * The one renderer: a notice model (every value already flattened and capped by notice.ts) and a
 * template give the subject, the plain-text part and the HTML part. Values go in by a single pass,
 * so a page title that reads "{principal}" stays those characters; in HTML every value and every
 * template sentence is escaped, and a page's title sits in <bdi> so right-to-left text in it cannot
 * reorder the sentence around it.
 */

export interface NoticeWork {
  contentId: string;
  title: string;
  /** The Content's localized title in the notice's language, when the catalog has one. */
  localTitle?: string;
  type: 'film' | 'season';
  season?: number;
  releaseDate: string;
}

export interface NoticeItem {
  url: string;
  pageTitle: string;
  /** yyyy-MM-dd HH:mm UTC */
  firstSeen: string;
  host: string;
  /** Titles of the works this URL makes available. */
  works: string[];
}

export interface NoticeModel {
  /** Whom the sender acts for: the organization, or the sender when there is none. */
  principal: string;
  sender: { name: string; organization?: string; email: string; address?: string; phone?: string };
  works: NoticeWork[];
  items: NoticeItem[];
  /** yyyy-MM-dd */
  date: string;
  /** Which of a contact's notices this is, when its links take more than one. */
  part?: { index: number; total: number };
}

export interface RenderedNotice {
  subject: string;
  text: string;
  html: string;
}

export const SUBJECT_MAX = 250;
const SUBJECT_WORKS_MAX = 120;
const SUBJECT_WORKS_SHOWN = 3;

function fill(sentence: string, values: Readonly<Record<string, string | number>>): string {
  return sentence.replace(/\{(\w+)\}/g, (match, key: string) => (Object.hasOwn(values, key) ? String(values[key]) : match));
}

function fillHtml(sentence: string, values: Readonly<Record<string, string | number>>): string {
  const escaped: Record<string, string> = {};
  for (const [key, value] of Object.entries(values)) escaped[key] = escapeHtml(String(value));
  return fill(escapeHtml(sentence), escaped);
}

function workLine(t: NoticeTemplate, work: NoticeWork): string {
  return work.type === 'film' ? t.workFilm : work.season === undefined ? t.workSeries : t.workSeason;
}

function workValues(work: NoticeWork): Record<string, string | number> {
  return { title: work.title, releaseDate: work.releaseDate, ...(work.season === undefined ? {} : { season: work.season }) };
}

function itemValues(item: NoticeItem): Record<string, string> {
  return { pageTitle: item.pageTitle, firstSeen: item.firstSeen, host: item.host, title: item.works.join('; ') };
}

/** The subject line: one line, no control characters, capped, whatever the titles hold. */
export function noticeSubject(t: NoticeTemplate, model: Pick<NoticeModel, 'works' | 'items' | 'part'>): string {
  const titles = model.works.map((work) => work.localTitle ?? work.title);
  const shown = titles.slice(0, SUBJECT_WORKS_SHOWN).join(', ') + (titles.length > SUBJECT_WORKS_SHOWN ? ` +${titles.length - SUBJECT_WORKS_SHOWN}` : '');
  const subject = fill(t.subject, { works: oneLine(shown, SUBJECT_WORKS_MAX), count: model.items.length });
  return oneLine(model.part && model.part.total > 1 ? `${subject} (${model.part.index}/${model.part.total})` : subject, SUBJECT_MAX);
}

/** One URL's block in the plain-text part (numbered from 1), ending in a blank line. */
export function itemText(t: NoticeTemplate, item: NoticeItem, n: number, showWork: boolean): string {
  const values = itemValues(item);
  const lines = [`[${n}] ${item.url}`];
  if (item.pageTitle !== '') lines.push(`    ${fill(t.itemPageTitle, values)}`);
  lines.push(`    ${fill(t.itemFirstSeen, values)}`);
  if (showWork) lines.push(`    ${fill(t.itemWork, values)}`);
  return `${lines.join('\n')}\n\n`;
}

/** One URL's list item in the HTML part; the URL stays left to right inside a right-to-left notice. */
export function itemHtml(t: NoticeTemplate, item: NoticeItem, showWork: boolean): string {
  const values = itemValues(item);
  const url = escapeHtml(item.url);
  const parts = [`<a href="${url}" dir="ltr">${url}</a>`];
  if (item.pageTitle !== '') parts.push(fill(escapeHtml(t.itemPageTitle), { pageTitle: `<bdi>${escapeHtml(item.pageTitle)}</bdi>` }));
  parts.push(fillHtml(t.itemFirstSeen, values));
  if (showWork) parts.push(fillHtml(t.itemWork, values));
  return `<li>${parts.join('<br>')}</li>\n`;
}

function contactLines(t: NoticeTemplate, sender: NoticeModel['sender']): [string, string][] {
  const lines: [string, string][] = [[t.labels.name, sender.name]];
  if (sender.organization) lines.push([t.labels.organization, sender.organization]);
  if (sender.address) lines.push([t.labels.address, sender.address]);
  if (sender.phone) lines.push([t.labels.phone, sender.phone]);
  lines.push([t.labels.email, sender.email]);
  return lines;
}

/** The electronic signature (512(c)(3)(A)(i)) in the "/s/ Name" form courts and hosts accept. */
export function signatureOf(name: string): string {
  return `/s/ ${name}`;
}

export function renderNotice(t: NoticeTemplate, model: NoticeModel): RenderedNotice {
  const en = NOTICE_TEMPLATES.en;
  const showWork = model.works.length > 1;
  const principal = { principal: model.principal };
  const subject = noticeSubject(t, model);

  const text: string[] = [t.salutation, '', fill(t.intro, principal), '', t.worksHeading];
  for (const work of model.works) {
    text.push(`- ${fill(workLine(t, work), workValues(work))}`);
    if (work.localTitle !== undefined) text.push(`  ${fill(t.localTitle, { titles: work.localTitle })}`);
  }
  text.push('', t.materialHeading, fill(t.materialIntro, { count: model.items.length }), '');
  const items = model.items.map((item, i) => itemText(t, item, i + 1, showWork)).join('');
  text.push(`${items}${t.request}`, '', t.statementsHeading, t.goodFaith, t.accuracy, '');
  if (t.language !== 'en') text.push(t.englishHeading, en.goodFaith, en.accuracy, '');
  text.push(t.contactHeading, ...contactLines(t, model.sender).map(([label, value]) => `${label}: ${value}`), '');
  text.push(t.closing, `${t.labels.signature}: ${signatureOf(model.sender.name)}`, `${t.labels.date}: ${model.date}`, '');

  const h = escapeHtml;
  const html: string[] = [
    '<!DOCTYPE html>',
    `<html lang="${t.language}" dir="${t.dir}">`,
    `<head><meta charset="utf-8"><title>${h(subject)}</title></head>`,
    '<body>',
    `<p>${h(t.salutation)}</p>`,
    `<p>${fillHtml(t.intro, principal)}</p>`,
    `<h3>${h(t.worksHeading)}</h3>`,
    '<ul>',
    ...model.works.map((work) => `<li>${fillHtml(workLine(t, work), workValues(work))}${work.localTitle === undefined ? '' : `<br>${fillHtml(t.localTitle, { titles: work.localTitle })}`}</li>`),
    '</ul>',
    `<h3>${h(t.materialHeading)}</h3>`,
    `<p>${fillHtml(t.materialIntro, { count: model.items.length })}</p>`,
    `<ol>\n${model.items.map((item) => itemHtml(t, item, showWork)).join('')}</ol>`,
    `<p>${h(t.request)}</p>`,
    `<h3>${h(t.statementsHeading)}</h3>`,
    `<p>${h(t.goodFaith)}</p>`,
    `<p>${h(t.accuracy)}</p>`,
  ];
  if (t.language !== 'en') html.push(`<h4>${h(t.englishHeading)}</h4>`, `<div lang="en" dir="ltr"><p>${h(en.goodFaith)}</p><p>${h(en.accuracy)}</p></div>`);
  html.push(
    `<h3>${h(t.contactHeading)}</h3>`,
    `<p>${contactLines(t, model.sender).map(([label, value]) => `${h(label)}: <bdi>${h(value)}</bdi>`).join('<br>')}</p>`,
    `<p>${h(t.closing)}<br>${h(t.labels.signature)}: <bdi>${h(signatureOf(model.sender.name))}</bdi><br>${h(t.labels.date)}: ${h(model.date)}</p>`,
    '</body>',
    '</html>',
    '',
  );
  return { subject, text: text.join('\n'), html: html.join('\n') };
}
