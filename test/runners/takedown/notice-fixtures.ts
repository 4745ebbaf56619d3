import type { NoticeContent, NoticeFinding, NoticePolicy } from '../../../runners/takedown/notice.js';

/** A Policy with a complete notice sender, as the example catalog has. */
export function policy(sender: Partial<NonNullable<NoticePolicy['spec']['noticeSender']>> = {}): NoticePolicy {
  return {
    id: 'default',
    file: 'policy.yaml',
    spec: { noticeSender: { name: 'Dana Reyes', organization: 'Harbor Pictures Anti-Piracy', email: 'antipiracy@harborpictures.example', address: '1 Studio Way\nBurbank, CA 91505', phone: '+1 555 0100', ...sender } },
  };
}

export const contents = new Map<string, NoticeContent>([
  ['tide-line-s2', { title: 'Tide Line', type: 'season', season: 2, releaseDate: '2026-03-01', localizedTitles: [{ lang: 'ko', title: '타이드 라인' }, { lang: 'ja', title: 'タイドライン' }, { lang: 'ar', title: 'خط المد' }] }],
  ['harbor-lights', { title: 'Harbor Lights', type: 'film', releaseDate: '2025-11-14' }],
  ['night-ferry', { title: 'Night Ferry', type: 'season', releaseDate: '2024-06-01' }],
]);

let nextId = 1;

export function finding(url: string, extra: Partial<NoticeFinding> = {}): NoticeFinding {
  return { id: nextId++, contentId: 'tide-line-s2', url, pageTitle: 'Tide Line S02E01 1080p', firstSeen: new Date('2026-11-30T09:15:00Z'), host: new URL(url).hostname.replace(/^www\./, ''), ...extra };
}

export const signedOn = new Date('2026-12-02T08:00:00Z');
