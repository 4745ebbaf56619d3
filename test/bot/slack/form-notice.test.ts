import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORM_NOTICE_JOB, processFormNotice } from '../../../bot/slack/form-notice.js';
import { startPoster, type Poster } from '../../../bot/slack/poster.js';
import { recordFinding } from '../../../core/db/findings.js';
import { claimNotice, createNotices, recordNoticeOutcome } from '../../../core/db/notices.js';
import { drainOutbox, outboxRows } from '../../../core/db/outbox.js';
import { silentLogger } from '../../../core/log.js';
import { formNoticeJob, QUEUES } from '../../../core/queues.js';
import { hostOf, normalizeUrl } from '../../../core/url.js';
import { formText } from '../../../runners/takedown/channels/form.js';
import { applyCatalog, contentDoc } from '../../support/applied-catalog.js';
import { BOT_TOKEN, type SlackMessage } from '../../support/fake-slack.js';
import { startSlackBotUnderTest, until, type SlackBotUnderTest } from '../../support/slack-bot.js';

/**
 * A form-channel notice recorded as prepared → its 'form-notice' job in the outbox (same transaction)
 * → the relay → the slack-queue worker → a post in the finding cards' thread on the fake Slack, with
 * the form's URL and the text; once per notice; a text too long for one block goes as a file.
 */

const POLICY = `apiVersion: vigil/v1
kind: Policy
metadata:
  id: policy
spec:
  channels:
    findings: '#vigil-findings'
`;
const FORM_URL = 'https://cyberlocker.example/dmca?lang=en&form=1';

describe('form notices in Slack', () => {
  let bot: SlackBotUnderTest;
  let poster: Poster;
  let n = 0;

  beforeAll(async () => {
    bot = await startSlackBotUnderTest();
    await applyCatalog(bot.services.db.pool, contentDoc('moonlit'), POLICY);
    poster = startPoster({ pool: bot.services.db.pool, config: { botToken: BOT_TOKEN, apiUrl: bot.fake.apiUrl, postsPerSecond: 50 }, log: silentLogger, pollMs: 50 });
  }, 60_000);
  afterAll(async () => {
    await poster?.close();
    await bot?.close();
  });

  const relay = () => drainOutbox(bot.services.db.pool, async (job) => {
    if (job.queue === QUEUES.slack) await bot.queue.add(job.name, job.payload, { jobId: job.jobId });
  });
  const cardOfFinding = (id: number) => until(`the card of finding ${id}`, () => bot.fake.messages('#vigil-findings').find((m) => m.thread_ts && (m.text ?? '').includes(`/f/${id}-`)), 10_000);

  /** Findings with posted cards, and a form notice listing them recorded as prepared, as the takedown worker records it. */
  async function preparedFormNotice(text: string, findings = 1): Promise<{ noticeId: number; cards: SlackMessage[] }> {
    const ids: number[] = [];
    const urls: string[] = [];
    for (let i = 0; i < findings; i += 1) {
      n += 1;
      const url = `https://cyberlocker.example/f/${n}-leak`;
      urls.push(url);
      ids.push((await recordFinding(bot.services.db.pool, {
        contentId: 'moonlit', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: 'Moonlit', source: 'web', score: 9, evidence: {},
        takedownStatus: 'Takedown requested', detectionStatus: 'Not Available',
      }, { actor: 'test', reason: 'fixture' })).finding.id);
    }
    const cards = await Promise.all(ids.map(cardOfFinding));
    const { created } = await createNotices(bot.services.db.pool, [{
      key: `form-${n}`, contact: FORM_URL, channel: 'form', language: 'en', dir: 'ltr', subject: 'DMCA notice: Moonlit & friends', text, html: '<p>x</p>',
      urls, works: [], sender: { name: 'Jane Roe', email: 'legal@harbor.test' }, part: { index: 1, total: 1 }, findingIds: ids,
    }]);
    const noticeId = created[0]!.id;
    await claimNotice(bot.services.db.pool, noticeId);
    const prepared = formText(text);
    await recordNoticeOutcome(bot.services.db.pool, noticeId, [{
      outcome: 'sent', channel: 'form', at: new Date(), externalId: `form:${n}`,
      details: { manual: true, formUrl: FORM_URL, subject: 'DMCA notice: Moonlit & friends', text: prepared, chars: [...prepared].length },
    }], { status: 'sent' }, { firstAfterMinutes: 60, now: new Date() });
    return { noticeId, cards };
  }

  const postsOf = (noticeId: number) => bot.fake.messages('#vigil-findings').filter((m) => (m.text ?? '').startsWith(`Takedown notice #${noticeId} `));
  const blockText = (m: SlackMessage) => JSON.stringify(m.blocks ?? []);

  it('posts a prepared form notice in its card thread with the form URL and the text in a code block, once', async () => {
    const text = 'To the abuse desk of cyberlocker.example,\r\n\r\n\r\nThe file at https://cyberlocker.example/f/1 infringes <Moonlit Harbor>.   \nI swear under penalty of perjury.';
    const { noticeId, cards } = await preparedFormNotice(text);
    const jobs = (await outboxRows(bot.services.db.pool)).filter((r) => r.jobId === formNoticeJob(noticeId).jobId);
    expect(jobs).toMatchObject([{ queue: 'slack', name: FORM_NOTICE_JOB, payload: { noticeId } }]);
    await relay();
    const [post] = await until('the form notice post', () => (postsOf(noticeId).length > 0 ? postsOf(noticeId) : undefined), 10_000);
    expect(post!.thread_ts).toBe(cards[0]!.thread_ts);
    const blocks = blockText(post!);
    expect(blocks).toContain('https://cyberlocker.example/dmca?lang=en&amp;form=1');
    // The text as formText prepared it, escaped for mrkdwn, inside a code block.
    expect(blocks).toContain(JSON.stringify('```To the abuse desk of cyberlocker.example,\n\nThe file at https://cyberlocker.example/f/1 infringes &lt;Moonlit Harbor&gt;.\nI swear under penalty of perjury.```'));
    expect(blocks).toContain('A person must paste this text into the form');
    expect(blocks).toContain('mark it done');
    expect(bot.fake.uploads).toHaveLength(0);
    // The card itself, edited in place, now says where its notice stands.
    await until('the card edited with its notice', () => bot.fake.messages('#vigil-findings').find((m) => m.ts === cards[0]!.ts && blockText(m).includes(`Notice #${noticeId} prepared`)), 10_000);

    // The relay adding the job again, and the job run again, post nothing new.
    await bot.queue.add(FORM_NOTICE_JOB, { noticeId }, { jobId: formNoticeJob(noticeId).jobId });
    expect(await processFormNotice({ id: 'again', data: { noticeId } } as Job, bot.deps)).toMatchObject({ outcome: 'posted' });
    await new Promise((r) => setTimeout(r, 300));
    expect(postsOf(noticeId)).toHaveLength(1);
  });

  it('posts once per thread for a notice listing several findings of one round', async () => {
    const { noticeId } = await preparedFormNotice('Two links: /f/a and /f/b.', 2);
    await relay();
    await until('the form notice post', () => (postsOf(noticeId).length > 0 ? postsOf(noticeId) : undefined), 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(postsOf(noticeId)).toHaveLength(1);
    expect(postsOf(noticeId)[0]!.text).toContain(FORM_URL);
  });

  it('attaches a notice longer than one block as a text file in the thread, whole', async () => {
    const line = 'https://cyberlocker.example/f/long-link-listed-in-the-notice-0000 infringes Moonlit Harbor (2026).';
    const text = Array.from({ length: 60 }, (_, i) => `${i + 1}. ${line}`).join('\n');
    expect(text.length).toBeGreaterThan(3000);
    const { noticeId, cards } = await preparedFormNotice(text);
    await relay();
    const [post] = await until('the form notice post', () => (postsOf(noticeId).length > 0 ? postsOf(noticeId) : undefined), 10_000);
    const upload = await until('the uploaded notice', () => bot.fake.uploads.find((u) => u.filename === `takedown-notice-${noticeId}.txt` && u.shared), 10_000);
    expect(upload.bytes!.toString('utf8')).toBe(`${text}\n`);
    expect(upload.shared).toMatchObject({ thread_ts: cards[0]!.thread_ts });
    expect(upload.shared!.initial_comment).toContain(FORM_URL);
    expect(upload.shared!.initial_comment).toContain('A person must paste this text into the form');
    // One message in the thread: the file's share, with the URL and what to do; no code block cut from the text.
    expect(postsOf(noticeId)).toHaveLength(1);
    expect(post!.thread_ts).toBe(cards[0]!.thread_ts);
    expect(post!.text).toContain('attached file');
    expect(post!.files).toEqual([expect.objectContaining({ id: upload.fileId })]);
  });

  it('posts nothing for a notice sent by e-mail', async () => {
    expect(formNoticeJob(1).jobId).toBe('form-notice-1');
    const before = (await outboxRows(bot.services.db.pool)).filter((r) => r.name === FORM_NOTICE_JOB).length;
    n += 1;
    const url = `https://cyberlocker.example/f/${n}-mail`;
    const id = (await recordFinding(bot.services.db.pool, {
      contentId: 'moonlit', url, normalizedUrl: normalizeUrl(url), host: hostOf(url), pageTitle: 'Moonlit', source: 'web', score: 9, evidence: {},
      takedownStatus: 'Takedown requested', detectionStatus: 'Not Available',
    }, { actor: 'test', reason: 'fixture' })).finding.id;
    const { created } = await createNotices(bot.services.db.pool, [{
      key: `mail-${n}`, contact: 'abuse@cyberlocker.example', channel: 'smtp', language: 'en', dir: 'ltr', subject: 'Notice', text: 'text', html: '<p>x</p>',
      urls: [url], works: [], sender: { name: 'Jane Roe', email: 'legal@harbor.test' }, part: { index: 1, total: 1 }, findingIds: [id],
    }]);
    await claimNotice(bot.services.db.pool, created[0]!.id);
    await recordNoticeOutcome(bot.services.db.pool, created[0]!.id, [{ outcome: 'sent', channel: 'smtp', at: new Date(), externalId: '<m@x>', details: {} }], { status: 'sent' }, { firstAfterMinutes: 60, now: new Date() });
    expect((await outboxRows(bot.services.db.pool)).filter((r) => r.name === FORM_NOTICE_JOB)).toHaveLength(before);
    expect(await processFormNotice({ id: 'x', data: { noticeId: created[0]!.id } } as Job, bot.deps)).toEqual({ outcome: 'not-form' });
  });
});
