import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('vigil up', () => {
  let services: TestServices;
  beforeAll(async () => (services = await openTestServices()));
  afterAll(() => services.close());

  it('keeps re-applying the catalog while it runs, serves the web view in development mode on the loopback port it prints when no sign-in is set, and stops cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'cli/run.ts', 'up', 'catalog', '--resync', '500ms', '--metrics-port', '0'], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...services.env, VIGIL_WEB_PORT: '0' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      await expect.poll(() => stdout, { timeout: 30_000 }).toMatch(/Running workers, re-applying every 500ms/);
      expect(stdout).toContain('Web view: on in development mode (VIGIL_WEB_AUTH is not set: no sign-in, loopback only), on 127.0.0.1');
      await expect.poll(async () => {
        const runs = await services.db.pool.query<{ n: number }>(`select count(*)::int as n from reconciliations where result = 'no-op'`);
        return runs.rows[0]!.n;
      }, { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
      await expect.poll(() => stdout, { timeout: 15_000 }).toMatch(/vigil web: serving the web view at http:\/\/127\.0\.0\.1:\d+\/ \(development mode: no sign-in, serving on loopback \(127\.0\.0\.1\) only\)/);
      const url = /serving the web view at (http:\/\/127\.0\.0\.1:\d+)\//.exec(stdout)![1]!;
      const jobs = await fetch(`${url}/jobs`);
      expect(jobs.status).toBe(200);
      expect(await jobs.text()).toContain('moonlit-harbor');
      // The web view's port is for people; Prometheus reads the process's metrics port, printed at start.
      expect((await fetch(`${url}/metrics`)).status).toBe(404);
      const metrics = /metrics: Prometheus \/metrics at (\S+)/.exec(stdout)![1]!;
      expect(await (await fetch(metrics)).text()).toMatch(/^vigil_queue_jobs\{queue="reconcile",state="waiting"\} \d+$/m);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited, stderr).toBe(0);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stdout).toMatch(/Slack bot: off \(set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET/);
  });

  it('refuses to serve the web view without sign-in off loopback, before any service starts, saying what to set (VIGIL-E0742)', async () => {
    for (const env of [{}, { VIGIL_WEB_AUTH: 'dev' }] as Record<string, string>[]) {
      const run = await runCli(['up', 'catalog', '--once'], { ...services.env, ...env, VIGIL_BIND: '0.0.0.0', VIGIL_HOME: '/nonexistent/vigil-home' }, ROOT);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('VIGIL-E0742');
      expect(run.stderr).toContain('VIGIL_BIND=0.0.0.0 is not loopback');
      expect(run.stderr).toMatch(/VIGIL_WEB_AUTH=oidc .*VIGIL_BIND=127\.0\.0\.1.*--no-web/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    }
    const { rows } = await services.db.pool.query<{ n: number }>('select count(*)::int as n from reconciliations');
    const before = rows[0]!.n;
    // --no-web: the workers run where the web view is served by a vigil web of its own (deploy/compose.yaml).
    const noWeb = await runCli(['up', 'catalog', '--once', '--no-web'], { ...services.env, VIGIL_BIND: '0.0.0.0' }, ROOT);
    expect(noWeb.stderr).toBe('');
    expect(noWeb.code).toBe(0);
    expect(noWeb.stdout).toContain('Web view: off (--no-web).');
    expect((await services.db.pool.query<{ n: number }>('select count(*)::int as n from reconciliations')).rows[0]!.n).toBe(before + 1);
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
    expect(stdout).toContain('Web view: on in development mode (VIGIL_WEB_AUTH is not set: no sign-in, loopback only), on 127.0.0.1 port 3005');
    expect(stdout).not.toContain('xoxb-only-the-token-1234');
  });
});
