import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFinding } from '../../core/db/findings.js';
import { claimNotice, createNotices, recordNoticeOutcome } from '../../core/db/notices.js';
import { hostOf, normalizeUrl } from '../../core/url.js';
import { runCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';

describe('vigil notices', () => {
  let services: TestServices;
  const ids: number[] = [];

  beforeAll(async () => {
    services = await openTestServices();
    for (const path of ['/f/1', '/f/2']) {
      const url = `https://cyberlocker.example${path}`;
      ids.push((await recordFinding(services.db.pool, {
        contentId: 'moonlit', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: 'Moonlit', source: 'web', score: 9, evidence: {},
        takedownStatus: 'Takedown requested', detectionStatus: 'Not Available',
      }, { actor: 'test', reason: 'fixture' })).finding.id);
    }
    const notice = (i: number) => ({
      key: `key-${i}`, contact: 'abuse@cyberlocker.example', channel: 'smtp' as const, language: 'en', dir: 'ltr' as const, subject: 'Notice', text: 'text', html: '<p>html</p>',
      urls: [`https://cyberlocker.example/f/${i + 1}`], works: [], sender: { name: 'Jane', email: 'legal@harbor.test' }, part: { index: 1, total: 1 }, findingIds: [ids[i]!],
    });
    const { created } = await createNotices(services.db.pool, [notice(0), notice(1)]);
    await claimNotice(services.db.pool, created[0]!.id);
    await recordNoticeOutcome(services.db.pool, created[0]!.id, [{ outcome: 'sent', channel: 'smtp', at: new Date(), externalId: '<notice.abc@harbor.test>', details: {} }], { status: 'sent' }, { firstAfterMinutes: 60, now: new Date() });
  }, 60_000);
  afterAll(() => services.close());

  const cli = (...args: string[]) => runCli(['notices', ...args], services.env, os.tmpdir());

  it('lists a finding\'s notice with its receipt', async () => {
    const run = await cli('--finding', `#${ids[0]}`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/notice \d+ to abuse@cyberlocker\.example by smtp: sent, 1 attempt\(s\)/);
    expect(run.stdout).toContain('  - https://cyberlocker.example/f/1');
    expect(run.stdout).toMatch(/receipt \(try 1\) smtp sent <notice\.abc@harbor\.test>/);
    expect(run.stdout).not.toContain('/f/2');
  });

  it('filters by status, as JSON', async () => {
    const run = await cli('--status', 'queued', '--format', 'json');
    expect(run.code, run.stderr).toBe(0);
    const listed = JSON.parse(run.stdout) as { status: string; findingIds: number[] }[];
    expect(listed.map((n) => [n.status, n.findingIds])).toEqual([['queued', [ids[1]]]]);
  });

  it('refuses a status that does not exist, naming the ones that do', async () => {
    const run = await cli('--status', 'lost');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/--status must be one of queued, sending, sent, failed, not "lost"/);
  });
});
