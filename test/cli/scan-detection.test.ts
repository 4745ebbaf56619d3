import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullConnection, openQueue } from '../../core/bullmq.js';
import { silentLogger } from '../../core/log.js';
import { findingDetectionJobId, QUEUES } from '../../core/queues.js';
import { runEmbedCommand } from '../../runners/watermark/embed.js';
import { startDetectWorker } from '../../runners/watermark/worker.js';
import { makeLongClip } from '../runners/media/clips.js';
import { piracyTemplate, startFixtureServer, type FixtureServer } from '../runners/monitor/fixture-web.js';
import { runCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';

/**
 * From crawl to recipient: `vigil scan` finds a watermarked copy of a watermarked title whose
 * monitoring job detects automatically, queues the finding's detection job (through the outbox,
 * like scheduled rounds), and the detect worker downloads the copy phase 2 matched and reads the
 * recipient's watermark ID from it.
 */

const KEY_HEX = '1b3d5f7092a4c6e8f0123456789abcdef0fedcba9876543210a1b2c3d4e5f607';
let work: string;
let server: FixtureServer;
let services: TestServices;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-scan-detect-'));
  await fs.mkdir(path.join(work, 'catalog'));
  const clean = await makeLongClip(path.join(work, 'catalog'));
  await fs.mkdir(path.join(work, 'out'));
  services = await openTestServices();
  const summary = await runEmbedCommand({ input: clean, ids: [4242], outDir: 'out', unallocatedLab: true }, { env: { VIGIL_WATERMARK_KEY: KEY_HEX }, cwd: work, pool: async () => services.db.pool, actor: 'test' });
  await fs.writeFile(path.join(work, 'catalog', 'catalog.yaml'), `apiVersion: vigil/v1
kind: Content
metadata: { id: quarry }
spec:
  type: film
  title: The Quiet Quarry
  releaseDate: 2026-01-01
  watermarked: true
  referenceMedia: [{ path: feature.mp4 }]
---
apiVersion: vigil/v1
kind: MonitoringJob
metadata: { id: quarry-watch }
spec: { content: quarry, detection: automatic }
`);
  server = await startFixtureServer();
  server.route('pirate.example', '/film/the-quiet-quarry', { body: piracyTemplate({ title: 'The Quiet Quarry (2026) watch free 1080p WEB-DL', body: 'stream free, eng sub', video: '/v/quarry.mp4' }) });
  server.route('pirate.example', '/v/quarry.mp4', { type: 'video/mp4', body: await fs.readFile(summary.outputs[0]!.output) });
}, 300_000);

afterAll(async () => {
  await server?.close();
  await services?.close();
  await fs.rm(work, { recursive: true, force: true });
});

describe('vigil scan with automatic detection', () => {
  it('queues detection on the new finding, and the worker downloads the matched copy and finds the recipient', async () => {
    const env = { ...services.env, VIGIL_WATERMARK_KEY: KEY_HEX };
    const scan = await runCli(['scan', '--content', 'quarry', '--catalog', 'catalog', '--seed', server.url('pirate.example', '/film/the-quiet-quarry'),
      ...server.resolveEntries().flatMap((e) => ['--resolve', e]), '--allow-private', '--format', 'json'], env, work);
    expect(scan.code, scan.stderr).toBe(0);
    const result = JSON.parse(scan.stdout) as { findings: { id: number; created: boolean }[]; queuedJobs: number };
    expect(result.findings).toHaveLength(1);
    expect(result.queuedJobs).toBe(1);
    const id = result.findings[0]!.id;

    const config = { ...services.config, crawler: { allowPrivate: true, resolve: server.resolveEntries() } };
    const worker = startDetectWorker({ redis: services.redis, config, log: silentLogger, env, cwd: work, pool: async () => services.db.pool });
    const queue = openQueue(QUEUES.detect, services.redis, services.config.queuePrefix);
    const events = new QueueEvents(QUEUES.detect, { connection: bullConnection(services.redis), prefix: services.config.queuePrefix });
    try {
      await events.waitUntilReady();
      const job = await queue.getJob(findingDetectionJobId(id));
      expect(job?.data).toEqual({ findingId: id });
      const done = await job!.waitUntilFinished(events, 180_000).catch(async () => queue.getJob(job!.id!).then((j) => j?.returnvalue));
      expect(done).toMatchObject({ findingId: id, status: 'Completed', found: true, watermarkId: 4242 });
    } finally {
      await worker.close();
      await events.close();
      await queue.close();
    }
    const row = await services.db.pool.query('select detection_status, evidence from findings where id = $1', [id]);
    expect(row.rows[0].detection_status).toBe('Completed');
    expect(row.rows[0].evidence.detection).toMatchObject({ found: true, watermarkId: 4242 });
    const steps = await services.db.pool.query(`select actor, details from audit_log where object_kind = 'Finding' and object_id = $1 order by id`, [String(id)]);
    expect(steps.rows.map((r) => [r.actor, r.details.to ?? 'created'])).toEqual([
      ['scan', 'created'], ['detector', 'Downloading'], ['detector', 'Detecting'], ['detector', 'Completed'],
    ]);
  }, 300_000);
});
