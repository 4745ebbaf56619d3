import { Queue, type ConnectionOptions } from 'bullmq';
import type { QueueName } from './queues.js';
import type { RedisService } from './redis.js';

/** BullMQ's blocking commands need maxRetriesPerRequest: null. */
export function bullConnection(redis: RedisService): ConnectionOptions {
  return { url: redis.url, maxRetriesPerRequest: null };
}

/** Every queue is made here so that prefix and connection are the same everywhere. */
export function openQueue(name: QueueName, redis: RedisService, prefix: string): Queue {
  return new Queue(name, { connection: bullConnection(redis), prefix });
}
