import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../core/bullmq.js';
import { outboxRows, relayOutbox } from '../../core/db/outbox.js';
import { findingDetectionJobId, QUEUES } from '../../core/queues.js';
import { queueAdder, startOutboxRelay } from '../../core/relay.js';
import { silentLogger } from '../../core/log.js';
import { piracyTemplate, startFixtureServer, type FixtureServer } from '../runners/monitor/fixture-web.js';
import { openTestServices, type TestServices } from '../support/services.js';

/**
 * kill -9 in the middle of a round loses nothing: each finding is written with its audit row and
 * its follow-up (detect) job in one transaction, and the jobs reach the queue through the outbox
 * relay however late. The round runs as a real `vigil scan` process; the pirate site answers the
 * first two videos and stalls on the rest, and the process is killed while it waits.
 */

const ROOT = path.resolve(import.meta.dirname, '../..');
const EPISODES = [1, 2, 3, 4, 5];
const ANSWERED = new Set([1, 2]);
let work: string;
let server: FixtureServer;
let services: TestServices;
let detectQueue: Queue;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-scan-kill-'));
  mkdirSync(path.join(work, 'catalog'));
  const ff = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { cwd: work, timeout: 60_000 });
  ff('-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10:duration=6', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'catalog/ref.mp4');
  ff('-i', 'catalog/ref.mp4', '-vf', 'scale=256:144', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '34', 'leak.mp4');
  writeFileSync(path.join(work, 'catalog', 'catalog.yaml'), `apiVersion: vigil/v1
kind: Content
metadata: { id: moonlit }
spec:
  type: season
  title: Moonlit Harbor
  season: 1
  episodes: 10
  releaseDate: 2026-03-06
  watermarked: true
  referenceMedia: [{ path: ref.mp4 }]
---
apiVersion: vigil/v1
kind: MonitoringJob
metadata: { id: moonlit-watch }
spec: { content: moonlit, detection: automatic }
`);
  server = await startFixtureServer();
  const leak = readFileSync(path.join(work, 'leak.mp4'));
  server.route('pirate.example', '/latest', { body: piracyTemplate({ title: 'Latest', body: 'New today', links: EPISODES.map((n) => server.url('pirate.example', `/watch/moonlit-harbor-s01e0${n}`)) }) });
  for (const n of EPISODES) {
    server.route('pirate.example', `/watch/moonlit-harbor-s01e0${n}`, { body: piracyTemplate({ title: `Moonlit Harbor S01E0${n} watch free 1080p`, body: 'eng sub, stream free', video: `/media/${n}.mp4` }) });
    // The rest stall past the crawler's own timeout, and never become findings: the round is killed while it waits.
    server.route('pirate.example', `/media/${n}.mp4`, ANSWERED.has(n) ? { type: 'video/mp4', body: leak } : { status: 503, delayMs: 60_000 });
  }
  services = await openTestServices();
  detectQueue = openQueue(QUEUES.detect, services.redis, services.config.queuePrefix);
}, 120_000);

afterAll(async () => {
  await detectQueue?.close();
  await server?.close();
  await services?.close();
  rmSync(work, { recursive: true, force: true });
});

const count = async (sql: string): Promise<number> => (await services.db.pool.query<{ n: number }>(sql)).rows[0]!.n;

describe('kill -9 in the middle of a round', () => {
  it('leaves every finding with its audit row and its detect job, which the relay then queues once', async () => {
    const args = ['scan', '--content', 'moonlit', '--catalog', 'catalog', '--seed', server.url('pirate.example', '/latest'),
      ...server.resolveEntries().flatMap((e) => ['--resolve', e]), '--allow-private'];
    const child = spawn(process.execPath, ['--import', pathToFileURL(path.join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, path.join(ROOT, 'cli/run.ts'), ...args], {
      cwd: work, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NODE_OPTIONS: '', ...services.env },
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    try {
      await expect.poll(() => count('select count(*)::int as n from findings'), { timeout: 120_000, interval: 100 }).toBe(ANSWERED.size)
        .catch((error: Error) => { throw new Error(`${error.message}; vigil scan said: ${output}`); });
      // Still in the round, waiting on a stalled video.
      await expect.poll(() => server.log.some((r) => /\/media\/[345]\.mp4/.test(r.path)), { timeout: 60_000, interval: 100 }).toBe(true);
      expect(child.exitCode).toBeNull();
    } finally {
      child.kill('SIGKILL');
    }
    expect(await exited).toBe('SIGKILL');

    const findings = (await services.db.pool.query<{ id: number; detection_status: string }>('select id, detection_status from findings order by id')).rows;
    expect(findings).toHaveLength(ANSWERED.size);
    const audited = await services.db.pool.query<{ object_id: string; actor: string }>(`select object_id, actor from audit_log where action = 'finding-created' order by object_id::int`);
    expect(audited.rows).toEqual(findings.map((f) => ({ object_id: String(f.id), actor: 'scan' })));
    expect(findings.every((f) => f.detection_status === 'Downloading')).toBe(true);
    const owed = await outboxRows(services.db.pool);
    expect(owed.map((r) => [r.queue, r.jobId, r.payload, r.sentAt])).toEqual(findings.map((f) => ['detect', findingDetectionJobId(f.id), { findingId: f.id }, null]));
    expect(await detectQueue.count()).toBe(0);

    // A relay that dies after adding a job and before marking its row sent leaves the row unsent...
    const add = queueAdder(async () => detectQueue);
    await expect(relayOutbox(services.db.pool, async (job) => { await add(job); throw new Error('relay killed'); })).rejects.toThrow('relay killed');
    expect(await outboxRows(services.db.pool, { unsentOnly: true })).toHaveLength(ANSWERED.size);
    // ...and the relay started again (as every worker process runs it) sends it under the same job id: once.
    const relay = startOutboxRelay({ pool: services.db.pool, add, log: silentLogger, intervalMs: 100 });
    try {
      await expect.poll(async () => (await outboxRows(services.db.pool, { unsentOnly: true })).length, { timeout: 30_000, interval: 100 }).toBe(0);
    } finally {
      await relay.stop();
    }
    const jobs = await detectQueue.getJobs(['waiting']);
    expect(jobs.map((j) => [j.name, j.id, j.data]).sort()).toEqual(findings.map((f) => ['finding', findingDetectionJobId(f.id), { findingId: f.id }]).sort());
  }, 240_000);
});
