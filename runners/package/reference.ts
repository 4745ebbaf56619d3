/**
 * What a package keeps for reading re-streams back: perceptual fingerprints of variant A at a few
 * frames per second (vigil-reference.json), so a recording can be aligned to the title without
 * decoding the whole title again, and the working size every comparison is made at.
 */
import fs from 'node:fs/promises';
import { fingerprintFromBits, frameFingerprint, type TimedFingerprint } from '../../native/fingerprint.js';
import { decodeGray, type GraySize, type GraySource } from './gray-frames.js';

export const REFERENCE_FILE = 'vigil-reference.json';
/** Fingerprints per second kept for alignment. */
export const REFERENCE_FPS = 2;
/** Lines of the working raster: the mark's cells (H/32) stay ~4.5 px there, well above the scaler's blur. */
export const WORKING_HEIGHT = 144;

export function workingSize(width: number, height: number): GraySize {
  const w = Math.max(16, 2 * Math.round((WORKING_HEIGHT * width) / height / 2));
  return { width: w, height: WORKING_HEIGHT };
}

interface ReferenceFile {
  version: 1;
  fps: number;
  width: number;
  height: number;
  frames: { t: number; bits: string; informative: boolean }[];
}

/** Fingerprints of a source at `fps`, each at its time from the start of the source. */
export async function fingerprintsOf(source: GraySource, size: GraySize, fps = REFERENCE_FPS, signal?: AbortSignal): Promise<TimedFingerprint[]> {
  const out: TimedFingerprint[] = [];
  await decodeGray(source, { size, fps, ...(signal ? { signal } : {}) }, (plane, time) => {
    out.push({ time, fingerprint: frameFingerprint(plane, size.width, size.height) });
  });
  return out;
}

export async function writeReference(file: string, size: GraySize, frames: readonly TimedFingerprint[], fps = REFERENCE_FPS): Promise<void> {
  const body: ReferenceFile = {
    version: 1, fps, width: size.width, height: size.height,
    frames: frames.map((f) => ({ t: Math.round(f.time * 1000) / 1000, bits: Buffer.from(f.fingerprint.bits).toString('base64'), informative: f.fingerprint.informative })),
  };
  await fs.writeFile(file, JSON.stringify(body));
}

export async function readReference(file: string): Promise<{ size: GraySize; frames: TimedFingerprint[] }> {
  const body = JSON.parse(await fs.readFile(file, 'utf8')) as ReferenceFile;
  if (body.version !== 1 || !Array.isArray(body.frames)) throw new Error('not a version 1 reference');
  return {
    size: { width: body.width, height: body.height },
    frames: body.frames.map((f) => ({ time: f.t, fingerprint: fingerprintFromBits(Uint8Array.from(Buffer.from(f.bits, 'base64')), f.informative) })),
  };
}
