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

export const TEST_KEY = Buffer.from('77c4d8e7f31a5b9c2d6e0f4a87b3c1d5e9f2a6b0c4d8e1f5a9b3c7d213f1e2d9', 'hex');

/** 54 one-second segments: a recording cut 2.5 s in still covers 51 whole ones, more than the 48 a pattern needs. */
export async function makePackagedTitle(dir: string): Promise<{ title: string; pkg: string }> {
  const { packageTitle } = await import('../../../runners/package/package.js');
  const title = await makeTitle(dir, 54);
  const pkg = path.join(dir, 'pkg');
  await packageTitle({ input: title, out: pkg, key: { id: '00112233aabbccdd', fingerprint: 'f'.repeat(64), key: TEST_KEY }, segmentSeconds: 1, preset: 'ultrafast' });
  return { title, pkg };
}

export async function leakOf(dir: string, pkg: string, watermarkId: number): Promise<string> {
  const copy = path.join(dir, `session-${watermarkId}.mp4`);
  await sessionCopy(pkg, watermarkId, copy);
  const leak = path.join(dir, `leak-${watermarkId}.mp4`);
  await restream(copy, leak, { cutSeconds: 2.5, size: '480:270', bitrate: '200k' });
  return leak;
}
