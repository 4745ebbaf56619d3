import type { Worker } from 'bullmq';
import pg from 'pg';
import { isVigilError } from '../../../core/errors.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../../core/bullmq.js';
import { loadConfig } from '../../../core/config.js';
import { findingById, recordFinding } from '../../../core/db/findings.js';
import { outboxRows } from '../../../core/db/outbox.js';
import { silentLogger } from '../../../core/log.js';
import { findingActionJobId, findingDetectionJob, QUEUES, takedownJob } from '../../../core/queues.js';
import { hostOf, normalizeUrl } from '../../../core/url.js';
import { ACTION_IDS, encodeFindingButton } from '../../../bot/slack/action-ids.js';
import { enqueueFindingAction, findingActionPayload, findingActions } from '../../../bot/slack/actions.js';
import { startSlackApp, type SlackAppHandle } from '../../../bot/slack/app.js';
import type { SlackDeps } from '../../../bot/slack/deps.js';
import { startSlackWorker } from '../../../bot/slack/jobs.js';
import { applyCatalog, contentDoc, policyDoc } from '../../support/applied-catalog.js';
import { APP_TOKEN, BOT_TOKEN, startFakeSlack, type FakeSlack } from '../../support/fake-slack.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { buttonClick, interactionBody, postSigned, SIGNING_SECRET } from '../../support/slack-requests.js';

const CHANNEL = 'C00000001';

describe('finding-action payloads', () => {
  it('refuses a payload that is not one Vigil wrote, naming the fields and not their values', () => {
    const good = { findingId: 3, action: 'ignore', override: false, user: 'UALICE', channel: CHANNEL, via: 'button', requestKey: 'v1' };
    expect(findingActionPayload(good)).toEqual(good);
    for (const bad of [{ ...good, action: 'delete' }, { ...good, findingId: -1 }, { ...good, user: 'alice' }, { ...good, via: 'email' }, null]) {
      let error: unknown;
      try { findingActionPayload(bad); } catch (e) { error = e; }
      expect(isVigilError(error) && error.errorName).toBe('JOB_PAYLOAD_INVALID');
    }
    expect(() => findingActionPayload({ ...good, action: 'x', responseUrl: 'https://hooks.slack.com/secret' })).toThrow(/got fields .*responseUrl/);
    expect(() => findingActionPayload({ ...good, action: 'x', responseUrl: 'https://hooks.slack.com/secret' })).not.toThrow(/secret/);
  });
});

describe('finding buttons over signed HTTP requests', () => {
  let services: TestServices;
  let fake: FakeSlack;
  let handle: SlackAppHandle;
  let worker: Worker;
  let deps: SlackDeps;
  let closeDeps: () => Promise<void>;
  let counter = 0;

  beforeAll(async () => {
    services = await openTestServices();
    fake = await startFakeSlack({ usergroups: { SLEGAL: ['UCAROL', 'UDAN', 'UERIN'] } });
    await applyCatalog(services.db.pool, contentDoc('marked', { watermarked: true }), contentDoc('plain'),
      policyDoc({ takedown: ['UALICE', 'SLEGAL'], ignore: ['SLEGAL'], detect: ['UALICE'] }));
    const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, VIGIL_SLACK_PORT: '0' }).slack;
    const redis = services.redis.client();
    const queue = openQueue(QUEUES.slack, services.redis, services.config.queuePrefix);
    const base = { pool: services.db.pool, queue, redis, keyPrefix: services.config.queuePrefix, config, log: silentLogger };
    handle = await startSlackApp(base, '127.0.0.1', [findingActions]);
    deps = { ...base, client: handle.app.client };
    worker = startSlackWorker(deps, services.redis, services.config.queuePrefix);
    closeDeps = async () => { await queue.close(); redis.disconnect(); };
  });
  afterAll(async () => {
    await handle.stop();
    await worker.close();
    await closeDeps();
    await fake.close();
    await services.close();
  });

  const newFinding = async (contentId: 'marked' | 'plain') => {
    counter += 1;
    const url = `https://leaks.example/${contentId}/${counter}`;
    const { finding } = await recordFinding(services.db.pool, {
      contentId, url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: contentId, source: 'web', score: 10, evidence: {},
      takedownStatus: 'Available', detectionStatus: contentId === 'marked' ? 'Available' : 'Not Available',
    }, { actor: 'test', reason: 'fixture' });
    return finding.id;
  };
  const click = (user: string, actionId: string, value: string, retryNum?: number) =>
    postSigned(handle.url!, interactionBody(buttonClick({ user, actionId, value, channel: CHANNEL, messageTs: '1700000000.000100', responseUrl: fake.responseUrl() })),
      retryNum === undefined ? {} : { retryNum });
  const button = (findingId: number, version = 1) => encodeFindingButton({ findingId, version });
  const jobId = (findingId: number, action: 'takedown' | 'ignore' | 'detect', user: string, version = 1) => findingActionJobId({ findingId, action, user, requestKey: `v${version}` });
  /** Resolves with a job's result once the worker finished it. */
  const finished = async (id: string): Promise<unknown> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const state = await deps.queue.getJobState(id);
      // Read the job after its state: a job read before it finished holds no return value.
      if (state === 'completed') return (await deps.queue.getJob(id))!.returnvalue;
      if (state === 'failed') throw new Error(`job ${id} failed: ${(await deps.queue.getJob(id))!.failedReason}`);
      if (Date.now() > deadline) throw new Error(`job ${id} did not finish`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const ephemeralsTo = (user: string) => fake.ephemerals.filter((e) => e.user === user);
  const audit = async (id: number) => (await services.db.pool.query<{ actor: string; action: string; reason: string; details: Record<string, unknown> }>(
    `select actor, action, reason, details from audit_log where object_kind = 'Finding' and object_id = $1 and action <> 'finding-created' order by id`, [String(id)])).rows;

  it('acks at once, and a double click and a retry of it make one job, one change and one audit row', async () => {
    const id = await newFinding('plain');
    const answers = await Promise.all([click('UALICE', ACTION_IDS.takedown, button(id)), click('UALICE', ACTION_IDS.takedown, button(id))]);
    answers.push(await click('UALICE', ACTION_IDS.takedown, button(id), 1));
    for (const a of answers) {
      expect(a.status).toBe(200);
      // Slack's limit; the bench measures the real figure.
      expect(a.ms).toBeLessThan(3000);
    }
    expect(await finished(jobId(id, 'takedown', 'UALICE'))).toBe('done');
    expect((await deps.queue.getJobs(['completed', 'waiting', 'active', 'delayed', 'failed'])).filter((j) => j.data.findingId === id)).toHaveLength(1);
    expect((await findingById(services.db.pool, id))!.takedownStatus).toBe('Takedown requested');
    expect(await audit(id)).toEqual([{
      actor: 'slack:UALICE', action: 'takedown-status', reason: 'Take down in Slack (card button)',
      details: { action: 'takedown', override: false, via: 'slack-button', request: jobId(id, 'takedown', 'UALICE'), from: 'Available', to: 'Takedown requested' },
    }]);
    expect((await outboxRows(services.db.pool)).filter((r) => r.jobId === takedownJob(id, 1).jobId)).toHaveLength(1);
    expect(ephemeralsTo('UALICE').filter((e) => e.text?.includes(`#${id} `))).toEqual([expect.objectContaining({ channel: CHANNEL, text: `Take down: finding #${id} is now takedown Takedown requested.` })]);
  });

  it('tells a second person the finding was already changed, by whom and when', async () => {
    const id = await newFinding('plain');
    await click('UALICE', ACTION_IDS.takedown, button(id));
    await finished(jobId(id, 'takedown', 'UALICE'));
    await click('UCAROL', ACTION_IDS.takedown, button(id));
    expect(await finished(jobId(id, 'takedown', 'UCAROL'))).toBe('unchanged');
    const told = ephemeralsTo('UCAROL').find((e) => e.text?.includes(`#${id} `));
    expect(told?.text).toMatch(new RegExp(`^Take down changed nothing: finding #${id} is already Takedown requested by <@UALICE> <!date\\^\\d+\\^`));
    expect((await audit(id)).filter((r) => r.action === 'takedown-status')).toHaveLength(1);
  });

  it('refuses someone who is not an approver, naming the role, only to them, and audits it', async () => {
    const id = await newFinding('plain');
    expect((await click('UEVE', ACTION_IDS.takedown, button(id))).status).toBe(200);
    expect(await finished(jobId(id, 'takedown', 'UEVE'))).toBe('not-allowed');
    const told = ephemeralsTo('UEVE').at(-1);
    expect(told).toMatchObject({ channel: CHANNEL, text: 'Take down needs a takedown approver: ask <@UALICE> or a member of <!subteam^SLEGAL>. (VIGIL-E0216)' });
    expect(await audit(id)).toEqual([{ actor: 'slack:UEVE', action: 'slack-action-refused', reason: 'Take down needs a takedown approver: ask <@UALICE> or a member of <!subteam^SLEGAL>.', details: { action: 'takedown', request: jobId(id, 'takedown', 'UEVE') } }]);
    expect((await findingById(services.db.pool, id))!.takedownStatus).toBe('Available');
  });

  it('lets members of an approving user group act, reading the group from Slack once for many clicks', async () => {
    // An empty cache, as after its TTL: nine clicks at once must make one lookup.
    await deps.redis.del(`${services.config.queuePrefix}:slack:usergroup:SLEGAL`);
    const before = fake.calls.filter((c) => c.method === 'usergroups.users.list').length;
    const ids = await Promise.all(Array.from({ length: 9 }, () => newFinding('plain')));
    const users = ['UCAROL', 'UDAN', 'UERIN'];
    await Promise.all(ids.map((id, i) => click(users[i % 3]!, ACTION_IDS.ignore, button(id))));
    const results = await Promise.all(ids.map((id, i) => finished(jobId(id, 'ignore', users[i % 3]!))));
    expect(results).toEqual(ids.map(() => 'done'));
    for (const id of ids) expect((await findingById(services.db.pool, id))!.takedownStatus).toBe('Ignore');
    expect(fake.calls.filter((c) => c.method === 'usergroups.users.list').length - before).toBe(1);
  });

  it('says clearly when the finding behind a card no longer exists', async () => {
    const id = await newFinding('plain');
    await services.db.pool.query('delete from findings where id = $1', [id]);
    await click('UALICE', ACTION_IDS.ignore, button(id));
    // UALICE is no ignore approver: the refusal comes first. UCAROL is.
    await click('UCAROL', ACTION_IDS.ignore, button(id));
    expect(await finished(jobId(id, 'ignore', 'UCAROL'))).toBe('unknown');
    expect(ephemeralsTo('UCAROL').at(-1)?.text).toMatch(new RegExp(`^Finding #${id} no longer exists, so nothing was done`));
  });

  it('asks for the override before taking down watermarked content that is not yet detected', async () => {
    const id = await newFinding('marked');
    await click('UALICE', ACTION_IDS.takedown, button(id));
    expect(await finished(jobId(id, 'takedown', 'UALICE'))).toBe('refused');
    expect(ephemeralsTo('UALICE').at(-1)?.text).toMatch(/^Take down was refused for finding #\d+: the content is watermarked and detection has not completed .* \(VIGIL-E0217\)$/);
    expect((await findingById(services.db.pool, id))!.takedownStatus).toBe('Available');
    // The override is another button (another confirm dialog) on the card, at a newer version.
    await click('UALICE', ACTION_IDS.takedownOverride, button(id, 2));
    expect(await finished(jobId(id, 'takedown', 'UALICE', 2))).toBe('done');
    expect((await audit(id)).find((r) => r.action === 'takedown-status')?.details).toMatchObject({ override: true });
  });

  it('starts detection and writes its detect job to the outbox', async () => {
    const id = await newFinding('marked');
    await click('UALICE', ACTION_IDS.detect, button(id));
    expect(await finished(jobId(id, 'detect', 'UALICE'))).toBe('done');
    expect((await findingById(services.db.pool, id))!.detectionStatus).toBe('Downloading');
    expect((await outboxRows(services.db.pool)).filter((r) => r.jobId === findingDetectionJob(id, 2).jobId)).toHaveLength(1);
  });

  it('answers a button Vigil did not make with an ephemeral message and does nothing else', async () => {
    const jobsBefore = await deps.queue.count();
    const responsesBefore = fake.responses.length;
    const forged = await click('UALICE', ACTION_IDS.takedown, '{"f":"1; drop table findings"}');
    expect(forged.status).toBe(200);
    const deadline = Date.now() + 5000;
    while (fake.responses.length === responsesBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(fake.responses.at(-1)?.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^That button was not made by Vigil/) });
    expect(await deps.queue.count()).toBe(jobsBefore);
  });

  it('retries the answer when Slack fails, without doing the action twice', async () => {
    const id = await newFinding('plain');
    fake.failNext('chat.postEphemeral', { status: 500 }, 1);
    await click('UALICE', ACTION_IDS.takedown, button(id));
    await finished(jobId(id, 'takedown', 'UALICE'));
    expect((await audit(id)).filter((r) => r.action === 'takedown-status')).toHaveLength(1);
    expect(fake.calls.filter((c) => c.method === 'chat.postEphemeral' && c.status === 500)).toHaveLength(1);
    expect(ephemeralsTo('UALICE').filter((e) => e.text?.includes(`#${id} `))).toHaveLength(1);
  });

  it('does /vigil takedown ID the same way, answering through the command\'s response_url', async () => {
    const id = await newFinding('plain');
    const responseUrl = fake.responseUrl();
    const payload = { findingId: id, action: 'takedown' as const, override: false, user: 'UCAROL', channel: CHANNEL, responseUrl, via: 'command' as const, requestKey: '1700000000.123.abc' };
    await enqueueFindingAction(deps, payload);
    await enqueueFindingAction(deps, payload);
    expect(await finished(findingActionJobId(payload))).toBe('done');
    expect(fake.responses.filter((r) => responseUrl.endsWith(r.id))).toEqual([
      { id: expect.any(String), body: { response_type: 'ephemeral', replace_original: false, text: `Take down: finding #${id} is now takedown Takedown requested.` } },
    ]);
    expect(await audit(id)).toMatchObject([{ actor: 'slack:UCAROL', reason: 'Take down in Slack (/vigil command)', details: { via: 'slack-command' } }]);
  });

  it('retries the job when its answer fails, doing the action once and answering as done', async () => {
    const id = await newFinding('plain');
    const responseUrl = fake.responseUrl();
    const payload = { findingId: id, action: 'ignore' as const, override: false, user: 'UDAN', channel: CHANNEL, responseUrl, via: 'command' as const, requestKey: '1700000000.456.def' };
    fake.failResponses(1, 500);
    await enqueueFindingAction(deps, payload);
    // The retry finds the change made by this same request: it reports it as done, and audits nothing more.
    expect(await finished(findingActionJobId(payload))).toBe('unchanged');
    expect((await deps.queue.getJob(findingActionJobId(payload)))!.attemptsMade).toBe(2);
    expect(await audit(id)).toEqual([expect.objectContaining({ actor: 'slack:UDAN', action: 'takedown-status', details: expect.objectContaining({ from: 'Available', to: 'Ignore' }) })]);
    expect(fake.responses.filter((r) => responseUrl.endsWith(r.id)).map((r) => r.body.text)).toEqual([`Ignore: finding #${id} is now takedown Ignore.`]);
  });
});

describe('finding buttons over Socket Mode', () => {
  it('acks the envelope and does the action once, whatever the retry_attempt', async () => {
    const services = await openTestServices();
    const fake = await startFakeSlack();
    const redis = services.redis.client();
    const queue = openQueue(QUEUES.slack, services.redis, services.config.queuePrefix);
    try {
      await applyCatalog(services.db.pool, contentDoc('plain'), policyDoc({ ignore: ['UALICE'] }));
      const url = 'https://leaks.example/socket/1';
      const { finding } = await recordFinding(services.db.pool, {
        contentId: 'plain', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: 'plain', source: 'web', score: 10, evidence: {},
        takedownStatus: 'Available', detectionStatus: 'Not Available',
      }, { actor: 'test', reason: 'fixture' });
      const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_APP_TOKEN: APP_TOKEN, SLACK_API_URL: fake.apiUrl, VIGIL_SLACK_TRANSPORT: 'socket' }).slack;
      const base = { pool: services.db.pool, queue, redis, keyPrefix: services.config.queuePrefix, config, log: silentLogger };
      const handle = await startSlackApp(base, '127.0.0.1', [findingActions]);
      const worker = startSlackWorker({ ...base, client: handle.app.client }, services.redis, services.config.queuePrefix);
      try {
        await fake.socket.connected();
        const payload = buttonClick({ user: 'UALICE', actionId: ACTION_IDS.ignore, value: encodeFindingButton({ findingId: finding.id, version: 3 }), channel: CHANNEL, messageTs: '1700000000.000200', responseUrl: fake.responseUrl() });
        const first = await fake.socket.send('interactive', payload);
        const retried = await fake.socket.send('interactive', payload, { retryAttempt: 1 });
        expect(first.envelope_id).toBeTruthy();
        expect(retried.envelope_id).toBeTruthy();
        await fake.waitFor('chat.postEphemeral', 1);
        expect((await findingById(services.db.pool, finding.id))!.takedownStatus).toBe('Ignore');
        expect(await queue.getJobCountByTypes('completed', 'waiting', 'active', 'delayed')).toBe(1);
        expect(fake.ephemerals.map((e) => e.text)).toEqual([`Ignore: finding #${finding.id} is now takedown Ignore.`]);
      } finally {
        await handle.stop();
        await worker.close();
      }
    } finally {
      await queue.close();
      redis.disconnect();
      await fake.close();
      await services.close();
    }
  });
});

describe('the ack needs nothing but the queue', () => {
  it('acks and queues a click while the database is out of reach', async () => {
    const services = await openTestServices();
    const fake = await startFakeSlack();
    const redis = services.redis.client();
    const queue = openQueue(QUEUES.slack, services.redis, services.config.queuePrefix);
    // A pool that can never connect: a listener that touched the database would hang or fail here.
    const unreachable = new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/none', connectionTimeoutMillis: 200 });
    const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, VIGIL_SLACK_PORT: '0' }).slack;
    const handle = await startSlackApp({ pool: unreachable, queue, redis, keyPrefix: services.config.queuePrefix, config, log: silentLogger }, '127.0.0.1', [findingActions]);
    try {
      const body = interactionBody(buttonClick({ user: 'UALICE', actionId: ACTION_IDS.takedown, value: encodeFindingButton({ findingId: 5, version: 1 }), channel: CHANNEL, messageTs: '1700000000.000300', responseUrl: fake.responseUrl() }));
      expect((await postSigned(handle.url!, body)).status).toBe(200);
      const id = findingActionJobId({ findingId: 5, action: 'takedown', user: 'UALICE', requestKey: 'v1' });
      const deadline = Date.now() + 5000;
      while (!(await queue.getJob(id)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect((await queue.getJob(id))?.data).toMatchObject({ findingId: 5, action: 'takedown', override: false, user: 'UALICE', channel: CHANNEL, via: 'button', requestKey: 'v1' });
    } finally {
      await handle.stop();
      await unreachable.end();
      await queue.close();
      redis.disconnect();
      await fake.close();
      await services.close();
    }
  });
});
