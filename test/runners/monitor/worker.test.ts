import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../../core/bullmq.js';
import { drainOutbox } from '../../../core/db/outbox.js';
import { queueAdder } from '../../../core/relay.js';
import { silentLogger } from '../../../core/log.js';
import { findingDetectionJobId, QUEUES, type MonitorPayload } from '../../../core/queues.js';
import { apply } from '../../../reconciler/apply.js';
import { loadCatalog } from '../../../core/catalog/load.js';
import { desiredState } from '../../../reconciler/desired.js';
import { startMonitorWorker, type MonitorJobResult } from '../../../runners/monitor/worker.js';
import { runCli } from '../../support/cli.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { articleTemplate, piracyTemplate, startFixtureServer, type FixtureServer } from './fixture-web.js';

let server: FixtureServer;
let services: TestServices;
let work: string;

function catalogYaml(u: (host: string, p: string) => string): string {
  return `apiVersion: vigil/v1
kind: Content
metadata: { id: moonlit }
spec:
  type: season
  title: Moonlit Harbor
  season: 1
  episodes: 10
  releaseDate: 2026-03-06
  watermarked: true
  referenceMedia: [{ path: ref.mp4, episode: 3 }]
---
apiVersion: vigil/v1
kind: Content
metadata: { id: sequel }
spec: { type: film, title: Moonlit Harbor The Movie, releaseDate: 2099-01-01 }
---
apiVersion: vigil/v1
kind: MonitoringJob
metadata: { id: moonlit-watch }
spec: { content: moonlit, tier: premium, detection: automatic, takedown: manual, sites: [streamfree] }
---
apiVersion: vigil/v1
kind: MonitoringJob
metadata: { id: sequel-watch }
spec: { content: sequel }
---
apiVersion: vigil/v1
kind: Site
metadata: { id: streamfree }
spec:
  type: piracy
  family: streamfree
  domains: [streamfree.to]
  sources: [{ type: web, url: "${u('streamfree.to', '/latest')}", depth: 2 }]
---
apiVersion: vigil/v1
kind: Site
metadata: { id: harbor-official }
spec: { type: legitimate, domains: [harborpictures.example] }
`;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-monitor-worker-'));
  const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { cwd: work, timeout: 60_000 });
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10:duration=8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'ref.mp4');
  ffmpeg('-i', 'ref.mp4', '-vf', 'crop=iw*0.9:ih*0.9,scale=256:144', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '36', 'leak.mp4');
  server = await startFixtureServer();
  const u = (host: string, p: string) => server.url(host, p);
  server.route('streamfree.to', '/latest', { body: piracyTemplate({ title: 'Latest', body: 'New today', links: [u('streamfree.to', '/watch/moonlit-harbor-s01e03'), u('harborpictures.example', '/moonlit')] }) });
  server.route('streamfree.to', '/watch/moonlit-harbor-s01e03', { body: piracyTemplate({ title: 'Moonlit Harbor S01E03 watch free 1080p', body: 'eng sub, stream free', video: '/media/leak.mp4' }) });
  server.route('streamfree.to', '/media/leak.mp4', { type: 'video/mp4', body: readFileSync(path.join(work, 'leak.mp4')) });
  server.route('harborpictures.example', '/moonlit', { body: articleTemplate('Moonlit Harbor S01E03: watch free on the official site', 'Official. 1080p.') });
  services = await openTestServices();
  const loaded = loadCatalog([{ path: 'catalog.yaml', content: catalogYaml(u) }]);
  expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  await apply(services.db.pool, desiredState(loaded.catalog), { source: 'test', actor: 'test', now: new Date('2026-06-01T00:00:00Z') });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await services?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the monitor worker', () => {
  it('runs rounds from the monitor queue: one finding, deduplicated on the next round, references computed once', async () => {
    const config = { ...services.config, mediaRoot: work, crawler: { allowPrivate: true, resolve: server.resolveEntries() } };
    const detectQueue = openQueue(QUEUES.detect, services.redis, services.config.queuePrefix);
    const worker = startMonitorWorker({ pool: services.db.pool, log: silentLogger, config }, services.redis);
    const queue = openQueue(QUEUES.monitor, services.redis, services.config.queuePrefix);
    const round = async (jobId: string, n: number): Promise<MonitorJobResult> => {
      const payload: MonitorPayload = { monitoringJobId: jobId };
      const job = await queue.add('monitor', payload, { jobId: `${jobId}-round-${n}` });
      await expect.poll(() => job.getState(), { timeout: 60_000, interval: 200 }).toMatch(/completed|failed/);
      const done = await queue.getJob(job.id!);
      expect(done?.failedReason).toBeUndefined();
      return done!.returnvalue as MonitorJobResult;
    };
    try {
      const first = await round('moonlit-watch', 1);
      expect(first).toMatchObject({ status: 'ran', findings: 1, newFindings: 1 });
      const findings = await services.db.pool.query('select content_id, monitoring_job_id, takedown_status, detection_status, url from findings');
      expect(findings.rows).toHaveLength(1);
      expect(findings.rows[0]).toMatchObject({ content_id: 'moonlit', monitoring_job_id: 'moonlit-watch', takedown_status: 'Available', detection_status: 'Downloading' });
      expect(findings.rows[0].url).toMatch(/streamfree\.to.*moonlit-harbor-s01e03/);
      // Detection is automatic and the title watermarked: the new finding's copy is owed to the detect
      // queue (in the outbox, with the finding), and the relay puts it there.
      const findingId = (await services.db.pool.query<{ id: number }>('select id from findings')).rows[0]!.id;
      expect(await drainOutbox(services.db.pool, queueAdder(async () => detectQueue))).toBe(1);
      expect((await detectQueue.getJobs(['waiting'])).map((j) => [j.name, j.id, j.data])).toEqual([['finding', findingDetectionJobId(findingId), { findingId }]]);
      const computed = await services.db.pool.query('select frames, computed_at from reference_fingerprints');
      expect(computed.rows[0].frames).toBeGreaterThan(0);

      const second = await round('moonlit-watch', 2);
      expect(second).toMatchObject({ status: 'ran', findings: 1, newFindings: 0 });
      expect((await services.db.pool.query('select count(*)::int as n from findings')).rows[0]).toEqual({ n: 1 });
      const again = await services.db.pool.query('select computed_at from reference_fingerprints');
      expect(again.rows[0].computed_at).toEqual(computed.rows[0].computed_at);
      const audit = await services.db.pool.query(`select actor, reason from audit_log where action = 'finding-created'`);
      expect(audit.rows).toEqual([{ actor: 'monitor', reason: expect.stringMatching(/^confirmed on .*moonlit-harbor-s01e03/) }]);

      expect(await round('sequel-watch', 1)).toEqual({ status: 'skipped', reason: 'reserved until 2099-01-01' });

      // vigil findings queries them: by any of the title's names, status, period in a time zone, link.
      const json = async (...args: string[]) => {
        const r = await runCli(['findings', ...args, '--format', 'json'], services.env, work);
        expect(r.code, r.stderr).toBe(0);
        return JSON.parse(r.stdout) as { url: string }[];
      };
      expect(await json('--title', 'moonlit harbor')).toHaveLength(1);
      expect(await json('--takedown', 'Available', '--detection', 'Downloading')).toHaveLength(1);
      expect(await json('--takedown', 'Complete')).toHaveLength(0);
      expect(await json('--from', '2000-01-01', '--tz', 'Asia/Seoul')).toHaveLength(1);
      expect(await json('--to', '2000-01-01', '--tz', 'Asia/Seoul')).toHaveLength(0);
      expect(await json('--link', 'streamfree.to')).toHaveLength(1);
      const bad = await runCli(['findings', '--takedown', 'Done'], services.env, work);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/unknown takedown status "Done"; one of Available/);
    } finally {
      await worker.close();
      await queue.close();
      await detectQueue.close();
    }
  });
});
