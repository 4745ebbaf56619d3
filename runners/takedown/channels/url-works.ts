import type { Notice, NoticeWork } from '../notice.js';
import { noticeUrl } from '../hostile-text.js';
import type { ChannelContext } from './types.js';

/**
 * Which work each of a notice's URLs infringes. A notice keeps its findings' ids, not their
 * contents, so the findings come in the context; a notice of one work needs none. When several
 * works are named and the findings are not given, every URL is listed under all of them: a batch
 * channel then over-claims rather than drops a link, and says so in the title it writes.
 */
export function worksOfUrls(notice: Pick<Notice, 'urls' | 'works' | 'findingIds'>, findings: ChannelContext['findings']): Map<string, NoticeWork[]> {
  const out = new Map<string, NoticeWork[]>();
  if (notice.works.length === 1 || !findings) {
    for (const url of notice.urls) out.set(url, [...notice.works]);
    return out;
  }
  const byContent = new Map(notice.works.map((work) => [work.contentId, work]));
  const wanted = new Set(notice.findingIds);
  for (const finding of findings) {
    if (!wanted.has(finding.id)) continue;
    const work = byContent.get(finding.contentId);
    if (!work) continue;
    const url = noticeUrl(finding.url);
    const list = out.get(url) ?? [];
    if (!list.includes(work)) list.push(work);
    out.set(url, list);
  }
  // A URL whose finding was not passed still goes out, under every work the notice names.
  for (const url of notice.urls) if (!out.has(url)) out.set(url, [...notice.works]);
  return out;
}

/** The name of a work as a batch line shows it: title, season when it has one. */
export function workLabel(work: NoticeWork): string {
  return work.season === undefined ? work.title : `${work.title} (season ${work.season})`;
}
