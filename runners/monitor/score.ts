import type { KeywordList, KeywordTerm, TermKind } from './keywords.js';
import { findLookalikes, foldName, fuzzyName, type FuzzyName } from './lookalike.js';
import { isSpacedWordChar, normalizeText } from './normalize.js';

/**
 * Phase 1: a page's title, URL and text against a keyword list. Pure. All terms are matched in one
 * pass (Aho-Corasick over normalized code points), so a list with thousands of episode notations
 * costs no more per page than one with ten. A term whose edge is a letter or digit of a spaced script
 * must meet a word boundary there ("3화" does not match inside "13화", "ita" not inside "italy"); an
 * edge in Han, Kana, Hangul or Thai needs none, since those scripts do not separate words with spaces.
 */

export interface PageText {
  url: string;
  title?: string;
  text: string;
  /** Images' alt and title attributes (html.ts). */
  alt?: string;
}

export type Field = 'title' | 'url' | 'text' | 'alt';

export interface TermMatch {
  term: string;
  weight: number;
  kind: TermKind;
  lang: string;
  episode?: number;
  fields: Field[];
  /** A name matched loosely (lookalike.ts): the page's words and their edit distance from the folded name. */
  lookalike?: { seen: string; distance: number };
}

export interface PageScore {
  score: number;
  /** The page names the content (title, alias or localized title). */
  namesContent: boolean;
  /** Positive evidence of an offer: piracy vocabulary or a positive catalog term. */
  piracyEvidence: number;
  matches: TermMatch[];
  /** Episodes named on the page, ascending. */
  episodes: number[];
}

/** Caps keep one long page from outscoring its substance: vocabulary repeats, a title counts once. */
export const SCORE_CAPS = { piracy: 9, official: -10, editorial: -4 } as const;
export const DEFAULT_SUSPECT_SCORE = 6;

const NAME_KINDS: ReadonlySet<TermKind> = new Set(['title', 'alias', 'localized']);

/** Share of an official term's weight when it is named only in body text or alt, not in the page's title or host. */
export const OFFICIAL_BODY_SHARE = 0.5;

/** A loosely matched name counts this much less than the name written out. */
export const LOOKALIKE_PENALTY = 1;

interface Automaton {
  next: Map<string, number>[];
  fail: number[];
  out: number[][];
  lengths: number[];
  terms: KeywordTerm[];
  /** Names (title, alias, localized) long enough for loose matching, by index into terms. */
  fuzzy: FuzzyName[];
  /** The catalog's other titles, folded for lookalike.ts. */
  otherFolded: string[];
}

function build(terms: KeywordTerm[], otherTitles: readonly string[]): Automaton {
  const next: Map<string, number>[] = [new Map()];
  const out: number[][] = [[]];
  const lengths: number[] = [];
  terms.forEach((t, index) => {
    const chars = Array.from(t.normalized);
    lengths.push(chars.length);
    let node = 0;
    for (const ch of chars) {
      let child = next[node]!.get(ch);
      if (child === undefined) {
        child = next.length;
        next.push(new Map());
        out.push([]);
        next[node]!.set(ch, child);
      }
      node = child;
    }
    out[node]!.push(index);
  });
  const fail = new Array<number>(next.length).fill(0);
  const queue: number[] = [...next[0]!.values()];
  for (let head = 0; head < queue.length; head += 1) {
    const node = queue[head]!;
    for (const [ch, child] of next[node]!) {
      let f = fail[node]!;
      while (f !== 0 && !next[f]!.has(ch)) f = fail[f]!;
      const target = next[f]!.get(ch);
      fail[child] = target !== undefined && target !== child ? target : 0;
      out[child]!.push(...out[fail[child]!]!);
      queue.push(child);
    }
  }
  // One loose matcher per folded name: the title's compact form or a romanization may fold to the same letters.
  const fuzzy: FuzzyName[] = [];
  terms.forEach((t, index) => {
    const f = NAME_KINDS.has(t.kind) && t.weight > 0 ? fuzzyName(index, t.normalized) : undefined;
    if (!f) return;
    const same = fuzzy.findIndex((g) => g.folded === f.folded);
    if (same < 0) fuzzy.push(f);
    else if (terms[fuzzy[same]!.index]!.weight < t.weight) fuzzy[same] = f;
  });
  const otherFolded = otherTitles.map(foldName).filter((o) => o !== '');
  return { next, fail, out, lengths, terms, fuzzy, otherFolded };
}

const compiled = new WeakMap<KeywordList, Automaton>();

function automatonOf(list: KeywordList): Automaton {
  let a = compiled.get(list);
  if (!a) {
    a = build(list.terms.filter((t) => t.normalized !== ''), list.otherTitles ?? []);
    compiled.set(list, a);
  }
  return a;
}

/** Indices of terms found in already-normalized text, each once. */
function findTerms(a: Automaton, normalized: string): Set<number> {
  const chars = Array.from(normalized);
  const found = new Set<number>();
  let node = 0;
  for (let i = 0; i < chars.length; i += 1) {
    const ch = chars[i]!;
    while (node !== 0 && !a.next[node]!.has(ch)) node = a.fail[node]!;
    node = a.next[node]!.get(ch) ?? 0;
    for (const index of a.out[node]!) {
      if (found.has(index)) continue;
      const start = i - a.lengths[index]! + 1;
      const first = chars[start]!;
      const last = chars[i]!;
      if (isSpacedWordChar(first) && isSpacedWordChar(chars[start - 1])) continue;
      if (isSpacedWordChar(last) && isSpacedWordChar(chars[i + 1])) continue;
      found.add(index);
    }
  }
  return found;
}

/** The URL as words: host labels and decoded path segments ("/watch/moonlit-harbor-ep-3" → "watch moonlit harbor ep 3"). */
export function urlWords(url: string): string {
  try {
    const u = new URL(url);
    let path = `${u.pathname} ${u.search}`;
    try { path = decodeURIComponent(path.replace(/\+/g, ' ')); } catch { /* keep it encoded */ }
    return `${u.hostname} ${path}`;
  } catch {
    return url;
  }
}

export function scorePage(page: PageText, list: KeywordList): PageScore {
  const a = automatonOf(list);
  const fields: [Field, string][] = [['title', page.title ?? ''], ['url', urlWords(page.url)], ['text', page.text], ['alt', page.alt ?? '']];
  const byTerm = new Map<number, Field[]>();
  const normalizedFields: [Field, string][] = [];
  for (const [field, raw] of fields) {
    if (raw === '') continue;
    const normalized = normalizeText(raw);
    normalizedFields.push([field, normalized]);
    for (const index of findTerms(a, normalized)) {
      const list = byTerm.get(index);
      if (list) list.push(field);
      else byTerm.set(index, [field]);
    }
  }
  const matches: TermMatch[] = [];
  let host = '';
  try { host = normalizeText(new URL(page.url).hostname); } catch { /* not a URL: no host to be */ }
  let name = 0, episode = 0, season = 0, year = 0, piracy = 0, official = 0, editorial = 0, custom = 0, customPositive = 0;
  const episodes = new Set<number>();
  for (const [index, where] of byTerm) {
    const t = a.terms[index]!;
    matches.push({ term: t.term, weight: t.weight, kind: t.kind, lang: t.lang, ...(t.episode === undefined ? {} : { episode: t.episode }), fields: where });
    if (NAME_KINDS.has(t.kind)) name = Math.max(name, t.weight);
    else if (t.kind === 'episode') { episode = Math.max(episode, t.weight); if (t.episode !== undefined) episodes.add(t.episode); }
    else if (t.kind === 'season') season = Math.max(season, t.weight);
    else if (t.kind === 'year') year = Math.max(year, t.weight);
    else if (t.kind === 'piracy') piracy += t.weight;
    else if (t.kind === 'official') {
      // An official service is the page's own identity in its title or host (the service itself, or
      // a page about watching there); named only in body text or alt it is most often a pointer
      // ("not on HarborPlus", "official: HarborPlus") that pirate link lists carry too.
      const identity = where.includes('title') || (where.includes('url') && host.includes(t.normalized));
      const weight = identity ? t.weight : t.weight * OFFICIAL_BODY_SHARE;
      official += weight;
      matches[matches.length - 1]!.weight = Math.round(weight * 100) / 100;
    }
    else if (t.kind === 'editorial') editorial += t.weight;
    else { custom += t.weight; if (t.weight > 0) customPositive += t.weight; }
  }
  // Look-alike names are sought only where they can change the verdict: no name written out, and piracy evidence to go with one.
  if (name === 0 && (piracy > 0 || customPositive > 0) && a.fuzzy.length > 0) {
    const loose = new Map<number, { seen: string; distance: number; fields: Field[] }>();
    for (const [field, normalized] of normalizedFields) {
      for (const m of findLookalikes(normalized, a.fuzzy, a.otherFolded)) {
        const current = loose.get(m.index);
        if (!current) loose.set(m.index, { seen: m.seen, distance: m.distance, fields: [field] });
        else {
          current.fields.push(field);
          if (m.distance < current.distance) Object.assign(current, { seen: m.seen, distance: m.distance });
        }
      }
    }
    for (const [index, m] of loose) {
      const t = a.terms[index]!;
      const weight = Math.max(1, t.weight - LOOKALIKE_PENALTY);
      matches.push({ term: t.term, weight, kind: t.kind, lang: t.lang, fields: m.fields, lookalike: { seen: m.seen, distance: m.distance } });
      name = Math.max(name, weight);
    }
  }
  const piracyScore = Math.min(piracy, SCORE_CAPS.piracy);
  const score = name + episode + season + year + piracyScore + Math.max(official, SCORE_CAPS.official)
    + Math.max(editorial, SCORE_CAPS.editorial) + custom;
  matches.sort((x, y) => Math.abs(y.weight) - Math.abs(x.weight) || x.term.localeCompare(y.term));
  return {
    score: Math.round(score * 100) / 100,
    namesContent: name > 0,
    piracyEvidence: piracyScore + customPositive,
    matches,
    episodes: [...episodes].sort((x, y) => x - y),
  };
}

/** A page is a suspect when it names the content, offers it in pirates' words, and scores at the threshold. */
export function isSuspect(s: PageScore, threshold = DEFAULT_SUSPECT_SCORE): boolean {
  return s.namesContent && s.piracyEvidence > 0 && s.score >= threshold;
}
