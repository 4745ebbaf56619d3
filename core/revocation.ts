import type pg from 'pg';
import type { Change } from './db/findings.js';
import { recordRevocation, type RevokedSessionRecord } from './db/revocations.js';

/**
 * The one way a revocation is made, whoever makes it (`vigil revoke`, the revocation API, `vigil
 * detect --package` by Policy, a Slack Revoke button): Vigil's own lists decide and hold it, the
 * sessions it names are put on record (audited once), and every CDN mirror is owed the same call
 * (a durable push, tried at once and again later until it is taken). core/ knows the lists and the
 * mirrors only by these interfaces; edge/ implements them and the CLI puts them together.
 */

export interface RevocationItem {
  id: string;
  durationSeconds: number;
}

/** Akamai's metaInfo: identifiers live in the list, and the most it may hold. */
export interface RevocationMeta {
  count: number;
  limit: number;
}

export type RevocationCall =
  | { op: 'add'; listId: number; items: RevocationItem[] }
  | { op: 'remove'; listId: number; ids: string[] };

/** A call as a caller makes it: without a list, the default one. */
export type RevocationRequest =
  | { op: 'add'; listId?: number; items: RevocationItem[] }
  | { op: 'remove'; listId?: number; ids: string[] };

/** Vigil's own revocation lists (edge/revocation-store.ts): they alone refuse a call. */
export interface RevocationLists {
  add(listId: number, items: RevocationItem[]): Promise<RevocationMeta>;
  remove(listId: number, ids: string[]): Promise<RevocationMeta>;
  /** The list a caller that names none uses. */
  defaultListId(): Promise<number>;
}

/** How one push to one mirror fared when it was tried at once. */
export interface PushOutcome {
  pushId: number;
  target: string;
  state: 'done' | 'pending' | 'moot';
  /** `error VIGIL-E…: …` of the last try, when it failed. */
  error?: string;
  /** When a pending push is tried next. */
  nextAttemptAt?: Date;
}

/** Delivers owed pushes (edge/revocation-pushes.ts): those named first in their order, then any earlier still owed. */
export type PushDelivery = (pushIds: readonly number[]) => Promise<PushOutcome[]>;

export interface Revoker {
  pool: pg.Pool;
  lists: RevocationLists;
  /** Names of the CDN mirrors configured (akamai): each is owed every call. */
  mirrors: readonly string[];
  /** Absent: the pushes wait for a process that delivers them (vigil revocation serve, vigil edge). */
  deliver?: PushDelivery;
}

export interface RevocationResult {
  listId: number;
  /** The local list after the call (the API's answer). */
  meta: RevocationMeta;
  /** Each identifier of the call: the session it is, if Vigil issued it, and whether its record changed. */
  sessions: RevokedSessionRecord[];
  pushes: PushOutcome[];
}

/**
 * The `vigil revoke` command line for these sessions, wherever Vigil prints one (vigil detect, a
 * Slack answer): a session id is random base64url, so about one in 64 starts with '-', which the
 * command would read as an option; the ids then follow the POSIX end-of-options `--`. Session ids
 * hold only letters, digits, '-' and '_', so no shell quoting is needed.
 */
export function revokeCommandLine(ids: readonly string[]): string {
  return `vigil revoke ${ids.some((id) => id.startsWith('-')) ? '-- ' : ''}${ids.join(' ')}`;
}

/**
 * Makes one add or remove: on Vigil's lists first (a refusal there changes nothing anywhere), then
 * the record (sessions revoked or unrevoked, pushes owed) in one transaction, then the pushes tried.
 */
export async function applyRevocation(revoker: Revoker, call: RevocationRequest, by: Change): Promise<RevocationResult> {
  const listId = call.listId ?? await revoker.lists.defaultListId();
  const full: RevocationCall = call.op === 'add' ? { op: 'add', listId, items: call.items } : { op: 'remove', listId, ids: call.ids };
  const meta = full.op === 'add' ? await revoker.lists.add(listId, full.items) : await revoker.lists.remove(listId, full.ids);
  const { sessions, pushIds } = await recordRevocation(revoker.pool, full, revoker.mirrors, by);
  const tried = pushIds.length > 0 && revoker.deliver ? await revoker.deliver(pushIds) : [];
  // A push not tried here waits for the process delivering its target (or for the next that does).
  const pushes = pushIds.map((pushId, i): PushOutcome => tried.find((p) => p.pushId === pushId) ?? { pushId, target: revoker.mirrors[i]!, state: 'pending' });
  return { listId, meta, sessions, pushes };
}
