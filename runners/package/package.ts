/**
 * `vigil package`: one title → an A/B package (core/package-layout.ts). One decode feeds the
 * native relay, which marks each frame's luma twice (variant A with its key, B with its own: see
 * variants.ts) on its way to two x264 encoders with identical settings: a fixed GOP of exactly one
 * segment (keyint = min-keyint = segment length, no scene-cut keyframes, closed GOPs), so both
 * encoders cut their HLS fMP4 segments at the same frames and write the same init segment.
 *
 *   ffmpeg -i SRC -f rawvideo FIFO ─▶ relay ─ embed(key_A) ─▶ ffmpeg x264 + AAC ─▶ -f hls fmp4 ─▶ TMP/A/
 *                                        └─ embed(key_B) ─▶ ffmpeg x264 + AAC ─▶ -f hls fmp4 ─▶ TMP/B/
 *
 * Then: the two segment lists and init segments are compared (they must agree, or nothing is
 * written), the shared init, neutral playlist, WMPaceInfo sidecars, reference fingerprints and
 * manifest are written, the package is recorded, and the temp folder is renamed to --out.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CODEWORD_BITS, PATTERN_VERSION } from '../../core/ab-pattern.js';
import { VigilError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { PACKAGE_FORMAT, PACKAGE_MANIFEST, readPackageManifest, type PackageManifest, type PackagedSegment } from '../../core/package-layout.js';
import { encodeWmPaceInfo, WMPACEINFO_SUFFIX } from '../../core/wmpaceinfo.js';
import { createEmbedder, createFrameRelay, type FrameRelay } from '../../native/index.js';
import { rawLayout, targetBitRate, type Preset } from '../media/codecs.js';
import { addInputOptions, addOutputOptions, ENCODER_MALLOC_ENV, newCommand, start, type FfmpegRun } from '../media/ffmpeg-run.js';
import { parseHls } from '../media/hls.js';
import { makePipesDir, removeDeadRunLeftovers, tempPathFor } from '../media/leftovers.js';
import { checkWritableDir, type Progress } from '../media/pipeline.js';
import { checkEmbeddable, probeMedia, type MediaInfo, type VideoStreamInfo } from '../media/probe.js';
import { fingerprintsOf, REFERENCE_FILE, workingSize, writeReference } from './reference.js';
import { packageNumber, variantKey } from './variants.js';

export const DEFAULT_SEGMENT_SECONDS = 4;
const PLAYLIST = 'playlist.m3u8';
const INIT = 'init.mp4';
const SEGMENT_PATTERN = 'seg_%05d.m4s';
/** A last segment shorter than this share of the nominal length carries too little to vote: unmarked (-1). */
const MIN_MARKED_SHARE = 0.5;
/**
 * WMPaceInfo positions are 16-bit (`int .size 2`); they wrap at the largest multiple of the
 * codeword length below 2^15, so position p still carries codeword bit p mod 48 across the wrap.
 */
export const POSITION_WRAP = CODEWORD_BITS * Math.floor(0x7fff / CODEWORD_BITS);

/** What Vigil adds to the shared manifest (readers of core/package-layout.ts ignore it). */
export interface VigilPackageManifest extends PackageManifest {
  packageId: string;
  keyId: string;
  segmentSeconds: number;
  frameRate: { num: number; den: number };
  width: number;
  height: number;
  /** Reference fingerprints of variant A (reference.ts). */
  reference: string;
  /** The payload each variant carries with its derived key (variants.ts). */
  packageNumber: number;
}

export interface PackageKey {
  id: string;
  fingerprint: string;
  key: Buffer;
}

export interface PackageRequest {
  input: string;
  out: string;
  key: PackageKey;
  segmentSeconds?: number;
  contentId?: string;
  preset?: Preset;
  strength?: number;
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  log?: Logger;
  /** Called with the finished package still in its temp folder (the database record is written here); if it throws, nothing appears. */
  beforeRename?: (manifest: VigilPackageManifest, tempDir: string) => Promise<void>;
}

export interface PackageSummary {
  out: string;
  manifest: VigilPackageManifest;
  frames: number;
  elapsedMs: number;
  /** Whether A's and B's init segments came out byte-identical (they must; else the run fails). */
  initIdentical: true;
}

/** Frames per segment, or a coded error when the length is not a whole number of frames. */
export function framesPerSegment(seconds: number, video: Pick<VideoStreamInfo, 'frameRate'>, where: string): number {
  if (!Number.isFinite(seconds) || seconds < 0.5 || seconds > 30) {
    throw new VigilError('PACKAGE_SEGMENTS_INVALID', `--segment-seconds must be a number from 0.5 to 30, not ${seconds}`);
  }
  const { num, den } = video.frameRate;
  const frames = (seconds * num) / den;
  const whole = Math.round(frames);
  if (whole < 1 || Math.abs(frames - whole) > 1e-3 * Math.max(1, whole)) {
    const fps = num / den;
    throw new VigilError('PACKAGE_SEGMENTS_INVALID', `${where}: ${seconds} s at ${num}/${den} fps (${fps.toFixed(3)}) is ${frames.toFixed(3)} frames, not a whole number; segments must hold whole GOPs (try ${(Math.max(1, whole) * den / num).toFixed(4)} s)`);
  }
  return whole;
}

function abortError(signal: AbortSignal | undefined): VigilError {
  return new VigilError('INTERRUPTED', `stopped (${signal?.reason instanceof Error ? signal.reason.message : 'aborted'}); the partial package was removed`);
}

/** The encoder arguments both variants share: identical, so their segment boundaries and init agree. */
export function variantEncoderArgs(video: VideoStreamInfo, info: MediaInfo, keyint: number, segmentSeconds: number, preset: Preset): string[] {
  const rate = targetBitRate(video);
  const k = (bits: number): string => `${Math.max(1, Math.round(bits / 1000))}k`;
  return [
    '-c:v', 'libx264', '-preset:v', preset, '-profile:v', 'high', '-pix_fmt:v', 'yuv420p',
    '-b:v', k(rate), '-maxrate:v', k(rate * 1.5), '-bufsize:v', k(rate * 2),
    '-g:v', String(keyint), '-keyint_min:v', String(keyint), '-sc_threshold:v', '0',
    ...(info.audio.length > 0 ? ['-c:a', 'aac', '-b:a', '128k', '-ac', '2'] : []),
    '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact+cgop', '-flags:a', '+bitexact',
    '-f', 'hls', '-hls_time', String(segmentSeconds), '-hls_playlist_type', 'vod', '-hls_segment_type', 'fmp4',
    '-hls_fmp4_init_filename', INIT, '-hls_flags', 'independent_segments', '-hls_list_size', '0',
  ];
}

async function emptyOrMissing(dir: string): Promise<boolean> {
  const names = await fs.readdir(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? [] : undefined));
  return names !== undefined && names.length === 0;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && a.equals(b);
}

function neutralPlaylist(segments: readonly PackagedSegment[]): string {
  const target = Math.ceil(Math.max(...segments.map((s) => s.durationSeconds)) - 1e-6);
  return [
    '#EXTM3U', '#EXT-X-VERSION:7', `#EXT-X-TARGETDURATION:${target}`, '#EXT-X-MEDIA-SEQUENCE:0', '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-INDEPENDENT-SEGMENTS', `#EXT-X-MAP:URI="${INIT}"`,
    ...segments.flatMap((s) => [`#EXTINF:${s.durationSeconds.toFixed(6)},`, s.uri]),
    '#EXT-X-ENDLIST', '',
  ].join('\n');
}

/** Segments as the encoder listed them, uri and duration (the playlist it wrote in `dir`). */
async function encodedSegments(dir: string, label: string): Promise<{ uri: string; duration: number }[]> {
  const file = path.join(dir, 'index.m3u8');
  const playlist = parseHls(await fs.readFile(file, 'utf8'), `http://package.invalid/${label}/index.m3u8`);
  if (playlist.kind !== 'media') throw new VigilError('PACKAGE_VARIANTS_DIVERGE', `variant ${label}: the encoder wrote a master playlist, not a segment list`);
  return playlist.segments.map((s) => ({ uri: path.basename(new URL(s.url).pathname), duration: s.duration }));
}

/** Checks A against B (segment list, durations, init bytes); returns the segment list. */
export async function checkVariantsAgree(dirA: string, dirB: string): Promise<{ uri: string; duration: number }[]> {
  const [a, b] = await Promise.all([encodedSegments(dirA, 'A'), encodedSegments(dirB, 'B')]);
  if (a.length !== b.length) throw new VigilError('PACKAGE_VARIANTS_DIVERGE', `variant A has ${a.length} segments and variant B ${b.length}`);
  a.forEach((s, i) => {
    const t = b[i]!;
    if (s.uri !== t.uri || Math.abs(s.duration - t.duration) > 1e-3) {
      throw new VigilError('PACKAGE_VARIANTS_DIVERGE', `segment ${i}: variant A has ${s.uri} (${s.duration} s), variant B ${t.uri} (${t.duration} s)`);
    }
  });
  const [initA, initB] = await Promise.all([fs.readFile(path.join(dirA, INIT)), fs.readFile(path.join(dirB, INIT))]);
  if (!sameBytes(initA, initB)) {
    throw new VigilError('PACKAGE_VARIANTS_DIVERGE', `the init segments differ: A/${INIT} (${initA.length} bytes) and B/${INIT} (${initB.length} bytes) must be byte-identical for one playlist to serve both`);
  }
  return a;
}

/** Packages `req.input` into `req.out`; see the file comment. */
export async function packageTitle(req: PackageRequest): Promise<PackageSummary> {
  const input = path.resolve(req.input);
  const out = path.resolve(req.out);
  const segmentSeconds = req.segmentSeconds ?? DEFAULT_SEGMENT_SECONDS;
  const preset = req.preset ?? 'medium';
  const { signal } = req;
  if (!(await emptyOrMissing(out))) throw new VigilError('PACKAGE_OUT_EXISTS', `--out ${out} already exists and is not empty`);
  const parent = path.dirname(out);
  await checkWritableDir(parent);
  const info = await probeMedia(input, signal);
  const video = checkEmbeddable(info, { minDuration: 0 });
  const keyint = framesPerSegment(segmentSeconds, video, input);
  if (info.duration < segmentSeconds) throw new VigilError('PACKAGE_SEGMENTS_INVALID', `${input} lasts ${info.duration.toFixed(2)} s, shorter than one ${segmentSeconds} s segment`);
  await removeDeadRunLeftovers([parent], req.log);
  const temp = tempPathFor(out);
  const dirs = { A: path.join(temp, 'A'), B: path.join(temp, 'B') };
  await fs.mkdir(dirs.A, { recursive: true });
  await fs.mkdir(dirs.B, { recursive: true });
  const packageId = randomBytes(16).toString('hex');
  const number = packageNumber(packageId);
  const layout = rawLayout({ width: video.width, height: video.height, bitDepth: 8, chroma: '420' });
  const embedders = (['A', 'B'] as const).map((v) => createEmbedder({
    key: variantKey(req.key.key, packageId, v), width: layout.width, height: layout.height, bitDepth: 8, payload: number, ...(req.strength ? { strength: req.strength } : {}),
  }));
  const started = Date.now();
  const totalFrames = video.frames ?? Math.max(1, Math.round(info.duration * (video.frameRate.num / video.frameRate.den)));
  const pipes = await makePipesDir();
  const runs: FfmpegRun[] = [];
  let relay: FrameRelay | undefined;
  let failure: unknown;
  const stopAll = (): void => { relay?.cancel(); runs.forEach((r) => r.kill()); };
  signal?.addEventListener('abort', stopAll, { once: true });
  const report = (frames: number, total = totalFrames): void => {
    const elapsedMs = Date.now() - started;
    req.onProgress?.({ frames, totalFrames: total, fraction: Math.min(1, frames / total), fps: frames / Math.max(0.001, elapsedMs / 1000), elapsedMs });
  };
  let reported = 0;
  const progress = req.onProgress ? setInterval(() => {
    const frames = relay?.frames ?? 0;
    if (frames > reported) report((reported = frames));
  }, 250) : undefined;
  try {
    relay = createFrameRelay({ dir: pipes, frameBytes: layout.frameBytes, lumaBytes: layout.lumaBytes, embedders });
    const relayed = relay.run();
    const args = variantEncoderArgs(video, info, keyint, segmentSeconds, preset);
    (['A', 'B'] as const).forEach((v, i) => {
      const command = newCommand({ env: ENCODER_MALLOC_ENV }).input(relay!.sinkPaths[i]!);
      addInputOptions(command, ['-f', 'rawvideo', '-pix_fmt', layout.pixFmt, '-video_size', `${layout.width}x${layout.height}`, '-framerate', `${video.frameRate.num}/${video.frameRate.den}`]);
      command.input(input);
      addInputOptions(command, ['-nostdin']);
      addOutputOptions(command.output(path.join(dirs[v], 'index.m3u8')), [
        '-map', '0:v:0', ...(info.audio.length > 0 ? ['-map', '1:a:0'] : []), ...args, '-hls_segment_filename', path.join(dirs[v], SEGMENT_PATTERN),
      ]);
      runs.push(start(command, `encoder ${v}`));
    });
    const decoder = newCommand().input(input);
    addInputOptions(decoder, ['-nostdin', '-threads', String(Math.max(1, Math.round(os.availableParallelism() / 8)))]);
    addOutputOptions(decoder.output(relay.sourcePath), ['-map', `0:${video.index}`, '-fps_mode', 'passthrough', '-pix_fmt', layout.pixFmt, '-f', 'rawvideo']);
    const decoding = start(decoder, 'decoder');
    runs.push(decoding);
    for (const r of runs) r.done.catch((error: unknown) => {
      if ((error as { killed?: boolean }).killed) return;
      failure ??= error;
      stopAll();
    });
    const { frames, trailingBytes } = await relayed;
    await decoding.done;
    if (signal?.aborted) throw abortError(signal);
    if (failure) throw failure;
    if (frames === 0) throw new VigilError('MEDIA_FAILED', `${input}: the decoder produced no frames`);
    if (trailingBytes > 0) throw new VigilError('MEDIA_FAILED', `${input}: the decoder's output ended inside a frame`);
    await Promise.all(runs.slice(0, 2).map((r) => r.done));
    report(frames, frames);

    const encoded = await checkVariantsAgree(dirs.A, dirs.B);
    let next = 0;
    const segments: PackagedSegment[] = encoded.map((s) => ({
      uri: s.uri, durationSeconds: s.duration, position: s.duration >= MIN_MARKED_SHARE * segmentSeconds ? next++ % POSITION_WRAP : -1,
    }));
    await fs.rename(path.join(dirs.A, INIT), path.join(temp, INIT));
    await Promise.all([fs.rm(path.join(dirs.B, INIT)), fs.rm(path.join(dirs.A, 'index.m3u8')), fs.rm(path.join(dirs.B, 'index.m3u8'))]);
    for (const s of segments) {
      const sidecar = encodeWmPaceInfo([{ position: s.position, firstpart: true, lastpart: true }]);
      await fs.writeFile(path.join(dirs.A, s.uri + WMPACEINFO_SUFFIX), sidecar);
      if (s.position < 0) await fs.rm(path.join(dirs.B, s.uri));
      else await fs.writeFile(path.join(dirs.B, s.uri + WMPACEINFO_SUFFIX), sidecar);
    }
    await fs.writeFile(path.join(temp, PLAYLIST), neutralPlaylist(segments));
    const size = workingSize(video.width, video.height);
    const reference = await fingerprintsOf({ files: [path.join(temp, INIT), ...segments.map((s) => path.join(dirs.A, s.uri))] }, size, undefined, signal);
    await writeReference(path.join(temp, REFERENCE_FILE), size, reference);
    const manifest: VigilPackageManifest = {
      format: PACKAGE_FORMAT, version: 1, patternVersion: PATTERN_VERSION, ...(req.contentId ? { contentId: req.contentId } : {}),
      playlist: PLAYLIST, init: INIT, segments,
      packageId, keyId: req.key.id, segmentSeconds, frameRate: video.frameRate, width: video.width, height: video.height, reference: REFERENCE_FILE, packageNumber: number,
    };
    const text = JSON.stringify(manifest, null, 2);
    const check = readPackageManifest(text);
    if (!check.ok) throw new Error(`the manifest written does not check: ${check.problems.join('; ')}`);
    await fs.writeFile(path.join(temp, PACKAGE_MANIFEST), text);
    // Only an empty folder may be replaced: rmdir refuses one that filled up while we worked.
    await fs.rmdir(out).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw new VigilError('PACKAGE_OUT_EXISTS', `--out ${out} is no longer empty (${error.code ?? error.message}); the package was not written`);
    });
    await req.beforeRename?.(manifest, temp);
    await fs.rename(temp, out);
    req.log?.info({ out, packageId, segments: segments.length, marked: next, frames, ms: Date.now() - started }, 'package written');
    return { out, manifest, frames, elapsedMs: Date.now() - started, initIdentical: true };
  } catch (error) {
    if (!failure && !signal?.aborted) await Promise.race([Promise.allSettled(runs.map((r) => r.done)), delay(1000)]);
    stopAll();
    await Promise.allSettled(runs.map((r) => r.done));
    await fs.rm(temp, { recursive: true, force: true });
    if (signal?.aborted) throw abortError(signal);
    const cause = failure ?? error;
    if (cause instanceof VigilError) throw cause;
    throw new VigilError('MEDIA_FAILED', `${input}: ${(cause as Error).message}`, { cause });
  } finally {
    clearInterval(progress);
    signal?.removeEventListener('abort', stopAll);
    await fs.rm(pipes, { recursive: true, force: true });
  }
}
