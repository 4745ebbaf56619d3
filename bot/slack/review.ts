import type { BlockAction, ButtonAction, types } from '@slack/bolt';
import type { Job } from 'bullmq';
import { decideSuspect, recordReviewRefusal, reviewContents, reviewPage, type ReviewEntry } from '../../core/db/review.js';
import { VigilError } from '../../core/errors.js';
import { reviewDecisionJobId, type ReviewDecisionPayload } from '../../core/queues.js';
import { ACTION_IDS } from './action-ids.js';
import { authorize } from './approvers.js';
import type { SlackDeps, SlackFeature } from './deps.js';
import { failureText, postResponse } from './ephemeral.js';
import { escapeMrkdwn, mrkdwnLink } from './mrkdwn.js';

/**
 * The review queue in Slack: `/vigil review` shows the suspects waiting, strongest first, a page
 * at a time, each with Confirm and Reject (both behind a confirm dialog) and, for a reported link
 * whose title is unknown, a menu of titles. A click is acknowledged at once; the decision is a
 * slack-queue job ('review-decision') that checks the person may review, then decides through core.
 */

type KnownBlock = types.KnownBlock;

export const REVIEW_PAGE_SIZE = 5;

/** The Policy's role for reviewing, as a refusal names it. */
const REVIEW_ROLE = 'review approvers (approvers.review in the Policy)';

function blockId(suspectId: number): string {
  return `vigil-review-${suspectId}`;
}

function suspectText(s: ReviewEntry): string {
  const what = s.contentId ? `*${escapeMrkdwn(s.contentId)}*` : '_title unknown_';
  const who = s.reporter ? ` · reported by <@${s.reporter.replace(/[^A-Z0-9]/gi, '')}>` : '';
  const note = s.note ? `\n> ${escapeMrkdwn(s.note).slice(0, 500)}` : '';
  const reason = !s.reporter && s.reason ? `\n${escapeMrkdwn(s.reason).slice(0, 300)}` : '';
  return `*Suspect #${s.id}* · ${what} · score ${Math.round(s.score * 10) / 10}${who}\n${mrkdwnLink(s.url, s.host)}${s.pageTitle ? ` — ${escapeMrkdwn(s.pageTitle).slice(0, 150)}` : ''}${reason}${note}`;
}

function confirmDialog(title: string, text: string, confirm: string): types.ConfirmationDialog {
  return { title: { type: 'plain_text', text: title }, text: { type: 'mrkdwn', text }, confirm: { type: 'plain_text', text: confirm }, deny: { type: 'plain_text', text: 'Cancel' } };
}

/** One page of the queue as blocks; `entries` may hold one more than a page, which only says a next page exists. */
export function reviewQueueMessage(entries: readonly ReviewEntry[], contents: readonly { id: string; title: string }[], offset: number, pageSize = REVIEW_PAGE_SIZE): { text: string; blocks: KnownBlock[] } {
  const shown = entries.slice(0, pageSize);
  const text = shown.length === 0 ? (offset === 0 ? 'The review queue is empty.' : 'No more suspects in the review queue.') : `Review queue: suspects ${offset + 1}–${offset + shown.length}, strongest first.`;
  const blocks: KnownBlock[] = [{ type: 'section', text: { type: 'mrkdwn', text } }];
  for (const s of shown) {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: suspectText(s) } });
    const elements: types.ActionsBlockElement[] = [];
    if (!s.contentId && contents.length > 0) {
      elements.push({
        type: 'static_select', action_id: ACTION_IDS.reviewContent, placeholder: { type: 'plain_text', text: 'Which title?' },
        options: contents.slice(0, 100).map((c) => ({ text: { type: 'plain_text', text: `${c.title ?? c.id}`.slice(0, 75) }, value: c.id })),
      });
    }
    elements.push(
      { type: 'button', action_id: ACTION_IDS.reviewConfirm, style: 'primary', text: { type: 'plain_text', text: 'Confirm' }, value: String(s.id),
        confirm: confirmDialog('Confirm this suspect?', `Suspect #${s.id} becomes a finding${s.contentId ? '' : ' of the title chosen in the menu'}, with its monitoring job's takedown and detection rules.`, 'Confirm') },
      { type: 'button', action_id: ACTION_IDS.reviewReject, style: 'danger', text: { type: 'plain_text', text: 'Reject' }, value: String(s.id),
        confirm: confirmDialog('Reject this suspect?', `Suspect #${s.id} leaves the review queue as not a leak.`, 'Reject') },
    );
    blocks.push({ type: 'actions', block_id: blockId(s.id), elements });
  }
  if (entries.length > pageSize) {
    blocks.push({ type: 'actions', block_id: 'vigil-review-page', elements: [{ type: 'button', action_id: ACTION_IDS.reviewPage, text: { type: 'plain_text', text: 'Next page' }, value: String(offset + pageSize) }] });
  }
  return { text, blocks };
}

/** The queue page at `offset`, read from core. */
export async function reviewQueueAt(deps: SlackDeps, offset: number): Promise<{ text: string; blocks: KnownBlock[] }> {
  const entries = await reviewPage(deps.pool, { limit: REVIEW_PAGE_SIZE + 1, offset });
  const contents = entries.some((e) => !e.contentId) ? await reviewContents(deps.pool) : [];
  return reviewQueueMessage(entries, contents, offset);
}

function selectedContent(body: BlockAction, suspectId: number): string | undefined {
  const values = body.state?.values?.[blockId(suspectId)];
  const select = values?.[ACTION_IDS.reviewContent] as { selected_option?: { value?: string } | null } | undefined;
  return select?.selected_option?.value ?? undefined;
}

export const reviewFeature: SlackFeature = (app, deps) => {
  // Choosing a title only changes the message's state; Confirm reads it.
  app.action(ACTION_IDS.reviewContent, async ({ ack }) => { await ack(); });

  app.action<BlockAction<ButtonAction>>(ACTION_IDS.reviewPage, async ({ ack, action, respond }) => {
    await ack();
    const offset = Number(action.value);
    try {
      if (!Number.isSafeInteger(offset) || offset < 0) throw new VigilError('USAGE', 'that page button is not one Vigil made; run /vigil review again');
      await respond({ response_type: 'ephemeral', replace_original: true, ...(await reviewQueueAt(deps, offset)) });
    } catch (error) {
      await respond({ response_type: 'ephemeral', replace_original: false, text: failureText(error, deps.log, { action: 'review-page' }) });
    }
  });

  for (const [actionId, decision] of [[ACTION_IDS.reviewConfirm, 'confirm'], [ACTION_IDS.reviewReject, 'reject']] as const) {
    app.action<BlockAction<ButtonAction>>(actionId, async ({ ack, action, body, respond }) => {
      await ack();
      const suspectId = Number(action.value);
      if (!Number.isSafeInteger(suspectId) || suspectId < 1) {
        await respond({ response_type: 'ephemeral', replace_original: false, text: ':warning: That button is not one Vigil made; run /vigil review again.' });
        return;
      }
      const contentId = decision === 'confirm' ? selectedContent(body, suspectId) : undefined;
      const payload: ReviewDecisionPayload = {
        suspectId, decision, user: body.user.id, channel: body.channel?.id ?? body.container?.channel_id ?? '', responseUrl: body.response_url, requestKey: action.action_ts,
        ...(contentId ? { contentId } : {}),
      };
      try {
        await deps.queue.add('review-decision', payload, { jobId: reviewDecisionJobId(payload) });
      } catch (error) {
        await respond({ response_type: 'ephemeral', replace_original: false, text: failureText(error, deps.log, { action: 'review-decision', suspectId }) });
      }
    });
  }
};

function isPayload(data: unknown): data is ReviewDecisionPayload {
  const p = data as Partial<ReviewDecisionPayload> | null;
  return typeof p === 'object' && p !== null && Number.isSafeInteger(p.suspectId) && (p.decision === 'confirm' || p.decision === 'reject') && typeof p.user === 'string' && typeof p.requestKey === 'string';
}

/** The 'review-decision' job: the approver check, the decision through core, and the answer to the person. */
export async function processReviewDecision(job: Job, deps: SlackDeps): Promise<unknown> {
  if (!isPayload(job.data)) throw new VigilError('JOB_PAYLOAD_INVALID', `a review-decision job needs { suspectId, decision, user, requestKey }, got ${JSON.stringify(job.data)}`);
  const p = job.data;
  const answer = async (text: string): Promise<void> => {
    if (p.responseUrl) await postResponse(p.responseUrl, { text });
    else if (p.channel) await deps.client.chat.postEphemeral({ channel: p.channel, user: p.user, text });
  };
  const approval = await authorize(deps, 'review', p.user);
  if (!approval.allowed) {
    await recordReviewRefusal(deps.pool, p.suspectId, p.decision, p.user, REVIEW_ROLE);
    await answer(`:no_entry: ${approval.why} Suspect #${p.suspectId} is unchanged.`);
    return { refused: true };
  }
  try {
    const outcome = await decideSuspect(deps.pool, p.suspectId, p.decision, { actor: p.user, reason: `${p.decision} from Slack review` }, p.contentId);
    const text = !outcome.changed
      ? `Suspect #${p.suspectId} was already ${outcome.review}${outcome.findingId ? ` (finding #${outcome.findingId})` : ''}; nothing changed.`
      : outcome.review === 'confirmed' ? `:white_check_mark: Suspect #${p.suspectId} confirmed by <@${p.user}>: it is finding #${outcome.findingId}.` : `Suspect #${p.suspectId} rejected by <@${p.user}>.`;
    await answer(text);
    return outcome;
  } catch (error) {
    // The person's mistake (no title chosen, a suspect gone) is answered and final; a fault of ours is retried.
    if (error instanceof VigilError) {
      await answer(failureText(error, deps.log, { job: job.id }));
      return { failed: error.code };
    }
    throw error;
  }
}
