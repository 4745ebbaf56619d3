import { createHash } from 'node:crypto';
import type { ContentSpec } from '../../core/catalog/types.js';
import { renderPage, html, type Family, type PageParts, type SiteLook } from './families.js';
import {
  LEAK_VIDEOS, OTHER_VIDEOS, PAGE_KINDS,
  type Body, type ContentId, type Corpus, type CorpusRoute, type CorpusSite, type Epoch, type ImageMediaId, type LabelledPage, type PageKind, type PageLabel, type VideoMediaId,
} from './labels.js';
import { EMBED_HOSTS, FORUM, IMAGE_CDN, MIRROR_STATUS, MOVES, OFFICIAL, PIRATE_SITES, SEARCH_HOST, VIDEO_CDN, type SiteDef } from './sites.js';
import { DISGUISES, OTHER_TITLES, TEXT, disguise, releaseName, type Lang } from './text.js';
import { makeTorrent } from './torrent.js';

/**
 * The pirate-web corpus, generated from a seed: every route the server answers and a label for
 * every page. Pure: media are named (labels.ts), not made; `origin` says where a host is served.
 * Each leak has decoys built by the same code on the same sites with another title's media, so
 * only the media (or the torrent's metadata) tells them apart.
 */

/** The menu links each family's shell carries (families.ts), served as listings. */
const NAV_PATHS: Record<Family, readonly string[]> = {
  dooplay: ['/tvshows/', '/episodes/'], animestream: ['/ongoing', '/schedule'], aggregator: ['/index.php', '/index.php?p=series', '/index.php?p=top'],
  madara: ['/manga/'], mangareader: [], xfilesharing: ['/?op=registration', '/premium.html', '/pages/dmca.html', '/pages/tos.html'],
  'locker-spa': [], 'locker-plain': [], 'indexer-1337': [], 'indexer-nyaa': ['/?c=1_2'], 'embed-jw': [], 'embed-nested': [], 'embed-clappr': [], forum: [], official: ['/signup'],
};

export interface CorpusOptions {
  /** `http://HOST:PORT` for a host (every host is served by one local server). */
  origin: (host: string) => string;
  contents: Record<ContentId, ContentSpec>;
  seed?: number;
  leaksPerKind?: number;
  decoysPerKind?: number;
}

/** Segments per HLS rendition; media.ts cuts every clip into exactly this many. */
export const HLS_SEGMENTS = 4;
export const HLS_SEGMENT_SECONDS = 2;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 2 ** 32; };
}

const ROMANIZED: Record<ContentId, string> = { 'moonlit-harbor-s01': 'Dalbit Hanggu', 'star-courier-webtoon': 'Byeorui Taekbaegisa' };
const slug = (s: string) => s.toLowerCase().normalize('NFKD').replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '');

export function generateCorpus(o: CorpusOptions): Corpus {
  const seed = o.seed ?? 12;
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const routes: CorpusRoute[] = [];
  const pages: LabelledPage[] = [];
  const url = (host: string, path: string) => `${o.origin(host)}${path}`;
  let serial = 0;
  const code = () => createHash('sha1').update(`${seed}:${(serial += 1)}`).digest('hex').slice(0, 12);

  const route = (host: string, path: string, body: Body, epoch: Epoch = 'always', extra: Partial<CorpusRoute> = {}) => { routes.push({ host, path, body, epoch, ...extra }); };
  const textBody = (type: string, text: string): Body => ({ kind: 'text', type, text });
  const look = (s: { name: string; lang: string; family: Family; trackingId: string; adClient?: string }): SiteLook =>
    ({ name: s.name, lang: s.lang, family: s.family, trackingId: s.trackingId, ...(s.adClient ? { adClient: s.adClient } : {}), favicon: '/favicon.ico' });
  const favicon = (host: string, seedText: string, epoch: Epoch = 'always') =>
    route(host, '/favicon.ico', { kind: 'bytes', type: 'image/x-icon', bytes: createHash('sha512').update(`favicon:${seedText}`).digest() }, epoch);
  /** An HTML page with its label; returns its URL. */
  const htmlPage = (host: string, path: string, s: SiteLook, parts: PageParts, label: PageLabel, extra: { aliases?: string[]; epoch?: Epoch; onHop?: string; status?: number; variant?: string } = {}): string => {
    route(host, path, textBody('text/html; charset=utf-8', renderPage(s, parts)), extra.epoch ?? 'always', extra.status ? { status: extra.status } : {});
    const u = url(host, path);
    if ((extra.epoch ?? 'always') !== 'before') pages.push({ url: u, aliases: extra.aliases ?? [], label, ...(extra.onHop ? { onHop: extra.onHop } : {}), ...(extra.variant ? { variant: extra.variant } : {}) });
    return u;
  };

  // ---- titles per content and language ----
  const titleOf = (content: ContentId, lang: Lang): string => {
    const spec = o.contents[content];
    const local = spec.localizedTitles?.find((l) => l.lang === lang)?.title;
    // Sites outside the English-speaking web still often use the English title.
    return local && r() < 0.7 ? local : spec.title;
  };
  const otherTitle = () => pick(OTHER_TITLES);

  // ---- media behind pages ----
  const videoFile = (media: VideoMediaId, host: string): string => {
    const path = `/v/${code()}/${media.startsWith('other') ? 'video' : 'media'}.mp4`;
    route(host, path, { kind: 'media', media, type: 'video/mp4' });
    return url(host, path);
  };
  /** Master → two variants → HLS_SEGMENTS segments; `ext` false serves the master at a URL without .m3u8. */
  const hlsPackage = (media: VideoMediaId, host: string, ext = true): string => {
    const base = `/hls/${code()}`;
    const variant = ['#EXTM3U', '#EXT-X-VERSION:3', `#EXT-X-TARGETDURATION:${HLS_SEGMENT_SECONDS}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD',
      ...Array.from({ length: HLS_SEGMENTS }, (_, i) => `#EXTINF:${HLS_SEGMENT_SECONDS.toFixed(3)},\nseg${i}.ts`), '#EXT-X-ENDLIST', ''].join('\n');
    for (const rendition of ['720', '480']) {
      route(host, `${base}/${rendition}/index.m3u8`, textBody('application/vnd.apple.mpegurl', variant));
      for (let i = 0; i < HLS_SEGMENTS; i += 1) route(host, `${base}/${rendition}/seg${i}.ts`, { kind: 'media', media, file: `seg${i}.ts`, type: 'video/mp2t' });
    }
    const master = ['#EXTM3U', '#EXT-X-VERSION:3', '#EXT-X-STREAM-INF:BANDWIDTH=900000,RESOLUTION=320x180', '720/index.m3u8', '#EXT-X-STREAM-INF:BANDWIDTH=450000,RESOLUTION=256x144', '480/index.m3u8', ''].join('\n');
    const masterPath = ext ? `${base}/master.m3u8` : `${base}/playlist`;
    // The extensionless master resolves its variants against /hls/<code>/, as real CDNs do.
    route(host, masterPath, textBody(ext ? 'application/vnd.apple.mpegurl' : 'application/x-mpegURL', master));
    return url(host, masterPath);
  };
  const imageFile = (media: ImageMediaId, host: string): string => {
    const path = `/img/${code()}.jpg`;
    route(host, path, { kind: 'media', media, type: 'image/jpeg' });
    return url(host, path);
  };

  // ---- sites ----
  const sites: CorpusSite[] = [];
  const webSite = (def: SiteDef, dies = false): void => {
    sites.push({ id: def.id, dies, spec: { type: 'piracy', category: def.category, family: def.id, language: def.lang, domains: [def.host], sources: [{ type: 'web', url: url(def.host, '/'), depth: 2, maxPages: 400 }] } });
  };
  const home = new Map<string, { look: SiteLook; links: { href: string; text: string }[]; epoch: Epoch }>();
  const listOn = (host: string, s: SiteLook, href: string, text: string, epoch: Epoch = 'always') => {
    const h = home.get(host) ?? { look: s, links: [], epoch };
    h.links.push({ href, text });
    home.set(host, h);
  };
  for (const def of PIRATE_SITES) { webSite(def); favicon(def.host, def.faviconSeed); }

  // ---- players (the part of a page that leads to media), by kind ----
  const lazy = (i: number) => i % 3 === 2;
  const streamPlayer = (fam: Family, src: string, i: number): string => {
    if (lazy(i)) return `<video class="lazyload" preload="none" data-src="${src}" poster="/assets/poster.jpg" controls></video>`;
    if (fam === 'animestream') return `<video class="w-100" controls playsinline src="${src}"></video>`;
    return `<video id="vid" width="100%" controls preload="metadata"><source src="${src}" type="video/mp4"></video>`;
  };
  const iframeTag = (fam: Family, src: string): string => {
    if (fam === 'animestream') return `<iframe id="playerframe" class="embed-responsive-item" src="about:blank" data-src="${src}" allowfullscreen></iframe><script>document.getElementById('playerframe').src=document.getElementById('playerframe').dataset.src;</script>`;
    if (fam === 'dooplay') return `<iframe class="metaframe rptss" src="${src}" frameborder="0" scrolling="no" allow="autoplay; encrypted-media" allowfullscreen></iframe>`;
    return `<iframe src="${src}" width="720" height="405" frameborder="0" scrolling="no" allowfullscreen></iframe>`;
  };
  /** An embed page on a player host carrying `media`; returns its URL. */
  const embedPage = (media: VideoMediaId, content: ContentId, i: number): string => {
    const genuine = !media.startsWith('other');
    const label: PageLabel = { role: 'carrier', content, genuine };
    const variant = i % 3;
    const id = code();
    if (variant === 0) {
      const e = EMBED_HOSTS.jw;
      const src = videoFile(media, VIDEO_CDN);
      return htmlPage(e.host, `/e/${id}`, look({ ...e, lang: 'en', trackingId: 'G-VP0000001' }), { title: 'VidPlay', h1: '', description: '',
        player: `<script src="/js/jwplayer-8.26.js"></script><script>jwplayer("vplayer").setup({"sources":[{"file":"${src.replace(/\//g, '\\/')}","type":"mp4","label":"720p"}],"image":"https:\\/\\/${VIDEO_CDN}\\/thumb\\/${id}.jpg","width":"100%","height":"100%"});</script>` }, label);
    }
    if (variant === 1) {
      const inner = EMBED_HOSTS.nestedInner;
      const src = videoFile(media, VIDEO_CDN);
      const innerUrl = htmlPage(inner.host, `/p/${id}`, look({ ...inner, lang: 'en', trackingId: 'G-CP0000002' }), { title: 'player', h1: '', description: '',
        player: `<video id="v" controls autoplay muted style="width:100%;height:100%"><source src="${src}" type="video/mp4"></video>` }, label);
      const e = EMBED_HOSTS.nested;
      return htmlPage(e.host, `/embed-${id}.html`, look({ ...e, lang: 'en', trackingId: 'G-SH0000003' }), { title: 'StreamHub', h1: '', description: '', player: `<iframe src="${innerUrl}" allowfullscreen></iframe>` }, label);
    }
    const e = EMBED_HOSTS.clappr;
    const src = videoFile(media, VIDEO_CDN);
    return htmlPage(e.host, `/e/${id}`, look({ ...e, lang: 'en', trackingId: 'G-MC0000004' }), { title: 'MixClip player', h1: '', description: '',
      player: `<script>var player = new Clappr.Player({ source: "${src}", parentId: "#player", width: "100%", height: "100%", autoPlay: false });</script>` }, label);
  };
  /** A player set up by script on the page itself (eight ways real sites do it). */
  const SCRIPTED_STYLES = ['jwplayer setup, escaped JSON', 'video.js data-setup', 'hls.js loadSource', 'Clappr source', 'Plyr player.source', 'jwplayer sources: [{file:}]', 'JSON-LD VideoObject', 'og:video'] as const;
  const scriptedPlayer = (media: VideoMediaId, host: string, i: number, embedUrl: () => string): { player: string; head?: string } => {
    const mp4 = () => videoFile(media, host);
    switch (i % 8) {
      case 0: return { player: `<div id="vplayer"></div><script src="/js/jwplayer.js"></script><script>jwplayer("vplayer").setup({"file":"${mp4().replace(/\//g, '\\/')}","image":"\\/poster.jpg","autostart":false});</script>` };
      case 1: return { player: `<video-js id="vjs" class="video-js vjs-big-play-centered" controls data-setup='{"fluid":true,"sources":[{"src":"${mp4()}","type":"video/mp4"}]}'></video-js><script src="/js/video.min.js"></script>` };
      case 2: return { player: `<video id="hlsv" controls></video><script src="/js/hls.min.js"></script><script>if(Hls.isSupported()){var hls=new Hls();hls.loadSource('${hlsPackage(media, host)}');hls.attachMedia(document.getElementById('hlsv'));}</script>` };
      case 3: return { player: `<div id="player"></div><script src="/js/clappr.min.js"></script><script>new Clappr.Player({source: '${mp4()}', parentId: '#player', poster: '/poster.jpg'});</script>` };
      case 4: return { player: `<video id="player" playsinline controls></video><script src="/js/plyr.js"></script><script>const player = new Plyr('#player'); player.source = { type: 'video', title: 'Episode', sources: [{ src: '${mp4()}', type: 'video/mp4', size: 720 }] };</script>` };
      case 5: return { player: `<div id="myElement"></div><script>var playerInstance = jwplayer("myElement"); var sources = [{ file: "${mp4()}", label: "HD" }, { file: "${mp4()}", label: "SD" }]; playerInstance.setup({ sources: sources, width: "100%", aspectratio: "16:9" });</script>` };
      case 6: {
        const ld = { '@context': 'https://schema.org', '@type': 'VideoObject', name: 'Episode', thumbnailUrl: url(host, '/poster.jpg'), uploadDate: '2026-03-07', contentUrl: mp4(), embedUrl: embedUrl() };
        return { head: `<script type="application/ld+json">${JSON.stringify(ld)}</script>`, player: '<div class="player-placeholder">Loading player…</div>' };
      }
      default: return { head: `<meta property="og:type" content="video.episode"><meta property="og:video" content="${mp4()}"><meta property="og:video:type" content="video/mp4"><meta property="og:video:width" content="1280">`, player: '<div id="player" class="player-loading"></div><script src="/js/player.bundle.js" defer></script>' };
    }
  };
  const hlsPlayer = (fam: Family, master: string, i: number): string => {
    if (i % 3 === 1) return `<video-js id="hls-player" class="video-js" controls preload="auto"><source src="${master}" type="application/x-mpegURL"></video-js>`;
    if (i % 3 === 2) return `<video id="v" class="lazy" data-src="${master}" controls></video>`;
    return fam === 'aggregator' ? `<video width="720" controls src="${master}"></video>` : `<video controls><source src="${master}" type="application/x-mpegURL"></video>`;
  };

  // ---- one labelled item (leak or decoy) per kind ----
  const video = (episode: 1 | 2, genuine: boolean): VideoMediaId => (genuine ? pick(LEAK_VIDEOS[episode]) : pick(OTHER_VIDEOS));
  const sitesFor = (kind: PageKind) => PIRATE_SITES.filter((s) => s.kinds.includes(kind));
  const videoContent: ContentId = 'moonlit-harbor-s01';
  const comicContent: ContentId = 'star-courier-webtoon';

  const makeItem = (kind: PageKind, i: number, genuine: boolean, def: SiteDef, opts: { onHop?: string } = {}): void => {
    const s = look(def);
    const lang = def.lang;
    const t = TEXT[lang];
    const role = genuine ? 'leak' : 'decoy';
    const content = kind === 'comic' ? comicContent : videoContent;
    const label: PageLabel = { role, kind, content, family: def.family, lang };
    const episode = ((i % 2) + 1) as 1 | 2;
    const title = titleOf(content, lang);
    const ep = pick(t.episode)(episode);
    const first = Math.floor(r() * t.offer.length);
    const offer = `${t.offer[first]} ${t.offer[(first + 1 + Math.floor(r() * (t.offer.length - 1))) % t.offer.length]}`;
    let variant = '';
    const id = code();
    const watchPath = def.family === 'aggregator' ? `/ver.php?id=${id}` : def.family === 'dooplay' ? `/episodes/${slug(o.contents[content].title)}-1x${episode}-${id}/` : `/watch/${slug(o.contents[content].title)}-episode-${episode}-${id}`;
    const desc = `${title} ${ep} ${offer}. ${t.ui.server} 1 · ${t.ui.server} 2 · ${t.ui.download}`;
    const add = (path: string, parts: PageParts, aliases: string[] = []) => {
      const u = htmlPage(def.host, path, s, parts, label, { aliases, variant, ...(opts.onHop ? { onHop: opts.onHop } : {}) });
      listOn(def.host, s, u, parts.h1 || parts.title);
    };
    const media = video(episode, genuine);
    switch (kind) {
      case 'stream': {
        const src = videoFile(media, i % 2 === 0 ? def.host : `cdn.${def.host}`);
        variant = lazy(i) ? 'video data-src (lazy)' : def.family === 'animestream' ? 'video src' : 'video > source';
        add(watchPath, { title: `${title} ${ep} ${offer} - ${def.name}`, h1: `${title} ${ep}`, description: desc, player: streamPlayer(def.family, src, i) });
        return;
      }
      case 'iframe': {
        variant = `${def.family === 'animestream' ? 'lazy iframe' : 'iframe'} → ${['jwplayer embed', 'nested iframe → video', 'Clappr embed'][i % 3]}`;
        add(watchPath, { title: `${title} ${ep} - ${def.name}`, h1: `${title} ${ep}`, description: desc, player: iframeTag(def.family, embedPage(media, content, i)) });
        return;
      }
      case 'scripted': {
        const p = scriptedPlayer(media, `cdn.${def.host}`, i, () => embedPage(media, content, i));
        variant = SCRIPTED_STYLES[i % SCRIPTED_STYLES.length]!;
        add(watchPath, { title: `${title} ${ep} ${offer}`, h1: `${title} ${ep}`, description: desc, player: p.player, ...(p.head ? { head: p.head } : {}) });
        return;
      }
      case 'hls': {
        const master = hlsPackage(media, i % 2 === 0 ? VIDEO_CDN : `cdn.${def.host}`, i % 4 !== 3);
        variant = `${['video > source', 'video-js > source', 'video data-src (lazy)'][i % 3]}, master ${i % 4 !== 3 ? '.m3u8' : 'without extension'}`;
        add(watchPath, { title: `${title} ${ep} ${offer} HD`, h1: `${title} ${ep}`, description: desc, player: hlsPlayer(def.family, master, i) });
        return;
      }
      case 'misspelled': {
        const how = DISGUISES[i % DISGUISES.length]!;
        const bent = disguise(o.contents[content].title, how, ROMANIZED[content]);
        const src = videoFile(media, def.host);
        variant = how;
        const player = `<video controls preload="none" poster="/assets/poster-${id}.jpg"><source src="${src}" type="video/mp4"></video>`;
        const neutral = `/watch/ep-${episode}-${id}`;
        if (how === 'alt-only') add(neutral, { title: `${ep} - ${t.ui.episodes} - ${def.name}`, h1: ep, description: offer, player: `<img class="cover" src="/assets/cover-${id}.jpg" alt="${html.esc(`${bent} ${ep}`)}">${player}` });
        else if (how === 'link-only') add(neutral, { title: `${ep} ${offer}`, h1: ep, description: offer, player, extra: `<p class="crumbs"><a href="/">${t.ui.home}</a> › <a href="/series/${id}">${html.esc(bent)}</a></p>` });
        else if (how === 'title-only') add(neutral, { title: `${bent} ${ep} ${offer}`, h1: ep, description: offer, player });
        else add(neutral, { title: `${bent} ${ep} ${offer}`, h1: `${bent} ${ep}`, description: `${bent} ${ep}. ${offer}`, player });
        return;
      }
      case 'link-list': {
        const targets = [embedPage(media, content, i), embedPage(media, content, i + 1), lockerFile(media, content, episode, i, genuine, lockers[i % lockers.length]!, true)];
        const official = OFFICIAL[1]!;
        const rows = targets.map((href, n) => ({ href, server: ['VidPlay', 'StreamHub', 'UploadBox', 'MixClip'][n]!, quality: n === 2 ? '1080p' : '720p' }));
        const legal = `<p class="legal">${t.ui.watchLegally} <a href="${url(official.host, '/series/moonlit-harbor')}">${official.name}</a></p>`;
        let extra: string;
        if (def.family === 'dooplay') extra = `<div id="download" class="sbox fixidtab"><h2>Links</h2><div class="links_table"><div class="fix-table"><table><thead><tr><th>Options</th><th>Server</th><th>Quality</th><th>Language</th></tr></thead><tbody>${rows.map((x, n) => `<tr id="link-${n}"><td><a href="${x.href}" target="_blank" rel="nofollow">${t.ui.server} ${n + 1}</a></td><td><img src="/assets/servers/${slug(x.server)}.png" alt=""> ${x.server}</td><td><strong class="quality">${x.quality}</strong></td><td>${lang}</td></tr>`).join('')}</tbody></table></div></div></div>${legal}`;
        else if (def.family === 'animestream') extra = `<div class="eplister"><ul>${rows.map((x, n) => `<li><a href="${x.href}"><div class="epl-num">${episode}</div><div class="epl-title">${html.esc(`${title} ${ep}`)}</div><div class="epl-sub"><span class="status">${x.server}</span></div><div class="epl-date">${n + 1}</div></a></li>`).join('')}</ul></div>${legal}`;
        else extra = `<table class="links" border="1"><tr><th>${t.ui.server}</th><th>Link</th><th>Calidad</th></tr>${rows.map((x) => `<tr><td>${x.server}</td><td><a href="${x.href}" target="_blank">${x.href.replace(/^https?:\/\//, '').slice(0, 28)}…</a></td><td>${x.quality}</td></tr>`).join('')}</table>${legal}`;
        variant = 'links to embeds and a locker';
        add(`/series/${slug(o.contents[content].title)}-${lang}-${id}/`, { title: `${title} ${t.ui.episodes} ${offer}`, h1: `${title} – ${t.ui.episodes}`, description: `${title} ${ep} ${offer}`, extra });
        return;
      }
      case 'locker': {
        const u = lockerFile(media, content, episode, i, genuine, def);
        listOn(def.host, s, u, 'file');
        return;
      }
      case 'torrent': {
        const rel = releaseName(o.contents[content].title, episode);
        const other = releaseName(otherTitle(), episode);
        const tracker = 'udp://tracker.opentrackr.org:1337/announce';
        const files = genuine
          ? (i % 3 === 0 ? Array.from({ length: 10 }, (_, n) => ({ path: [`${releaseName(o.contents[content].title, n + 1)}.mkv`], length: 1_400_000_000 + n * 13_000_017 })) : [{ path: [`${rel}.mkv`], length: 1_402_331_118 + i * 7919 }])
          : (i % 2 === 0 ? [{ path: [`${other}.mkv`], length: 1_380_110_432 }] : [{ path: [`${rel}.mkv`], length: 48_213 }, { path: ['Codec.Installer.exe'], length: 2_113_536 }]);
        variant = genuine ? (files.length > 1 ? 'season pack' : 'single file') : (i % 2 === 0 ? 'files of another title' : 'implausible size + .exe');
        const folder = files.length > 1 ? `${o.contents[content].title.replace(/ /g, '.')}.S01.1080p.WEB-DL.x264-NTb` : rel;
        const t0 = makeTorrent(folder, files, tracker);
        const torrentPath = `/download/${t0.infohash}.torrent`;
        route(def.host, torrentPath, { kind: 'bytes', type: 'application/x-bittorrent', bytes: t0.bytes }, 'always', { headers: { 'content-disposition': `attachment; filename="${folder}.torrent"` } });
        const shownTitle = def.family === 'indexer-nyaa' ? `[SubsPlease] ${titleOf(content, 'ja')} - 0${episode} (1080p) [${t0.infohash.slice(0, 8).toUpperCase()}]` : `${rel.replace(/\./g, ' ')}`;
        const links = `<li><a class="torrentdown1" href="${t0.magnet}"><span class="icon"><i class="flaticon-magnet"></i></span><span>Magnet Download</span></a></li><li><a class="torrentdown2" href="${url(def.host, torrentPath)}"><span>Torrent Download</span></a></li>`;
        const fileList = def.family === 'indexer-nyaa' ? `<div class="torrent-file-list panel-body"><ul>${files.map((f) => `<li><i class="fa fa-file"></i>${html.esc(f.path.join('/'))} <span class="file-size">(${(f.length / 2 ** 20).toFixed(1)} MiB)</span></li>`).join('')}</ul></div>` : '';
        add(`/torrent/${1000 + i}/${slug(shownTitle)}/`, { title: `${shownTitle} Torrent | ${def.name}`, h1: shownTitle, description: `${shownTitle}. Seeders ${40 + i} · Leechers ${3 + (i % 7)} · ${pick(t.offer)}`, player: fileList, extra: links }, [url(def.host, torrentPath), t0.magnet]);
        return;
      }
      case 'comic': {
        const pagesOf: readonly ImageMediaId[] = genuine ? ['sc-p1', 'sc-p2', 'sc-p3', 'sc-p4'] : ['oc-p1', 'oc-p2', 'oc-p3'];
        const strips: readonly ImageMediaId[] = genuine ? ['sc-strip-a', 'sc-strip-b'] : ['oc-strip'];
        const host = i % 2 === 0 ? IMAGE_CDN : `img.${def.host}`;
        const useStrips = i % 3 !== 1;
        const lazyForm = def.family === 'madara' ? (i % 2 === 0 ? 'img data-src' : 'img data-lazy-src') : def.family === 'mangareader' ? 'ts_reader script' : 'img src';
        variant = `${useStrips ? 'stacked strips' : 'one page per image'}, ${lazyForm}`;
        const imgs = (useStrips ? strips : pagesOf).map((m) => imageFile(m, host));
        const chapter = t.chapter(1);
        let player: string;
        if (def.family === 'madara') player = imgs.map((src, n) => (i % 2 === 0 ? `<div class="page-break no-gaps"><img id="image-${n}" data-src="${src}" src="/wp-content/themes/madara/images/dflazy.jpg" class="wp-manga-chapter-img"></div>` : `<div class="page-break"><img id="image-${n}" data-lazy-src="${src}" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" class="wp-manga-chapter-img lazyload"></div>`)).join('');
        else if (def.family === 'mangareader') player = `<script>ts_reader.run({"prevUrl":"","nextUrl":"","mode":"full","sources":[{"source":"Server 1","images":${JSON.stringify(imgs)}}],"lazyload":true});</script><noscript><p>Enable JavaScript to read.</p></noscript>`;
        else player = `<div id="vungdoc">${imgs.map((src, n) => `<img src="${src}" alt="${html.esc(`${title} ${chapter} page ${n + 1}`)}" title="${n + 1}">`).join('<br>')}</div>`;
        const path = def.family === 'aggregator' ? `/doc.php?manga=${id}&chap=1` : `/manga/${slug(o.contents[content].title)}-${id}/chapter-1/`;
        add(path, { title: `${title} ${chapter} ${pick(t.offer)} - ${def.name}`, h1: `${title} ${chapter}`, description: `${t.ui.latest}: ${title} ${chapter}. ${pick(t.offer)}`, player });
        return;
      }
    }
  };

  // ---- lockers: file pages, soft 404s, public listings ----
  const lockers = sitesFor('locker');
  /** A locker file page; `carrier` when a link list points at it (then it is not one of the locker kind's items). */
  const lockerFile = (media: VideoMediaId, content: ContentId, episode: 1 | 2, i: number, genuine: boolean, def: SiteDef, carrier = false): string => {
    const s = look(def);
    const label: PageLabel = carrier ? { role: 'carrier', content, genuine } : { role: genuine ? 'leak' : 'decoy', kind: 'locker', content, family: def.family, lang: def.lang };
    const name = `${releaseName(o.contents[content].title, episode, i % 2 ? '720p.HDTV' : '1080p.WEB-DL')}.mp4`;
    const id = code();
    const size = `${(380 + i * 3.7).toFixed(1)} MB`;
    if (def.family === 'xfilesharing') {
      const direct = i % 2 === 0 ? videoFile(media, `dl${1 + (i % 3)}.${def.host}`) : (() => { const p = `/d/${id}?token=${code()}`; route(def.host, p, { kind: 'media', media, type: 'application/octet-stream' }, 'always', { headers: { 'content-disposition': `attachment; filename="${name}"` } }); return url(def.host, p); })();
      return htmlPage(def.host, `/${id}/${name}.html`, s, { title: `Download ${name} - ${def.name}`, h1: name, description: `Size: ${size} · Uploaded: 2026-03-0${episode + 6}`,
        extra: `<a class="btn btn-primary btn-lg btn-download" href="${direct}">Download File</a><p class="small">Free download speed 500 kb/s. <a href="/premium.html">Go premium</a></p>` }, label, { variant: i % 2 === 0 ? 'direct .mp4 link' : 'download link without extension' });
    }
    if (def.family === 'locker-spa') {
      const p = `/dl/${id}/${code()}`;
      route(`store${1 + (i % 4)}.${def.host}`, p, { kind: 'media', media, type: 'video/mp4' }, 'always', { headers: { 'content-disposition': `attachment; filename="${name}"` } });
      const link = url(`store${1 + (i % 4)}.${def.host}`, p);
      return htmlPage(def.host, `/d/${id}`, s, { title: `${name} | ${def.name}`, h1: name, description: size,
        head: `<script>window.__FILE__ = ${JSON.stringify({ id, name, size, mime: 'video/mp4', directLink: link }).replace(/\//g, '\\/')};</script>`,
        extra: `<button id="dl-btn" class="btn-download" data-href="${link}">Download</button>` }, label, { variant: 'link in script JSON and data-href' });
    }
    // The download is behind the uploader's password; only the stream page is open.
    htmlPage(def.host, `/file/${id}/pass`, s, { title: `${name} - ${def.name}`, h1: name, description: 'Archivo protegido con contraseña', extra: `<form method="post"><input type="password" name="password"><button>Descargar</button></form>` }, { role: 'chrome' });
    const streamUrl = htmlPage(def.host, `/stream/${id}`, s, { title: `${name} - stream`, h1: name, description: 'Streaming', player: `<video controls src="${videoFile(media, def.host)}"></video>` }, { role: 'carrier', content, genuine });
    return htmlPage(def.host, `/file/${id}`, s, { title: `${name} - ${def.name}`, h1: name, description: `Tamaño: ${size}`, extra: `<a href="${streamUrl}">Ver online / Stream</a> · <a href="/file/${id}/pass">Descargar</a>` }, label, { variant: 'stream page behind a link' });
  };
  const softNotFound = (def: SiteDef, content: ContentId, n: number): string => {
    const name = `${releaseName(o.contents[content].title, 3 + n)}.mp4`;
    const id = code();
    const path = def.family === 'xfilesharing' ? `/${id}/${name}.html` : def.family === 'locker-spa' ? `/d/${id}` : `/file/${id}`;
    return htmlPage(def.host, path, look(def), { title: `File Not Found - ${def.name}`, h1: 'File Not Found', description: `The file you were looking for could not be found, sorry for any inconvenience. Possible causes: the file was deleted by its owner or because of a copyright holder request (DMCA). ${name}` }, { role: 'soft-404', family: def.family });
  };

  // ---- the labelled items ----
  const leaks = o.leaksPerKind ?? 12;
  const decoys = o.decoysPerKind ?? 4;
  for (const kind of PAGE_KINDS) {
    const on = sitesFor(kind);
    for (let i = 0; i < leaks; i += 1) makeItem(kind, i, true, on[i % on.length]!);
    for (let i = 0; i < decoys; i += 1) makeItem(kind, leaks + i, false, on[(i * 2 + 1) % on.length]!);
  }
  for (const def of lockers) for (let n = 0; n < 2; n += 1) listOn(def.host, look(def), softNotFound(def, videoContent, n), 'file');

  // ---- sites that move without a redirect ----
  const hops: Corpus['hops'] = [];
  for (const [m, move] of MOVES.entries()) {
    const def = move.site;
    webSite(def, true);
    const s = look(def);
    // Round 1: the old domain is alive (its template, favicon and trackers are learned); round 2: it is gone.
    favicon(def.host, def.faviconSeed, 'before');
    const before = ['Harbor Lights', 'Silver Coast'].map((other, n) => htmlPage(def.host, `/watch/${slug(other)}-${n + 1}`, s, { title: `${other} Episode ${n + 1} watch free`, h1: `${other} Episode ${n + 1}`, description: 'eng sub · free streaming', player: streamPlayer(def.family, url(def.host, `/v/${n}.mp4`), 0) }, { role: 'chrome' }, { epoch: 'before' }));
    for (const b of before) listOn(def.host, s, b, 'episode', 'before');
    const moved: SiteDef = { ...def, host: move.to };
    favicon(move.to, def.faviconSeed, 'after');
    makeItem('stream', 100 + m, true, moved, { onHop: move.to });
    makeItem('scripted', 100 + m, true, moved, { onHop: move.to });
    hops.push({ siteId: def.id, from: def.host, to: move.to, how: move.how });
  }

  // A link list that also names the numbered new domain of a moved site (the hop leaves no redirect).
  const numbered = MOVES.find((m) => m.how === 'link-list link')!;
  const dooflix = PIRATE_SITES[0]!;
  htmlPage(dooflix.host, '/mirrors/', look(dooflix), { title: 'Mirror sites', h1: 'Mirrors and partner sites', description: 'If a site is blocked, try a mirror.', extra: `<table class="links"><tr><td><a href="${url(numbered.to, '/')}">${numbered.site.name} (new)</a></td></tr></table>` }, { role: 'chrome' });
  listOn(dooflix.host, look(dooflix), url(dooflix.host, '/mirrors/'), 'Mirrors');
  // ---- home pages: every pirate host lists what it holds ----
  for (const [host, h] of home) {
    const listed: PageLabel = { role: 'listing', content: [...PIRATE_SITES, ...MOVES.map((m) => m.site)].some((d) => d.host === host && d.kinds.includes('comic')) ? comicContent : videoContent };
    const items = h.links.map((l) => `<li class="item"><a class="title" href="${l.href}">${html.esc(l.text)}</a></li>`).join('');
    const ui = TEXT[h.look.lang as Lang];
    // The menu's pages (families.ts) exist too, as on a live site: listings of the same items.
    for (const path of ['/', ...NAV_PATHS[h.look.family]]) {
      htmlPage(host, path, h.look, { title: `${h.look.name} - ${ui.ui.latest}`, h1: ui.ui.latest, description: ui.offer.join(' · '), extra: `<ul class="list">${items}</ul>` }, listed, { epoch: h.epoch });
    }
  }
  // ---- forum thread and mirror-status page naming the new domains ----
  const forumLook = look(FORUM);
  const linked = MOVES.find((m) => m.how === 'forum link')!;
  const posts = [
    `<article class="message"><div class="message-userContent"><p>${linked.site.name} is down again, they moved to <a href="${url(linked.to, '/')}" class="link link--external" rel="nofollow ugc noopener">${linked.to}</a> (same site, same uploads).</p></div></article>`,
    '<article class="message"><div class="message-userContent"><p>thanks! works for me, eng subs are up already</p></div></article>',
  ].join('');
  favicon(FORUM.host, FORUM.faviconSeed);
  const thread = htmlPage(FORUM.host, '/threads/drama-streaming-sites-status.4412/', forumLook, { title: 'Drama streaming sites status | WarezForum', h1: 'Drama streaming sites status', description: '', extra: posts }, { role: 'chrome' });
  htmlPage(FORUM.host, '/', forumLook, { title: 'WarezForum', h1: 'Forums', description: '', extra: `<div class="node"><a href="${thread}">Drama streaming sites status</a></div>` }, { role: 'chrome' });
  sites.push({ id: FORUM.id, spec: { type: 'piracy', category: 'forum', domains: [FORUM.host], sources: [{ type: 'web', url: url(FORUM.host, '/'), depth: 2, maxPages: 50 }] } });
  const mentioned = MOVES.find((m) => m.how === 'plain-text mention')!;
  const status = look(MIRROR_STATUS);
  // The new domain as plain text with its port (written the way such pages do: no link, only the name).
  const mention = o.origin(mentioned.to).replace(/^https?:\/\//, '');
  htmlPage(MIRROR_STATUS.host, '/', status, { title: 'Mirror Status — official mirrors', h1: 'Official mirrors', description: '', extra: `<div class="tgme_widget_message_text">📢 ${mentioned.site.name} new domain: ${mention} — old ${mentioned.site.host} is dead. Bookmark it!</div>` }, { role: 'chrome' });
  sites.push({ id: MIRROR_STATUS.id, spec: { type: 'piracy', category: 'social', domains: [MIRROR_STATUS.host], sources: [{ type: 'web', url: url(MIRROR_STATUS.host, '/'), depth: 1, maxPages: 10 }] } });

  // ---- official services: the titles, legally (allow-listed: never a finding) ----
  const officialUrls: string[] = [];
  for (const svc of OFFICIAL) {
    const s: SiteLook = { name: svc.name, lang: svc.lang, family: 'official', trackingId: 'G-OFFICIAL01', favicon: '/favicon.ico' };
    const content: ContentId = svc.id === 'starcourier-official' ? comicContent : videoContent;
    for (let n = 1; n <= 2; n += 1) {
      const title = o.contents[content].localizedTitles?.find((l) => l.lang === svc.lang)?.title ?? o.contents[content].title;
      const player = content === comicContent
        ? ['sc-p1', 'sc-p2'].map((m) => `<img src="${imageFile(m as ImageMediaId, svc.host)}" alt="${html.esc(title)}">`).join('')
        : `<video controls src="${videoFile(LEAK_VIDEOS[n as 1 | 2][0]!, svc.host)}"></video>`;
      officialUrls.push(htmlPage(svc.host, n === 1 ? '/series/moonlit-harbor' : `/watch/${slug(o.contents[content].title)}/episode-${n}`, s,
        { title: `${title} ${TEXT[svc.lang].episode[0]!(n)} – watch now | ${svc.name}`, h1: `${title} ${TEXT[svc.lang].episode[0]!(n)}`, description: `Watch ${title} free with your trial, in HD, with subtitles.`, player }, { role: 'official', content, service: svc.id }));
    }
  }
  for (const svc of OFFICIAL) sites.push({ id: svc.id, spec: { type: 'legitimate', category: 'official', domains: svc.domains } });

  // ---- a search API that returns official and pirate pages alike ----
  const pirateSample = pages.filter((p) => p.label.role === 'leak' && (p.label.kind === 'stream' || p.label.kind === 'misspelled')).slice(0, 4).map((p) => p.url);
  const results = [...officialUrls, ...pirateSample].map((u, n) => ({ url: u, title: n < officialUrls.length ? `${o.contents[videoContent].title} – official` : `${o.contents[videoContent].title} watch free`, snippet: 'Watch online' }));
  route(SEARCH_HOST, '/v1/search', textBody('application/json', JSON.stringify({ results })));
  sites.push({ id: 'search-api', spec: { type: 'piracy', category: 'search', domains: [SEARCH_HOST], sources: [{ type: 'search', url: url(SEARCH_HOST, '/v1/search') }] } });

  // Library stubs the pages load (a browser would fetch them; a crawler may).
  for (const host of new Set(routes.map((x) => x.host))) {
    // A dead domain keeps dying: its stubs go with its other routes.
    const epoch: Epoch = routes.every((x) => x.host !== host || x.epoch === 'before') ? 'before' : 'always';
    for (const js of ['/js/jwplayer.js', '/js/hls.min.js', '/js/clappr.min.js', '/js/video.min.js', '/js/plyr.js', '/js/player.bundle.js', '/js/jwplayer-8.26.js']) route(host, js, textBody('application/javascript', '/* player library */'), epoch);
  }

  return { seed, routes, pages, sites, hops };
}

