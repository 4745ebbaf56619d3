import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, HTTPReceiver, SocketModeReceiver, webApi, type Receiver } from '@slack/bolt';
import { VigilError } from '../../core/errors.js';
import { missingSlackSettings } from '../../core/config.js';
import { serveMetrics } from '../../core/metrics.js';
import { redactedMessage } from '../../core/redact.js';
import { findingActions } from './actions.js';
import { boltLogger } from './bolt-logger.js';
import { commandsFeature } from './commands.js';
import type { SlackDeps, SlackFeature } from './deps.js';
import { registerFeature } from './register.js';
import { reviewFeature } from './review.js';
import { sessionRevokeFeature } from './session-card.js';

/**
 * The Bolt app and its transport. HTTP (the default): Bolt's receiver verifies every request's
 * signature and refuses one whose timestamp is over five minutes old. Socket Mode: the bot opens a
 * WebSocket to Slack (apps.connections.open), for a workspace behind a firewall. Either way the
 * same listeners (FEATURES) answer.
 */

/** Every part of the bot, in the order their listeners are added. */
const FEATURES: readonly SlackFeature[] = [findingActions, commandsFeature, reviewFeature, registerFeature, sessionRevokeFeature];

/** Where Slack sends events, interactions and slash commands on the HTTP transport (the manifest names it). */
export const SLACK_EVENTS_PATH = '/slack/events';

export interface SlackAppHandle {
  app: App;
  /** The request URL to give Slack (HTTP transport only). */
  url: string | undefined;
  stop(): Promise<void>;
}

export type AppDeps = Omit<SlackDeps, 'client'>;

/**
 * Who the bot is, asked of Slack once at start: a wrong token fails here, clearly, and Bolt then
 * never calls auth.test on a request's way to its ack.
 */
async function botIdentity(config: AppDeps['config']): Promise<{ botId: string; botUserId: string }> {
  const client = new webApi.WebClient(config.botToken, { slackApiUrl: config.apiUrl, retryConfig: { retries: 2, maxTimeout: 2000 }, logLevel: webApi.LogLevel.ERROR });
  try {
    const auth = await client.auth.test();
    if (!auth.bot_id || !auth.user_id) throw new Error('the token is not a bot token (auth.test named no bot)');
    return { botId: auth.bot_id, botUserId: auth.user_id };
  } catch (error) {
    const slackError = (error as { data?: { error?: string } }).data?.error;
    throw new VigilError('SLACK_API_FAILED', `Slack refused SLACK_BOT_TOKEN at ${config.apiUrl}auth.test: ${slackError ?? redactedMessage(error)}`, { cause: error });
  }
}

export async function startSlackApp(deps: AppDeps, host: string, features: readonly SlackFeature[] = FEATURES): Promise<SlackAppHandle> {
  const { config, log } = deps;
  const missing = missingSlackSettings(config);
  if (missing.length > 0) throw new VigilError('SLACK_NOT_CONFIGURED', `the Slack bot (${config.transport} transport) needs ${missing.join(', ')}`);
  const logger = boltLogger(log);
  const clientOptions = { slackApiUrl: config.apiUrl };
  let receiver: Receiver;
  let http: HTTPReceiver | undefined;
  if (config.transport === 'socket') {
    receiver = new SocketModeReceiver({ appToken: config.appToken!, logger, installerOptions: { clientOptions } });
  } else {
    // Prometheus scrapes the bot's own port; /metrics carries no signature, so Bolt's check is not asked.
    const metrics = { path: '/metrics', method: 'GET', handler: (req: IncomingMessage, res: ServerResponse) => void serveMetrics(req, res) };
    http = new HTTPReceiver({ signingSecret: config.signingSecret!, endpoints: SLACK_EVENTS_PATH, logger, processBeforeResponse: false, customRoutes: [metrics] });
    receiver = http;
  }
  const identity = await botIdentity(config);
  const app = new App({ token: config.botToken!, ...identity, receiver, logger, clientOptions, tokenVerificationEnabled: false });
  const withClient: SlackDeps = { ...deps, client: app.client };
  for (const feature of features) feature(app, withClient);
  // A listener that throws is a bug of ours, never the user's: log it (redacted), tell Slack nothing more.
  app.error(async (error) => {
    log.error({ err: { message: redactedMessage(error), code: (error as { code?: string }).code } }, 'slack listener failed');
  });
  let url: string | undefined;
  if (http) {
    const server = await http.start({ port: config.port, host });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    url = `http://${host.includes(':') ? `[${host}]` : host}:${port}${SLACK_EVENTS_PATH}`;
  } else {
    await receiver.start();
  }
  return { app, url, stop: () => app.stop().then(() => undefined) };
}
