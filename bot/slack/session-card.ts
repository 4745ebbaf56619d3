import type { BlockAction, ButtonAction, types } from '@slack/bolt';
import type { Job } from 'bullmq';
import { revocationSettings } from '../../core/catalog/revocation-policy.js';
import { appliedPolicy } from '../../core/db/policy.js';
import { auditRevokeRefusal, lastSessionRevocation } from '../../core/db/revocations.js';
import { knownChannelId } from '../../core/db/chat-cards.js';
import {
  beginSessionCard, lockSessionCard, markSessionCardPosted, noteSessionCardError, SESSION_CARD_EVENT_TYPE, sessionCardChannelId, sessionCardKey,
} from '../../core/db/session-cards.js';
import { sessionById, type StreamingSession } from '../../core/db/sessions.js';
import { ERROR_CODES, VigilError } from '../../core/errors.js';
import { sessionRevokeJobId, type SessionCardPayload, type SessionRevokePayload } from '../../core/queues.js';
import { redactedMessage } from '../../core/redact.js';
import { applyRevocation, revokeCommandLine, type PushOutcome } from '../../core/revocation.js';
import { ACTION_IDS } from './action-ids.js';
import { when, who } from './actions.js';
import { authorize } from './approvers.js';
import type { SlackDeps, SlackFeature } from './deps.js';
import { postResponse } from './ephemeral.js';
import { keyedSearchPage, messageWithKey, nextCursor } from './keyed-messages.js';
import { purposeClient } from './purpose-clients.js';
import { escapeMrkdwn } from './mrkdwn.js';

/**
 * A re-stream traced to a streaming session, put before a revoke approver (issue 13): the
 * 'session-card' job posts one card per session with a Revoke button (behind a confirm dialog); a
 * click is acknowledged at once and done by a 'session-revoke' job, which checks the person against
 * the Policy's approvers.revoke, revokes through core (applyRevocation, the same call as vigil
 * revoke), edits the card in place with who revoked it and when, and answers only the person.
 */

export const SESSION_CARD_JOB = 'session-card';
export const SESSION_REVOKE_JOB = 'session-revoke';

const SESSION_ID = /^[A-Za-z0-9_-]{8,64}$/;

type KnownBlock = types.KnownBlock;
type CardFacts = Omit<SessionCardPayload, 'channel'>;

/** The Revoke button's value: the facts the card shows (short keys: Slack caps values at 2,000 characters). */
export function encodeSessionButton(card: CardFacts): string {
  return JSON.stringify({ s: card.sessionId, r: card.recording.slice(0, 300), w: card.watermarkId, n: card.segments, t: card.seconds });
}

/** Undefined for a value Vigil did not write. */
export function decodeSessionButton(raw: unknown): CardFacts | undefined {
  if (typeof raw !== 'string') return undefined;
  try {
    const v = JSON.parse(raw) as { s?: unknown; r?: unknown; w?: unknown; n?: unknown; t?: unknown };
    if (typeof v.s === 'string' && SESSION_ID.test(v.s) && typeof v.r === 'string' && Number.isSafeInteger(v.w) && Number.isSafeInteger(v.n) && Number.isSafeInteger(v.t)) {
      return { sessionId: v.s, recording: v.r, watermarkId: v.w as number, segments: v.n as number, seconds: v.t as number };
    }
  } catch {
    // Not JSON: not ours.
  }
  return undefined;
}

export interface RevokedLine {
  actor: string;
  at: Date;
  durationSeconds?: number;
  pushes?: readonly PushOutcome[];
}

function hours(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600} h` : `${Math.round(seconds / 60)} min`;
}

/** The card (pure Block Kit): who the session is, what traced it, and the Revoke button or who revoked it. */
export function sessionCardMessage(session: StreamingSession, card: CardFacts, revoked: RevokedLine | undefined, durationSeconds: number): { text: string; blocks: KnownBlock[] } {
  const text = `A re-stream was traced to the streaming session of ${session.viewer}`;
  const where = [session.contentId ? `content *${escapeMrkdwn(session.contentId)}*` : undefined, session.package ? `package ${escapeMrkdwn(session.package)}` : undefined].filter(Boolean).join(', ');
  const blocks: KnownBlock[] = [
    { type: 'section', text: { type: 'mrkdwn', text: `:rotating_light: *A re-stream was traced to a streaming session*\nViewer *${escapeMrkdwn(session.viewer)}* · session \`${session.id}\` · watermark ID ${session.watermarkId}` } },
    { type: 'context', elements: [{ type: 'mrkdwn', text: `recording ${escapeMrkdwn(card.recording)}: ${card.segments} marked segments read from ${card.seconds} s${where ? ` · ${where}` : ''} · issued ${when(session.issuedAt)}` }] },
  ];
  if (revoked) {
    const owed = (revoked.pushes ?? []).filter((p) => p.state !== 'done').map((p) => `${p.target}: pending, pushed again later`);
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: `:no_entry: *Revoked* by ${who(revoked.actor, '')} ${when(revoked.at)}${revoked.durationSeconds ? ` for ${hours(revoked.durationSeconds)}` : ''}: every edge refuses the session from its next request on.${owed.length > 0 ? ` (${owed.join('; ')})` : ''}` } });
  } else {
    blocks.push({ type: 'actions', block_id: 'vigil-session-revoke', elements: [{
      type: 'button', action_id: ACTION_IDS.sessionRevoke, style: 'danger', text: { type: 'plain_text', text: 'Revoke' }, value: encodeSessionButton(card),
      confirm: {
        title: { type: 'plain_text', text: 'Revoke this session?' },
        text: { type: 'mrkdwn', text: `The session of *${escapeMrkdwn(session.viewer)}* is cut off for ${hours(durationSeconds)}: every edge refuses its next request.` },
        confirm: { type: 'plain_text', text: 'Revoke' }, deny: { type: 'plain_text', text: 'Cancel' }, style: 'danger',
      },
    }] });
  }
  return { text, blocks };
}

function sessionCardPayload(data: unknown): SessionCardPayload {
  const d = (data ?? {}) as Partial<Record<keyof SessionCardPayload, unknown>>;
  const ok = typeof d.sessionId === 'string' && SESSION_ID.test(d.sessionId) && typeof d.channel === 'string' && d.channel !== '' && typeof d.recording === 'string'
    && Number.isSafeInteger(d.watermarkId) && Number.isSafeInteger(d.segments) && Number.isSafeInteger(d.seconds);
  if (!ok) throw new VigilError('JOB_PAYLOAD_INVALID', `a session-card job needs { sessionId, channel, recording, watermarkId, segments, seconds }; got fields ${Object.keys(d).join(', ') || 'none'}`);
  return d as SessionCardPayload;
}

function sessionRevokePayload(data: unknown): SessionRevokePayload {
  const d = (data ?? {}) as Partial<Record<keyof SessionRevokePayload, unknown>>;
  const ok = typeof d.sessionId === 'string' && SESSION_ID.test(d.sessionId) && typeof d.user === 'string' && /^[UW][A-Z0-9]+$/.test(d.user)
    && typeof d.channel === 'string' && d.channel !== '' && typeof d.requestKey === 'string' && typeof d.card === 'object' && d.card !== null
    && (d.messageTs === undefined || typeof d.messageTs === 'string') && (d.responseUrl === undefined || typeof d.responseUrl === 'string');
  if (!ok) throw new VigilError('JOB_PAYLOAD_INVALID', `a session-revoke job needs { sessionId, user, channel, requestKey, card }; got fields ${Object.keys(d).join(', ') || 'none'}`);
  return d as SessionRevokePayload;
}

/** What a Slack call's failure says: Slack answered no (nothing was posted), or no answer came (it may have been). */
function refusal(error: unknown): string | undefined {
  const e = error as { code?: string; data?: { error?: string } };
  return e.code === 'slack_webapi_platform_error' ? e.data?.error ?? 'unknown_error' : undefined;
}

/**
 * Looks through the channel's history since the first try for the card carrying this session's
 * key. Undefined: not there. Throws SESSION_CARD_LOOKUP_FAILED when Slack cannot be asked (retried:
 * the card is never posted blind).
 */
async function findSessionCard(deps: SlackDeps, channel: string, sessionId: string, since: Date): Promise<string | undefined> {
  const key = sessionCardKey(sessionId);
  let cursor: string | undefined;
  for (let page = 0; page < 20; page += 1) {
    const { method, args } = keyedSearchPage(channel, { oldest: since }, cursor);
    const res = await deps.client.apiCall(method, args);
    const hit = messageWithKey((res as { messages?: unknown }).messages, SESSION_CARD_EVENT_TYPE, key);
    if (hit) return hit.ts;
    cursor = nextCursor(res);
    if (!cursor) return undefined;
  }
  return undefined;
}

export type SessionCardResult = { posted: boolean; ts?: string; found?: true };

/**
 * The 'session-card' job: posts the card once per session and channel, kept in PostgreSQL
 * (core/db/session-cards.ts): 'sending' before chat.postMessage, 'posted' with its ts after. A try
 * that finds 'sending' left by an earlier one (which may have posted and died before saying so)
 * first looks for the card in the channel by its metadata key, and records it if found.
 * posted: false when the card was already on record; found: an earlier try had posted it.
 */
export async function processSessionCard(job: Job, deps: SlackDeps): Promise<SessionCardResult> {
  const p = sessionCardPayload(job.data);
  const session = await sessionById(deps.pool, p.sessionId);
  if (!session) throw new VigilError('SESSION_UNKNOWN', `a session-card job names session ${JSON.stringify(p.sessionId)}, which this database does not have`);
  const unlock = await lockSessionCard(deps.pool, p.sessionId, p.channel);
  if (!unlock) throw new VigilError('SESSION_CARD_BUSY', `the Revoke card of session ${p.sessionId} in ${p.channel} is being posted by another try just now; this one is tried again`);
  try {
    const record = await beginSessionCard(deps.pool, p.sessionId, p.channel);
    if (record.state === 'posted') return { posted: false, ...(record.ts ? { ts: record.ts } : {}) };
    if (record.attempts > 1) {
      // Slack reads history by channel id only: the one a card or summary there was answered with.
      const target = (await sessionCardChannelId(deps.pool, p.channel)) ?? (await knownChannelId(deps.pool, p.channel)) ?? p.channel;
      let ts: string | undefined;
      try {
        ts = await findSessionCard(deps, target, p.sessionId, record.createdAt);
      } catch (error) {
        const why = refusal(error);
        if (!(why === 'channel_not_found' && target.startsWith('#'))) {
          await noteSessionCardError(deps.pool, p.sessionId, p.channel, `looking for the card: ${redactedMessage(error)}`);
          throw new VigilError('SESSION_CARD_LOOKUP_FAILED', `the Revoke card of session ${p.sessionId} may be in ${p.channel} already (an earlier try stopped before recording it), and Slack could not be asked (conversations.history: ${why ?? redactedMessage(error)}); it is not posted again until Slack can be asked`, { cause: error });
        }
        // No card or summary was ever posted there, so no id to read it by: a second card is the lesser harm than none.
        deps.log.warn({ sessionId: p.sessionId, channel: p.channel }, 'cannot look for an interrupted session card in a channel known only by name; posting it again');
      }
      if (ts) {
        await markSessionCardPosted(deps.pool, p.sessionId, p.channel, { ts, ...(target.startsWith('#') ? {} : { channelId: target }) });
        return { posted: true, ts, found: true };
      }
    }
    const last = session.revokedAt ? await lastSessionRevocation(deps.pool, session.id) : undefined;
    const { durationSeconds } = revocationSettings(await appliedPolicy(deps.pool));
    const { channel: _channel, ...card } = p;
    const message = sessionCardMessage(session, card, last, durationSeconds);
    let res;
    try {
      res = await purposeClient(deps, 'single-try').chat.postMessage({
        channel: p.channel, ...message, unfurl_links: false,
        metadata: { event_type: SESSION_CARD_EVENT_TYPE, event_payload: { key: sessionCardKey(p.sessionId) } },
      });
    } catch (error) {
      await noteSessionCardError(deps.pool, p.sessionId, p.channel, redactedMessage(error));
      throw error;
    }
    if (!res.ts) throw new VigilError('SLACK_API_FAILED', `chat.postMessage of the Revoke card of session ${p.sessionId} in ${p.channel} answered without a ts`);
    await markSessionCardPosted(deps.pool, p.sessionId, p.channel, { ts: res.ts, ...(res.channel ? { channelId: res.channel } : {}) });
    return { posted: true, ts: res.ts };
  } finally {
    await unlock();
  }
}

export const sessionRevokeFeature: SlackFeature = (app, deps) => {
  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: ACTION_IDS.sessionRevoke }, async ({ ack, body, action, respond }) => {
    await ack();
    const card = decodeSessionButton(action.value);
    const channel = body.channel?.id ?? body.container?.channel_id;
    if (!card || typeof channel !== 'string') {
      await respond({ response_type: 'ephemeral', replace_original: false, text: 'That button was not made by Vigil (or its value was cut short), so nothing was revoked. Use the Revoke button on a Vigil session card, or vigil revoke SESSION_ID.' });
      return;
    }
    const messageTs = body.message?.ts ?? body.container?.message_ts;
    const payload: SessionRevokePayload = {
      sessionId: card.sessionId, user: body.user.id, channel, ...(typeof messageTs === 'string' ? { messageTs } : {}),
      responseUrl: body.response_url, requestKey: action.action_ts, card,
    };
    try {
      await deps.queue.add(SESSION_REVOKE_JOB, payload, { jobId: sessionRevokeJobId(payload) });
    } catch (error) {
      deps.log.error({ sessionId: card.sessionId, err: { message: redactedMessage(error) } }, 'slack session revoke could not be queued');
      await respond({ response_type: 'ephemeral', replace_original: false, text: `Revoke of session ${card.sessionId} could not be queued just now; nothing was revoked. Try again in a minute.` });
    }
  });
};

export type SessionRevokeResult = 'done' | 'unchanged' | 'unknown' | 'not-allowed';

/** The 'session-revoke' job: is the person a revoke approver, then revoke (once), edit the card, tell them. */
export async function processSessionRevoke(job: Job, deps: SlackDeps): Promise<SessionRevokeResult> {
  const p = sessionRevokePayload(job.data);
  const actor = `slack:${p.user}`;
  const request = sessionRevokeJobId(p);
  const answer = async (text: string): Promise<void> => {
    if (p.responseUrl) await postResponse(p.responseUrl, { text });
    else await deps.client.chat.postEphemeral({ channel: p.channel, user: p.user, text });
  };
  const approval = await authorize(deps, 'revoke', p.user);
  if (!approval.allowed) {
    await auditRevokeRefusal(deps.pool, { actor, sessionId: p.sessionId, reason: approval.why, request });
    await answer(`${approval.why} Session ${p.sessionId} is not revoked. (${ERROR_CODES.ACTION_NOT_ALLOWED.code})`);
    return 'not-allowed';
  }
  if (!deps.revoker) throw new VigilError('SLACK_REVOKE_UNAVAILABLE', `the Revoke of session ${p.sessionId} cannot be made by this process; ${revokeCommandLine([p.sessionId])} makes it`);
  const session = await sessionById(deps.pool, p.sessionId);
  if (!session) {
    await answer(`Session ${p.sessionId} is not in this database, so nothing was revoked. (${ERROR_CODES.SESSION_UNKNOWN.code})`);
    return 'unknown';
  }
  const { durationSeconds } = revocationSettings(await appliedPolicy(deps.pool));
  const editCard = async (revoked: RevokedLine) => {
    if (p.messageTs) await deps.client.chat.update({ channel: p.channel, ts: p.messageTs, ...sessionCardMessage(session, p.card, revoked, durationSeconds) });
  };
  let pushes: PushOutcome[] = [];
  if (!session.revokedAt) {
    const outcome = await applyRevocation(deps.revoker, { op: 'add', items: [{ id: session.id, durationSeconds }] }, { actor, reason: 'Revoke in Slack (traced-session card button)' });
    pushes = outcome.pushes;
  }
  // Whoever put it on record (this click, an earlier try of it, someone else, automation): the card and the answer say so.
  const last = (await lastSessionRevocation(deps.pool, session.id)) ?? { actor, at: new Date() };
  const mine = last.actor === actor;
  await editCard({ ...last, ...(mine ? { durationSeconds, pushes } : {}) });
  const owed = pushes.filter((x) => x.state !== 'done').map((x) => ` ${x.target} is pending: it is pushed again until it takes it.`).join('');
  await answer(mine
    ? `Revoke: the session of ${session.viewer} (${session.id}) is revoked for ${hours(durationSeconds)}; every edge refuses its next request.${owed}`
    : `Revoke changed nothing: the session of ${session.viewer} (${session.id}) was already revoked by ${who(last.actor, p.user)} ${when(last.at)}.`);
  return mine ? 'done' : 'unchanged';
}
