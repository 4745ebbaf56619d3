/**
 * ffprobe → typed stream info, and the checks that decide whether a file can be watermarked.
 * ffprobe is run directly with JSON output: fluent-ffmpeg's ffprobe parser drops frame side data
 * (mastering display, content light level), which HDR output must carry over.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { VigilError } from '../../core/errors.js';

export type BitDepth = 8 | 10;
export type Chroma = '420' | '422' | '444';

export interface Rational {
  num: number;
  den: number;
}

export interface ColorInfo {
  primaries?: string;
  transfer?: string;
  space?: string;
  range?: string;
}

/** SMPTE ST 2086 mastering display: chromaticities (CIE 1931 x, y) and luminance in cd/m². */
export interface MasteringDisplay {
  red: [number, number];
  green: [number, number];
  blue: [number, number];
  whitePoint: [number, number];
  minLuminance: number;
  maxLuminance: number;
}

export interface ContentLightLevel {
  maxContent: number;
  maxAverage: number;
}

export interface VideoStreamInfo {
  index: number;
  codec: string;
  profile?: string;
  pixFmt: string;
  width: number;
  height: number;
  frameRate: Rational;
  /** bits/s of the video stream; estimated from the container when the stream does not say. */
  bitRate?: number;
  bitDepth: BitDepth;
  chroma: Chroma;
  fieldOrder?: string;
  color: ColorInfo;
  mastering?: MasteringDisplay;
  contentLight?: ContentLightLevel;
  codecTag?: string;
  frames?: number;
}

export interface AudioStreamInfo {
  index: number;
  codec: string;
  bitRate?: number;
}

export interface MediaInfo {
  path: string;
  formatName: string;
  /** seconds */
  duration: number;
  bitRate?: number;
  video?: VideoStreamInfo;
  audio: AudioStreamInfo[];
  timecode?: string;
}

/** The video codecs Vigil re-encodes to (ffprobe codec_name). */
export const SUPPORTED_CODECS = ['h264', 'hevc', 'vp9', 'prores', 'mpeg2video'] as const;
export type SupportedCodec = (typeof SUPPORTED_CODECS)[number];

/** Containers by file extension: the output keeps the input's. */
export const CONTAINERS = { '.mp4': 'mp4', '.mov': 'mov', '.mxf': 'mxf', '.mkv': 'matroska', '.webm': 'webm' } as const;
export type ContainerExt = keyof typeof CONTAINERS;

/** Image files `vigil detect` accepts as a leak or original. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.bmp', '.webp', '.tif', '.tiff'] as const;

export function isImagePath(file: string): boolean {
  return (IMAGE_EXTENSIONS as readonly string[]).includes(path.extname(file).toLowerCase());
}

interface RawStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  bit_rate?: string;
  bits_per_raw_sample?: string;
  field_order?: string;
  color_primaries?: string;
  color_transfer?: string;
  color_space?: string;
  color_range?: string;
  codec_tag_string?: string;
  nb_frames?: string;
  disposition?: { attached_pic?: number };
  side_data_list?: RawSideData[];
  tags?: Record<string, string>;
}

interface RawSideData {
  side_data_type?: string;
  [key: string]: unknown;
}

interface RawProbe {
  streams?: RawStream[];
  format?: { format_name?: string; duration?: string; bit_rate?: string; tags?: Record<string, string> };
  frames?: { side_data_list?: RawSideData[] }[];
}

export function runFfprobe(args: string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffprobe', ['-v', 'error', ...args], { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`ffprobe exited with ${code}: ${err.trim().split('\n').slice(-3).join(' ')}`))));
  });
}

export function parseRational(value: string | undefined): Rational | undefined {
  if (!value) return undefined;
  const [n, d] = value.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n) || n <= 0) return undefined;
  const den = d === undefined ? 1 : d;
  if (!Number.isFinite(den) || den <= 0) return undefined;
  return { num: n, den };
}

function fraction(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  const [n, d] = value.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n)) return undefined;
  return d === undefined ? n : d === 0 ? undefined : n / d;
}

function numberOf(value: string | undefined): number | undefined {
  if (value === undefined || value === 'N/A') return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

const DEPTH_10 = /(p10|p12|p16)(le|be)?$/;

export function bitDepthOf(pixFmt: string, bitsPerRawSample?: string): BitDepth {
  if (DEPTH_10.test(pixFmt)) return 10;
  return Number(bitsPerRawSample) > 8 ? 10 : 8;
}

export function chromaOf(pixFmt: string): Chroma {
  if (/^(yuv|yuva|yuvj)444|^gbr|^rgb|^bgr/.test(pixFmt)) return '444';
  if (/^(yuv|yuva|yuvj)422|^nv16|^nv20|^y210|^uyvy|^yuyv/.test(pixFmt)) return '422';
  return '420';
}

/** Reads mastering display and content light level from stream or first-frame side data. */
export function hdrSideData(lists: (RawSideData[] | undefined)[]): { mastering?: MasteringDisplay; contentLight?: ContentLightLevel } {
  const out: { mastering?: MasteringDisplay; contentLight?: ContentLightLevel } = {};
  for (const list of lists) {
    for (const sd of list ?? []) {
      const type = sd.side_data_type ?? '';
      if (!out.mastering && /mastering display/i.test(type)) {
        const v = (k: string): number | undefined => fraction(sd[k]);
        const vals = ['red_x', 'red_y', 'green_x', 'green_y', 'blue_x', 'blue_y', 'white_point_x', 'white_point_y', 'min_luminance', 'max_luminance'].map(v);
        if (vals.every((x) => x !== undefined)) {
          const [rx, ry, gx, gy, bx, by, wx, wy, minL, maxL] = vals as number[];
          out.mastering = { red: [rx!, ry!], green: [gx!, gy!], blue: [bx!, by!], whitePoint: [wx!, wy!], minLuminance: minL!, maxLuminance: maxL! };
        }
      }
      if (!out.contentLight && /content light level/i.test(type)) {
        const maxContent = fraction(sd.max_content);
        const maxAverage = fraction(sd.max_average);
        if (maxContent !== undefined && maxAverage !== undefined) out.contentLight = { maxContent, maxAverage };
      }
    }
  }
  return out;
}

/** Turns ffprobe's JSON into MediaInfo; pure, so the mapping is tested without files. */
export function mediaInfoFromProbe(file: string, raw: RawProbe): MediaInfo {
  const streams = raw.streams ?? [];
  const v = streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const duration = numberOf(raw.format?.duration) ?? 0;
  const formatBitRate = numberOf(raw.format?.bit_rate);
  const audio: AudioStreamInfo[] = streams
    .filter((s) => s.codec_type === 'audio')
    .map((s) => ({ index: s.index, codec: s.codec_name ?? 'unknown', bitRate: numberOf(s.bit_rate) }));
  let video: VideoStreamInfo | undefined;
  if (v && v.width && v.height) {
    const pixFmt = v.pix_fmt ?? 'yuv420p';
    const frameRate = parseRational(v.avg_frame_rate) ?? parseRational(v.r_frame_rate) ?? { num: 25, den: 1 };
    let bitRate = numberOf(v.bit_rate) ?? numberOf(v.tags?.BPS) ?? numberOf(v.tags?.['BPS-eng']);
    if (bitRate === undefined && formatBitRate !== undefined) {
      const audioRate = audio.reduce((sum, a) => sum + (a.bitRate ?? 128_000), 0);
      bitRate = Math.max(formatBitRate - audioRate, formatBitRate * 0.5);
    }
    const hdr = hdrSideData([v.side_data_list, ...(raw.frames ?? []).map((f) => f.side_data_list)]);
    video = {
      index: v.index,
      codec: v.codec_name ?? 'unknown',
      profile: v.profile,
      pixFmt,
      width: v.width,
      height: v.height,
      frameRate,
      bitRate,
      bitDepth: bitDepthOf(pixFmt, v.bits_per_raw_sample),
      chroma: chromaOf(pixFmt),
      fieldOrder: v.field_order,
      color: {
        primaries: known(v.color_primaries),
        transfer: known(v.color_transfer),
        space: known(v.color_space),
        range: known(v.color_range),
      },
      ...hdr,
      codecTag: v.codec_tag_string,
      frames: numberOf(v.nb_frames),
    };
  }
  const timecode = raw.format?.tags?.timecode ?? v?.tags?.timecode;
  return { path: file, formatName: raw.format?.format_name ?? 'unknown', duration, bitRate: formatBitRate, video, audio, timecode };
}

function known(value: string | undefined): string | undefined {
  return value === undefined || value === 'unknown' || value === 'reserved' ? undefined : value;
}

/** ffprobe FILE; throws INPUT_MISSING when it is not a readable file or not media at all. */
export async function probeMedia(file: string, signal?: AbortSignal): Promise<MediaInfo> {
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat?.isFile()) throw new VigilError('INPUT_MISSING', `${file} does not exist or is not a file`);
  await fs.access(file, fs.constants.R_OK).catch(() => {
    throw new VigilError('INPUT_MISSING', `${file} cannot be read`);
  });
  let json: string;
  try {
    json = await runFfprobe(['-show_streams', '-show_format', '-of', 'json', file], signal);
  } catch (error) {
    if (signal?.aborted) throw error;
    throw new VigilError('INPUT_MISSING', `${file} is not a media file ffprobe can read: ${(error as Error).message}`, { cause: error });
  }
  const raw = JSON.parse(json) as RawProbe;
  const info = mediaInfoFromProbe(file, raw);
  const video = info.video;
  if (video && (video.bitDepth === 10 || /^(smpte2084|arib-std-b67)$/.test(video.color.transfer ?? ''))) {
    // HDR static metadata usually travels as side data on the first frame, not on the stream.
    const frames = await runFfprobe(
      ['-select_streams', String(video.index), '-read_intervals', '%+#1', '-show_frames', '-show_entries', 'frame=side_data_list', '-of', 'json', file],
      signal,
    ).catch(() => '{}');
    const hdr = hdrSideData(((JSON.parse(frames) as RawProbe).frames ?? []).map((f) => f.side_data_list));
    info.video = { ...video, mastering: video.mastering ?? hdr.mastering, contentLight: video.contentLight ?? hdr.contentLight };
  }
  return info;
}

export interface EmbeddableOptions {
  /** Shortest input accepted, in seconds (30 for `vigil embed`). */
  minDuration: number;
}

/** The checks that make a probed file one Vigil can watermark; returns the video stream. */
export function checkEmbeddable(info: MediaInfo, options: EmbeddableOptions): VideoStreamInfo {
  const video = info.video;
  if (!video) throw new VigilError('NO_VIDEO_TRACK', `${info.path} has no video stream`);
  if (!(SUPPORTED_CODECS as readonly string[]).includes(video.codec)) {
    throw new VigilError('UNSUPPORTED_CODEC', `${info.path}: video codec ${video.codec} is not supported (supported: H.264, H.265, VP9, ProRes, MPEG-2/XDCAM)`);
  }
  if (/^(gbr|rgb|bgr|argb|abgr|rgba|bgra|0rgb|xyz)/.test(video.pixFmt)) {
    throw new VigilError('UNSUPPORTED_CODEC', `${info.path}: RGB video (${video.pixFmt}) is not supported; Vigil marks the luma of YUV video`);
  }
  if (video.width > 4096 || video.height > 2304) {
    throw new VigilError('UNSUPPORTED_CODEC', `${info.path}: ${video.width}x${video.height} is larger than 4K (4096x2304)`);
  }
  if (info.duration < options.minDuration) {
    throw new VigilError('INPUT_TOO_SHORT', `${info.path} lasts ${info.duration.toFixed(1)} s; at least ${options.minDuration} s are needed`);
  }
  return video;
}

/** Input and output must carry the same known container extension. */
export function checkExtensions(input: string, output: string): ContainerExt {
  const inExt = path.extname(input).toLowerCase();
  const outExt = path.extname(output).toLowerCase();
  if (!inExt) throw new VigilError('EXTENSION_MISMATCH', `input ${input} has no file extension`);
  if (!outExt) throw new VigilError('EXTENSION_MISMATCH', `output ${output} has no file extension`);
  if (inExt !== outExt) throw new VigilError('EXTENSION_MISMATCH', `output ${path.basename(output)} has extension ${outExt} but the input has ${inExt}`);
  if (!(inExt in CONTAINERS)) throw new VigilError('EXTENSION_MISMATCH', `extension ${inExt} is not a container Vigil writes (${Object.keys(CONTAINERS).join(', ')})`);
  return inExt as ContainerExt;
}
