/**
 * Where a revocation is mirrored, Renovate-style: one small interface, thin implementations.
 * Vigil's own edge is the Redis store every `vigil edge` reads (revocation-store.ts), which decides
 * refusals; `akamai` (akamai-adapter.ts) is given the same calls for sessions served by Akamai's
 * edge, durably (revocation-pushes.ts): a call it missed is pushed again later, in order.
 */
import type { RevocationItem, RevocationMeta } from '../core/revocation.js';

export interface RevocationTarget {
  readonly name: string;
  add(listId: number, items: RevocationItem[]): Promise<RevocationMeta>;
  remove(listId: number, ids: string[]): Promise<RevocationMeta>;
}
