/**
 * Piracy vocabulary per language, the words official services use, and the words of reviews and news.
 * Weights are what one occurrence adds to a page's phase-1 score; negative terms pull legitimate pages
 * (the official service, press) below the suspect threshold. 'und' holds terms that cross languages:
 * release tags, file formats and scene words are the same in every market.
 */

export interface VocabularyTerm {
  term: string;
  weight: number;
}

const w = (weight: number, ...terms: string[]): VocabularyTerm[] => terms.map((term) => ({ term, weight }));

export const PIRACY_VOCABULARY: Readonly<Record<string, readonly VocabularyTerm[]>> = {
  und: [
    ...w(3, 'torrent', 'torrents', 'magnet', 'web-dl', 'webdl', 'webrip', 'hdrip', 'brrip', 'bdrip', 'dvdrip', 'hdcam', 'camrip', 'x264', 'x265', 'h264', 'h265',
      'yts', 'rarbg', 'eztv', 'nyaa', 'scanlation', '1337x', 'mkv', 'raw', 'raws', 'vostfr'),
    ...w(2, '1080p', '720p', '480p', '2160p', 'hevc', 'bluray', 'hdtv', '10bit', 'aac', 'ddp5 1', 'mediafire', 'mega nz', 'gdrive', 'uptobox', '1fichier', 'rapidgator',
      'scan', 'scans', 'm3u8', 'batch', 'dual audio'),
  ],
  en: [
    ...w(3, 'free streaming', 'stream free', 'watch free', 'watch for free', 'watch online free', 'free download', 'download free', 'direct download', 'full episode free',
      'full movie free', 'eng sub', 'engsub', 'english subbed', 'leaked', 'putlocker', '123movies', 'fmovies', 'gomovies', 'soap2day', 'no sign up', 'no registration', 'read online free'),
    ...w(2, 'download', 'subbed', 'dubbed', 'watch online', 'full episode', 'full movie', 'all episodes', 'streaming links', 'mirror', 'hd quality'),
  ],
  es: [
    ...w(3, 'ver online gratis', 'ver gratis', 'gratis online', 'descargar gratis', 'sub espanol', 'subtitulado', 'audio latino', 'pelicula completa gratis', 'serie completa gratis'),
    ...w(2, 'descargar', 'gratis', 'latino', 'castellano', 'pelicula completa', 'serie completa', 'en linea'),
  ],
  fr: [
    ...w(3, 'streaming gratuit', 'regarder gratuitement', 'telecharger gratuitement', 'vf', 'voir film', 'en streaming gratuit'),
    ...w(2, 'telecharger', 'gratuit', 'en streaming', 'film complet', 'serie complete'),
  ],
  de: [
    ...w(3, 'kostenlos streamen', 'kostenlos ansehen', 'german dl', 'stream deutsch', 'ganzer film kostenlos'),
    ...w(2, 'kostenlos', 'herunterladen', 'ganzer film', 'alle folgen', 'deutsch stream'),
  ],
  pt: [
    ...w(3, 'assistir online gratis', 'assistir gratis', 'baixar gratis', 'dublado', 'legendado', 'torrent dublado', 'filme completo gratis'),
    ...w(2, 'assistir online', 'baixar', 'gratis', 'filme completo', 'todos os episodios'),
  ],
  it: [
    ...w(3, 'streaming gratis', 'guarda gratis', 'sub ita', 'scaricare gratis', 'film completo gratis'),
    ...w(2, 'ita', 'scaricare', 'film completo', 'tutti gli episodi'),
  ],
  ja: [
    ...w(3, '無料視聴', '無料で見る', '無料動画', '見逃し配信 無料', '漫画raw', 'rawマンガ', '全話無料', 'ダウンロード無料', '違法アップロード'),
    ...w(2, '無料', 'ダウンロード', '高画質', '全話', '字幕付き', '動画'),
  ],
  ko: [
    ...w(3, '무료보기', '다시보기 무료', '토렌트', '무료 다운로드', '웹툰 무료', '무료 웹툰', '고화질 무료', '다운로드 링크'),
    ...w(2, '다시보기', '무료', '다운로드', '고화질', '자막', '전편'),
  ],
  zh: [
    ...w(3, '免费观看', '免費觀看', '在线观看', '線上看', '在線觀看', '免费下载', '免費下載', '迅雷下载', '百度云', '百度網盤', '网盘', '磁力链接', '磁力'),
    ...w(2, '免费', '免費', '下载', '下載', '高清', '全集', '中字', '字幕'),
  ],
  vi: [
    ...w(3, 'xem phim', 'mien phi', 'vietsub', 'thuyet minh', 'tai phim', 'xem online', 'phim le', 'phim bo'),
    ...w(2, 'full hd', 'tron bo', 'tai ve', 'long tieng'),
  ],
  ar: [
    ...w(3, 'مشاهدة مباشرة', 'مترجم', 'مترجمة', 'تحميل مجاني', 'مشاهدة اون لاين', 'اون لاين', 'تورنت', 'مجانا', 'مشاهدة وتحميل'),
    ...w(2, 'مشاهدة', 'تحميل', 'بجودة عالية', 'جميع الحلقات'),
  ],
  ru: [
    ...w(3, 'смотреть онлайн бесплатно', 'скачать торрент', 'бесплатно', 'в хорошем качестве'),
    ...w(2, 'смотреть онлайн', 'скачать', 'торрент', 'все серии'),
  ],
  tr: [
    ...w(3, 'ucretsiz izle', 'turkce altyazili', 'full hd izle', 'bedava izle'),
    ...w(2, 'izle', 'indir', 'altyazili', 'tum bolumler'),
  ],
  th: [
    ...w(3, 'ดูฟรี', 'ซับไทย', 'พากย์ไทย', 'ดูออนไลน์ฟรี'),
    ...w(2, 'ดาวน์โหลด', 'ดูออนไลน์', 'ครบทุกตอน'),
  ],
  id: [
    ...w(3, 'nonton gratis', 'sub indo', 'subtitle indonesia', 'download gratis'),
    ...w(2, 'nonton', 'streaming indo'),
  ],
};

/** Official services and storefronts: a page that names one is most likely the service itself or points to it. */
export const OFFICIAL_VOCABULARY: readonly VocabularyTerm[] = [
  ...w(-6, 'netflix', 'disney+', 'disney plus', 'prime video', 'amazon prime video', 'hulu', 'hbo max', 'apple tv+', 'apple tv plus', 'paramount+', 'peacock', 'crunchyroll',
    'viki', 'wavve', 'tving', 'coupang play', 'u next', 'iqiyi', '爱奇艺', 'youku', '优酷', 'tencent video', '腾讯视频', 'webtoon originals', 'naver webtoon', 'kakaopage', 'piccoma',
    'ピッコマ', 'shahid', 'viu', 'rakuten viki'),
  ...w(-4, 'official site', 'official trailer', 'start your free trial', 'free trial', 'subscribe now', 'sign in to watch', 'buy or rent', 'rent or buy', 'available on',
    'only on', 'all rights reserved', '公式サイト', '公式', '공식', '官方', 'sitio oficial', 'site officiel', 'offizielle seite'),
];

/** Press and fan vocabulary: mentions of a title that are not offers of it. */
export const EDITORIAL_VOCABULARY: readonly VocabularyTerm[] = [
  ...w(-2, 'review', 'reviews', 'recap', 'interview', 'box office', 'critics', 'critic', 'premiere date', 'renewed', 'showrunner', 'episode guide',
    'reseña', 'critique', 'kritik', 'análisis', 'レビュー', '感想', '리뷰', '후기', '影评', '评论', 'đánh giá', 'مراجعة', 'рецензия', 'inceleme'),
];
