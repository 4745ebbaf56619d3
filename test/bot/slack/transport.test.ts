import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '@slack/bolt';
import { loadConfig, type SlackConfig } from '../../../core/config.js';
import { silentLogger } from '../../../core/log.js';
import { QUEUES } from '../../../core/queues.js';
import { openQueue } from '../../../core/bullmq.js';
import { startSlackApp, type SlackAppHandle } from '../../../bot/slack/app.js';
import type { SlackDeps } from '../../../bot/slack/deps.js';
import { APP_TOKEN, BOT_TOKEN, startFakeSlack, type FakeSlack } from '../../support/fake-slack.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { commandBody, postSigned, SIGNING_SECRET, slackSignature } from '../../support/slack-requests.js';

function slackConfig(fake: FakeSlack, transport: 'http' | 'socket'): SlackConfig {
  return loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_APP_TOKEN: APP_TOKEN, SLACK_API_URL: fake.apiUrl, VIGIL_SLACK_TRANSPORT: transport, VIGIL_SLACK_PORT: '0' }).slack;
}

/** A command listener that answers in the ack, so a test sees what Bolt passed through. */
function echo(app: App): void {
  app.command('/vigil', async ({ ack, command }) => { await ack({ response_type: 'ephemeral', text: `echo ${command.text}` }); });
}

describe('Slack transports', () => {
  let services: TestServices;
  let fake: FakeSlack;
  let handle: SlackAppHandle | undefined;
  let closeDeps: (() => Promise<void>) | undefined;
  const deps = (config: SlackConfig): Omit<SlackDeps, 'client'> => {
    const redis = services.redis.client();
    const queue = openQueue(QUEUES.slack, services.redis, services.config.queuePrefix);
    closeDeps = async () => { await queue.close(); redis.disconnect(); };
    return { pool: services.db.pool, queue, redis, keyPrefix: services.config.queuePrefix, config, log: silentLogger };
  };

  beforeEach(async () => {
    services = await openTestServices();
    fake = await startFakeSlack();
  });
  afterEach(async () => {
    await handle?.stop();
    handle = undefined;
    await closeDeps?.();
    await fake.close();
    await services.close();
  });

  it('answers a request signed with the signing secret, and refuses unsigned, wrongly signed and stale ones', async () => {
    handle = await startSlackApp(deps(slackConfig(fake, 'http')), '127.0.0.1', [echo]);
    const body = commandBody({ text: 'help', user_id: 'U024BE7LH', response_url: fake.responseUrl() });
    const good = await postSigned(handle.url!, body);
    expect(good.status).toBe(200);
    expect(JSON.parse(good.text)).toMatchObject({ text: 'echo help' });
    expect((await postSigned(handle.url!, body, { signature: null })).status).toBe(401);
    expect((await postSigned(handle.url!, body, { secret: 'not-the-signing-secret' })).status).toBe(401);
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    expect((await postSigned(handle.url!, body, { timestamp: stale })).status).toBe(401);
    // The body is part of what is signed: the same headers over another body are refused.
    const signedOther = await postSigned(handle.url!, body.replace('help', 'status'), { signature: slackSignature(SIGNING_SECRET, Math.floor(Date.now() / 1000), body) });
    expect(signedOther.status).toBe(401);
  });

  it('takes slash commands over Socket Mode from a WebSocket it opened, and acks each envelope', async () => {
    handle = await startSlackApp(deps(slackConfig(fake, 'socket')), '127.0.0.1', [echo]);
    expect(handle.url).toBeUndefined();
    await fake.socket.connected();
    expect(fake.socket.opened).toBe(1);
    const ack = await fake.socket.send('slash_commands', { command: '/vigil', text: 'status', user_id: 'U024BE7LH', channel_id: 'C00000001', team_id: 'T0VIGIL', response_url: fake.responseUrl(), trigger_id: '1.2.3' });
    expect(ack.payload).toMatchObject({ text: 'echo status' });
  });
});
