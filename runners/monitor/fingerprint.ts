import { spawn } from 'node:child_process';
import { frameFingerprint, type Fingerprint, type TimedFingerprint } from '../../native/fingerprint.js';
import { pgmSink, type GrayPlane } from '../media/raw-frames.js';

/**
 * Frames for phase 2: ffmpeg decodes a local file (never a URL: the safe fetcher brought it here)
 * to 8-bit gray planes at a sampling rate and a bounded size, streamed one at a time (a 2-hour
 * reference held whole would be ~3 GB of planes), and the native engine fingerprints each plane
 * (native/README.md, "Perceptual fingerprint"). Full planes, not thumbnails: the native fingerprint
 * removes borders and hashes 100 crop windows itself, which is what makes it survive letterboxing
 * and crops.
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

/** The filter chain that turns decoded video into the planes fingerprints are made of. */
export function grayPlaneFilters(fps?: number): string {
  const filters: string[] = [];
  if (fps) filters.push(`fps=${fps}`);
  // Fit in a MAX_SIDE box keeping the aspect ratio; never upscale.
  filters.push(`scale='min(${MAX_SIDE},iw)':'min(${MAX_SIDE},ih)':force_original_aspect_ratio=decrease:flags=area`, 'format=gray');
  return filters.join(',');
}

/**
 * Calls `onFrame` with each gray plane of a local file as ffmpeg decodes it: `fps` planes per second
 * for video, or the first plane of an image. Planes arrive one at a time in one reused buffer (see
 * pgmSink), so memory does not grow with the duration; a plane is gone once `onFrame` returns.
 * Resolves with the number of planes.
 */
function eachGrayFrame(input: string, opts: { fps?: number; maxFrames?: number; timeoutMs?: number; band?: { index: number; count: number } }, onFrame: (frame: GrayPlane, index: number) => void): Promise<number> {
  // A band is one of `count` equal horizontal slices, cut before scaling so it keeps its resolution.
  const band = opts.band ? `crop=iw:ih/${opts.band.count}:0:ih*${opts.band.index}/${opts.band.count},` : '';
  const args = ['-v', 'error', '-nostdin', '-i', input, '-vf', band + grayPlaneFilters(opts.fps), '-frames:v', String(opts.maxFrames ?? 1), '-f', 'image2pipe', '-c:v', 'pgm', 'pipe:1'];
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let frames = 0;
    let consumerError: Error | undefined;
    const sink = pgmSink((frame, index) => {
      try {
        onFrame(frame, index);
      } catch (error) {
        consumerError = error as Error;
        throw error;
      }
      frames = index + 1;
    });
    let stderr = '';
    let timedOut = false;
    let stdoutEnded = false;
    let killedForSink = false;
    let exit: number | null | undefined;
    let sinkDone: { error?: Error } | undefined;
    // Settles once ffmpeg has exited and the sink has taken every byte. A sink that failed while
    // ffmpeg still wrote (a failing consumer, bytes that are not PGM) caused the kill that follows;
    // otherwise ffmpeg's own failure (a file it cannot read, the time limit) explains a truncated
    // stream better than the sink does.
    const settle = () => {
      if (exit === undefined || !sinkDone) return;
      clearTimeout(timer);
      if (consumerError) reject(consumerError);
      else if (killedForSink && sinkDone.error) reject(sinkDone.error);
      else if (timedOut) reject(new Error(`ffmpeg did not finish reading ${input} within ${timeoutMs / 1000} s`));
      else if (exit !== 0) reject(new Error(`ffmpeg could not read ${input}: ${stderr.trim().split('\n').pop() || `exit ${exit}`}`));
      else if (sinkDone.error) reject(sinkDone.error);
      else resolve(frames);
    };
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.stderr.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-4096); });
    child.stdout.on('end', () => { stdoutEnded = true; });
    child.stdout.pipe(sink);
    sink.on('finish', () => { sinkDone ??= {}; settle(); });
    sink.on('error', (error) => {
      // Nobody reads ffmpeg's pipe any more: stop it rather than let it block.
      child.stdout.unpipe(sink);
      child.stdout.resume();
      if (!stdoutEnded && exit === undefined) {
        killedForSink = true;
        child.kill('SIGKILL');
      }
      sinkDone ??= { error };
      settle();
    });
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => { exit = code; settle(); });
  });
}

/** Fingerprints of a video sampled at `fps` (times from the sample index: offsets are found by voting). */
export async function videoFingerprints(file: string, opts: { fps: number; maxFrames?: number; timeoutMs?: number }): Promise<TimedFingerprint[]> {
  const fingerprints: TimedFingerprint[] = [];
  // ffmpeg decodes every frame to sample some: a 2-hour 1080p reference takes minutes, hence the long default.
  await eachGrayFrame(file, { fps: opts.fps, maxFrames: opts.maxFrames ?? 24 * 3600 * opts.fps, timeoutMs: opts.timeoutMs ?? 60 * 60_000 }, (f, i) => {
    // The native fingerprint copies nothing of the plane: it returns its own 808 bytes.
    if (f.width >= MIN_SIDE && f.height >= MIN_SIDE) fingerprints.push({ time: i / opts.fps, fingerprint: frameFingerprint(f.plane, f.width, f.height) });
  });
  return fingerprints;
}

/** Fingerprint of one image (a comic page), or undefined when it is too small to be a page. */
export async function imageFingerprint(file: string): Promise<Fingerprint | undefined> {
  let fingerprint: Fingerprint | undefined;
  await eachGrayFrame(file, {}, (f) => {
    if (f.width >= MIN_SIDE && f.height >= MIN_SIDE) fingerprint = frameFingerprint(f.plane, f.width, f.height);
  });
  return fingerprint;
}

/** Height over width of a comic page (A5 to B5 prints, phone-scan crops): a taller image is pages stacked into a strip. */
export const PAGE_ASPECT = 1.45;
/** Regions a strip is cut into at most. */
export const MAX_STRIP_REGIONS = 40;

/**
 * A page image's fingerprints: one for a page; for a long strip (taller than two pages), one per
 * page-sized region, cut top to bottom, so a chapter stacked into strips is matched page by page.
 */
export async function imageRegionFingerprints(file: string): Promise<Fingerprint[]> {
  let whole: { fingerprint: Fingerprint; width: number; height: number } | undefined;
  await eachGrayFrame(file, {}, (f) => {
    if (f.width >= MIN_SIDE && f.height >= MIN_SIDE) whole = { fingerprint: frameFingerprint(f.plane, f.width, f.height), width: f.width, height: f.height };
  });
  if (!whole) return [];
  const count = Math.min(MAX_STRIP_REGIONS, Math.round(whole.height / whole.width / PAGE_ASPECT));
  if (whole.height / whole.width < 2 * PAGE_ASPECT * 0.85 || count < 2) return [whole.fingerprint];
  const regions: Fingerprint[] = [];
  for (let index = 0; index < count; index += 1) {
    await eachGrayFrame(file, { band: { index, count } }, (f) => {
      if (f.width >= MIN_SIDE && f.height >= MIN_SIDE) regions.push(frameFingerprint(f.plane, f.width, f.height));
    });
  }
  return regions;
}
