import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QueueEvents } from 'bullmq';
import { bullConnection, openQueue } from '../../../core/bullmq.js';
import { silentLogger } from '../../../core/log.js';
import { findingDetectionJobId, QUEUES } from '../../../core/queues.js';
import { recordFinding } from '../../../core/db/findings.js';
import { hostOf, normalizeUrl } from '../../../core/url.js';
import { runEmbedCommand } from '../../../runners/watermark/embed.js';
import { detectFinding, type FindingDetectionDeps } from '../../../runners/watermark/finding-detection.js';
import { startDetectWorker } from '../../../runners/watermark/worker.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { makeLongClip } from '../media/clips.js';
import { startFixtureServer, type FixtureServer } from '../monitor/fixture-web.js';

const KEY_HEX = '1b3d5f7092a4c6e8f0123456789abcdef0fedcba9876543210a1b2c3d4e5f607';
let services: TestServices;
let server: FixtureServer;
let dir: string;
let deps: FindingDetectionDeps;

/** Evidence as phase 2 (monitor/confirm.ts) stores it for a video match. */
const phase2 = (media: string) => ({ phase1: { score: 12 }, phase2: { media, kind: 'video', votes: 9 } });

async function finding(url: string, evidence: Record<string, unknown>): Promise<number> {
  const { finding: f } = await recordFinding(services.db.pool, {
    contentId: 'moonlit', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: 'Moonlit Harbor S01E03', source: 'web', score: 12, evidence,
    takedownStatus: 'Available', detectionStatus: 'Downloading',
  }, { actor: 'test', reason: 'made by the test' });
  return f.id;
}

beforeAll(async () => {
  services = await openTestServices();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-finding-detect-'));
  const clean = await makeLongClip(dir);
  await fs.mkdir(path.join(dir, 'out'));
  const summary = await runEmbedCommand({ input: clean, ids: [4242], outDir: 'out', unallocatedLab: true }, { env: { VIGIL_WATERMARK_KEY: KEY_HEX }, cwd: dir, pool: async () => services.db.pool, actor: 'test' });
  server = await startFixtureServer();
  server.route('leaks.example', '/media/leak.mp4', { type: 'video/mp4', body: await fs.readFile(summary.outputs[0]!.output) });
  server.route('leaks.example', '/media/clean.mp4', { type: 'video/mp4', body: await fs.readFile(clean) });
  deps = {
    pool: services.db.pool, log: silentLogger, env: { VIGIL_WATERMARK_KEY: KEY_HEX }, cwd: dir,
    config: { ...services.config, crawler: { allowPrivate: true, resolve: server.resolveEntries() } },
  };
}, 180_000);

afterAll(async () => {
  await server?.close();
  await services?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('watermark detection on a finding', () => {
  it('downloads the leak, reads the ID and records it, step by step', async () => {
    const id = await finding(server.url('leaks.example', '/watch/1'), phase2(server.url('leaks.example', '/media/leak.mp4')));
    const result = await detectFinding(deps, id);
    expect(result).toMatchObject({ findingId: id, status: 'Completed', found: true, watermarkId: 4242 });
    const row = await services.db.pool.query('select detection_status, evidence from findings where id = $1', [id]);
    expect(row.rows[0].detection_status).toBe('Completed');
    expect(row.rows[0].evidence.detection).toMatchObject({ found: true, watermarkId: 4242, keyId: expect.stringMatching(/^[0-9a-f]{16}$/), ledgerId: expect.any(Number) });
    expect(row.rows[0].evidence.phase2.media).toMatch(/leak\.mp4$/); // phase-2 evidence is kept
    const steps = await services.db.pool.query(`select details->>'to' as status from audit_log where object_kind = 'Finding' and object_id = $1 and action = 'detection-status' order by id`, [String(id)]);
    expect(steps.rows.map((r) => r.status)).toEqual(['Downloading', 'Detecting', 'Completed']);
  });

  it('ends Failed (no mark found, as the seed service says) on a copy that carries none, with how close it came', async () => {
    const id = await finding(server.url('leaks.example', '/watch/2'), phase2(server.url('leaks.example', '/media/clean.mp4')));
    expect(await detectFinding(deps, id)).toMatchObject({ status: 'Failed', found: false });
    const row = await services.db.pool.query('select detection_status, evidence from findings where id = $1', [id]);
    expect(row.rows[0]).toMatchObject({ detection_status: 'Failed', evidence: { detection: { found: false, pilotZ: expect.any(Number), confidence: expect.any(Number) } } });
  });

  it('says Error when the leak cannot be downloaded, and Not Available when there is no video', async () => {
    const gone = await finding(server.url('leaks.example', '/watch/3'), phase2(server.url('leaks.example', '/media/removed.mp4')));
    expect(await detectFinding(deps, gone)).toMatchObject({ status: 'Error', reason: expect.stringMatching(/removed\.mp4/) });
    const pages = await finding(server.url('leaks.example', '/chapter/1'), { pages: [{ page: 1 }] });
    expect(await detectFinding(deps, pages)).toMatchObject({ status: 'Not Available' });
    const rows = await services.db.pool.query('select id, detection_status from findings where id = any($1) order by id', [[gone, pages]]);
    expect(rows.rows.map((r) => r.detection_status)).toEqual(['Error', 'Not Available']);
  });

  it('retries a detect job whose download failed, Error only after its last attempt, and fails one on an unknown finding at once', async () => {
    const gone = await finding(server.url('leaks.example', '/watch/5'), phase2(server.url('leaks.example', '/media/gone.mp4')));
    const worker = startDetectWorker({ redis: services.redis, config: deps.config, log: silentLogger, env: deps.env, cwd: dir, pool: async () => services.db.pool });
    const queue = openQueue(QUEUES.detect, services.redis, services.config.queuePrefix);
    try {
      // Two quick attempts instead of the queue's five with a 5 s backoff: the same rule, sooner.
      const retried = await queue.add('finding', { findingId: gone }, { jobId: findingDetectionJobId(gone), attempts: 2, backoff: { type: 'fixed', delay: 200 } });
      const unknown = await queue.add('finding', { findingId: 987_654 }, { jobId: findingDetectionJobId(987_654) });
      await expect.poll(async () => (await queue.getJob(unknown.id!))?.failedReason, { timeout: 60_000, interval: 200 }).toMatch(/VIGIL-E0209: no finding has id 987654/);
      expect((await queue.getJob(unknown.id!))!.attemptsMade).toBe(1);
      await expect.poll(async () => (await queue.getJob(retried.id!))?.attemptsMade ?? 0, { timeout: 60_000, interval: 200 }).toBeGreaterThanOrEqual(2);
      await expect.poll(async () => (await services.db.pool.query('select detection_status from findings where id = $1', [gone])).rows[0].detection_status, { timeout: 10_000 }).toBe('Error');
      // The first attempt left it Downloading (a fault that may pass); only the last one recorded Error, with the reason.
      const steps = await services.db.pool.query(`select details->>'to' as status, reason from audit_log where object_kind = 'Finding' and object_id = $1 and action = 'detection-status' order by id`, [String(gone)]);
      expect(steps.rows.map((r) => r.status)).toEqual(['Downloading', 'Downloading', 'Error']);
      expect(steps.rows[2].reason).toMatch(/VIGIL-E0402: .*gone\.mp4: HTTP 404/);
    } finally {
      await queue.remove(findingDetectionJobId(gone)).catch(() => undefined);
      await worker.close();
      await queue.close();
    }
  });

  it('runs from the detect queue, as the monitor worker enqueues it', async () => {
    const id = await finding(server.url('leaks.example', '/watch/4'), phase2(server.url('leaks.example', '/media/leak.mp4')));
    const worker = startDetectWorker({ redis: services.redis, config: deps.config, log: silentLogger, env: deps.env, cwd: dir, pool: async () => services.db.pool });
    const queue = openQueue(QUEUES.detect, services.redis, services.config.queuePrefix);
    const events = new QueueEvents(QUEUES.detect, { connection: bullConnection(services.redis), prefix: services.config.queuePrefix });
    try {
      await events.waitUntilReady();
      const job = await queue.add('finding', { findingId: id }, { jobId: findingDetectionJobId(id) });
      expect(await job.waitUntilFinished(events, 120_000)).toMatchObject({ findingId: id, status: 'Completed', found: true, watermarkId: 4242 });
    } finally {
      await worker.close();
      await events.close();
      await queue.close();
    }
  });
});
