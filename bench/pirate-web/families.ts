/**
 * The markup families pirate sites are built from: the same few WordPress themes, Bootstrap
 * templates, PHP scripts and locker/indexer/reader scripts, re-skinned per site. Each family is a
 * page shell; the generator fills its slots (player, description, extra blocks). A site keeps its
 * family, tracking ids and favicon wherever it moves, as real ones do.
 */

export const FAMILIES = [
  'dooplay', 'animestream', 'aggregator', 'madara', 'mangareader',
  'xfilesharing', 'locker-spa', 'locker-plain', 'indexer-1337', 'indexer-nyaa',
  'embed-jw', 'embed-nested', 'embed-clappr', 'forum', 'official',
] as const;
export type Family = (typeof FAMILIES)[number];

export interface SiteLook {
  name: string;
  lang: string;
  family: Family;
  trackingId: string;
  adClient?: string;
  favicon: string;
}

export interface PageParts {
  title: string;
  h1: string;
  description: string;
  player?: string;
  extra?: string;
  head?: string;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
export const html = { esc };

function trackers(site: SiteLook): string {
  return `<script async src="https://www.googletagmanager.com/gtag/js?id=${site.trackingId}"></script>
<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}gtag('js',new Date());gtag('config','${site.trackingId}');</script>
${site.adClient ? `<script async src="https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js?client=${site.adClient}" crossorigin="anonymous"></script>` : ''}`;
}

const dir = (lang: string) => (lang === 'ar' ? ' dir="rtl"' : '');

const SHELLS: Record<Family, (site: SiteLook, p: PageParts) => string> = {
  dooplay: (s, p) => `<!DOCTYPE html><html lang="${s.lang}"${dir(s.lang)}><head><meta charset="UTF-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(p.title)}</title><link rel="icon" href="${s.favicon}" type="image/png">
<link rel='stylesheet' id='dooplay-css' href='/wp-content/themes/dooplay/assets/css/front.style.min.css?ver=2.5.5' type='text/css' media='all'>
<meta name="generator" content="WordPress 6.4.3">${p.head ?? ''}${trackers(s)}</head>
<body class="episodes-template-default single single-episodes"><div id="dt_contenedor"><header id="header" class="main"><div class="hbox"><div class="fix-hidden"><div class="logo"><a href="/"><img src="/wp-content/uploads/2024/01/logo.png" alt="${esc(s.name)}"></a></div>
<div class="head-main-nav"><ul id="main_header" class="main-header"><li class="menu-item"><a href="/">Home</a></li><li class="menu-item"><a href="/tvshows/">TV Shows</a></li><li class="menu-item"><a href="/episodes/">Episodes</a></li></ul></div></div></div></header>
<div id="contenedor"><div class="module"><div class="content right"><div id="single" class="dtsingle"><div id="playex" class="player_sist"><div class="playex"><div id="dooplay_player_response"><div id="dooplay_player_content">${p.player ?? ''}</div></div></div>
<div id="playeroptions" class="options"><ul id="playeroptionsul" class="ajax_mode"><li class="dooplay_player_option" data-type="tv" data-post="1" data-nume="1"><span class="title">Server 1</span><span class="server">premium</span></li></ul></div></div>
<div id="info" class="sbox"><h1 class="epih1">${esc(p.h1)}</h1><div itemprop="description" class="wp-content"><p>${esc(p.description)}</p></div></div>${p.extra ?? ''}</div></div>
<div class="sidebar right scrolling"><div class="dt_mainmeta"><div class="dtw_content">ads</div></div></div></div></div>
<footer class="main"><div class="fbox"><div class="copy">© ${esc(s.name)} — All files are hosted by third parties. DMCA</div></div></footer></div></body></html>`,

  animestream: (s, p) => `<!doctype html><html lang="${s.lang}"${dir(s.lang)}><head><meta charset="utf-8"><title>${esc(p.title)}</title>
<link href="https://cdn.jsdelivr.net/npm/bootstrap@5.3.2/dist/css/bootstrap.min.css" rel="stylesheet"><link rel="shortcut icon" href="${s.favicon}">${p.head ?? ''}${trackers(s)}</head>
<body class="bg-dark text-light"><nav class="navbar navbar-expand-lg navbar-dark bg-black"><div class="container"><a class="navbar-brand fw-bold" href="/">${esc(s.name)}</a>
<ul class="navbar-nav me-auto"><li class="nav-item"><a class="nav-link" href="/">Home</a></li><li class="nav-item"><a class="nav-link" href="/ongoing">Ongoing</a></li><li class="nav-item"><a class="nav-link" href="/schedule">Schedule</a></li></ul>
<form class="d-flex" action="/search"><input class="form-control" name="keyword" placeholder="Search"></form></div></nav>
<div class="container my-3"><div class="row"><div class="col-lg-9"><div class="card bg-secondary border-0"><div class="card-body"><div class="ratio ratio-16x9 bg-black" id="player-wrap">${p.player ?? ''}</div>
<div class="server-list mt-2"><span class="badge bg-primary">VidStreaming</span> <span class="badge bg-dark">StreamSB</span></div>
<h1 class="h4 mt-3">${esc(p.h1)}</h1><p class="text-muted small">${esc(p.description)}</p>${p.extra ?? ''}</div></div></div>
<div class="col-lg-3"><div class="list-group"><a class="list-group-item list-group-item-dark" href="/ongoing">Top airing</a></div></div></div></div>
<footer class="py-4 text-center small"><p>${esc(s.name)} does not store any files on its server. All contents are provided by non-affiliated third parties.</p></footer></body></html>`,

  aggregator: (s, p) => `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><title>${esc(p.title)}</title><link rel="icon" href="${s.favicon}">${p.head ?? ''}${trackers(s)}</head>
<body bgcolor="#101010" text="#dddddd"><center><table width="980" cellpadding="4" class="main"><tr><td class="logo"><a href="/index.php"><b>${esc(s.name)}</b></a></td></tr>
<tr><td class="nav"><a href="/index.php">Home</a> | <a href="/index.php?p=series">Series</a> | <a href="/index.php?p=top">Top</a></td></tr>
<tr><td class="box"><h2>${esc(p.h1)}</h2>${p.player ?? ''}<p class="desc">${esc(p.description)}</p>${p.extra ?? ''}</td></tr>
<tr><td class="foot"><small>${esc(s.name)} &copy; links are user submitted</small></td></tr></table></center></body></html>`,

  madara: (s, p) => `<!DOCTYPE html><html lang="${s.lang}"><head><meta charset="UTF-8"><title>${esc(p.title)}</title><link rel="icon" href="${s.favicon}">
<link rel='stylesheet' href='/wp-content/themes/madara/style.css?ver=1.7.3.5'>${p.head ?? ''}${trackers(s)}</head>
<body class="wp-manga-template-default single-chapter"><div class="wrap"><div class="body-wrap"><header class="site-header"><div class="c-header__top"><div class="wrap_branding"><a class="logo" href="/"><img src="/wp-content/uploads/logo.png" alt="${esc(s.name)}"></a></div>
<ul class="main-navbar"><li><a href="/">Home</a></li><li><a href="/manga/">Manga List</a></li></ul></div></header>
<div class="site-content"><div class="c-page-content"><div class="content-area"><div class="container"><div class="row"><div class="main-col col-md-12"><div class="entry-header"><ol class="breadcrumb"><li><a href="/">Home</a></li></ol><h1 id="chapter-heading">${esc(p.h1)}</h1></div>
<div class="reading-content">${p.player ?? ''}</div><div class="c-blog__content"><p>${esc(p.description)}</p></div>${p.extra ?? ''}</div></div></div></div></div></div>
<footer class="site-footer"><div class="copyright">© ${esc(s.name)}</div></footer></div></div></body></html>`,

  mangareader: (s, p) => `<!DOCTYPE html><html lang="${s.lang}"><head><meta charset="utf-8"><title>${esc(p.title)}</title><link rel="icon" href="${s.favicon}">
<link rel="stylesheet" href="/wp-content/themes/mangareader/style.css">${p.head ?? ''}${trackers(s)}</head>
<body class="darkmode"><div id="content" class="readercontent"><div class="wrapper"><div class="chaptertags"><p>${esc(p.description)}</p></div>
<div class="headpost"><h1 class="entry-title">${esc(p.h1)}</h1></div><div class="chnav ctop"><span class="selector slc"><select name="chapter"><option>Chapter</option></select></span></div>
<div id="readerarea" class="rdminimal">${p.player ?? ''}</div>${p.extra ?? ''}</div></div><footer id="footer"><div class="footercopyright">${esc(s.name)} — read manhwa online</div></footer></body></html>`,

  xfilesharing: (s, p) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(p.title)}</title><link rel="icon" href="${s.favicon}">
<link href="/assets/css/bootstrap.min.css" rel="stylesheet"><link href="/assets/css/xfs.css" rel="stylesheet">${p.head ?? ''}${trackers(s)}</head>
<body><div class="header"><div class="container"><a class="logo" href="/">${esc(s.name)}</a><ul class="nav"><li><a href="/?op=registration">Sign up</a></li><li><a href="/premium.html">Premium</a></li></ul></div></div>
<div class="container"><div class="row file-block"><div class="col-md-8"><div class="file-info"><h1 class="h3 file-name">${esc(p.h1)}</h1><p class="file-meta">${esc(p.description)}</p></div>${p.player ?? ''}</div>
<div class="col-md-4"><div class="download-box">${p.extra ?? ''}</div></div></div></div><div class="footer"><div class="container">© ${esc(s.name)} · <a href="/pages/dmca.html">DMCA</a> · <a href="/pages/tos.html">Terms</a></div></div></body></html>`,

  'locker-spa': (s, p) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(p.title)}</title><link rel="icon" href="${s.favicon}">
<meta name="viewport" content="width=device-width">${p.head ?? ''}${trackers(s)}</head><body><div id="app" data-v-app><div class="page page-file"><header class="topbar"><a class="brand" href="/">${esc(s.name)}</a></header>
<main class="file-card"><div class="file-title">${esc(p.h1)}</div><div class="file-sub">${esc(p.description)}</div>${p.player ?? ''}${p.extra ?? ''}</main></div></div></body></html>`,

  'locker-plain': (s, p) => `<html><head><title>${esc(p.title)}</title><link rel="icon" href="${s.favicon}">${p.head ?? ''}${trackers(s)}</head><body>
<div id="top"><a href="/">${esc(s.name)}</a> free file hosting</div><div id="file"><h3>${esc(p.h1)}</h3><div class="info">${esc(p.description)}</div>${p.player ?? ''}<div class="links">${p.extra ?? ''}</div></div>
<div id="bottom">Report abuse: abuse@${esc(s.name.toLowerCase())}</div></body></html>`,

  'indexer-1337': (s, p) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(p.title)}</title><link rel="icon" href="${s.favicon}">${p.head ?? ''}${trackers(s)}</head>
<body><header><div class="container"><div class="logo"><a href="/">${esc(s.name)}</a></div><form id="search-form" action="/search"><input name="q" type="search"></form></div></header>
<main class="container"><div class="row"><div class="page-content"><div class="box-info torrent-detail-page"><div class="box-info-heading clearfix"><h1>${esc(p.h1)}</h1></div>
<div class="torrent-detail clearfix">${p.player ?? ''}<ul class="download-links-dontblock btn-wrap-list">${p.extra ?? ''}</ul></div>
<div class="torrent-category-detail clearfix"><div class="tab-content"><div class="tab-pane active" id="description"><p>${esc(p.description)}</p></div></div></div></div></div></div></main>
<footer><p>${esc(s.name)} — torrent search engine</p></footer></body></html>`,

  'indexer-nyaa': (s, p) => `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${esc(p.title)}</title><link rel="shortcut icon" type="image/png" href="${s.favicon}">${p.head ?? ''}${trackers(s)}</head>
<body><nav class="navbar navbar-default navbar-static-top navbar-inverse"><div class="container"><a class="navbar-brand" href="/">${esc(s.name)}</a></div></nav>
<div class="container"><div class="panel panel-success"><div class="panel-heading"><h3 class="panel-title">${esc(p.h1)}</h3></div><div class="panel-body"><div class="row"><div class="col-md-1">Category:</div><div class="col-md-5"><a href="/?c=1_2">Anime - English-translated</a></div></div>${p.player ?? ''}</div>
<div class="panel-footer clearfix">${p.extra ?? ''}</div></div><div class="panel panel-default"><div class="panel-body" id="torrent-description">${esc(p.description)}</div></div></div></body></html>`,

  'embed-jw': (s, p) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(p.title)}</title><meta name="robots" content="noindex"><link rel="icon" href="${s.favicon}">${p.head ?? ''}
<style>html,body{margin:0;height:100%;background:#000}#vplayer{width:100%;height:100%}</style></head><body><div id="vplayer"></div>${p.player ?? ''}</body></html>`,

  'embed-nested': (s, p) => `<!DOCTYPE html><html><head><title>${esc(p.title)}</title><link rel="icon" href="${s.favicon}"><style>body{margin:0;background:#000}iframe{border:0;width:100%;height:100vh}</style>${p.head ?? ''}</head><body>${p.player ?? ''}</body></html>`,

  'embed-clappr': (s, p) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${esc(p.title)}</title><link rel="icon" href="${s.favicon}">
<script src="/js/clappr.min.js"></script>${p.head ?? ''}</head><body style="margin:0"><div id="player"></div>${p.player ?? ''}</body></html>`,

  forum: (s, p) => `<!DOCTYPE html><html lang="en" data-app="public"><head><meta charset="utf-8"><title>${esc(p.title)}</title><link rel="icon" href="${s.favicon}">${trackers(s)}</head>
<body data-template="thread_view"><div class="p-pageWrapper"><header class="p-header"><a class="p-header-logo" href="/">${esc(s.name)}</a></header>
<div class="p-body"><div class="p-title"><h1 class="p-title-value">${esc(p.h1)}</h1></div><div class="block-body js-replyNewMessageContainer">${p.extra ?? ''}</div></div>
<footer class="p-footer">${esc(s.name)} community</footer></div></body></html>`,

  official: (s, p) => `<!DOCTYPE html><html lang="${s.lang}"><head><meta charset="utf-8"><title>${esc(p.title)}</title><link rel="icon" href="${s.favicon}">${p.head ?? ''}</head>
<body><header class="site-header"><a href="/">${esc(s.name)}</a><a class="cta" href="/signup">Start your free trial</a></header><main><section class="hero"><h1>${esc(p.h1)}</h1><p>${esc(p.description)}</p></section>
<section class="player">${p.player ?? ''}</section>${p.extra ?? ''}</main><footer>© ${esc(s.name)}. All rights reserved. Terms · Privacy</footer></body></html>`,
};

export function renderPage(site: SiteLook, parts: PageParts): string {
  return SHELLS[site.family](site, parts);
}
