import { execFile } from 'node:child_process';
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { PACKAGE_FORMAT, PACKAGE_MANIFEST, type PackageManifest } from '../../core/package-layout.js';

const run = promisify(execFile);

/**
 * A small A/B package as core/package-layout.ts lays it out, made with ffmpeg without the packager:
 * two encodes of the same test pattern with identical encoder settings (so one init serves both),
 * B with a box drawn on it, cut into 1-second fMP4 segments. Positions: the first segment is
 * unmarked (-1), then 0, 1, 2, …
 */
export async function makeAbPackage(dir: string, options: { seconds?: number; contentId?: string } = {}): Promise<PackageManifest> {
  const seconds = options.seconds ?? 6;
  const encode = async (variant: 'A' | 'B'): Promise<void> => {
    const out = path.join(dir, variant);
    await mkdir(out, { recursive: true });
    const vf = variant === 'B' ? ['-vf', 'drawbox=x=8:y=8:w=24:h=24:color=white@1:t=fill'] : [];
    await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=160x90:rate=10:duration=${seconds}`, ...vf,
      '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '10', '-keyint_min', '10', '-sc_threshold', '0', '-bf', '0', '-pix_fmt', 'yuv420p',
      '-f', 'hls', '-hls_time', '1', '-hls_segment_type', 'fmp4', '-hls_playlist_type', 'vod',
      '-hls_fmp4_init_filename', 'init.mp4', '-hls_segment_filename', path.join(out, 'seg-%03d.m4s'), path.join(out, 'index.m3u8')], { timeout: 60_000 });
  };
  await encode('A');
  await encode('B');
  // The playlist and init are shared: taken from A (ffmpeg writes init.mp4 next to the segments).
  await rename(path.join(dir, 'A', 'index.m3u8'), path.join(dir, 'index.m3u8'));
  await rename(path.join(dir, 'A', 'init.mp4'), path.join(dir, 'init.mp4'));
  await rm(path.join(dir, 'B', 'index.m3u8'));
  await rm(path.join(dir, 'B', 'init.mp4'));
  const segments = (await readdir(path.join(dir, 'A'))).filter((f) => f.endsWith('.m4s')).sort();
  const manifest: PackageManifest = {
    format: PACKAGE_FORMAT, version: 1, patternVersion: 1, ...(options.contentId ? { contentId: options.contentId } : {}),
    playlist: 'index.m3u8', init: 'init.mp4',
    segments: segments.map((uri, i) => ({ uri, durationSeconds: 1, position: i - 1 })),
  };
  await writeFile(path.join(dir, PACKAGE_MANIFEST), JSON.stringify(manifest, null, 2));
  return manifest;
}
