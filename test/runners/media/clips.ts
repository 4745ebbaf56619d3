/**
 * Tiny real clips made with ffmpeg's lavfi sources for the media and watermark tests: a few
 * seconds at 320x180, textured (mandelbrot + temporal noise) so the mark has a host to hide in.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export async function ffmpeg(args: string[]): Promise<void> {
  await exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args], { maxBuffer: 1 << 26 });
}

export async function ffprobeJson(file: string, args: string[] = ['-show_streams', '-show_format']): Promise<{
  streams: Record<string, unknown>[];
  format?: Record<string, unknown>;
  frames?: { side_data_list?: Record<string, unknown>[] }[];
}> {
  const { stdout } = await exec('ffprobe', ['-v', 'error', ...args, '-of', 'json', file]);
  return JSON.parse(stdout) as never;
}

export type ClipKind = 'h264' | 'h265' | 'vp9' | 'prores' | 'xdcam' | 'hdr10' | 'audio-only' | 'mpeg4';

const VIDEO = (size: string, rate: number): string => `mandelbrot=s=${size}:r=${rate}:maxiter=200,noise=alls=14:allf=t,format=yuv420p`;

/** Makes a clip of `kind` in `dir`; returns its path. `seconds` default 2. */
export async function makeClip(dir: string, kind: ClipKind, seconds = 2, name?: string): Promise<string> {
  const size = '320x180';
  const sine = ['-f', 'lavfi', '-i', `sine=f=440:r=48000:d=${seconds}`];
  const t = ['-t', String(seconds)];
  const file = (ext: string): string => path.join(dir, `${name ?? kind}.${ext}`);
  switch (kind) {
    case 'h264': {
      const out = file('mp4');
      await ffmpeg(['-f', 'lavfi', '-i', VIDEO(size, 10), ...sine, ...t, '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-profile:v', 'main', '-b:v', '800k', '-c:a', 'aac', '-b:a', '64k', out]);
      return out;
    }
    case 'h265': {
      const out = file('mp4');
      await ffmpeg(['-f', 'lavfi', '-i', VIDEO(size, 10), ...sine, ...t, '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p', '-b:v', '600k', '-tag:v', 'hvc1', '-c:a', 'aac', '-b:a', '64k', out]);
      return out;
    }
    case 'vp9': {
      const out = file('mp4');
      await ffmpeg(['-f', 'lavfi', '-i', VIDEO(size, 10), ...sine, ...t, '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '700k', '-c:a', 'libopus', '-b:a', '64k', out]);
      return out;
    }
    case 'prores': {
      const out = file('mov');
      await ffmpeg(['-f', 'lavfi', '-i', VIDEO(size, 10), ...sine, ...t, '-c:v', 'prores_ks', '-profile:v', '2', '-vf', 'format=yuv422p10le', '-pix_fmt', 'yuv422p10le', '-c:a', 'pcm_s16le', out]);
      return out;
    }
    case 'xdcam': {
      // MXF wants a broadcast frame rate; XDCAM HD422 is MPEG-2 4:2:2 with PCM audio.
      const out = file('mxf');
      await ffmpeg(['-f', 'lavfi', '-i', VIDEO(size, 25), ...sine, ...t, '-c:v', 'mpeg2video', '-vf', 'format=yuv422p', '-pix_fmt', 'yuv422p', '-b:v', '3M', '-minrate', '3M', '-maxrate', '3M', '-bufsize', '2M', '-g', '12', '-c:a', 'pcm_s24le', out]);
      return out;
    }
    case 'hdr10': {
      const out = file('mp4');
      await ffmpeg(['-f', 'lavfi', '-i', VIDEO(size, 10), ...t, '-c:v', 'libx265', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p10le', '-b:v', '800k',
        '-color_primaries', 'bt2020', '-color_trc', 'smpte2084', '-colorspace', 'bt2020nc', '-color_range', 'tv',
        '-x265-params', 'log-level=error:hdr10=1:repeat-headers=1:master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,50):max-cll=1000,400',
        '-tag:v', 'hvc1', out]);
      return out;
    }
    case 'audio-only': {
      const out = file('m4a');
      await ffmpeg([...sine, '-c:a', 'aac', out]);
      return out;
    }
    case 'mpeg4': {
      const out = file('mp4');
      await ffmpeg(['-f', 'lavfi', '-i', VIDEO(size, 10), ...t, '-c:v', 'mpeg4', '-q:v', '5', out]);
      return out;
    }
  }
}

/** A 31-second clip, cheap to make and to embed: 320x180 at 5 fps. */
export async function makeLongClip(dir: string, name = 'feature'): Promise<string> {
  const out = path.join(dir, `${name}.mp4`);
  await ffmpeg(['-f', 'lavfi', '-i', VIDEO('320x180', 5), '-f', 'lavfi', '-i', 'sine=f=330:r=48000:d=31', '-t', '31',
    '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-b:v', '600k', '-c:a', 'aac', '-b:a', '48k', out]);
  return out;
}
