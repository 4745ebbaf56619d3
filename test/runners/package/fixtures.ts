/**
 * A title to package for the A/B tests: natural-looking, textured footage (mandelbrot zoom +
 * temporal noise, as the watermark tests use) at 256x144 and 8 fps, so 1 s segments hold 8 frames
 * and ~54 s give the 48+ marked segments a whole session pattern needs, in a few seconds of work.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { patternFor, variantAt } from '../../../core/ab-pattern.js';
import type { PackageManifest } from '../../../core/package-layout.js';
import { ffmpeg } from '../media/clips.js';

export const FPS = 8;

export async function makeTitle(dir: string, seconds: number, name = 'title'): Promise<string> {
  const out = path.join(dir, `${name}.mp4`);
  await ffmpeg(['-f', 'lavfi', '-i', `mandelbrot=s=256x144:r=${FPS}:maxiter=200,noise=alls=14:allf=t,format=yuv420p`, '-f', 'lavfi', '-i', `sine=f=440:r=48000:d=${seconds}`,
    '-t', String(seconds), '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '500k', '-c:a', 'aac', '-b:a', '48k', out]);
  return out;
}

/** What a session's player receives: the init segment, then each segment from A/ or B/ by the session's pattern (as the edge serves them). */
export async function sessionCopy(pkgDir: string, watermarkId: number, out: string): Promise<void> {
  const manifest = JSON.parse(await fs.readFile(path.join(pkgDir, 'vigil-package.json'), 'utf8')) as PackageManifest;
  const pattern = patternFor(watermarkId);
  const parts = [await fs.readFile(path.join(pkgDir, manifest.init))];
  for (const s of manifest.segments) parts.push(await fs.readFile(path.join(pkgDir, s.position < 0 || variantAt(pattern, s.position) === 0 ? 'A' : 'B', s.uri)));
  await fs.writeFile(out, Buffer.concat(parts));
}

/** A re-stream as a pirate would make it: cut at the start, rescaled, re-encoded at another bitrate. */
export async function restream(input: string, out: string, options: { cutSeconds: number; size: string; bitrate: string }): Promise<void> {
  await ffmpeg(['-ss', String(options.cutSeconds), '-i', input, '-vf', `scale=${options.size}`, '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', options.bitrate, '-c:a', 'aac', '-b:a', '64k', out]);
}
