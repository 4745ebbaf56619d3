import { isUnspacedChar } from './normalize.js';

/**
 * Titles written to slip past a plain search: leetspeak ("H4rb0r"), dropped or doubled letters
 * ("Moonlt Harbbor"), split or joined words ("moon lit harbor", "moonlitharbor"). Both the name and
 * the page are folded (digits inside words read as the letters they stand for, runs of one letter
 * as one), then compared by an edit distance bounded by the name's length. Invisible characters,
 * full-width forms and Cyrillic/Greek homoglyphs are already folded by normalizeText. Pure.
 *
 * Precision guards: a name shorter than MIN_FUZZY_LETTERS letters is never matched loosely (exact
 * tokens only, in score.ts); a page window closer to another title of the catalog is that title's,
 * not ours; the match compares whole words, never a part of one.
 */

export const MIN_FUZZY_LETTERS = 5;

const LEET: Readonly<Record<string, string>> = { 0: 'o', 1: 'i', 3: 'e', 4: 'a', 5: 's', 7: 't', 8: 'b', 9: 'g' };
const HAS_LETTER = /\p{L}/u;
const HAS_DIGIT = /\d/;

/** One normalized word, folded: leet digits to letters when the word also has letters, repeated letters collapsed. */
export function foldWord(word: string): string {
  const leet = HAS_DIGIT.test(word) && HAS_LETTER.test(word) ? word.replace(/\d/g, (d) => LEET[d] ?? d) : word;
  return leet.replace(/(\p{L})\1+/gu, '$1');
}

/** Edits allowed for a folded name of this many letters (0 below MIN_FUZZY_LETTERS). */
export function maxEdits(letters: number): number {
  if (letters < MIN_FUZZY_LETTERS) return 0;
  if (letters < 9) return 1;
  return letters < 16 ? 2 : 3;
}

/** Levenshtein distance if it is at most k, else k + 1; work is bounded to a band of width 2k + 1. */
export function boundedDistance(a: string, b: string, k: number): number {
  if (Math.abs(a.length - b.length) > k) return k + 1;
  const n = b.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let j = 0; j <= n; j += 1) prev[j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    const lo = Math.max(1, i - k);
    const hi = Math.min(n, i + k);
    cur.fill(k + 1);
    cur[0] = i;
    let rowMin = lo > 1 ? k + 1 : i;
    for (let j = lo; j <= hi; j += 1) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      const v = Math.min(prev[j - 1]! + cost, (prev[j] ?? k + 1) + 1, cur[j - 1]! + 1);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > k) return k + 1;
    [prev, cur] = [cur, prev];
  }
  return Math.min(prev[n]!, k + 1);
}

/** A normalized name, folded and unspaced: the form names and page windows are compared in. */
export function foldName(normalized: string): string {
  return normalized.split(' ').filter(Boolean).map(foldWord).join('');
}

export interface FuzzyName {
  /** Index of the name in the caller's list. */
  index: number;
  /** Folded, without spaces. */
  folded: string;
  words: number;
  edits: number;
}

/** A name ready for loose matching, or undefined when it is too short or written in an unspaced script. */
export function fuzzyName(index: number, normalized: string): FuzzyName | undefined {
  if ([...normalized].some(isUnspacedChar)) return undefined;
  const words = normalized.split(' ').filter(Boolean);
  const folded = foldName(normalized);
  const edits = maxEdits(folded.length);
  return edits === 0 ? undefined : { index, folded, words: words.length, edits };
}

export interface LookalikeMatch {
  index: number;
  /** The page's words that matched, as written (normalized). */
  seen: string;
  distance: number;
}

/**
 * The best loose match of each name in normalized page text: windows of the name's word count ± 1
 * (words split or joined), compared on their folded, unspaced form. A window that another title
 * (`otherFolded`: foldName of each, computed once per keyword list) is strictly closer to is skipped.
 */
export function findLookalikes(normalized: string, names: readonly FuzzyName[], otherFolded: readonly string[] = []): LookalikeMatch[] {
  if (names.length === 0) return [];
  const words = normalized.split(' ').filter(Boolean);
  const folded = words.map(foldWord);
  const best = new Map<number, LookalikeMatch>();
  for (const name of names) {
    const minLen = name.folded.length - name.edits;
    const maxLen = name.folded.length + name.edits;
    const first = name.folded.charCodeAt(0);
    const last = name.folded.charCodeAt(name.folded.length - 1);
    for (let start = 0; start < folded.length; start += 1) {
      let joined = '';
      for (let w = 1; w <= name.words + 1 && start + w <= folded.length; w += 1) {
        joined += folded[start + w - 1]!;
        if (joined.length > maxLen) break;
        if (w < name.words - 1 || joined.length < minLen) continue;
        // Look-alikes keep the first or the last letter; this skips most windows before the distance is computed.
        if (joined.charCodeAt(0) !== first && joined.charCodeAt(joined.length - 1) !== last) continue;
        const d = boundedDistance(joined, name.folded, name.edits);
        if (d > name.edits) continue;
        const current = best.get(name.index);
        if (current && current.distance <= d) continue;
        if (d > 0 && otherFolded.some((o) => boundedDistance(joined, o, d - 1) < d)) continue;
        best.set(name.index, { index: name.index, seen: words.slice(start, start + w).join(' '), distance: d });
      }
    }
  }
  return [...best.values()];
}
