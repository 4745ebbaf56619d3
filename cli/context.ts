import type { Queue } from 'bullmq';
import { openQueue } from '../core/bullmq.js';
import { loadConfig, type Config } from '../core/config.js';
import { openDatabase, type Database } from '../core/db/database.js';
import { createLogger, type Logger } from '../core/log.js';
import { registerProcessSecrets } from '../core/redact.js';
import { QUEUES, type QueueName } from '../core/queues.js';
import { openRedis, type RedisService } from '../core/redis.js';
import type { CliIo } from './io.js';
import { statusLineOf } from './status-line.js';

/** Services a command needs, opened on first use and closed once at the end. */
export class Context {
  readonly config: Config;
  readonly log: Logger;
  private database: Promise<Database> | undefined;
  private redisService: Promise<RedisService> | undefined;
  private readonly queues = new Map<QueueName, Queue>();

  constructor(readonly io: CliIo) {
    this.config = loadConfig(io.env, io.cwd);
    registerProcessSecrets(this.config, io.env);
    // Logs share stderr with progress bars, through its status line; readable lines for a person
    // at a terminal, JSON lines for anything else (VIGIL_LOG_FORMAT decides when set).
    const stderr = statusLineOf(io.stderr);
    this.log = createLogger(this.config.logLevel, 'vigil', {
      format: this.config.logFormat ?? (stderr.tty ? 'pretty' : 'json'),
      color: stderr.tty && io.env.NO_COLOR === undefined,
      write: (line) => stderr.write(line),
    });
  }

  db(): Promise<Database> {
    this.database ??= openDatabase(this.config, this.log);
    return this.database;
  }

  redis(): Promise<RedisService> {
    this.redisService ??= openRedis(this.config, this.log);
    return this.redisService;
  }

  async queue(name: QueueName): Promise<Queue> {
    const existing = this.queues.get(name);
    if (existing) return existing;
    const queue = openQueue(name, await this.redis(), this.config.queuePrefix);
    this.queues.set(name, queue);
    return queue;
  }

  monitorQueue(): Promise<Queue> {
    return this.queue(QUEUES.monitor);
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    if (this.database) await (await this.database.catch(() => undefined))?.close();
    if (this.redisService) await (await this.redisService.catch(() => undefined))?.stop();
  }
}
