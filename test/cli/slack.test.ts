import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_TOKEN, BOT_TOKEN, startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { runCli, startCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';
import { commandBody, postSigned, SIGNING_SECRET } from '../support/slack-requests.js';

describe('vigil slack', () => {
  let services: TestServices;
  let fake: FakeSlack;
  beforeAll(async () => {
    services = await openTestServices();
    fake = await startFakeSlack();
  });
  afterAll(async () => {
    await fake.close();
    await services.close();
  });

  it('refuses to start without its settings, naming each one missing, without a stack trace', async () => {
    const http = await runCli(['slack'], { ...services.env, SLACK_BOT_TOKEN: BOT_TOKEN }, process.cwd());
    expect(http.code).toBe(1);
    expect(http.stderr).toMatch(/VIGIL-E0210.*SLACK_SIGNING_SECRET/);
    expect(http.stderr).not.toMatch(/\n\s+at /);
    expect(http.stderr).not.toContain(BOT_TOKEN);
    const socket = await runCli(['slack'], { ...services.env, VIGIL_SLACK_TRANSPORT: 'socket', SLACK_SIGNING_SECRET: SIGNING_SECRET }, process.cwd());
    expect(socket.stderr).toMatch(/VIGIL-E0210.*SLACK_BOT_TOKEN, SLACK_APP_TOKEN/);
    const wrong = await runCli(['slack'], { ...services.env, VIGIL_SLACK_TRANSPORT: 'websocket' }, process.cwd());
    expect(wrong.stderr).toMatch(/VIGIL_SLACK_TRANSPORT=websocket is not one of http, socket/);
  });

  it('serves signed Slack requests on loopback until stopped, and stops cleanly', async () => {
    const stop = new AbortController();
    const env = { ...services.env, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, VIGIL_SLACK_PORT: '0' };
    const run = startCli(['slack'], env, process.cwd(), stop.signal);
    await expect.poll(() => run.stdout(), { timeout: 15_000 }).toMatch(/Slack requests at http:\/\/127\.0\.0\.1:\d+\/slack\/events/);
    const url = /(http:\/\/127\.0\.0\.1:\d+\/slack\/events)/.exec(run.stdout())![1]!;
    const unsigned = await postSigned(url, commandBody({ text: 'help', user_id: 'U024BE7LH', response_url: fake.responseUrl() }), { signature: null });
    expect(unsigned.status).toBe(401);
    stop.abort();
    const done = await run.done;
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/vigil slack: stopped/);
  });

  it('connects over Socket Mode with an app token and opens no port', async () => {
    const stop = new AbortController();
    const env = { ...services.env, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: APP_TOKEN, VIGIL_SLACK_TRANSPORT: 'socket', SLACK_API_URL: fake.apiUrl };
    const run = startCli(['slack'], env, process.cwd(), stop.signal);
    await fake.socket.connected(15_000);
    await expect.poll(() => run.stdout(), { timeout: 15_000 }).toMatch(/connected to Slack over Socket Mode/);
    stop.abort();
    expect((await run.done).code).toBe(0);
  });
});
