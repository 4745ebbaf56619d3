import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';

let services: TestServices;

beforeAll(async () => {
  services = await openTestServices();
});

afterAll(async () => {
  await services?.close();
});

describe('vigil web', () => {
  it('refuses to serve without a sign-in method, before any service opens', async () => {
    const run = await runCli(['web'], { VIGIL_HOME: '/nonexistent/vigil-home' }, '/tmp');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('VIGIL-E0701');
    expect(run.stderr).toContain('VIGIL_WEB_AUTH');
  });

  it('refuses development mode on an address other than loopback', async () => {
    const run = await runCli(['web', '--host', '0.0.0.0'], { VIGIL_WEB_AUTH: 'dev', VIGIL_HOME: '/nonexistent/vigil-home' }, '/tmp');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('VIGIL-E0702');
  });

  it('serves on the loopback port it prints, says how people sign in, and stops on Ctrl-C', async () => {
    const stop = new AbortController();
    const started = startCli(['web', '--port', '0'], { ...services.env, VIGIL_WEB_AUTH: 'dev' }, '/tmp', stop.signal);
    await expect.poll(() => started.stdout(), { timeout: 20_000 }).toContain('serving the web view at');
    const url = /at (http:\/\/127\.0\.0\.1:\d+)\//.exec(started.stdout())![1]!;
    expect(started.stdout()).toContain('development mode: no sign-in, serving on loopback (127.0.0.1) only');
    const res = await fetch(`${url}/jobs`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Monitoring jobs');
    stop.abort();
    const done = await started.done;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('vigil web: stopped');
  });
});
