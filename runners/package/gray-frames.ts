/**
 * Luma frames at a small working size for alignment and A/B reading: a recording, or a run of a
 * package's fMP4 segments fed to ffmpeg as one stream (the init segment followed by media segments
 * is a valid fragmented MP4). Every source goes through the same scaler, so a packaged frame and a
 * recorded one land on the same grid.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { frameSink } from '../media/raw-frames.js';

export interface GraySize {
  width: number;
  height: number;
}

export type GraySource = { file: string; startSeconds?: number; maxSeconds?: number } | { files: readonly string[] };

export interface GrayOptions {
  size: GraySize;
  /** Frames come at this rate (ffmpeg's fps filter; the stream's own rate passes every frame), at t = index / fps. */
  fps: number;
  signal?: AbortSignal;
}

/** Concatenates files into one stream (init + segments), one after the other. */
function concatFiles(files: readonly string[]): Readable {
  const out = new PassThrough();
  void (async () => {
    try {
      for (const f of files) {
        for await (const chunk of createReadStream(f)) {
          if (out.destroyed) return;
          if (!out.write(chunk)) await once(out, 'drain');
        }
      }
      out.end();
    } catch (error) {
      out.destroy(error as Error);
    }
  })();
  return out;
}

/**
 * Decodes `source` to 8-bit luma planes of `size` and hands each to `onFrame` (the buffer is reused:
 * copy what you keep) with its time in seconds from the start of what was decoded.
 */
export async function decodeGray(source: GraySource, options: GrayOptions, onFrame: (plane: Buffer, time: number, index: number) => void): Promise<number> {
  const { width, height } = options.size;
  const input: string[] = 'file' in source
    ? [...(source.startSeconds ? ['-ss', String(source.startSeconds)] : []), ...(source.maxSeconds ? ['-t', String(source.maxSeconds)] : []), '-i', source.file]
    : ['-f', 'mp4', '-i', 'pipe:0'];
  const filters = [`fps=${options.fps}`, `scale=${width}:${height}:flags=area`, 'format=gray'];
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', ...input, '-map', '0:v:0', '-an', '-sn', '-vf', filters.join(','),
    '-f', 'rawvideo', 'pipe:1'];
  const child = spawn('ffmpeg', args, { stdio: ['file' in source ? 'ignore' : 'pipe', 'pipe', 'pipe'], signal: options.signal });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { stderr = (stderr + c).slice(-4000); });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  if (!('file' in source)) {
    const feed = concatFiles(source.files);
    feed.on('error', () => child.kill('SIGKILL'));
    child.on('close', () => feed.destroy());
    // ffmpeg may stop reading once it has what it needs: a closed stdin is not an error here.
    child.stdin!.on('error', () => undefined);
    feed.pipe(child.stdin!);
  }
  let count = 0;
  const sink = frameSink(width * height, (frame, index) => {
    count = index + 1;
    onFrame(frame, index / options.fps, index);
  });
  await Promise.all([pipeline(child.stdout!, sink), exited.then((code) => {
    if (code !== 0) throw new Error(`ffmpeg exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' ')}`);
  })]);
  return count;
}
