import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullConnection, classified, openQueue } from '../../../core/bullmq.js';
import { changeFindingStatus, findingById, recordFinding } from '../../../core/db/findings.js';
import { linkChecksOf } from '../../../core/db/link-checks.js';
import { outboxRows, writeOutbox } from '../../../core/db/outbox.js';
import { inTransaction } from '../../../core/db/transaction.js';
import { silentLogger } from '../../../core/log.js';
import { QUEUES, recheckJob, type QueueName } from '../../../core/queues.js';
import { queueAdder, startOutboxRelay } from '../../../core/relay.js';
import { hostOf, normalizeUrl } from '../../../core/url.js';
import { recheckJobDeps, recheckPayloadOf, runRecheckJob, type RecheckJobDeps } from '../../../runners/takedown/recheck-job.js';
import { applyCatalog } from '../../support/applied-catalog.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { startFixtureServer, type FixtureServer, type Reply } from '../monitor/fixture-web.js';

/**
 * The lifecycle after a notice, against a local pirate site whose pages go away on cue: each
 * finding is put In Progress the way the notice worker does (changeFindingStatus, audited), then
 * its re-check jobs run (directly, with a clock the test moves, and once through BullMQ).
 */

const HOST = 'streamfree.to';
const CONTENT = `apiVersion: vigil/v1
kind: Content
metadata:
  id: moonlit-harbor
spec:
  type: film
  title: Moonlit Harbor
  releaseDate: 2026-01-01
  referenceMedia:
    - { path: ref.mp4, kind: video }
`;
const policy = (everyMinutes: number, count = 2) => `apiVersion: vigil/v1
kind: Policy
metadata:
  id: policy
spec:
  takedown:
    recheck: { firstAfterMinutes: 0, everyMinutes: ${everyMinutes}, count: ${count} }
`;

let work: string;
let services: TestServices;
let server: FixtureServer;
let deps: RecheckJobDeps;
let clock = new Date('2026-11-02T09:00:00Z');
const pages = new Map<string, Reply>();
const media = new Map<string, Reply>();

const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', ...args], { cwd: work, timeout: 60_000 });
const file = (name: string) => readFileSync(path.join(work, name));
const watchPage = (video: string) => `<!doctype html><html><head><title>Moonlit Harbor - watch free in 1080p</title></head><body>
<nav class="navbar"><a href="/">Home</a></nav><h1>Moonlit Harbor (2026)</h1><video controls src="${video}"></video><p>Eng sub, no sign up.</p>
<footer class="footer"><a href="/dmca">DMCA</a></footer></body></html>`;

let counter = 0;
/** A finding whose notice went: its page and media up, its status In Progress as the notice worker leaves it. */
async function inProgress(): Promise<{ id: number; page: string; video: string }> {
  counter += 1;
  const page = `/watch/moonlit-harbor-${counter}`;
  const video = `/media/mh-${counter}.mp4`;
  pages.set(page, { body: watchPage(video) });
  media.set(video, { type: 'video/mp4', body: file('leak.mp4') });
  const url = server.url(HOST, page);
  const { finding } = await recordFinding(services.db.pool, {
    contentId: 'moonlit-harbor', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: 'Moonlit Harbor - watch free', source: 'web', score: 12,
    evidence: { phase2: { media: server.url(HOST, video), kind: 'video' } }, takedownStatus: 'Available', detectionStatus: 'Not Available',
  }, { actor: 'test', reason: 'fixture' });
  await inTransaction(services.db.pool, async (tx) => {
    await changeFindingStatus(tx, finding.id, { takedown: 'Takedown requested' }, { actor: 'U0ALICE', reason: 'clicked Take down' });
    await changeFindingStatus(tx, finding.id, { takedown: 'In Progress' }, { actor: 'notice', reason: 'notice sent' });
  });
  return { id: finding.id, page, video };
}

const run = (findingId: number, check: number) => runRecheckJob(deps, { findingId, check });
const status = async (id: number) => (await findingById(services.db.pool, id))!.takedownStatus;
const auditOf = async (id: number) => (await services.db.pool.query<{ actor: string; action: string; reason: string; details: Record<string, unknown> }>(
  `select actor, action, reason, details from audit_log where object_kind = 'Finding' and object_id = $1 and actor = 'recheck' order by id`, [String(id)])).rows;
const owedChecks = async (id: number) => (await outboxRows(services.db.pool)).filter((r) => r.name === 'recheck' && (r.payload as { findingId: number }).findingId === id);

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-recheck-job-'));
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10:duration=8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'ref.mp4');
  ffmpeg('-i', 'ref.mp4', '-vf', 'crop=iw*0.92:ih*0.92,scale=256:144', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '38', 'leak.mp4');
  ffmpeg('-f', 'lavfi', '-i', 'mandelbrot=size=320x180:rate=10', '-t', '8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'other.mp4');
  services = await openTestServices();
  await applyCatalog(services.db.pool, CONTENT, policy(30));
  server = await startFixtureServer();
  server.route(HOST, '/', { body: '<html><head><title>StreamFree - watch free</title></head><body><h2>Trending</h2><a href="/watch/a">A</a></body></html>' });
  for (let i = 1; i <= 12; i++) {
    server.route(HOST, `/watch/moonlit-harbor-${i}`, (_req, url) => pages.get(url.pathname) ?? { status: 404 });
    server.route(HOST, `/media/mh-${i}.mp4`, (_req, url) => media.get(url.pathname) ?? { status: 404 });
  }
  server.route(HOST, '/media/other.mp4', { type: 'video/mp4', body: file('other.mp4') });
  // The production wiring: the crawler's fetcher and the references computed from the applied Content.
  const wired = recheckJobDeps({ crawler: { allowPrivate: true, resolve: server.resolveEntries() }, mediaRoot: work }, services.db.pool, silentLogger);
  deps = { ...wired, now: () => clock };
}, 120_000);

afterAll(async () => {
  await server?.close();
  await services?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a re-check job moves an In Progress finding on', () => {
  it('fails a link still up at the count-th re-check that finds it up, owing the next check everyMinutes later until then', async () => {
    const f = await inProgress();
    clock = new Date('2026-11-02T09:00:00Z');
    const first = await run(f.id, 1);
    expect(first).toMatchObject({ status: 'checked', outcome: 'up', why: 'media-matches', then: 'again', nextAt: '2026-11-02T09:30:00.000Z' });
    expect(await status(f.id)).toBe('In Progress');
    const owed = await owedChecks(f.id);
    expect(owed.map((o) => [o.jobId, o.runAt])).toEqual([[`recheck-${f.id}-2`, '2026-11-02T09:30:00.000Z']]);
    clock = new Date('2026-11-02T09:30:00Z');
    expect(await run(f.id, 2)).toMatchObject({ status: 'checked', outcome: 'up', then: 'Failed' });
    expect(await status(f.id)).toBe('Failed');
    expect((await owedChecks(f.id)).length).toBe(1);
    const failed = (await auditOf(f.id)).find((a) => a.action === 'takedown-status')!;
    expect(failed.reason).toMatch(/^still up after 2 re-checks: the media at .* still matches the reference/);
    expect(failed.details).toMatchObject({ from: 'In Progress', to: 'Failed', check: 2, round: 1, outcome: 'up', why: 'media-matches', httpStatus: 200 });
    const checks = await linkChecksOf(services.db.pool, f.id);
    expect(checks.map((c) => [c.round, c.n, c.outcome, c.httpStatus])).toEqual([[1, 1, 'up', 200], [1, 2, 'up', 200]]);
    expect(checks[1]!.at.toISOString()).toBe('2026-11-02T09:30:00.000Z');
    expect(checks[0]!.finalUrl).toBe(server.url(HOST, f.page));
  });

  it('completes a link that answers 404, with the check\'s reason and evidence on the audit row', async () => {
    const f = await inProgress();
    pages.set(f.page, { status: 404, body: 'no such page' });
    expect(await run(f.id, 1)).toMatchObject({ status: 'checked', outcome: 'gone', why: '404', then: 'Complete' });
    expect(await status(f.id)).toBe('Complete');
    const [change] = await auditOf(f.id);
    expect(change).toMatchObject({ actor: 'recheck', action: 'takedown-status', details: { from: 'In Progress', to: 'Complete', why: '404', httpStatus: 404, evidence: { status: 404 } } });
    expect(change!.reason).toBe(`link gone: HTTP 404 at ${server.url(HOST, f.page)}`);
    expect(await owedChecks(f.id)).toEqual([]);
  });

  it('completes a link whose page now says the file was removed', async () => {
    const f = await inProgress();
    pages.set(f.page, { body: '<html><head><title>Moonlit Harbor - StreamFree</title></head><body><nav class="navbar"><a href="/">Home</a></nav><div class="alert"><h2>This video has been removed</h2><p>It was removed due to a copyright claim.</p></div></body></html>' });
    expect(await run(f.id, 1)).toMatchObject({ outcome: 'gone', why: 'removed-page', then: 'Complete', reason: expect.stringMatching(/removed-file page .*video has been removed/) });
    const [check] = await linkChecksOf(services.db.pool, f.id);
    expect(check).toMatchObject({ outcome: 'gone', why: 'removed-page', httpStatus: 200 });
    expect((check!.evidence.removedPage as { removed: boolean }).removed).toBe(true);
  });

  it('completes a link whose same URL now serves other media, after a first check found it up', async () => {
    const f = await inProgress();
    expect(await run(f.id, 1)).toMatchObject({ outcome: 'up', then: 'again' });
    media.set(f.video, { type: 'video/mp4', body: file('other.mp4') });
    expect(await run(f.id, 2)).toMatchObject({ outcome: 'gone', why: 'media-changed', then: 'Complete' });
    expect((await linkChecksOf(services.db.pool, f.id)).map((c) => c.why)).toEqual(['media-matches', 'media-changed']);
  });

  it('does not count a 503 as up: up, 503, up fails only at the third check', async () => {
    const f = await inProgress();
    expect(await run(f.id, 1)).toMatchObject({ outcome: 'up', then: 'again' });
    const live = pages.get(f.page)!;
    pages.set(f.page, { status: 503, body: 'busy', headers: { 'retry-after': '60' } });
    expect(await run(f.id, 2)).toMatchObject({ outcome: 'unknown', why: 'server-error', then: 'again' });
    expect(await status(f.id)).toBe('In Progress');
    pages.set(f.page, live);
    expect(await run(f.id, 3)).toMatchObject({ outcome: 'up', then: 'Failed', reason: expect.stringMatching(/^still up after 2 re-checks/) });
    const checks = await linkChecksOf(services.db.pool, f.id);
    expect(checks.map((c) => [c.outcome, c.httpStatus])).toEqual([['up', 200], ['unknown', 503], ['up', 200]]);
    // The unknown check left an audit row of its own, since it changed no status.
    expect((await auditOf(f.id)).filter((a) => a.action === 'link-checked').map((a) => a.details.outcome)).toEqual(['up', 'unknown']);
  });

  it('gives up on a link that never answers after 3 × count unknowns in a row, naming why', async () => {
    const f = await inProgress();
    pages.set(f.page, { status: 503, body: 'busy' });
    for (let n = 1; n <= 5; n++) expect(await run(f.id, n)).toMatchObject({ outcome: 'unknown', then: 'again' });
    const last = await run(f.id, 6);
    expect(last).toMatchObject({ outcome: 'unknown', then: 'Failed' });
    expect(last.status === 'checked' && last.reason).toMatch(/no answer that tells in 6 re-checks in a row \(the limit is 6\): server-error: .*HTTP 503/);
    expect(await status(f.id)).toBe('Failed');
  });

  it('checks nothing for a finding no longer In Progress, and records a check run twice once', async () => {
    const f = await inProgress();
    const before = server.log.length;
    expect(await run(f.id, 1)).toMatchObject({ status: 'checked' });
    expect(await run(f.id, 1)).toEqual({ status: 'skipped', reason: 're-check 1 is recorded already' });
    expect(server.log.length - before).toBeGreaterThan(0);
    const afterFirst = server.log.length;
    await inTransaction(services.db.pool, (tx) => changeFindingStatus(tx, f.id, { takedown: 'Failed' }, { actor: 'U0BOB', reason: 'gave up by hand' }));
    expect(await run(f.id, 2)).toEqual({ status: 'skipped', reason: 'the finding is Failed, not In Progress' });
    expect(server.log.length).toBe(afterFirst);
    expect(await linkChecksOf(services.db.pool, f.id)).toHaveLength(1);
    expect(await runRecheckJob(deps, { findingId: 987654, check: 1 })).toMatchObject({ status: 'skipped' });
  });

  it('numbers a second takedown of the same finding apart, and skips a job left from the first', async () => {
    const f = await inProgress();
    pages.set(f.page, { status: 503 });
    await run(f.id, 1);
    // A person gives up, takes it down again; the notice goes again: round 2.
    await inTransaction(services.db.pool, async (tx) => {
      await changeFindingStatus(tx, f.id, { takedown: 'Failed' }, { actor: 'U0BOB', reason: 'site unreachable' });
      await changeFindingStatus(tx, f.id, { takedown: 'Takedown requested' }, { actor: 'U0BOB', reason: 'again' });
      await changeFindingStatus(tx, f.id, { takedown: 'In Progress' }, { actor: 'notice', reason: 'notice sent' });
    });
    expect(await runRecheckJob(deps, { findingId: f.id, check: 2, round: 1 })).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/takedown 1; the finding is on takedown 2/) });
    pages.set(f.page, { status: 410 });
    expect(await run(f.id, 1)).toMatchObject({ outcome: 'gone', why: '410', then: 'Complete' });
    expect((await linkChecksOf(services.db.pool, f.id)).map((c) => [c.round, c.n, c.outcome])).toEqual([[1, 1, 'unknown'], [2, 1, 'gone']]);
    expect(recheckJob(f.id, 1, clock, 2).jobId).toBe(`recheck-${f.id}-r2-1`);
  });

  it('refuses a payload that is not a reference to a finding and a check, at once', () => {
    expect(() => recheckPayloadOf({ findingId: '7', check: 1 })).toThrow(/VIGIL-E0208|recheck job needs/);
    expect(() => recheckPayloadOf({ findingId: 7, check: 0 })).toThrow(/recheck job needs/);
    expect(recheckPayloadOf({ findingId: 7, check: 2, round: 3 })).toEqual({ findingId: 7, check: 2, round: 3 });
  });
});

describe('the lifecycle through the outbox and a takedown-queue worker', () => {
  it('goes from In Progress (up) to Complete once the page answers 410, each check owed by the one before', async () => {
    // Checks owed at once, so the delayed jobs run while the test waits; a count that leaves room for
    // a check or two that raced the switch to 410.
    await applyCatalog(services.db.pool, CONTENT, policy(0, 10));
    const f = await inProgress();
    const queues = new Map<QueueName, ReturnType<typeof openQueue>>();
    const queueOf = async (name: QueueName) => {
      if (!queues.has(name)) queues.set(name, openQueue(name, services.redis, services.config.queuePrefix));
      return queues.get(name)!;
    };
    const realDeps: RecheckJobDeps = { ...deps, now: () => new Date() };
    const worker = new Worker(QUEUES.takedown, classified(async (job) => (job.name === 'recheck' ? runRecheckJob(realDeps, recheckPayloadOf(job.data)) : { status: 'not this test\'s' })),
      { connection: bullConnection(services.redis), prefix: services.config.queuePrefix });
    const relay = startOutboxRelay({ pool: services.db.pool, add: queueAdder(queueOf), log: silentLogger, intervalMs: 100 });
    try {
      // What the notice worker writes when the notice went.
      await inTransaction(services.db.pool, (tx) => writeOutbox(tx, [recheckJob(f.id, 1, new Date())]));
      const until = async (what: string, ok: () => Promise<boolean>) => {
        const deadline = Date.now() + 20_000;
        while (!(await ok())) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      };
      await until('the first check', async () => (await linkChecksOf(services.db.pool, f.id)).length >= 1);
      pages.set(f.page, { status: 410, body: 'gone' });
      await until('Complete', async () => (await status(f.id)) === 'Complete');
      const checks = await linkChecksOf(services.db.pool, f.id);
      expect(checks[0]).toMatchObject({ n: 1, outcome: 'up' });
      expect(checks[checks.length - 1]).toMatchObject({ outcome: 'gone', why: '410', httpStatus: 410 });
      expect(checks.slice(0, -1).every((c) => c.outcome === 'up')).toBe(true);
      expect(checks.map((c) => c.n)).toEqual(checks.map((_c, i) => i + 1));
    } finally {
      await relay.stop();
      await worker.close();
      for (const q of queues.values()) await q.close();
    }
  }, 40_000);
});
