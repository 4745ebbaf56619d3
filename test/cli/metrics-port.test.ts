import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';

describe('the metrics port of vigil worker and vigil up', () => {
  let services: TestServices;
  beforeAll(async () => (services = await openTestServices()));
  afterAll(() => services.close());

  it('refuses a --metrics-port or VIGIL_METRICS_PORT that is not a port, naming it (VIGIL-E0741)', async () => {
    const flag = await runCli(['worker', '--metrics-port', '99999'], services.env, process.cwd());
    expect(flag.code).not.toBe(0);
    expect(flag.stderr).toMatch(/VIGIL-E0741: --metrics-port=99999 is not a port number/);
    const up = await runCli(['up', 'catalog', '--metrics-port', 'nine'], services.env, process.cwd());
    expect(up.stderr).toMatch(/VIGIL-E0741: --metrics-port=nine/);
    expect(up.stdout).toBe(''); // told before the apply
    const env = await runCli(['worker'], { ...services.env, VIGIL_METRICS_PORT: 'x' }, process.cwd());
    expect(env.stderr).toMatch(/VIGIL-E0741: VIGIL_METRICS_PORT=x/);
  });

  it('says where it serves /metrics at start, on a port that answers', async () => {
    const stop = new AbortController();
    const run = startCli(['worker', '--queues', 'reconcile', '--metrics-port', '0'], services.env, process.cwd(), stop.signal);
    try {
      await expect.poll(() => run.stderr(), { timeout: 20_000 }).toMatch(/metrics: Prometheus \/metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/);
      const url = /at (http:\S+)/.exec(run.stderr())![1]!;
      const text = await (await fetch(url)).text();
      expect(text).toMatch(/^vigil_queue_jobs\{queue="reconcile",state="waiting"\} 0$/m);
    } finally {
      stop.abort();
    }
    expect((await run.done).code).toBe(0);
  });
});
