import { webApi } from '@slack/bolt';
import type { Queue, Worker } from 'bullmq';
import type pg from 'pg';
import { ENV, type Config, type SlackConfig } from '../../core/config.js';
import { VigilError } from '../../core/errors.js';
import { observeJobs } from '../../core/job-metrics.js';
import type { Logger } from '../../core/log.js';
import type { Revoker } from '../../core/revocation.js';
import type { RedisService } from '../../core/redis.js';
import { startSlackApp, type SlackAppHandle } from './app.js';
import type { SlackDeps } from './deps.js';
import type { PackBuilder } from './evidence.js';
import { startSlackWorker } from './jobs.js';
import { startPoster, type Poster } from './poster.js';

/**
 * The whole bot in one process: the Bolt app (HTTP or Socket Mode), the slack-queue worker that
 * does what people asked for, and the loops that keep Slack in step with the records.
 */

export interface SlackBotOptions {
  pool: pg.Pool;
  redis: RedisService;
  queue: Queue;
  queuePrefix: string;
  config: SlackConfig;
  /** For /vigil register (a catalog pull request through the GitHub App). */
  github?: Config['github'];
  /** Builds evidence packs for the Evidence button (runners/evidence/builder.ts). */
  evidence?: PackBuilder;
  /** Revokes for the Revoke button on traced-session cards (cli/revoker.ts). */
  revoker?: Revoker;
  log: Logger;
  /** Interface the HTTP transport listens on (VIGIL_BIND). */
  host: string;
  /** How often the poster reads the records for cards to post (ms); default 1000. */
  posterPollMs?: number;
  /**
   * Whether this process also does the slack-queue jobs (default true). False leaves them to
   * `vigil worker --queues slack` elsewhere, so nothing but acks competes for this process.
   */
  worker?: boolean;
}

/**
 * The slack-queue worker on its own, for a process without the Bolt app (`vigil worker --queues
 * slack`): its Web API client is a plain one with the bot token.
 */
export function startSlackJobs(options: Omit<SlackBotOptions, 'host' | 'posterPollMs' | 'worker'>): Worker {
  if (!options.config.botToken) throw new VigilError('SLACK_NOT_CONFIGURED', `the slack queue worker needs ${ENV.SLACK_BOT_TOKEN} to answer people in Slack`);
  const redis = options.redis.client();
  redis.on('error', () => undefined);
  const deps: SlackDeps = {
    pool: options.pool, queue: options.queue, redis, keyPrefix: options.queuePrefix, config: options.config, ...(options.github ? { github: options.github } : {}),
    ...(options.evidence ? { evidence: options.evidence } : {}), ...(options.revoker ? { revoker: options.revoker } : {}), log: options.log.child({ component: 'slack' }), client: new webApi.WebClient(options.config.botToken, { slackApiUrl: options.config.apiUrl, logLevel: webApi.LogLevel.ERROR }),
  };
  const worker = startSlackWorker(deps, options.redis, options.queuePrefix);
  worker.on('closed', () => redis.disconnect());
  return worker;
}

export interface SlackBot {
  /** The request URL for Slack (HTTP transport), else undefined. */
  url: string | undefined;
  deps: SlackDeps;
  handle: SlackAppHandle;
  /** Stops taking requests, lets current jobs finish, then returns. */
  close(): Promise<void>;
}

export async function startSlackBot(options: SlackBotOptions): Promise<SlackBot> {
  const redis = options.redis.client();
  redis.on('error', () => undefined); // reconnects by itself; a failed cache read falls back to Slack
  const base = { pool: options.pool, queue: options.queue, redis, keyPrefix: options.queuePrefix, config: options.config, ...(options.github ? { github: options.github } : {}),
    ...(options.evidence ? { evidence: options.evidence } : {}), ...(options.revoker ? { revoker: options.revoker } : {}), log: options.log.child({ component: 'slack' }) };
  let handle: SlackAppHandle;
  try {
    handle = await startSlackApp(base, options.host);
  } catch (error) {
    redis.disconnect();
    throw error;
  }
  const deps: SlackDeps = { ...base, client: handle.app.client };
  const worker = options.worker === false ? undefined : startSlackWorker(deps, options.redis, options.queuePrefix);
  if (worker) observeJobs(worker);
  // Finding cards: posted and kept up to date from the records, by one poster across processes.
  const poster: Poster = startPoster({ pool: options.pool, config: options.config, log: deps.log, ...(options.posterPollMs === undefined ? {} : { pollMs: options.posterPollMs }) });
  return {
    url: handle.url,
    deps,
    handle,
    async close() {
      await poster.close();
      await handle.stop();
      await worker?.close();
      redis.disconnect();
    },
  };
}
