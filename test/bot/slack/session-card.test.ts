import type { Job, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../../core/bullmq.js';
import { loadConfig } from '../../../core/config.js';
import { drainOutbox } from '../../../core/db/outbox.js';
import { sessionCardOf } from '../../../core/db/session-cards.js';
import { offerSessionRevocation } from '../../../core/db/session-leaks.js';
import { sessionById, startSession, type StreamingSession } from '../../../core/db/sessions.js';
import { silentLogger } from '../../../core/log.js';
import { QUEUES, sessionCardJob, sessionRevokeJobId } from '../../../core/queues.js';
import { queueAdder } from '../../../core/relay.js';
import { ACTION_IDS } from '../../../bot/slack/action-ids.js';
import { startSlackApp, type SlackAppHandle } from '../../../bot/slack/app.js';
import type { SlackDeps } from '../../../bot/slack/deps.js';
import { startSlackWorker } from '../../../bot/slack/jobs.js';
import { encodeSessionButton, processSessionCard, sessionRevokeFeature } from '../../../bot/slack/session-card.js';
import { revocationStore, type RevocationStore } from '../../../edge/revocation-store.js';
import { applyCatalog } from '../../support/applied-catalog.js';
import { startFakeSlack, BOT_TOKEN, type FakeSlack } from '../../support/fake-slack.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { buttonClick, interactionBody, postSigned, SIGNING_SECRET } from '../../support/slack-requests.js';

const POLICY = `apiVersion: vigil/v1
kind: Policy
metadata:
  id: policy
spec:
  approvers:
    revoke: [UALICE, SSECOPS]
  revocation:
    automatic: false
    durationSeconds: 7200
  channels:
    alerts: "#vigil-alerts"
`;

describe('the Revoke button on a traced-session card, over signed HTTP requests', () => {
  let services: TestServices;
  let fake: FakeSlack;
  let handle: SlackAppHandle;
  let worker: Worker;
  let deps: SlackDeps;
  let store: RevocationStore;
  let closeDeps: () => Promise<void>;

  beforeAll(async () => {
    services = await openTestServices();
    fake = await startFakeSlack({ usergroups: { SSECOPS: ['UCAROL'] } });
    await applyCatalog(services.db.pool, POLICY);
    const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, VIGIL_SLACK_PORT: '0' }).slack;
    const redis = services.redis.client();
    const queue = openQueue(QUEUES.slack, services.redis, services.config.queuePrefix);
    store = revocationStore(redis, services.config.queuePrefix);
    const base = {
      pool: services.db.pool, queue, redis, keyPrefix: services.config.queuePrefix, config, log: silentLogger,
      revoker: { pool: services.db.pool, lists: store, mirrors: [] },
    };
    handle = await startSlackApp(base, '127.0.0.1', [sessionRevokeFeature]);
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

  const finished = async (id: string): Promise<unknown> => {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const state = await deps.queue.getJobState(id);
      if (state === 'completed') return (await deps.queue.getJob(id))!.returnvalue;
      if (state === 'failed') throw new Error(`job ${id} failed: ${(await deps.queue.getJob(id))!.failedReason}`);
      if (Date.now() > deadline) throw new Error(`job ${id} did not finish`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const facts = (s: StreamingSession) => ({ sessionId: s.id, recording: 'leak-720p.mp4', watermarkId: s.watermarkId, segments: 52, seconds: 240 });
  /** A session traced by detection: the card owed in the outbox, relayed to the slack queue and posted by the worker. */
  const tracedCard = async (viewer: string) => {
    const session = await startSession(services.db.pool, { viewer, package: 'film', ttlMs: 3_600_000 }, { actor: 'test', reason: 'fixture' });
    const card = { ...facts(session), channel: '#vigil-alerts' };
    await offerSessionRevocation(services.db.pool, card, { actor: 'cli:test', reason: 'traced in a test' });
    await drainOutbox(services.db.pool, queueAdder(async () => deps.queue));
    expect(await finished(sessionCardJob(card).jobId)).toMatchObject({ posted: true });
    const message = fake.messages('#vigil-alerts').find((m) => JSON.stringify(m.blocks).includes(session.id))!;
    return { session, message };
  };
  const click = (user: string, session: StreamingSession, message: { channel: string; ts: string }, actionTs: string, value = encodeSessionButton(facts(session))) =>
    postSigned(handle.url!, interactionBody(buttonClick({ user, actionId: ACTION_IDS.sessionRevoke, value, channel: message.channel, messageTs: message.ts, responseUrl: fake.responseUrl(), actionTs })));
  const jobId = (session: StreamingSession, user: string, actionTs: string) => sessionRevokeJobId({ sessionId: session.id, user, requestKey: actionTs });
  const answersTo = (before: number) => fake.responses.slice(before).map((r) => r.body.text as string);
  const sessionAudit = async (id: string) => (await services.db.pool.query<{ actor: string; action: string }>(
    `select actor, action from audit_log where object_kind = 'StreamingSession' and object_id = $1 and action <> 'session-started' order by id`, [id])).rows;

  it('posts one card per traced session with a Revoke button behind a confirm dialog, and audits the trace', async () => {
    const { session, message } = await tracedCard('acct-ben');
    expect(message.text).toBe('A re-stream was traced to the streaming session of acct-ben');
    const button = (message.blocks as { type: string; elements?: { action_id: string; style?: string; confirm?: unknown }[] }[]).find((b) => b.type === 'actions')!.elements![0]!;
    expect(button).toMatchObject({ action_id: ACTION_IDS.sessionRevoke, style: 'danger', confirm: { title: { text: 'Revoke this session?' } } });
    expect(JSON.stringify(message.blocks)).toContain(`watermark ID ${session.watermarkId}`);
    expect(JSON.stringify(message.blocks)).toContain('cut off for 2 h');
    // The same trace again is the same job: no second card.
    await offerSessionRevocation(services.db.pool, { ...facts(session), channel: '#vigil-alerts' }, { actor: 'cli:test', reason: 'traced again' });
    await drainOutbox(services.db.pool, queueAdder(async () => deps.queue));
    await new Promise((r) => setTimeout(r, 200));
    expect(fake.messages('#vigil-alerts').filter((m) => JSON.stringify(m.blocks).includes(session.id))).toHaveLength(1);
    expect((await sessionAudit(session.id)).map((a) => a.action)).toEqual(['session-revocation-offered', 'session-revocation-offered']);
  });

  it('refuses someone who is no revoke approver, only to them, audited, and revokes nothing', async () => {
    const { session, message } = await tracedCard('acct-eve');
    const before = fake.responses.length;
    const answer = await click('UEVE', session, message, '1700000001.000001');
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeLessThan(3000);
    expect(await finished(jobId(session, 'UEVE', '1700000001.000001'))).toBe('not-allowed');
    expect(answersTo(before)).toEqual([`Revoke needs a revoke approver: ask <@UALICE> or a member of <!subteam^SSECOPS>. Session ${session.id} is not revoked. (VIGIL-E0216)`]);
    expect(fake.responses.at(-1)!.body).toMatchObject({ response_type: 'ephemeral' });
    expect((await sessionById(services.db.pool, session.id))!.revokedAt).toBeNull();
    expect(await store.identifier(1, session.id).catch(() => undefined)).toBeUndefined();
    expect((await sessionAudit(session.id)).map((a) => `${a.actor} ${a.action}`)).toEqual(['cli:test session-revocation-offered', 'slack:UEVE slack-action-refused']);
  });

  it('revokes for an approver through core, edits the card in place with who and when, and tells a second approver it was done', async () => {
    const { session, message } = await tracedCard('acct-lee');
    const before = fake.responses.length;
    // A double click (same action_ts) is one job.
    await Promise.all([click('UALICE', session, message, '1700000002.000001'), click('UALICE', session, message, '1700000002.000001')]);
    expect(await finished(jobId(session, 'UALICE', '1700000002.000001'))).toBe('done');
    expect(answersTo(before)).toEqual([`Revoke: the session of acct-lee (${session.id}) is revoked for 2 h; every edge refuses its next request.`]);
    expect((await sessionById(services.db.pool, session.id))!.revokedAt).toBeInstanceOf(Date);
    const listId = await store.defaultListId();
    expect(await store.identifier(listId, session.id)).toEqual({ id: session.id, ttl: expect.any(Number) });
    expect((await store.identifier(listId, session.id))!.ttl).toBeGreaterThan(7100);
    const edited = fake.message(message.channel, message.ts)!;
    expect(edited.edited).toBeDefined();
    expect(JSON.stringify(edited.blocks)).toMatch(/Revoked\* by <@UALICE> <!date\^\d+\^.* for 2 h/);
    expect((edited.blocks as { type: string }[]).some((b) => b.type === 'actions')).toBe(false);
    // A group member's click on the old card: nothing revoked twice, told by whom.
    await click('UCAROL', session, message, '1700000002.000002');
    expect(await finished(jobId(session, 'UCAROL', '1700000002.000002'))).toBe('unchanged');
    expect(fake.responses.at(-1)!.body.text).toMatch(new RegExp(`^Revoke changed nothing: the session of acct-lee \\(${session.id}\\) was already revoked by <@UALICE> <!date\\^`));
    expect((await sessionAudit(session.id)).filter((a) => a.action === 'session-revoked')).toEqual([{ actor: 'slack:UALICE', action: 'session-revoked' }]);
  });

  it('answers a button Vigil did not make, only to the person, and queues nothing', async () => {
    const jobs = await deps.queue.count();
    const before = fake.responses.length;
    const forged = await postSigned(handle.url!, interactionBody(buttonClick({ user: 'UALICE', actionId: ACTION_IDS.sessionRevoke, value: '{"s":"x; drop"}', channel: 'C00000009', messageTs: '1.2', responseUrl: fake.responseUrl() })));
    expect(forged.status).toBe(200);
    const deadline = Date.now() + 5000;
    while (fake.responses.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    expect(fake.responses.at(-1)!.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^That button was not made by Vigil/) });
    expect(await deps.queue.count()).toBe(jobs);
  });

  it('keeps the once-only record in PostgreSQL: a crash between the post and the record, then a lost Redis, still give one card', async () => {
    const session = await startSession(services.db.pool, { viewer: 'acct-crash', package: 'film', ttlMs: 3_600_000 }, { actor: 'test', reason: 'fixture' });
    const card = { ...facts(session), channel: '#vigil-alerts' };
    const job = { data: card } as Job;
    const cardsOf = () => fake.accepted('chat.postMessage').filter((c) => JSON.stringify(c.args.blocks).includes(session.id));
    // The process dies after Slack took the card and before the record says so: here the database refuses that write.
    await services.db.pool.query(`create function refuse_posted() returns trigger language plpgsql as $$ begin raise exception 'killed before the record'; end $$;
      create trigger refuse_posted before update on session_cards for each row when (new.state = 'posted') execute function refuse_posted()`);
    await expect(processSessionCard(job, deps)).rejects.toThrow(/killed before the record/);
    expect(cardsOf()).toHaveLength(1);
    expect(await sessionCardOf(services.db.pool, session.id, '#vigil-alerts')).toMatchObject({ state: 'sending', attempts: 1 });
    await services.db.pool.query('drop trigger refuse_posted on session_cards; drop function refuse_posted()');
    // Slack cannot be asked: the retry does not post blind.
    const historyBefore = fake.calls.filter((c) => c.method === 'conversations.history').length;
    fake.failNext('conversations.history', { status: 200, error: 'internal_error' });
    await expect(processSessionCard(job, deps)).rejects.toMatchObject({ code: 'VIGIL-E0641' });
    expect(cardsOf()).toHaveLength(1);
    // Slack answers: the retry finds the card by its metadata key and records it, posting nothing.
    const posted = cardsOf()[0]!;
    const first = fake.messages('#vigil-alerts').find((m) => JSON.stringify(m.blocks).includes(session.id))!;
    expect(posted.args.metadata).toEqual({ event_type: 'vigil_session_card', event_payload: { key: `session-card:${session.id}` } });
    expect(await processSessionCard(job, deps)).toEqual({ posted: true, ts: first.ts, found: true });
    expect(fake.calls.filter((c) => c.method === 'conversations.history').length).toBe(historyBefore + 2);
    expect(cardsOf()).toHaveLength(1);
    expect(await sessionCardOf(services.db.pool, session.id, '#vigil-alerts')).toMatchObject({ state: 'posted', ts: first.ts, attempts: 3 });
    // Redis loses everything of this bot: the record is not there, so the next try still posts nothing.
    const keys = await deps.redis.keys(`${services.config.queuePrefix}:slack:*`);
    if (keys.length > 0) await deps.redis.del(...keys);
    expect(await processSessionCard(job, deps)).toEqual({ posted: false, ts: first.ts });
    expect(cardsOf()).toHaveLength(1);
  });
});
