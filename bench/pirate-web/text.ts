/**
 * The words pirate sites put around a title, per language, and the ways they bend the title itself
 * (leetspeak, dropped or doubled letters, invisible characters, full-width forms, look-alike
 * letters, romanizations). Pure data and string functions.
 */

export type Lang = 'en' | 'ko' | 'ja' | 'es' | 'pt' | 'vi' | 'ar';

export interface LangText {
  /** How a site of this language says "episode N" (several notations, picked by the generator). */
  episode: ((n: number) => string)[];
  chapter: (n: number) => string;
  /** What the page offers: "watch free", "vietsub", ... */
  offer: string[];
  /** Site chrome: the words of menus and buttons. */
  ui: { home: string; latest: string; server: string; download: string; episodes: string; watchLegally: string };
}

const pad2 = (n: number) => String(n).padStart(2, '0');

export const TEXT: Record<Lang, LangText> = {
  en: {
    episode: [(n) => `S01E${pad2(n)}`, (n) => `Episode ${n}`, (n) => `1x${pad2(n)}`, (n) => `EP ${n}`],
    chapter: (n) => `Chapter ${n}`,
    offer: ['watch free', 'eng sub', 'free streaming', '1080p', 'HD online', 'no sign up'],
    ui: { home: 'Home', latest: 'Latest', server: 'Server', download: 'Download', episodes: 'Episodes', watchLegally: 'Watch on' },
  },
  ko: {
    episode: [(n) => `${n}화`, (n) => `제${n}화`, (n) => `${n}회`],
    chapter: (n) => `${n}화`,
    offer: ['다시보기', '무료보기', '고화질', '토렌트', '무료 웹툰'],
    ui: { home: '홈', latest: '최신', server: '서버', download: '다운로드', episodes: '회차', watchLegally: '정식 감상' },
  },
  ja: {
    episode: [(n) => `第${n}話`, (n) => `${n}話`],
    chapter: (n) => `第${n}話`,
    offer: ['無料視聴', '無料動画', '高画質', 'ダウンロード', 'raw'],
    ui: { home: 'ホーム', latest: '最新', server: 'サーバー', download: 'ダウンロード', episodes: 'エピソード', watchLegally: '公式配信' },
  },
  es: {
    episode: [(n) => `Episodio ${n}`, (n) => `Capítulo ${n}`, (n) => `1x${pad2(n)}`],
    chapter: (n) => `Capítulo ${n}`,
    offer: ['ver online gratis', 'sub español', 'audio latino', 'descargar'],
    ui: { home: 'Inicio', latest: 'Estrenos', server: 'Servidor', download: 'Descargar', episodes: 'Episodios', watchLegally: 'Ver en' },
  },
  pt: {
    episode: [(n) => `Episódio ${n}`, (n) => `EP ${pad2(n)}`],
    chapter: (n) => `Capítulo ${n}`,
    offer: ['assistir online', 'legendado', 'dublado', 'baixar grátis'],
    ui: { home: 'Início', latest: 'Lançamentos', server: 'Servidor', download: 'Baixar', episodes: 'Episódios', watchLegally: 'Assista em' },
  },
  vi: {
    episode: [(n) => `Tập ${n}`, (n) => `Tap ${n}`],
    chapter: (n) => `Chương ${n}`,
    offer: ['xem phim', 'vietsub', 'thuyết minh', 'miễn phí'],
    ui: { home: 'Trang chủ', latest: 'Mới cập nhật', server: 'Server', download: 'Tải về', episodes: 'Danh sách tập', watchLegally: 'Xem bản quyền' },
  },
  ar: {
    episode: [(n) => `الحلقة ${n}`, (n) => `الحلقة ${String(n).replace(/\d/g, (d) => '٠١٢٣٤٥٦٧٨٩'[Number(d)]!)}`],
    chapter: (n) => `الفصل ${n}`,
    offer: ['مشاهدة اون لاين', 'مترجم', 'تحميل', 'مجانا'],
    ui: { home: 'الرئيسية', latest: 'الأحدث', server: 'سيرفر', download: 'تحميل', episodes: 'الحلقات', watchLegally: 'شاهد على' },
  },
};

/** Another title's name for decoys and neighbours on list pages. */
export const OTHER_TITLES = ['The Iron Orchard', 'Harbor Lights', 'Silver Coast', 'Night Ferry', 'Paper Lanterns'];

/** Ways the misspelled kind hides a title; each keeps it readable to a person. */
export type Disguise = 'leet' | 'dropped' | 'doubled' | 'zero-width' | 'full-width' | 'look-alike' | 'romanized' | 'alt-only' | 'link-only' | 'title-only';
export const DISGUISES: readonly Disguise[] = ['leet', 'dropped', 'doubled', 'zero-width', 'full-width', 'look-alike', 'romanized', 'alt-only', 'link-only', 'title-only'];

const LEET: Record<string, string> = { o: '0', O: '0', i: '1', l: '1', a: '4', A: '4', e: '3', E: '3' };
const LOOK_ALIKE: Record<string, string> = { o: 'о', a: 'а', e: 'е', p: 'р', c: 'с', M: 'М', H: 'Н' }; // Cyrillic

/**
 * The title bent by one disguise (the placement-only disguises return it unchanged: the page puts it
 * only in an alt, a link or <title>). `romanized` stands for a transliteration: the romanized Korean
 * title when there is one, else the title with its spaces dropped.
 */
export function disguise(title: string, how: Disguise, romanized?: string): string {
  switch (how) {
    case 'leet': return title.replace(/[oOiaAeE]/g, (c, i: number) => (i % 2 === 0 ? LEET[c]! : c));
    case 'dropped': return title.split(' ').map((w) => (w.length > 4 ? w.slice(0, 3) + w.slice(4) : w)).join(' ');
    case 'doubled': return title.split(' ').map((w) => w + w.at(-1)!).join(' ');
    case 'zero-width': return title.split(' ').map((w) => `${w.slice(0, 2)}\u200b${w.slice(2, 4)}\u2060${w.slice(4)}`).join('\u00ad ');
    case 'full-width': return [...title].map((c) => (c >= '!' && c <= '~' ? String.fromCodePoint(c.codePointAt(0)! + 0xfee0) : c === ' ' ? '\u3000' : c)).join('');
    case 'look-alike': return title.replace(/[oaepcMH]/g, (c) => LOOK_ALIKE[c]!);
    case 'romanized': return romanized ?? title.replace(/ /g, '');
    case 'alt-only': case 'link-only': case 'title-only': return title;
  }
}

/** A scene-style release name: Moonlit.Harbor.S01E03.1080p.WEB-DL.x264-GRP. */
export function releaseName(title: string, episode: number, tail = '1080p.WEB-DL.x264-NTb'): string {
  return `${title.replace(/[^\p{L}\p{N}]+/gu, '.')}.S01E${pad2(episode)}.${tail}`;
}
