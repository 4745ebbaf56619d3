/**
 * One embed run: decode the source once to raw frames, embed each recipient's ID in the luma plane
 * (chroma untouched), and feed one encoder per recipient that also copies the source's audio and
 * metadata. Outputs are written to temp files beside their final names and renamed on success;
 * on failure or abort every ffmpeg child is killed and every temp file removed; a killed process's
 * leftovers are swept by the next run (leftovers.ts).
 *
 *   ffmpeg -i SRC -f rawvideo FIFO ─▶ native relay: embed(luma, id_k) ─▶ FIFO_k ─▶ ffmpeg -f rawvideo -i FIFO_k -i SRC [-i IMG] ─▶ .tmp ─rename─▶ OUT_k
 *
 * Frames never pass through JavaScript: the relay (native/src/relay.h) reads each one into a ring
 * buffer on its own thread and hands it to the encoders' pipes by reference, which is what keeps
 * the embed within a few percent of a plain transcode on a machine the encoder already fills.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { createEmbedder, createFrameRelay, type Embedder, type FrameRelay, type MarkVersion } from '../../native/index.js';
import { VigilError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { encoderSettings, rawLayout, type EncoderSettings, type Preset, type RawLayout } from './codecs.js';
import { addInputOptions, addOutputOptions, ENCODER_MALLOC_ENV, newCommand, start, type FfmpegRun } from './ffmpeg-run.js';
import { makePipesDir, tempPathFor } from './leftovers.js';
import type { ContainerExt, MediaInfo, VideoStreamInfo } from './probe.js';

export interface EmbedTarget {
  output: string;
  payload: number;
}

export interface Progress {
  frames: number;
  totalFrames: number;
  /** 0..1 */
  fraction: number;
  fps: number;
  elapsedMs: number;
}

export interface PipelineOptions {
  info: MediaInfo;
  video: VideoStreamInfo;
  ext: ContainerExt;
  targets: EmbedTarget[];
  key: Buffer;
  strength?: number;
  /** The forensic mark version to embed (native/index.ts; default 1): the caller records it in the ledger. */
  markVersion?: MarkVersion;
  preset?: Preset;
  /** Visible watermark: a filter graph reading [0:v] and [2:v] (the image), writing [vout]. */
  overlay?: { image: string; filter: string };
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  log?: Logger;
  /** Skip the forensic mark (the bench's plain-transcode baseline runs through the same code). */
  noEmbed?: boolean;
  /**
   * Called once every output is complete in its temp file, before any is renamed into place (the
   * embed ledger is written here): if it throws, the temp files are removed and no output appears.
   */
  beforeRename?: (files: { temp: string; output: string }[]) => Promise<void>;
}

export interface PipelineResult {
  outputs: string[];
  frames: number;
  elapsedMs: number;
}

/** Throws OUTPUT_NOT_WRITABLE unless `dir` is an existing directory this process may write to. */
export async function checkWritableDir(dir: string): Promise<void> {
  const stat = await fs.stat(dir).catch(() => undefined);
  if (!stat?.isDirectory()) throw new VigilError('OUTPUT_NOT_WRITABLE', `output directory ${dir} does not exist or is not a directory`);
  // access(W_OK) is true for root even on read-only mounts; creating a file is the real test.
  const probe = path.join(dir, `.vigil-write-test-${randomBytes(4).toString('hex')}`);
  try {
    await fs.writeFile(probe, '', { flag: 'wx' });
    await fs.unlink(probe);
  } catch (error) {
    throw new VigilError('OUTPUT_NOT_WRITABLE', `cannot write to output directory ${dir}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Decoder threads: decoding is far cheaper than encoding, so a decoder with one thread per eight
 * cores keeps ahead of the encoders, and spends less CPU on thread hand-offs than ffmpeg's default
 * (one per core) would take from them.
 */
function decoderThreads(cores: number): number {
  return Math.max(1, Math.round(cores / 8));
}

/**
 * The decoder: source video → raw planar frames written to the relay's source pipe. Unbuffered
 * output (-avioflags direct): each frame goes into the pipe in one write from the muxer's packet,
 * not copied again into ffmpeg's 32 KiB output buffer and written a piece at a time, each piece
 * waking the relay.
 */
function startDecoder(info: MediaInfo, video: VideoStreamInfo, layout: RawLayout, pipe: string): FfmpegRun {
  const command = newCommand().input(info.path);
  addInputOptions(command, ['-nostdin', '-threads', String(decoderThreads(os.availableParallelism()))]);
  addOutputOptions(command.output(pipe), ['-map', `0:${video.index}`, '-fps_mode', 'passthrough', '-pix_fmt', layout.pixFmt, '-f', 'rawvideo', '-avioflags', 'direct']);
  return start(command, 'decoder');
}

/** An encoder: raw frames from its relay pipe (+ the source for audio, subtitles and metadata, + the image) → temp file. */
function startEncoder(options: PipelineOptions, layout: RawLayout, settings: EncoderSettings, pipe: string, temp: string, index: number): FfmpegRun {
  const { info, video } = options;
  const command = newCommand({ env: ENCODER_MALLOC_ENV }).input(pipe);
  addInputOptions(command, ['-f', 'rawvideo', '-pix_fmt', layout.pixFmt, '-video_size', `${layout.width}x${layout.height}`, '-framerate', `${video.frameRate.num}/${video.frameRate.den}`]);
  command.input(info.path);
  addInputOptions(command, ['-nostdin']);
  if (options.overlay) command.input(options.overlay.image);
  const out: string[] = options.overlay ? ['-filter_complex', options.overlay.filter, '-map', '[vout]'] : ['-map', '0:v:0'];
  // Audio, subtitles and attachments (fonts in MKV) are copied: the output container is the source's, so it takes them.
  out.push('-map', '1:a?', '-c:a', 'copy', '-map', '1:s?', '-c:s', 'copy', '-map', '1:t?', '-map_metadata', '1', '-map_chapters', '1', ...settings.videoArgs);
  if (info.timecode) out.push('-timecode', info.timecode);
  out.push('-max_muxing_queue_size', '4096', '-f', settings.muxer);
  addOutputOptions(command.output(temp), out);
  return start(command, `encoder ${index + 1}`);
}

function abortReason(signal: AbortSignal | undefined): VigilError {
  return new VigilError('INTERRUPTED', `stopped (${signal?.reason instanceof Error ? signal.reason.message : 'aborted'}); partial outputs were removed`);
}

/** Runs the whole embed for all targets at once (one decode, one encoder each). */
export async function runEmbedPipeline(options: PipelineOptions): Promise<PipelineResult> {
  const { video, ext, targets, signal } = options;
  if (targets.length === 0) return { outputs: [], frames: 0, elapsedMs: 0 };
  if (signal?.aborted) throw abortReason(signal);
  const layout = rawLayout(video, video.codec);
  const settings = encoderSettings(video, ext, { preset: options.preset });
  for (const dir of new Set(targets.map((t) => path.dirname(t.output)))) await checkWritableDir(dir);
  const embedders: (Embedder | null)[] = targets.map((t) =>
    options.noEmbed ? null : createEmbedder({ key: options.key, width: layout.width, height: layout.height, bitDepth: layout.bitDepth, payload: t.payload, ...(options.strength ? { strength: options.strength } : {}),
      ...(options.markVersion ? { markVersion: options.markVersion } : {}) }));
  const temps = targets.map((t) => tempPathFor(t.output));
  const started = Date.now();
  const totalFrames = video.frames ?? Math.max(1, Math.round(options.info.duration * (video.frameRate.num / video.frameRate.den)));
  // The relay's named pipes live in a private temp folder, removed whatever happens (or, if this
  // process is killed, by the next run: the folder is named for our pid; see leftovers.ts).
  const pipes = await makePipesDir();
  const runs: FfmpegRun[] = [];
  let relay: FrameRelay | undefined;
  const stopAll = (): void => {
    relay?.cancel();
    runs.forEach((r) => r.kill());
  };
  const onAbort = (): void => stopAll();
  signal?.addEventListener('abort', onAbort, { once: true });
  let failure: unknown;
  const report = (frames: number, total = totalFrames): void => {
    const elapsedMs = Date.now() - started;
    options.onProgress?.({ frames, totalFrames: total, fraction: Math.min(1, frames / total), fps: frames / Math.max(0.001, elapsedMs / 1000), elapsedMs });
  };
  let reported = 0;
  const progress = options.onProgress ? setInterval(() => {
    const frames = relay?.frames ?? 0;
    if (frames > reported) report((reported = frames)); // nothing new while the encoders start: no "0 %" lines
  }, 250) : undefined;
  try {
    relay = createFrameRelay({ dir: pipes, frameBytes: layout.frameBytes, lumaBytes: layout.lumaBytes, embedders });
    const relayed = relay.run();
    const sinks = relay.sinkPaths;
    runs.push(...temps.map((temp, i) => startEncoder(options, layout, settings, sinks[i]!, temp, i)));
    const decoder = startDecoder(options.info, video, layout, relay.sourcePath);
    runs.push(decoder);
    const encoders = runs.slice(0, targets.length);
    // A child that dies early must stop the pipeline at once: the relay would otherwise wait on it.
    // Runs we killed ourselves say only "killed"; the child that failed first says why.
    for (const r of runs) r.done.catch((error: unknown) => {
      if ((error as { killed?: boolean }).killed) return;
      failure ??= error;
      stopAll();
    });
    options.log?.debug({ layout, videoArgs: settings.videoArgs, outputs: targets.length }, 'embed pipeline started');
    const { frames, trailingBytes } = await relayed;
    await decoder.done;
    if (signal?.aborted) throw abortReason(signal);
    if (failure) throw failure;
    if (frames === 0) throw new VigilError('MEDIA_FAILED', `${options.info.path}: the decoder produced no frames`);
    if (trailingBytes > 0) throw new VigilError('MEDIA_FAILED', `${options.info.path}: the decoder's output ended inside a frame (${trailingBytes} of ${layout.frameBytes} bytes)`);
    await Promise.all(encoders.map((e) => e.done));
    await options.beforeRename?.(temps.map((temp, i) => ({ temp, output: targets[i]!.output })));
    for (const [i, temp] of temps.entries()) await fs.rename(temp, targets[i]!.output);
    report(frames, frames);
    return { outputs: targets.map((t) => t.output), frames, elapsedMs: Date.now() - started };
  } catch (error) {
    // The relay's own error ("encoder 1 stopped reading frames") often arrives just before the
    // exit of the child that caused it, whose stderr says more: give that a moment.
    if (!failure && !signal?.aborted) await Promise.race([Promise.allSettled(runs.map((r) => r.done)), delay(1000)]);
    stopAll();
    await Promise.allSettled(runs.map((r) => r.done));
    await Promise.all(temps.map((t) => fs.rm(t, { force: true })));
    if (signal?.aborted) throw abortReason(signal);
    const cause = failure ?? error;
    if (cause instanceof VigilError) throw cause;
    throw new VigilError('MEDIA_FAILED', (cause as Error).message, { cause });
  } finally {
    clearInterval(progress);
    signal?.removeEventListener('abort', onAbort);
    await fs.rm(pipes, { recursive: true, force: true });
  }
}
