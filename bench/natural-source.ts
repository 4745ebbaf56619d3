/**
 * A natural-footage source for the watermark bench: photographs that nobody here shot (Debian's
 * mate-backgrounds, nature/ and Elephants), each panned across for a few seconds and cut to the
 * next, with light temporal grain, as a camera pan over a real scene would be. The bench's
 * synthetic scenes (fractal, cellular life, gradients) are easy on the mark in ways real
 * pictures are not: natural texture, flat skies and dark areas.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Where `apt-get install mate-backgrounds` puts the photographs. */
export const PHOTO_DIR = '/usr/share/backgrounds/mate';
const PHOTOS = [
  'nature/Garden.jpg', 'nature/Storm.jpg', 'abstract/Elephants.jpg', 'nature/Wood.jpg', 'nature/Dune.jpg', 'nature/LadyBird.jpg',
  'nature/RainDrops.jpg', 'nature/TwoWings.jpg', 'nature/GreenMeadow.jpg', 'nature/YellowFlower.jpg', 'nature/Aqua.jpg', 'nature/Blinds.jpg',
];

/** The photographs that are installed, in a fixed order; empty when the package is missing. */
export async function naturalPhotos(): Promise<string[]> {
  const found: string[] = [];
  for (const p of PHOTOS) {
    const file = path.join(PHOTO_DIR, p);
    if (await fs.stat(file).then(() => true, () => false)) found.push(file);
  }
  return found;
}

/**
 * Writes `out` (H.264 4 Mbps + a sine audio track): `seconds` of `width`x`height`@`fps`, one shot
 * per photograph of `seconds / photos` each, the picture 25 % larger than the frame and panned
 * corner to corner (direction alternating per shot), grain σ≈3.
 */
export async function makeNaturalSource(out: string, photos: readonly string[], opts: { seconds: number; width: number; height: number; fps: number }): Promise<void> {
  if (photos.length === 0) throw new Error(`no photographs under ${PHOTO_DIR}: apt-get install mate-backgrounds`);
  const shot = opts.seconds / photos.length;
  const bw = Math.round((opts.width * 1.25) / 2) * 2;
  const bh = Math.round((opts.height * 1.25) / 2) * 2;
  const inputs = photos.flatMap((p) => ['-loop', '1', '-framerate', String(opts.fps), '-t', shot.toFixed(3), '-i', p]);
  const chains = photos.map((_, i) => {
    // pan from one corner to the opposite one over the shot; odd shots go the other way
    const fx = i % 2 === 0 ? `t/${shot.toFixed(3)}` : `(1-t/${shot.toFixed(3)})`;
    const fy = i % 3 === 0 ? `(1-t/${shot.toFixed(3)})` : `t/${shot.toFixed(3)}`;
    return `[${i}:v]scale=${bw}:${bh}:force_original_aspect_ratio=increase:flags=lanczos,crop=${bw}:${bh},` +
      `crop=${opts.width}:${opts.height}:x='(iw-ow)*${fx}':y='(ih-oh)*${fy}',setsar=1,format=yuv420p[s${i}]`;
  });
  const concat = `${photos.map((_, i) => `[s${i}]`).join('')}concat=n=${photos.length}:v=1:a=0,noise=alls=6:allf=t,format=yuv420p[v]`;
  await exec('ffmpeg', [
    '-hide_banner', '-nostdin', '-y', '-loglevel', 'error', ...inputs,
    '-f', 'lavfi', '-i', `sine=f=220:r=48000:d=${opts.seconds}`,
    '-filter_complex', [...chains, concat].join(';'), '-map', '[v]', '-map', `${photos.length}:a`,
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-b:v', '4M', '-maxrate', '6M', '-bufsize', '8M', '-r', String(opts.fps),
    '-c:a', 'aac', '-b:a', '96k', '-shortest', out,
  ], { maxBuffer: 1 << 26 });
}
