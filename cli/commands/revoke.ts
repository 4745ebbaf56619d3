import { ENV } from '../../core/config.js';
import { recordSessionRevoked, sessionById } from '../../core/db/sessions.js';
import { VigilError } from '../../core/errors.js';
import { mirrorsFromConfig } from '../../edge/akamai-adapter.js';
import { REVOCATION_LIMITS, checkAddBody, checkRemoveBody, revocationStore } from '../../edge/revocation-store.js';
import { applyEverywhere, localTarget } from '../../edge/revocation-target.js';
import { parse } from '../args.js';
import type { Context } from '../context.js';
import { parseDuration } from '../duration.js';
import { print, type CliIo } from '../io.js';

export const usage = `vigil revoke SESSION_ID… [--duration 2h] [--list N] [--remove]
  Revoke streaming sessions by their session id (the token's id): every vigil edge refuses them with
  403 from their next request on, for --duration (default 24h; at least 30m, Akamai's minimum too).
  --list N names the revocation list (default the lowest-numbered one; a list named vigil is made when
  none exists). At most ${REVOCATION_LIMITS.maxIdsPerAdd} ids per call. With Akamai credentials set
  (${ENV.AKAMAI_HOST} and the other AKAMAI_* variables, or ${ENV.VIGIL_AKAMAI_EDGERC}), the same revocation is
  pushed to Akamai's Access Revocation API (list ${ENV.VIGIL_AKAMAI_LIST_ID}, default the same id); if
  Akamai fails, the revocation still holds at Vigil's edge and the failure is printed (exit 1).
  --remove unrevokes the sessions instead (everywhere the same way).`;

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = { duration: { type: 'string' }, list: { type: 'string' }, remove: { type: 'boolean', default: false } } as const;

export function listOption(command: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value) || Number(value) < 1) throw new VigilError('USAGE', `vigil ${command}: --list must be a revocation list id (a positive whole number; vigil revocations lists them), not ${JSON.stringify(value)}`);
  return Number(value);
}

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values, positionals } = parse('revoke', argv, options, REVOCATION_LIMITS.maxIdsPerRemove);
  if (positionals.length === 0) throw new VigilError('USAGE', 'vigil revoke: name at least one SESSION_ID');
  if (values.remove && values.duration !== undefined) throw new VigilError('USAGE', 'vigil revoke: --duration has no meaning with --remove');
  let durationSeconds: number = REVOCATION_LIMITS.defaultDurationSeconds;
  if (values.duration !== undefined) {
    const ms = parseDuration('--duration', values.duration);
    durationSeconds = Math.floor(ms / 1000);
    if (durationSeconds < REVOCATION_LIMITS.minDurationSeconds) {
      throw new VigilError('REVOCATION_DURATION_TOO_SHORT', `vigil revoke: --duration ${values.duration} is ${durationSeconds} s; a revocation lasts at least ${REVOCATION_LIMITS.minDurationSeconds} s (30m)`);
    }
  }
  // The same checks as the HTTP API's, so the CLI refuses what the API refuses, with the same codes.
  const items = values.remove ? [] : checkAddBody(positionals.map((id) => ({ id, durationSeconds })));
  const ids = values.remove ? checkRemoveBody(positionals) : [];
  const mirrors = await mirrorsFromConfig(ctx.config, ctx.log);
  const redis = (await ctx.redis()).client();
  try {
    const store = revocationStore(redis, ctx.config.queuePrefix);
    const listId = listOption('revoke', values.list) ?? await store.defaultListId();
    const outcome = await applyEverywhere(localTarget(store), mirrors, values.remove ? { op: 'remove', listId, ids } : { op: 'add', listId, items }, ctx.log);
    const what = values.remove ? `unrevoked ${ids.length} session(s)` : `revoked ${items.length} session(s) for ${durationSeconds} s`;
    print(io.stdout, `${what} in revocation list ${listId}: ${outcome.meta.count} of ${outcome.meta.limit} in use`);
    if (!values.remove) await recordRevokedSessions(items.map((i) => i.id), io, ctx);
    for (const mirror of outcome.mirrors) {
      print(mirror.ok ? io.stdout : io.stderr, mirror.ok ? `  ${mirror.target}: done` : `  ${mirror.target}: FAILED (the revocation holds at Vigil's edge): ${mirror.error}`);
    }
    return outcome.mirrors.every((m) => m.ok) ? 0 : 1;
  } finally {
    redis.disconnect();
  }
}

/** The sessions Vigil issued get their revocation on record (audited once); other ids are revoked at the edge only. */
async function recordRevokedSessions(ids: readonly string[], io: CliIo, ctx: Context): Promise<void> {
  const pool = (await ctx.db()).pool;
  for (const id of ids) {
    if (!(await sessionById(pool, id))) {
      print(io.stdout, `  ${id}: not a session vigil session start issued; revoked at the edge only`);
      continue;
    }
    const { session, changed } = await recordSessionRevoked(pool, id, { actor: `cli:${io.env.USER ?? 'unknown'}`, reason: 'revoked with vigil revoke' });
    print(io.stdout, `  ${id}: session of ${session.viewer} (watermark ID ${session.watermarkId})${changed ? '' : ', already on record as revoked'}`);
  }
}
