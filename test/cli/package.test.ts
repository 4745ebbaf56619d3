import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestServices, type TestServices } from '../support/services.js';
import { runCli } from '../support/cli.js';
import { makeTitle } from '../runners/package/fixtures.js';

const KEY_HEX = '6b1e6a8092a4c6e8f0123456789abcdef0fedcba9876543210a1b2c3d4e5f607';
let services: TestServices;
let dir: string;
let env: Record<string, string>;

beforeAll(async () => {
  services = await openTestServices();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-cli-package-'));
  await makeTitle(dir, 5, 'clip');
  env = { ...services.env, VIGIL_WATERMARK_KEY: KEY_HEX, USER: 'tester' };
}, 120_000);

afterAll(async () => {
  await services?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('vigil package and vigil detect --package', () => {
  it('packages a title, records it, and reads a recording back with a reason when it is too short for a pattern', async () => {
    const made = await runCli(['package', 'clip.mp4', '--out', 'pkg', '--segment-seconds', '1', '--preset', 'ultrafast', '--format', 'json'], env, dir);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const summary = JSON.parse(made.stdout) as { packageId: string; segments: number; marked: number };
    expect(summary).toMatchObject({ segments: 5, marked: 5 });
    const { rows } = await services.db.pool.query('select actor, segment_count from ab_packages where id = $1', [summary.packageId]);
    expect(rows).toEqual([{ actor: 'cli:tester', segment_count: 5 }]);

    const read = await runCli(['detect', '--package', 'pkg', 'clip.mp4'], env, dir);
    expect(read.code).toBe(1);
    expect(read.stdout).toContain('No session watermark ID found in');
    expect(read.stdout).toContain('too few segments read: 5 marked segments');
    expect(read.stdout).toMatch(/seg_00002\.m4s {2}position 2 {2}[AB] {2}z -?\d/);
  });

  it('refuses a missing --out, a bad --segment-seconds and a missing recording as usage errors', async () => {
    expect(await runCli(['package', 'clip.mp4'], env, dir)).toMatchObject({ code: 2, stderr: expect.stringContaining('give --out DIR') });
    expect(await runCli(['package', 'clip.mp4', '--out', 'x', '--segment-seconds', 'four'], env, dir)).toMatchObject({ code: 1, stderr: expect.stringContaining('VIGIL-E0631') });
    expect(await runCli(['detect', '--package', 'pkg'], env, dir)).toMatchObject({ code: 2, stderr: expect.stringContaining('give the RECORDING file') });
    expect(await runCli(['detect', '--package', 'pkg', 'clip.mp4', '--original', 'x.mp4'], env, dir)).toMatchObject({ code: 2 });
  });
});
