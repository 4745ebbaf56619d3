import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Worker } from 'bullmq';
import type { Queue } from 'bullmq';
import { openQueue } from '../../../core/bullmq.js';
import { loadConfig } from '../../../core/config.js';
import { silentLogger } from '../../../core/log.js';
import { findingActionJobId, QUEUES, type FindingActionPayload } from '../../../core/queues.js';
import { webApi } from '@slack/bolt';
import { startSlackWorker } from '../../../bot/slack/jobs.js';
import { BOT_TOKEN, startFakeSlack, type FakeSlack } from '../../support/fake-slack.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { SIGNING_SECRET } from '../../support/slack-requests.js';
import { until } from '../../support/slack-bot.js';

describe('the slack queue worker', () => {
  let services: TestServices;
  let fake: FakeSlack;
  let queue: Queue;
  let worker: Worker | undefined;
  let unreachable: pg.Pool;
  let redis: ReturnType<TestServices['redis']['client']>;

  beforeEach(async () => {
    services = await openTestServices();
    fake = await startFakeSlack();
    queue = openQueue(QUEUES.slack, services.redis, services.config.queuePrefix);
    // A database that is down for the whole test: every attempt fails with a fault that could pass.
    unreachable = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 500 });
    const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl }).slack;
    redis = services.redis.client();
    worker = startSlackWorker({
      pool: unreachable, queue, redis, keyPrefix: services.config.queuePrefix, config, log: silentLogger,
      client: new webApi.WebClient(BOT_TOKEN, { slackApiUrl: fake.apiUrl }),
    }, services.redis, services.config.queuePrefix);
  });
  afterEach(async () => {
    await worker?.close();
    await queue.close();
    redis.disconnect();
    await unreachable.end();
    await fake.close();
    await services.close();
  });

  it('tells the person when their request fails for good, through its response_url', async () => {
    const payload: FindingActionPayload = { findingId: 9, action: 'ignore', override: false, user: 'UALICE', channel: 'C00000001', responseUrl: fake.responseUrl(), via: 'command', requestKey: 'trigger-1' };
    await queue.add('finding-action', payload, { jobId: findingActionJobId(payload), attempts: 2, backoff: { type: 'fixed', delay: 50 } });
    const [told] = await until('the answer after the last attempt', () => (fake.responses.length > 0 ? fake.responses : undefined), 15_000);
    expect(String(told!.body.text)).toMatch(/could not do that just now/);
    expect(String(told!.body.text)).toMatch(/given up after 2 attempt/);
    expect(told!.body.response_type).toBe('ephemeral');
  });

  it('tells the person privately what was wrong with a request no retry can fix', async () => {
    await queue.add('finding-action', { findingId: 'nine', user: 'UBOB', channel: 'C00000002' }, { jobId: 'bad-payload' });
    await until('an ephemeral answer', () => (fake.ephemerals.length > 0 ? fake.ephemerals : undefined), 15_000);
    expect(fake.ephemerals[0]).toMatchObject({ user: 'UBOB', channel: 'C00000002' });
    expect(fake.ephemerals[0]!.text).toMatch(/VIGIL-E0208|payload|findingId/);
    expect(fake.ephemerals[0]!.text).not.toMatch(/\n\s+at /);
  });
});
