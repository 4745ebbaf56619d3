/**
 * Romanized forms of Korean and Japanese titles, as fans and pirate sites write them in slugs and
 * release names ("달빛 항구" → "dalbit hanggu", "つきのみなと" → "tsukinominato"). Korean follows the
 * Revised Romanization syllable by syllable (no sound-change rules: slugs rarely apply them, and the
 * look-alike matcher absorbs the difference); kana follow Hepburn. Kanji cannot be read without a
 * dictionary, so a title with Han characters has no romanized form here. Pure.
 */

const INITIALS = ['g', 'kk', 'n', 'd', 'tt', 'r', 'm', 'b', 'pp', 's', 'ss', '', 'j', 'jj', 'ch', 'k', 't', 'p', 'h'];
const MEDIALS = ['a', 'ae', 'ya', 'yae', 'eo', 'e', 'yeo', 'ye', 'o', 'wa', 'wae', 'oe', 'yo', 'u', 'wo', 'we', 'wi', 'yu', 'eu', 'ui', 'i'];
const FINALS = ['', 'k', 'k', 'k', 'n', 'n', 'n', 't', 'l', 'k', 'm', 'l', 'l', 'l', 'p', 'l', 'm', 'p', 'p', 't', 't', 'ng', 't', 't', 'k', 't', 'p', 't'];

function hangulSyllable(cp: number): string | undefined {
  const index = cp - 0xac00;
  if (index < 0 || index > 11171) return undefined;
  return INITIALS[Math.floor(index / 588)]! + MEDIALS[Math.floor((index % 588) / 28)]! + FINALS[index % 28]!;
}

// Hiragana from あ (U+3042) in code point order, with Hepburn readings; '' for small vowels used in youon below.
const KANA: Readonly<Record<string, string>> = Object.fromEntries(Object.entries({
  あ: 'a', い: 'i', う: 'u', え: 'e', お: 'o', か: 'ka', き: 'ki', く: 'ku', け: 'ke', こ: 'ko', が: 'ga', ぎ: 'gi', ぐ: 'gu', げ: 'ge', ご: 'go',
  さ: 'sa', し: 'shi', す: 'su', せ: 'se', そ: 'so', ざ: 'za', じ: 'ji', ず: 'zu', ぜ: 'ze', ぞ: 'zo', た: 'ta', ち: 'chi', つ: 'tsu', て: 'te', と: 'to',
  だ: 'da', ぢ: 'ji', づ: 'zu', で: 'de', ど: 'do', な: 'na', に: 'ni', ぬ: 'nu', ね: 'ne', の: 'no', は: 'ha', ひ: 'hi', ふ: 'fu', へ: 'he', ほ: 'ho',
  ば: 'ba', び: 'bi', ぶ: 'bu', べ: 'be', ぼ: 'bo', ぱ: 'pa', ぴ: 'pi', ぷ: 'pu', ぺ: 'pe', ぽ: 'po', ま: 'ma', み: 'mi', む: 'mu', め: 'me', も: 'mo',
  や: 'ya', ゆ: 'yu', よ: 'yo', ら: 'ra', り: 'ri', る: 'ru', れ: 're', ろ: 'ro', わ: 'wa', を: 'o', ん: 'n', ゔ: 'vu',
  ぁ: 'a', ぃ: 'i', ぅ: 'u', ぇ: 'e', ぉ: 'o',
}));
const SMALL_Y: Readonly<Record<string, string>> = { ゃ: 'a', ゅ: 'u', ょ: 'o' };

/** Katakana to hiragana: the same syllables 0x60 code points apart. */
function toHiragana(ch: string): string {
  const cp = ch.codePointAt(0)!;
  return cp >= 0x30a1 && cp <= 0x30f6 ? String.fromCodePoint(cp - 0x60) : ch;
}

function romanizeKana(text: string): string {
  const chars = Array.from(text, toHiragana);
  let out = '';
  let double = false;
  for (let i = 0; i < chars.length; i += 1) {
    const ch = chars[i]!;
    if (ch === 'っ') { double = true; continue; }
    if (ch === 'ー') continue; // the long-vowel mark: slugs drop it
    let syllable = KANA[ch];
    if (syllable === undefined) { out += ch; double = false; continue; }
    const small = SMALL_Y[chars[i + 1] ?? ''];
    if (small !== undefined && syllable.endsWith('i') && syllable.length > 1) {
      // きゃ kya, しゃ sha, ちゃ cha, じゃ ja
      const stem = syllable.slice(0, -1);
      syllable = /(sh|ch|j)$/.test(stem) ? stem + small : `${stem}y${small}`;
      i += 1;
    }
    if (double) { syllable = syllable.startsWith('ch') ? `t${syllable}` : syllable[0]! + syllable; double = false; }
    out += syllable;
  }
  return out;
}

const HAN = /\p{Script=Han}/u;
const HANGUL = /\p{Script=Hangul}/u;
const KANA_CHARS = /[\p{Script=Hiragana}\p{Script=Katakana}]/u;

/** The romanized form of a Korean or Japanese title, or undefined when it has none (Han characters, or no Hangul or kana). */
export function romanize(title: string): string | undefined {
  if (HAN.test(title)) return undefined;
  if (HANGUL.test(title)) return Array.from(title, (ch) => hangulSyllable(ch.codePointAt(0)!) ?? ch).join('');
  if (KANA_CHARS.test(title)) return romanizeKana(title);
  return undefined;
}
