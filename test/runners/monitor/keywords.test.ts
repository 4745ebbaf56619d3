import { describe, expect, it } from 'vitest';
import type { ContentSpec } from '../../../core/catalog/types.js';
import { chineseNumeral, deriveKeywords, episodeNotations } from '../../../runners/monitor/keywords.js';
import { normalizeText } from '../../../runners/monitor/normalize.js';
import { PIRACY_VOCABULARY } from '../../../runners/monitor/vocabulary.js';

const season: ContentSpec = {
  type: 'season', title: 'Moonlit Harbor', aliases: ['Moonlit Harbour'], season: 1, episodes: 12, releaseDate: '2026-03-06',
  localizedTitles: [{ lang: 'ko', title: '달빛 항구' }, { lang: 'ja', title: '月明かりの港' }, { lang: 'ar', title: 'ميناء ضوء القمر' }],
};

function find(list: ReturnType<typeof deriveKeywords>, term: string) {
  return list.terms.find((t) => t.normalized === normalizeText(term));
}

describe('keyword lists', () => {
  it('derives the title, aliases, localized titles and a compact form with their weights and languages', () => {
    const list = deriveKeywords('moonlit', season);
    expect(find(list, 'Moonlit Harbor')).toMatchObject({ kind: 'title', weight: 4 });
    expect(find(list, 'Moonlit Harbour')).toMatchObject({ kind: 'alias', weight: 3 });
    expect(find(list, '달빛 항구')).toMatchObject({ kind: 'localized', lang: 'ko', weight: 4 });
    expect(find(list, 'ميناء ضوء القمر')).toMatchObject({ kind: 'localized', lang: 'ar' });
    expect(find(list, 'moonlitharbor')).toMatchObject({ kind: 'alias' });
    expect(find(list, '달빛항구')).toMatchObject({ kind: 'alias', lang: 'ko', weight: 3 });
    expect(find(list, '2026')).toMatchObject({ kind: 'year', weight: 1 });
  });

  it('writes every episode in the notations of many languages', () => {
    const list = deriveKeywords('moonlit', season);
    for (const [term, lang] of [['S01E03', 'und'], ['1x03', 'und'], ['EP03', 'und'], ['第3話', 'ja'], ['3화', 'ko'], ['Episodio 3', 'es'], ['Tập 3', 'vi'], ['الحلقة 3', 'ar'], ['第三集', 'zh'], ['Серия 3', 'ru']] as const) {
      expect(find(list, term), term).toMatchObject({ kind: 'episode', episode: 3, lang });
    }
    expect(find(list, 'S01E12')).toMatchObject({ episode: 12 });
    expect(find(list, 'S01E13')).toBeUndefined();
    expect(find(list, 'Season 1')).toMatchObject({ kind: 'season' });
    expect(find(list, '시즌 1')).toMatchObject({ kind: 'season', lang: 'ko' });
  });

  it('writes Chinese numerals for episodes', () => {
    expect([3, 10, 12, 20, 23, 99].map(chineseNumeral)).toEqual(['三', '十', '十二', '二十', '二十三', '九十九']);
    expect(chineseNumeral(100)).toBeUndefined();
    expect(episodeNotations(7).some((n) => n.term === '第七話')).toBe(true);
  });

  it('gives a film no episode notations', () => {
    const list = deriveKeywords('film', { type: 'film', title: 'The Iron Orchard', releaseDate: '2025-11-14' });
    expect(list.terms.filter((t) => t.kind === 'episode' || t.kind === 'season')).toEqual([]);
  });

  it('carries piracy vocabulary per language and negative weights for official services', () => {
    const list = deriveKeywords('moonlit', season);
    const langs = new Set(list.terms.filter((t) => t.kind === 'piracy').map((t) => t.lang));
    for (const lang of ['und', 'en', 'es', 'fr', 'ja', 'ko', 'zh', 'vi', 'ar']) expect(langs.has(lang), lang).toBe(true);
    expect(find(list, 'WEB-DL')).toMatchObject({ kind: 'piracy', weight: 3 });
    expect(find(list, '1080p')).toMatchObject({ kind: 'piracy' });
    expect(find(list, 'netflix')!.weight).toBeLessThan(0);
    expect(find(list, 'official site')!.weight).toBeLessThan(0);
    expect(Object.keys(PIRACY_VOCABULARY).length).toBeGreaterThanOrEqual(12);
  });

  it('applies the catalog: remove, add, and reweight an existing term', () => {
    const list = deriveKeywords('moonlit', {
      ...season,
      keywords: { remove: ['raw', 'Moonlit Harbour'], add: [{ term: 'MoonHarborSubs', weight: 5 }, { term: '1080p', weight: 0.5 }, { term: 'harbor fansub', lang: 'en' }] },
    });
    expect(find(list, 'raw')).toBeUndefined();
    expect(find(list, 'Moonlit Harbour')).toBeUndefined();
    expect(find(list, 'MoonHarborSubs')).toMatchObject({ kind: 'custom', weight: 5, lang: 'und' });
    expect(find(list, '1080p')).toMatchObject({ kind: 'piracy', weight: 0.5 });
    expect(find(list, 'harbor fansub')).toMatchObject({ weight: 1, lang: 'en' });
  });

  it('is pure: the same spec gives the same list', () => {
    expect(deriveKeywords('m', season)).toEqual(deriveKeywords('m', season));
  });
});

describe('normalization', () => {
  it('folds width, case, accents, digits and punctuation', () => {
    expect(normalizeText('Ｍｏｏｎｌｉｔ.Harbor.S01E03.1080p.WEB-DL')).toBe('moonlit harbor s01e03 1080p web dl');
    expect(normalizeText('Tập 3 — Miễn phí')).toBe('tap 3 mien phi');
    expect(normalizeText('الحلقة ٣')).toBe('الحلقة 3');
    expect(normalizeText('第３話')).toBe('第3話');
    expect(normalizeText('STRASSE Straße')).toBe('strasse strasse');
  });
});
