import { Parser } from 'htmlparser2';
import { normalizeText } from '../monitor/normalize.js';

/**
 * Is this 200 page a "file removed" page? Cyberlockers and streaming sites rarely answer 404 for a
 * taken-down file: they serve a page saying it was removed, deleted, expired or blocked, in the
 * site's language, or send the visitor to their home page. This weighs where such phrases stand
 * (the title, a heading or an error box count; a comment section or a news article does not), and
 * what else the page shows (a player left, a redirect home or to an error path, a page much smaller
 * than when it was found). Pure: the HTML and the URLs in, a verdict with its signals out.
 */

/** A phrase that says the file itself is gone ('strong'), or one any error page uses ('weak'). */
type Strength = 'strong' | 'weak';

// Written naturally and folded with the scorer's normalizeText at load, so accents, case and
// punctuation are matched the way page text is ("doesn't" and "doesn’t" both fold to "doesn t").
const PHRASES: Record<Strength, readonly string[]> = {
  strong: [
    // en
    'file has been removed', 'file was removed', 'file has been deleted', 'file was deleted', 'file is deleted', 'file removed', 'file deleted',
    'video has been removed', 'video was removed', 'video has been deleted', 'video was deleted', 'video removed', 'video deleted', 'video unavailable', 'video is unavailable',
    'video is no longer available', 'file is no longer available', 'file no longer available', 'content has been removed', 'post has been removed', 'page has been removed',
    'has been removed due to', 'removed due to a copyright', 'removed due to copyright', 'removed because of a copyright', 'removed for copyright',
    'removed following a dmca', 'removed due to a dmca', 'removed due to dmca', 'blocked due to a dmca', 'disabled due to a dmca', 'taken down due to a dmca',
    'due to a copyright claim', 'copyright infringement notice', 'dmca takedown notice', 'has been disabled', 'file has expired', 'link has expired', 'link expired',
    'file expired', 'the file you are looking for does not exist', 'the file you requested', 'file does not exist', 'file doesn\'t exist', 'file not found', 'video not found',
    'video does not exist', 'no such file', 'this file is not available', 'file is not available', 'file unavailable', 'account has been terminated', 'account associated with this video has been terminated',
    // ko
    '삭제된 파일', '삭제된 동영상', '삭제된 게시물', '삭제된 영상', '존재하지 않는 파일', '존재하지 않는 동영상', '존재하지 않는 게시물', '파일이 삭제', '동영상이 삭제', '영상이 삭제', '게시물이 삭제',
    '저작권 침해', '저작권 신고', '삭제되었습니다', '차단된 게시물',
    // ja
    '削除されました', 'ファイルは存在しません', '動画は存在しません', 'この動画は削除', '動画が削除', 'ファイルが削除', '著作権侵害の申し立て', '公開停止', 'この動画は利用できません', '有効期限が切れ',
    // zh
    '已被删除', '已被刪除', '文件不存在', '檔案不存在', '视频不存在', '影片不存在', '链接已失效', '連結已失效', '已失效', '版权原因', '版權原因',
    // es
    'archivo eliminado', 'archivo borrado', 'el archivo no existe', 'archivo no encontrado', 'ha sido eliminado', 'fue eliminado', 'ha sido borrado', 'ha sido retirado',
    'video no disponible', 'vídeo no disponible', 'este video ya no está disponible', 'por derechos de autor',
    // pt
    'arquivo removido', 'arquivo excluído', 'arquivo deletado', 'arquivo não encontrado', 'o arquivo não existe', 'foi removido', 'foi excluído', 'foi deletado',
    'vídeo indisponível', 'video indisponivel', 'este vídeo não está mais disponível', 'direitos autorais',
    // vi
    'tệp đã bị xóa', 'tệp đã bị xoá', 'tập tin đã bị xóa', 'video đã bị xóa', 'đã bị xóa', 'đã bị xoá', 'đã bị gỡ', 'tệp không tồn tại', 'video không khả dụng', 'vi phạm bản quyền',
    // ar
    'تم حذف الملف', 'تم حذف الفيديو', 'تم حذف', 'الملف غير موجود', 'الفيديو غير موجود', 'تمت إزالة', 'حقوق الطبع', 'حقوق النشر',
    // fr
    'fichier supprimé', 'fichier introuvable', 'le fichier n\'existe pas', 'a été supprimé', 'a été supprimée', 'a été retiré', 'a été retirée', 'vidéo indisponible', 'vidéo non disponible',
    'droits d\'auteur',
    // ru
    'файл удален', 'файл удалён', 'файл не найден', 'был удален', 'был удалён', 'было удалено', 'видео удалено', 'видео недоступно', 'нарушение авторских прав', 'по требованию правообладателя',
    // id
    'file telah dihapus', 'file sudah dihapus', 'telah dihapus', 'sudah dihapus', 'video tidak tersedia', 'file tidak ditemukan', 'hak cipta',
    // tr
    'dosya silindi', 'dosya bulunamadı', 'dosya kaldırıldı', 'video kaldırıldı', 'video silindi', 'video kullanılamıyor', 'telif hakkı',
    // de, it, th
    'datei wurde gelöscht', 'datei gelöscht', 'datei nicht gefunden', 'video wurde entfernt', 'video nicht verfügbar', 'file rimosso', 'file eliminato', 'è stato rimosso', 'video non disponibile',
    'ไฟล์ถูกลบ', 'ถูกลบแล้ว',
  ],
  weak: [
    'no longer available', 'not available', 'unavailable', 'does not exist', 'doesn\'t exist', 'not found', 'page not found', '404', 'expired', 'removed', 'deleted', 'dmca', 'copyright',
    '존재하지 않는', '찾을 수 없습니다', '더 이상', '見つかりません', '存在しません', '不存在', '找不到', 'no existe', 'no encontrado', 'ya no está disponible', 'não existe',
    'não está mais disponível', 'não encontrado', 'không tồn tại', 'không tìm thấy', 'غير موجود', 'غير متاح', 'لم يتم العثور', 'n\'existe plus', 'n\'est plus disponible', 'introuvable',
    'не существует', 'больше не доступ', 'не найден', 'tidak ditemukan', 'tidak lagi tersedia', 'bulunamadı', 'artık mevcut değil', 'nicht mehr verfügbar', 'existiert nicht',
    'non è più disponibile', 'non trovato', 'ไม่พบ',
  ],
};

interface Phrase { folded: string; strength: Strength; spaced: boolean }

const FOLDED: readonly Phrase[] = (['strong', 'weak'] as const).flatMap((strength) => PHRASES[strength].map((p) => {
  const folded = normalizeText(p);
  // Phrases in scripts written with spaces must meet word edges ("removed" is not in "unremovedx").
  return { folded, strength, spaced: !/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}]/u.test(folded) };
}));

/** The strongest phrase in folded text, if any. */
function strongestPhrase(folded: string): Phrase | undefined {
  const padded = ` ${folded} `;
  let best: Phrase | undefined;
  for (const p of FOLDED) {
    if (!(p.spaced ? padded.includes(` ${p.folded} `) : folded.includes(p.folded))) continue;
    if (!best || (p.strength === 'strong' && best.strength === 'weak')) best = p;
    if (best.strength === 'strong') break;
  }
  return best;
}

/** What a page shows, read in one pass: text by where it stands, and whether a player is left. */
export interface PageReading {
  title: string;
  /** h1-h3 and elements whose class or id says error, alert, notice, message, removed, deleted, not-found. */
  prominent: string;
  /** Visible text outside comment sections, articles, navigation and footers. */
  main: string;
  /** Text of comment sections, reviews and articles: people and news talk about removals. */
  discussion: string;
  /** A video element, a player iframe or embed, a player library, or a media URL in the markup. */
  player: boolean;
  /** A player library's own error state (video.js vjs-error, JW Player jw-error, Plyr plyr--error). */
  playerError: boolean;
  /** A long editorial article (news, blog) is on the page. */
  article: boolean;
}

const SKIP = new Set(['script', 'style', 'noscript', 'template', 'svg']);
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'source', 'track', 'wbr']);
const PROMINENT_MARK = /(^|[\s_-])(error|alert|notice|message|msg|removed|deleted|not-?found|notfound|unavailable|empty|warning|status)([\s_-]|$)/i;
const DISCUSSION_MARK = /(comment|reply|replies|disqus|review|forum|chat|article|news|post-body|post-content|entry-content|blog)/i;
const SKIPPED_MARK = /(^|[\s_-])(nav|navbar|menu|footer|sidebar|breadcrumb)([\s_-]|$)/i;
const PLAYER_IFRAME = /(embed|player|video|stream|\/e\/|\/v\/|youtube|vimeo|dailymotion|ok\.ru|streamtape|dood|filemoon|mixdrop)/i;
// Player libraries and players set up from script, which an SPA or a cyberlocker's player page uses.
const PLAYER_ERROR = /class=["'][^"']*\b(vjs-error|jw-error|jw-state-error|plyr--error|player-error|video-error)\b/i;
const PLAYER_MARKUP = /(jwplayer\s*\(|videojs\s*\(|new\s+Plyr|new\s+Clappr|new\s+DPlayer|Hls\s*\(|flowplayer\s*\(|["'][^"'\s]+\.(m3u8|mp4|mkv|webm)(\?[^"']*)?["']|data-setup=|class=["'][^"']*(video-js|jwplayer|plyr|art-video)[^"']*["'])/i;

export function readPage(html: string): PageReading {
  type Where = 'prominent' | 'discussion' | 'skip' | 'main';
  const stack: { name: string; where: Where }[] = [];
  let skipDepth = 0;
  let inTitle = false;
  let title = '';
  const parts: Record<'prominent' | 'main' | 'discussion', string[]> = { prominent: [], main: [], discussion: [] };
  let player = false;
  let articleChars = 0;
  let inArticle = 0;
  const whereOf = (name: string, attrs: Record<string, string>): Where | undefined => {
    const mark = `${attrs.class ?? ''} ${attrs.id ?? ''} ${attrs.role ?? ''}`;
    if (name === 'nav' || name === 'footer' || name === 'aside' || SKIPPED_MARK.test(mark)) return 'skip';
    if (name === 'article' || DISCUSSION_MARK.test(mark)) return 'discussion';
    if (/^h[1-3]$/.test(name) || attrs.role === 'alert' || PROMINENT_MARK.test(mark)) return 'prominent';
    return undefined;
  };
  const parser = new Parser({
    onopentag(name, attrs) {
      if (SKIP.has(name)) skipDepth += 1;
      if (name === 'title') inTitle = true;
      if (name === 'video' || name === 'embed' || name === 'object') player = true;
      if (name === 'iframe' && PLAYER_IFRAME.test(attrs.src ?? attrs['data-src'] ?? '')) player = true;
      if (name === 'article') inArticle += 1;
      const parent = stack[stack.length - 1]?.where ?? 'main';
      // Discussion and skipped parts stay so inside; a heading within a comment is still the comment.
      const where = parent === 'discussion' || parent === 'skip' ? parent : whereOf(name, attrs) ?? parent;
      if (!VOID.has(name)) stack.push({ name, where });
    },
    ontext(data) {
      if (inTitle) { title += data; return; }
      if (skipDepth > 0) return;
      if (inArticle > 0) articleChars += data.trim().length;
      const where = stack[stack.length - 1]?.where ?? 'main';
      if (where !== 'skip') parts[where].push(data);
    },
    onclosetag(name) {
      if (name === 'title') inTitle = false;
      if (SKIP.has(name)) skipDepth = Math.max(0, skipDepth - 1);
      if (name === 'article') inArticle = Math.max(0, inArticle - 1);
      if (VOID.has(name)) return;
      const at = stack.map((s) => s.name).lastIndexOf(name);
      if (at >= 0) stack.length = at;
    },
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  parser.write(html);
  parser.end();
  const join = (xs: string[]) => xs.join(' ').replace(/\s+/g, ' ').trim();
  return {
    title: title.replace(/\s+/g, ' ').trim(),
    prominent: join(parts.prominent), main: join(parts.main), discussion: join(parts.discussion),
    player: player || PLAYER_MARKUP.test(html),
    playerError: PLAYER_ERROR.test(html),
    article: articleChars > 1200,
  };
}

export interface RemovedPageInput {
  html: string;
  /** The URL asked for (the finding's link) and the URL that answered, after redirects. */
  requestedUrl: string;
  finalUrl: string;
  /** The page's size when it was found, if known: a removed page is often a fraction of it. */
  previousBytes?: number;
  /** Whether the page had a player or media when found (a finding confirmed by its media had). */
  hadMedia?: boolean;
}

export interface RemovedPageVerdict {
  removed: boolean;
  score: number;
  /** Each signal that counted, with its weight: 'title: "file not found" (+3)'. */
  signals: string[];
}

/** A score at or above this is a removed page. */
export const REMOVED_THRESHOLD = 4;

const ERROR_PATH = /(^|\/)(404|410|error|errors|not-?found|notfound|removed|deleted|dmca|unavailable|gone|file-?not-?found)(\.[a-z]+)?(\/|$)/i;
const ERROR_QUERY = /[?&](error|err|removed|deleted|notfound|dmca)=/i;
const HOME_PATH = /^\/(index\.(html?|php))?$/i;

function redirectSignal(requestedUrl: string, finalUrl: string): { weight: number; why: string } | undefined {
  let from: URL;
  let to: URL;
  try { from = new URL(requestedUrl); to = new URL(finalUrl); } catch { return undefined; }
  if (from.href === to.href) return undefined;
  const fromPath = from.pathname + from.search;
  if (!HOME_PATH.test(from.pathname) && HOME_PATH.test(to.pathname) && !to.search) return { weight: 4, why: `redirected to the home page ${to.host}/` };
  if (!ERROR_PATH.test(fromPath) && (ERROR_PATH.test(to.pathname) || ERROR_QUERY.test(to.search))) return { weight: 4, why: `redirected to an error path ${to.pathname}${to.search}` };
  return undefined;
}

/** Weighs a page's phrases and shape; `removed` when the weights reach REMOVED_THRESHOLD. */
export function classifyRemovedPage(input: RemovedPageInput): RemovedPageVerdict {
  const page = readPage(input.html);
  const signals: string[] = [];
  let score = 0;
  const add = (weight: number, why: string): void => { score += weight; signals.push(`${why} (${weight > 0 ? '+' : ''}${weight})`); };

  const mainText = normalizeText(page.main);
  const short = mainText.length < 600;
  const places: [string, string, Record<Strength, number>][] = [
    ['title', page.title, { strong: 3, weak: 2 }],
    ['heading', page.prominent, { strong: 3, weak: 2 }],
    // The body counts fully only on a short page: a long page that says "removed" somewhere is talking.
    ['text', page.main, short ? { strong: 3, weak: 1 } : { strong: 1, weak: 0 }],
  ];
  let phraseWeight = 0;
  let strongUpFront = false;
  for (const [where, text, weights] of places) {
    const p = strongestPhrase(normalizeText(text));
    if (!p) continue;
    if (p.strength === 'strong' && where !== 'text') strongUpFront = true;
    const w = weights[p.strength];
    // One removal message repeated in title, heading and body is one message: take the best two places.
    if (w > 0 && phraseWeight < 5) { const take = Math.min(w, 5 - phraseWeight); phraseWeight += take; add(take, `${where}: "${p.folded}"`); }
  }
  if (page.discussion && phraseWeight === 0 && strongestPhrase(normalizeText(page.discussion))) signals.push('a removal phrase only in comments or an article (0)');

  const redirect = redirectSignal(input.requestedUrl, input.finalUrl);
  if (redirect) add(redirect.weight, redirect.why);

  // An empty player often stays beside the removal message; only a player with nothing said weighs fully.
  if (page.playerError) add(2, 'the player shows its error state');
  if (page.player) add(strongUpFront || page.playerError ? -1 : -3, 'a player or media is still on the page');
  else if (input.hadMedia) add(1, 'no player or media left');
  if (input.previousBytes !== undefined && input.previousBytes > 0 && Buffer.byteLength(input.html) < input.previousBytes * 0.3) {
    add(1, `page is ${Math.round((Buffer.byteLength(input.html) / input.previousBytes) * 100)} % of its size when found`);
  }
  if (page.article && phraseWeight < 5) add(-2, 'a long article is on the page');
  return { removed: score >= REMOVED_THRESHOLD, score, signals };
}
