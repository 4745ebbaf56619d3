import { webApi } from '@slack/bolt';
import type pg from 'pg';
import type { PoolClient } from 'pg';
import {
  CHAT_EVENT_TYPE, cardKey, knownChannelId, changesSince, channelsWithWork, markCardFailed, markCardPosted, markCardSending, markCardShown, markReplied,
  markReplySending, markSummaryFailed, markSummaryPosted, noteSummaryCardsError, markSummaryShown, markSummarySending, noteCardError, replyKey, staleCards, staleSummaries,
  summaryKey, summaryView, takeUnreportedSkips, unpostedCards, unpostedSummaries, type CardWork, type SummaryWork,
} from '../../core/db/chat-cards.js';
import type { SlackConfig } from '../../core/config.js';
import { ERROR_CODES } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import { redactedMessage } from '../../core/redact.js';
import { findingCard, resultReply, roundSummary, type SlackMessageBody } from './card.js';
import { findingCardView } from './card-view.js';
import { keyedSearchPage, messageWithKey, nextCursor, type KeyedWhere } from './keyed-messages.js';

/**
 * Keeps Slack in step with the records (core/db/chat-cards.ts): posts each round's summary, then
 * its findings' cards as replies in that thread, in order; edits a card in place when its finding
 * changed, with one threaded reply per result. Per channel it sends at most postsPerSecond messages
 * (measured from each answer, so they arrive spaced too) and waits out a 429's Retry-After: nothing
 * is dropped, the row is simply still owed. A row is marked 'sending' before its call; a row found
 * 'sending' later (a kill between Slack's answer and our write, or an answer that never came) is
 * first looked for in Slack by the key in its message metadata, so it is neither lost nor doubled.
 * One poster posts at a time across processes: it holds a PostgreSQL advisory lock on a client of
 * its own, and another process waits for it.
 */

/** Any number fixed for Vigil's Slack poster ('vigC'). */
const POSTER_LOCK = 0x76696743;

/** Slack refusing a message's blocks or size: the same blocks would be refused again. */
const BLOCK_ERRORS = new Set(['invalid_blocks', 'invalid_blocks_format', 'msg_too_long', 'invalid_attachments']);

/** Slack errors that mean the bot cannot post in the channel: the cards wait, and a person must act. */
const CHANNEL_ERRORS = new Set(['channel_not_found', 'not_in_channel', 'is_archived', 'restricted_action', 'team_access_not_granted', 'channel_is_archived']);

export interface PosterOptions {
  pool: pg.Pool;
  config: Pick<SlackConfig, 'botToken' | 'apiUrl' | 'postsPerSecond'>;
  log: Logger;
  /** How often the records are read for new work (ms). */
  pollMs?: number;
  /** How long a channel Slack refused (not_in_channel, …) waits before it is tried again (ms). */
  channelRetryMs?: number;
  /** How often a poster that does not hold the lock tries again (ms). */
  lockRetryMs?: number;
}

export interface Poster {
  /** Whether this poster holds the lock (and so is the one posting). */
  readonly active: boolean;
  /** Stops after the calls in flight; the lock is released for another process. */
  close(): Promise<void>;
}

/** After one row: on to the next, read the work again (after a wait), or leave the channel for now. */
type Step = 'next' | 'again' | 'stop';

type Outcome =
  | { kind: 'ok'; result: Record<string, unknown> }
  /** Slack refused: the message was not posted. */
  | { kind: 'refused'; error: string; retryAfterMs?: number }
  /** No answer (timeout, connection lost, 5xx): it may have been posted. */
  | { kind: 'unknown'; error: string };

/** Slack could not be asked whether a message is there: the row waits (never posted blind). */
interface LookupFailed {
  failed: Exclude<Outcome, { kind: 'ok' }>;
}

const lookupFailed = (found: FoundMessage | LookupFailed | undefined): found is LookupFailed => found !== undefined && 'failed' in found;

interface FoundMessage {
  ts: string;
  payload: Record<string, unknown>;
}

function outcomeOf(error: unknown): Outcome {
  const e = error as { code?: string; data?: { error?: string }; retryAfter?: number; statusCode?: number };
  if (e.code === 'slack_webapi_rate_limited_error') return { kind: 'refused', error: 'ratelimited', retryAfterMs: Math.max(1, e.retryAfter ?? 1) * 1000 };
  if (e.code === 'slack_webapi_platform_error') return { kind: 'refused', error: e.data?.error ?? 'unknown_error' };
  return { kind: 'unknown', error: redactedMessage(error) };
}

export function startPoster(options: PosterOptions): Poster {
  const { pool } = options;
  const log = options.log.child({ component: 'slack-poster' });
  const pollMs = options.pollMs ?? 1000;
  const channelRetryMs = options.channelRetryMs ?? 60_000;
  const lockRetryMs = options.lockRetryMs ?? 5000;
  // At most `perWindow` messages in any window of `windowMs` (below one a second, one per its share).
  const rate = options.config.postsPerSecond;
  const perWindow = Math.max(1, Math.floor(rate));
  const windowMs = rate >= 1 ? 1000 : 1000 / rate;
  // New cards are read a few seconds' worth at a time: changed cards are looked for in between.
  const cardBatch = Math.max(5, perWindow * 2);
  // Our own client: 429s come back to us (rejectRateLimitedCalls) instead of being waited out inside
  // the client, and nothing is retried behind our back, where a retry could double a message.
  const client = new webApi.WebClient(options.config.botToken, {
    slackApiUrl: options.config.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 }, timeout: 15_000,
    logLevel: webApi.LogLevel.ERROR,
  });
  const stop = new AbortController();
  let lock: PoolClient | undefined;
  let waitingLogged = false;
  const drainers = new Map<string, Promise<void>>();
  /** A channel waits until then: a Retry-After, a refused channel, or a back-off after a fault. */
  const blockedUntil = new Map<string, number>();
  const failures = new Map<string, number>();
  /** When Slack answered each channel's last `perWindow` messages, oldest first. */
  const answered = new Map<string, number[]>();
  const warnedChannels = new Set<string>();

  const sleep = (ms: number): Promise<void> => new Promise((resolve) => {
    if (stop.signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void { clearTimeout(timer); stop.signal.removeEventListener('abort', done); resolve(); }
    stop.signal.addEventListener('abort', done, { once: true });
  });

  async function call(method: string, args: Record<string, unknown>): Promise<Outcome> {
    try {
      const result = await client.apiCall(method, args) as unknown as Record<string, unknown>;
      return { kind: 'ok', result };
    } catch (error) {
      return outcomeOf(error);
    }
  }

  /**
   * A message to the channel, keeping to the limit as Slack counts it: a message is sent only once
   * the answer to the one `perWindow` messages back is a full window old. Counting from answers
   * (not sends) means the messages also arrive within the limit, whatever the network delay.
   */
  async function send(channel: string, method: 'chat.postMessage' | 'chat.update', args: Record<string, unknown>): Promise<Outcome> {
    // Slack limits chat.postMessage per channel; chat.update is counted apart, so an edit does not wait behind a burst.
    const key = method === 'chat.update' ? `${channel} update` : channel;
    const times = answered.get(key) ?? [];
    if (times.length >= perWindow) {
      const wait = times[times.length - perWindow]! + windowMs - Date.now();
      if (wait > 0) await sleep(wait);
    }
    if (stop.signal.aborted) return { kind: 'refused', error: 'the poster is stopping' };
    try {
      return await call(method, args);
    } finally {
      times.push(Date.now());
      if (times.length > perWindow) times.splice(0, times.length - perWindow);
      answered.set(key, times);
    }
  }

  /** Looks through a thread (ts given) or the channel's history since `oldest` for the message carrying `key`. */
  async function findMessage(channel: string, key: string, where: KeyedWhere): Promise<FoundMessage | undefined | LookupFailed> {
    let cursor: string | undefined;
    for (let page = 0; page < 50; page += 1) {
      const { method, args } = keyedSearchPage(channel, where, cursor);
      const outcome = await call(method, args);
      if (outcome.kind !== 'ok') {
        log.warn({ channel, key, error: outcome.error }, 'could not look in Slack for a message that may have been posted; trying again later');
        return { failed: outcome };
      }
      const hit = messageWithKey(outcome.result.messages, CHAT_EVENT_TYPE, key);
      if (hit) return hit;
      cursor = nextCursor(outcome.result);
      if (!cursor) return undefined;
    }
    return undefined;
  }

  /**
   * What a refused or unanswered call means for the channel: a 429 waits its Retry-After; a channel
   * the bot cannot post in waits longer, with one warning that says how to fix it; other faults back
   * off. Returns how long the drainer waits before going on, or -1: it stops and the channel is picked
   * up again when it may.
   */
  function setBack(channel: string, outcome: Exclude<Outcome, { kind: 'ok' }>, what: Record<string, unknown>): number {
    if (outcome.kind === 'refused' && outcome.retryAfterMs !== undefined) {
      log.debug({ channel, retryAfterMs: outcome.retryAfterMs, ...what }, 'slack rate limit: the channel waits');
      return outcome.retryAfterMs;
    }
    if (outcome.kind === 'refused' && CHANNEL_ERRORS.has(outcome.error)) {
      if (!warnedChannels.has(channel)) {
        warnedChannels.add(channel);
        const { code, fix } = ERROR_CODES.SLACK_CHANNEL_UNAVAILABLE;
        log.warn({ channel, error: outcome.error, code, ...what }, `Slack cannot post finding cards in ${channel} (${outcome.error}); they wait. Fix: ${fix}`);
      }
      blockedUntil.set(channel, Date.now() + channelRetryMs);
      return -1;
    }
    const n = (failures.get(channel) ?? 0) + 1;
    failures.set(channel, n);
    const ms = Math.min(60_000, 500 * 2 ** Math.min(n, 7));
    log.warn({ channel, error: outcome.error, attempt: n, retryInMs: ms, code: ERROR_CODES.SLACK_API_FAILED.code, ...what }, 'slack call failed; retrying later');
    blockedUntil.set(channel, Date.now() + ms);
    return -1;
  }

  function succeeded(channel: string): void {
    failures.delete(channel);
    warnedChannels.delete(channel);
  }

  /**
   * Waits out a Retry-After in the drainer, then 'again': the work is read afresh, so the row Slack
   * refused goes first and the order holds. Otherwise 'stop': the channel is handed back until it may.
   */
  async function afterFailure(channel: string, outcome: Exclude<Outcome, { kind: 'ok' }>, what: Record<string, unknown>): Promise<Step> {
    if (stop.signal.aborted) return 'stop';
    const wait = setBack(channel, outcome, what);
    if (wait < 0) return 'stop';
    await sleep(wait);
    return stop.signal.aborted ? 'stop' : 'again';
  }

  const metadata = (payload: Record<string, unknown>): { event_type: string; event_payload: Record<string, unknown> } => ({ event_type: CHAT_EVENT_TYPE, event_payload: payload });

  /**
   * chat.postMessage of a card or summary. Slack refusing the blocks (so nothing was posted) gets the
   * message as text instead: the same blocks would be refused forever and hold up the thread behind.
   */
  async function post(channel: string, message: Record<string, unknown>, body: SlackMessageBody, what: Record<string, unknown>): Promise<Outcome> {
    const outcome = await send(channel, 'chat.postMessage', { ...message, ...body });
    if (outcome.kind !== 'refused' || !BLOCK_ERRORS.has(outcome.error)) return outcome;
    log.warn({ channel, error: outcome.error, ...what }, 'slack refused a message\'s blocks; posting it as text');
    return send(channel, 'chat.postMessage', { ...message, text: body.text });
  }

  async function postSummary(s: SummaryWork): Promise<Step> {
    const key = summaryKey(s.contentId, s.roundId);
    // Slack reads history by channel id only: the one an earlier summary there was answered with.
    const target = s.channelId ?? (await knownChannelId(pool, s.channel)) ?? s.channel;
    if (s.state === 'sending') {
      let found = await findMessage(target, key, { oldest: s.createdAt });
      if (lookupFailed(found) && target.startsWith('#') && found.failed.kind === 'refused' && found.failed.error === 'channel_not_found') {
        // Never posted in this channel before, so no id to read it by: post, at the risk of one double summary.
        log.warn({ channel: s.channel, summary: s.id }, 'cannot look for an interrupted summary in a channel known only by name; posting it again');
        found = undefined;
      }
      if (lookupFailed(found)) return afterFailure(s.channel, found.failed, { summary: s.id });
      if (found) {
        await markSummaryPosted(pool, s.id, { ts: found.ts, channelId: s.channelId ?? String(found.payload.channel ?? target), revision: Number(found.payload.revision ?? 0) });
        log.info({ channel: s.channel, summary: s.id, ts: found.ts }, 'summary found in Slack after a restart; not posted again');
        return 'next';
      }
    }
    const view = await summaryView(pool, s.id);
    if (!view) return 'next';
    const body = roundSummary(view);
    await markSummarySending(pool, s.id);
    const outcome = await post(s.channel, { channel: target, metadata: metadata({ key, revision: view.revision }), unfurl_links: false }, body, { summary: s.id });
    if (outcome.kind !== 'ok') {
      await markSummaryFailed(pool, s.id, outcome.error, outcome.kind === 'refused' ? 'no' : 'unknown');
      if (outcome.kind === 'refused' && CHANNEL_ERRORS.has(outcome.error)) await noteSummaryCardsError(pool, s.id, outcome.error);
      return afterFailure(s.channel, outcome, { summary: s.id });
    }
    await markSummaryPosted(pool, s.id, { ts: String(outcome.result.ts), channelId: String(outcome.result.channel ?? target), revision: view.revision });
    succeeded(s.channel);
    return 'next';
  }

  async function postCard(channel: string, c: CardWork): Promise<Step> {
    const key = cardKey(c.findingId);
    if (c.state === 'sending') {
      const found = await findMessage(c.channelId, key, { threadTs: c.threadTs });
      if (lookupFailed(found)) return afterFailure(channel, found.failed, { finding: c.findingId });
      if (found) {
        await markCardPosted(pool, c.findingId, { ts: found.ts, version: Number(found.payload.version ?? 0), auditId: Number(found.payload.audit_id ?? 0) });
        log.info({ channel, finding: c.findingId, ts: found.ts }, 'card found in Slack after a restart; not posted again');
        return 'next';
      }
    }
    const view = await findingCardView(pool, c.findingId);
    if (!view) return 'next';
    await markCardSending(pool, c.findingId);
    const body = findingCard(view);
    const message = { channel: c.channelId, thread_ts: c.threadTs, unfurl_links: false, unfurl_media: false, metadata: metadata({ key, version: view.finding.version, audit_id: view.auditId }) };
    const outcome = await post(channel, message, body, { finding: c.findingId });
    if (outcome.kind !== 'ok') {
      await markCardFailed(pool, c.findingId, outcome.error, outcome.kind === 'refused' ? 'no' : 'unknown');
      return afterFailure(channel, outcome, { finding: c.findingId });
    }
    await markCardPosted(pool, c.findingId, { ts: String(outcome.result.ts), version: view.finding.version, auditId: view.auditId });
    succeeded(channel);
    return 'next';
  }

  /** One threaded reply per result since the card last told, then the card edited in place. */
  async function updateCard(channel: string, c: CardWork): Promise<Step> {
    const view = await findingCardView(pool, c.findingId);
    if (!view) return 'next';
    if (!c.ts) { await markCardShown(pool, c.findingId, view.finding.version); return 'next'; }
    const changes = (await changesSince(pool, c.findingId, c.repliedAuditId)).filter((ch) => ch.auditId <= view.auditId);
    for (const change of changes) {
      const text = resultReply(change, view.finding);
      if (text !== undefined) {
        const key = replyKey(c.findingId, change.auditId);
        const found = c.replyAuditId === change.auditId ? await findMessage(c.channelId, key, { threadTs: c.threadTs }) : undefined;
        if (lookupFailed(found)) return afterFailure(channel, found.failed, { finding: c.findingId });
        if (!found) {
          await markReplySending(pool, c.findingId, change.auditId);
          const outcome = await send(channel, 'chat.postMessage', { channel: c.channelId, thread_ts: c.threadTs, text, metadata: metadata({ key }), unfurl_links: false });
          if (outcome.kind !== 'ok') {
            // Refused: not posted, so the 'sending' mark is harmless (the thread is searched, then it is posted).
            await noteCardError(pool, c.findingId, outcome.error);
            return afterFailure(channel, outcome, { finding: c.findingId, audit: change.auditId });
          }
        }
      }
      await markReplied(pool, c.findingId, change.auditId);
    }
    const outcome = await send(channel, 'chat.update', { channel: c.channelId, ts: c.ts, ...findingCard(view) });
    if (outcome.kind !== 'ok') {
      if (outcome.kind === 'refused' && outcome.error === 'message_not_found') {
        // Someone deleted the card in Slack: nothing to edit; the replies still tell the story.
        log.warn({ channel, finding: c.findingId, ts: c.ts }, 'the finding card was deleted in Slack; its updates go to its thread only');
        await markCardShown(pool, c.findingId, view.finding.version);
        return 'next';
      }
      await noteCardError(pool, c.findingId, outcome.error);
      return afterFailure(channel, outcome, { finding: c.findingId });
    }
    await markCardShown(pool, c.findingId, view.finding.version);
    succeeded(channel);
    return 'next';
  }

  async function updateSummary(s: SummaryWork): Promise<Step> {
    const view = await summaryView(pool, s.id);
    if (!view) return 'next';
    if (!s.ts || !s.channelId) { await markSummaryShown(pool, s.id, view.revision); return 'next'; }
    const body: SlackMessageBody = roundSummary(view);
    const outcome = await send(s.channel, 'chat.update', { channel: s.channelId, ts: s.ts, ...body });
    if (outcome.kind !== 'ok' && !(outcome.kind === 'refused' && outcome.error === 'message_not_found')) {
      return afterFailure(s.channel, outcome, { summary: s.id });
    }
    await markSummaryShown(pool, s.id, view.revision);
    return 'next';
  }

  /**
   * Works one channel through until nothing is owed there or it must wait: new summaries (each
   * thread must exist before its cards), then updates of changed cards (what a person who just
   * clicked waits for), then new cards in small batches (so a click is not stuck behind a burst),
   * and last the summaries' counts.
   */
  async function drain(channel: string): Promise<void> {
    /** False: leave the channel; true: read the work again. */
    const each = async <T>(items: T[], work: (item: T) => Promise<Step>): Promise<boolean> => {
      for (const item of items) {
        if (stop.signal.aborted || !lock) return false;
        const step = await work(item);
        if (step === 'stop') return false;
        if (step === 'again') return true;
      }
      return true;
    };
    while (!stop.signal.aborted && lock) {
      const summaries = await unpostedSummaries(pool, channel);
      if (summaries.length > 0) { if (!(await each(summaries, postSummary))) return; continue; }
      const stale = await staleCards(pool, channel);
      if (stale.length > 0) { if (!(await each(stale, (c) => updateCard(channel, c)))) return; continue; }
      const cards = await unpostedCards(pool, channel, cardBatch);
      if (cards.length > 0) { if (!(await each(cards, (c) => postCard(channel, c)))) return; continue; }
      const summariesStale = await staleSummaries(pool, channel);
      if (summariesStale.length > 0) { if (!(await each(summariesStale, updateSummary))) return; continue; }
      return;
    }
  }

  async function reportSkips(): Promise<void> {
    for (const skip of await takeUnreportedSkips(pool)) {
      const { code, fix } = ERROR_CODES.SLACK_NO_CHANNEL;
      log.warn({ content: skip.contentId, round: skip.roundId, cards: skip.cards, code }, `finding cards of ${skip.contentId} skipped: ${skip.reason}. Fix: ${fix}`);
    }
  }

  async function acquire(): Promise<boolean> {
    const candidate = await pool.connect();
    try {
      const { rows } = await candidate.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [POSTER_LOCK]);
      if (rows[0]?.locked) {
        // A lost connection loses the lock: stop posting, and try to take it again.
        candidate.on('error', () => { if (lock === candidate) { lock = undefined; candidate.release(true); } });
        lock = candidate;
        log.info('slack poster started: this process posts finding cards');
        return true;
      }
    } catch (error) {
      candidate.release(true);
      throw error;
    }
    candidate.release();
    if (!waitingLogged) {
      waitingLogged = true;
      log.info('another Vigil process holds the Slack poster lock and posts the finding cards; this one waits and takes over if it stops');
    }
    return false;
  }

  async function loop(): Promise<void> {
    while (!stop.signal.aborted) {
      try {
        if (!lock && !(await acquire())) { await sleep(lockRetryMs); continue; }
        await reportSkips();
        const now = Date.now();
        for (const channel of await channelsWithWork(pool)) {
          if (drainers.has(channel) || (blockedUntil.get(channel) ?? 0) > now) continue;
          const run = drain(channel)
            .catch((error: unknown) => {
              blockedUntil.set(channel, Date.now() + pollMs * 5);
              log.warn({ channel, err: { message: redactedMessage(error) } }, 'slack poster: a channel pass failed; trying again shortly');
            })
            .finally(() => drainers.delete(channel));
          drainers.set(channel, run);
        }
      } catch (error) {
        log.warn({ err: { message: redactedMessage(error) } }, 'slack poster: reading the work failed; trying again shortly');
      }
      await sleep(pollMs);
    }
  }

  const running = loop();
  return {
    get active() { return lock !== undefined; },
    async close() {
      stop.abort();
      await running;
      await Promise.all([...drainers.values()]);
      const held = lock;
      lock = undefined;
      if (held) {
        await held.query('select pg_advisory_unlock($1)', [POSTER_LOCK]).catch(() => undefined);
        held.release();
      }
    },
  };
}
