import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFinding } from '../../../core/db/findings.js';
import { hostOf, normalizeUrl } from '../../../core/url.js';
import { decodeFindingButton } from '../../../bot/slack/action-ids.js';
import { startFakeSlack, type FakeSlack, type SlackMessage, BOT_TOKEN } from '../../support/fake-slack.js';
import { runCli, startCli, type StartedCli } from '../../support/cli.js';
import { openTestServices, type TestServices } from '../../support/services.js';
import { until } from '../../support/slack-bot.js';
import { buttonClick, interactionBody, postSigned, SIGNING_SECRET } from '../../support/slack-requests.js';

/**
 * The whole loop as an operator runs it: the example catalog applied with `vigil apply`, the bot
 * run by `vigil slack`, findings recorded as a monitoring round records them, and people clicking
 * the cards' buttons with requests signed as Slack signs them. Nothing of Vigil's is replaced.
 */

const ROOT = path.resolve(import.meta.dirname, '../../..');
const APPROVER = 'U024BE7LH'; // the example Policy's takedown approver
const GROUP = 'S0614TZR7'; // …and a user group named there

function buttonsOf(message: SlackMessage): { action_id: string; value: string }[] {
  const actions = (message.blocks ?? []).filter((b): b is { type: string; elements: { action_id: string; value: string }[] } => (b as { type: string }).type === 'actions');
  return actions.flatMap((b) => b.elements);
}

function textOf(message: SlackMessage | undefined): string {
  return JSON.stringify(message?.blocks ?? []) + (message?.text ?? '');
}

describe('Slack end to end: finding → card → click → card edited in place', () => {
  let services: TestServices;
  let fake: FakeSlack;
  let bot: StartedCli;
  const stop = new AbortController();
  let url: string;

  beforeAll(async () => {
    services = await openTestServices();
    fake = await startFakeSlack({ usergroups: { [GROUP]: ['U0GROUPIE'] } });
    expect((await runCli(['apply', 'catalog'], services.env, ROOT)).code).toBe(0);
    const env = { ...services.env, SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_SIGNING_SECRET: SIGNING_SECRET, SLACK_API_URL: fake.apiUrl, VIGIL_SLACK_PORT: '0', VIGIL_SLACK_POST_RATE: '20' };
    bot = startCli(['slack'], env, ROOT, stop.signal);
    url = await until('vigil slack to listen', () => /Slack requests at (http:\S+)/.exec(bot.stdout())?.[1], 20_000);
  });
  afterAll(async () => {
    stop.abort();
    expect((await bot.done).code).toBe(0);
    await fake.close();
    await services.close();
  });

  it('posts a round as a summary with its cards in the thread, and a click edits the card with who acted', async () => {
    const ids: number[] = [];
    for (const n of [1, 2]) {
      const link = `https://streamfree.to/watch/moonlit-harbor-e0${n}`;
      const { finding } = await recordFinding(services.db.pool, {
        contentId: 'moonlit-harbor-s01', monitoringJobId: 'moonlit-harbor-s01-watch', url: link, normalizedUrl: normalizeUrl(link), host: hostOf(link),
        pageTitle: `Moonlit Harbor episode ${n} free`, source: 'web', score: 14, matchDistance: 0.06,
        evidence: { phase2: { kind: 'video', media: `${link}.mp4`, matchedTimes: [{ from: 12, to: 95 }] }, episode: n },
        takedownStatus: 'Available', detectionStatus: 'Available', roundId: 'round-e2e',
      }, { actor: 'monitor', reason: 'phase 2 matched' });
      ids.push(finding.id);
    }
    const channel = fake.channelId('#vigil-findings');
    await expect.poll(() => fake.messages(channel).length, { timeout: 20_000 }).toBe(3);
    const [summary, ...cards] = fake.messages(channel);
    expect(summary!.thread_ts).toBeUndefined();
    expect(textOf(summary)).toContain('Moonlit Harbor');
    for (const card of cards) expect(card.thread_ts).toBe(summary!.ts);

    // Watermarked and not yet detected: Take down is the override, Detect is offered.
    const first = cards.find((c) => textOf(c).includes(`#${ids[0]}`))!;
    const buttons = buttonsOf(first);
    expect(buttons.map((b) => b.action_id)).toEqual(expect.arrayContaining(['vigil.takedown.override', 'vigil.detect', 'vigil.ignore']));
    const override = buttons.find((b) => b.action_id === 'vigil.takedown.override')!;
    expect(decodeFindingButton(override.value)?.findingId).toBe(ids[0]);

    const click = buttonClick({ user: APPROVER, actionId: override.action_id, value: override.value, channel, messageTs: first.ts, responseUrl: fake.responseUrl() });
    const answer = await postSigned(url, interactionBody(click));
    expect(answer.status).toBe(200);
    expect(answer.ms).toBeLessThan(3000);
    // The same click again, as Slack retries it: nothing more happens.
    expect((await postSigned(url, interactionBody(click), { retryNum: 1 })).status).toBe(200);

    await expect.poll(() => textOf(fake.message(channel, first.ts)), { timeout: 20_000 }).toContain('Takedown requested');
    expect(textOf(fake.message(channel, first.ts))).toContain(`<@${APPROVER}>`);
    await expect.poll(() => fake.messages(channel).filter((m) => m.thread_ts === summary!.ts).length, { timeout: 20_000 }).toBe(3);
    const { rows } = await services.db.pool.query<{ actor: string; n: number }>(
      `select actor, count(*)::int as n from audit_log where action = 'takedown-status' and object_id = $1 group by actor`, [String(ids[0])]);
    expect(rows).toEqual([{ actor: `slack:${APPROVER}`, n: 1 }]);
  });

  it('tells someone the Policy does not name which role they need, privately, and audits the refusal', async () => {
    const channel = fake.channelId('#vigil-findings');
    const card = fake.messages(channel).find((m) => m.thread_ts && buttonsOf(m).some((b) => b.action_id === 'vigil.takedown.override'))!;
    const button = buttonsOf(card).find((b) => b.action_id === 'vigil.takedown.override')!;
    const before = fake.ephemerals.length;
    const click = buttonClick({ user: 'U0NOBODY', actionId: button.action_id, value: button.value, channel, messageTs: card.ts, responseUrl: fake.responseUrl() });
    expect((await postSigned(url, interactionBody(click))).status).toBe(200);
    await expect.poll(() => fake.ephemerals.length, { timeout: 20_000 }).toBeGreaterThan(before);
    const told = fake.ephemerals.at(-1)!;
    expect(told.user).toBe('U0NOBODY');
    expect(told.text ?? JSON.stringify(told.blocks)).toMatch(/takedown approver/);
    const { rows } = await services.db.pool.query<{ n: number }>(`select count(*)::int as n from audit_log where actor = 'slack:U0NOBODY' and action = 'slack-action-refused'`);
    expect(rows[0]!.n).toBe(1);
    const finding = decodeFindingButton(button.value)!.findingId;
    const status = await services.db.pool.query<{ takedown_status: string }>('select takedown_status from findings where id = $1', [finding]);
    expect(status.rows[0]!.takedown_status).toBe('Available');
  });
});
