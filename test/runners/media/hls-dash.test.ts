import { describe, expect, it } from 'vitest';
import { isVigilError } from '../../../core/errors.js';
import { dashParts, fillTemplate, isoDurationSeconds, parseMpd } from '../../../runners/media/dash.js';
import { parseHls, pickVariant, repeatingSegments } from '../../../runners/media/hls.js';

/** The pure playlist readers: what real packagers write, and what must be refused. */

const thrown = (f: () => unknown): unknown => {
  try { f(); } catch (e) { return e; }
  return undefined;
};

describe('HLS playlists', () => {
  it('reads a master playlist as packagers write it (quoted CODECS with commas, relative and absolute URIs)', () => {
    const p = parseHls([
      '#EXTM3U', '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-STREAM-INF:BANDWIDTH=2500000,AVERAGE-BANDWIDTH=2200000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",FRAME-RATE=29.970',
      'v720/prog.m3u8?sig=abc',
      '#EXT-X-STREAM-INF:BANDWIDTH=96000,CODECS="mp4a.40.2"', 'https://cdn2.example/a/audio.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=800000,RESOLUTION=640x360,CODECS="avc1.4d401e,mp4a.40.2"', '', 'v360/prog.m3u8',
    ].join('\r\n'), 'https://cdn.example/show/master.m3u8');
    expect(p).toEqual({ kind: 'master', variants: [
      { url: 'https://cdn.example/show/v720/prog.m3u8?sig=abc', bandwidth: 2_500_000, width: 1280, height: 720, codecs: 'avc1.64001f,mp4a.40.2', audioOnly: false },
      { url: 'https://cdn2.example/a/audio.m3u8', bandwidth: 96_000, codecs: 'mp4a.40.2', audioOnly: true },
      { url: 'https://cdn.example/show/v360/prog.m3u8', bandwidth: 800_000, width: 640, height: 360, codecs: 'avc1.4d401e,mp4a.40.2', audioOnly: false },
    ] });
  });

  it('picks the best video variant whose size fits the budget, never an audio-only one, else the smallest', () => {
    const variants = [{ bandwidth: 8_000_000 }, { bandwidth: 2_000_000 }, { bandwidth: 96_000, audioOnly: true }, { bandwidth: 500_000 }];
    // 600 s: 8 Mbit/s is 600 MB, 2 Mbit/s 150 MB.
    expect(pickVariant(variants, 600, 200e6)).toBe(variants[1]);
    expect(pickVariant(variants, 600, 1e9)).toBe(variants[0]);
    expect(pickVariant(variants, 600, 1e6)).toBe(variants[3]);
    expect(pickVariant(variants, undefined, 1)).toBe(variants[0]);
  });

  it('reads fMP4 media playlists: EXT-X-MAP with its byte range, EXT-X-BYTERANGE with and without @offset', () => {
    const p = parseHls([
      '#EXTM3U', '#EXT-X-VERSION:7', '#EXT-X-TARGETDURATION:4', '#EXT-X-MEDIA-SEQUENCE:10', '#EXT-X-PLAYLIST-TYPE:VOD',
      '#EXT-X-MAP:URI="main.mp4",BYTERANGE="720@0"',
      '#EXTINF:4.000,', '#EXT-X-BYTERANGE:1000@720', 'main.mp4',
      '#EXTINF:4.000,', '#EXT-X-BYTERANGE:1500', 'main.mp4',
      '#EXTINF:2.5,', 'tail.m4s',
    ].join('\n'), 'https://cdn.example/v/index.m3u8');
    expect(p).toMatchObject({
      kind: 'media', ended: true, targetDuration: 4, mediaSequence: 10, duration: 10.5,
      map: { url: 'https://cdn.example/v/main.mp4', range: { offset: 0, length: 720 } },
      segments: [
        { url: 'https://cdn.example/v/main.mp4', duration: 4, range: { offset: 720, length: 1000 } },
        { url: 'https://cdn.example/v/main.mp4', duration: 4, range: { offset: 1720, length: 1500 } },
        { url: 'https://cdn.example/v/tail.m4s', duration: 2.5 },
      ],
    });
    expect(repeatingSegments(p.kind === 'media' ? p.segments : [])).toBeUndefined(); // one file, different ranges
  });

  it('says which line is at fault: no #EXTM3U, a segment without EXTINF, encryption, a non-http URI', () => {
    const u = 'https://x.example/p.m3u8';
    expect(thrown(() => parseHls('<html>', u))).toMatchObject({ errorName: 'PLAYLIST_UNREADABLE', message: expect.stringContaining('does not start with #EXTM3U') });
    expect(thrown(() => parseHls('#EXTM3U\n#EXT-X-TARGETDURATION:4\nseg1.ts\n', u))).toMatchObject({ message: expect.stringContaining('line 3') });
    expect(thrown(() => parseHls('#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k.bin"\n#EXTINF:4,\ns.ts\n', u))).toMatchObject({ message: expect.stringMatching(/line 2: .*encrypted/) });
    expect(thrown(() => parseHls('#EXTM3U\n#EXTINF:4,\nfile:///etc/passwd\n', u))).toMatchObject({ errorName: 'PLAYLIST_UNREADABLE', message: expect.stringContaining('file:///etc/passwd') });
  });

  it('tells a repeating segment list from a slate reused once', () => {
    const parts = (names: string) => [...names].map((n) => ({ url: `https://x.example/${n}.ts` }));
    expect(repeatingSegments(parts('abcabcabc'))).toEqual({ period: 3 });
    expect(repeatingSegments(parts('aaaa'))).toEqual({ period: 1 });
    expect(repeatingSegments(parts('abxcdxef'))).toBeUndefined();
    expect(repeatingSegments(parts('abababac'))).toEqual({ distinct: 3 });
  });
});

const MPD_NS = 'xmlns="urn:mpeg:dash:schema:mpd:2011"';

describe('DASH manifests', () => {
  it('reads ISO durations and fills templates ($Number%05d$, $Time$, $RepresentationID$, $$)', () => {
    expect(isoDurationSeconds('PT1H2M3.5S')).toBe(3723.5);
    expect(isoDurationSeconds('P1DT2H')).toBe(93_600);
    expect(isoDurationSeconds('PT0.96S')).toBe(0.96);
    expect(fillTemplate('v/$RepresentationID$/seg-$Number%05d$-$Time$-$Bandwidth$$$.m4s', { id: 'hd', bandwidth: 900, number: 7, time: 36000 })).toBe('v/hd/seg-00007-36000-900$.m4s');
  });

  it('counts $Number$ segments from @duration over the presentation, BaseURLs inheriting MPD → Period → AdaptationSet', () => {
    const mpd = parseMpd(`<?xml version="1.0" encoding="utf-8"?>
      <MPD ${MPD_NS} type="static" mediaPresentationDuration="PT10.5S"><BaseURL>https://cdn.example/title/</BaseURL>
        <Period id="p0"><AdaptationSet contentType="video" mimeType="video/mp4">
          <BaseURL>video/</BaseURL>
          <SegmentTemplate timescale="1000" duration="4000" startNumber="1" initialization="$RepresentationID$/init.mp4" media="$RepresentationID$/$Number$.m4s"/>
          <Representation id="hi" bandwidth="3000000" width="1920" height="1080"/>
          <Representation id="lo" bandwidth="400000" width="640" height="360"/>
        </AdaptationSet>
        <AdaptationSet contentType="audio" mimeType="audio/mp4"><Representation id="aac" bandwidth="128000"><BaseURL>audio.mp4</BaseURL><SegmentBase indexRange="0-819"/></Representation></AdaptationSet>
      </Period></MPD>`, 'https://origin.example/title/manifest.mpd');
    const period = mpd.periods[0]!;
    expect(period.duration).toBe(10.5);
    expect(period.representations.map((r) => [r.id, r.video, r.audioOnly])).toEqual([['hi', true, false], ['lo', true, false], ['aac', false, true]]);
    const parts = dashParts(period.representations[1]!, period, 'https://origin.example/title/manifest.mpd', 100);
    expect(parts.init).toEqual({ url: 'https://cdn.example/title/video/lo/init.mp4' });
    expect(parts.segments.map((s) => s.url)).toEqual([1, 2, 3].map((n) => `https://cdn.example/title/video/lo/${n}.m4s`));
    expect(dashParts(period.representations[2]!, period, 'https://origin.example/title/manifest.mpd', 100)).toEqual({ segments: [{ url: 'https://cdn.example/title/audio.mp4' }] });
  });

  it('walks a SegmentTimeline with @t, @r and r="-1" up to the Period end, for $Time$ templates', () => {
    const mpd = parseMpd(`<MPD ${MPD_NS} type="static" mediaPresentationDuration="PT20S"><Period>
      <AdaptationSet mimeType="video/mp4"><SegmentTemplate timescale="90000" media="t/$Time$.m4s" initialization="t/init.m4s"><SegmentTimeline>
        <S t="0" d="360000" r="1"/><S d="180000"/><S d="360000" r="-1"/>
      </SegmentTimeline></SegmentTemplate><Representation id="v" bandwidth="1" width="320" height="180"/></AdaptationSet></Period></MPD>`, 'https://x.example/m.mpd');
    const parts = dashParts(mpd.periods[0]!.representations[0]!, mpd.periods[0]!, 'https://x.example/m.mpd', 100);
    // 4 s, 4 s, 2 s, then 4 s segments until 20 s: 10 s + 3 × 4 s (the last runs past the end).
    expect(parts.segments.map((s) => s.url.replace('https://x.example/t/', ''))).toEqual(['0.m4s', '360000.m4s', '720000.m4s', '900000.m4s', '1260000.m4s', '1620000.m4s']);
  });

  it('reads a SegmentList with its Initialization and media ranges', () => {
    const mpd = parseMpd(`<MPD ${MPD_NS} mediaPresentationDuration="PT8S"><Period><AdaptationSet mimeType="video/mp4"><Representation id="1" bandwidth="5" width="320" height="180">
      <BaseURL>file.mp4</BaseURL><SegmentList duration="4"><Initialization sourceURL="init.mp4"/><SegmentURL media="s1.m4s"/><SegmentURL mediaRange="100-199"/></SegmentList>
      </Representation></AdaptationSet></Period></MPD>`, 'https://x.example/dir/m.mpd');
    expect(dashParts(mpd.periods[0]!.representations[0]!, mpd.periods[0]!, 'https://x.example/dir/m.mpd', 10)).toEqual({
      init: { url: 'https://x.example/dir/init.mp4' },
      segments: [{ url: 'https://x.example/dir/s1.m4s' }, { url: 'https://x.example/dir/file.mp4', range: { offset: 100, length: 100 } }],
    });
  });

  it('refuses what is not one finite copy: an endless timeline, too many segments, a repeating list, encryption, a segment that is the manifest', () => {
    const u = 'https://x.example/m.mpd';
    const one = (body: string, duration = '') => {
      const mpd = parseMpd(`<MPD ${MPD_NS} ${duration}><Period><AdaptationSet mimeType="video/mp4">${body}</AdaptationSet></Period></MPD>`, u);
      return () => dashParts(mpd.periods[0]!.representations[0]!, mpd.periods[0]!, u, 50);
    };
    expect(thrown(one('<SegmentTemplate media="$Time$.m4s"><SegmentTimeline><S t="0" d="10" r="-1"/></SegmentTimeline></SegmentTemplate><Representation id="v" bandwidth="1"/>'))).toMatchObject({ errorName: 'PLAYLIST_LOOPS', message: expect.stringContaining('repeats without end') });
    expect(thrown(one('<SegmentTemplate media="$Number$.m4s" duration="1"/><Representation id="v" bandwidth="1"/>', 'mediaPresentationDuration="PT2H"'))).toMatchObject({ errorName: 'PLAYLIST_UNREADABLE', message: expect.stringContaining('more than 50 segments') });
    expect(thrown(one('<SegmentTemplate media="$Number$.m4s" duration="1"/><Representation id="v" bandwidth="1"/>'))).toMatchObject({ message: expect.stringContaining('cannot be counted') });
    expect(thrown(one('<Representation id="v" bandwidth="1"><SegmentList><SegmentURL media="a.m4s"/><SegmentURL media="b.m4s"/><SegmentURL media="a.m4s"/><SegmentURL media="b.m4s"/></SegmentList></Representation>'))).toMatchObject({ errorName: 'PLAYLIST_LOOPS', message: expect.stringContaining('SegmentList repeats') });
    expect(thrown(one('<ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc"/><Representation id="v" bandwidth="1"><BaseURL>v.mp4</BaseURL></Representation>'))).toMatchObject({ message: expect.stringContaining('encrypted') });
    const self = thrown(one('<Representation id="v" bandwidth="1"><SegmentBase indexRange="0-9"/></Representation>'));
    expect(isVigilError(self, 'PLAYLIST_LOOPS') && self.message).toContain('refers back to itself');
  });
});
