import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Queue } from 'bullmq';
import { openQueue } from '../../../core/bullmq.js';
import { loadConfig } from '../../../core/config.js';
import { cardOf } from '../../../core/db/chat-cards.js';
import { setDetectionStatus, setTakedownStatus } from '../../../core/db/findings.js';
import { createLogger, silentLogger } from '../../../core/log.js';
import { QUEUES } from '../../../core/queues.js';
import { startPoster, type Poster } from '../../../bot/slack/poster.js';
import { startSlackBot, type SlackBot } from '../../../bot/slack/run.js';
import { BOT_TOKEN, startFakeSlack, type FakeSlack, type SlackMessage } from '../../support/fake-slack.js';
import { recordRound, seedCatalog } from '../../support/chat-fixtures.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { SIGNING_SECRET } from '../../support/slack-requests.js';

let services: TestServices;
let fake: FakeSlack;
const posters: Poster[] = [];

// One database per file (making one costs a second); each test starts from empty tables and a fresh fake Slack.
beforeAll(async () => { services = await openTestServices(); });
afterAll(() => services.close());
beforeEach(async () => {
  await services.db.pool.query('truncate chat_cards, chat_summaries, findings, catalog_objects cascade');
  fake = await startFakeSlack({ missingChannels: ['#ghost'] });
});
afterEach(async () => {
  for (const p of posters.splice(0)) await p.close();
  await fake.close();
});

function poster(postsPerSecond: number, extra: { log?: ReturnType<typeof createLogger>; lockRetryMs?: number } = {}): Poster {
  const p = startPoster({ pool: services.db.pool, config: { botToken: BOT_TOKEN, apiUrl: fake.apiUrl, postsPerSecond }, log: extra.log ?? silentLogger, pollMs: 50, ...(extra.lockRetryMs ? { lockRetryMs: extra.lockRetryMs } : {}) });
  posters.push(p);
  return p;
}

const keyOf = (m: SlackMessage): unknown => m.metadata?.event_payload.key;
const cardsIn = (channel: string): SlackMessage[] => fake.messages(channel).filter((m) => String(keyOf(m)).startsWith('card:'));

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Every key posted exactly once, and every card a reply in its summary's thread. */
function expectOnceInThread(channel: string, findingIds: number[]): void {
  const messages = fake.messages(channel);
  const keys = messages.map(keyOf).filter((k) => k !== undefined);
  expect(new Set(keys).size).toBe(keys.length);
  const summary = messages.find((m) => String(keyOf(m)).startsWith('summary:'));
  expect(summary?.thread_ts).toBeUndefined();
  const cards = cardsIn(channel);
  expect(cards.map(keyOf)).toEqual(findingIds.map((id) => `card:${id}`));
  for (const c of cards) expect(c.thread_ts).toBe(summary!.ts);
}

describe('the Slack poster', () => {
  it('posts a round summary, then its cards in its thread, in the Content\'s channel or the Policy\'s, when the bot runs', async () => {
    const pool = services.db.pool;
    await seedCatalog(pool, { policyChannel: '#findings', contents: { moonlit: { channel: '#moonlit', title: 'Moonlit Harbor' }, orchard: {} } });
    const moon = await recordRound(pool, 'moonlit', 'r1', 3);
    const orchard = await recordRound(pool, 'orchard', 'r1', 1);
    const config = loadConfig({ SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, VIGIL_SLACK_PORT: '0', VIGIL_SLACK_POST_RATE: '20' }).slack;
    const queue: Queue = openQueue(QUEUES.slack, services.redis, services.config.queuePrefix);
    let bot: SlackBot | undefined;
    try {
      bot = await startSlackBot({ pool, redis: services.redis, queue, queuePrefix: services.config.queuePrefix, config, log: silentLogger, host: '127.0.0.1', posterPollMs: 50 });
      await fake.waitFor('chat.postMessage', 6);
      await until(async () => (await cardOf(pool, moon[2]!))?.state === 'posted');
    } finally {
      await bot?.close();
      await queue.close();
    }
    expectOnceInThread('#moonlit', moon);
    expectOnceInThread('#findings', orchard);
    expect(JSON.stringify(fake.messages('#moonlit')[0])).toContain('Moonlit Harbor');
    expect(JSON.stringify(fake.messages('#moonlit')[0])).toMatch(/3 findings/);
    expect(await cardOf(pool, moon[0]!)).toMatchObject({ state: 'posted', ts: cardsIn('#moonlit')[0]!.ts });
  });

  it('posts a burst exactly once, in the thread, never above the limit, waiting out injected 429s', async () => {
    const pool = services.db.pool;
    await seedCatalog(pool, { policyChannel: '#findings', contents: { orchard: {} } });
    const ids = await recordRound(pool, 'orchard', 'burst', 60);
    fake.limit('chat.postMessage', 30);
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, 1);
    poster(30);
    // Two more 429s in the middle of the burst.
    await until(() => cardsIn('#findings').length >= 20);
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 1 }, 2);
    await until(() => cardsIn('#findings').length === 60, 15_000);
    expectOnceInThread('#findings', ids);
    const accepted = fake.accepted('chat.postMessage').map((c) => c.at);
    for (const t of accepted) expect(accepted.filter((u) => u >= t && u - t < 1000).length).toBeLessThanOrEqual(30);
    // The poster kept to the limit itself: the only 429s are the ones injected.
    expect(fake.calls.filter((c) => c.method === 'chat.postMessage' && c.status === 429)).toHaveLength(3);
    // The summary is edited to the round's final count once the cards are out.
    await until(() => JSON.stringify(fake.messages('#findings')[0]?.blocks).includes('60 findings'));
  });

  it('resumes after a stop without doubling a card whose message Slack has but the records missed', async () => {
    const pool = services.db.pool;
    await seedCatalog(pool, { policyChannel: '#findings', contents: { orchard: {} } });
    const ids = await recordRound(pool, 'orchard', 'r1', 30);
    fake.limit('chat.postMessage', 30);
    const first = poster(30);
    await until(() => cardsIn('#findings').length >= 10);
    await first.close();
    const posted = cardsIn('#findings');
    expect(posted.length).toBeLessThan(30);
    // A kill between Slack's answer and the database write: the row says 'sending', Slack has the message.
    const victim = ids[4]!;
    await pool.query(`update chat_cards set state = 'sending', ts = null where finding_id = $1`, [victim]);
    // The same for the round's summary: its cards wait until it is found again.
    const summaryTs = fake.messages('#findings')[0]!.ts;
    await pool.query(`update chat_summaries set state = 'sending', ts = null`);
    // The first look into the thread fails: the card waits rather than being posted blind.
    fake.failNext('conversations.replies', { status: 500 }, 1);
    poster(30);
    await until(async () => cardsIn('#findings').length >= 30 && (await cardOf(pool, ids[29]!))?.state === 'posted');
    await new Promise((r) => setTimeout(r, 200));
    expectOnceInThread('#findings', ids);
    expect((await cardOf(pool, victim))?.ts).toBe(posted.find((m) => keyOf(m) === `card:${victim}`)?.ts);
    expect((await pool.query(`select ts from chat_summaries`)).rows[0].ts).toBe(summaryTs);
    expect(fake.calls.filter((c) => c.method === 'conversations.replies').length).toBeGreaterThanOrEqual(2);
  });

  it('edits a card in place with the new status and who acted, and replies in the thread', async () => {
    const pool = services.db.pool;
    await seedCatalog(pool, { policyChannel: '#findings', contents: { orchard: {} } });
    const [id] = await recordRound(pool, 'orchard', 'r1', 1);
    poster(20);
    await until(async () => (await cardOf(pool, id!))?.state === 'posted');
    const card = (await cardOf(pool, id!))!;
    await setTakedownStatus(pool, id!, 'In Progress', { actor: 'slack:U0ALICE1', reason: 'notice sent to abuse@streamfree.to' });
    await until(() => fake.accepted('chat.update').some((c) => c.args.ts === card.ts));
    await until(async () => (await cardOf(pool, id!))?.dirty === false);
    const edited = fake.message('#findings', card.ts!)!;
    expect(JSON.stringify(edited.blocks)).toContain('In Progress');
    expect(JSON.stringify(edited.blocks)).toContain('<@U0ALICE1>');
    const replies = fake.messages('#findings').filter((m) => m.thread_ts === card.threadTs && String(keyOf(m)).startsWith('reply:'));
    expect(replies).toHaveLength(1);
    expect(replies[0]!.text).toMatch(/notice sent \(In Progress\) by <@U0ALICE1>/);
    // Before, the card offered Take down and Ignore; with a notice sent neither can act any more (Evidence always can).
    expect(JSON.stringify(fake.accepted('chat.postMessage').find((c) => c.args.thread_ts === card.threadTs)?.args.blocks)).toContain('vigil.takedown');
    const offered = (edited.blocks as { type: string; elements?: { action_id: string }[] }[]).filter((b) => b.type === 'actions').flatMap((b) => b.elements ?? []).map((e) => e.action_id);
    expect(offered).toEqual(['vigil.evidence']);

    // A detection result: the card shows the recipient and a reply says it.
    await setDetectionStatus(pool, id!, 'Completed', { actor: 'detector', reason: 'watermark ID 17 found' }, { found: true, watermarkId: 17, recipient: { name: 'netflix-kr' }, confidence: 0.99 });
    await until(() => fake.messages('#findings').some((m) => m.thread_ts === card.threadTs && /recipient \*netflix-kr\*/.test(m.text ?? '')));
    await until(async () => (await cardOf(pool, id!))?.dirty === false);
    expect(JSON.stringify(fake.message('#findings', card.ts!)!.blocks)).toContain('netflix-kr');

    // A kill between posting a reply and recording it: the restarted poster finds it and does not post it twice.
    const { rows } = await pool.query<{ id: string }>(`select id from audit_log where object_kind = 'Finding' and object_id = $1 and action = 'detection-status' order by id desc limit 1`, [String(id)]);
    const replyAudit = Number(rows[0]!.id);
    const repliesBefore = fake.messages('#findings').filter((m) => m.thread_ts === card.threadTs).length;
    await posters.splice(0)[0]!.close();
    await pool.query(`update chat_cards set dirty = true, replied_audit_id = $2, reply_audit_id = $3 where finding_id = $1`, [id, replyAudit - 1, replyAudit]);
    poster(20);
    await until(async () => (await cardOf(pool, id!))?.dirty === false);
    expect(fake.messages('#findings').filter((m) => m.thread_ts === card.threadTs)).toHaveLength(repliesBefore);
  });

  it('edits a card a person acted on before the rest of a burst is out', async () => {
    const pool = services.db.pool;
    await seedCatalog(pool, { policyChannel: '#findings', contents: { orchard: {} } });
    const ids = await recordRound(pool, 'orchard', 'r1', 40);
    fake.limit('chat.postMessage', 5);
    poster(5);
    await until(async () => (await cardOf(pool, ids[0]!))?.state === 'posted');
    const { ts } = (await cardOf(pool, ids[0]!))!;
    await setTakedownStatus(pool, ids[0]!, 'Ignore', { actor: 'slack:U0ALICE1', reason: 'licensed copy' });
    await until(() => fake.accepted('chat.update').some((c) => c.args.ts === ts));
    expect(cardsIn('#findings').length).toBeLessThan(25);
    expect(JSON.stringify(fake.message('#findings', ts!)!.blocks)).toContain('Ignore');
  });

  it('keeps cards pending with the error when the bot is not in the channel, and warns once how to fix it', async () => {
    const pool = services.db.pool;
    await seedCatalog(pool, { policyChannel: '#ghost', contents: { orchard: {} } });
    const [id] = await recordRound(pool, 'orchard', 'r1', 2);
    const lines: string[] = [];
    poster(20, { log: createLogger('info', 'vigil', { format: 'json', write: (l) => lines.push(l) }) });
    await until(() => fake.calls.some((c) => c.error === 'channel_not_found'));
    await new Promise((r) => setTimeout(r, 300));
    const { rows } = await pool.query(`select state, last_error from chat_summaries`);
    expect(rows[0]).toEqual({ state: 'pending', last_error: 'channel_not_found' });
    expect(await cardOf(pool, id!)).toMatchObject({ state: 'pending', lastError: 'channel_not_found' });
    const warnings = lines.filter((l) => l.includes('VIGIL-E0214'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/invite the bot/i);
    // It waits (channelRetryMs) instead of hammering Slack.
    expect(fake.calls.filter((c) => c.method === 'chat.postMessage')).toHaveLength(1);
  });

  it('posts a message whose blocks Slack refuses as text, rather than hold up the thread', async () => {
    const pool = services.db.pool;
    await seedCatalog(pool, { policyChannel: '#findings', contents: { orchard: {} } });
    const ids = await recordRound(pool, 'orchard', 'r1', 2);
    fake.failNext('chat.postMessage', { status: 200, error: 'invalid_blocks' }, 1);
    poster(20);
    await until(() => cardsIn('#findings').length === 2);
    expectOnceInThread('#findings', ids);
    const summary = fake.messages('#findings')[0]!;
    expect(summary.blocks).toBeUndefined();
    expect(summary.text).toContain('2 findings');
  });

  it('stops promptly on close, even while a channel waits out a long Retry-After, and posts it later', async () => {
    const pool = services.db.pool;
    await seedCatalog(pool, { policyChannel: '#findings', contents: { orchard: {} } });
    await recordRound(pool, 'orchard', 'r1', 1);
    fake.failNext('chat.postMessage', { status: 429, retryAfter: 30 }, 1);
    const p = poster(20);
    await until(() => fake.calls.some((c) => c.status === 429));
    const started = Date.now();
    await posters.splice(0)[0]!.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(p.active).toBe(false);
    poster(20);
    await until(() => cardsIn('#findings').length === 1);
  });

  it('lets one poster post at a time across processes, and another take over when it stops', async () => {
    const pool = services.db.pool;
    await seedCatalog(pool, { policyChannel: '#findings', contents: { orchard: {} } });
    const a = poster(20, { lockRetryMs: 100 });
    await until(() => a.active);
    const b = poster(20, { lockRetryMs: 100 });
    const ids = await recordRound(pool, 'orchard', 'r1', 5);
    await until(() => cardsIn('#findings').length === 5);
    expect(b.active).toBe(false);
    await a.close();
    await until(() => b.active, 5000);
    const later = await recordRound(pool, 'orchard', 'r2', 2);
    await until(() => cardsIn('#findings').length === 7);
    const keys = fake.messages('#findings').map(keyOf);
    expect(new Set(keys).size).toBe(keys.length);
    expect(cardsIn('#findings').map(keyOf)).toEqual([...ids, ...later].map((id) => `card:${id}`));
  });
});
