/**
 * Pages the way the web serves them after a takedown (and pages that only look like it), for
 * removed-page.test.ts. Each wraps its body in a site's usual chrome: navigation, a footer with the
 * site's own DMCA link, analytics and ad scripts, so no page is just its message.
 */

export interface CorpusPage {
  name: string;
  html: string;
  requestedUrl: string;
  finalUrl?: string;
  hadMedia?: boolean;
  previousBytes?: number;
  removed: boolean;
}

const SCRIPTS = `<script async src="https://www.googletagmanager.com/gtag/js?id=G-7QX2KD9L1M"></script>
<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag('js',new Date());gtag('config','G-7QX2KD9L1M');
var msgs={removed:"This file has been removed",expired:"Link expired"};</script>
<script src="https://ads.popcash.example/pop.js" data-cfasync="false"></script>`;

interface Shell { title: string; body: string; lang?: string; dir?: string; site?: string }

function page({ title, body, lang = 'en', dir, site = 'StreamVault' }: Shell): string {
  return `<!doctype html><html lang="${lang}"${dir ? ` dir="${dir}"` : ''}><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width"><link rel="icon" href="/favicon.ico"><link rel="stylesheet" href="/css/app.min.css">${SCRIPTS}</head>
<body><header class="site-header"><a class="logo" href="/">${site}</a>
<nav class="navbar"><a href="/movies">Movies</a> <a href="/tv">TV Shows</a> <a href="/anime">Anime</a> <a href="/kdrama">K-Drama</a> <form action="/search"><input name="q" placeholder="Search"></form></nav></header>
<main class="container">${body}</main>
<footer class="footer"><p>${site} does not store any files on its server. All contents are provided by non-affiliated third parties.</p>
<a href="/dmca">DMCA</a> <a href="/contact">Contact</a> <a href="/terms">Terms</a> © 2026</footer>
<script src="/js/app.min.js"></script></body></html>`;
}

const RELATED = `<div class="related"><h3 class="widget-title">You may also like</h3><ul>${Array.from({ length: 8 }, (_, i) => `<li><a href="/watch/title-${i + 10}"><img src="/thumbs/${i + 10}.jpg" alt="">Title ${i + 10} (2025) EP${i + 1}</a></li>`).join('')}</ul></div>`;

const COMMENTS = (lines: string[]) => `<section id="comments" class="comments-area"><h3 class="comments-title">${lines.length} Comments</h3>${lines.map((l, i) => `<div class="comment"><b class="comment-author">user${i}</b><p>${l}</p></div>`).join('')}</section>`;

const PLAYER_IFRAME = '<div class="player-wrap"><iframe src="https://vidembed.example/e/k29xq1" allowfullscreen width="100%" height="480"></iframe></div><div class="servers"><a href="?server=2">Server 2</a> <a href="?server=3">Server 3</a></div>';
const JW_PLAYER = '<div id="vplayer"></div><script>jwplayer("vplayer").setup({file:"https://cdn7.vault.example/hls/abc/master.m3u8",image:"/poster.jpg"});</script>';

const LONG_TOS = 'By using this service you agree that you hold the rights to the files you upload. Files that infringe copyright will be removed and repeat infringers will have their accounts terminated. Files not downloaded for 60 days are deleted automatically. Premium members get unlimited download speed, no waiting time, parallel downloads and resume support. '.repeat(4);

const NEWS = `<article class="post"><h1 class="entry-title">Studio sends 40,000 DMCA notices in a month; pirate episodes removed within hours</h1>
<div class="entry-content"><p>The anti-piracy unit of a major studio says it has had more than 40,000 links removed from cyberlockers in March alone. "When a file has been removed, uploaders simply post it again", a spokesperson said.</p>
<p>Visitors to the affected pages now see messages such as "File not found" or "This video has been removed due to a copyright claim". Some sites redirect to their home page instead.</p>
<p>Industry groups argue that automated notices are the only way to keep up. Critics point out that lawful uses are sometimes caught, and that a counter-notice takes ten to fourteen business days to restore material that was wrongly taken down. ${'The debate over notice-and-staydown continues in Washington and Brussels, where lawmakers weigh platform liability against the cost of filtering. '.repeat(6)}</p></div></article>`;

export const CORPUS: CorpusPage[] = [
  // ---- removed: phrases in many languages, in titles, headings and error boxes
  { name: 'en cyberlocker "File Not Found"', removed: true, requestedUrl: 'https://megaup.example/f/8Kq2x/Moonlit.Harbor.S01E03.mkv', hadMedia: true,
    html: page({ site: 'MegaUp', title: 'File Not Found - MegaUp', body: '<div class="panel error-box"><h2>File Not Found</h2><p>The file you were looking for could not be found, sorry for any inconvenience.</p><p>Possible causes: the file was deleted by its owner, or it was removed for a copyright violation.</p></div>' }) },
  { name: 'en streaming soft-404 "Video unavailable" with related videos', removed: true, requestedUrl: 'https://streamvault.example/watch/moonlit-harbor-ep3', hadMedia: true,
    html: page({ title: 'Watch Moonlit Harbor Episode 3 Online Free - StreamVault', body: `<div class="player-placeholder"><h1>Video unavailable</h1><p>This video has been removed due to a copyright claim.</p></div>${RELATED}` }) },
  { name: 'ko webhard 삭제된 파일', removed: true, requestedUrl: 'https://webhard.example/contents/view/3348812', hadMedia: true,
    html: page({ lang: 'ko', site: '파일나라', title: '파일나라 - 자료 보기', body: '<div class="msg_box"><p>삭제된 파일입니다.</p><p>저작권 보호 요청에 의해 삭제되었습니다.</p></div>' }) },
  { name: 'ko board 존재하지 않는 게시물', removed: true, requestedUrl: 'https://toon.example/bbs/board.php?bo_table=drama&wr_id=77120', hadMedia: true,
    html: page({ lang: 'ko', site: '드라마천국', title: '드라마천국', body: '<script>alert("존재하지 않는 게시물입니다.");history.back();</script><div class="empty_list">존재하지 않는 게시물입니다.</div>' }) },
  { name: 'ja 動画は削除されました', removed: true, requestedUrl: 'https://douga.example/watch/sm41230987', hadMedia: true,
    html: page({ lang: 'ja', site: '動画広場', title: '動画広場 - 視聴', body: '<div class="video-deleted"><h2>この動画は削除されました</h2><p>権利者からの著作権侵害の申し立てにより、公開停止となりました。</p></div>' }) },
  { name: 'es archivo eliminado', removed: true, requestedUrl: 'https://descargas.example/archivo/9fK2/Luna.del.Puerto.E03.mp4', hadMedia: true,
    html: page({ lang: 'es', site: 'DescargasYa', title: 'Archivo eliminado | DescargasYa', body: '<div class="alert alert-danger"><strong>Archivo eliminado</strong><p>El archivo que buscas ha sido eliminado por infringir derechos de autor.</p></div>' }) },
  { name: 'pt arquivo removido', removed: true, requestedUrl: 'https://baixar.example/d/ab12cd', hadMedia: true,
    html: page({ lang: 'pt', site: 'BaixarFilmes', title: 'BaixarFilmes - Download', body: '<div class="aviso"><h3>Arquivo removido</h3><p>O arquivo foi removido por violação de direitos autorais.</p></div>' }) },
  { name: 'vi tệp đã bị xóa', removed: true, requestedUrl: 'https://phimmoi.example/xem/ben-cang-trang-tap-3', hadMedia: true,
    html: page({ lang: 'vi', site: 'PhimMoi', title: 'Xem phim Bến Cảng Trăng tập 3', body: '<div class="notice"><p>Tệp đã bị xóa do vi phạm bản quyền.</p></div>' }) },
  { name: 'ar تم حذف الملف (rtl)', removed: true, requestedUrl: 'https://aflam.example/watch/1220', hadMedia: true,
    html: page({ lang: 'ar', dir: 'rtl', site: 'أفلام', title: 'مشاهدة الحلقة 3', body: '<div class="message"><p>تم حذف الملف بسبب انتهاك حقوق النشر.</p></div>' }) },
  { name: 'fr fichier introuvable', removed: true, requestedUrl: 'https://telecharger.example/f/77aa', hadMedia: true,
    html: page({ lang: 'fr', site: 'UpFichier', title: 'Fichier introuvable - UpFichier', body: '<div class="err"><p>Le fichier demandé n\'existe pas ou a été supprimé.</p></div>' }) },
  { name: 'ru файл удалён', removed: true, requestedUrl: 'https://kino.example/video/55123', hadMedia: true,
    html: page({ lang: 'ru', site: 'КиноЗал', title: 'КиноЗал — просмотр', body: '<div class="alert"><p>Файл был удалён по требованию правообладателя.</p></div>' }) },
  { name: 'id file telah dihapus', removed: true, requestedUrl: 'https://nonton.example/film/pelabuhan-bulan-3', hadMedia: true,
    html: page({ lang: 'id', site: 'NontonYuk', title: 'Nonton Pelabuhan Bulan Episode 3', body: '<div class="box"><h2>File telah dihapus</h2><p>Maaf, file yang Anda cari telah dihapus karena pelanggaran hak cipta.</p></div>' }) },
  { name: 'tr dosya bulunamadı', removed: true, requestedUrl: 'https://dizi.example/izle/ay-limani-3-bolum', hadMedia: true,
    html: page({ lang: 'tr', site: 'DiziIzle', title: 'Dosya bulunamadı', body: '<p>Aradığınız dosya silindi veya hiç var olmadı.</p>' }) },
  { name: 'zh 链接已失效', removed: true, requestedUrl: 'https://pan.example/s/1aB2cD', hadMedia: true,
    html: page({ lang: 'zh', site: '网盘', title: '分享文件', body: '<div class="share-error"><p>啊哦，你来晚了，分享的文件已经被删除了，下次要早点哟。</p><p>链接已失效</p></div>' }) },
  { name: 'de datei wurde gelöscht', removed: true, requestedUrl: 'https://hoster.example/dl/xy12', hadMedia: true,
    html: page({ lang: 'de', site: 'DateiHost', title: 'DateiHost', body: '<div class="status"><p>Die Datei wurde gelöscht.</p></div>' }) },
  { name: 'th ไฟล์ถูกลบแล้ว', removed: true, requestedUrl: 'https://doonung.example/watch/331', hadMedia: true,
    html: page({ lang: 'th', site: 'ดูหนัง', title: 'ดูหนังออนไลน์', body: '<div class="notice"><p>ไฟล์ถูกลบแล้ว</p></div>' }) },
  { name: 'en link expired', removed: true, requestedUrl: 'https://sendfile.example/d/Zk91', hadMedia: true,
    html: page({ site: 'SendFile', title: 'SendFile', body: '<div class="card"><h2>This link has expired</h2><p>Links are kept for 7 days. Ask the sender to upload the file again.</p></div>' }) },
  { name: 'en plain server soft-404 with 200', removed: true, requestedUrl: 'https://cdn-mirror.example/v/ep3.html', hadMedia: true,
    html: '<html><head><title>404 Not Found</title></head><body><h1>Not Found</h1><p>The requested URL was not found on this server.</p><hr><address>Apache Server</address></body></html>' },
  { name: 'en account terminated', removed: true, requestedUrl: 'https://tube.example/watch?v=q9XmP2', hadMedia: true,
    html: page({ site: 'Tube', title: 'Tube', body: '<div id="error-screen"><div class="reason">Video unavailable</div><div class="subreason">This video is no longer available because the account associated with this video has been terminated.</div></div>' }) },
  { name: 'en disabled after DMCA', removed: true, requestedUrl: 'https://share.example/post/441', hadMedia: true,
    html: page({ site: 'ShareBox', title: 'ShareBox', body: '<div class="notice-dmca"><p>This content has been disabled in response to a DMCA takedown notice.</p></div>' }) },
  // ---- removed: shape only
  { name: 'redirect to the home page', removed: true, requestedUrl: 'https://streamvault.example/watch/moonlit-harbor-ep3', finalUrl: 'https://streamvault.example/', hadMedia: true,
    html: page({ title: 'StreamVault - Watch Movies and TV Shows Online Free', body: `<h2 class="section-title">Trending now</h2>${RELATED}${RELATED}` }) },
  { name: 'redirect to /404.html with no phrase', removed: true, requestedUrl: 'https://streamvault.example/watch/moonlit-harbor-ep3', finalUrl: 'https://streamvault.example/404.html', hadMedia: true,
    html: page({ title: 'Oops! - StreamVault', body: '<div class="oops"><h1>Oops!</h1><p>We can\'t seem to find what you\'re looking for.</p><a href="/">Back home</a></div>' }) },
  { name: 'redirect to ?error=removed', removed: true, requestedUrl: 'https://files.example/file/QQ12', finalUrl: 'https://files.example/upload?error=removed', hadMedia: true,
    html: page({ site: 'Files', title: 'Upload files - Files', body: '<form class="uploader"><input type="file"><button>Upload</button></form>' }) },
  { name: 'redirect to the site\'s /dmca page', removed: true, requestedUrl: 'https://streamvault.example/watch/moonlit-harbor-ep3', finalUrl: 'https://streamvault.example/dmca', hadMedia: true,
    html: page({ title: 'DMCA - StreamVault', body: `<h1>DMCA Policy</h1><p>${LONG_TOS}</p>` }) },
  // ---- removed, and hard: a player left showing an error, a page written by script, a language not listed, no stock phrase
  { name: 'player still on the page with an error overlay', removed: true, requestedUrl: 'https://vidembed.example/e/k29xq1', hadMedia: true, previousBytes: 48_000,
    html: page({ site: 'VidEmbed', title: 'Watch video', body: '<div class="video-js vjs-error"><video class="vjs-tech" preload="none"></video><div class="vjs-error-display"><div>This video has been removed by the user.</div></div></div>' }) },
  { name: 'SPA shell whose message comes from script', removed: true, requestedUrl: 'https://megaup.example/f/8Kq2x', hadMedia: true, previousBytes: 52_000,
    html: '<!doctype html><html><head><title>MegaUp</title><script>window.__STATE__={"file":null,"error":"FILE_DELETED"}</script></head><body><div id="app"></div><script src="/static/js/main.4f9a1.js"></script></body></html>' },
  { name: 'pl plik został usunięty (language not listed)', removed: true, requestedUrl: 'https://chomik.example/plik/ep3', hadMedia: true,
    html: page({ lang: 'pl', site: 'Pliki', title: 'Pliki', body: '<div class="box"><p>Plik został usunięty przez właściciela.</p></div>' }) },
  { name: 'en no stock phrase: "this upload is gone"', removed: true, requestedUrl: 'https://drop.example/u/771', hadMedia: true,
    html: page({ site: 'Drop', title: 'Drop', body: '<div class="card"><h2>Sorry, this upload is gone.</h2><p>Try searching for something else.</p></div>' }) },

  // ---- up: live pages, some that talk about removals
  { name: 'live page, player iframe, comments about removals', removed: false, requestedUrl: 'https://streamvault.example/watch/moonlit-harbor-ep3', hadMedia: true,
    html: page({ title: 'Watch Moonlit Harbor Episode 3 Online Free - StreamVault', body: `<h1>Moonlit Harbor Episode 3</h1>${PLAYER_IFRAME}${COMMENTS(['the file was removed on the other site, thanks for the reupload', 'File not found on server 1, server 2 works', 'this video has been deleted everywhere else lol'])}${RELATED}` }) },
  { name: 'news article about DMCA removals', removed: false, requestedUrl: 'https://piracynews.example/2026/03/studio-dmca-removed', hadMedia: true,
    html: page({ site: 'PiracyNews', title: 'Studio sends 40,000 DMCA notices; pirate episodes removed within hours - PiracyNews', body: NEWS }) },
  { name: 'live cyberlocker download page with removal terms in the body', removed: false, requestedUrl: 'https://megaup.example/f/8Kq2x/Moonlit.Harbor.S01E03.mkv', hadMedia: true,
    html: page({ site: 'MegaUp', title: 'Download Moonlit.Harbor.S01E03.1080p.WEB-DL.mkv - MegaUp', body: `<div class="file-info"><h1>Moonlit.Harbor.S01E03.1080p.WEB-DL.mkv</h1><p>Size: 1.21 GB</p><a class="btn download" href="/dl/8Kq2x">Download</a></div><div class="tos"><p>${LONG_TOS}</p></div>` }) },
  { name: 'live page, jwplayer from script, "report if removed" text', removed: false, requestedUrl: 'https://streamvault.example/watch/ep3', hadMedia: true,
    html: page({ title: 'Moonlit Harbor EP3 - StreamVault', body: `<h1>Moonlit Harbor EP3</h1>${JW_PLAYER}<p class="hint">Video not working or removed? Report it and we will reupload.</p>` }) },
  { name: 'live SPA shell, player built by script', removed: false, requestedUrl: 'https://spa.example/watch/ep3', hadMedia: true,
    html: '<!doctype html><html><head><title>Watch Moonlit Harbor EP3</title><script>window.__STATE__={"video":{"id":"ep3","hls":true}}</script></head><body><div id="root"></div><script src="/assets/index-8d1c.js"></script></body></html>' },
  { name: 'live page after an http→https redirect on the same path', removed: false, requestedUrl: 'http://streamvault.example/watch/ep3', finalUrl: 'https://streamvault.example/watch/ep3', hadMedia: true,
    html: page({ title: 'Moonlit Harbor EP3 - StreamVault', body: `<h1>Moonlit Harbor EP3</h1>${PLAYER_IFRAME}` }) },
  { name: 'live page after a redirect to another watch path', removed: false, requestedUrl: 'https://streamvault.example/watch/ep3', finalUrl: 'https://streamvault.example/watch/moonlit-harbor-ep3?lang=en', hadMedia: true,
    html: page({ title: 'Moonlit Harbor EP3 - StreamVault', body: `<h1>Moonlit Harbor EP3</h1>${PLAYER_IFRAME}` }) },
  { name: 'forum thread asking whether the file is deleted', removed: false, requestedUrl: 'https://forum.example/t/moonlit-harbor-ep3-link/991', hadMedia: true,
    html: page({ site: 'Forum', title: 'Moonlit Harbor EP3 link not found? - Forum', body: `<div class="topic"><div class="post-content"><p>Is the file deleted? Link not found for me.</p></div><div class="post-content"><p>Works here: <a href="https://megaup.example/f/9Zz1">mirror</a>. File has been removed from the first host only.</p></div></div>` }) },
  { name: 'live page with a "recently removed" sidebar', removed: false, requestedUrl: 'https://streamvault.example/watch/ep3b', hadMedia: true,
    html: page({ title: 'Moonlit Harbor EP3 - StreamVault', body: `<h1>Moonlit Harbor EP3</h1><video controls src="https://cdn7.vault.example/v/ep3.mp4"></video><aside class="sidebar"><h3>Recently removed</h3><p>Video removed: Title 7. File deleted: Title 9.</p></aside>` }) },
  { name: 'ko live page, comments say 삭제된 파일', removed: false, requestedUrl: 'https://toon.example/bbs/board.php?bo_table=drama&wr_id=77121', hadMedia: true,
    html: page({ lang: 'ko', site: '드라마천국', title: '달빛 항구 3화 - 드라마천국', body: `<h1>달빛 항구 3화</h1>${PLAYER_IFRAME}${COMMENTS(['다른 데는 삭제된 파일이라고 나오네요', '여기는 잘 나옵니다 감사합니다'])}` }) },
  { name: 'ja live page, video tag, comments say 削除されました', removed: false, requestedUrl: 'https://douga.example/watch/sm41230988', hadMedia: true,
    html: page({ lang: 'ja', site: '動画広場', title: '月の港 第3話 - 動画広場', body: `<h1>月の港 第3話</h1><video src="https://cdn.douga.example/v/41230988.mp4" controls></video>${COMMENTS(['前のは削除されましたね', '再うpありがとう'])}` }) },
  { name: 'es live page, comments say ya no está disponible', removed: false, requestedUrl: 'https://pelis.example/ver/luna-del-puerto-3', hadMedia: true,
    html: page({ lang: 'es', site: 'PelisYa', title: 'Ver Luna del Puerto 3 online - PelisYa', body: `<h1>Luna del Puerto 3</h1>${PLAYER_IFRAME}${COMMENTS(['En el otro sitio dice archivo eliminado', 'Este video ya no está disponible en Netflix, gracias'])}` }) },
  { name: 'live page, film titled "Unavailable"', removed: false, requestedUrl: 'https://streamvault.example/watch/the-unavailable-2024', hadMedia: true,
    html: page({ title: 'Watch The Unavailable (2024) Full Movie - StreamVault', body: `<h1>The Unavailable (2024)</h1>${PLAYER_IFRAME}<p>A courier finds that the file she was hired to deliver has been deleted from every server but one.</p>` }) },
  { name: 'live page, player fallback text says video unavailable', removed: false, requestedUrl: 'https://streamvault.example/watch/ep3c', hadMedia: true,
    html: page({ title: 'Moonlit Harbor EP3 - StreamVault', body: '<h1>Moonlit Harbor EP3</h1><video controls><source src="https://cdn7.vault.example/v/ep3c.mp4" type="video/mp4"><p>Your browser cannot play this. Video unavailable.</p></video>' }) },
  { name: 'live page, lazy player iframe, "if not available try server 2"', removed: false, requestedUrl: 'https://streamvault.example/watch/ep3d', hadMedia: true,
    html: page({ title: 'Moonlit Harbor EP3 - StreamVault', body: '<h1>Moonlit Harbor EP3</h1><iframe src="about:blank" data-src="https://vidembed.example/e/zz81" class="lazy"></iframe><p class="message">If the video is not available, try Server 2.</p>' }) },
  { name: 'live torrent page mentioning copyright in its body', removed: false, requestedUrl: 'https://torrents.example/torrent/55123/moonlit-harbor-s01e03', hadMedia: false,
    html: page({ site: 'Torrents', title: 'Moonlit Harbor S01E03 1080p WEB-DL x264 - Torrents', body: '<h1>Moonlit Harbor S01E03 1080p WEB-DL x264</h1><a href="magnet:?xt=urn:btih:abc">Magnet</a><p>Seeders 311 Leechers 40. Uploaded 2026-03-02.</p><p>Copyright holders: use the DMCA form; torrents that infringe copyright will be removed.</p>' }) },
];
