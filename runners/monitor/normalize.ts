/**
 * Text normalization shared by keyword lists and the scorer, so that a term and a page are folded the
 * same way: NFKC (full-width forms, ligatures), lower case, accents dropped on scripts where pirates
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

/** Folded text: words separated by single spaces, no leading or trailing space. */
export function normalizeText(input: string): string {
  let s = input.normalize('NFKC').toLowerCase();
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
