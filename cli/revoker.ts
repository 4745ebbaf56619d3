import type { Revoker } from '../core/revocation.js';
import { mirrorsFromConfig } from '../edge/akamai-adapter.js';
import { revocationStore, type RevocationStore } from '../edge/revocation-store.js';
import { pushDeliverer, startPushRelay, type PushDeliverer, type PushRelay } from '../edge/revocation-pushes.js';
import type { Context } from './context.js';

/**
 * The revoker every command that revokes uses (vigil revoke, vigil detect --package, the revocation
 * API of vigil revocation serve and vigil edge, the Slack bot's Revoke button): Vigil's lists in
 * Redis, the database, and the CDN mirrors configured (AKAMAI_*), each owed every call durably.
 */
export interface OpenRevoker {
  revoker: Revoker;
  store: RevocationStore;
  deliverer: PushDeliverer;
  /** Keeps pushing what a down mirror missed (processes that stay up start it). */
  startRelay(intervalMs?: number): PushRelay;
  close(): void;
}

export async function openRevoker(ctx: Context): Promise<OpenRevoker> {
  const mirrors = await mirrorsFromConfig(ctx.config, ctx.log);
  const pool = (await ctx.db()).pool;
  const redis = (await ctx.redis()).client();
  redis.on('error', () => undefined); // reconnects by itself; a call made meanwhile fails with the reason
  const store = revocationStore(redis, ctx.config.queuePrefix);
  const deliverer = pushDeliverer({ pool, targets: mirrors, log: ctx.log });
  return {
    revoker: { pool, lists: store, mirrors: mirrors.map((m) => m.name), deliver: deliverer.deliver },
    store,
    deliverer,
    startRelay: (intervalMs) => startPushRelay(deliverer, ctx.log, intervalMs),
    close: () => redis.disconnect(),
  };
}
