import { webApi } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../../core/bullmq.js';
import { loadConfig } from '../../../core/config.js';
import { silentLogger } from '../../../core/log.js';
import { QUEUES } from '../../../core/queues.js';
import { approversOf, authorize, decideApproval } from '../../../bot/slack/approvers.js';
import type { SlackDeps } from '../../../bot/slack/deps.js';
import { applyCatalog, policyDoc } from '../../support/applied-catalog.js';
import { BOT_TOKEN, startFakeSlack, type FakeSlack } from '../../support/fake-slack.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { SIGNING_SECRET } from '../../support/slack-requests.js';

describe('who may act (the decision)', () => {
  const approvers = approversOf({ approvers: { takedown: ['UALICE', 'SLEGAL'], ignore: [] } }, 'takedown');
  const none = new Map<string, readonly string[] | undefined>();

  it('splits the Policy list into users and user groups', () => {
    expect(approvers).toEqual({ users: ['UALICE'], groups: ['SLEGAL'] });
  });

  it('allows a listed user and a member of a listed group, and nobody else', () => {
    expect(decideApproval('takedown', approvers, 'UALICE', none)).toEqual({ allowed: true });
    expect(decideApproval('takedown', approvers, 'UBOB', new Map([['SLEGAL', ['UBOB']]]))).toEqual({ allowed: true });
    expect(decideApproval('takedown', approvers, 'UEVE', new Map([['SLEGAL', ['UBOB']]]))).toEqual({
      allowed: false, why: 'Take down needs a takedown approver: ask <@UALICE> or a member of <!subteam^SLEGAL>.',
    });
  });

  it('allows nobody for an action the Policy lists no approvers for, and says so', () => {
    for (const policy of [{}, { approvers: { ignore: [] } }]) {
      const decision = decideApproval('ignore', approversOf(policy, 'ignore'), 'UALICE', none);
      expect(decision).toMatchObject({ allowed: false, why: expect.stringMatching(/^Ignore needs an ignore approver, and the Policy lists no approvers for ignore: add .*spec\.approvers\.ignore/) });
    }
  });

  it('refuses rather than allows when a group could not be read', () => {
    const decision = decideApproval('takedown', approvers, 'UBOB', new Map([['SLEGAL', undefined]]));
    expect(decision).toMatchObject({ allowed: false, why: expect.stringMatching(/Slack did not say who is in <!subteam\^SLEGAL> just now: try again/) });
  });
});

describe('who may act (the Policy and Slack user groups)', () => {
  let services: TestServices;
  let fake: FakeSlack;
  let deps: SlackDeps;
  let close: () => Promise<void>;
  beforeAll(async () => {
    services = await openTestServices();
    fake = await startFakeSlack({ usergroups: { SLEGAL: ['UBOB', 'UCAROL'], SOPS: ['UDAN'] } });
    await applyCatalog(services.db.pool, policyDoc({ takedown: ['UALICE', 'SLEGAL'], detect: ['SOPS'] }));
    const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl }).slack;
    const redis = services.redis.client();
    const queue = openQueue(QUEUES.slack, services.redis, services.config.queuePrefix);
    deps = { pool: services.db.pool, queue, redis, keyPrefix: services.config.queuePrefix, client: new webApi.WebClient(BOT_TOKEN, { slackApiUrl: fake.apiUrl }), config, log: silentLogger };
    close = async () => { await queue.close(); redis.disconnect(); };
  });
  afterAll(async () => {
    await close();
    await fake.close();
    await services.close();
  });

  it('reads a group once for fifty people asking at once, then from the cache', async () => {
    const users = Array.from({ length: 50 }, (_, i) => (i % 5 === 0 ? 'UBOB' : `UX${i}`));
    const decisions = await Promise.all(users.map((u) => authorize(deps, 'takedown', u)));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(10);
    expect(await authorize(deps, 'takedown', 'UCAROL')).toEqual({ allowed: true });
    expect(fake.calls.filter((c) => c.method === 'usergroups.users.list')).toHaveLength(1);
    expect(await services.redis.client().ttl(`${services.config.queuePrefix}:slack:usergroup:SLEGAL`)).toBeGreaterThan(0);
  });

  it('allows a person named in the Policy without asking Slack', async () => {
    const before = fake.calls.length;
    expect(await authorize(deps, 'takedown', 'UALICE')).toEqual({ allowed: true });
    expect(fake.calls.length).toBe(before);
  });

  it('refuses, saying why, when Slack fails and nothing is cached', async () => {
    fake.failNext('usergroups.users.list', { status: 500 }, 10);
    const decision = await authorize(deps, 'detect', 'UDAN');
    expect(decision).toMatchObject({ allowed: false, why: expect.stringMatching(/Slack did not say who is in <!subteam\^SOPS>/) });
    expect(await authorize(deps, 'ignore', 'UALICE')).toMatchObject({ allowed: false, why: expect.stringMatching(/lists no approvers for ignore/) });
  });
});
