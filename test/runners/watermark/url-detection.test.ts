import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectionRequestById, requestLinkDetection } from '../../../core/db/detection-requests.js';
import { outboxRows } from '../../../core/db/outbox.js';
import { silentLogger } from '../../../core/log.js';
import { detectLink } from '../../../runners/watermark/url-detection.js';
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
  it('leaves a link it could not fetch for the next attempt, then ends it Error on the last one and owes the person the answer, once', async () => {
    const pool = services.db.pool;
    const request = await requestLinkDetection(pool, { url: server.url('leaks.example', '/media/removed.mp4'), requestedBy: 'U0ALICE', channel: 'C0ASK' });
    expect(await detectLink(deps, request.id, false)).toMatchObject({ status: 'retry', reason: expect.stringMatching(/removed\.mp4/) });
    expect(await detectionRequestById(pool, request.id)).toMatchObject({ status: 'Downloading' });
    expect((await outboxRows(pool)).filter((r) => r.name === 'detection-result')).toHaveLength(0);

    expect(await detectLink(deps, request.id, true)).toMatchObject({ status: 'Error' });
    expect(await detectionRequestById(pool, request.id)).toMatchObject({ status: 'Error', reason: expect.stringMatching(/removed\.mp4/) });
    expect(await detectLink(deps, request.id, true)).toEqual({ requestId: request.id, status: 'already-done' });
    const owed = (await outboxRows(pool)).filter((r) => r.name === 'detection-result');
    expect(owed.map((r) => [r.queue, r.payload])).toEqual([['slack', { requestId: request.id }]]);
  });

  it('ends a link that is a page with no player at once (not on a later attempt) as Error, naming the page', async () => {
    const request = await requestLinkDetection(services.db.pool, { url: server.url('leaks.example', '/watch/page'), requestedBy: 'U0ALICE' });
    const result = await detectLink(deps, request.id, false);
    expect(result.status).toBe('Error');
    expect((await detectionRequestById(services.db.pool, request.id))?.reason).toMatch(/VIGIL-E0408: .*\/watch\/page is a page whose player names no video/);
  });
});
