import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeFindingStatus, findingsByIds, recordFinding } from '../../../core/db/findings.js';
import { linkChecksOf } from '../../../core/db/link-checks.js';
import { claimNotice, createNotices, recordNoticeOutcome } from '../../../core/db/notices.js';
import { outboxRows } from '../../../core/db/outbox.js';
import { inTransaction } from '../../../core/db/transaction.js';
import { hostOf, normalizeUrl } from '../../../core/url.js';
import { applyCatalog } from '../../support/applied-catalog.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { startFixtureServer, type FixtureServer } from '../monitor/fixture-web.js';
import { FILM_CONTENT_YAML, spawnTakedownWorker, waitFor } from './worker-harness.js';

/**
 * A worker killed with -9 in the middle of a notice's re-check loses nothing and counts nothing
 * twice: the pages answer slowly, the worker process is killed while their fetches are in flight,
 * a new one takes the stalled job up again, and every link ends with exactly one check, one audit
 * row and (for those still up) one next re-check owed.
 */

const HOST = 'slow.pirate.example';
const N = 12;

const POLICY = `apiVersion: vigil/v1
kind: Policy
metadata:
  id: policy
spec:
  takedown:
    recheck: { firstAfterMinutes: 0, everyMinutes: 60, count: 2 }
`;

let services: TestServices;
let web: FixtureServer;
const children: ChildProcess[] = [];

const startWorker = (): Promise<ChildProcess> => spawnTakedownWorker(services, { VIGIL_CRAWL_ALLOW_PRIVATE: '1', VIGIL_CRAWL_RESOLVE: web.resolveEntries().join(',') }, children);

beforeAll(async () => {
  services = await openTestServices();
  await applyCatalog(services.db.pool, FILM_CONTENT_YAML, POLICY);
  web = await startFixtureServer();
  // Even links gone, odd ones still up; every answer takes a while, so a kill finds fetches in flight.
  for (let i = 0; i < N; i++) {
    web.route(HOST, `/watch/${i}`, i % 2 === 0
      ? { status: 404, body: 'not found', delayMs: 700 }
      : { body: '<html><head><title>Moonlit Harbor - watch free</title></head><body><h1>Moonlit Harbor</h1><p>Eng sub.</p></body></html>', delayMs: 700 });
  }
}, 60_000);
afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  await web?.close();
  await services?.close();
});

describe('a takedown worker killed mid-re-check', () => {
  it('re-checks every link of the notice once after a restart: one check row, one audit row, one next check owed', async () => {
    const ids: number[] = [];
    for (let i = 0; i < N; i++) {
      const url = web.url(HOST, `/watch/${i}`);
      const { finding: { id } } = await recordFinding(services.db.pool, {
        contentId: 'moonlit-harbor', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: 'Moonlit Harbor - watch free', source: 'web', score: 12,
        evidence: {}, takedownStatus: 'Available', detectionStatus: 'Not Available',
      }, { actor: 'test', reason: 'fixture' });
      await inTransaction(services.db.pool, (tx) => changeFindingStatus(tx, id, { takedown: 'Takedown requested' }, { actor: 'U0ALICE', reason: 'clicked Take down' }));
      ids.push(id);
    }
    const { created } = await createNotices(services.db.pool, [{
      key: 'recheck-kill', contact: `abuse@${HOST}`, channel: 'smtp', language: 'en', dir: 'ltr', subject: 'Notice', text: 'text', html: '<p>html</p>',
      urls: ids.map((_, i) => web.url(HOST, `/watch/${i}`)), works: [], sender: { name: 'Jane', email: 'legal@harbor.test' }, part: { index: 1, total: 1 }, findingIds: ids,
    }]);
    const notice = created[0]!.id;
    await claimNotice(services.db.pool, notice);
    // Sent: the findings In Progress and the notice's first re-check owed at once (the worker's relay hands it over).
    await recordNoticeOutcome(services.db.pool, notice, [{ outcome: 'sent', channel: 'smtp', at: new Date(), externalId: '<kill@harbor.test>', details: {} }], { status: 'sent' }, { firstAfterMinutes: 0, now: new Date() });

    const first = await startWorker();
    await waitFor('the re-check fetching', async () => (web.log.filter((r) => r.host === HOST).length >= 4 ? true : undefined), 30_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const fetchedAtKill = web.log.filter((r) => r.host === HOST).length;
    expect(fetchedAtKill).toBeLessThan(2 * N);

    await startWorker();
    await waitFor('every link re-checked', async () => {
      const checks = await Promise.all(ids.map((id) => linkChecksOf(services.db.pool, id)));
      return checks.every((c) => c.length >= 1) ? true : undefined;
    }, 60_000);
    // Let a stray second run (if any) finish before counting.
    await new Promise((r) => setTimeout(r, 1500));

    const findings = await findingsByIds(services.db.pool, ids);
    expect(findings.map((f) => f.takedownStatus)).toEqual(ids.map((_, i) => (i % 2 === 0 ? 'Complete' : 'In Progress')));
    for (const [i, id] of ids.entries()) {
      const checks = await linkChecksOf(services.db.pool, id);
      expect(checks.map((c) => [c.round, c.n, c.outcome]), `finding ${id}`).toEqual([[1, 1, i % 2 === 0 ? 'gone' : 'up']]);
      const audit = (await services.db.pool.query<{ action: string }>(
        `select action from audit_log where object_kind = 'Finding' and object_id = $1 and actor = 'recheck' order by id`, [String(id)])).rows;
      expect(audit.map((a) => a.action), `finding ${id}`).toEqual([i % 2 === 0 ? 'takedown-status' : 'link-checked']);
    }
    const owed = (await outboxRows(services.db.pool)).filter((r) => r.name === 'recheck');
    expect(owed.map((r) => r.jobId)).toEqual([`recheck-notice-${notice}-1`, `recheck-notice-${notice}-2`]);
    console.log(`SIGKILL after ${fetchedAtKill} page fetches; ${web.log.filter((r) => r.host === HOST).length} in all for ${N} links`);
  }, 120_000);
});
