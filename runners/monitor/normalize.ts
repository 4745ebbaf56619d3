/**
 * Text normalization shared by keyword lists and the scorer, so that a term and a page are folded the
 * same way: invisible characters removed, NFKC (full-width forms, ligatures), lower case, Cyrillic and
 * Greek look-alike letters folded to Latin inside words that mix them with Latin, accents dropped on scripts where pirates
 * routinely drop them (Latin, Greek, Cyrillic, Arabic harakat), native decimal digits to ASCII, and
 * every run of punctuation or space to one space ("Moonlit.Harbor.S01E03" reads as "moonlit harbor s01e03").
 */

// Zero code points of decimal digit blocks NFKC leaves alone (Arabic-Indic, Persian, Devanagari, Bengali, Thai, ...).
const DIGIT_ZEROS = [0x0660, 0x06f0, 0x0966, 0x09e6, 0x0a66, 0x0ae6, 0x0b66, 0x0be6, 0x0c66, 0x0ce6, 0x0d66, 0x0e50, 0x0ed0, 0x0f20, 0x1040, 0x17e0, 0x1810];

function asciiDigit(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  for (const zero of DIGIT_ZEROS) if (cp >= zero && cp <= zero + 9) return String(cp - zero);
  return ch;
}

const MARKS_AFTER_FOLDED_SCRIPTS = /([\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Arabic}])\p{M}+/gu;
const ARABIC_TATWEEL = /\u0640/g;
const SEPARATORS = /[^\p{L}\p{N}\p{M}]+/gu;

// Invisible characters pirates put inside a title so that it escapes a plain search ("Moon\u200Blit"):
// format characters (zero-width space, joiners, word joiner, BOM, bidi controls, soft hyphen) and
// the invisible fillers. Removed, not turned into spaces, so the word stays whole.
const INVISIBLE = /[\p{Cf}\u034F\u115F\u1160\u17B4\u17B5\u3164\uFFA0]/gu;

// Cyrillic and Greek letters that look like Latin ones, in both cases (Greek capital Eta is an H, its
// small form an n), as in "Hаrbor" with a Cyrillic "а". Folded before lower-casing, and only inside a
// word that also has a Latin letter, so Russian and Greek text is untouched.
const HOMOGLYPHS: Readonly<Record<string, string>> = {
  А: 'A', В: 'B', Е: 'E', К: 'K', М: 'M', Н: 'H', О: 'O', Р: 'P', С: 'C', Т: 'T', Х: 'X', Ү: 'Y', Ѕ: 'S', І: 'I', Ј: 'J',
  а: 'a', е: 'e', ё: 'e', о: 'o', р: 'p', с: 'c', у: 'y', х: 'x', ѕ: 's', і: 'i', ї: 'i', ј: 'j', ԁ: 'd', ԛ: 'q', ԝ: 'w', һ: 'h', ӏ: 'l',
  Α: 'A', Β: 'B', Ε: 'E', Ζ: 'Z', Η: 'H', Ι: 'I', Κ: 'K', Μ: 'M', Ν: 'N', Ο: 'O', Ρ: 'P', Τ: 'T', Υ: 'Y', Χ: 'X',
  α: 'a', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ω: 'w', η: 'n',
};
const CYRILLIC_OR_GREEK = /[\u0370-\u03ff\u0400-\u052f]/u;
const WORD = /[\p{L}\p{M}\p{N}]+/gu;
const LATIN = /\p{Script=Latin}/u;

function foldMixedScriptWords(s: string): string {
  if (!CYRILLIC_OR_GREEK.test(s)) return s;
  return s.replace(WORD, (word) => (LATIN.test(word) && CYRILLIC_OR_GREEK.test(word) ? Array.from(word, (ch) => HOMOGLYPHS[ch] ?? ch).join('') : word));
}

/** Folded text: words separated by single spaces, no leading or trailing space. */
export function normalizeText(input: string): string {
  let s = foldMixedScriptWords(input.replace(INVISIBLE, '').normalize('NFKC')).toLowerCase();
  s = s.replace(/ß/g, 'ss').replace(/ı/g, 'i');
  s = s.normalize('NFD').replace(MARKS_AFTER_FOLDED_SCRIPTS, '$1').normalize('NFC');
  s = s.replace(ARABIC_TATWEEL, '').replace(/\p{Nd}/gu, asciiDigit);
  return s.replace(SEPARATORS, ' ').trim();
}

/** Scripts written without spaces between words (or, for Hangul, with particles glued to nouns). */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

export function isUnspacedChar(ch: string): boolean {
  return UNSPACED.test(ch);
}

/** A letter or digit that belongs to a word delimited by spaces; a term edge on such a character must meet a boundary. */
export function isSpacedWordChar(ch: string | undefined): boolean {
  if (ch === undefined || ch === ' ') return false;
  return /[\p{L}\p{N}\p{M}]/u.test(ch) && !UNSPACED.test(ch);
}
