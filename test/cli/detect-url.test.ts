import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { startDetectWorker } from '../../runners/watermark/worker.js';
import { runCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';
import { KEY_HEX, makeLeakMedia, recordLeakCopy, startLeakServer, WATERMARK_ID, type LeakMedia, type LeakServer } from '../runners/watermark/leak-fixtures.js';

/**
 * `vigil detect URL`: a detection request recorded as Slack's /vigil detect URL records one, run in
 * the process (or, with --queue, by a detect worker), each stage printed, the result named, and the
 * exit code saying which end it came to.
 */

let services: TestServices;
let server: LeakServer;
let media: LeakMedia;
let dir: string;
let env: Record<string, string>;
let net: string[];

beforeAll(async () => {
  services = await openTestServices();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-cli-detect-url-'));
  media = await makeLeakMedia(dir);
  server = await startLeakServer(dir);
  await recordLeakCopy(services.db.pool, media);
  env = { ...services.env, VIGIL_WATERMARK_KEY: KEY_HEX, USER: 'alice' };
  net = ['--allow-private', ...server.resolveEntries(['leaks.example']).flatMap((r) => ['--resolve', r])];
}, 120_000);

afterAll(async () => {
  await server?.close();
  await services?.close();
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('vigil detect URL', () => {
  it('records a request, prints each stage and names the recipient, watermark ID and confidence (exit 0)', async () => {
    const run = await runCli(['detect', server.url('/hls-ts/master.m3u8'), ...net], env, dir);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.split('\n');
    const id = Number(/^request #(\d+): recorded/.exec(lines[0]!)?.[1]);
    expect(id).toBeGreaterThan(0);
    expect(run.stdout).toMatch(new RegExp(`request #${id}: Downloading — downloading ${server.url('/hls-ts/master.m3u8').replace(/[.?]/g, '\\$&')}`));
    expect(run.stdout).toContain('HLS master playlist: variant 320x180');
    expect(run.stdout).toMatch(new RegExp(`request #${id}: Detecting — detecting in \\d+ bytes \\(hls, 320x180`));
    expect(run.stdout).toContain(`request #${id}: Completed — watermark ID ${WATERMARK_ID}: Northwind-VOD (recipient northwind-vod)`);
    expect(run.stdout).toMatch(/confidence (>99\.9999|\d+\.\d+) %/);
    const row = await services.db.pool.query('select status, via, requested_by from detection_requests where id = $1', [id]);
    expect(row.rows[0]).toEqual({ status: 'Completed', via: 'cli', requested_by: 'cli:alice' });
    // Run here, so no worker must run it again, and nobody in Slack is told.
    const owed = await services.db.pool.query(`select name from outbox where payload->>'requestId' = $1`, [String(id)]);
    expect(owed.rows).toEqual([]);
  });

  it('exits 1 on Failed (no mark) and 3 with the coded error on Error (too short, too large), as JSON too', async () => {
    const clean = await runCli(['detect', server.url('/media/unmarked.mp4'), ...net], env, dir);
    expect(clean.code).toBe(1);
    expect(clean.stdout).toMatch(/Failed — no watermark found in http:\/\/leaks\.example:\d+\/media\/unmarked\.mp4/);
    const short = await runCli(['detect', server.url(`/short/${path.basename(media.short)}`), ...net], env, dir);
    expect(short.code).toBe(3);
    expect(short.stdout).toContain('Error — the copy does not meet the detection requirements (too short)');
    expect(short.stderr).toMatch(/error VIGIL-E0409: .* is 5\.\d s long; detection needs at least 10 s of video\n {2}fix: /);
    const big = await runCli(['detect', server.url(`/media/${path.basename(media.marked)}`), '--max-mb', '0.05', '--format', 'json', ...net], env, dir);
    expect(big.code).toBe(3);
    expect(JSON.parse(big.stdout)).toMatchObject({ status: 'Error', reason: expect.stringMatching(/^VIGIL-E0404: /) });
    expect(big.stderr).toContain('error VIGIL-E0404');
  });

  it('refuses a private address without --allow-private, and link-only options on a file', async () => {
    const blocked = await runCli(['detect', `http://127.0.0.1:${server.port}/media/unmarked.mp4`], env, dir);
    expect(blocked.code).toBe(3);
    expect(blocked.stderr).toMatch(/error VIGIL-E0401: refused to fetch http:\/\/127\.0\.0\.1:\d+\/media\/unmarked\.mp4/);
    const usage = await runCli(['detect', 'leak.mp4', '--queue'], env, dir);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--queue is for a link');
    expect((await runCli(['detect', server.url('/x.mp4'), '--max-minutes', 'soon'], env, dir)).stderr).toContain('--max-minutes must be a positive number');
  });

  it('with --queue, enqueues the request for a detect worker and follows it to its result', async () => {
    const config = { ...services.config, crawler: { allowPrivate: true, resolve: server.resolveEntries() } };
    const worker = startDetectWorker({ redis: services.redis, config, log: silentLogger, env: { VIGIL_WATERMARK_KEY: KEY_HEX }, cwd: dir, pool: async () => services.db.pool });
    try {
      const run = await runCli(['detect', server.url('/dash/manifest.mpd'), '--queue'], env, dir);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/request #\d+: queued for a detect worker/);
      expect(run.stdout).toMatch(/request #\d+: Detecting — /);
      expect(run.stdout).toContain(`Completed — watermark ID ${WATERMARK_ID}: Northwind-VOD`);
    } finally {
      await worker.close();
    }
  });
});
