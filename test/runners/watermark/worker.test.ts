import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { QueueEvents, type Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullConnection, openQueue } from '../../../core/bullmq.js';
import { silentLogger } from '../../../core/log.js';
import { QUEUES } from '../../../core/queues.js';
import { requestCancel, startDetectWorker, startEmbedWorker, type WatermarkWorkerDeps } from '../../../runners/watermark/worker.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { makeLongClip } from '../media/clips.js';

const KEY_HEX = '5e9f2a6b0c4d8e1f5a9b3c7d213f1e2d9a0c4d8e7f31a5b9c2d6e0f4a87b3c1d';
let services: TestServices;
let dir: string;
let deps: WatermarkWorkerDeps;
const queues: Queue[] = [];
const events: QueueEvents[] = [];

async function open(name: typeof QUEUES.embed | typeof QUEUES.detect): Promise<{ queue: Queue; events: QueueEvents }> {
  const queue = openQueue(name, services.redis, services.config.queuePrefix);
  const ev = new QueueEvents(name, { connection: bullConnection(services.redis), prefix: services.config.queuePrefix });
  await ev.waitUntilReady();
  queues.push(queue);
  events.push(ev);
  return { queue, events: ev };
}

beforeAll(async () => {
  services = await openTestServices();
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'vigil-wm-worker-'));
  await makeLongClip(dir);
  deps = { redis: services.redis, config: services.config, log: silentLogger, env: { VIGIL_WATERMARK_KEY: KEY_HEX }, cwd: dir, cancelPollMs: 100, pool: async () => services.db.pool };
});
afterAll(async () => {
  await Promise.all(events.map((e) => e.close()));
  await Promise.all(queues.map((q) => q.close()));
  await services?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('embed and detect workers', () => {
  it('embeds a job like the CLI would, reporting progress, and a detect job finds the ID', async () => {
    const embed = await open(QUEUES.embed);
    const detect = await open(QUEUES.detect);
    const embedWorker = startEmbedWorker(deps);
    const detectWorker = startDetectWorker(deps);
    try {
      const progress: number[] = [];
      embed.events.on('progress', ({ data }) => progress.push((data as { percent: number }).percent));
      const job = await embed.queue.add('embed', { input: 'feature.mp4', ids: [321], outDir: 'out-ok', unallocatedLab: true }, { jobId: 'embed-1' });
      await fs.mkdir(path.join(dir, 'out-ok'));
      const result = await job.waitUntilFinished(embed.events, 120_000);
      expect(result.outputs).toEqual([{ output: path.join(dir, 'out-ok', 'feature.id321.321.mp4'), recipient: 'id321', watermarkId: 321, allocated: false }]);
      const recorded = await services.db.pool.query('select watermark_id, allocated, queue_job_id, actor from embed_ledger');
      expect(recorded.rows).toEqual([{ watermark_id: 321, allocated: false, queue_job_id: 'embed-1', actor: 'worker' }]);
      expect(result.frames).toBe(155);
      expect(progress.length).toBeGreaterThan(2);
      expect(Math.max(...progress)).toBe(100);
      const d = await detect.queue.add('detect', { leak: 'out-ok/feature.id321.321.mp4' }, { jobId: 'detect-1' });
      const found = await d.waitUntilFinished(detect.events, 120_000);
      expect(found).toMatchObject({ found: true, watermarkId: 321, kind: 'video', copy: { watermarkId: 321, allocated: false } });
      expect(found.native).toBeUndefined();
      expect(found.byKey).toBeUndefined();
    } finally {
      await embedWorker.close();
      await detectWorker.close();
    }
  });

  it('cancels a running embed job: it fails as INTERRUPTED and leaves no file behind', async () => {
    const embed = await open(QUEUES.embed);
    const worker = startEmbedWorker(deps);
    try {
      await fs.mkdir(path.join(dir, 'out-cancel'));
      const job = await embed.queue.add('embed', { input: 'feature.mp4', ids: [1, 2, 3], outDir: 'out-cancel', unallocatedLab: true }, { jobId: 'embed-cancel' });
      let asked = false;
      embed.events.on('progress', ({ jobId }) => {
        if (jobId === 'embed-cancel' && !asked) {
          asked = true;
          const client = services.redis.client();
          void requestCancel(client, services.config.queuePrefix, QUEUES.embed, 'embed-cancel').finally(() => client.disconnect());
        }
      });
      const error = await job.waitUntilFinished(embed.events, 120_000).then(() => undefined, (e: unknown) => e as Error);
      expect(error?.message).toMatch(/stopped/);
      expect(asked).toBe(true);
      expect(await fs.readdir(path.join(dir, 'out-cancel'))).toEqual([]);
      expect(await job.getState().catch(() => 'gone')).toBe('failed');
      expect((await services.db.pool.query(`select count(*)::int as n from embed_ledger where output_path like '%/out-cancel/%'`)).rows[0].n).toBe(0);
    } finally {
      await worker.close();
    }
  });
});

describe('embed worker refusals', () => {
  it('refuses a raw ID nobody was allocated, like the CLI, unless the payload sets unallocatedLab', async () => {
    const embed = await open(QUEUES.embed);
    const worker = startEmbedWorker(deps);
    try {
      const job = await embed.queue.add('embed', { input: 'feature.mp4', ids: [999], outDir: '.' }, { jobId: 'embed-refused' });
      const error = await job.waitUntilFinished(embed.events, 60_000).then(() => undefined, (e: unknown) => e as Error);
      expect(error?.message).toMatch(/watermark ID 999 is not allocated to any recipient/);
    } finally {
      await worker.close();
    }
  });
});
