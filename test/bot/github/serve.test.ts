import { generateKeyPairSync } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../../core/bullmq.js';
import { QUEUES } from '../../../core/queues.js';
import { main } from '../../../cli/main.js';
import type { CliIo } from '../../../cli/io.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { deliver } from './fake-github.js';

let services: TestServices;

beforeAll(async () => {
  services = await openTestServices();
});

afterAll(async () => {
  await services?.close();
});

function cliIo(env: Record<string, string>, signal: AbortSignal) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const io: CliIo = { stdout, stderr, env, cwd: process.cwd(), signal };
  return { io, out: () => out, err: () => err };
}

describe('vigil serve', () => {
  it('refuses to start without the GitHub App settings, naming the missing variables', async () => {
    const { io, err } = cliIo({ ...services.env }, new AbortController().signal);
    expect(await main(['serve', '--port', '0'], io)).toBe(1);
    expect(err()).toContain('VIGIL-E0204');
    expect(err()).toContain('GITHUB_APP_ID, GITHUB_PRIVATE_KEY, GITHUB_WEBHOOK_SECRET');
  });

  it('serves signed webhooks from the environment\'s settings until the signal aborts', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const controller = new AbortController();
    const { io, out } = cliIo({
      ...services.env,
      GITHUB_APP_ID: '12',
      // As a one-line environment variable, the way most secret stores hold it.
      GITHUB_PRIVATE_KEY: pem.replace(/\n/g, '\\n'),
      GITHUB_WEBHOOK_SECRET: 's3cret',
      GITHUB_API_URL: 'http://127.0.0.1:9',
    }, controller.signal);
    const exit = main(['serve', '--port', '0', '--host', '127.0.0.1'], io);
    let webhookUrl: string | undefined;
    for (let i = 0; i < 200 && !webhookUrl; i++) {
      webhookUrl = /GitHub webhooks at (\S+)/.exec(out())?.[1];
      if (!webhookUrl) await new Promise((r) => setTimeout(r, 50));
    }
    expect(webhookUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/github\/webhooks$/);
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
      expect((await queue.getJobs(['waiting'])).map((j) => j.id)).toEqual([`github-push-5-${commit}`]);
    } finally {
      await queue.close();
    }

    controller.abort();
    expect(await exit).toBe(0);
    expect(out()).toContain('vigil serve: stopped');
  });
});
