import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectRestream } from '../../../runners/package/detect-restream.js';
import { ffmpeg } from '../media/clips.js';
import { leakOf, makePackagedTitle } from './fixtures.js';

let dir: string;
let title: string;
let pkg: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-restream-none-'));
  ({ title, pkg } = await makePackagedTitle(dir));
}, 120_000);

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('a recording that names no session', () => {
  it('the unmarked title itself aligns but spells no ID, and says why', async () => {
    const r = await detectRestream({ packageDir: pkg, recording: title });
    expect(r.found).toBe(false);
    expect(r.watermarkId).toBeUndefined();
    expect(r.alignment?.matched).toBe(true);
    expect(r.segments.length).toBeGreaterThanOrEqual(48);
    expect(r.reason).toMatch(/check failed|read clearly/);
  });

  it('an unrelated clip does not align to the title', async () => {
    const other = path.join(dir, 'other.mp4');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=320x180:r=8', '-t', '12', '-c:v', 'libx264', '-preset', 'ultrafast', other]);
    const r = await detectRestream({ packageDir: pkg, recording: other });
    expect(r).toMatchObject({ found: false, segments: [] });
    expect(r.reason).toContain('does not match the packaged title');
  });

  it('20 s of a real session are too few segments: nothing, with the positions it lacks', async () => {
    const r = await detectRestream({ packageDir: pkg, recording: await leakOf(dir, pkg, 42), maxSeconds: 20 });
    expect(r.found).toBe(false);
    expect(r.reason).toContain('too few segments');
    expect(r.unknownBits).toBeGreaterThan(20);
  });
});
