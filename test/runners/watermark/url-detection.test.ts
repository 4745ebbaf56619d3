import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectionRequestById, requestLinkDetection } from '../../../core/db/detection-requests.js';
import { outboxRows } from '../../../core/db/outbox.js';
import { silentLogger } from '../../../core/log.js';
import { detectLink, mediaOfLink } from '../../../runners/watermark/url-detection.js';
import type { FindingDetectionDeps } from '../../../runners/watermark/finding-detection.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { startFixtureServer, type FixtureServer } from '../monitor/fixture-web.js';

/**
 * Detection on a link a person gave, up to the download: what the request records when the link
 * cannot be fetched (a retry, then failed with the slack job that tells the person). Reading a mark
 * from a downloaded copy is the code finding detection uses (downloadAndDetect), tested there with ffmpeg.
 */

let services: TestServices;
let server: FixtureServer;
let deps: FindingDetectionDeps;

beforeAll(async () => {
  services = await openTestServices();
  server = await startFixtureServer();
  server.route('leaks.example', '/watch/page', { type: 'text/html', body: Buffer.from('<html><body>not a video</body></html>') });
  deps = { pool: services.db.pool, log: silentLogger, env: {}, cwd: process.cwd(), config: { ...services.config, crawler: { allowPrivate: true, resolve: server.resolveEntries() } } };
});
afterAll(async () => {
  await server?.close();
  await services?.close();
});

describe('detection on a link', () => {
  it('reads a playlist as HLS and anything else as one video', () => {
    expect(mediaOfLink('https://cdn.example/live/index.m3u8?token=1')).toEqual({ url: 'https://cdn.example/live/index.m3u8?token=1', kind: 'hls' });
    expect(mediaOfLink('https://cdn.example/v/1.mp4')).toMatchObject({ kind: 'video' });
  });

  it('leaves a link it could not fetch for the next attempt, then fails it on the last one and owes the person the answer, once', async () => {
    const pool = services.db.pool;
    const request = await requestLinkDetection(pool, { url: server.url('leaks.example', '/media/removed.mp4'), requestedBy: 'U0ALICE', channel: 'C0ASK' });
    expect(await detectLink(deps, request.id, false)).toMatchObject({ status: 'retry', reason: expect.stringMatching(/removed\.mp4/) });
    expect(await detectionRequestById(pool, request.id)).toMatchObject({ status: 'downloading' });
    expect((await outboxRows(pool)).filter((r) => r.name === 'detection-result')).toHaveLength(0);

    expect(await detectLink(deps, request.id, true)).toMatchObject({ status: 'failed' });
    expect(await detectionRequestById(pool, request.id)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/removed\.mp4/) });
    expect(await detectLink(deps, request.id, true)).toEqual({ requestId: request.id, status: 'already-done' });
    const owed = (await outboxRows(pool)).filter((r) => r.name === 'detection-result');
    expect(owed.map((r) => [r.queue, r.payload])).toEqual([['slack', { requestId: request.id }]]);
  });

  it('fails a link that is a page, not a video, on its last attempt with the reason', async () => {
    const request = await requestLinkDetection(services.db.pool, { url: server.url('leaks.example', '/watch/page'), requestedBy: 'U0ALICE' });
    const result = await detectLink(deps, request.id, true);
    expect(result.status).toBe('failed');
    expect((await detectionRequestById(services.db.pool, request.id))?.reason).not.toBe('');
  });
});
