import { spawn } from 'node:child_process';
import { frameFingerprint, type Fingerprint, type TimedFingerprint } from '../../native/fingerprint.js';

/**
 * Frames for phase 2: ffmpeg decodes a local file (never a URL: the safe fetcher brought it here)
 * to 8-bit gray planes at a sampling rate and a bounded size, and the native engine fingerprints
 * each plane (native/README.md, "Perceptual fingerprint"). Full planes, not thumbnails: the native
 * fingerprint removes borders and hashes 100 crop windows itself, which is what makes it survive
 * letterboxing and crops.
 */

/** Longer side of the decoded planes; the native reduction goes to ≤ 256 samples per axis anyway. */
export const MAX_SIDE = 640;
/**
 * Sampling rate for reference video (808 bytes stored per frame: ~11.6 MB for a 2-hour title). Not
 * below the suspect rate: a leak cut anywhere is sampled at another phase, and at 1 fps a suspect
 * frame can lie 0.5 s from the nearest reference frame, too far in fast motion.
 */
export const REFERENCE_FPS = 2;
/** Sampling rate for suspect video; matching compares timestamps, so the rates may differ. */
export const SUSPECT_FPS = 2;
/**
 * Identifies how references were made (engine, sampling, size): stored with them and part of their
 * media hash, so changing any of it recomputes stored references on the next round.
 */
export const FINGERPRINTER = `vigil-native-fp/1 ref ${REFERENCE_FPS} fps, ≤${MAX_SIDE} px`;

/** The smallest plane the native fingerprint accepts (icons and tracking pixels are below it). */
const MIN_SIDE = 16;

export interface GrayFrame {
  width: number;
  height: number;
  plane: Uint8Array;
}

/** Splits a stream of binary PGM images (P5, maxval 255), as ffmpeg's image2pipe writes them. */
export function parsePgmStream(all: Buffer): GrayFrame[] {
  const frames: GrayFrame[] = [];
  let o = 0;
  while (o < all.length) {
    const fields: string[] = [];
    if (all[o] !== 0x50 || all[o + 1] !== 0x35) throw new Error(`not a PGM (P5) image at byte ${o}`);
    o += 2;
    while (fields.length < 3) {
      while (o < all.length && /\s/.test(String.fromCharCode(all[o]!))) o += 1;
      if (all[o] === 0x23) { while (o < all.length && all[o] !== 0x0a) o += 1; continue; }
      const start = o;
      while (o < all.length && !/\s/.test(String.fromCharCode(all[o]!))) o += 1;
      fields.push(all.toString('latin1', start, o));
    }
    o += 1; // the single whitespace byte after maxval
    const [width, height, maxval] = fields.map(Number) as [number, number, number];
    if (!(width > 0 && height > 0) || maxval !== 255) throw new Error(`unexpected PGM header ${fields.join(' ')}`);
    const size = width * height;
    if (o + size > all.length) throw new Error('truncated PGM image');
    frames.push({ width, height, plane: new Uint8Array(all.buffer, all.byteOffset + o, size) });
    o += size;
  }
  return frames;
}

/** Gray planes from a local file: `fps` frames per second for video, or the first frame of an image. */
/** The filter chain that turns decoded video into the planes fingerprints are made of. */
export function grayPlaneFilters(fps?: number): string {
  const filters: string[] = [];
  if (fps) filters.push(`fps=${fps}`);
  // Fit in a MAX_SIDE box keeping the aspect ratio; never upscale.
  filters.push(`scale='min(${MAX_SIDE},iw)':'min(${MAX_SIDE},ih)':force_original_aspect_ratio=decrease:flags=area`, 'format=gray');
  return filters.join(',');
}

export function ffmpegGrayFrames(input: string, opts: { fps?: number; maxFrames?: number; timeoutMs?: number } = {}): Promise<GrayFrame[]> {
  const args = ['-v', 'error', '-nostdin', '-i', input, '-vf', grayPlaneFilters(opts.fps), '-frames:v', String(opts.maxFrames ?? 1), '-f', 'image2pipe', '-c:v', 'pgm', 'pipe:1'];
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) { reject(new Error(`ffmpeg could not read ${input}: ${err.trim().split('\n').pop() ?? `exit ${code}`}`)); return; }
      try { resolve(parsePgmStream(Buffer.concat(chunks))); } catch (e) { reject(e as Error); }
    });
  });
}

/** Fingerprints of a video sampled at `fps` (times from the sample index: offsets are found by voting). */
export async function videoFingerprints(file: string, opts: { fps: number; maxFrames?: number; timeoutMs?: number }): Promise<TimedFingerprint[]> {
  // ffmpeg decodes every frame to sample some: a 2-hour 1080p reference takes minutes, hence the long default.
  const frames = await ffmpegGrayFrames(file, { fps: opts.fps, maxFrames: opts.maxFrames ?? 24 * 3600 * opts.fps, timeoutMs: opts.timeoutMs ?? 60 * 60_000 });
  return frames.flatMap((f, i) => (f.width >= MIN_SIDE && f.height >= MIN_SIDE
    ? [{ time: i / opts.fps, fingerprint: frameFingerprint(f.plane, f.width, f.height) }] : []));
}

/** Fingerprint of one image (a comic page), or undefined when it is too small to be a page. */
export async function imageFingerprint(file: string): Promise<Fingerprint | undefined> {
  const [f] = await ffmpegGrayFrames(file);
  return f && f.width >= MIN_SIDE && f.height >= MIN_SIDE ? frameFingerprint(f.plane, f.width, f.height) : undefined;
}
