import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterNoticeOf, recordCounterNotice } from '../../core/db/counter-notices.js';
import { changeFindingStatus, recordFinding } from '../../core/db/findings.js';
import { inTransaction } from '../../core/db/transaction.js';
import { hostOf, normalizeUrl } from '../../core/url.js';
import { addDays, restoreWindow } from '../../runners/takedown/business-days.js';
import { runCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';

describe('vigil counter-notice', () => {
  let services: TestServices;
  const today = new Date().toISOString().slice(0, 10);
  const ids: Record<'sent' | 'open' | 'complete' | 'failedBeforeNotice', number> = { sent: 0, open: 0, complete: 0, failedBeforeNotice: 0 };

  beforeAll(async () => {
    services = await openTestServices();
    const finding = async (path: string) => {
      const url = `https://cyberlocker.example${path}`;
      return (await recordFinding(services.db.pool, {
        contentId: 'moonlit', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: 'Moonlit', source: 'web', score: 9, evidence: {},
        takedownStatus: 'Available', detectionStatus: 'Not Available',
      }, { actor: 'test', reason: 'fixture' })).finding.id;
    };
    const move = (id: number, ...to: ('Takedown requested' | 'In Progress' | 'Complete' | 'Failed')[]) => inTransaction(services.db.pool, async (tx) => {
      for (const s of to) await changeFindingStatus(tx, id, { takedown: s }, { actor: 'test', reason: `to ${s}` });
    });
    ids.sent = await finding('/f/1');
    await move(ids.sent, 'Takedown requested', 'In Progress');
    ids.complete = await finding('/f/2');
    await move(ids.complete, 'Takedown requested', 'In Progress', 'Complete');
    ids.open = await finding('/f/3');
    // Delivery failed before any notice went: Takedown requested → Failed, never In Progress.
    ids.failedBeforeNotice = await finding('/f/4');
    await move(ids.failedBeforeNotice, 'Takedown requested', 'Failed');
  });
  afterAll(() => services.close());

  const cli = (...args: string[]) => runCli(['counter-notice', ...args], services.env, os.tmpdir());

  it('records one for a link taken down, audited, and prints its 10-14 business day window', async () => {
    const run = await cli(`#${ids.complete}`, '--received', today, '--from', 'Uploader Jane <jane@mail.example>', '--note', 'claims fair use');
    expect(run.code, run.stderr).toBe(0);
    const window = restoreWindow(today);
    expect(run.stdout).toContain(`Recorded: counter-notice for finding #${ids.complete} (https://cyberlocker.example/f/2), received ${today} from Uploader Jane <jane@mail.example>.`);
    expect(run.stdout).toContain(`not before ${window.earliest}, not after ${window.latest}; 10 business days left before the earliest restore (${window.earliest}).`);
    expect(run.stdout).toContain(`tell the service provider before ${window.earliest}`);
    expect(await counterNoticeOf(services.db.pool, ids.complete)).toMatchObject({ receivedOn: today, from: 'Uploader Jane <jane@mail.example>', note: 'claims fair use', restoreEarliest: window.earliest, restoreLatest: window.latest });
    const { rows } = await services.db.pool.query(`select actor, details from audit_log where action = 'counter-notice-recorded' and object_id = $1`, [String(ids.complete)]);
    expect(rows).toEqual([{ actor: expect.stringMatching(/^cli:/), details: expect.objectContaining({ receivedOn: today, restoreEarliest: window.earliest }) }]);
    // The same one again changes nothing.
    const again = await cli(String(ids.complete), '--received', today);
    expect(again.stdout).toMatch(/^Already recorded/);
    expect((await services.db.pool.query(`select 1 from counter_notices where finding_id = $1`, [ids.complete])).rowCount).toBe(1);
  });

  it('refuses a date that is not one, one in the future, and one before the notice went', async () => {
    for (const bad of ['2026-02-30', '20/11/2026', 'yesterday']) {
      const run = await cli(String(ids.sent), '--received', bad);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`^error VIGIL-E0513: vigil counter-notice: --received "${bad.replace(/\//g, '\\/')}" is not a calendar date \\(yyyy-MM-dd\\)`));
      expect(run.stderr).toContain('fix: Give --received as the yyyy-MM-dd day');
    }
    const future = await cli(String(ids.sent), '--received', addDays(today, 2));
    expect(future.stderr).toMatch(/^error VIGIL-E0513: --received \d{4}-\d{2}-\d{2} is after today/);
    const early = await cli(String(ids.sent), '--received', addDays(today, -30));
    expect(early.stderr).toMatch(new RegExp(`^error VIGIL-E0513: --received .* is before the takedown notice for finding #${ids.sent} went out \\(${today}\\)`));
    expect(await counterNoticeOf(services.db.pool, ids.sent)).toBeUndefined();
  });

  it('refuses an unknown finding and one never taken down, naming it', async () => {
    const unknown = await cli('999999', '--received', today);
    expect(unknown.stderr).toMatch(/^error VIGIL-E0209: no finding has id 999999/);
    const open = await cli(String(ids.open), '--received', today);
    expect(open.stderr).toMatch(new RegExp(`^error VIGIL-E0514: finding #${ids.open} \\(https://cyberlocker.example/f/3\\) was never taken down: its takedown is Available`));
    const failed = await cli(String(ids.failedBeforeNotice), '--received', today);
    expect(failed.stderr).toMatch(/VIGIL-E0514: .* its takedown is Failed and no notice for it went out/);
    const usage = await cli('abc', '--received', today);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/FINDING must be a finding id such as 42 or #42, not "abc"/);
  });

  it('lists the open ones with the business days left, and leaves out a window that has closed', async () => {
    await cli(String(ids.sent), '--received', today);
    // A window that closed: recorded as it would have been long ago.
    const url = 'https://cyberlocker.example/f/old';
    const old = (await recordFinding(services.db.pool, { contentId: 'moonlit', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: 'x', source: 'web', score: 9, evidence: {}, takedownStatus: 'Complete', detectionStatus: 'Not Available' }, { actor: 'test', reason: 'fixture' })).finding.id;
    await recordCounterNotice(services.db.pool, { findingId: old, receivedOn: '2020-01-02', window: restoreWindow('2020-01-02'), today }, { actor: 'test', reason: 'fixture' });
    const run = await cli('--list');
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(new RegExp(`^  #${ids.complete}  received ${today} from Uploader Jane .* restore ${restoreWindow(today).earliest}\\.\\.${restoreWindow(today).latest}  10 business days left before the earliest restore`));
    expect(lines[1]).toContain(`#${ids.sent}  received ${today}  restore`);
    expect(lines[2]).toBe(`2 open counter-notice(s) on ${today} (UTC).`);
    const json = JSON.parse((await cli('--list', '--format', 'json')).stdout) as { findingId: number; left: string }[];
    expect(json.map((c) => c.findingId).sort()).toEqual([ids.sent, ids.complete].sort());
  });
});
