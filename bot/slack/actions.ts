import type { BlockAction, ButtonAction } from '@slack/bolt';
import type { Job } from 'bullmq';
import { actOnFinding, auditRefusal, type ActionOutcome, type StatusPair } from '../../core/db/finding-actions.js';
import { ERROR_CODES, VigilError } from '../../core/errors.js';
import { redactedMessage } from '../../core/redact.js';
import { FINDING_ACTIONS, findingActionJobId, type FindingAction, type FindingActionPayload } from '../../core/queues.js';
import { ACTION_IDS, decodeFindingButton } from './action-ids.js';
import { actionLabel, authorize } from './approvers.js';
import type { SlackDeps, SlackFeature } from './deps.js';
import { evidenceButton } from './evidence.js';

/**
 * A finding card's buttons (Take down, Take down with the override, Ignore, Detect): each click is
 * acknowledged at once, before anything else is read or written, and done by a 'finding-action'
 * job on the slack queue. The job's id is the person, finding, action and card version, so a
 * double click or Slack's retry of the same request adds nothing; another person's click is a job
 * of its own, whose answer says the finding was already changed, by whom and when.
 * The card itself is re-rendered from the record (cards' poster): this module only changes the
 * record, through core, and answers the person who clicked.
 */

export const FINDING_ACTION_JOB = 'finding-action';

const BUTTONS: readonly { actionId: string; action: FindingAction; override: boolean }[] = [
  { actionId: ACTION_IDS.takedown, action: 'takedown', override: false },
  { actionId: ACTION_IDS.takedownOverride, action: 'takedown', override: true },
  { actionId: ACTION_IDS.ignore, action: 'ignore', override: false },
  { actionId: ACTION_IDS.detect, action: 'detect', override: false },
];

export const NOT_A_VIGIL_BUTTON = 'That button was not made by Vigil (or its value was cut short), so nothing was done. Use the buttons on a Vigil finding card, or /vigil takedown ID.';

/** Adds a finding-action job; the same request (same job id) adds nothing. */
export async function enqueueFindingAction(deps: Pick<SlackDeps, 'queue'>, payload: FindingActionPayload): Promise<void> {
  await deps.queue.add(FINDING_ACTION_JOB, payload, { jobId: findingActionJobId(payload) });
}

export const findingActions: SlackFeature = (app, deps) => {
  for (const button of BUTTONS) {
    app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: button.actionId }, async ({ ack, body, action, respond }) => {
      // Slack gives three seconds: answer first, then do the work elsewhere.
      await ack();
      const value = decodeFindingButton(action.value);
      const channel = body.channel?.id ?? body.container?.channel_id;
      if (!value || typeof channel !== 'string') {
        await respond({ response_type: 'ephemeral', replace_original: false, text: NOT_A_VIGIL_BUTTON });
        return;
      }
      const messageTs = body.message?.ts ?? body.container?.message_ts;
      const payload: FindingActionPayload = {
        findingId: value.findingId, action: button.action, override: button.override, user: body.user.id, channel,
        ...(typeof messageTs === 'string' ? { messageTs } : {}), responseUrl: body.response_url, via: 'button', requestKey: `v${value.version}`,
      };
      try {
        await enqueueFindingAction(deps, payload);
      } catch (error) {
        deps.log.error({ findingId: value.findingId, action: button.action, err: { message: redactedMessage(error) } }, 'slack finding action could not be queued');
        await respond({ response_type: 'ephemeral', replace_original: false, text: `${actionLabel(button.action)} of finding #${value.findingId} could not be queued just now; nothing was changed. Try again in a minute.` });
      }
    });
  }
  // The card's Evidence button changes no record: its own listener and job (bot/slack/evidence.ts).
  evidenceButton(app, deps);
};

/** The payload as the job holds it, checked: a job added by hand or by an older version may not fit. */
export function findingActionPayload(data: unknown): FindingActionPayload {
  const d = (data ?? {}) as Partial<Record<keyof FindingActionPayload, unknown>>;
  const ok = Number.isSafeInteger(d.findingId) && (d.findingId as number) > 0
    && FINDING_ACTIONS.includes(d.action as FindingAction) && typeof d.override === 'boolean'
    && typeof d.user === 'string' && /^[UW][A-Z0-9]+$/.test(d.user) && typeof d.channel === 'string' && d.channel !== ''
    && (d.via === 'button' || d.via === 'command') && typeof d.requestKey === 'string'
    && (d.messageTs === undefined || typeof d.messageTs === 'string') && (d.responseUrl === undefined || typeof d.responseUrl === 'string');
  if (!ok) throw new VigilError('JOB_PAYLOAD_INVALID', `a finding-action job needs { findingId, action (${FINDING_ACTIONS.join('|')}), override, user, channel, via, requestKey }; got fields ${Object.keys(d).join(', ') || 'none'}`);
  return d as FindingActionPayload;
}

/** A time as Slack shows it in the reader's own time zone (with the ISO time as fallback). */
export function when(at: Date): string {
  return `<!date^${Math.floor(at.getTime() / 1000)}^{date_short_pretty} at {time}|${at.toISOString().replace(/\.\d+Z$/, 'Z')}>`;
}

/** An audit actor as the person reading is told it: you, a Slack mention, or the actor as recorded (automation:policy, cli:…). */
export function who(actor: string, user: string): string {
  if (actor === `slack:${user}`) return 'you';
  return actor.startsWith('slack:') ? `<@${actor.slice('slack:'.length)}>` : actor;
}

function doneText(label: string, action: FindingAction, findingId: number, to: StatusPair): string {
  return `${label}: finding #${findingId} is now ${action === 'detect' ? `detection ${to.detection}` : `takedown ${to.takedown}`}.`;
}

/** What the person who asked is told, by outcome. */
export function answerText(outcome: ActionOutcome, user: string, request?: string): string {
  const label = actionLabel(outcome.action);
  // This very request made the change on an earlier attempt (its answer failed): answer as done.
  if (outcome.outcome === 'unchanged' && request !== undefined && outcome.by?.request === request) {
    return doneText(label, outcome.action, outcome.finding.id, { takedown: outcome.finding.takedownStatus, detection: outcome.finding.detectionStatus });
  }
  switch (outcome.outcome) {
    case 'unknown':
      return `Finding #${outcome.findingId} no longer exists, so nothing was done. Its card is out of date; /vigil findings lists the current ones.`;
    case 'done':
      return doneText(label, outcome.action, outcome.finding.id, outcome.to);
    case 'unchanged': {
      const by = outcome.by ? ` by ${who(outcome.by.actor, user)} ${when(outcome.by.at)}` : '';
      return `${label} changed nothing: finding #${outcome.finding.id} is ${outcome.why}${by}.`;
    }
    case 'refused':
      return `${label} was refused for finding #${outcome.finding.id}: ${outcome.why}. (${ERROR_CODES.ACTION_REFUSED.code})`;
  }
}

/** Tells the person, only them: through the command's response_url when there is one, else an ephemeral message in the channel. */
async function answer(deps: SlackDeps, p: FindingActionPayload, text: string): Promise<void> {
  if (p.via === 'command' && p.responseUrl) {
    const res = await fetch(p.responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }) });
    // Thrown, the job is retried; the action itself is not done twice (actOnFinding finds it done).
    if (!res.ok) throw new Error(`Slack's response_url answered HTTP ${res.status}`);
    return;
  }
  await deps.client.chat.postEphemeral({ channel: p.channel, user: p.user, text });
}

export type FindingActionResult = ActionOutcome['outcome'] | 'not-allowed';

/** The slack-queue job 'finding-action': is the person allowed, then do it (once) and tell them. */
export async function processFindingAction(job: Job, deps: SlackDeps): Promise<FindingActionResult> {
  const p = findingActionPayload(job.data);
  const actor = `slack:${p.user}`;
  const request = findingActionJobId(p);
  const log = deps.log.child({ findingId: p.findingId, action: p.action, user: p.user, jobId: job.id });
  const approval = await authorize(deps, p.action, p.user);
  if (!approval.allowed) {
    // Audited once even when answering fails and the job is retried (the request is the job).
    await auditRefusal(deps.pool, { actor, action: p.action, findingId: p.findingId, reason: approval.why, request });
    log.info({ why: approval.why }, 'slack finding action refused: not an approver');
    await answer(deps, p, `${approval.why} (${ERROR_CODES.ACTION_NOT_ALLOWED.code})`);
    return 'not-allowed';
  }
  const via = p.via === 'button' ? 'slack-button' : 'slack-command';
  const reason = `${actionLabel(p.action)} in Slack (${p.via === 'button' ? 'card button' : '/vigil command'})${p.override ? ', overriding: watermarked content before detection completed' : ''}`;
  const outcome = await actOnFinding(deps.pool, p.findingId, p.action, { actor, reason, override: p.override, via, request });
  log.info({ outcome: outcome.outcome }, 'slack finding action');
  await answer(deps, p, answerText(outcome, p.user, request));
  return outcome.outcome;
}
