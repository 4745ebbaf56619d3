import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestServices, type TestServices } from '../support/services.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('vigil up', () => {
  let services: TestServices;
  beforeAll(async () => (services = await openTestServices()));
  afterAll(() => services.close());

  it('keeps re-applying the catalog while it runs, serves the web view on the loopback port it prints, and stops cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/run.ts', 'up', 'catalog', '--resync', '500ms'], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...services.env, VIGIL_WEB_AUTH: 'dev', VIGIL_WEB_PORT: '0' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await expect.poll(() => stdout, { timeout: 30_000 }).toMatch(/Running workers, re-applying every 500ms/);
      await expect.poll(async () => {
        const runs = await services.db.pool.query<{ n: number }>(`select count(*)::int as n from reconciliations where result = 'no-op'`);
        return runs.rows[0]!.n;
      }, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
      await expect.poll(() => stdout, { timeout: 15_000 }).toMatch(/vigil web: serving the web view at http:\/\/127\.0\.0\.1:\d+\//);
      const url = /serving the web view at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)![1]!;
      const jobs = await fetch(`${url}/jobs`);
      expect(jobs.status).toBe(200);
      expect(await jobs.text()).toContain('moonlit-harbor');
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited, stderr).toBe(0);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).toMatch(/Slack bot: off \(set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET/);
  });

  it('says at start which Slack setting is missing when the bot cannot run', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/run.ts', 'up', 'catalog', '--once'], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...services.env, SLACK_BOT_TOKEN: 'xoxb-only-the-token-1234' },
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stdout).toMatch(/Slack bot: not started, SLACK_SIGNING_SECRET missing \(http transport\)/);
    expect(stdout).toContain('Web view: off (set VIGIL_WEB_AUTH=oidc, proxy or dev');
    expect(stdout).not.toContain('xoxb-only-the-token-1234');
  });
});
