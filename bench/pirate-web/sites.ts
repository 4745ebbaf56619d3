import type { SiteSpec } from '../../core/catalog/types.js';
import type { Family } from './families.js';
import type { PageKind } from './labels.js';
import type { Lang } from './text.js';

/**
 * The web the corpus plays: pirate streaming sites in three markup families and seven languages,
 * cyberlockers, torrent indexers, comic readers, embed hosts that only appear inside iframes, a
 * forum and a mirror-status page, a search API, and the official services that carry the titles
 * legally. Three sites die between round 1 and round 2 and come back under a new domain that no
 * redirect points at.
 */

export interface SiteDef {
  id: string;
  host: string;
  name: string;
  family: Family;
  lang: Lang;
  category: NonNullable<SiteSpec['category']>;
  /** The labelled kinds this site carries pages of. */
  kinds: readonly PageKind[];
  trackingId: string;
  adClient?: string;
  /** A family of sites shares its favicon bytes and template. */
  faviconSeed: string;
}

const VIDEO_KINDS: readonly PageKind[] = ['stream', 'iframe', 'scripted', 'hls', 'misspelled', 'link-list'];

const site = (id: string, host: string, name: string, family: Family, lang: Lang, category: SiteDef['category'], kinds: readonly PageKind[], trackingId: string, adClient?: string): SiteDef =>
  ({ id, host, name, family, lang, category, kinds, trackingId, ...(adClient ? { adClient } : {}), faviconSeed: id });

export const PIRATE_SITES: readonly SiteDef[] = [
  site('dooflix', 'dooflix.to', 'DooFlix', 'dooplay', 'en', 'streaming', VIDEO_KINDS, 'G-DF7K2M9Q1', 'ca-pub-4412093857710231'),
  site('phimmoihd', 'phimmoihd.net', 'PhimMoi HD', 'dooplay', 'vi', 'streaming', VIDEO_KINDS, 'G-PM3V8X2L0'),
  site('cimaflix', 'cimaflix-hd.cam', 'CimaFlix', 'dooplay', 'ar', 'streaming', VIDEO_KINDS, 'UA-88123401-3'),
  site('aniwatch', 'aniwatchtv.cc', 'AniWatch', 'animestream', 'ja', 'streaming', VIDEO_KINDS, 'G-AW5R1T7Y3'),
  site('dramakr', 'dramakr.tv', 'DramaKR', 'animestream', 'ko', 'streaming', VIDEO_KINDS, 'G-DK9H4J6N2', 'ca-pub-9001236655441207'),
  site('seriesgratis', 'seriesgratis.net', 'Series Gratis', 'aggregator', 'es', 'streaming', VIDEO_KINDS, 'UA-51029384-1'),
  site('filmeshd', 'filmeshd.top', 'Filmes HD', 'aggregator', 'pt', 'streaming', VIDEO_KINDS, 'G-FH2B6C8D4'),
  site('uploadbox', 'uploadbox.cc', 'UploadBox', 'xfilesharing', 'en', 'cyberlocker', ['locker'], 'G-UB1X2C3V4'),
  site('filedrop', 'filedrop.io', 'FileDrop', 'locker-spa', 'en', 'cyberlocker', ['locker'], 'G-FD5N6M7Q8'),
  site('sharefile', 'sharefile.ws', 'ShareFile', 'locker-plain', 'es', 'cyberlocker', ['locker'], 'UA-7712094-9'),
  site('torrentking', 'torrentking.to', 'TorrentKing', 'indexer-1337', 'en', 'torrent', ['torrent'], 'G-TK4L5P6Z7'),
  site('nyaamirror', 'nyaa-mirror.si', 'Nyaa Mirror', 'indexer-nyaa', 'ja', 'torrent', ['torrent'], 'G-NY8W9E0R1'),
  site('torrenteshd', 'torrenteshd.net', 'Torrentes HD', 'aggregator', 'pt', 'torrent', ['torrent'], 'UA-3301987-2'),
  site('mangafreak', 'mangafreak.cc', 'MangaFreak', 'madara', 'en', 'comics', ['comic'], 'G-MF3G4H5J6'),
  site('manhwaraw', 'manhwaraw.net', 'Manhwa Raw', 'mangareader', 'ko', 'comics', ['comic'], 'G-MR7K8L9A0'),
  site('truyenhd', 'truyenhd.com', 'Truyện HD', 'aggregator', 'vi', 'comics', ['comic'], 'UA-6640021-5'),
  site('mangases', 'mangas-es.net', 'Mangas ES', 'mangareader', 'es', 'comics', ['comic'], 'G-ME1S2D3F4'),
  site('rawkuma', 'rawkuma-jp.com', 'RawKuma', 'madara', 'ja', 'comics', ['comic'], 'G-RK5T6Y7U8'),
];

/** Hosts reached only through iframes and links: players and the CDNs behind them. */
export const EMBED_HOSTS = {
  jw: { host: 'vidplay.site', name: 'VidPlay', family: 'embed-jw' as const },
  nested: { host: 'streamhub.live', name: 'StreamHub', family: 'embed-nested' as const },
  nestedInner: { host: 'cdn-player.xyz', name: 'Player', family: 'embed-jw' as const },
  clappr: { host: 'mixclip.club', name: 'MixClip', family: 'embed-clappr' as const },
};
export const VIDEO_CDN = 's3.vcdn-stream.xyz';
export const IMAGE_CDN = 'img.mangacdn.xyz';

/** Sites that die after round 1; their new domain is only mentioned elsewhere. */
export const MOVES = [
  { site: site('kissdrama', 'kissdrama.to', 'KissDrama', 'dooplay', 'en', 'streaming', ['stream', 'scripted'], 'G-KD1A2S3D4', 'ca-pub-1187230045512908'), to: 'kissdrama.se', how: 'plain-text mention' as const },
  { site: site('watchasian', 'watchasian12.cc', 'WatchAsian', 'animestream', 'en', 'streaming', ['stream', 'scripted'], 'G-WA5F6G7H8'), to: 'watchasian13.cc', how: 'link-list link' as const },
  { site: site('dramanice', 'dramanice.to', 'DramaNice', 'aggregator', 'en', 'streaming', ['stream', 'scripted'], 'UA-2200418-7'), to: 'nicedrama.net', how: 'forum link' as const },
];

export const FORUM = site('piracyforum', 'warezforum.cc', 'WarezForum', 'forum', 'en', 'forum', [], 'G-WF9J0K1L2');
export const MIRROR_STATUS = site('mirrorstatus', 'mirrorstatus.page', 'Mirror Status', 'forum', 'en', 'social', [], 'G-MS3Z4X5C6');
export const SEARCH_HOST = 'search.example';

/** Legitimate services (allow-listed): the titles are there, legally. */
export const OFFICIAL = [
  { id: 'harbor-official', host: 'watch.harborpictures.example', domains: ['watch.harborpictures.example', 'harborpictures.example'], name: 'Harbor Pictures', lang: 'en' as Lang },
  { id: 'harborplus', host: 'harborplus.tv', domains: ['harborplus.tv'], name: 'HarborPlus', lang: 'ko' as Lang },
  { id: 'starcourier-official', host: 'starcourier-comics.com', domains: ['starcourier-comics.com'], name: 'Star Courier Comics', lang: 'en' as Lang },
];
