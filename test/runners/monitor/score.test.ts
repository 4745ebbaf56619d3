import { describe, expect, it } from 'vitest';
import type { ContentSpec } from '../../../core/catalog/types.js';
import { deriveKeywords } from '../../../runners/monitor/keywords.js';
import { isSuspect, scorePage } from '../../../runners/monitor/score.js';

const spec: ContentSpec = {
  type: 'season', title: 'Moonlit Harbor', aliases: ['Moonlit Harbour'], season: 1, episodes: 10, releaseDate: '2026-03-06',
  localizedTitles: [
    { lang: 'ko', title: '달빛 항구' }, { lang: 'ja', title: '月明かりの港' }, { lang: 'es', title: 'Puerto a la luz de la luna' },
    { lang: 'vi', title: 'Bến cảng ánh trăng' }, { lang: 'ar', title: 'ميناء ضوء القمر' }, { lang: 'zh', title: '月光港湾' },
  ],
};
const list = deriveKeywords('moonlit', spec);

describe('phase-1 scoring', () => {
  it.each([
    ['scene release name', { url: 'http://x.example/dl/1', title: 'Moonlit.Harbor.S01E03.1080p.WEB-DL.x264', text: 'magnet link inside' }],
    ['Korean streaming page', { url: 'http://k.example/a', title: '달빛 항구 3화 다시보기', text: '고화질 무료보기 링크' }],
    ['Japanese page without word spaces', { url: 'http://j.example/a', title: '月明かりの港第3話無料視聴', text: '高画質' }],
    ['Arabic page with Arabic-Indic digits', { url: 'http://a.example/a', title: 'مسلسل ميناء ضوء القمر الحلقة ٣ مترجمة', text: 'مشاهدة اون لاين' }],
    ['Spanish page', { url: 'http://e.example/a', title: 'Puerto a la luz de la luna Episodio 3', text: 'Ver online gratis, audio latino' }],
    ['Vietnamese page without accents', { url: 'http://v.example/a', title: 'Ben cang anh trang Tap 3', text: 'xem phim vietsub mien phi' }],
    ['Chinese page', { url: 'http://z.example/a', title: '月光港湾 第三集', text: '在线观看 高清 免费' }],
    ['title only in the URL', { url: 'http://s.example/watch/moonlit-harbor-episode-3-eng-sub', title: 'Watch', text: 'watch free in HD 1080p' }],
  ])('shortlists a %s', (_name, page) => {
    const s = scorePage(page, list);
    expect(isSuspect(s), JSON.stringify(s.matches.map((m) => m.term))).toBe(true);
    expect(s.namesContent).toBe(true);
  });

  it('reports the episodes a page names', () => {
    expect(scorePage({ url: 'http://x.example/', title: 'Moonlit Harbor S01E03 S01E04 torrent', text: '' }, list).episodes).toEqual([3, 4]);
  });

  it('does not read episode 3 into episode 13 or 30', () => {
    const s = scorePage({ url: 'http://k.example/', title: '달빛 항구 13화', text: 'Episodio 30, EP13' }, list);
    expect(s.episodes).toEqual([]);
  });

  it('keeps word boundaries in spaced scripts', () => {
    const s = scorePage({ url: 'http://i.example/', title: 'Moonlit Harbor in Italy', text: 'rawhide scanner' }, list);
    expect(s.matches.map((m) => m.term)).not.toContain('ita');
    expect(s.matches.map((m) => m.term)).not.toContain('raw');
    expect(s.matches.map((m) => m.term)).not.toContain('scan');
  });

  it.each([
    ['review', { url: 'http://news.example/tv/moonlit-harbor-review', title: 'Moonlit Harbor episode 3 review: a quiet triumph', text: 'The critics agree the 2026 drama is a triumph. Recap of the episode and interview with the showrunner.' }],
    ['official service', { url: 'http://watch.official.example/title/1', title: 'Moonlit Harbor | Watch on Netflix', text: 'Start your free trial. Only on Netflix. Season 1 Episode 3 in 4K.' }],
    ['news without offers', { url: 'http://news.example/a', title: 'Moonlit Harbor renewed for season 2', text: 'The Harbor at Moonrise will return in 2027.' }],
    ['piracy page about another title', { url: 'http://x.example/a', title: 'Other Show S01E03 1080p WEB-DL', text: 'torrent magnet free download' }],
  ])('does not shortlist a %s', (_name, page) => {
    expect(isSuspect(scorePage(page, list))).toBe(false);
  });

  it('counts official-service terms against a page', () => {
    const plain = scorePage({ url: 'http://x.example/', title: 'Moonlit Harbor 1080p', text: '' }, list);
    const official = scorePage({ url: 'http://x.example/', title: 'Moonlit Harbor 1080p', text: 'on Prime Video' }, list);
    expect(official.score).toBeLessThan(plain.score);
  });

  it('weighs an official service fully as the page\'s identity (title, host) and by half when only its body names it', () => {
    const svc = deriveKeywords('moonlit', spec, { officialServices: ['HarborPlus'] });
    const weightOf = (page: { url: string; title: string; text: string }) => scorePage(page, svc).matches.find((m) => m.term === 'HarborPlus')?.weight;
    expect(weightOf({ url: 'http://x.example/', title: 'Moonlit Harbor | HarborPlus', text: '' })).toBe(-6);
    expect(weightOf({ url: 'http://harborplus.example/series/1', title: 'Moonlit Harbor', text: 'HarborPlus' })).toBe(-6);
    expect(weightOf({ url: 'http://x.example/harborplus/1', title: 'Moonlit Harbor', text: 'HarborPlus' })).toBe(-3);
    // A pirate list of servers that points readers at the official service stays a suspect...
    const list1 = { url: 'http://k.example/series/moonlit-harbor/', title: 'Moonlit Harbor 회차 토렌트', text: 'Moonlit Harbor 1화 토렌트. 서버 1 · 서버 2 · 다운로드. 정식 감상 HarborPlus' };
    expect(isSuspect(scorePage(list1, svc))).toBe(true);
    // ...and the service's own page does not become one.
    const own = { url: 'http://harborplus.example/series/moonlit-harbor', title: 'Moonlit Harbor 1화 – HarborPlus', text: 'Watch Moonlit Harbor 1화 free with your trial, in HD, 1080p' };
    expect(isSuspect(scorePage(own, svc))).toBe(false);
  });

  it('honours a custom threshold', () => {
    const s = scorePage({ url: 'http://x.example/', title: 'Moonlit Harbor torrent', text: '' }, list);
    expect(isSuspect(s, s.score)).toBe(true);
    expect(isSuspect(s, s.score + 1)).toBe(false);
  });
});
