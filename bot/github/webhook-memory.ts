import type { Redis } from 'ioredis';

/** What the App remembers between deliveries (in Redis: losing it loses no record, only dedup for a while). */
export interface WebhookMemory {
  /** True for the first claim of a delivery id; false when it is being or has been handled. */
  claimDelivery(id: string): Promise<boolean>;
  /** Forgets a claim, so that GitHub's redelivery of a failed delivery is handled again. */
  releaseDelivery(id: string): Promise<void>;
  /** The catalog repository's id: the first one offered is kept, and returned from then on. */
  pinRepositoryId(id: number): Promise<number>;
  /** The kept repository id, if any. */
  repositoryId(): Promise<number | undefined>;
}

/** GitHub keeps deliveries for redelivery for 3 days; a week covers that with room. */
const DELIVERY_TTL_S = 7 * 24 * 3600;

export function redisWebhookMemory(redis: Redis, prefix: string): WebhookMemory {
  const deliveryKey = (id: string): string => `${prefix}:github:delivery:${id}`;
  const repoIdKey = `${prefix}:github:catalog-repository-id`;
  return {
    async claimDelivery(id) {
      return (await redis.set(deliveryKey(id), '1', 'EX', DELIVERY_TTL_S, 'NX')) === 'OK';
    },
    async releaseDelivery(id) {
      await redis.del(deliveryKey(id));
    },
    async pinRepositoryId(id) {
      await redis.set(repoIdKey, String(id), 'NX');
      return Number(await redis.get(repoIdKey));
    },
    async repositoryId() {
      const value = await redis.get(repoIdKey);
      return value === null ? undefined : Number(value);
    },
  };
}
