import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFinding, initialStatuses, type FindingInput } from '../../../core/db/findings.js';
import { detectionRequestById, requestLinkDetection, setDetectionRequestStatus } from '../../../core/db/detection-requests.js';
import { drainOutbox, outboxRows } from '../../../core/db/outbox.js';
import { recordRevocation } from '../../../core/db/revocations.js';
import { suspectById } from '../../../core/db/review.js';
import { findingActionJobId, type FindingActionPayload } from '../../../core/queues.js';
import { hostOf, normalizeUrl } from '../../../core/url.js';
import { ACTION_IDS } from '../../../bot/slack/action-ids.js';
import { startSlackBotUnderTest, until, type SlackBotUnderTest } from '../../support/slack-bot.js';
import { buttonClick, commandBody, interactionBody, postSigned } from '../../support/slack-requests.js';

let bot: SlackBotUnderTest;
const findingIds: number[] = [];

function finding(url: string, contentId: string, seenAt: Date): FindingInput {
  return {
    contentId, url, normalizedUrl: normalizeUrl(url), host: hostOf(url), siteId: 'streamfree', family: 'streamfree', pageTitle: 'watch online', source: 'web',
    score: 10, evidence: {}, seenAt, ...initialStatuses({ takedown: 'manual', detection: 'manual' }, { watermarked: false }),
  };
}

beforeAll(async () => {
  bot = await startSlackBotUnderTest();
  const pool = bot.services.db.pool;
  await pool.query(`insert into catalog_objects (kind, id, spec, metadata, spec_hash) values
    ('Content', 'orchard', $1, '{"id":"orchard"}', 'h1'), ('Content', 'moonlit', $2, '{"id":"moonlit"}', 'h2')`, [
    JSON.stringify({ type: 'film', title: 'The Iron Orchard', releaseDate: '2025-11-14' }),
    JSON.stringify({ type: 'season', title: 'Moonlit Harbor', season: 1, releaseDate: '2026-03-06' }),
  ]);
  await pool.query(`insert into monitoring_jobs (id, content_id, tier, detection, takedown, every_ms, status, status_reason, start_date) values ('orchard-watch', 'orchard', 'premium', 'manual', 'manual', 3600000, 'Monitoring', 'since 2025-11-14', '2025-11-14')`);
  for (let i = 0; i < 12; i += 1) {
    const { finding: f } = await recordFinding(pool, finding(`https://streamfree.to/watch/orchard-${i}`, 'orchard', new Date(Date.UTC(2026, 2, 1 + i, 12))), { actor: 'test', reason: 'seed' });
    findingIds.push(f.id);
  }
  await recordFinding(pool, finding('https://other.example/moonlit-1', 'moonlit', new Date(Date.UTC(2026, 2, 5))), { actor: 'test', reason: 'seed' });
});
afterAll(() => bot.close());

async function command(text: string, fields: { user?: string; trigger?: string } = {}): Promise<{ status: number; ms: number; ack: { text?: string; response_type?: string } | undefined; responseUrl: string }> {
  const responseUrl = bot.fake.responseUrl();
  const res = await postSigned(bot.url, commandBody({ text, user_id: fields.user ?? 'U0ALICE', response_url: responseUrl, ...(fields.trigger ? { trigger_id: fields.trigger } : {}) }));
  return { status: res.status, ms: res.ms, ack: res.text ? (JSON.parse(res.text) as { text?: string }) : undefined, responseUrl };
}

/** The response_url posts to one command's url. */
async function answers(responseUrl: string, count = 1): Promise<Record<string, unknown>[]> {
  const id = responseUrl.split('/').pop();
  return until(`an answer at ${responseUrl}`, () => {
    const mine = bot.fake.responses.filter((r) => r.id === id).map((r) => r.body);
    return mine.length >= count ? mine : undefined;
  });
}

function blockTexts(body: Record<string, unknown>): string[] {
  return ((body.blocks ?? []) as { text?: { text?: string } }[]).map((b) => b.text?.text ?? '').filter(Boolean);
}

describe('/vigil', () => {
  it('answers help in the ack, ephemeral, listing every subcommand', async () => {
    const { status, ack } = await command('help');
    expect(status).toBe(200);
    expect(ack).toMatchObject({ response_type: 'ephemeral' });
    for (const sub of ['status', 'findings', 'takedown', 'ignore', 'detect', 'review', 'report', 'register']) expect(ack?.text).toContain(`/vigil ${sub}`);
  });

  it('answers a wrong argument with the usage of that subcommand, ephemeral, never a stack trace', async () => {
    const { status, ack } = await command('takedown banana');
    expect(status).toBe(200);
    expect(ack?.response_type).toBe('ephemeral');
    expect(ack?.text).toContain('`banana` is not a finding ID');
    expect(ack?.text).toContain('Usage: `/vigil takedown ID [--override]`');
    expect(ack?.text).not.toMatch(/\n\s+at |Error:/);
    const filters = await command('findings --tz Mars/Olympus');
    expect(filters.ack?.text).toContain('is not a time zone');
    expect(filters.ack?.text).toContain('Usage: `/vigil findings');
  });

  it('tells a finding that does not exist apart from a typo: the finding-action job answers it, the ack only takes it', async () => {
    const { ack } = await command('ignore #999999', { trigger: '111.222.333' });
    expect(ack?.text).toContain('Ignore finding #999999: asked');
    const job = await until('the finding-action job', () => bot.queue.getJob(findingActionJobId({ findingId: 999_999, action: 'ignore', user: 'U0ALICE', requestKey: '111.222.333' })));
    expect(job.name).toBe('finding-action');
  });

  it('shows status: monitoring jobs, recipients, reconciliations and open findings by status', async () => {
    const { ack, ms, responseUrl } = await command('Status');
    // The ack is empty and comes first (well inside Slack's 3 s); the database is read after it.
    expect(ack).toBeUndefined();
    expect(ms).toBeLessThan(3000);
    const [body] = await answers(responseUrl);
    expect(body).toMatchObject({ response_type: 'ephemeral' });
    expect(body!.text).toContain('`orchard-watch` orchard · premium · *Monitoring*');
    expect(body!.text).toContain('*Open findings*: 13');
    expect(body!.text).toContain('13 Available');
    expect(body!.text).toContain('*Revocation pushes owed to CDN mirrors*\n  (none)');
    // A revocation Akamai has not taken yet: the same summary as vigil status shows it.
    await recordRevocation(bot.services.db.pool, { op: 'add', listId: 1, items: [{ id: 'sess-owed-1', durationSeconds: 3600 }] }, ['akamai'], { actor: 'test', reason: 'owed push' });
    const again = await command('status');
    const [owed] = await answers(again.responseUrl);
    expect(owed!.text).toMatch(/\*Revocation pushes owed to CDN mirrors\*\n• akamai: 1 owed since \S+Z, next try \S+Z/);
  });

  it('lists findings with the CLI filters a page at a time, and Next page runs the same query on', async () => {
    const { responseUrl } = await command('findings \u201CIron Orchard\u201D --from 2026-03-02 --tz Europe/Paris --takedown available');
    const [first] = await answers(responseUrl);
    const lines = blockTexts(first!);
    expect(lines[0]).toContain('Findings 1–10');
    // Newest first, and orchard-0 (1 March) is before --from: 11 match.
    expect(lines[1]).toContain(`*#${findingIds[11]}*`);
    expect(lines.some((l) => l.includes('moonlit'))).toBe(false);
    const actions = (first!.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]).find((b) => b.type === 'actions');
    expect(actions?.elements?.[0]?.action_id).toBe(ACTION_IDS.findingsPage);
    const pageUrl = bot.fake.responseUrl();
    const click = await postSigned(bot.url, interactionBody(buttonClick({ user: 'U0ALICE', actionId: ACTION_IDS.findingsPage, value: actions!.elements![0]!.value, channel: 'C00000001', messageTs: '1.1', responseUrl: pageUrl })));
    expect(click.status).toBe(200);
    const [second] = await answers(pageUrl);
    expect(second).toMatchObject({ replace_original: true });
    const more = blockTexts(second!);
    expect(more[0]).toContain('Findings 11–11 of 11');
    expect(more[1]).toContain(`*#${findingIds[1]}*`);
    expect((second!.blocks as { type: string }[]).some((b) => b.type === 'actions')).toBe(false);
  });

  it('refuses a forged page button with a clear message', async () => {
    const pageUrl = bot.fake.responseUrl();
    await postSigned(bot.url, interactionBody(buttonClick({ user: 'U0ALICE', actionId: ACTION_IDS.findingsPage, value: '{"q":{"tz":"Nowhere/Land"},"o":0}', channel: 'C00000001', messageTs: '1.1', responseUrl: pageUrl })));
    const [body] = await answers(pageUrl);
    expect(body!.text).toContain('not one Vigil made');
  });

  it('queues takedown ID as a finding-action job keyed by the command\'s trigger id', async () => {
    const findingId = findingIds[3]!;
    const { ack } = await command(`takedown #${findingId}`, { trigger: '9.8.7' });
    expect(ack?.text).toContain(`Take down finding #${findingId}: asked`);
    const job = await until('the job', () => bot.queue.getJob(findingActionJobId({ findingId, action: 'takedown', user: 'U0ALICE', requestKey: '9.8.7' })));
    expect(job.data as FindingActionPayload).toMatchObject({ findingId, action: 'takedown', override: false, via: 'command', requestKey: '9.8.7', channel: 'C00000001' });
  });

  it('detect URL on a link monitoring did not find records a request with its detect job; on a found link it detects the finding', async () => {
    const { responseUrl } = await command('detect <https://leak.example/v/1.mp4|leak.example/v/1.mp4>');
    const [body] = await answers(responseUrl);
    const requestId = Number(/Detection request #(\d+)/.exec(String(body!.text))?.[1]);
    expect(await detectionRequestById(bot.services.db.pool, requestId)).toMatchObject({ url: 'https://leak.example/v/1.mp4', requestedBy: 'U0ALICE', channel: 'C00000001', status: 'Downloading', via: 'slack' });
    expect((await outboxRows(bot.services.db.pool)).filter((r) => r.name === 'url').map((r) => r.payload)).toEqual([{ requestId }]);

    const found = await command('detect https://www.streamfree.to/watch/orchard-5/?utm_source=x', { trigger: '5.5.5' });
    const [answer] = await answers(found.responseUrl);
    expect(answer!.text).toContain(`finding #${findingIds[5]}`);
    const job = await until('the detect job', () => bot.queue.getJob(findingActionJobId({ findingId: findingIds[5]!, action: 'detect', user: 'U0ALICE', requestKey: '5.5.5' })));
    expect(job.data).toMatchObject({ action: 'detect', via: 'command' });
  });

  it('report puts the link in the review queue with the reporter and note', async () => {
    const { responseUrl } = await command('report <https://pirate.example/orchard|pirate.example/orchard> whole film in 1080p', { user: 'U0BOB' });
    const [body] = await answers(responseUrl);
    const suspectId = Number(/suspect #(\d+)/.exec(String(body!.text))?.[1]);
    expect(await suspectById(bot.services.db.pool, suspectId)).toMatchObject({ reporter: 'U0BOB', note: 'whole film in 1080p', source: 'report', review: 'queued', contentId: null });
  });

  it('posts a link detection\'s result where it was asked: the recipient and confidence, no watermark, the requirement unmet, or why it could not run', async () => {
    const pool = bot.services.db.pool;
    const found = await requestLinkDetection(pool, { url: 'https://leak.example/found.mp4', requestedBy: 'U0ALICE', channel: 'C0000ASK1' });
    const clean = await requestLinkDetection(pool, { url: 'https://leak.example/clean.mp4', requestedBy: 'U0BOB', channel: 'C0000ASK1' });
    const broken = await requestLinkDetection(pool, { url: 'https://leak.example/gone.mp4', requestedBy: 'U0BOB', channel: 'C0000ASK1' });
    const short = await requestLinkDetection(pool, { url: 'https://leak.example/trailer.mp4', requestedBy: 'U0BOB', channel: 'C0000ASK1' });
    await setDetectionRequestStatus(pool, found.id, 'Completed', { actor: 'detector', reason: 'found' }, { found: true, watermarkId: 4242, recipient: { name: 'Festival Screener', recipientId: 'festival' }, confidence: 0.987 });
    await setDetectionRequestStatus(pool, clean.id, 'Failed', { actor: 'detector', reason: 'no watermark found in 300 frames' }, { found: false, watermarkId: null, recipient: null, confidence: 0.12 });
    await setDetectionRequestStatus(pool, broken.id, 'Error', { actor: 'detector', reason: 'VIGIL-E0402: https://leak.example/gone.mp4 answered 404' });
    await setDetectionRequestStatus(pool, short.id, 'Error', { actor: 'detector', reason: 'VIGIL-E0409: the copy is 5.0 s long; detection needs at least 10 s of video' }, { found: false, requirement: 'too short' });
    // The relay moves the owed slack jobs to the queue, as every worker process does.
    await drainOutbox(pool, async (job) => { if (job.queue === 'slack') await bot.queue.add(job.name, job.payload, { jobId: job.jobId }); });
    const posts = await until('four result posts', () => {
      const mine = bot.fake.messages('C0000ASK1');
      return mine.length >= 4 ? mine : undefined;
    });
    const texts = posts.map((m) => m.text ?? '');
    expect(texts.find((t) => t.includes(`#${found.id}`))).toBe(`<@U0ALICE> detection request #${found.id} on https://leak.example/found.mp4: Completed — the copy was made for *Festival Screener* (watermark ID 4242) (confidence 98.7 %).`);
    expect(texts.find((t) => t.includes(`#${clean.id}`))).toContain('Failed — no watermark found (confidence 12.0 %)');
    expect(texts.find((t) => t.includes(`#${broken.id}`))).toContain('Error — detection could not run: VIGIL-E0402: https://leak.example/gone.mp4 answered 404');
    expect(texts.find((t) => t.includes(`#${short.id}`))).toContain('Error — the copy does not meet the detection requirements: it is too short.');
  });
});
