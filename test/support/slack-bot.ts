import type { Worker } from 'bullmq';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { openQueue } from '../../core/bullmq.js';
import { loadConfig, type Config } from '../../core/config.js';
import { silentLogger } from '../../core/log.js';
import { QUEUES } from '../../core/queues.js';
import { startSlackApp, type SlackAppHandle } from '../../bot/slack/app.js';
import type { SlackDeps } from '../../bot/slack/deps.js';
import { startSlackWorker } from '../../bot/slack/jobs.js';
import { BOT_TOKEN, startFakeSlack, type FakeSlack, type ResponseUrlPost } from './fake-slack.js';
import { openTestServices, type TestServices } from './services.js';
import { SIGNING_SECRET } from './slack-requests.js';

/**
 * The whole bot as a test meets it: fresh services, the fake Slack, the real Bolt app on
 * 127.0.0.1 (the default FEATURES) and the slack-queue worker, so a signed request runs end to end.
 */
export interface SlackBotUnderTest {
  services: TestServices;
  fake: FakeSlack;
  url: string;
  deps: SlackDeps;
  queue: Queue;
  /** Resolves with the response_url posts once there are at least `count`, or rejects after `timeoutMs`. */
  responses(count: number, timeoutMs?: number): Promise<ResponseUrlPost[]>;
  close(): Promise<void>;
}

export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function startSlackBotUnderTest(options: { usergroups?: Record<string, string[]>; github?: Config['github'] } = {}): Promise<SlackBotUnderTest> {
  const services = await openTestServices();
  const fake = await startFakeSlack(options.usergroups ? { usergroups: options.usergroups } : {});
  const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, VIGIL_SLACK_PORT: '0' }).slack;
  const redis: Redis = services.redis.client();
  const queue = openQueue(QUEUES.slack, services.redis, services.config.queuePrefix);
  const base = { pool: services.db.pool, queue, redis, keyPrefix: services.config.queuePrefix, config, log: silentLogger, ...(options.github ? { github: options.github } : {}) };
  const handle: SlackAppHandle = await startSlackApp(base, '127.0.0.1');
  const deps: SlackDeps = { ...base, client: handle.app.client };
  const worker: Worker = startSlackWorker(deps, services.redis, services.config.queuePrefix);
  return {
    services, fake, url: handle.url!, deps, queue,
    responses: (count, timeoutMs) => until(`${count} response_url posts`, () => (fake.responses.length >= count ? fake.responses : undefined), timeoutMs),
    async close() {
      await handle.stop();
      await worker.close();
      await queue.close();
      redis.disconnect();
      await fake.close();
      await services.close();
    },
  };
}
