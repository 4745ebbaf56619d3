import { webApi } from '@slack/bolt';
import type { SlackDeps } from './deps.js';

/**
 * Web API clients made for one purpose, beside the bot's own client, whose retries suit neither:
 * - `lookup` gives up within seconds, because a person is waiting on the answer and the bot's
 *   client would keep retrying a failing Slack for half an hour;
 * - `single-try` never re-sends a call: a chat.postMessage whose answer was lost would be posted
 *   twice. The caller's job is retried instead, through its own once-only record.
 */
export type ClientPurpose = 'lookup' | 'single-try';

const OPTIONS: Record<ClientPurpose, webApi.WebClientOptions> = {
  lookup: { retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1000 }, rejectRateLimitedCalls: true, timeout: 5000 },
  'single-try': { retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 15_000 },
};

const clients = new WeakMap<SlackDeps['config'], Map<ClientPurpose, webApi.WebClient>>();

/** The client for `purpose` with the bot's token and API address, made once per configuration. */
export function purposeClient(deps: Pick<SlackDeps, 'config'>, purpose: ClientPurpose): webApi.WebClient {
  let byPurpose = clients.get(deps.config);
  if (!byPurpose) clients.set(deps.config, (byPurpose = new Map()));
  let client = byPurpose.get(purpose);
  if (!client) {
    client = new webApi.WebClient(deps.config.botToken, { slackApiUrl: deps.config.apiUrl, logLevel: webApi.LogLevel.ERROR, ...OPTIONS[purpose] });
    byPurpose.set(purpose, client);
  }
  return client;
}
