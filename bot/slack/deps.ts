import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { Config, SlackConfig } from '../../core/config.js';
import type { Logger } from '../../core/log.js';
import type { Revoker } from '../../core/revocation.js';
import type { PackBuilder } from './evidence.js';

/** What every part of the bot works with: the records, the slack queue, a Redis client for caches, the Web API. */
export interface SlackDeps {
  pool: pg.Pool;
  /** The slack queue: an action is acknowledged at once and done by a job there. */
  queue: Queue;
  /** For caches (user-group members) and short-lived keys; never for records. */
  redis: Redis;
  /** Redis keys the bot keeps start with this (the queue prefix). */
  keyPrefix: string;
  client: WebClient;
  config: SlackConfig;
  /** The GitHub App and catalog repository, for /vigil register's pull requests; absent or partial: register says what it needs. */
  github?: Config['github'];
  /** Builds evidence packs for the Evidence button (runners/evidence/builder.ts, given by the CLI); absent: the button's job says so. */
  evidence?: PackBuilder;
  /** Revokes for the Revoke button on traced-session cards (the revocation lists and mirrors, given by the CLI); absent: the button's job says so. */
  revoker?: Revoker;
  log: Logger;
}

/** A part of the bot (actions, commands, review, …) adds its listeners to the Bolt app here. */
export type SlackFeature = (app: App, deps: SlackDeps) => void;
