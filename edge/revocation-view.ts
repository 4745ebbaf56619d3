/**
 * A minimal revocation reader for the edge over the layout of edge/revocation-keys.ts: a local map
 * of revoked session ids (and until when), kept current by the events channel and re-read in full
 * on every (re)connect, so a lookup is a Map read with no Redis round trip per request. Events that
 * arrive during a re-read are applied after it, so a re-read's snapshot cannot undo them.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../core/log.js';
import { revocationKeys, type RevocationEvent } from './revocation-keys.js';

export interface RevocationView {
  isRevoked(sessionId: string): boolean;
  /** Revoked identifiers known now (across the enforced lists). */
  size(): number;
  /** Resolves once the first full read is done. */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface RevocationViewOptions {
  /** A client for reads; the view makes its own subscriber from it (duplicate) and quits that one on close. */
  redis: Redis;
  prefix: string;
  /** List ids to enforce; undefined: every list in the lists hash. */
  lists?: readonly number[];
  log: Logger;
  now?: () => number;
}

function parseEvent(message: string): RevocationEvent | undefined {
  try {
    const e = JSON.parse(message) as Partial<RevocationEvent>;
    if (!Number.isInteger(e.listId) || (e.op !== 'add' && e.op !== 'remove') || !Array.isArray(e.ids) || !e.ids.every((id) => typeof id === 'string')) return undefined;
    if (e.op === 'add' && !Number.isFinite(e.until)) return undefined;
    return e as RevocationEvent;
  } catch { return undefined; }
}

export function openRevocationView(options: RevocationViewOptions): RevocationView {
  const keys = revocationKeys(options.prefix);
  const now = options.now ?? Date.now;
  /** list id → (session id → revoked until, epoch ms). */
  let byList = new Map<number, Map<string, number>>();
  let pending: RevocationEvent[] | undefined;
  const enforced = (listId: number): boolean => options.lists === undefined || options.lists.includes(listId);

  const apply = (e: RevocationEvent): void => {
    if (!enforced(e.listId)) return;
    let ids = byList.get(e.listId);
    if (!ids) byList.set(e.listId, (ids = new Map()));
    for (const id of e.ids) {
      if (e.op === 'add') ids.set(id, e.until!);
      else ids.delete(id);
    }
  };

  const reload = async (): Promise<void> => {
    pending = [];
    try {
      const listIds = options.lists ?? (await options.redis.hkeys(keys.lists)).map(Number).filter(Number.isInteger);
      const fresh = new Map<number, Map<string, number>>();
      const t = now();
      for (const listId of listIds) {
        const flat = await options.redis.zrangebyscore(keys.ids(listId), `(${t}`, '+inf', 'WITHSCORES');
        const ids = new Map<string, number>();
        for (let i = 0; i + 1 < flat.length; i += 2) ids.set(flat[i]!, Number(flat[i + 1]));
        fresh.set(listId, ids);
      }
      byList = fresh;
      for (const e of pending) apply(e);
      options.log.info({ event: 'revocations-loaded', lists: listIds.length, ids: [...fresh.values()].reduce((s, m) => s + m.size, 0) }, 'revocation lists read');
    } finally {
      pending = undefined;
    }
  };

  const subscriber = options.redis.duplicate();
  subscriber.on('message', (_channel: string, message: string) => {
    const e = parseEvent(message);
    if (!e) { options.log.warn({ event: 'revocation-event-unreadable' }, 'a revocation event could not be read; ignored'); return; }
    if (pending) pending.push(e);
    apply(e);
  });
  subscriber.on('error', (error: Error) => options.log.warn({ event: 'revocation-subscriber-error', err: error.message }, 'revocation subscriber error; reconnecting'));
  let first = true;
  const ready = new Promise<void>((resolve, reject) => {
    // Subscribe first, then read, on the first connect and on every reconnect (ioredis re-subscribes itself).
    subscriber.on('ready', () => {
      const run = first ? subscriber.subscribe(keys.events).then(reload) : reload();
      run.then(() => { if (first) { first = false; resolve(); } }, (error: unknown) => {
        options.log.warn({ event: 'revocation-reload-failed', err: (error as Error).message }, 'could not read the revocation lists');
        if (first) reject(error as Error);
      });
    });
  });

  return {
    isRevoked(sessionId) {
      const t = now();
      for (const ids of byList.values()) {
        const until = ids.get(sessionId);
        if (until !== undefined && until > t) return true;
      }
      return false;
    },
    size: () => [...byList.values()].reduce((s, m) => s + m.size, 0),
    ready,
    async close() { subscriber.disconnect(); },
  };
}
