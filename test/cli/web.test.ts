import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';
import { applyCatalog, contentDoc } from '../support/applied-catalog.js';
import { recordFinding } from '../../core/db/findings.js';

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

  it('serves on the loopback port it prints, says how people sign in, serves /metrics on its metrics port only, and stops on Ctrl-C', async () => {
    await applyCatalog(services.db.pool, contentDoc('orchard'));
    await recordFinding(services.db.pool, {
      contentId: 'orchard', url: 'https://streamfree.to/watch/orchard-1', normalizedUrl: 'https://streamfree.to/watch/orchard-1', host: 'streamfree.to', pageTitle: 'Orchard', source: 'web', score: 11, evidence: {},
      takedownStatus: 'Available', detectionStatus: 'Not Available',
    }, { actor: 'monitor', reason: 'matched' });
    const stop = new AbortController();
    const started = startCli(['web', '--port', '0', '--metrics-port', '0'], { ...services.env, VIGIL_WEB_AUTH: 'dev' }, '/tmp', stop.signal);
    await expect.poll(() => started.stdout(), { timeout: 20_000 }).toContain('serving the web view at');
    const url = /serving the web view at (http:\/\/127\.0\.0\.1:\d+)\//.exec(started.stdout())![1]!;
    expect(started.stdout()).toContain('development mode: no sign-in, serving on loopback (127.0.0.1) only');
    const res = await fetch(`${url}/jobs`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Monitoring jobs');
    const metricsUrl = /metrics: Prometheus \/metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(started.stdout())![1]!;
    expect(new URL(metricsUrl).port).not.toBe(new URL(url).port);
    // The records by status are read at scrape time from PostgreSQL; the web view opens no Redis for queue depths.
    const metrics = await (await fetch(metricsUrl)).text();
    expect(metrics).toContain('vigil_process_');
    expect(metrics).toMatch(/^vigil_findings_takedown\{status="Available"\} 1$/m);
    expect(metrics).not.toContain('vigil_queue_jobs{');
    expect((await fetch(`${url}/metrics`)).status).toBe(404);
    stop.abort();
    const done = await started.done;
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('vigil web: stopped');
  });

  it('refuses a --metrics-port that is not a port before serving (VIGIL-E0741)', async () => {
    const run = await runCli(['web', '--metrics-port', 'x'], { VIGIL_WEB_AUTH: 'dev', VIGIL_HOME: '/nonexistent/vigil-home' }, '/tmp');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('VIGIL-E0741: --metrics-port=x');
  });
});
