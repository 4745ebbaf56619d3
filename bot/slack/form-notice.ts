import type { types } from '@slack/bolt';
import type { Job } from 'bullmq';
import { cardOf } from '../../core/db/chat-cards.js';
import { noticeById, type NoticeRecord } from '../../core/db/notices.js';
import { VigilError } from '../../core/errors.js';
import type { SlackDeps } from './deps.js';
import { uploadToThread } from './evidence.js';
import { escapeMrkdwn, mrkdwnLink } from './mrkdwn.js';
import { clip, SLACK_LIMITS, type SlackMessageBody } from './card.js';

/**
 * The 'form-notice' job (core/queues.ts formNoticeJob, written when a form-channel notice is recorded
 * as prepared): the form channel sends nothing, so its text is posted in the thread of the cards of the
 * findings it lists, with the form's URL and what the person must do. A text that fits one section
 * (Slack's 3,000 characters) is a code block there; a longer one is attached as a text file through the
 * external upload the evidence pack uses, so that it is copied whole, never from pieces.
 */

export const FORM_NOTICE_JOB = 'form-notice';

/** What a person pastes and where: from the form channel's receipt (runners/takedown/channels/form.ts). */
export interface PreparedForm {
  noticeId: number;
  formUrl: string;
  subject: string;
  text: string;
  findingIds: number[];
}

/** The prepared form of a notice, or undefined when it is no form notice prepared (yet). */
export function preparedForm(notice: NoticeRecord): PreparedForm | undefined {
  if (notice.channel !== 'form' || notice.status !== 'sent') return undefined;
  const receipt = [...notice.receipts].reverse().find((r) => r.outcome === 'sent' && r.details.manual === true);
  const formUrl = typeof receipt?.details.formUrl === 'string' ? receipt.details.formUrl : notice.contact;
  const text = typeof receipt?.details.text === 'string' ? receipt.details.text : notice.text;
  return { noticeId: notice.id, formUrl, subject: notice.subject, text, findingIds: notice.findingIds };
}

const FENCE = '```';

/** The text as a code block when it fits one section; undefined when it must go as a file. */
export function codeBlock(text: string): string | undefined {
  // A fence inside the text would end the block early: such a text goes as a file.
  if (text.includes(FENCE)) return undefined;
  const block = `${FENCE}${escapeMrkdwn(text)}${FENCE}`;
  return [...block].length <= SLACK_LIMITS.text ? block : undefined;
}

const TODO = 'A person must paste this text into the form, fill its own fields from it (subject, links, contact), submit it, and then mark it done by replying in this thread with who sent it and when. Vigil\'s re-checks follow the links meanwhile.';

function headLine(form: PreparedForm): string {
  const findings = form.findingIds.map((id) => `#${id}`).join(', ');
  return `:memo: Takedown notice #${form.noticeId} (finding ${findings}) is prepared for the web form at ${mrkdwnLink(form.formUrl, clip(form.formUrl, 200))}. Nothing was sent: the site takes notices only through its form.`;
}

const fallback = (form: PreparedForm): string =>
  clip(`Takedown notice #${form.noticeId} prepared for the web form at ${form.formUrl}: paste it, submit it, then mark it done.`, SLACK_LIMITS.fallback);

/** The thread post for a text that fits one section: the form's URL, the text in a code block, what a person must do. */
export function formNoticeMessage(form: PreparedForm, block: string): SlackMessageBody {
  const blocks: types.KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: clip(headLine(form), SLACK_LIMITS.text) } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(`*Subject:* ${escapeMrkdwn(form.subject)}`, SLACK_LIMITS.text) } },
    { type: 'section', text: { type: 'mrkdwn', text: block } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: TODO }] },
  ];
  return { text: fallback(form), blocks };
}

/** The comment a longer text is shared with as a file (a file share takes text, no blocks). */
export function formNoticeComment(form: PreparedForm): string {
  return clip(`${fallback(form)}\n${headLine(form)}\n*Subject:* ${escapeMrkdwn(form.subject)}\nThe text is in the attached file (too long for one Slack message block).\n${TODO}`, 3900);
}

/** The threads the notice's findings' cards live in, each once (one notice lists many findings of one round). */
async function threadsOf(deps: SlackDeps, findingIds: readonly number[]): Promise<{ channel: string; threadTs: string }[]> {
  const threads = new Map<string, { channel: string; threadTs: string }>();
  for (const id of findingIds) {
    const card = await cardOf(deps.pool, id);
    if (card?.state === 'posted' && card.channelId && card.threadTs) threads.set(`${card.channelId}:${card.threadTs}`, { channel: card.channelId, threadTs: card.threadTs });
    else if (card && card.state !== 'skipped') {
      // The poster has not posted the card yet: a plain error, so the job is tried again later.
      throw new Error(`the card of finding ${id} is not posted yet (${card.state}); the form notice waits for it`);
    }
  }
  return [...threads.values()];
}

export type FormNoticeResult = { outcome: 'posted'; threads: number; attached: boolean } | { outcome: 'not-form' | 'no-card' };

/**
 * Posts a prepared form notice in each card thread once. BullMQ's job id makes the job one per notice;
 * a Redis mark per thread keeps a retried job (one that posted in one thread and failed in the next)
 * from posting twice where it already did.
 */
export async function processFormNotice(job: Job, deps: SlackDeps): Promise<FormNoticeResult> {
  const noticeId = (job.data as { noticeId?: unknown } | null)?.noticeId;
  if (!Number.isSafeInteger(noticeId)) throw new VigilError('JOB_PAYLOAD_INVALID', `a form-notice job needs { noticeId }, got ${JSON.stringify(job.data)}`);
  const notice = await noticeById(deps.pool, noticeId as number);
  if (!notice) throw new VigilError('JOB_PAYLOAD_INVALID', `no notice has id ${String(noticeId)}`);
  const form = preparedForm(notice);
  if (!form) return { outcome: 'not-form' };
  const threads = await threadsOf(deps, form.findingIds);
  const log = deps.log.child({ noticeId: form.noticeId, jobId: job.id });
  if (threads.length === 0) {
    log.warn({ findings: form.findingIds }, 'a form notice has no finding card in Slack to post in');
    return { outcome: 'no-card' };
  }
  const block = codeBlock(form.text);
  for (const where of threads) {
    const mark = `${deps.keyPrefix}:form-notice-posted:${form.noticeId}:${where.channel}:${where.threadTs}`;
    if (await deps.redis.exists(mark)) continue;
    if (block) {
      await deps.client.chat.postMessage({ channel: where.channel, thread_ts: where.threadTs, unfurl_links: false, unfurl_media: false, ...formNoticeMessage(form, block) });
    } else {
      const bytes = Buffer.from(`${form.text}\n`, 'utf8');
      await uploadToThread(deps, { name: `takedown-notice-${form.noticeId}.txt`, title: `Takedown notice #${form.noticeId} for ${clip(form.formUrl, 150)}`, bytes }, where, formNoticeComment(form));
    }
    // Marked after the post: a worker killed in between posts it once more, never loses it.
    await deps.redis.set(mark, '1', 'EX', 30 * 24 * 3600);
  }
  const attached = block === undefined;
  log.info({ threads: threads.length, attached }, 'form notice posted for a person to paste');
  return { outcome: 'posted', threads: threads.length, attached };
}
