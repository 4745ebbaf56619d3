import { pendingPushes, type RevocationPush } from '../../core/db/revocations.js';
import { revocationStore } from '../../edge/revocation-store.js';
import { formatOf, formatOption, parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';
import { listOption } from './revoke.js';

export const usage = `vigil revocations [--list N] [--format json]
  The revocation lists with how many sessions each revokes now (of 50000); with --list N, that list's
  revoked session ids with the seconds each has left (soonest to end first). Then what a CDN mirror
  (Akamai) still owes: each add or remove it missed, its tries, last error and next try (they are pushed
  again by vigil revoke, vigil revocation serve and vigil edge until taken). --format json prints the
  API's own shapes (GET /taas/v2/revocation-lists, …/identifiers).`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { list: { type: 'string' }, ...formatOption } as const;

function ttlText(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(seconds % 60).padStart(2, '0')}s`;
}

/** The pushes CDN mirrors still owe, oldest first; nothing when none is owed. */
function printOwed(owed: readonly RevocationPush[], io: CliIo): void {
  if (owed.length === 0) return;
  print(io.stdout, `owed to CDN mirrors (${owed.length}; the revocations hold at Vigil's edge meanwhile):`);
  for (const p of owed) {
    const n = Array.isArray(p.body) ? p.body.length : 0;
    print(io.stdout, `  push ${p.id}: ${p.target} ${p.op} of ${n} id(s) to list ${p.listId}, since ${p.createdAt.toISOString()}, ${p.attempts} tr${p.attempts === 1 ? 'y' : 'ies'}, next ${p.nextAttemptAt.toISOString()}${p.lastError ? `: ${p.lastError}` : ''}`);
  }
}

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values } = parse('revocations', argv, options, 0);
  const format = formatOf('revocations', values.format);
  const listId = listOption('revocations', values.list);
  const redis = (await ctx.redis()).client();
  try {
    const store = revocationStore(redis, ctx.config.queuePrefix);
    if (listId === undefined) {
      const lists = await store.lists();
      const metas = await Promise.all(lists.map((l) => store.meta(l.id)));
      if (format === 'json') {
        print(io.stdout, JSON.stringify(lists.map((l, i) => ({ id: l.id, name: l.name, createdTime: Math.floor(l.createdAt / 1000), ...metas[i] }))));
        return 0;
      }
      if (lists.length === 0) {
        print(io.stdout, 'no revocation lists (vigil revoke SESSION_ID makes one)');
        return 0;
      }
      for (const [i, l] of lists.entries()) print(io.stdout, `${String(l.id).padStart(3)}  ${l.name}  ${metas[i]!.count}/${metas[i]!.limit} revoked${l.description ? `  ${l.description}` : ''}`);
      printOwed(await pendingPushes((await ctx.db()).pool), io);
      return 0;
    }
    const { items } = await store.identifiers(listId);
    if (format === 'json') {
      print(io.stdout, JSON.stringify(items));
      return 0;
    }
    if (items.length === 0) print(io.stdout, `revocation list ${listId} revokes no session now`);
    for (const item of items) print(io.stdout, `${item.id}  ${ttlText(item.ttl)} left`);
    printOwed((await pendingPushes((await ctx.db()).pool)).filter((p) => p.listId === listId), io);
    return 0;
  } finally {
    redis.disconnect();
  }
}
