import type { ContentSpec } from '../../core/catalog/types.js';
import { isUnspacedChar, normalizeText } from './normalize.js';
import { registrableDomain } from './url.js';
import { romanize } from './transliterate.js';
import { EDITORIAL_VOCABULARY, OFFICIAL_VOCABULARY, PIRACY_VOCABULARY } from './vocabulary.js';

/**
 * Weighted keyword lists derived from a Content entry. Pure: the same spec gives the same list.
 * A list is what phase 1 matches pages against; `vigil keywords CONTENT` prints it.
 */

export type TermKind = 'title' | 'alias' | 'localized' | 'episode' | 'season' | 'year' | 'piracy' | 'official' | 'editorial' | 'custom';

export interface KeywordTerm {
  /** As shown to a person. */
  term: string;
  /** As matched: normalizeText(term). */
  normalized: string;
  weight: number;
  kind: TermKind;
  /** BCP 47 language, or 'und' for terms used across languages. */
  lang: string;
  /** For episode notations: which episode the term names. */
  episode?: number;
}

export interface KeywordList {
  contentId: string;
  terms: KeywordTerm[];
  /** The other titles of the catalog, normalized: a look-alike closer to one of them is not ours (lookalike.ts). */
  otherTitles?: string[];
}

/** What the rest of the catalog says about a content's names. */
export interface KeywordContext {
  /** Titles, aliases and localized titles of the catalog's other contents. */
  otherTitles?: readonly string[];
  /** Names of the official services the catalog knows (legitimate Sites' names and domain names): they weigh against a page. */
  officialServices?: readonly string[];
}

/** Weight of an official service the catalog names, like the built-in ones in vocabulary.ts. */
export const OFFICIAL_SERVICE_WEIGHT = -6;

/** Weights of derived terms; scoring in score.ts groups them by kind. */
export const WEIGHTS = {
  title: 4,
  localized: 4,
  alias: 3,
  /** The title written without spaces, as in domain names and hashtags. */
  compact: 3,
  episode: 2,
  season: 1,
  year: 1,
} as const;

const pad2 = (n: number): string => String(n).padStart(2, '0');
const pad3 = (n: number): string => String(n).padStart(3, '0');

const CJK_DIGITS = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];

/** 1..99 as Chinese numerals (三, 十二, 二十三), as written in 第三話 / 第十二集. */
export function chineseNumeral(n: number): string | undefined {
  if (n < 1 || n > 99) return undefined;
  if (n < 10) return CJK_DIGITS[n];
  const tens = Math.floor(n / 10);
  const ones = n % 10;
  return `${tens === 1 ? '' : CJK_DIGITS[tens]}十${ones === 0 ? '' : CJK_DIGITS[ones]}`;
}

/** Episode notations across languages for episode `e` (of season `s`, when the content is a season). */
export function episodeNotations(e: number, s?: number): { term: string; lang: string }[] {
  const out: { term: string; lang: string }[] = [];
  const add = (lang: string, ...terms: string[]): void => { for (const term of terms) out.push({ term, lang }); };
  if (s !== undefined) {
    add('und', `S${pad2(s)}E${pad2(e)}`, `S${s}E${e}`, `S${pad2(s)} E${pad2(e)}`, `${s}x${pad2(e)}`);
    if (e >= 100) add('und', `S${pad2(s)}E${pad3(e)}`);
  }
  add('und', `EP${pad2(e)}`, `EP${e}`, `E${pad2(e)}`, `EP ${e}`);
  add('en', `Episode ${e}`, `Episode ${pad2(e)}`, `Chapter ${e}`, `Ch ${e}`);
  add('es', `Episodio ${e}`, `Capítulo ${e}`, `Cap ${e}`);
  add('pt', `Episódio ${e}`);
  add('fr', `Épisode ${e}`);
  add('de', `Folge ${e}`);
  add('it', `Puntata ${e}`);
  add('ja', `第${e}話`, `第${pad2(e)}話`, `${e}話`);
  add('zh', `第${e}集`, `第${e}话`, `第${pad2(e)}集`);
  const cn = chineseNumeral(e);
  if (cn) add('zh', `第${cn}集`, `第${cn}话`, `第${cn}話`);
  add('ko', `${e}화`, `제${e}화`, `${e}회`, `${e}부`);
  add('vi', `Tập ${e}`, `Tap ${pad2(e)}`);
  add('ar', `الحلقة ${e}`, `حلقة ${e}`);
  add('ru', `Серия ${e}`, `${e} серия`);
  add('tr', `Bölüm ${e}`, `${e} Bölüm`);
  add('th', `ตอนที่ ${e}`);
  add('id', `Eps ${e}`);
  return out;
}

export function seasonNotations(s: number): { term: string; lang: string }[] {
  const terms: [string, string][] = [
    ['und', `S${pad2(s)}`], ['en', `Season ${s}`], ['es', `Temporada ${s}`], ['fr', `Saison ${s}`], ['de', `Staffel ${s}`], ['it', `Stagione ${s}`],
    ['ja', `シーズン${s}`], ['ja', `第${s}期`], ['ko', `시즌 ${s}`], ['ko', `시즌${s}`], ['zh', `第${s}季`], ['vi', `Mùa ${s}`], ['ar', `الموسم ${s}`],
    ['ru', `Сезон ${s}`], ['tr', `Sezon ${s}`],
  ];
  const cn = chineseNumeral(s);
  if (cn) terms.push(['zh', `第${cn}季`]);
  return terms.map(([lang, term]) => ({ term, lang }));
}

function compact(text: string): string {
  return normalizeText(text).replace(/ /g, '');
}

/** Derives the list, then applies the catalog's spec.keywords (remove, then add: an added term that already exists is reweighted). */
export function deriveKeywords(contentId: string, spec: ContentSpec, context: KeywordContext = {}): KeywordList {
  const byNormalized = new Map<string, KeywordTerm>();
  const put = (term: string, weight: number, kind: TermKind, lang: string, episode?: number): void => {
    const normalized = normalizeText(term);
    if (normalized === '') return;
    const existing = byNormalized.get(normalized);
    // A term derived twice (e.g. a title equal to an alias) keeps its strongest reading.
    if (existing && existing.weight >= weight) return;
    byNormalized.set(normalized, { term, normalized, weight, kind, lang, ...(episode === undefined ? {} : { episode }) });
  };

  put(spec.title, WEIGHTS.title, 'title', 'und');
  for (const alias of spec.aliases ?? []) put(alias, WEIGHTS.alias, 'alias', 'und');
  for (const l of spec.localizedTitles ?? []) put(l.title, WEIGHTS.localized, 'localized', l.lang);
  // Names written without their spaces: domain names and hashtags ("moonlitharbor"), and Korean or
  // Chinese titles, whose spacing is routinely dropped ("달빛항구").
  const names: { name: string; lang: string }[] = [
    ...[spec.title, ...(spec.aliases ?? [])].map((name) => ({ name, lang: 'und' })),
    ...(spec.localizedTitles ?? []).map((l) => ({ name: l.title, lang: l.lang })),
  ];
  for (const { name, lang } of names) {
    const c = compact(name);
    const unspaced = [...c].some(isUnspacedChar);
    if (c !== normalizeText(name) && (unspaced ? c.length >= 2 : c.length >= 6)) put(c, WEIGHTS.compact, 'alias', lang);
  }

  if (spec.type === 'season' && spec.season !== undefined) {
    for (const { term, lang } of seasonNotations(spec.season)) put(term, WEIGHTS.season, 'season', lang);
    for (let e = 1; e <= (spec.episodes ?? 0); e += 1) {
      for (const { term, lang } of episodeNotations(e, spec.season)) put(term, WEIGHTS.episode, 'episode', lang, e);
    }
  }
  // Korean and Japanese titles as fans romanize them ("dalbit hanggu"), in slugs and release names.
  for (const { name } of names) {
    const roman = romanize(name);
    if (roman !== undefined) put(roman, WEIGHTS.alias, 'alias', 'und');
  }

  const year = /^(\d{4})-/.exec(spec.releaseDate)?.[1];
  if (year) put(year, WEIGHTS.year, 'year', 'und');

  for (const [lang, terms] of Object.entries(PIRACY_VOCABULARY)) for (const t of terms) put(t.term, t.weight, 'piracy', lang);
  for (const service of context.officialServices ?? []) if (!byNormalized.has(normalizeText(service))) put(service, OFFICIAL_SERVICE_WEIGHT, 'official', 'und');
  for (const t of OFFICIAL_VOCABULARY) if (!byNormalized.has(normalizeText(t.term))) put(t.term, t.weight, 'official', 'und');
  for (const t of EDITORIAL_VOCABULARY) if (!byNormalized.has(normalizeText(t.term))) put(t.term, t.weight, 'editorial', 'und');

  for (const term of spec.keywords?.remove ?? []) byNormalized.delete(normalizeText(term));
  for (const a of spec.keywords?.add ?? []) {
    const normalized = normalizeText(a.term);
    if (normalized === '') continue;
    const existing = byNormalized.get(normalized);
    const weight = a.weight ?? 1;
    if (existing) byNormalized.set(normalized, { ...existing, weight, ...(a.lang ? { lang: a.lang } : {}) });
    else byNormalized.set(normalized, { term: a.term, normalized, weight, kind: 'custom', lang: a.lang ?? 'und' });
  }
  const own = new Set(names.map((n) => normalizeText(n.name)));
  const otherTitles = [...new Set((context.otherTitles ?? []).map(normalizeText))].filter((t) => t !== '' && !own.has(t));
  return { contentId, terms: [...byNormalized.values()], ...(otherTitles.length > 0 ? { otherTitles } : {}) };
}

/**
 * The official services a catalog names: each legitimate Site's name and the first label of its
 * registrable domain ("netflix" of www.netflix.com, "harborpictures" of watch.harborpictures.example,
 * never "watch"), when at least four letters long (shorter labels are common words).
 */
export function officialServiceNames(sites: readonly { metadata: { name?: string }; spec: { type: string; domains: readonly string[] } }[]): string[] {
  const out = new Set<string>();
  for (const site of sites) {
    if (site.spec.type !== 'legitimate') continue;
    if (site.metadata.name) out.add(site.metadata.name);
    for (const domain of site.spec.domains) {
      const label = registrableDomain(domain).split('.')[0] ?? '';
      if (label.length >= 4) out.add(label);
    }
  }
  return [...out];
}

/** Every name of every content but one: what a look-alike of that one is compared with. */
export function otherTitlesOf(contents: readonly { metadata: { id: string }; spec: ContentSpec }[], contentId: string): string[] {
  return contents.filter((c) => c.metadata.id !== contentId)
    .flatMap((c) => [c.spec.title, ...(c.spec.aliases ?? []), ...(c.spec.localizedTitles ?? []).map((l) => l.title)]);
}
