import { describe, expect, it } from 'vitest';
import { parseHtml } from '../../../runners/monitor/html.js';
import { scriptMedia } from '../../../runners/monitor/player-scripts.js';

const base = 'https://watch.example/ep/1';
const urls = (script: string) => scriptMedia(script, base).map((f) => `${f.role} ${f.url}`);

describe('player set-ups read from script text', () => {
  it('finds the media of jwplayer, hls.js, Clappr, Plyr and video.js set-ups', () => {
    expect(urls('jwplayer("p").setup({ playlist: [{ file: "https://cdn.example/v/1/master.m3u8", image: "/poster.jpg" }] })')).toEqual(['media https://cdn.example/v/1/master.m3u8']);
    expect(urls('var hls = new Hls(); hls.loadSource(\'//edge.example/live/abc\'); hls.attachMedia(video);')).toEqual(['media https://edge.example/live/abc']);
    expect(urls('new Clappr.Player({ source: "/stream/get?id=7", parentId: "#player" })')).toEqual(['media https://watch.example/stream/get?id=7']);
    expect(urls('player.source = { type: "video", sources: [{ src: "/media/ep1-720.mp4", type: "video/mp4", size: 720 }] };')).toEqual(['media https://watch.example/media/ep1-720.mp4']);
    expect(urls('videojs("v").src({ src: "https://cdn.example/d/ep1.mpd", type: "application/dash+xml" })')).toEqual(['media https://cdn.example/d/ep1.mpd']);
  });

  it('reads escaped and base64-hidden addresses, and a countdown\'s target', () => {
    expect(urls('var cfg = {"file":"https:\\/\\/cdn.example\\/x\\/index.m3u8"};')).toEqual(['media https://cdn.example/x/index.m3u8']);
    const hidden = Buffer.from('https://cdn.example/secret/ep1.mp4').toString('base64');
    expect(urls(`var u = atob("${hidden}"); player.setup({ file: u });`)).toContain('media https://cdn.example/secret/ep1.mp4');
    expect(urls('setTimeout(function(){ window.location.href = "/dl/abc/token"; }, 5000);')).toEqual(['next https://watch.example/dl/abc/token']);
  });

  it('leaves scripts, styles, type names and words alone', () => {
    expect(urls('loader({ src: "/js/app.js" }); var t = { type: "video/mp4", source: "youtube" }; x.load("/css/site.css");')).toEqual([]);
  });
});

describe('media in the markup, the way a browser finds it', () => {
  it('reads lazy attributes on any element, srcset, og:video, twitter:player, JSON-LD, inline players, iframes and locker forms', () => {
    const f = parseHtml(`<html><head>
      <meta property="og:video:url" content="https://cdn.example/og/ep1">
      <meta name="twitter:player" content="https://embed.example/e/1">
      <script type="application/ld+json">{"@type":"VideoObject","contentUrl":"https://cdn.example/ld/ep1.mp4","embedUrl":"https://embed.example/e/2"}</script>
      <script src="/static/player.js"></script></head><body>
      <div class="player" data-lazy="/hls/ep1.m3u8"></div>
      <img data-original="/covers/ep1.jpg" src="/blank.gif">
      <picture><source srcset="/p/ep1-480.webp 480w, /p/ep1-1080.webp 1080w"></picture>
      <iframe data-src="https://player.example/v/9"></iframe>
      <script>const plyr = new Plyr('#p'); plyr.source = { type: 'video', sources: [{ src: '/v/stream?id=1' }] };</script>
      <a class="btn" href="/get/ep1">Download</a>
      <form method="POST" action="/f/ep1"><input type="hidden" name="id" value="ep1"><input type="submit" name="go" value="Free"></form>
    </body></html>`, base);
    expect(f.media).toEqual(expect.arrayContaining([
      { url: 'https://cdn.example/ld/ep1.mp4', kind: 'video' }, { url: 'https://watch.example/hls/ep1.m3u8', kind: 'hls' },
      { url: 'https://watch.example/covers/ep1.jpg', kind: 'image' }, { url: 'https://watch.example/p/ep1-1080.webp', kind: 'image' },
    ]));
    expect(f.media.some((m) => m.url.endsWith('/blank.gif'))).toBe(false);
    expect(f.probes).toEqual(['https://cdn.example/og/ep1', 'https://watch.example/v/stream?id=1']);
    expect(f.frames.sort()).toEqual(['https://embed.example/e/1', 'https://embed.example/e/2', 'https://player.example/v/9']);
    expect(f.scripts).toEqual(['https://watch.example/static/player.js']);
    expect(f.downloads).toEqual(['https://watch.example/get/ep1']);
    expect(f.forms).toEqual([{ action: 'https://watch.example/f/ep1', method: 'post', fields: [['id', 'ep1'], ['go', 'Free']] }]);
  });
});

describe('players the markup sets up without a script', () => {
  it('reads a video.js data-setup JSON attribute (and other JSON data- attributes) as a player set-up', () => {
    const f = parseHtml(`<video-js id="vjs" class="video-js" controls data-setup='{"fluid":true,"sources":[{"src":"https://cdn.example/v/9/media.mp4","type":"video/mp4"}]}'></video-js>
      <div class="plyr" data-plyr-config='{"sources":[{"src":"/s/ep2?token=x"}]}'></div>
      <div data-options='{"theme":"dark","width":"100%"}'></div>`, base);
    expect(f.media).toEqual([{ url: 'https://cdn.example/v/9/media.mp4', kind: 'video' }]);
    expect(f.probes).toEqual(['https://watch.example/s/ep2?token=x']);
  });

  it('takes a <source type> of HLS or DASH for what a URL without extension is', () => {
    const f = parseHtml(`<video-js><source src="https://cdn.example/hls/a1/playlist" type="application/x-mpegURL"></video-js>
      <video><source src="/dash/a2/manifest?id=2" type="application/dash+xml"></video>
      <video><source src="/v/a3/stream" type="video/mp4"></video>`, base);
    expect(f.media).toEqual([
      { url: 'https://cdn.example/hls/a1/playlist', kind: 'hls' },
      { url: 'https://watch.example/dash/a2/manifest?id=2', kind: 'dash' },
      { url: 'https://watch.example/v/a3/stream', kind: 'video' },
    ]);
  });

  it('notes a file page\'s "watch online" buttons by their words, not by class names or download buttons', () => {
    const f = parseHtml(`<a href="/stream/77">Ver online / Stream</a> · <a href="/file/77/pass">Descargar</a>
      <a class="stream-item" href="/other">Episode 2</a> <a href="https://cdn.example/w/1" title="Watch online">▶</a>
      <a href="/ar/77">مشاهدة مباشرة</a>`, 'https://locker.example/file/77');
    expect(f.watch).toEqual(['https://locker.example/stream/77', 'https://cdn.example/w/1', 'https://locker.example/ar/77']);
    expect(f.downloads).toEqual(['https://locker.example/file/77/pass']);
  });
});
