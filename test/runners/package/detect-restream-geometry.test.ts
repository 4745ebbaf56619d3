/**
 * Re-streams that are not the whole picture at the title's pace: cropped off centre, turned, sped up
 * or slowed down, re-encoded at 720p. Each must give the exact session ID with no segment misread;
 * the unmarked title cropped must give nothing.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patternFor, variantAt } from '../../../core/ab-pattern.js';
import { detectRestream } from '../../../runners/package/detect-restream.js';
import { ffmpeg } from '../media/clips.js';
import { makePackagedTitle, sessionCopy } from './fixtures.js';

const ID = 305419896;
let dir: string;
let title: string;
let pkg: string;
let copy: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-restream-geometry-'));
  ({ title, pkg } = await makePackagedTitle(dir));
  copy = path.join(dir, 'session.mp4');
  await sessionCopy(pkg, ID, copy);
}, 120_000);

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** A re-stream of `input` cut 2.5 s in, through `vf`, re-encoded by x264 at `bitrate`. */
async function restreamOf(input: string, name: string, vf: string, bitrate = '300k'): Promise<string> {
  const out = path.join(dir, `${name}.mp4`);
  await ffmpeg(['-ss', '2.5', '-i', input, '-vf', vf, '-an', '-c:v', 'libx264', '-preset', 'veryfast', '-b:v', bitrate, out]);
  return out;
}

const A = 256 / 144;
const cases = [
  { name: 'cropped 10 % (keeping 90 %), against the right edge', vf: 'crop=iw*0.9:ih*0.9:iw*0.1:ih*0.05,scale=480:270', rate: 1, g: { sx: 0.9, cx: 0.55 * A, cy: 0.5 } },
  { name: 'cropped 15 % (keeping 85 %), top right corner', vf: 'crop=iw*0.85:ih*0.85:iw*0.15:0,scale=480:270', rate: 1, g: { sx: 0.85, cx: 0.575 * A, cy: 0.425 } },
  { name: '5 % faster', vf: 'setpts=PTS/1.05,scale=480:270', rate: 1.05 },
  { name: '10 % faster', vf: 'setpts=PTS/1.10,scale=480:270', rate: 1.1 },
  { name: '5 % slower', vf: 'setpts=PTS/0.95,scale=480:270', rate: 0.95 },
  { name: 'turned 2°', vf: 'rotate=2*PI/180,scale=480:270', rate: 1, angle: (2 * Math.PI) / 180 },
  { name: 're-encoded to 720p at 1.2 Mb/s', vf: 'scale=1280:720', rate: 1, bitrate: '1200k' },
];

describe('reading a re-stream that is cropped, turned or at another speed', () => {
  for (const c of cases) {
    it(`names the exact session of a copy ${c.name}, every segment read right`, async () => {
      const r = await detectRestream({ packageDir: pkg, recording: await restreamOf(copy, c.name.replace(/\W+/g, '-'), c.vf, c.bitrate) });
      const pattern = patternFor(ID);
      const misread = r.segments.filter((s) => s.variant !== variantAt(pattern, s.position)).map((s) => `${s.uri} z ${s.z.toFixed(1)}`);
      expect({ found: r.found, id: r.watermarkId, reason: r.reason, misread }).toEqual({ found: true, id: ID, reason: undefined, misread: [] });
      expect(r.segments.length).toBeGreaterThanOrEqual(48);
      // The registration itself: rate within half a percent, offset at the cut within a frame (8 fps),
      // the crop's scale within 1 %, its centre within 1.5 working pixels (ffmpeg's crop rounds its size
      // and position to even pixels of the 256×144 copy), the turn within half a degree.
      expect(Math.abs(r.rate! - c.rate)).toBeLessThan(0.005);
      expect(Math.abs(r.offsetSeconds! - 2.5)).toBeLessThanOrEqual(0.25);
      if (c.g) {
        expect(Math.abs(r.geometry!.sx - c.g.sx)).toBeLessThan(0.01);
        expect(Math.abs(r.geometry!.cx - c.g.cx)).toBeLessThan(1.5 / 144);
        expect(Math.abs(r.geometry!.cy - c.g.cy)).toBeLessThan(1.5 / 144);
      }
      if (c.angle) expect(Math.abs(Math.abs(r.geometry!.angle) - c.angle)).toBeLessThan((0.5 * Math.PI) / 180);
    }, 180_000);
  }

  it('the unmarked title cropped 15 % aligns and registers but names nothing', async () => {
    const r = await detectRestream({ packageDir: pkg, recording: await restreamOf(title, 'unmarked-crop', 'crop=iw*0.85:ih*0.85:iw*0.15:0,scale=480:270') });
    expect(r.alignment?.matched).toBe(true);
    expect(r.found).toBe(false);
    expect(r.watermarkId).toBeUndefined();
    expect(r.reason).toMatch(/check failed|read clearly/);
  }, 180_000);
});
