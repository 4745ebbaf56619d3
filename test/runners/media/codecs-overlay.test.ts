import { describe, expect, it } from 'vitest';
import { isVigilError } from '../../../core/errors.js';
import { encoderSettings, rawLayout, x265MasterDisplay } from '../../../runners/media/codecs.js';
import { overlayPlan, parseClock, parsePosition, placeImage, visibleSegments } from '../../../runners/media/overlay.js';
import { checkEmbeddable, checkExtensions, mediaInfoFromProbe, type VideoStreamInfo } from '../../../runners/media/probe.js';

function video(over: Partial<VideoStreamInfo> = {}): VideoStreamInfo {
  return {
    index: 0, codec: 'h264', profile: 'High', pixFmt: 'yuv420p', width: 1920, height: 1080, frameRate: { num: 25, den: 1 },
    bitRate: 8_000_000, bitDepth: 8, chroma: '420', color: { primaries: 'bt709', transfer: 'bt709', space: 'bt709', range: 'tv' }, ...over,
  };
}

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isVigilError(e) ? e.errorName : String(e);
  }
  return undefined;
}

describe('encoder settings keep the source', () => {
  it('H.264 High 8-bit: libx264, profile, bitrate, colour, MP4', () => {
    const s = encoderSettings(video(), '.mp4', { preset: 'fast' });
    expect(s.muxer).toBe('mp4');
    expect(arg(s.videoArgs, '-c:v')).toBe('libx264');
    expect(arg(s.videoArgs, '-profile:v')).toBe('high');
    expect(arg(s.videoArgs, '-preset:v')).toBe('fast');
    expect(arg(s.videoArgs, '-b:v')).toBe('8000k');
    expect(arg(s.videoArgs, '-pix_fmt:v')).toBe('yuv420p');
    expect(arg(s.videoArgs, '-color_primaries:v')).toBe('bt709');
    expect(arg(s.videoArgs, '-color_range:v')).toBe('tv');
  });

  it('every option names the video stream, so none leaks onto the copied audio', () => {
    for (const v of [video(), video({ codec: 'hevc' }), video({ codec: 'vp9' }), video({ codec: 'prores', pixFmt: 'yuv422p10le', bitDepth: 10, chroma: '422', profile: 'HQ' }), video({ codec: 'mpeg2video', fieldOrder: 'tt' })]) {
      const opts = encoderSettings(v, '.mov').videoArgs.filter((a) => a.startsWith('-'));
      expect(opts.filter((o) => !o.endsWith(':v'))).toEqual([]);
    }
  });

  it('HEVC Main 10 HDR10: 10-bit raw frames, main10, mastering display and CLL for x265, hvc1 tag', () => {
    const v = video({
      codec: 'hevc', profile: 'Main 10', pixFmt: 'yuv420p10le', bitDepth: 10, color: { primaries: 'bt2020', transfer: 'smpte2084', space: 'bt2020nc', range: 'tv' },
      mastering: { red: [0.68, 0.32], green: [0.265, 0.69], blue: [0.15, 0.06], whitePoint: [0.3127, 0.329], minLuminance: 0.005, maxLuminance: 1000 },
      contentLight: { maxContent: 1000, maxAverage: 400 },
    });
    expect(rawLayout(v).pixFmt).toBe('yuv420p10le');
    expect(rawLayout(v).frameBytes).toBe(1920 * 1080 * 2 * 1.5);
    const s = encoderSettings(v, '.mp4');
    expect(arg(s.videoArgs, '-profile:v')).toBe('main10');
    expect(arg(s.videoArgs, '-tag:v')).toBe('hvc1');
    expect(arg(s.videoArgs, '-color_trc:v')).toBe('smpte2084');
    const params = arg(s.videoArgs, '-x265-params:v')!;
    expect(params).toContain('master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50)');
    expect(params).toContain('max-cll=1000,400');
    expect(x265MasterDisplay(v.mastering!)).toMatch(/^G\(/);
    expect(s.overlayFormat).toBe('yuv420p10');
  });

  it('VP9 10-bit is profile 2; ProRes keeps its profile at 4:2:2 10-bit; XDCAM is CBR MPEG-2 with interlace flags', () => {
    expect(arg(encoderSettings(video({ codec: 'vp9', pixFmt: 'yuv420p10le', bitDepth: 10 }), '.webm').videoArgs, '-profile:v')).toBe('2');
    const prores = encoderSettings(video({ codec: 'prores', profile: 'LT', pixFmt: 'yuv422p10le', bitDepth: 10, chroma: '422' }), '.mov');
    expect(arg(prores.videoArgs, '-c:v')).toBe('prores_ks');
    expect(arg(prores.videoArgs, '-profile:v')).toBe('1');
    expect(arg(prores.videoArgs, '-pix_fmt:v')).toBe('yuv422p10le');
    const xd = encoderSettings(video({ codec: 'mpeg2video', profile: '4:2:2', pixFmt: 'yuv422p', chroma: '422', bitRate: 50_000_000, fieldOrder: 'tt' }), '.mxf');
    expect(xd.muxer).toBe('mxf');
    expect(arg(xd.videoArgs, '-minrate:v')).toBe('50000k');
    expect(arg(xd.videoArgs, '-maxrate:v')).toBe('50000k');
    expect(arg(xd.videoArgs, '-flags:v')).toBe('+ildct+ilme');
    expect(arg(xd.videoArgs, '-top:v')).toBe('1');
    expect(arg(xd.videoArgs, '-pix_fmt:v')).toBe('yuv422p');
  });

  it('guesses a bitrate when the source does not say, and drops a gbr colour label on YUV', () => {
    const s = encoderSettings(video({ bitRate: undefined, color: { space: 'gbr' } }), '.mp4');
    expect(Number(arg(s.videoArgs, '-b:v')!.replace('k', ''))).toBeGreaterThan(1000);
    expect(s.videoArgs).not.toContain('-colorspace:v');
  });
});

describe('probe mapping and checks', () => {
  const raw = {
    streams: [
      { index: 0, codec_type: 'audio', codec_name: 'aac', bit_rate: '128000' },
      { index: 1, codec_type: 'video', codec_name: 'hevc', profile: 'Main 10', pix_fmt: 'yuv420p10le', width: 3840, height: 2160, avg_frame_rate: '24000/1001', color_primaries: 'bt2020', color_transfer: 'smpte2084', color_space: 'bt2020nc', color_range: 'tv', tags: {} },
    ],
    format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '45.0', bit_rate: '20128000' },
    frames: [{ side_data_list: [
      { side_data_type: 'Mastering display metadata', red_x: '34000/50000', red_y: '16000/50000', green_x: '13250/50000', green_y: '34500/50000', blue_x: '7500/50000', blue_y: '3000/50000', white_point_x: '15635/50000', white_point_y: '16450/50000', min_luminance: '50/10000', max_luminance: '10000000/10000' },
      { side_data_type: 'Content light level metadata', max_content: 1000, max_average: 400 },
    ] }],
  };

  it('reads 4K HDR10: 10-bit 4:2:0, colour, side data, bitrate from the container minus audio', () => {
    const info = mediaInfoFromProbe('/x.mp4', raw);
    expect(info.video).toMatchObject({ index: 1, bitDepth: 10, chroma: '420', frameRate: { num: 24000, den: 1001 }, bitRate: 20_000_000 });
    expect(info.video?.mastering?.maxLuminance).toBe(1000);
    expect(info.video?.mastering?.red).toEqual([0.68, 0.32]);
    expect(info.video?.contentLight).toEqual({ maxContent: 1000, maxAverage: 400 });
    expect(checkEmbeddable(info, { minDuration: 30 }).codec).toBe('hevc');
  });

  it('refuses what it cannot mark, each with its code', () => {
    const info = mediaInfoFromProbe('/x.mp4', raw);
    expect(code(() => checkEmbeddable({ ...info, duration: 29.9 }, { minDuration: 30 }))).toBe('INPUT_TOO_SHORT');
    expect(code(() => checkEmbeddable({ ...info, video: undefined }, { minDuration: 0 }))).toBe('NO_VIDEO_TRACK');
    expect(code(() => checkEmbeddable({ ...info, video: { ...info.video!, codec: 'av1' } }, { minDuration: 0 }))).toBe('UNSUPPORTED_CODEC');
    expect(code(() => checkEmbeddable({ ...info, video: { ...info.video!, width: 7680, height: 4320 } }, { minDuration: 0 }))).toBe('UNSUPPORTED_CODEC');
    expect(code(() => checkExtensions('a.mp4', 'b.mov'))).toBe('EXTENSION_MISMATCH');
    expect(code(() => checkExtensions('a', 'b.mp4'))).toBe('EXTENSION_MISMATCH');
    expect(code(() => checkExtensions('a.avi', 'b.avi'))).toBe('EXTENSION_MISMATCH');
    expect(checkExtensions('a.MXF', 'b.mxf')).toBe('.mxf');
  });
});

describe('visible watermark timing and placement', () => {
  it('without interval: shown throughout, or once for `disappear`', () => {
    expect(visibleSegments(100, 3, undefined, undefined)).toEqual([{ start: 0, end: 100, position: 0 }]);
    expect(visibleSegments(100, 3, undefined, 30)).toEqual([{ start: 0, end: 30, position: 0 }]);
    expect(visibleSegments(100, 3, undefined, 0)).toEqual([{ start: 0, end: 100, position: 0 }]);
  });

  it('with interval: moves to the next position each interval, cycling; disappear shortens each showing', () => {
    expect(visibleSegments(250, 2, 100, undefined)).toEqual([
      { start: 0, end: 100, position: 0 }, { start: 100, end: 200, position: 1 }, { start: 200, end: 250, position: 0 },
    ]);
    expect(visibleSegments(250, 3, 100, 10).map((s) => [s.start, s.end, s.position])).toEqual([[0, 10, 0], [100, 110, 1], [200, 210, 2]]);
  });

  it('ignores a disappear that is not shorter than the interval', () => {
    expect(visibleSegments(200, 2, 100, 100)).toEqual(visibleSegments(200, 2, 100, undefined));
    expect(visibleSegments(200, 2, 100, 150)).toEqual(visibleSegments(200, 2, 100, undefined));
  });

  it('places named and fractional positions, moving an image that would leave the frame inside', () => {
    const frame = { width: 1920, height: 1080 };
    const image = { width: 200, height: 100 };
    expect(placeImage('top-left', frame, image)).toEqual({ x: 32, y: 32 });
    expect(placeImage('bottom-right', frame, image)).toEqual({ x: 1920 - 200 - 32, y: 1080 - 100 - 32 });
    expect(placeImage({ x: 0.99, y: 0.99 }, frame, image)).toEqual({ x: 1720, y: 980 });
    expect(placeImage('center', frame, image)).toEqual({ x: 860, y: 490 });
  });

  it('parses clocks and positions, refusing bad ones with VISIBLE_SETTINGS_INVALID', () => {
    expect(parseClock('interval', '01:02:03')).toBe(3723);
    expect(code(() => parseClock('interval', '1:2'))).toBe('VISIBLE_SETTINGS_INVALID');
    expect(code(() => parseClock('interval', '00:61:00'))).toBe('VISIBLE_SETTINGS_INVALID');
    expect(parsePosition('Bottom-Left')).toBe('bottom-left');
    expect(parsePosition('0.5:0.1')).toEqual({ x: 0.5, y: 0.1 });
    expect(code(() => parsePosition('middle'))).toBe('VISIBLE_SETTINGS_INVALID');
  });

  it('builds an overlay graph with between() windows per position, after the mark, keeping the pixel format', () => {
    const plan = overlayPlan({
      settings: { image: 'logo.png', alpha: 0.35, positions: ['top-right', 'bottom-left'], interval: '00:05:00', disappear: '00:00:30' },
      imageInput: 2, frame: { width: 1920, height: 1080 }, image: { width: 300, height: 150 }, duration: 1200, overlayFormat: 'yuv420p10', pixFmt: 'yuv420p10le',
    });
    expect(plan.filter).toContain('[2:v]format=rgba,colorchannelmixer=aa=0.35,split=2[wm0][wm1]');
    expect(plan.filter).toContain("enable='between(t,0,29.999)+between(t,600,629.999)'");
    expect(plan.filter).toContain("enable='between(t,300,329.999)+between(t,900,929.999)'");
    expect(plan.filter).toContain(':format=yuv420p10:');
    expect(plan.filter.startsWith('[2:v]')).toBe(true);
    expect(plan.filter).toMatch(/^.*\[0:v\]\[wm0\]overlay/);
    expect(plan.filter.endsWith('format=yuv420p10le[vout]')).toBe(true);
  });

  it('refuses alpha out of range and an image over 5 % of the frame, never resizing it', () => {
    const base = { imageInput: 2, frame: { width: 1920, height: 1080 }, duration: 60, overlayFormat: 'yuv420', pixFmt: 'yuv420p' };
    expect(code(() => overlayPlan({ ...base, settings: { image: 'x', alpha: 0 }, image: { width: 10, height: 10 } }))).toBe('VISIBLE_SETTINGS_INVALID');
    expect(code(() => overlayPlan({ ...base, settings: { image: 'x', alpha: 1.5 }, image: { width: 10, height: 10 } }))).toBe('VISIBLE_SETTINGS_INVALID');
    expect(code(() => overlayPlan({ ...base, settings: { image: 'x' }, image: { width: 500, height: 300 } }))).toBe('VISIBLE_SETTINGS_INVALID');
    expect(code(() => overlayPlan({ ...base, settings: { image: 'x' }, image: { width: 450, height: 230 } }))).toBeUndefined();
    expect(code(() => overlayPlan({ ...base, duration: 100_000, settings: { image: 'x', interval: '00:00:01' }, image: { width: 10, height: 10 } }))).toBe('VISIBLE_SETTINGS_INVALID');
  });
});
