/**
 * Revocation lists in Redis, in the layout of revocation-keys.ts, with the rules of Akamai's Access
 * Revocation API v2 (github.com/akamai/akamai-apis apis/taas/v2, test/fixtures/akamai):
 * - at most 10 lists ("You can have a total of 10 revocation lists");
 * - an add names at most 5,000 identifiers ("Add up to 5,000 token identifiers in a single
 *   operation"), each `{ id, durationSeconds }` with durationSeconds >= 1,800. Akamai's prose says a
 *   lower value "resets to 1800" while its schema says `minimum: 1800`; Vigil refuses it, so a caller
 *   who meant 60 seconds learns it did not get 60 seconds;
 * - a list holds at most 50,000 live identifiers (the meta `limit`), checked and written in one Lua
 *   script, so two adds that each fit cannot pass the limit together;
 * - identifiers: at most 64 letters, digits, '-' or '_' (the tokenId path parameter's description).
 *
 * Not in Akamai's description, so chosen here: an add without durationSeconds lasts 86,400 s (one
 * day, the TTL of Akamai's own example); adding an identifier again replaces its end time; removing
 * one that is not there is no error. Every add and remove publishes its event in the same script,
 * so a reader never sees the write without the event or the event before the write.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { VigilError, type ErrorName } from '../core/errors.js';
import type { RevocationItem, RevocationMeta } from '../core/revocation.js';
import { revocationKeys, scoredMembers, type RevocationEvent } from './revocation-keys.js';

export const REVOCATION_LIMITS = {
  minDurationSeconds: 1800,
  defaultDurationSeconds: 86_400,
  maxIdsPerAdd: 5000,
  maxIdsPerRemove: 50_000,
  maxIdsPerList: 50_000,
  maxLists: 10,
  maxIdLength: 64,
} as const;

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const LIST_NAME_PATTERN = /^[A-Za-z0-9-]{1,100}$/;

/** A refusal with the request member at fault (a JSON pointer into the body, or a path or query name). */
export class RevocationRefusal extends VigilError {
  readonly field: string | undefined;
  constructor(errorName: ErrorName, message: string, field?: string) {
    super(errorName, message);
    this.field = field;
  }
}

export type { RevocationItem, RevocationMeta } from '../core/revocation.js';

export interface RevokedIdentifier {
  id: string;
  /** Seconds until the revocation ends (rounded up). */
  ttl: number;
}

export interface RevocationList {
  id: number;
  name: string;
  description?: string;
  /** Kept so Akamai-shaped clients get back what they sent; Vigil does not use it. */
  contractId?: string;
  createdBy?: string;
  /** Epoch milliseconds. */
  createdAt: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) {
    throw new RevocationRefusal('REVOCATION_REQUEST_INVALID', `${field} must be a token identifier of 1-64 letters, digits, '-' or '_', not ${JSON.stringify(value)?.slice(0, 80)}`, field);
  }
  return value;
}

/**
 * The body of POST …/identifiers/add, checked once: an array of at most 5,000 `{ id,
 * durationSeconds? }`; the first fault is named by its JSON pointer (`/3/durationSeconds`).
 */
export function checkAddBody(body: unknown): RevocationItem[] {
  if (!Array.isArray(body)) {
    throw new RevocationRefusal('REVOCATION_REQUEST_INVALID', 'the body must be a JSON array of {"id": "…", "durationSeconds": 1800} objects', '/');
  }
  if (body.length > REVOCATION_LIMITS.maxIdsPerAdd) {
    throw new RevocationRefusal('REVOCATION_ADD_TOO_LARGE', `this add call names ${body.length} identifiers; one call may add at most ${REVOCATION_LIMITS.maxIdsPerAdd}`, '/');
  }
  return body.map((item, i) => {
    if (!isRecord(item)) throw new RevocationRefusal('REVOCATION_REQUEST_INVALID', `/${i} must be an object {"id": "…", "durationSeconds": 1800}`, `/${i}`);
    const extra = Object.keys(item).find((k) => k !== 'id' && k !== 'durationSeconds');
    if (extra !== undefined) throw new RevocationRefusal('REVOCATION_REQUEST_INVALID', `/${i} has a member ${JSON.stringify(extra)}; an identifier takes only id and durationSeconds`, `/${i}/${extra}`);
    const id = checkId(item.id, `/${i}/id`);
    const duration = item.durationSeconds ?? REVOCATION_LIMITS.defaultDurationSeconds;
    if (typeof duration !== 'number' || !Number.isInteger(duration)) {
      throw new RevocationRefusal('REVOCATION_REQUEST_INVALID', `/${i}/durationSeconds must be a whole number of seconds, not ${JSON.stringify(duration)}`, `/${i}/durationSeconds`);
    }
    if (duration < REVOCATION_LIMITS.minDurationSeconds) {
      throw new RevocationRefusal('REVOCATION_DURATION_TOO_SHORT', `/${i}/durationSeconds is ${duration} for ${JSON.stringify(id)}; a revocation lasts at least ${REVOCATION_LIMITS.minDurationSeconds} seconds (30 minutes)`, `/${i}/durationSeconds`);
    }
    return { id, durationSeconds: duration };
  });
}

/** The body of POST …/identifiers/remove: an array of 1 to 50,000 identifiers (Akamai's unrevoke-identifiers schema). */
export function checkRemoveBody(body: unknown): string[] {
  if (!Array.isArray(body) || body.length === 0) {
    throw new RevocationRefusal('REVOCATION_REQUEST_INVALID', 'the body must be a non-empty JSON array of identifiers, e.g. ["session-1"]', '/');
  }
  if (body.length > REVOCATION_LIMITS.maxIdsPerRemove) {
    throw new RevocationRefusal('REVOCATION_REQUEST_INVALID', `this remove call names ${body.length} identifiers; one call may remove at most ${REVOCATION_LIMITS.maxIdsPerRemove}`, '/');
  }
  return body.map((id, i) => checkId(id, `/${i}`));
}

export function checkListBody(body: unknown): { name: string; description?: string; contractId?: string } {
  if (!isRecord(body)) throw new RevocationRefusal('REVOCATION_REQUEST_INVALID', 'the body must be a JSON object {"name": "…"}', '/');
  const extra = Object.keys(body).find((k) => !['name', 'description', 'contractId'].includes(k));
  if (extra !== undefined) throw new RevocationRefusal('REVOCATION_REQUEST_INVALID', `a revocation list takes name, description and contractId, not ${JSON.stringify(extra)}`, `/${extra}`);
  if (typeof body.name !== 'string' || !LIST_NAME_PATTERN.test(body.name)) {
    throw new RevocationRefusal('REVOCATION_REQUEST_INVALID', `/name must be 1-100 letters, digits or '-' (as Akamai allows), not ${JSON.stringify(body.name)?.slice(0, 80)}`, '/name');
  }
  for (const key of ['description', 'contractId'] as const) {
    if (body[key] !== undefined && (typeof body[key] !== 'string' || body[key].length > 500)) {
      throw new RevocationRefusal('REVOCATION_REQUEST_INVALID', `/${key} must be a string of at most 500 characters`, `/${key}`);
    }
  }
  return {
    name: body.name,
    ...(typeof body.description === 'string' ? { description: body.description } : {}),
    ...(typeof body.contractId === 'string' ? { contractId: body.contractId } : {}),
  };
}

// KEYS: lists hash, next-id counter. ARGV: max lists, list JSON without its id.
const CREATE_LIST = `
if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[1]) then return -1 end
local id = redis.call('INCR', KEYS[2])
local list = cjson.decode(ARGV[2])
list['id'] = id
redis.call('HSET', KEYS[1], tostring(id), cjson.encode(list))
return id`;

// KEYS: ids, lists, events. ARGV: list id, now, max per list, n events, events…, then the ids and
// their ends as two JSON arrays (two arguments rather than 10,000 keep a 5,000-id call cheap to send).
const ADD = `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return {-1, 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
local nEvents = tonumber(ARGV[4])
local ids = cjson.decode(ARGV[5 + nEvents])
local untils = cjson.decode(ARGV[6 + nEvents])
local fresh = 0
for i = 1, #ids do
  if not redis.call('ZSCORE', KEYS[1], ids[i]) then fresh = fresh + 1 end
end
local count = redis.call('ZCARD', KEYS[1])
if count + fresh > tonumber(ARGV[3]) then return {-2, count} end
local batch = {}
for i = 1, #ids do
  batch[#batch + 1] = string.format('%d', untils[i])
  batch[#batch + 1] = ids[i]
  if #batch >= 1000 or i == #ids then
    redis.call('ZADD', KEYS[1], unpack(batch))
    batch = {}
  end
end
for i = 5, 4 + nEvents do redis.call('PUBLISH', KEYS[3], ARGV[i]) end
return {0, count + fresh}`;

// KEYS: ids, lists, events. ARGV: list id, now, event, ids…
const REMOVE = `
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 0 then return -1 end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
for i = 4, #ARGV do redis.call('ZREM', KEYS[1], ARGV[i]) end
redis.call('PUBLISH', KEYS[3], ARGV[3])
return redis.call('ZCARD', KEYS[1])`;

// KEYS: ids, lists, events. ARGV: list id, event template prefix.
const DELETE_LIST = `
if redis.call('HDEL', KEYS[2], ARGV[1]) == 0 then return -1 end
local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
redis.call('DEL', KEYS[1])
if #ids > 0 then
  redis.call('PUBLISH', KEYS[3], cjson.encode({listId = tonumber(ARGV[1]), op = 'remove', ids = ids}))
end
return #ids`;

type ScriptReply = number | string | null | ScriptReply[];

async function runScript(redis: Redis, script: string, keys: string[], args: Array<string | number>): Promise<ScriptReply> {
  const sha = createHash('sha1').update(script).digest('hex');
  try {
    return (await redis.evalsha(sha, keys.length, ...keys, ...args)) as ScriptReply;
  } catch (error) {
    if (!String((error as Error).message).includes('NOSCRIPT')) throw error;
    return (await redis.eval(script, keys.length, ...keys, ...args)) as ScriptReply;
  }
}

function notFound(listId: number): RevocationRefusal {
  return new RevocationRefusal('REVOCATION_NOT_FOUND', `there is no revocation list ${listId}`, 'revocationListId');
}

export interface RevocationStore {
  createList(list: { name: string; description?: string; contractId?: string; createdBy?: string }): Promise<RevocationList>;
  lists(): Promise<RevocationList[]>;
  getList(listId: number): Promise<RevocationList | undefined>;
  /** Deletes the list and unrevokes its identifiers (readers get one remove event). */
  deleteList(listId: number): Promise<void>;
  /** The items must have passed checkAddBody (or be built the same way); refuses past the list's limit. */
  add(listId: number, items: RevocationItem[]): Promise<RevocationMeta>;
  remove(listId: number, ids: string[]): Promise<RevocationMeta>;
  /** Live identifiers, soonest to end first; `total` counts them all. */
  identifiers(listId: number, page?: { offset: number; limit: number }): Promise<{ items: RevokedIdentifier[]; total: number }>;
  identifier(listId: number, id: string): Promise<RevokedIdentifier | undefined>;
  meta(listId: number): Promise<RevocationMeta>;
  /** The list a command uses when told none: the lowest id, or a new list named `vigil` when there is none. */
  defaultListId(): Promise<number>;
}

export interface RevocationStoreOptions {
  /** Epoch milliseconds; tests move it to see revocations end. */
  now?: () => number;
}

export function revocationStore(redis: Redis, prefix: string, options: RevocationStoreOptions = {}): RevocationStore {
  const keys = revocationKeys(prefix);
  const now = options.now ?? Date.now;
  const ttlOf = (until: number, at: number) => Math.max(0, Math.ceil((until - at) / 1000));

  const parseList = (json: string): RevocationList => JSON.parse(json) as RevocationList;
  const getList = async (listId: number) => {
    const json = await redis.hget(keys.lists, String(listId));
    return json === null ? undefined : parseList(json);
  };
  const mustExist = async (listId: number) => {
    if ((await redis.hexists(keys.lists, String(listId))) === 0) throw notFound(listId);
  };
  const live = async (listId: number, at: number) => redis.zcount(keys.ids(listId), `(${at}`, '+inf');

  const store: RevocationStore = {
    async createList(list) {
      const record = { name: list.name, createdAt: now(), ...(list.description ? { description: list.description } : {}), ...(list.contractId ? { contractId: list.contractId } : {}), ...(list.createdBy ? { createdBy: list.createdBy } : {}) };
      const id = Number(await runScript(redis, CREATE_LIST, [keys.lists, keys.nextListId], [REVOCATION_LIMITS.maxLists, JSON.stringify(record)]));
      if (id < 0) {
        throw new RevocationRefusal('REVOCATION_LISTS_FULL', `${REVOCATION_LIMITS.maxLists} revocation lists exist already, the most there may be`, '/name');
      }
      return { id, ...record };
    },

    async lists() {
      const all = await redis.hgetall(keys.lists);
      return Object.values(all).map(parseList).sort((a, b) => a.id - b.id);
    },

    getList,

    async deleteList(listId) {
      const reply = Number(await runScript(redis, DELETE_LIST, [keys.ids(listId), keys.lists, keys.events], [listId]));
      if (reply < 0) throw notFound(listId);
    },

    async add(listId, items) {
      const at = now();
      // One call naming an identifier twice counts it once; the last duration given wins.
      const untilById = new Map<string, number>();
      for (const item of items) untilById.set(item.id, at + item.durationSeconds * 1000);
      const byUntil = new Map<number, string[]>();
      for (const [id, until] of untilById) byUntil.set(until, [...(byUntil.get(until) ?? []), id]);
      const events = [...byUntil].map(([until, ids]): string => JSON.stringify({ listId, op: 'add', ids, until } satisfies RevocationEvent));
      const ids = JSON.stringify([...untilById.keys()]);
      const untils = JSON.stringify([...untilById.values()]);
      const reply = await runScript(redis, ADD, [keys.ids(listId), keys.lists, keys.events], [listId, at, REVOCATION_LIMITS.maxIdsPerList, events.length, ...events, ids, untils]) as number[];
      const [status = 0, count = 0] = reply;
      if (status === -1) throw notFound(listId);
      if (status === -2) {
        throw new RevocationRefusal('REVOCATION_LIST_FULL', `revocation list ${listId} holds ${count} live identifiers; adding ${untilById.size} more would pass its limit of ${REVOCATION_LIMITS.maxIdsPerList} (nothing was added)`, '/');
      }
      return { count, limit: REVOCATION_LIMITS.maxIdsPerList };
    },

    async remove(listId, ids) {
      const unique = [...new Set(ids)];
      const event = JSON.stringify({ listId, op: 'remove', ids: unique } satisfies RevocationEvent);
      const count = Number(await runScript(redis, REMOVE, [keys.ids(listId), keys.lists, keys.events], [listId, now(), event, ...unique]));
      if (count < 0) throw notFound(listId);
      return { count, limit: REVOCATION_LIMITS.maxIdsPerList };
    },

    async identifiers(listId, page) {
      await mustExist(listId);
      const at = now();
      const range = page === undefined ? [] : ['LIMIT', page.offset, page.limit];
      const [flat, total] = await Promise.all([
        redis.call('ZRANGE', keys.ids(listId), `(${at}`, '+inf', 'BYSCORE', ...range, 'WITHSCORES'),
        live(listId, at),
      ]);
      return { items: scoredMembers(flat).map(([id, until]) => ({ id, ttl: ttlOf(until, at) })), total };
    },

    async identifier(listId, id) {
      await mustExist(listId);
      const at = now();
      const score = await redis.zscore(keys.ids(listId), id);
      if (score === null || Number(score) <= at) return undefined;
      return { id, ttl: ttlOf(Number(score), at) };
    },

    async meta(listId) {
      await mustExist(listId);
      return { count: await live(listId, now()), limit: REVOCATION_LIMITS.maxIdsPerList };
    },

    async defaultListId() {
      const ids = (await redis.hkeys(keys.lists)).map(Number).sort((a, b) => a - b);
      if (ids[0] !== undefined) return ids[0];
      return (await store.createList({ name: 'vigil', createdBy: 'cli' })).id;
    },
  };
  return store;
}
