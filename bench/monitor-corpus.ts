import type { ContentSpec } from '../core/catalog/types.js';

/**
 * A labeled, multilingual corpus for the monitoring bench, generated (seeded, so every run is the
 * same): leak pages in nine languages and many notations, and what trips naive keyword matching:
 * reviews and news that name the title, official-service pages, piracy pages for other titles, and
 * decoys (the right title and pirate words over a video that is not the original).
 */

export const CORPUS_CONTENT: ContentSpec = {
  type: 'season', title: 'Moonlit Harbor', aliases: ['Moonlit Harbour'], season: 1, episodes: 12, releaseDate: '2026-03-06', watermarked: true,
  localizedTitles: [
    { lang: 'ko', title: '달빛 항구' }, { lang: 'ja', title: '月明かりの港' }, { lang: 'es', title: 'Puerto a la luz de la luna' }, { lang: 'vi', title: 'Bến cảng ánh trăng' },
    { lang: 'ar', title: 'ميناء ضوء القمر' }, { lang: 'zh', title: '月光港湾' }, { lang: 'fr', title: 'Le Port au clair de lune' }, { lang: 'pt', title: 'Porto ao luar' },
  ],
};

export type Label = 'leak' | 'decoy' | 'review' | 'official' | 'other-title';

export interface CorpusPage {
  url: string;
  title: string;
  text: string;
  label: Label;
  lang: string;
  /** Which media file the page carries: a leak variant, a fake, or none. */
  media?: 'leak-scaled' | 'leak-cropped' | 'leak-lowq' | 'fake-a' | 'fake-b';
  allowListed: boolean;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

const TITLES: Record<string, string[]> = {
  en: ['Moonlit Harbor', 'Moonlit Harbour', 'MOONLIT HARBOR'], ko: ['달빛 항구', '달빛항구'], ja: ['月明かりの港'], es: ['Puerto a la luz de la luna', 'Moonlit Harbor'],
  vi: ['Bến cảng ánh trăng', 'Ben cang anh trang'], ar: ['ميناء ضوء القمر'], zh: ['月光港湾'], fr: ['Le Port au clair de lune', 'Moonlit Harbor'], pt: ['Porto ao luar', 'Moonlit Harbor'],
};
const EPISODE: Record<string, ((e: number) => string)[]> = {
  en: [(e) => `S01E${String(e).padStart(2, '0')}`, (e) => `Episode ${e}`, (e) => `1x${String(e).padStart(2, '0')}`, (e) => `EP${e}`],
  ko: [(e) => `${e}화`, (e) => `제${e}화`, (e) => `${e}회`], ja: [(e) => `第${e}話`, (e) => `第${['', '一', '二', '三', '四', '五', '六', '七', '八', '九', '十'][e] ?? e}話`],
  es: [(e) => `Episodio ${e}`, (e) => `Capítulo ${e}`], vi: [(e) => `Tập ${e}`, (e) => `Tap ${e}`], ar: [(e) => `الحلقة ${e}`, (e) => `الحلقة ${String(e).replace(/\d/g, (d) => '٠١٢٣٤٥٦٧٨٩'[Number(d)]!)}`],
  zh: [(e) => `第${e}集`], fr: [(e) => `Épisode ${e}`, (e) => `S01E${String(e).padStart(2, '0')}`], pt: [(e) => `Episódio ${e}`],
};
const PIRACY: Record<string, string[]> = {
  en: ['watch free', 'free streaming', 'eng sub', '1080p WEB-DL', 'download free', 'no sign up', 'torrent magnet'],
  ko: ['다시보기', '무료보기', '고화질 무료', '토렌트'], ja: ['無料視聴', '無料動画', '高画質', 'ダウンロード'], es: ['ver online gratis', 'descargar', 'audio latino', 'sub español'],
  vi: ['xem phim', 'vietsub', 'thuyết minh', 'miễn phí'], ar: ['مشاهدة اون لاين', 'مترجم', 'تحميل', 'مجانا'], zh: ['在线观看', '免费', '高清', '下载'],
  fr: ['streaming gratuit', 'VOSTFR', 'télécharger', 'VF'], pt: ['assistir online', 'legendado', 'dublado', 'baixar'],
};
const REVIEW: Record<string, string[]> = {
  en: ['review: a quiet triumph', 'recap and review', 'renewed, showrunner interview', 'critics praise the premiere'],
  ko: ['리뷰', '후기'], ja: ['レビュー', '感想'], es: ['reseña', 'análisis y crítica'], vi: ['đánh giá'], ar: ['مراجعة'], zh: ['影评', '评论'], fr: ['critique'], pt: ['crítica', 'review'],
};
const OTHER_TITLES = ['Iron Orchard', 'Harbor Lights', 'Silver Coast', '별의 택배기사', '夜明けの街', 'Puerto Escondido', 'Moonlight Bay'];

export function generateCorpus(size = 1200, seed = 7): CorpusPage[] {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const langs = Object.keys(TITLES);
  const pages: CorpusPage[] = [];
  for (let i = 0; i < size; i += 1) {
    const lang = pick(langs);
    const e = 1 + Math.floor(r() * 10);
    const title = pick(TITLES[lang]!);
    const ep = pick(EPISODE[lang]!)(e);
    const vocab = [pick(PIRACY[lang]!), pick(PIRACY[lang]!), pick(PIRACY.en!)];
    const slot = r();
    const host = `site${Math.floor(r() * 50)}.example`;
    if (slot < 0.4) {
      const style = Math.floor(r() * 3);
      const pageTitle = style === 0 ? `${title} ${ep} ${vocab[0]}` : style === 1 ? `${title.replace(/ /g, '.')}.${ep}.1080p.WEB-DL.x264` : `${vocab[0]} ${title} ${ep}`;
      pages.push({ url: `https://${host}/watch/${i}`, title: pageTitle, text: `${vocab.join(' · ')} HD`, label: 'leak', lang, media: pick(['leak-scaled', 'leak-cropped', 'leak-lowq'] as const), allowListed: false });
    } else if (slot < 0.48) {
      // Title only in the URL slug, as many streaming sites do.
      pages.push({ url: `https://${host}/watch/moonlit-harbor-episode-${e}-eng-sub`, title: 'Watch online', text: `${vocab.join(' ')} server 1 server 2`, label: 'leak', lang: 'en', media: 'leak-scaled', allowListed: false });
    } else if (slot < 0.58) {
      pages.push({ url: `https://${host}/watch/${i}`, title: `${title} ${ep} ${vocab[0]}`, text: `${vocab.join(' ')}`, label: 'decoy', lang, media: pick(['fake-a', 'fake-b'] as const), allowListed: false });
    } else if (slot < 0.78) {
      pages.push({ url: `https://news${i % 7}.example/tv/${i}`, title: `${title} ${ep} ${pick(REVIEW[lang]!)}`, text: `${title} (2026). ${pick(REVIEW[lang]!)}. ${pick(REVIEW.en!)}.`, label: 'review', lang, allowListed: false });
    } else if (slot < 0.86) {
      pages.push({ url: `https://watch.harborpictures.example/${lang}/${i}`, title: `${title} ${ep} – watch now`, text: `Start your free trial. ${vocab[0]}`, label: 'official', lang, media: 'leak-scaled', allowListed: true });
    } else {
      pages.push({ url: `https://${host}/watch/${i}`, title: `${pick(OTHER_TITLES)} ${ep} ${vocab[0]}`, text: vocab.join(' '), label: 'other-title', lang, media: 'fake-a', allowListed: false });
    }
  }
  return pages;
}
