import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../core/errors.js';
import { ffmpeg, makeClip, makeLongClip } from '../runners/media/clips.js';
import { openTestServices, type TestServices } from '../support/services.js';
import { runCli, startCli } from '../support/cli.js';

let dir: string;
let env: Record<string, string>;
const ROOT = path.resolve(import.meta.dirname, '../..');

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-cli-wm-'));
  await fs.cp(path.join(ROOT, 'catalog'), path.join(dir, 'catalog'), { recursive: true });
  await makeLongClip(dir, 'feature');
  await ffmpeg(['-f', 'lavfi', '-i', 'color=c=white:s=48x24', '-frames:v', '1', path.join(dir, 'logo.png')]);
  const key = await runCli(['keygen', '--out', 'wm.key'], {}, dir);
  expect(key.code).toBe(0);
  env = { VIGIL_WATERMARK_KEY_FILE: path.join(dir, 'wm.key') };
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function expectError(run: { code: number; stderr: string }, name: keyof typeof ERROR_CODES): void {
  expect(run.stderr).toContain(`error ${ERROR_CODES[name].code}:`);
  expect(run.code).toBe(name === 'USAGE' ? 2 : 1);
}

describe('vigil keygen', () => {
  it('writes a 0600 key file once and never overwrites it; prints a key without --out', async () => {
    expect((await fs.stat(path.join(dir, 'wm.key'))).mode & 0o777).toBe(0o600);
    const before = await fs.readFile(path.join(dir, 'wm.key'), 'utf8');
    expectError(await runCli(['keygen', '--out', 'wm.key'], {}, dir), 'KEY_FILE_EXISTS');
    expect(await fs.readFile(path.join(dir, 'wm.key'), 'utf8')).toBe(before);
    const printed = await runCli(['keygen'], {}, dir);
    expect(printed.stdout.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(printed.stdout.trim()).not.toBe(before.trim());
  });
});

describe('vigil embed and vigil detect', () => {
  it('makes one copy per recipient, named for each, and detect names the recipient from the catalog', async () => {
    await fs.mkdir(path.join(dir, 'out'));
    const run = await runCli(['embed', 'feature.mp4', '--recipient', 'northwind-vod', '--recipient', 'press.screeners', '--id', '77', '--out-dir', 'out', '--preset', 'ultrafast', '--format', 'json'], env, dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout) as { outputs: { output: string; recipient: string; watermarkId: number }[]; frames: number; decodes: number };
    expect(summary.outputs.map((o) => path.relative(dir, o.output))).toEqual(['out/feature.Northwind-VOD.1001.mp4', 'out/feature.press.screeners.1003.mp4', 'out/feature.id77.77.mp4']);
    expect(summary.frames).toBe(155);
    expect(summary.decodes).toBe(1);
    expect((await fs.readdir(path.join(dir, 'out'))).sort()).toEqual(['feature.Northwind-VOD.1001.mp4', 'feature.id77.77.mp4', 'feature.press.screeners.1003.mp4']);

    const found = await runCli(['detect', 'out/feature.press.screeners.1003.mp4'], env, dir);
    expect(found.code).toBe(0);
    expect(found.stdout).toContain('Watermark ID 1003: press.screeners (recipient press-screener; from the catalog)');
    expect(found.stdout).toMatch(/false-alarm probability \d\.\de-\d+/);
    expect(found.stdout).toMatch(/mark present in \d+ of 155 frames/);

    const json = await runCli(['detect', 'out/feature.Northwind-VOD.1001.mp4', '--format', 'json'], env, dir);
    expect(JSON.parse(json.stdout)).toMatchObject({ found: true, watermarkId: 1001, recipient: { name: 'Northwind-VOD', source: 'catalog' } });

    const none = await runCli(['detect', 'feature.mp4'], env, dir);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('No watermark found in');

    const wrongKey = await runCli(['detect', 'out/feature.id77.77.mp4'], { VIGIL_WATERMARK_KEY: 'ab'.repeat(32) }, dir);
    expect(wrongKey.code).toBe(1);
  });

  it('looks the ID up in the database allocations when one is configured', async () => {
    let services: TestServices | undefined;
    try {
      services = await openTestServices();
      const client = new pg.Client({ connectionString: services.env.DATABASE_URL });
      await client.connect();
      await client.query(`insert into watermark_allocations (watermark_id, recipient_id, recipient_name) values (77, 'seventy-seven', 'Seventy.Seven')`);
      await client.end();
      const run = await runCli(['detect', 'out/feature.id77.77.mp4'], { ...env, ...services.env }, dir);
      expect(run.stdout).toContain('Watermark ID 77: Seventy.Seven (recipient seventy-seven; from the database)');
    } finally {
      await services?.close();
    }
  });

  it('runs an EmbedJob from the catalog, visible watermark included', async () => {
    const jobFile = path.join(dir, 'catalog/embedding/screeners.yaml');
    const yaml = (await fs.readFile(jobFile, 'utf8'))
      .replace('input: media/moonlit-harbor/s01e01.mp4', 'input: feature.mp4')
      .replace('output: out/{basename}', 'output: jobs/{basename}')
      .replace('recipients: [northwind-vod, bluebird-airlines, press-screener]', 'recipients: [northwind-vod, bluebird-airlines]')
      .replace('image: media/logo-screener.png', 'image: logo.png')
      .replace('interval: "00:05:00"', 'interval: "00:00:10"')
      .replace('disappear: "00:00:30"', 'disappear: "00:00:05"');
    await fs.writeFile(jobFile, yaml);
    const run = await runCli(['embed', '--job', 'moonlit-harbor-e01-partners', '--preset', 'ultrafast'], env, dir);
    expect(run.stderr).toMatch(/embedded 2 copies/);
    expect(run.code).toBe(0);
    expect((await fs.readdir(path.join(dir, 'jobs'))).sort()).toEqual(['feature.Northwind-VOD.1001.mp4', 'feature.bluebird_airlines.IFE.1002.mp4']);
    const found = await runCli(['detect', 'jobs/feature.bluebird_airlines.IFE.1002.mp4'], env, dir);
    expect(found.stdout).toContain('Watermark ID 1002: bluebird_airlines.IFE');
  });

  it('reads a screenshot with the original', async () => {
    await ffmpeg(['-ss', '20', '-i', path.join(dir, 'out/feature.Northwind-VOD.1001.mp4'), '-frames:v', '1', '-q:v', '4', path.join(dir, 'shot.jpg')]);
    expectError(await runCli(['detect', 'shot.jpg'], env, dir), 'ORIGINAL_REQUIRED');
    const run = await runCli(['detect', 'shot.jpg', '--original', 'feature.mp4'], env, dir);
    expect(run.stdout).toContain('Watermark ID 1001: Northwind-VOD');
    expect(run.stdout).toMatch(/matched the frame at 20\.\d\d s/);
  });

  it('stops on Ctrl-C with INTERRUPTED and leaves no partial output', async () => {
    await fs.mkdir(path.join(dir, 'cut'));
    const controller = new AbortController();
    const started = startCli(['embed', 'feature.mp4', '--id', '5', '--id', '6', '--out-dir', 'cut', '--preset', 'ultrafast'], env, dir, controller.signal);
    // Abort once the encoders have written something.
    for (let i = 0; i < 200; i++) {
      const files = await fs.readdir(path.join(dir, 'cut'));
      if (files.length > 0 && (await fs.stat(path.join(dir, 'cut', files[0]!))).size > 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    controller.abort(new Error('SIGINT'));
    const run = await started.done;
    expectError(run, 'INTERRUPTED');
    expect(await fs.readdir(path.join(dir, 'cut'))).toEqual([]);
  });

  it('answers every refusal with its code', async () => {
    await makeClip(dir, 'h264', 2, 'short');
    await makeClip(dir, 'mpeg4', 31, 'divx');
    await fs.copyFile(await makeClip(dir, 'audio-only', 31, 'sound'), path.join(dir, 'sound.mp4'));
    await ffmpeg(['-f', 'lavfi', '-i', 'color=c=red:s=120x40', '-frames:v', '1', path.join(dir, 'big.png')]);
    const embed = (...args: string[]): ReturnType<typeof runCli> => runCli(['embed', ...args], env, dir);
    expectError(await embed('missing.mp4', '--id', '5'), 'INPUT_MISSING');
    expectError(await embed('sound.mp4', '--id', '5'), 'NO_VIDEO_TRACK');
    expectError(await embed('divx.mp4', '--id', '5'), 'UNSUPPORTED_CODEC');
    expectError(await embed('feature.mp4', '--id', '5', '--output', '{basename}.{recipient}.mov'), 'EXTENSION_MISMATCH');
    expectError(await embed('feature.mp4', '--id', '5', '--out-dir', 'no/such/dir'), 'OUTPUT_NOT_WRITABLE');
    expectError(await embed('feature.mp4', '--id', '5', '--image', 'logo.png', '--alpha', '1.5'), 'VISIBLE_SETTINGS_INVALID');
    expectError(await embed('feature.mp4', '--id', '5', '--image', 'logo.png', '--interval', '5m'), 'VISIBLE_SETTINGS_INVALID');
    expectError(await embed('feature.mp4', '--id', '5', '--alpha', '0.5'), 'VISIBLE_SETTINGS_INVALID');
    expectError(await embed('feature.mp4', '--id', '5', '--image', 'big.png'), 'VISIBLE_SETTINGS_INVALID');
    expectError(await embed('feature.mp4', '--id', '5', '--image', 'nologo.png'), 'WATERMARK_IMAGE_MISSING');
    expectError(await embed('short.mp4', '--id', '5'), 'INPUT_TOO_SHORT');
    expectError(await runCli(['embed', 'feature.mp4', '--id', '5'], {}, dir), 'KEY_MISSING');
    expectError(await runCli(['detect', 'feature.mp4'], {}, dir), 'KEY_MISSING');
    expectError(await embed('feature.mp4', '--recipient', 'OldDistributor'), 'RECIPIENT_UNKNOWN');
    expectError(await embed('feature.mp4', '--recipient', 'nobody-at-all'), 'RECIPIENT_UNKNOWN');
    expectError(await embed('feature.mp4', '--id', '0'), 'USAGE');
    expectError(await embed('feature.mp4'), 'USAGE');
    expect((await fs.readdir(dir)).filter((f) => f.includes('.partial'))).toEqual([]);
    const help = await runCli(['help'], {}, dir);
    for (const c of ['embed', 'detect', 'keygen']) expect(help.stdout).toContain(`vigil ${c}`);
  });
});
