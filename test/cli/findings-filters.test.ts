import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFinding, type FindingInput } from '../../core/db/findings.js';
import { hostOf, normalizeUrl } from '../../core/url.js';
import { runCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';

describe('vigil findings filters', () => {
  let services: TestServices;
  beforeAll(async () => {
    services = await openTestServices();
    const base = { source: 'search' as const, score: 0.9, evidence: {}, detectionStatus: 'Not Available' as const };
    const record = (f: Omit<FindingInput, 'normalizedUrl' | 'host'>) =>
      recordFinding(services.db.pool, { ...f, normalizedUrl: normalizeUrl(f.url), host: hostOf(f.url) }, { actor: 'test', reason: 'fixture' });
    await record({ ...base, contentId: 'moonlit', url: 'https://Streamfree.to/watch/moonlit-harbor', family: 'streamfree', pageTitle: 'Moonlit Harbor S01E03', takedownStatus: 'In Progress' });
    await record({ ...base, contentId: 'sequel', url: 'https://other.example/sequel', pageTitle: 'Sequel', takedownStatus: 'Complete' });
  });
  afterAll(() => services.close());

  const ids = async (...args: string[]): Promise<string[]> => {
    const run = await runCli(['findings', ...args, '--format', 'json'], services.env, os.tmpdir());
    expect(run.code, run.stderr).toBe(0);
    return (JSON.parse(run.stdout) as { contentId: string }[]).map((f) => f.contentId);
  };

  it('matches statuses, titles, hosts, ids and families in any case', async () => {
    expect(await ids('--takedown', 'complete')).toEqual(['sequel']);
    expect(await ids('--takedown', 'in progress')).toEqual(['moonlit']);
    expect(await ids('--takedown', 'IN-PROGRESS', '--takedown', 'COMPLETE')).toHaveLength(2);
    expect(await ids('--detection', 'not available')).toHaveLength(2);
    expect(await ids('--title', 'MOONLIT HARBOR')).toEqual(['moonlit']);
    expect(await ids('--link', 'STREAMFREE.TO')).toEqual(['moonlit']);
    expect(await ids('--content', 'Moonlit')).toEqual(['moonlit']);
    expect(await ids('--family', 'StreamFree')).toEqual(['moonlit']);
    expect(await ids('--from', '2000-01-01', '--tz', 'asia/seoul')).toHaveLength(2);
  });

  it('lists the allowed statuses for an unknown one', async () => {
    const run = await runCli(['findings', '--takedown', 'Done'], services.env, os.tmpdir());
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--takedown: unknown takedown status "Done"; one of Available, "Takedown requested", "In Progress", Complete, Ignore, Failed/);
    const detection = await runCli(['findings', '--detection', 'finished'], services.env, os.tmpdir());
    expect(detection.stderr).toMatch(/--detection: unknown detection status "finished"; one of Available, "Not Available", Downloading/);
  });

  describe('bad values are usage errors before any database starts', () => {
    // No DATABASE_URL: a command that got as far as the database would start an embedded one here.
    const home = path.join(os.tmpdir(), `vigil-filters-${process.pid}`);
    afterAll(() => fs.rm(home, { recursive: true, force: true }));
    const usage = async (...args: string[]): Promise<string> => {
      const run = await runCli(['findings', ...args], { VIGIL_HOME: home }, os.tmpdir());
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/^error VIGIL-E0104: /);
      return run.stderr;
    };

    it('rejects an unknown --tz, naming it and how to list the zones', async () => {
      const stderr = await usage('--tz', 'Mars/Olympus');
      expect(stderr).toMatch(/--tz "Mars\/Olympus" is not a time zone/);
      expect(stderr).toMatch(/timedatectl list-timezones/);
      expect(await usage('--tz', 'Europe/Pariss')).toMatch(/did you mean Europe\/Paris\?/);
    });

    it('rejects days that are not on the calendar and a period that ends before it starts', async () => {
      expect(await usage('--from', '2026-02-30')).toMatch(/--from "2026-02-30" is not a calendar date; write yyyy-MM-dd/);
      expect(await usage('--to', '03/01/2026')).toMatch(/--to "03\/01\/2026" is not a calendar date/);
      expect(await usage('--from', '2026-03-10', '--to', '2026-03-01')).toMatch(/--from 2026-03-10 is after --to 2026-03-01/);
      expect(await usage('--link', 'https://')).toMatch(/--link "https:\/\/" is not a URL/);
      await expect(fs.stat(path.join(home, 'pg'))).rejects.toThrow();
    });
  });
});
