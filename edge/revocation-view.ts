/**
 * The revocations as one edge process sees them: a copy in memory, so `isRevoked(id)` on the hot
 * path is a Map lookup and no Redis round trip. The copy is kept current by the events the store
 * publishes (revocation-keys.ts) and read in full from Redis on every (re)connect, since pub/sub
 * drops what is published while a subscriber is away. A revocation ends by its score (epoch ms):
 * `isRevoked` compares with the clock, and a sweep drops ended entries to bound memory.
 *
 * While Redis is unreachable the copy stays as it was: sessions revoked before keep being refused;
 * revocations made meanwhile arrive with the re-read once Redis answers again.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from '../core/log.js';
import { revocationKeys, scoredMembers, type RevocationEvent } from './revocation-keys.js';

export interface RevocationView {
  /** Synchronous, from memory: whether any watched list revokes this identifier now. */
  isRevoked(id: string): boolean;
  /** Resolves once the first full read is in memory. */
  readonly ready: Promise<void>;
  /** Identifiers held in memory (some may have just ended). */
  size(): number;
  /** How many full reads have completed: 1 after start, one more after each reconnect. */
  resyncs(): number;
  close(): Promise<void>;
}

export interface RevocationViewOptions {
  /** Only these list ids count; all lists when absent. */
  lists?: number[];
  /** Epoch milliseconds; tests move it to see revocations end. */
  now?: () => number;
  log?: Logger;
  /** How often ended entries are dropped from memory (default 60 s). */
  sweepMs?: number;
  /** Overrides for both connections (tests set a slow retryStrategy). */
  redisOptions?: Partial<RedisOptions>;
}

function parseEvent(message: string): RevocationEvent | undefined {
  try {
    const event = JSON.parse(message) as Partial<RevocationEvent>;
    if (typeof event.listId !== 'number' || (event.op !== 'add' && event.op !== 'remove') || !Array.isArray(event.ids)) return undefined;
    if (event.op === 'add' && typeof event.until !== 'number') return undefined;
    return event as RevocationEvent;
  } catch {
    return undefined;
  }
}

export function openRevocationView(connection: RedisOptions, prefix: string, options: RevocationViewOptions = {}): RevocationView {
  const keys = revocationKeys(prefix);
  const now = options.now ?? Date.now;
  const watched = options.lists === undefined ? undefined : new Set(options.lists);
  const redisOptions: RedisOptions = { ...connection, lazyConnect: false, maxRetriesPerRequest: null, ...options.redisOptions };
  const subscriber = new Redis(redisOptions);
  const reader = new Redis(redisOptions);
  subscriber.on('error', (error: Error) => options.log?.warn({ err: error.message }, 'revocation view: subscriber connection error'));
  reader.on('error', (error: Error) => options.log?.warn({ err: error.message }, 'revocation view: reader connection error'));

  /** identifier -> list id -> end (epoch ms). */
  let revoked = new Map<string, Map<number, number>>();
  /** Events that arrive during a full read, applied on top of it in order. */
  let buffered: RevocationEvent[] | undefined;
  let generation = 0;
  let completed = 0;
  let closed = false;

  const apply = (target: Map<string, Map<number, number>>, event: RevocationEvent) => {
    if (watched && !watched.has(event.listId)) return;
    if (event.op === 'add') {
      for (const id of event.ids) {
        const lists = target.get(id) ?? new Map<number, number>();
        lists.set(event.listId, event.until ?? 0);
        target.set(id, lists);
      }
    } else {
      for (const id of event.ids) {
        const lists = target.get(id);
        if (!lists) continue;
        lists.delete(event.listId);
        if (lists.size === 0) target.delete(id);
      }
    }
  };

  subscriber.on('message', (channel: string, message: string) => {
    if (channel !== keys.events) return;
    const event = parseEvent(message);
    if (!event) {
      options.log?.warn({ channel, message: message.slice(0, 200) }, 'revocation view: ignored an event that is not a revocation event');
      return;
    }
    if (buffered) buffered.push(event);
    else apply(revoked, event);
  });

  const resync = async (): Promise<void> => {
    const mine = ++generation;
    buffered ??= [];
    // Subscribed before reading, so nothing written after the read can be missed.
    await subscriber.subscribe(keys.events);
    const at = now();
    const listIds = (await reader.hkeys(keys.lists)).map(Number).filter((id) => !watched || watched.has(id));
    const next = new Map<string, Map<number, number>>();
    for (const listId of listIds) {
      const reply = await reader.call('ZRANGE', keys.ids(listId), `(${at}`, '+inf', 'BYSCORE', 'WITHSCORES');
      for (const [id, until] of scoredMembers(reply)) {
        const lists = next.get(id) ?? new Map<number, number>();
        lists.set(listId, until);
        next.set(id, lists);
      }
    }
    if (mine !== generation || closed) return; // a newer read has started; it will finish the job
    for (const event of buffered ?? []) apply(next, event);
    buffered = undefined;
    revoked = next;
    completed += 1;
    options.log?.info({ identifiers: next.size, lists: listIds.length, resyncs: completed }, 'revocation view: read the revocation lists');
  };

  let resolveReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => { resolveReady = resolve; });
  subscriber.on('ready', () => {
    resync().then(resolveReady, (error: unknown) => options.log?.warn({ err: (error as Error).message }, 'revocation view: full read failed; it is tried again on the next reconnect'));
  });

  const sweep = setInterval(() => {
    const at = now();
    for (const [id, lists] of revoked) {
      for (const [listId, until] of lists) if (until <= at) lists.delete(listId);
      if (lists.size === 0) revoked.delete(id);
    }
  }, options.sweepMs ?? 60_000);
  sweep.unref();

  return {
    isRevoked(id) {
      const lists = revoked.get(id);
      if (lists === undefined) return false;
      const at = now();
      for (const until of lists.values()) if (until > at) return true;
      return false;
    },
    ready,
    size: () => revoked.size,
    resyncs: () => completed,
    async close() {
      closed = true;
      clearInterval(sweep);
      subscriber.disconnect();
      reader.disconnect();
    },
  };
}
