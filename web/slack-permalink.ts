import type { SlackConfig } from '../core/config.js';
import type { Logger } from '../core/log.js';
import { redactedMessage } from '../core/redact.js';

/**
 * The link to a finding's Slack card. Slack's own (chat.getPermalink) names the workspace, so it
 * opens in the right one; when it cannot be had (no bot token, Slack down or refusing), the link is
 * built by hand as slack.com/archives/CHANNEL/pTS, which Slack redirects for a signed-in person, and
 * the failure is logged. Permalinks never change: each is asked for once per process.
 */

export interface SlackCard {
  channelId: string;
  ts: string;
  threadTs: string | null;
}

export type SlackPermalinks = (card: SlackCard) => Promise<string>;

/** The hand-built form: the card is a reply in its round's thread. */
export function builtPermalink(card: SlackCard): string {
  const base = `https://slack.com/archives/${encodeURIComponent(card.channelId)}/p${card.ts.replace('.', '')}`;
  return card.threadTs ? `${base}?thread_ts=${encodeURIComponent(card.threadTs)}&cid=${encodeURIComponent(card.channelId)}` : base;
}

/** A page waits this long for Slack at most; the hand-built link serves meanwhile. */
const TIMEOUT_MS = 2000;
const KEPT = 10_000;

export function slackPermalinks(slack: Pick<SlackConfig, 'botToken' | 'apiUrl'>, log: Logger): SlackPermalinks {
  const known = new Map<string, string>();
  return async (card) => {
    const key = `${card.channelId}/${card.ts}`;
    const kept = known.get(key);
    if (kept) return kept;
    if (!slack.botToken) return builtPermalink(card);
    try {
      const res = await fetch(new URL('chat.getPermalink', slack.apiUrl), {
        method: 'POST',
        headers: { authorization: `Bearer ${slack.botToken}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ channel: card.channelId, message_ts: card.ts }),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const answer = (await res.json().catch(() => ({}))) as { ok?: boolean; permalink?: unknown; error?: unknown };
      if (!res.ok || answer.ok !== true || typeof answer.permalink !== 'string' || !/^https:\/\//.test(answer.permalink)) {
        throw new Error(`chat.getPermalink answered HTTP ${res.status}${typeof answer.error === 'string' ? ` ${answer.error}` : ''}`);
      }
      if (known.size >= KEPT) known.clear();
      known.set(key, answer.permalink);
      return answer.permalink;
    } catch (error) {
      log.warn({ event: 'web-slack-permalink-failed', channel: card.channelId, ts: card.ts, error: redactedMessage(error) }, 'web view: Slack gave no permalink for a card; linking the hand-built one');
      return builtPermalink(card);
    }
  };
}
