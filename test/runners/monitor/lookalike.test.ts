import { describe, expect, it } from 'vitest';
import type { ContentSpec } from '../../../core/catalog/types.js';
import { parseHtml } from '../../../runners/monitor/html.js';
import { deriveKeywords, officialServiceNames, otherTitlesOf } from '../../../runners/monitor/keywords.js';
import { boundedDistance, foldWord, maxEdits } from '../../../runners/monitor/lookalike.js';
import { normalizeText } from '../../../runners/monitor/normalize.js';
import { isSuspect, scorePage } from '../../../runners/monitor/score.js';
import { romanize } from '../../../runners/monitor/transliterate.js';

const harbor: ContentSpec = {
  type: 'season', title: 'Moonlit Harbor', season: 1, episodes: 10, releaseDate: '2026-03-06',
  localizedTitles: [{ lang: 'ko', title: '달빛 항구' }],
};
const contents = [
  { metadata: { id: 'moonlit' }, spec: harbor },
  { metadata: { id: 'hamlet' }, spec: { type: 'film', title: 'Moonlit Hamlet', releaseDate: '2025-01-01' } as ContentSpec },
  { metadata: { id: 'harbour-doc' }, spec: { type: 'film', title: 'Moonlit Harbours', releaseDate: '2024-01-01' } as ContentSpec },
  { metadata: { id: 'ivy' }, spec: { type: 'film', title: 'Ivy', releaseDate: '2024-01-01' } as ContentSpec },
];
const sites = [
  { metadata: { id: 'svc', name: 'StreamCo Plus' }, spec: { type: 'legitimate', domains: ['streamco.example', 'tv.example'] } },
  { metadata: { id: 'pirate' }, spec: { type: 'piracy', domains: ['freeflix.example'] } },
];
const list = deriveKeywords('moonlit', harbor, { otherTitles: otherTitlesOf(contents, 'moonlit'), officialServices: officialServiceNames(sites) });

const page = (title: string, text = 'watch online free 1080p stream, download'): { url: string; title: string; text: string } => ({ url: 'http://pirate.example/p/123', title, text });

describe('text that hides the title', () => {
  it.each([
    ['leetspeak', 'H4rb0r'.replace('H4rb0r', 'M00nlit H4rb0r') + ' S01E03'],
    ['a zero in one word', 'Moonlit Harb0r Episode 3'],
    ['a dropped letter', 'Monlit Harbr E03'],
    ['doubled letters', 'Moonlitt Harrbor EP03'],
    ['joined words', 'moonlitharbr ep 3'],
    ['split words', 'Moon lit Harbor ep 3'],
    ['zero-width characters', 'Moon\u200Blit\u200D Har\u2060bor ep 3'],
    ['full-width forms', 'Ｍｏｏｎｌｉｔ Ｈａｒｂｏｒ ep 3'],
    ['Cyrillic homoglyphs', 'Mооnlit Hаrbor ep 3'],
    ['Greek homoglyphs', 'Mοοnlit Ηarbor ep 3'],
    ['a soft hyphen and a bidi mark', 'Moon\u00ADlit \u202AHarbor\u202C ep 3'],
    ['the romanized Korean title', 'Dalbit Hanggu 3hwa dasibogi'],
  ])('shortlists a page with %s', (_kind, title) => {
    const s = scorePage(page(title), list);
    expect(s.namesContent, JSON.stringify(s.matches)).toBe(true);
    expect(isSuspect(s), JSON.stringify(s.matches)).toBe(true);
  });

  it('marks a loose match with what the page wrote and how far it is', () => {
    const s = scorePage(page('M00nlit Harbr ep 3'), list);
    const m = s.matches.find((x) => x.lookalike);
    expect(m).toMatchObject({ term: 'Moonlit Harbor', kind: 'title', weight: 3, lookalike: { seen: 'm00nlit harbr', distance: 1 } });
  });

  it('finds a title that exists only in an image alt', () => {
    const html = parseHtml('<html><head><title>Watch ep 3 free</title></head><body><img src="/poster.jpg" alt="Moonlit Harbor poster"><p>watch online free 1080p</p></body></html>', 'http://pirate.example/p');
    expect(html.alt).toBe('Moonlit Harbor poster');
    const withAlt = scorePage({ url: 'http://pirate.example/p', title: html.title, text: html.text, alt: html.alt! }, list);
    expect(withAlt.namesContent).toBe(true);
    expect(withAlt.matches.find((m) => m.kind === 'title')!.fields).toEqual(['alt']);
    expect(scorePage({ url: 'http://pirate.example/p', title: html.title, text: html.text }, list).namesContent).toBe(false);
  });

  it('leaves a closer title of the catalog to that title', () => {
    // "Moonlit Hamlet" and "Moonlit Harbours" (a documentary) are other contents of the catalog.
    expect(scorePage(page('Moonlit Hamlet ep 3'), list).namesContent).toBe(false);
    expect(scorePage(page('Moonlit Harbours ep 3'), list).namesContent).toBe(false);
    // Without the catalog's other titles, "Moonlit Harbours" would pass for ours (1 edit), and "Moonlit Harbr" still does.
    expect(scorePage(page('Moonlit Harbours ep 3'), deriveKeywords('moonlit', harbor)).namesContent).toBe(true);
    expect(scorePage(page('Moonlit Harbr ep 3'), list).namesContent).toBe(true);
  });

  it('matches a short title only by its exact words', () => {
    const ivy = deriveKeywords('ivy', contents[3]!.spec);
    expect(maxEdits(3)).toBe(0);
    expect(scorePage(page('Ivy 2024 full movie'), ivy).namesContent).toBe(true);
    for (const decoy of ['Iv full movie', 'Ivys full movie', '1vy full movie', 'ivory full movie']) expect(scorePage(page(decoy), ivy).namesContent, decoy).toBe(false);
  });

  it('does not match a part of a longer word or unrelated words', () => {
    for (const decoy of ['Moonlitharborview hotel deals', 'Harbor lights festival', 'Moon Harbour news']) {
      expect(scorePage(page(decoy), list).namesContent, decoy).toBe(false);
    }
  });

  it('weighs the catalog\'s official services against a page, by name and by domain label', () => {
    const official = scorePage(page('Moonlit Harbor S01E03', 'Watch now on StreamCo Plus. Start watching in 1080p'), list);
    // Named in the body only: half weight for the name and half for the domain label (score.ts OFFICIAL_BODY_SHARE).
    expect(official.matches.find((m) => m.term === 'StreamCo Plus')).toMatchObject({ kind: 'official', weight: -3 });
    expect(official.matches.find((m) => m.term === 'streamco')).toMatchObject({ kind: 'official', weight: -3 });
    expect(isSuspect(official)).toBe(false);
    expect(officialServiceNames(sites)).toEqual(['StreamCo Plus', 'streamco']);
    // A service's subdomain ("watch.", "play.") is a common word that pirate pages use too: the registrable domain names it.
    expect(officialServiceNames([{ metadata: {}, spec: { type: 'legitimate', domains: ['watch.harborpictures.example', 'play.tv.co.uk'] } }])).toEqual(['harborpictures']);
  });

  it('leaves Russian and Greek words alone while folding mixed-script ones', () => {
    // (й folds to и as before: Cyrillic accents are dropped everywhere.)
    expect(normalizeText('Смотреть онлайн Mоonlit')).toBe('смотреть онлаин moonlit');
    expect(normalizeText('Ηarbor Αθήνα')).toBe('harbor αθηνα');
  });

  it('folds leet digits only inside words with letters, and collapses doubled letters', () => {
    expect(foldWord('h4rb0r')).toBe('harbor');
    expect(foldWord('moonlitt')).toBe('monlit');
    expect(foldWord('2026')).toBe('2026');
  });

  it('bounds the edit distance', () => {
    expect(boundedDistance('monlitharbor', 'monlitharbr', 2)).toBe(1);
    expect(boundedDistance('kitten', 'sitting', 2)).toBe(3);
    expect(boundedDistance('abc', 'abcdefgh', 2)).toBe(3);
  });

  it('romanizes Hangul and kana, not kanji', () => {
    expect(romanize('달빛 항구')).toBe('dalbit hanggu');
    expect(romanize('つきのみなと')).toBe('tsukinominato');
    expect(romanize('がっこう')).toBe('gakkou');
    expect(romanize('月の港')).toBeUndefined();
  });
});
