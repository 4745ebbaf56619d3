/**
 * Where a revocation is made, Renovate-style: one small interface, thin implementations. `local`
 * is Vigil's own edge (the Redis store every `vigil edge` reads); `akamai` (akamai-adapter.ts)
 * pushes the same call to Akamai's Access Revocation API for sessions served by Akamai's edge.
 */
import type { Logger } from '../core/log.js';
import { isVigilError } from '../core/errors.js';
import type { RevocationItem, RevocationMeta, RevocationStore } from './revocation-store.js';

export interface RevocationTarget {
  readonly name: string;
  add(listId: number, items: RevocationItem[]): Promise<RevocationMeta>;
  remove(listId: number, ids: string[]): Promise<RevocationMeta>;
}

export function localTarget(store: RevocationStore): RevocationTarget {
  return { name: 'local', add: (listId, items) => store.add(listId, items), remove: (listId, ids) => store.remove(listId, ids) };
}

export interface MirrorResult {
  target: string;
  ok: boolean;
  /** `error VIGIL-E… : …` when the target refused or failed. */
  error?: string;
}

export interface RevocationOutcome {
  /** The local list after the call: the answer the API gives. */
  meta: RevocationMeta;
  mirrors: MirrorResult[];
}

/**
 * Makes one add or remove on the local target first (it alone decides refusals: a call it refuses
 * reaches no CDN), then on every other target. A mirror's failure does not undo the local
 * revocation, which already holds at Vigil's edge; it is reported and logged, and repeating the
 * call is harmless (an add replaces an identifier's end, a remove of an absent one is no error).
 */
export async function applyEverywhere(
  local: RevocationTarget,
  mirrors: RevocationTarget[],
  call: { op: 'add'; listId: number; items: RevocationItem[] } | { op: 'remove'; listId: number; ids: string[] },
  log?: Logger,
): Promise<RevocationOutcome> {
  const run = (target: RevocationTarget) => (call.op === 'add' ? target.add(call.listId, call.items) : target.remove(call.listId, call.ids));
  const meta = await run(local);
  const results = await Promise.all(mirrors.map(async (target): Promise<MirrorResult> => {
    try {
      await run(target);
      return { target: target.name, ok: true };
    } catch (error) {
      const text = isVigilError(error) ? `error ${error.code}: ${error.message}` : String((error as Error)?.message ?? error);
      log?.error({ target: target.name, op: call.op, listId: call.listId, err: text }, 'revocation target failed; the local revocation holds');
      return { target: target.name, ok: false, error: text };
    }
  }));
  return { meta, mirrors: results };
}
