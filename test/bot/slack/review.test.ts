import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findingById } from '../../../core/db/findings.js';
import { reportLink, suspectById } from '../../../core/db/review.js';
import { ACTION_IDS } from '../../../bot/slack/action-ids.js';
import { startSlackBotUnderTest, until, type SlackBotUnderTest } from '../../support/slack-bot.js';
import { buttonClick, commandBody, interactionBody, postSigned } from '../../support/slack-requests.js';

let bot: SlackBotUnderTest;

beforeAll(async () => {
  bot = await startSlackBotUnderTest({ usergroups: { S0REVIEWERS: ['U0GROUPIE'] } });
  await bot.services.db.pool.query(`insert into catalog_objects (kind, id, spec, metadata, spec_hash) values
    ('Content', 'orchard', $1, '{"id":"orchard"}', 'h1'), ('MonitoringJob', 'orchard-watch', $2, '{"id":"orchard-watch"}', 'h2'),
    ('Policy', 'default', $3, '{"id":"default"}', 'h3')`, [
    JSON.stringify({ type: 'film', title: 'The Iron Orchard', releaseDate: '2025-11-14', watermarked: true }),
    JSON.stringify({ content: 'orchard', tier: 'premium', takedown: 'automatic', detection: 'manual' }),
    JSON.stringify({ approvers: { review: ['U0REVIEW', 'S0REVIEWERS'] } }),
  ]);
});
afterAll(() => bot.close());

interface Block { type: string; block_id?: string; text?: { text: string }; elements?: { type: string; action_id: string; value?: string; confirm?: unknown; options?: { value: string }[] }[] }

async function reviewQueue(): Promise<Block[]> {
  const responseUrl = bot.fake.responseUrl();
  await postSigned(bot.url, commandBody({ text: 'review', user_id: 'U0REVIEW', response_url: responseUrl }));
  const id = responseUrl.split('/').pop();
  const body = await until('the review queue', () => bot.fake.responses.find((r) => r.id === id)?.body);
  return body.blocks as Block[];
}

/** Clicks Confirm or Reject on suspect `id` as `user`, with a title chosen in the menu when given; resolves with the answer. */
async function decide(user: string, actionId: string, suspectId: number, contentId?: string): Promise<string> {
  const responseUrl = bot.fake.responseUrl();
  const state = contentId ? { [`vigil-review-${suspectId}`]: { [ACTION_IDS.reviewContent]: { type: 'static_select', selected_option: { value: contentId, text: { type: 'plain_text', text: contentId } } } } } : {};
  const res = await postSigned(bot.url, interactionBody(buttonClick({ user, actionId, value: String(suspectId), channel: 'C00000001', messageTs: '1.1', responseUrl, state })));
  expect(res.status).toBe(200);
  const id = responseUrl.split('/').pop();
  const body = await until('the decision answer', () => bot.fake.responses.find((r) => r.id === id)?.body);
  return String(body.text);
}

describe('/vigil review', () => {
  it('shows reported links strongest first with Confirm and Reject behind confirm dialogs, and a title menu for an unknown title', async () => {
    const { suspectId } = await reportLink(bot.services.db.pool, { url: 'https://pirate.example/orchard', note: 'whole film', reporter: 'U0BOB' });
    const blocks = await reviewQueue();
    const text = blocks.find((b) => b.text?.text.includes(`Suspect #${suspectId}`))!.text!.text;
    expect(text).toContain('reported by <@U0BOB>');
    expect(text).toContain('whole film');
    const actions = blocks.find((b) => b.block_id === `vigil-review-${suspectId}`)!;
    const ids = actions.elements!.map((e) => e.action_id);
    expect(ids).toEqual([ACTION_IDS.reviewContent, ACTION_IDS.reviewConfirm, ACTION_IDS.reviewReject]);
    expect(actions.elements![0]!.options!.map((o) => o.value)).toEqual(['orchard']);
    expect(actions.elements!.filter((e) => e.type === 'button').every((e) => e.confirm !== undefined && e.value === String(suspectId))).toBe(true);
  });

  it('confirms a reported link as a finding of the chosen title for a review approver (a group member too), once', async () => {
    const { suspectId } = await reportLink(bot.services.db.pool, { url: 'https://cyberlocker.example/f/1', note: '', reporter: 'U0BOB' });
    expect(await decide('U0REVIEW', ACTION_IDS.reviewConfirm, suspectId)).toContain('choose which title it leaks');
    const answer = await decide('U0GROUPIE', ACTION_IDS.reviewConfirm, suspectId, 'orchard');
    const findingId = Number(/finding #(\d+)/.exec(answer)?.[1]);
    expect(answer).toContain(`Suspect #${suspectId} confirmed by <@U0GROUPIE>`);
    expect(await findingById(bot.services.db.pool, findingId)).toMatchObject({ contentId: 'orchard', source: 'report', takedownStatus: 'Available', detectionStatus: 'Available' });
    expect(await decide('U0REVIEW', ACTION_IDS.reviewReject, suspectId)).toContain(`was already confirmed (finding #${findingId}); nothing changed`);
    expect((await suspectById(bot.services.db.pool, suspectId))?.review).toBe('confirmed');
  });

  it('rejects a suspect, and refuses a person who is not a review approver (audited)', async () => {
    const pool = bot.services.db.pool;
    const { suspectId } = await reportLink(pool, { url: 'https://forum.example/t/trailer', note: 'maybe', reporter: 'U0BOB' });
    expect(await decide('U0MALLORY', ACTION_IDS.reviewReject, suspectId)).toContain('Deciding a suspect needs a reviewer: ask <@U0REVIEW>');
    expect((await suspectById(pool, suspectId))?.review).toBe('queued');
    const refused = await pool.query<{ actor: string }>(`select actor from audit_log where action = 'review-refused' and object_id = $1`, [String(suspectId)]);
    expect(refused.rows.map((r) => r.actor)).toEqual(['U0MALLORY']);
    expect(await decide('U0REVIEW', ACTION_IDS.reviewReject, suspectId)).toBe(`Suspect #${suspectId} rejected by <@U0REVIEW>.`);
    expect((await suspectById(pool, suspectId))?.review).toBe('rejected');
    const blocks = await reviewQueue();
    expect(blocks.some((b) => b.block_id === `vigil-review-${suspectId}`)).toBe(false);
  });

  it('pages the queue: Next page shows the suspects after the first page', async () => {
    const pool = bot.services.db.pool;
    for (let i = 0; i < 6; i += 1) await reportLink(pool, { url: `https://mirror${i}.example/orchard`, note: '', reporter: 'U0BOB' });
    const first = await reviewQueue();
    const suspectsOn = (blocks: Block[]): number[] => blocks.filter((b) => b.block_id?.startsWith('vigil-review-') && b.block_id !== 'vigil-review-page').map((b) => Number(b.block_id!.slice('vigil-review-'.length)));
    const shown = suspectsOn(first);
    expect(shown).toHaveLength(5);
    const next = first.find((b) => b.block_id === 'vigil-review-page')!.elements![0]!;
    expect(next.action_id).toBe(ACTION_IDS.reviewPage);
    const responseUrl = bot.fake.responseUrl();
    await postSigned(bot.url, interactionBody(buttonClick({ user: 'U0REVIEW', actionId: ACTION_IDS.reviewPage, value: next.value!, channel: 'C00000001', messageTs: '1.1', responseUrl })));
    const id = responseUrl.split('/').pop();
    const body = await until('page two', () => bot.fake.responses.find((r) => r.id === id)?.body);
    expect(body.replace_original).toBe(true);
    const later = suspectsOn(body.blocks as Block[]);
    expect(later.length).toBeGreaterThan(0);
    expect(later.some((s) => shown.includes(s))).toBe(false);
  });
});
