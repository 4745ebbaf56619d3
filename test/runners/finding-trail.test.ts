import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../core/bullmq.js';
import { createLogger } from '../../core/log.js';
import { QUEUES } from '../../core/queues.js';
import { startMonitorWorker } from '../../runners/monitor/worker.js';
import type { NameResolver } from '../../runners/takedown/contacts.js';
import { applyCatalog } from '../support/applied-catalog.js';
import { startFakeRdap, type FakeRdap } from '../support/fake-rdap.js';
import { openTestServices, type TestServices } from '../support/services.js';
import { piracyTemplate, startFixtureServer, type FixtureServer } from './monitor/fixture-web.js';
import { startMailServer, type MailServer } from './takedown/channels/mail-server.js';
import { startHarness, waitForStatus, type Harness } from './takedown/worker-harness.js';

/**
 * One finding followed through the log lines alone, as a person would with a log query: a real
 * monitoring round (monitor queue, crawl of a local pirate site, media confirmed with ffmpeg)
 * records it with automatic takedown, the takedown worker composes a notice for it and sends it
 * over SMTP. From the round's id to the finding's id to the notice's id, each step names the next.
 */

interface LogLine { msg: string; roundId?: string; findingId?: number; findingIds?: number[]; noticeId?: number; jobId?: string; queue?: string; monitoringJobId?: string; contentId?: string }

const catalog = (u: (host: string, p: string) => string) => [
  `apiVersion: vigil/v1
kind: Content
metadata: { id: harbor }
spec: { type: film, title: Moonlit Harbor, releaseDate: 2026-01-01, referenceMedia: [{ path: ref.mp4 }] }`,
  `apiVersion: vigil/v1
kind: MonitoringJob
metadata: { id: harbor-watch }
spec: { content: harbor, tier: standard, detection: manual, takedown: automatic, sites: [streamfree] }`,
  `apiVersion: vigil/v1
kind: Site
metadata: { id: streamfree }
spec:
  type: piracy
  domains: [streamfree.to]
  sources: [{ type: web, url: "${u('streamfree.to', '/latest')}", depth: 2 }]
  takedown: { email: abuse@streamfree.test }`,
  `apiVersion: vigil/v1
kind: Policy
metadata: { id: policy }
spec:
  noticeSender: { name: Jane Counsel, organization: Harbor Films LLC, email: legal@harbor-films.test, address: "1 Studio Way, Burbank, CA 91502, USA", phone: "+1 555 0100" }
  takedown:
    batch: { maxUrls: 50, waitSeconds: 1 }
    delivery: { attempts: 2, backoffMinutes: 0 }`,
];

let work: string;
let web: FixtureServer;
let services: TestServices;
let rdap: FakeRdap;
let mail: MailServer;

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-trail-'));
  const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { cwd: work, timeout: 60_000 });
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10:duration=8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'ref.mp4');
  ffmpeg('-i', 'ref.mp4', '-vf', 'crop=iw*0.9:ih*0.9,scale=256:144', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '36', 'leak.mp4');
  web = await startFixtureServer();
  const u = (host: string, p: string) => web.url(host, p);
  web.route('streamfree.to', '/latest', { body: piracyTemplate({ title: 'Latest', body: 'New today', links: [u('streamfree.to', '/watch/moonlit-harbor-2026')] }) });
  web.route('streamfree.to', '/watch/moonlit-harbor-2026', { body: piracyTemplate({ title: 'Moonlit Harbor (2026) watch free 1080p', body: 'full movie, eng sub, stream free', video: '/media/leak.mp4' }) });
  web.route('streamfree.to', '/media/leak.mp4', { type: 'video/mp4', body: readFileSync(path.join(work, 'leak.mp4')) });
  services = await openTestServices();
  await applyCatalog(services.db.pool, ...catalog(u));
  rdap = await startFakeRdap();
  mail = await startMailServer({ user: 'vigil', pass: 's3cret' });
}, 120_000);

afterAll(async () => {
  await mail?.close();
  await rdap?.close();
  await web?.close();
  await services?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the log lines of one finding', () => {
  it('lead from its monitoring round to its finding id to the takedown notice sent for it', async () => {
    const lines: string[] = [];
    const log = createLogger('info', 'vigil', { format: 'json', write: (line) => lines.push(line) });
    const config = { ...services.config, mediaRoot: work, crawler: { allowPrivate: true, resolve: web.resolveEntries() } };
    const resolver: NameResolver = () => Promise.reject(new Error('ENOTFOUND'));
    const harness: Harness = startHarness(services, rdap, mail.url(), resolver, services.config.crawler, log);
    const monitor = startMonitorWorker({ pool: services.db.pool, log, config }, services.redis);
    const queue = openQueue(QUEUES.monitor, services.redis, services.config.queuePrefix);
    try {
      const job = await queue.add('monitor', { monitoringJobId: 'harbor-watch' }, { jobId: 'harbor-watch-round-1' });
      await expect.poll(() => job.getState(), { timeout: 90_000, interval: 200 }).toBe('completed');
      const finding = (await services.db.pool.query<{ id: number }>('select id from findings')).rows[0]!.id;
      await waitForStatus(services, [finding], 'In Progress', 30_000);
    } finally {
      await monitor.close();
      await queue.close();
      await harness.stop();
    }
    const events = lines.map((l) => JSON.parse(l) as LogLine);

    // The finding's line names its round, job and content; the round's own lines carry the same round id.
    const recorded = events.filter((e) => e.msg === 'finding recorded');
    expect(recorded).toHaveLength(1);
    const { findingId, roundId } = recorded[0]!;
    expect(recorded[0]).toMatchObject({ queue: 'monitor', jobId: 'harbor-watch-round-1', monitoringJobId: 'harbor-watch', contentId: 'harbor', findingId: expect.any(Number), roundId: expect.stringMatching(/^monitor-/) });
    expect(events.filter((e) => e.roundId === roundId).map((e) => e.msg)).toEqual(expect.arrayContaining(['monitoring round started', 'finding recorded', 'monitoring round finished']));
    expect(events.find((e) => e.msg === 'monitoring round finished')).toMatchObject({ roundId, findingIds: [findingId] });

    // From the finding id to its takedown: the request, then the notice that lists it.
    const requested = events.find((e) => e.msg === 'takedown requested; compose pass scheduled' && e.findingIds?.includes(findingId!));
    expect(requested).toMatchObject({ queue: 'takedown', jobId: expect.stringMatching(new RegExp(`^takedown-${findingId}-`)) });
    const composed = events.filter((e) => e.msg === 'takedown notice composed' && e.findingIds?.includes(findingId!));
    expect(composed).toHaveLength(1);
    const { noticeId } = composed[0]!;
    expect(noticeId).toEqual(expect.any(Number));

    // From the notice id to its delivery: the same ids on the line that says it was sent.
    const sent = events.filter((e) => e.noticeId === noticeId && e.msg === 'notice sent; its findings are In Progress');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ findingIds: [findingId], queue: 'takedown' });
    expect(mail.received.map((m) => m.to)).toEqual([['abuse@streamfree.test']]);
  }, 150_000);
});
