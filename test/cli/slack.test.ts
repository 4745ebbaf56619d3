import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_TOKEN, BOT_TOKEN, startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { runCli, startCli } from '../support/cli.js';
import { openTestServices, type TestServices } from '../support/services.js';
import { buttonClick, commandBody, interactionBody, postSigned, SIGNING_SECRET } from '../support/slack-requests.js';
import { applyCatalog, contentDoc, policyDoc } from '../support/applied-catalog.js';
import { until } from '../support/slack-bot.js';
import { findingById, recordFinding } from '../../core/db/findings.js';
import { hostOf, normalizeUrl } from '../../core/url.js';
import { ACTION_IDS, encodeFindingButton } from '../../bot/slack/action-ids.js';
import { parseQueues } from '../../cli/workers.js';

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

  it('says at start that Slack refused the bot token, before serving anything', async () => {
    const env = { ...services.env, SLACK_BOT_TOKEN: 'xoxb-revoked-0000000000-zzzz', SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, VIGIL_SLACK_PORT: '0' };
    const run = await runCli(['slack'], env, process.cwd());
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/VIGIL-E0211.*auth\.test: invalid_auth/);
    expect(run.stderr).not.toContain('xoxb-revoked-0000000000-zzzz');
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

  it('with --no-worker only acks: the click is done by vigil worker --queues slack in another run', async () => {
    expect(parseQueues(undefined)).not.toContain('slack');
    expect(parseQueues('slack')).toEqual(['slack']);
    await applyCatalog(services.db.pool, contentDoc('orchard'), policyDoc({ ignore: ['U024BE7LH'] }));
    const link = 'https://streamfree.to/watch/orchard-1';
    const { finding } = await recordFinding(services.db.pool, {
      contentId: 'orchard', url: link, normalizedUrl: normalizeUrl(link), host: hostOf(link), pageTitle: 'Orchard', source: 'web', score: 11, evidence: {},
      takedownStatus: 'Available', detectionStatus: 'Not Available',
    }, { actor: 'monitor', reason: 'matched' });
    const env = { ...services.env, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, VIGIL_SLACK_PORT: '0' };
    const stopBot = new AbortController();
    const bot = startCli(['slack', '--no-worker'], env, process.cwd(), stopBot.signal);
    const url = await until('vigil slack to listen', () => /Slack requests at (http:\S+)/.exec(bot.stdout())?.[1], 15_000);
    const click = buttonClick({ user: 'U024BE7LH', actionId: ACTION_IDS.ignore, value: encodeFindingButton({ findingId: finding.id, version: finding.version }), channel: 'C00000001', messageTs: '1700000000.000100', responseUrl: fake.responseUrl() });
    expect((await postSigned(url, interactionBody(click))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await findingById(services.db.pool, finding.id))!.takedownStatus).toBe('Available'); // acked, queued, not done here
    const stopWorker = new AbortController();
    const worker = startCli(['worker', '--queues', 'slack'], env, process.cwd(), stopWorker.signal);
    await until('the worker to do the click', async () => ((await findingById(services.db.pool, finding.id))!.takedownStatus === 'Ignore' ? true : undefined), 20_000);
    stopWorker.abort();
    stopBot.abort();
    expect((await worker.done).code).toBe(0);
    expect((await bot.done).code).toBe(0);
  });

  it('connects over Socket Mode with an app token, listening for no Slack request, only on its metrics port', async () => {
    const stop = new AbortController();
    const env = { ...services.env, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: APP_TOKEN, VIGIL_SLACK_TRANSPORT: 'socket', SLACK_API_URL: fake.apiUrl };
    const run = startCli(['slack', '--metrics-port', '0'], env, process.cwd(), stop.signal);
    await fake.socket.connected(15_000);
    await expect.poll(() => run.stdout(), { timeout: 15_000 }).toMatch(/connected to Slack over Socket Mode/);
    await expect.poll(() => run.stdout(), { timeout: 15_000 }).toMatch(/metrics: Prometheus \/metrics at http:\/\/127\.0\.0\.1:\d+\/metrics/);
    expect(run.stdout()).not.toContain('Slack requests at');
    const metrics = await fetch(/metrics at (\S+)/.exec(run.stdout())![1]!);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('vigil_process_');
    stop.abort();
    expect((await run.done).code).toBe(0);
  });
});
