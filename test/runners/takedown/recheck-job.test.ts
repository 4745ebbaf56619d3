import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bullConnection, classified, openQueue } from '../../../core/bullmq.js';
import { changeFindingStatus, findingById, recordFinding } from '../../../core/db/findings.js';
import { linkChecksOf } from '../../../core/db/link-checks.js';
import { claimNotice, createNotices, recordNoticeOutcome } from '../../../core/db/notices.js';
import { outboxRows } from '../../../core/db/outbox.js';
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
 * The lifecycle after a notice, against a local pirate site whose pages go away on cue: findings are
 * requested and put In Progress by a notice recorded as sent (core/db/notices.ts, as the notice
 * worker does it), then the notice's re-check jobs run (directly, with a clock the test moves, and
 * once through BullMQ): one job per notice and check, for all of its links.
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
/** A link up on the pirate site, its finding requested for takedown. */
async function requestedLink(): Promise<{ id: number; page: string; video: string }> {
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
  await inTransaction(services.db.pool, (tx) => changeFindingStatus(tx, finding.id, { takedown: 'Takedown requested' }, { actor: 'U0ALICE', reason: 'clicked Take down' }));
  return { id: finding.id, page, video };
}

/** One notice listing the findings, recorded as sent: they go In Progress and the notice owes its first re-check. */
async function sent(ids: number[]): Promise<number> {
  const { created } = await createNotices(services.db.pool, [{
    key: `recheck-test-${ids.join('-')}-${Date.now()}`, contact: `abuse@${HOST}`, channel: 'smtp', language: 'en', dir: 'ltr', subject: 'Notice', text: 'text', html: '<p>html</p>',
    urls: ids.map((id) => `finding ${id}`), works: [], sender: { name: 'Jane', email: 'legal@harbor.test' }, part: { index: 1, total: 1 }, findingIds: ids,
  }]);
  const notice = created[0]!.id;
  await claimNotice(services.db.pool, notice);
  await recordNoticeOutcome(services.db.pool, notice, [{ outcome: 'sent', channel: 'smtp', at: clock, externalId: `<n${notice}@harbor.test>`, details: {} }], { status: 'sent' }, { firstAfterMinutes: 0, now: clock });
  return notice;
}

/** A finding whose notice (of its own) went: its page and media up, its status In Progress as the notice worker leaves it. */
async function inProgress(): Promise<{ id: number; page: string; video: string; notice: number }> {
  const link = await requestedLink();
  return { ...link, notice: await sent([link.id]) };
}

const run = (noticeId: number, check: number) => runRecheckJob(deps, { noticeId, check });
/** A job as it sits in the queue: its payload read the way the worker reads it. */
const queued = (data: unknown) => runRecheckJob(deps, recheckPayloadOf(data));
/** The one link of a notice's re-check job, as it was recorded. */
async function runOne(noticeId: number, check: number): Promise<Record<string, unknown>> {
  const r = await run(noticeId, check);
  if (r.status !== 'checked') return r;
  expect(r.links).toHaveLength(1);
  return { ...r.links[0], ...(r.nextAt ? { nextAt: r.nextAt } : {}) };
}
const status = async (id: number) => (await findingById(services.db.pool, id))!.takedownStatus;
const auditOf = async (id: number) => (await services.db.pool.query<{ actor: string; action: string; reason: string; details: Record<string, unknown> }>(
  `select actor, action, reason, details from audit_log where object_kind = 'Finding' and object_id = $1 and actor = 'recheck' order by id`, [String(id)])).rows;
/** The notice's re-checks owed after the first (which the sent notice owes). */
const owedChecks = async (notice: number) => (await outboxRows(services.db.pool))
  .filter((r) => r.name === 'recheck' && (r.payload as { noticeId: number; check: number }).noticeId === notice && (r.payload as { check: number }).check > 1);

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'vigil-recheck-job-'));
  ffmpeg('-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=10:duration=8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'ref.mp4');
  ffmpeg('-i', 'ref.mp4', '-vf', 'crop=iw*0.92:ih*0.92,scale=256:144', '-c:v', 'libx264', '-preset', 'ultrafast', '-crf', '38', 'leak.mp4');
  ffmpeg('-f', 'lavfi', '-i', 'mandelbrot=size=320x180:rate=10', '-t', '8', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', 'other.mp4');
  services = await openTestServices();
  await applyCatalog(services.db.pool, CONTENT, policy(30));
  server = await startFixtureServer();
  server.route(HOST, '/', { body: '<html><head><title>StreamFree - watch free</title></head><body><h2>Trending</h2><a href="/watch/a">A</a></body></html>' });
  for (let i = 1; i <= 30; i++) {
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
    clock = new Date('2026-11-02T09:00:00Z');
    const f = await inProgress();
    const first = await runOne(f.notice, 1);
    expect(first).toMatchObject({ findingId: f.id, outcome: 'up', why: 'media-matches', then: 'again', nextAt: '2026-11-02T09:30:00.000Z' });
    expect(await status(f.id)).toBe('In Progress');
    const owed = await owedChecks(f.notice);
    expect(owed.map((o) => [o.jobId, o.runAt, o.payload])).toEqual([[`recheck-notice-${f.notice}-2`, '2026-11-02T09:30:00.000Z', { noticeId: f.notice, check: 2 }]]);
    clock = new Date('2026-11-02T09:30:00Z');
    expect(await runOne(f.notice, 2)).toMatchObject({ outcome: 'up', then: 'Failed' });
    expect(await status(f.id)).toBe('Failed');
    expect((await owedChecks(f.notice)).length).toBe(1);
    const failed = (await auditOf(f.id)).find((a) => a.action === 'takedown-status')!;
    expect(failed.reason).toMatch(/^still up after 2 re-checks: the media at .* still matches the reference/);
    expect(failed.details).toMatchObject({ from: 'In Progress', to: 'Failed', notice: f.notice, check: 2, round: 1, outcome: 'up', why: 'media-matches', httpStatus: 200 });
    const checks = await linkChecksOf(services.db.pool, f.id);
    expect(checks.map((c) => [c.round, c.n, c.outcome, c.httpStatus])).toEqual([[1, 1, 'up', 200], [1, 2, 'up', 200]]);
    expect(checks[1]!.at.toISOString()).toBe('2026-11-02T09:30:00.000Z');
    expect(checks[0]!.finalUrl).toBe(server.url(HOST, f.page));
  });

  it('completes a link that answers 404, with the check\'s reason and evidence on the audit row', async () => {
    const f = await inProgress();
    pages.set(f.page, { status: 404, body: 'no such page' });
    expect(await runOne(f.notice, 1)).toMatchObject({ outcome: 'gone', why: '404', then: 'Complete' });
    expect(await status(f.id)).toBe('Complete');
    const [change] = await auditOf(f.id);
    expect(change).toMatchObject({ actor: 'recheck', action: 'takedown-status', details: { from: 'In Progress', to: 'Complete', why: '404', httpStatus: 404, evidence: { status: 404 } } });
    expect(change!.reason).toBe(`link gone: HTTP 404 at ${server.url(HOST, f.page)}`);
    expect(await owedChecks(f.notice)).toEqual([]);
  });

  it('completes a link whose page now says the file was removed', async () => {
    const f = await inProgress();
    pages.set(f.page, { body: '<html><head><title>Moonlit Harbor - StreamFree</title></head><body><nav class="navbar"><a href="/">Home</a></nav><div class="alert"><h2>This video has been removed</h2><p>It was removed due to a copyright claim.</p></div></body></html>' });
    expect(await runOne(f.notice, 1)).toMatchObject({ outcome: 'gone', why: 'removed-page', then: 'Complete', reason: expect.stringMatching(/removed-file page .*video has been removed/) });
    const [check] = await linkChecksOf(services.db.pool, f.id);
    expect(check).toMatchObject({ outcome: 'gone', why: 'removed-page', httpStatus: 200 });
    expect((check!.evidence.removedPage as { removed: boolean }).removed).toBe(true);
  });

  it('completes a link whose same URL now serves other media, after a first check found it up', async () => {
    const f = await inProgress();
    expect(await runOne(f.notice, 1)).toMatchObject({ outcome: 'up', then: 'again' });
    media.set(f.video, { type: 'video/mp4', body: file('other.mp4') });
    expect(await runOne(f.notice, 2)).toMatchObject({ outcome: 'gone', why: 'media-changed', then: 'Complete' });
    expect((await linkChecksOf(services.db.pool, f.id)).map((c) => c.why)).toEqual(['media-matches', 'media-changed']);
  });

  it('does not count a 503 as up: up, 503, up fails only at the third check', async () => {
    const f = await inProgress();
    expect(await runOne(f.notice, 1)).toMatchObject({ outcome: 'up', then: 'again' });
    const live = pages.get(f.page)!;
    pages.set(f.page, { status: 503, body: 'busy', headers: { 'retry-after': '60' } });
    expect(await runOne(f.notice, 2)).toMatchObject({ outcome: 'unknown', why: 'server-error', then: 'again' });
    expect(await status(f.id)).toBe('In Progress');
    pages.set(f.page, live);
    expect(await runOne(f.notice, 3)).toMatchObject({ outcome: 'up', then: 'Failed', reason: expect.stringMatching(/^still up after 2 re-checks/) });
    const checks = await linkChecksOf(services.db.pool, f.id);
    expect(checks.map((c) => [c.outcome, c.httpStatus])).toEqual([['up', 200], ['unknown', 503], ['up', 200]]);
    // The unknown check left an audit row of its own, since it changed no status.
    expect((await auditOf(f.id)).filter((a) => a.action === 'link-checked').map((a) => a.details.outcome)).toEqual(['up', 'unknown']);
  });

  it('gives up on a link that never answers after 3 × count unknowns in a row, naming why', async () => {
    const f = await inProgress();
    pages.set(f.page, { status: 503, body: 'busy' });
    for (let n = 1; n <= 5; n++) expect(await runOne(f.notice, n)).toMatchObject({ outcome: 'unknown', then: 'again' });
    const last = await runOne(f.notice, 6);
    expect(last).toMatchObject({ outcome: 'unknown', then: 'Failed' });
    expect(last.reason).toMatch(/no answer that tells in 6 re-checks in a row \(the limit is 6\): server-error: .*HTTP 503/);
    expect(await status(f.id)).toBe('Failed');
  });

  it('checks nothing for a finding no longer In Progress, and records a check run twice once, fetching nothing the second time', async () => {
    const f = await inProgress();
    const before = server.log.length;
    expect(await run(f.notice, 1)).toMatchObject({ status: 'checked' });
    expect(server.log.length - before).toBeGreaterThan(0);
    const afterFirst = server.log.length;
    expect(await run(f.notice, 1)).toEqual({ status: 'skipped', reason: `no link of notice ${f.notice} is owed re-check 1 (1 already-recorded)` });
    expect(server.log.length).toBe(afterFirst);
    await inTransaction(services.db.pool, (tx) => changeFindingStatus(tx, f.id, { takedown: 'Failed' }, { actor: 'U0BOB', reason: 'gave up by hand' }));
    expect(await run(f.notice, 2)).toEqual({ status: 'skipped', reason: `no link of notice ${f.notice} is owed re-check 2 (1 not-in-progress)` });
    expect(server.log.length).toBe(afterFirst);
    expect(await linkChecksOf(services.db.pool, f.id)).toHaveLength(1);
    expect(await runRecheckJob(deps, { noticeId: 987654, check: 1 })).toEqual({ status: 'skipped', reason: 'notice 987654 lists no finding' });
  });

  it('numbers a second takedown of the same finding apart, and skips it in the re-checks of the first notice', async () => {
    const f = await inProgress();
    pages.set(f.page, { status: 503 });
    await run(f.notice, 1);
    // A person gives up, takes it down again; a second notice goes: round 2.
    await inTransaction(services.db.pool, async (tx) => {
      await changeFindingStatus(tx, f.id, { takedown: 'Failed' }, { actor: 'U0BOB', reason: 'site unreachable' });
      await changeFindingStatus(tx, f.id, { takedown: 'Takedown requested' }, { actor: 'U0BOB', reason: 'again' });
    });
    const second = await sent([f.id]);
    expect(await run(f.notice, 2)).toEqual({ status: 'skipped', reason: `no link of notice ${f.notice} is owed re-check 2 (1 later-takedown)` });
    pages.set(f.page, { status: 410 });
    expect(await runOne(second, 1)).toMatchObject({ outcome: 'gone', why: '410', then: 'Complete' });
    expect((await linkChecksOf(services.db.pool, f.id)).map((c) => [c.round, c.n, c.outcome])).toEqual([[1, 1, 'unknown'], [2, 1, 'gone']]);
    expect(recheckJob(second, 1, clock).jobId).toBe(`recheck-notice-${second}-1`);
  });

  it('refuses a payload that is not a reference to a notice and a check, at once', () => {
    expect(() => recheckPayloadOf({ noticeId: '7', check: 1 })).toThrow(/VIGIL-E0208|recheck job needs/);
    expect(() => recheckPayloadOf({ noticeId: 7, check: 0 })).toThrow(/recheck job needs/);
    expect(() => recheckPayloadOf({ findingId: 7 })).toThrow(/recheck job needs/);
    expect(recheckPayloadOf({ noticeId: 7, check: 2 })).toEqual({ noticeId: 7, check: 2 });
    expect(recheckPayloadOf({ findingId: 7, check: 1, round: 1 })).toEqual({ findingId: 7, check: 1 });
  });

  it('runs a per-link job left in Redis by an earlier version as the check of the notice that lists its finding, once', async () => {
    clock = new Date('2026-11-02T12:00:00Z');
    const f = await inProgress();
    pages.set(f.page, { status: 404 });
    const legacy = await queued({ findingId: f.id, check: 1, round: 1 });
    expect(legacy).toMatchObject({ status: 'checked', notice: f.notice, check: 1, links: [{ findingId: f.id, outcome: 'gone', then: 'Complete' }] });
    expect(await status(f.id)).toBe('Complete');
    // the notice's own job for the same check then finds the link recorded: no second check row
    expect(await run(f.notice, 1)).toMatchObject({ status: 'skipped' });
    expect((await linkChecksOf(services.db.pool, f.id)).map((c) => c.n)).toEqual([1]);
    expect(await queued({ findingId: 999_999_999, check: 1 })).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/listed in no notice/) });
  });
});

describe('one re-check job per notice', () => {
  it('checks every link of the notice in one job, records each outcome, and owes one next check for the links still undecided', async () => {
    clock = new Date('2026-11-03T09:00:00Z');
    const links = [];
    for (let i = 0; i < 5; i++) links.push(await requestedLink());
    const [gone, removed, up, busy, stopped] = links as [typeof links[0], typeof links[0], typeof links[0], typeof links[0], typeof links[0]];
    const notice = await sent(links.map((l) => l.id));
    pages.set(gone.page, { status: 404 });
    pages.set(removed.page, { status: 410 });
    pages.set(busy.page, { status: 503 });
    // A person ignores one link after the notice went: it is not checked.
    await inTransaction(services.db.pool, (tx) => changeFindingStatus(tx, stopped.id, { takedown: 'Ignore' }, { actor: 'U0BOB', reason: 'licensed after all' }));
    const before = server.log.length;
    const first = await run(notice, 1);
    expect(first.status).toBe('checked');
    if (first.status !== 'checked') return;
    expect(first.links.map((l) => [l.findingId, l.outcome, l.then])).toEqual([
      [gone.id, 'gone', 'Complete'], [removed.id, 'gone', 'Complete'], [up.id, 'up', 'again'], [busy.id, 'unknown', 'again'],
    ]);
    expect(first.skipped).toEqual([{ findingId: stopped.id, skip: 'not-in-progress' }]);
    expect(first.nextAt).toBe('2026-11-03T09:30:00.000Z');
    expect(server.log.slice(before).some((r) => r.path === stopped.page)).toBe(false);
    expect(await Promise.all(links.map((l) => status(l.id)))).toEqual(['Complete', 'Complete', 'In Progress', 'In Progress', 'Ignore']);
    // Every recorded link has its audit row: its status change, or a link-checked row owing check 2.
    expect((await auditOf(gone.id)).map((a) => [a.action, a.details.to])).toEqual([['takedown-status', 'Complete']]);
    expect((await auditOf(up.id)).map((a) => [a.action, a.details.nextCheck])).toEqual([['link-checked', 2]]);
    expect((await owedChecks(notice)).map((o) => o.jobId)).toEqual([`recheck-notice-${notice}-2`]);

    // Check 2 fetches only the two links still In Progress.
    clock = new Date('2026-11-03T09:30:00Z');
    const mid = server.log.length;
    const second = await run(notice, 2);
    expect(second).toMatchObject({ status: 'checked', links: [{ findingId: up.id, outcome: 'up', then: 'Failed' }, { findingId: busy.id, outcome: 'unknown', then: 'again' }] });
    expect(new Set(server.log.slice(mid).filter((r) => r.path.startsWith('/watch/')).map((r) => r.path))).toEqual(new Set([up.page, busy.page]));
    expect((await linkChecksOf(services.db.pool, busy.id)).map((c) => [c.n, c.outcome])).toEqual([[1, 'unknown'], [2, 'unknown']]);
    expect((await owedChecks(notice)).map((o) => o.jobId)).toEqual([`recheck-notice-${notice}-2`, `recheck-notice-${notice}-3`]);
  });

  it('records the links it checked when one link\'s check throws, and the job run again checks only that one', async () => {
    const links = [];
    for (let i = 0; i < 3; i++) links.push(await requestedLink());
    const notice = await sent(links.map((l) => l.id));
    pages.set(links[0]!.page, { status: 404 });
    pages.set(links[2]!.page, { status: 404 });
    const broken = server.url(HOST, links[1]!.page);
    // A fault that is not the link's (a reading of the answer that throws): the check cannot say anything.
    const flaky: RecheckJobDeps = {
      ...deps,
      fetch: async (url, opts) => {
        const res = await deps.fetch(url, opts);
        return url === broken ? { ...res, text: () => { throw new Error('decoder crashed'); } } : res;
      },
    };
    await expect(runRecheckJob(flaky, { noticeId: notice, check: 1 })).rejects.toThrow(/decoder crashed/);
    expect((await Promise.all(links.map((l) => status(l.id))))).toEqual(['Complete', 'In Progress', 'Complete']);
    pages.set(links[1]!.page, { status: 404 });
    const before = server.log.length;
    const again = await run(notice, 1);
    expect(again).toMatchObject({ status: 'checked', links: [{ findingId: links[1]!.id, outcome: 'gone', then: 'Complete' }] });
    expect(server.log.slice(before).map((r) => r.path)).toEqual([links[1]!.page]);
    for (const l of links) {
      expect(await linkChecksOf(services.db.pool, l.id)).toHaveLength(1);
      expect((await auditOf(l.id)).map((a) => a.details.to)).toEqual(['Complete']);
    }
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
    // The relay hands the worker the notice's first re-check, which the notice's sending owed.
    const relay = startOutboxRelay({ pool: services.db.pool, add: queueAdder(queueOf), log: silentLogger, intervalMs: 100 });
    try {
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
