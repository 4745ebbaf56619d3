import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frameFingerprint } from '../../../native/fingerprint.js';
import { REFERENCE_FPS, grayPlaneFilters, imageFingerprint, videoFingerprints } from '../../../runners/monitor/fingerprint.js';

let work: string;
const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args], { cwd: work, timeout: 60_000 });

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-fp-'));
  // Wider than MAX_SIDE (so planes are scaled to 640x360), with a black first second (flat frames).
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=800x450:rate=12:duration=4', '-vf', "drawbox=c=black:t=fill:enable='lt(t,1)'", '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'clip.mp4');
  ffmpeg('-f', 'lavfi', '-i', 'mandelbrot=size=300x450', '-frames:v', '1', 'page.png');
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * The fingerprints as they were computed before streaming: every plane decoded at once (here to
 * a raw file through the same filters) and each one hashed. Independent of how frames reach
 * JavaScript, so it pins that streaming changed no fingerprint.
 */
function allAtOnce(file: string, width: number, height: number, fps?: number) {
  ffmpeg('-i', file, '-vf', grayPlaneFilters(fps), '-f', 'rawvideo', 'planes.gray');
  const all = readFileSync(path.join(work, 'planes.gray'));
  const size = width * height;
  return Array.from({ length: all.length / size }, (_, i) => frameFingerprint(all.subarray(i * size, (i + 1) * size), width, height));
}

describe('fingerprints of reference media', () => {
  it('streams a video into exactly the fingerprints of its planes decoded all at once, at the reference rate', async () => {
    const streamed = await videoFingerprints(path.join(work, 'clip.mp4'), { fps: REFERENCE_FPS });
    const expected = allAtOnce('clip.mp4', 640, 360, REFERENCE_FPS);
    expect(expected).toHaveLength(4 * REFERENCE_FPS);
    expect(streamed.map((f) => f.time)).toEqual(expected.map((_, i) => i / REFERENCE_FPS));
    expect(streamed.map((f) => ({ bits: Buffer.from(f.fingerprint.bits).toString('hex'), informative: f.fingerprint.informative })))
      .toEqual(expected.map((f) => ({ bits: Buffer.from(f.bits).toString('hex'), informative: f.informative })));
    expect(streamed.map((f) => f.fingerprint.informative)).toEqual(expected.map((_, i) => i >= REFERENCE_FPS));
  });

  it('stops after maxFrames samples', async () => {
    const streamed = await videoFingerprints(path.join(work, 'clip.mp4'), { fps: REFERENCE_FPS, maxFrames: 3 });
    expect(streamed.map((f) => f.time)).toEqual([0, 0.5, 1]);
  });

  it('fingerprints an image as its one plane, unscaled when it fits', async () => {
    const [expected] = allAtOnce('page.png', 300, 450);
    const page = await imageFingerprint(path.join(work, 'page.png'));
    expect(Buffer.from(page!.bits).toString('hex')).toBe(Buffer.from(expected!.bits).toString('hex'));
  });

  it('says which file ffmpeg could not read', async () => {
    await expect(videoFingerprints(path.join(work, 'missing.mp4'), { fps: REFERENCE_FPS })).rejects.toThrow(/missing\.mp4/);
  });

  it('gives up on a decode that outlasts its time limit, naming the file', async () => {
    // 1 ms: ffmpeg cannot even start in that time, so the kill always comes first.
    await expect(videoFingerprints(path.join(work, 'clip.mp4'), { fps: REFERENCE_FPS, timeoutMs: 1 }))
      .rejects.toThrow(/did not finish reading .*clip\.mp4 within 0\.001 s/);
  });
});
