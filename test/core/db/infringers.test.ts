import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordCounterNotice } from '../../../core/db/counter-notices.js';
import { changeFindingStatus, recordFinding } from '../../../core/db/findings.js';
import { repeatInfringers } from '../../../core/db/infringers.js';
import { inTransaction } from '../../../core/db/transaction.js';
import type { TakedownStatus } from '../../../core/status.js';
import { hostOf, normalizeUrl } from '../../../core/url.js';
import { restoreWindow } from '../../../runners/takedown/business-days.js';
import { runCli } from '../../support/cli.js';
import { openTestServices, type TestServices } from '../../support/services.js';

describe('repeat infringers', () => {
  let services: TestServices;
  const today = new Date().toISOString().slice(0, 10);
  let n = 0;

  const finding = async (url: string, opts: { family?: string; content?: string; automatic?: boolean } = {}) => {
    n += 1;
    return (await recordFinding(services.db.pool, {
      contentId: opts.content ?? 'moonlit', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: `t${n}`, source: 'web', score: 9, evidence: {},
      ...(opts.family ? { family: opts.family, siteId: opts.family } : {}),
      // An automatic takedown is requested as the finding is recorded (its audit row written by recordFinding).
      takedownStatus: opts.automatic ? 'Takedown requested' : 'Available', detectionStatus: 'Not Available',
    }, { actor: 'test', reason: 'fixture' })).finding.id;
  };
  const move = (id: number, ...to: TakedownStatus[]) => inTransaction(services.db.pool, async (tx) => {
    for (const s of to) await changeFindingStatus(tx, id, { takedown: s }, { actor: 'test', reason: `to ${s}` });
  });

  beforeAll(async () => {
    services = await openTestServices();
    const a = await finding('https://streamfree.to/watch/1', { family: 'streamfree' });
    await move(a, 'Takedown requested', 'In Progress', 'Complete');
    await recordCounterNotice(services.db.pool, { findingId: a, receivedOn: today, window: restoreWindow(today), today }, { actor: 'test', reason: 'fixture' });
    const b = await finding('https://www.StreamFree.to/watch/2?utm_source=x', { family: 'streamfree', content: 'sequel' });
    await move(b, 'Takedown requested', 'In Progress', 'Failed', 'Takedown requested', 'In Progress', 'Complete');
    const c = await finding('https://streamfree.to/watch/3', { family: 'streamfree', automatic: true });
    await move(c, 'In Progress');
    const d = await finding('https://streamfree.se/watch/1', { family: 'streamfree' });
    await move(d, 'Takedown requested', 'Failed');
    for (const path of ['/f/a', '/f/b']) {
      const id = await finding(`https://cyberlocker.example${path}`);
      await move(id, 'Takedown requested', 'In Progress', 'Complete');
    }
    await move(await finding('https://cyberlocker.example/f/false-positive'), 'Ignore');
    await move(await finding('https://once.example/x'), 'Takedown requested');
    // A takedown from long ago on a host of its own: counted, but not since this year.
    const old = await finding('https://oldsite.example/x');
    await services.db.pool.query(
      `insert into audit_log (at, actor, action, object_kind, object_id, reason, details) values
       ('2020-03-01T10:00:00Z', 'test', 'takedown-status', 'Finding', $1, 'then', '{"from":"Available","to":"Takedown requested"}'),
       ('2020-03-02T10:00:00Z', 'test', 'takedown-status', 'Finding', $1, 'then', '{"from":"Takedown requested","to":"In Progress"}'),
       ('2020-03-04T10:00:00Z', 'test', 'takedown-status', 'Finding', $1, 'then', '{"from":"In Progress","to":"Complete"}'),
       ('2020-03-05T10:00:00Z', 'test', 'takedown-status', 'Finding', $1, 'then', '{"from":"Complete","to":"Takedown requested"}')`, [String(old)]);
  });
  afterAll(() => services.close());

  /** The same figures, computed another way: one correlated count per host and kind. */
  const independent = async (since: string | null) => (await services.db.pool.query<{ host: string; requested: number; removed: number; failed: number; counter_notices: number }>(`
    select h.host,
      (select count(*)::int from audit_log a where a.object_kind = 'Finding' and a.action = 'takedown-status' and a.details->>'to' = 'Takedown requested'
         and a.object_id in (select id::text from findings where host = h.host) and ($1::timestamptz is null or a.at >= $1)) as requested,
      (select count(*)::int from audit_log a where a.object_kind = 'Finding' and a.action = 'takedown-status' and a.details->>'to' = 'Complete'
         and a.object_id in (select id::text from findings where host = h.host) and ($1::timestamptz is null or a.at >= $1)) as removed,
      (select count(*)::int from audit_log a where a.object_kind = 'Finding' and a.action = 'takedown-status' and a.details->>'to' = 'Failed'
         and a.object_id in (select id::text from findings where host = h.host) and ($1::timestamptz is null or a.at >= $1)) as failed,
      (select count(*)::int from counter_notices c where c.finding_id in (select id from findings where host = h.host) and ($1::timestamptz is null or c.received_on >= $1::date)) as counter_notices
    from (select distinct host from findings) h order by h.host`, [since])).rows;

  it('counts takedowns requested, links removed, Failed and counter-notices per host, as SQL computed another way does', async () => {
    const result = await repeatInfringers(services.db.pool, { minTakedowns: 1 });
    const expected = (await independent(null)).filter((r) => r.requested >= 1);
    expect(result.hosts.map((h) => ({ host: h.host, requested: h.takedownsRequested, removed: h.linksRemoved, failed: h.failed, counter_notices: h.counterNotices })).sort((x, y) => x.host.localeCompare(y.host)))
      .toEqual(expected);
    // And by hand: www. and the query string do not make another host; a re-request counts again.
    expect(result.hosts[0]).toEqual({ host: 'streamfree.to', family: 'streamfree', siteId: 'streamfree', takedownsRequested: 4, linksRemoved: 2, failed: 1, counterNotices: 1 });
    expect(result.hosts.map((h) => h.host)).toEqual(['streamfree.to', 'cyberlocker.example', 'oldsite.example', 'once.example', 'streamfree.se']);
    expect(result.uploaders).toEqual({ counted: false, why: expect.stringMatching(/no finding names an uploader/) });
  });

  it('rolls hosts up into their site family, and keeps only those with --min takedowns', async () => {
    const { families, hosts } = await repeatInfringers(services.db.pool, { minTakedowns: 2 });
    expect(families).toEqual([{ family: 'streamfree', hosts: 2, takedownsRequested: 5, linksRemoved: 2, failed: 2, counterNotices: 1 }]);
    expect(hosts.map((h) => h.host)).toEqual(['streamfree.to', 'cyberlocker.example', 'oldsite.example']);
    expect((await repeatInfringers(services.db.pool, { minTakedowns: 5 })).hosts).toEqual([]);
  });

  it('counts only what happened since a day', async () => {
    const since = new Date('2021-01-01T00:00:00Z');
    const result = await repeatInfringers(services.db.pool, { minTakedowns: 1, since });
    expect(result.hosts.find((h) => h.host === 'oldsite.example')).toBeUndefined();
    const expected = (await independent(since.toISOString())).filter((r) => r.requested >= 1);
    expect(result.hosts.map((h) => h.host).sort()).toEqual(expected.map((r) => r.host));
    expect((await repeatInfringers(services.db.pool, { minTakedowns: 1, since: new Date(Date.now() + 3_600_000) })).hosts).toEqual([]);
  });

  it('prints the table with vigil infringers, and refuses a bad --min', async () => {
    const run = await runCli(['infringers', '--min', '2'], services.env, os.tmpdir());
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines[0]).toBe('Hosts with at least 2 takedown(s) requested:');
    expect(lines[1]).toMatch(/^  host\s+family\s+takedowns\s+removed\s+failed\s+counter-notices$/);
    expect(lines[2]).toMatch(/^  streamfree\.to\s+streamfree\s+4\s+2\s+1\s+1$/);
    expect(run.stdout).toMatch(/\n  streamfree\s+2\s+5\s+2\s+2\s+1\n/);
    expect(run.stdout).toContain('Uploaders: not counted; no finding names an uploader');
    const bad = await runCli(['infringers', '--min', 'lots'], services.env, os.tmpdir());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error VIGIL-E0104: vigil infringers: --min must be a whole number of takedowns from 1, not "lots"/);
  });
});
