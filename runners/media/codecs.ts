/**
 * Source stream → encoder settings that keep its codec, profile, bit depth, pixel format, frame
 * rate, colour metadata and roughly its bitrate. Pure: the pipeline and the bench use the same
 * settings, so "embed vs. plain transcode" compares like with like.
 */
import type { ContainerExt, MasteringDisplay, ContentLightLevel, SupportedCodec, VideoStreamInfo } from './probe.js';
import { CONTAINERS } from './probe.js';

export type Preset = 'ultrafast' | 'superfast' | 'veryfast' | 'faster' | 'fast' | 'medium' | 'slow';
export const PRESETS: readonly Preset[] = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow'];

/** How raw frames travel between the decoder, the embedder and the encoder. */
export interface RawLayout {
  pixFmt: 'yuv420p' | 'yuv422p' | 'yuv444p' | 'yuv420p10le' | 'yuv422p10le' | 'yuv444p10le';
  width: number;
  height: number;
  bitDepth: 8 | 10;
  /** Bytes of one whole frame (all planes). */
  frameBytes: number;
  /** Bytes of the luma plane, which comes first (width × height samples; stride = width). */
  lumaBytes: number;
}

export function rawLayout(video: Pick<VideoStreamInfo, 'width' | 'height' | 'bitDepth' | 'chroma'>, codec?: string): RawLayout {
  // ProRes is 4:2:2 or 4:4:4 10-bit by definition, whatever ffprobe calls the source.
  const bitDepth = codec === 'prores' ? 10 : video.bitDepth;
  const chroma = codec === 'prores' && video.chroma === '420' ? '422' : video.chroma;
  const pixFmt = `yuv${chroma}p${bitDepth === 10 ? '10le' : ''}` as RawLayout['pixFmt'];
  const { width, height } = video;
  const cw = chroma === '444' ? width : Math.ceil(width / 2);
  const ch = chroma === '420' ? Math.ceil(height / 2) : height;
  const bytes = bitDepth === 10 ? 2 : 1;
  return { pixFmt, width, height, bitDepth, frameBytes: (width * height + 2 * cw * ch) * bytes, lumaBytes: width * height * bytes };
}

export interface EncoderOptions {
  /** x264/x265 preset; VP9 maps it to cpu-used. Default medium. */
  preset?: Preset;
}

export interface EncoderSettings {
  /** Output options for ffmpeg, from -c:v on (no -map, no output path). */
  videoArgs: string[];
  /** ffmpeg muxer name (-f). */
  muxer: string;
  /** overlay filter `format=` value that keeps the raw pixel format. */
  overlayFormat: string;
}

const X264_PROFILES: Record<string, string> = {
  'constrained baseline': 'baseline', baseline: 'baseline', main: 'main', high: 'high', 'high 10': 'high10',
  'high 4:2:2': 'high422', 'high 4:4:4 predictive': 'high444',
};

const PRORES_PROFILES: Record<string, number> = { proxy: 0, lt: 1, standard: 2, hq: 3, '4444': 4, '4444 xq': 5, xq: 5 };

/** Bits per second to ask for when the source does not say: a mid-quality guess per codec. */
function fallbackBitRate(video: VideoStreamInfo): number {
  const fps = video.frameRate.num / video.frameRate.den;
  const bitsPerPixel = video.codec === 'hevc' || video.codec === 'vp9' ? 0.06 : video.codec === 'mpeg2video' ? 0.3 : 0.1;
  return Math.round(video.width * video.height * fps * bitsPerPixel);
}

export function targetBitRate(video: VideoStreamInfo): number {
  return Math.max(50_000, Math.round(video.bitRate ?? fallbackBitRate(video)));
}

function kbps(bits: number): string {
  return `${Math.max(1, Math.round(bits / 1000))}k`;
}

/** ffprobe mastering display → x265's master-display string (chromaticity ×50000, luminance ×10000). */
export function x265MasterDisplay(m: MasteringDisplay): string {
  const c = (v: number): number => Math.round(v * 50000);
  const l = (v: number): number => Math.round(v * 10000);
  return `G(${c(m.green[0])},${c(m.green[1])})B(${c(m.blue[0])},${c(m.blue[1])})R(${c(m.red[0])},${c(m.red[1])})WP(${c(m.whitePoint[0])},${c(m.whitePoint[1])})L(${l(m.maxLuminance)},${l(m.minLuminance)})`;
}

export function x265Cll(cll: ContentLightLevel): string {
  return `${Math.round(cll.maxContent)},${Math.round(cll.maxAverage)}`;
}

function colorArgs(video: VideoStreamInfo): string[] {
  const { primaries, transfer, range } = video.color;
  // 'gbr' on a YUV stream is a mislabel (an RGB source converted on the way in); encoders refuse it.
  const space = video.color.space === 'gbr' ? undefined : video.color.space;
  return [
    ...(primaries ? ['-color_primaries:v', primaries] : []),
    ...(transfer ? ['-color_trc:v', transfer] : []),
    ...(space ? ['-colorspace:v', space] : []),
    ...(range ? ['-color_range:v', range] : []),
  ];
}

function interlaced(video: VideoStreamInfo): boolean {
  return video.fieldOrder !== undefined && /^(tt|bb|tb|bt)$/.test(video.fieldOrder);
}

function vp9CpuUsed(preset: Preset): { deadline: string; cpuUsed: number } {
  switch (preset) {
    case 'ultrafast': case 'superfast': return { deadline: 'realtime', cpuUsed: 8 };
    case 'veryfast': case 'faster': return { deadline: 'good', cpuUsed: 5 };
    case 'fast': return { deadline: 'good', cpuUsed: 4 };
    case 'medium': return { deadline: 'good', cpuUsed: 3 };
    case 'slow': return { deadline: 'good', cpuUsed: 1 };
  }
}

const OVERLAY_FORMATS: Record<RawLayout['pixFmt'], string> = {
  yuv420p: 'yuv420', yuv420p10le: 'yuv420p10', yuv422p: 'yuv422', yuv422p10le: 'yuv422p10', yuv444p: 'yuv444', yuv444p10le: 'auto',
};

/** Encoder arguments that re-create the source's video stream from raw frames of `rawLayout`. */
export function encoderSettings(video: VideoStreamInfo, ext: ContainerExt, options: EncoderOptions = {}): EncoderSettings {
  const layout = rawLayout(video, video.codec);
  const preset = options.preset ?? 'medium';
  const rate = targetBitRate(video);
  const profile = video.profile?.toLowerCase();
  // Stream specifiers on every option: unqualified ones would also hit the copied audio stream.
  const common = ['-pix_fmt:v', layout.pixFmt, ...colorArgs(video)];
  if (video.fieldOrder && video.fieldOrder !== 'unknown') common.push('-field_order:v', video.fieldOrder);
  const codec = video.codec as SupportedCodec;
  let args: string[];
  switch (codec) {
    case 'h264': {
      const p = profile ? X264_PROFILES[profile] : undefined;
      args = ['-c:v', 'libx264', '-preset:v', preset, ...(p ? ['-profile:v', p] : []),
        '-b:v', kbps(rate), '-maxrate:v', kbps(rate * 1.5), '-bufsize:v', kbps(rate * 2),
        ...(interlaced(video) ? ['-flags:v', '+ildct+ilme'] : [])];
      break;
    }
    case 'hevc': {
      const params = ['log-level=error'];
      if (video.mastering || video.contentLight) params.push('hdr10=1', 'repeat-headers=1');
      if (video.mastering) params.push(`master-display=${x265MasterDisplay(video.mastering)}`);
      if (video.contentLight) params.push(`max-cll=${x265Cll(video.contentLight)}`);
      const p = layout.bitDepth === 10 ? (layout.pixFmt === 'yuv422p10le' ? 'main422-10' : layout.pixFmt === 'yuv444p10le' ? 'main444-10' : 'main10')
        : layout.pixFmt === 'yuv420p' ? 'main' : undefined;
      args = ['-c:v', 'libx265', '-preset:v', preset, ...(p ? ['-profile:v', p] : []),
        '-b:v', kbps(rate), '-maxrate:v', kbps(rate * 1.5), '-bufsize:v', kbps(rate * 2), '-x265-params:v', params.join(':'),
        ...(ext === '.mp4' || ext === '.mov' ? ['-tag:v', video.codecTag === 'hev1' ? 'hev1' : 'hvc1'] : [])];
      break;
    }
    case 'vp9': {
      const { deadline, cpuUsed } = vp9CpuUsed(preset);
      const p = layout.bitDepth === 10 ? (layout.pixFmt === 'yuv420p10le' ? 2 : 3) : layout.pixFmt === 'yuv420p' ? 0 : 1;
      args = ['-c:v', 'libvpx-vp9', '-profile:v', String(p), '-deadline:v', deadline, '-cpu-used:v', String(cpuUsed), '-row-mt:v', '1',
        '-b:v', kbps(rate), '-maxrate:v', kbps(rate * 1.5), '-bufsize:v', kbps(rate * 2)];
      break;
    }
    case 'prores': {
      const p = profile ? PRORES_PROFILES[profile] : undefined;
      args = ['-c:v', 'prores_ks', '-profile:v', String(p ?? (layout.pixFmt === 'yuv444p10le' ? 4 : 3)), '-vendor:v', 'apl0'];
      break;
    }
    case 'mpeg2video': {
      // XDCAM-style: CBR, 12-frame GOPs, intra VLC and non-linear quantiser (which allows qmax 28 at most);
      // the VBV buffer stays under 0.7 s so vbv_delay fits its 16-bit field.
      args = ['-c:v', 'mpeg2video', '-b:v', kbps(rate), '-minrate:v', kbps(rate), '-maxrate:v', kbps(rate), '-bufsize:v', kbps(rate * 0.7),
        '-g:v', '12', '-bf:v', '2', '-intra_vlc:v', '1', '-non_linear_quant:v', '1', '-dc:v', '10', '-qmin:v', '1', '-qmax:v', '28',
        ...(interlaced(video) ? ['-flags:v', '+ildct+ilme', '-top:v', video.fieldOrder === 'bb' || video.fieldOrder === 'bt' ? '0' : '1'] : [])];
      break;
    }
    default:
      throw new Error(`no encoder settings for ${String(codec)}`);
  }
  return { videoArgs: [...args, ...common], muxer: CONTAINERS[ext], overlayFormat: OVERLAY_FORMATS[layout.pixFmt] };
}
