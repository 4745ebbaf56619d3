/**
 * Delivers the pushes each CDN mirror is owed (core/db/revocations.ts, migration 18): a revocation
 * made while Akamai's API is down, refuses the credentials or times out is pushed again later, with
 * backoff, until the mirror takes it or every revocation it carries has ended (then it is moot).
 * A target's pushes go in the order the calls were made, so a later remove never lands before the
 * add it undoes; one process at a time delivers a target's pushes (an advisory lock), so two
 * processes do not push the same call twice at once (twice in a row would be harmless: an add
 * replaces an identifier's end, a remove of an absent one is no error).
 */
import type pg from 'pg';
import { isVigilError } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import { lockPushTarget, markPushDone, markPushFailed, markPushMoot, pendingPushes, type RevocationPush } from '../core/db/revocations.js';
import { inTransaction } from '../core/db/transaction.js';
import type { PushDelivery, PushOutcome, RevocationItem } from '../core/revocation.js';
import type { RevocationTarget } from './revocation-target.js';

export interface PushDeliveryOptions {
  pool: pg.Pool;
  targets: readonly RevocationTarget[];
  log?: Logger;
  /** Wait after a first failed try; each further one waits twice as long, at most an hour (default 30 s). */
  retryBaseMs?: number;
}

export interface PushDeliverer {
  /** The pushes just owed by a call (tried at once, after any earlier ones of their target). */
  deliver: PushDelivery;
  /** Every target whose oldest pending push is due: what the relay does each pass. */
  deliverDue(): Promise<PushOutcome[]>;
}

function errorText(error: unknown): string {
  return isVigilError(error) ? `error ${error.code}: ${error.message}` : String((error as Error)?.message ?? error);
}

export function pushDeliverer(options: PushDeliveryOptions): PushDeliverer {
  const retryBaseMs = options.retryBaseMs ?? 30_000;
  const send = (target: RevocationTarget, push: RevocationPush) => (push.op === 'add'
    ? target.add(push.listId, push.body as RevocationItem[])
    : target.remove(push.listId, push.body as string[]));

  const deliverTarget = (target: RevocationTarget, force: boolean): Promise<PushOutcome[]> => inTransaction(options.pool, async (tx) => {
    // Another process is delivering this target now: it takes these pushes too, in order.
    if (!(await lockPushTarget(tx, target.name))) return [];
    const pending = await pendingPushes(tx, target.name);
    const now = Date.now();
    if (pending.length === 0 || (!force && pending[0]!.nextAttemptAt.getTime() > now)) return [];
    const outcomes: PushOutcome[] = [];
    let blockedBy: number | undefined;
    for (const push of pending) {
      if (push.mootAfter.getTime() <= now) {
        await markPushMoot(tx, push.id);
        options.log?.warn({ target: target.name, pushId: push.id, attempts: push.attempts, lastError: push.lastError }, 'revocation push given up: every revocation it carries has ended');
        outcomes.push({ pushId: push.id, target: target.name, state: 'moot', ...(push.lastError ? { error: push.lastError } : {}) });
        continue;
      }
      if (blockedBy !== undefined) {
        outcomes.push({ pushId: push.id, target: target.name, state: 'pending', error: `waits for push ${blockedBy} to ${target.name}`, nextAttemptAt: push.nextAttemptAt });
        continue;
      }
      try {
        await send(target, push);
        await markPushDone(tx, push.id);
        if (push.attempts > 0) options.log?.info({ target: target.name, pushId: push.id, attempts: push.attempts + 1 }, 'revocation push delivered after failed tries');
        outcomes.push({ pushId: push.id, target: target.name, state: 'done' });
      } catch (error) {
        const text = errorText(error);
        const nextAttemptAt = await markPushFailed(tx, push.id, text, retryBaseMs);
        options.log?.error({ target: target.name, pushId: push.id, op: push.op, listId: push.listId, attempt: push.attempts + 1, nextAttemptAt, err: text }, 'revocation push failed; the local revocation holds and the push is tried again');
        outcomes.push({ pushId: push.id, target: target.name, state: 'pending', error: text, nextAttemptAt });
        blockedBy = push.id;
      }
    }
    return outcomes;
  });

  return {
    async deliver(pushIds) {
      if (pushIds.length === 0) return [];
      const outcomes = (await Promise.all(options.targets.map((t) => deliverTarget(t, true)))).flat();
      return outcomes;
    },
    async deliverDue() {
      return (await Promise.all(options.targets.map((t) => deliverTarget(t, false)))).flat();
    },
  };
}

export interface PushRelay {
  stop(): Promise<void>;
}

/** Looks for due pushes every `intervalMs` (a process that serves revocations runs it); a failing pass is tried again. */
export function startPushRelay(deliverer: PushDeliverer, log: Logger, intervalMs = 10_000): PushRelay {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const tick = () => {
    current = deliverer.deliverDue().then(() => undefined, (error: unknown) => log.warn({ err: errorText(error) }, 'revocation push pass failed; trying again'))
      .finally(() => { if (!stopped) timer = setTimeout(tick, intervalMs); });
  };
  timer = setTimeout(tick, 0);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
