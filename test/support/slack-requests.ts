import { createHmac } from 'node:crypto';

/**
 * Requests to the bot signed exactly as Slack signs them: `v0=` + HMAC-SHA256 over
 * `v0:{X-Slack-Request-Timestamp}:{raw body}` with the app's signing secret
 * (https://api.slack.com/authentication/verifying-requests-from-slack).
 */

export const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SignedRequestOptions {
  /** Unix seconds; default now. A stale one (over five minutes old) must be refused. */
  timestamp?: number;
  /** A signature to send instead of the right one (or null for none). */
  signature?: string | null;
  /** X-Slack-Retry-Num, as Slack sends on a retry. */
  retryNum?: number;
  secret?: string;
}

export interface SlackResponse {
  status: number;
  text: string;
  /** Milliseconds from sending to the full response: the ack time Slack would see. */
  ms: number;
}

/** POSTs a signed form body (what Slack sends for interactions and slash commands). */
export async function postSigned(url: string, body: string, options: SignedRequestOptions = {}): Promise<SlackResponse> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = options.signature === undefined ? slackSignature(options.secret ?? SIGNING_SECRET, timestamp, body) : options.signature;
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    'x-slack-request-timestamp': String(timestamp),
    'user-agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
  };
  if (signature !== null) headers['x-slack-signature'] = signature;
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  const started = performance.now();
  const res = await fetch(url, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, text, ms: performance.now() - started };
}

/** An interaction (block_actions, view_submission, …) as Slack sends it: one form field `payload` holding JSON. */
export function interactionBody(payload: Record<string, unknown>): string {
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** A slash command as Slack sends it: form fields. */
export function commandBody(fields: { command?: string; text: string; user_id: string; channel_id?: string; response_url: string; trigger_id?: string; user_name?: string }): string {
  return new URLSearchParams({
    token: 'deprecated-verification-token', team_id: 'T0VIGIL', team_domain: 'vigil-test', channel_id: fields.channel_id ?? 'C00000001', channel_name: 'vigil-findings',
    user_id: fields.user_id, user_name: fields.user_name ?? fields.user_id.toLowerCase(), command: fields.command ?? '/vigil', text: fields.text,
    api_app_id: 'A0VIGIL', is_enterprise_install: 'false', response_url: fields.response_url, trigger_id: fields.trigger_id ?? `${Date.now()}.1.abc`,
  }).toString();
}

export interface ButtonClick {
  user: string;
  actionId: string;
  value: string;
  channel: string;
  messageTs: string;
  responseUrl: string;
  /** Other action ids and values of the same message (what Slack sends under state). */
  state?: Record<string, unknown>;
  actionTs?: string;
}

/** A block_actions payload for one button click on a message, shaped as Slack sends it. */
export function buttonClick(click: ButtonClick): Record<string, unknown> {
  const actionTs = click.actionTs ?? `${(Date.now() / 1000).toFixed(6)}`;
  return {
    type: 'block_actions',
    user: { id: click.user, username: click.user.toLowerCase(), name: click.user.toLowerCase(), team_id: 'T0VIGIL' },
    api_app_id: 'A0VIGIL',
    token: 'deprecated-verification-token',
    container: { type: 'message', message_ts: click.messageTs, channel_id: click.channel, is_ephemeral: false },
    trigger_id: `${Date.now()}.1.${Math.random().toString(36).slice(2, 10)}`,
    team: { id: 'T0VIGIL', domain: 'vigil-test' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: click.channel, name: 'vigil-findings' },
    message: { type: 'message', ts: click.messageTs, user: 'UVIGILBOT', text: '' },
    state: { values: click.state ?? {} },
    response_url: click.responseUrl,
    actions: [{ type: 'button', action_id: click.actionId, block_id: 'finding-actions', value: click.value, action_ts: actionTs }],
  };
}
