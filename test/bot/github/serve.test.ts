import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../../core/bullmq.js';
import { QUEUES } from '../../../core/queues.js';
import { reconcileJobId } from '../../../core/queues.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { runCli, startCli } from '../../support/cli.js';
import { deliver } from './fake-github.js';

let services: TestServices;

beforeAll(async () => {
  services = await openTestServices();
});

afterAll(async () => {
  await services?.close();
});

describe('vigil serve', () => {
  it('refuses to start without the GitHub App settings, naming the missing variables', async () => {
    const run = await runCli(['serve', '--port', '0'], { ...services.env }, process.cwd());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('VIGIL-E0204');
    expect(run.stderr).toContain('GITHUB_APP_ID, GITHUB_PRIVATE_KEY, GITHUB_WEBHOOK_SECRET');
  });

  it('refuses to start without the catalog repository it follows', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const run = await runCli(['serve', '--port', '0'], {
      ...services.env, GITHUB_APP_ID: '12', GITHUB_PRIVATE_KEY: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), GITHUB_WEBHOOK_SECRET: 's3cret',
    }, process.cwd());
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('VIGIL-E0205');
    expect(run.stderr).toContain('VIGIL_CATALOG_REPO');
    expect(run.stderr).not.toMatch(/\n\s+at /); // a user's mistake, not a stack trace
  });

  it('serves signed webhooks from the environment\'s settings on loopback by default, until the signal aborts', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const controller = new AbortController();
    // No --host and no VIGIL_BIND: it must listen on 127.0.0.1 only.
    const serving = startCli(['serve', '--port', '0'], {
      ...services.env,
      GITHUB_APP_ID: '12',
      // As a one-line environment variable, the way most secret stores hold it.
      GITHUB_PRIVATE_KEY: pem.replace(/\n/g, '\\n'),
      GITHUB_WEBHOOK_SECRET: 's3cret',
      GITHUB_API_URL: 'http://127.0.0.1:9',
      VIGIL_CATALOG_REPO: 'o/cat',
    }, process.cwd(), controller.signal);
    let webhookUrl: string | undefined;
    for (let i = 0; i < 200 && !webhookUrl; i++) {
      webhookUrl = /GitHub webhooks at (\S+)/.exec(serving.stdout())?.[1];
      if (!webhookUrl) await new Promise((r) => setTimeout(r, 50));
    }
    expect(webhookUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/github\/webhooks$/);
    expect(serving.stdout()).toContain('following o/cat');
    const base = new URL(webhookUrl!).origin;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);

    const commit = 'b'.repeat(40);
    const push = {
      ref: 'refs/heads/main', after: commit, deleted: false,
      repository: { id: 5, name: 'cat', full_name: 'o/cat', owner: { login: 'o' }, default_branch: 'main', clone_url: 'https://github.com/o/cat.git' },
    };
    expect((await deliver(webhookUrl!, 'push', push, { secret: 'wrong' })).status).toBe(400);
    expect((await deliver(webhookUrl!, 'push', push, { secret: 's3cret' })).status).toBe(200);
    const queue = openQueue(QUEUES.reconcile, services.redis, services.config.queuePrefix);
    try {
      // The clone URL comes from the configuration (o/cat on the configured GitHub), not from the delivery.
      const target = { repo: 'http://127.0.0.1:9/o/cat.git', branch: 'main' };
      expect((await queue.getJobs(['waiting'])).map((j) => [j.id, j.data])).toEqual([
        [reconcileJobId(target, 0), { ...target, pushedCommit: commit, trigger: 'github:push' }],
      ]);
    } finally {
      await queue.close();
    }

    controller.abort();
    const stopped = await serving.done;
    expect(stopped.code).toBe(0);
    expect(stopped.stdout).toContain('vigil serve: stopped');
  });
});
