import { ENV } from '../../core/config.js';
import { VigilError } from '../../core/errors.js';
import { applyRevocation, type RevocationResult } from '../../core/revocation.js';
import { REVOCATION_LIMITS, checkAddBody, checkRemoveBody } from '../../edge/revocation-store.js';
import { parse } from '../args.js';
import type { Context } from '../context.js';
import { parseDuration } from '../duration.js';
import { print, type CliIo } from '../io.js';
import { openRevoker } from '../revoker.js';

export const usage = `vigil revoke SESSION_ID… [--duration 2h] [--list N] [--remove]
  Revoke streaming sessions by their session id (the token's id): every vigil edge refuses them with
  403 from their next request on, for --duration (default 24h; at least 30m, Akamai's minimum too).
  --list N names the revocation list (default the lowest-numbered one; a list named vigil is made when
  none exists). At most ${REVOCATION_LIMITS.maxIdsPerAdd} ids per call. With Akamai credentials set
  (${ENV.AKAMAI_HOST} and the other AKAMAI_* variables, or ${ENV.VIGIL_AKAMAI_EDGERC}), the same revocation is
  pushed to Akamai's Access Revocation API (list ${ENV.VIGIL_AKAMAI_LIST_ID}, default the same id); if
  Akamai fails, the revocation still holds at Vigil's edge, the failure is printed (exit 1) and the
  push is owed: tried again with backoff (by the next vigil revoke, vigil revocation serve, vigil edge)
  until Akamai takes it; vigil revocations lists what is owed. Sessions vigil session start issued
  are put on record as revoked (or, with --remove, as no longer revoked), audited once.
  --remove unrevokes the sessions instead (everywhere the same way). A session id that starts with '-'
  goes after the end of the options, --, as in: vigil revoke --duration 2h -- -x3Fq… (vigil detect and
  Slack print the command so).`;

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
  const call = values.remove ? { op: 'remove' as const, ids: checkRemoveBody(positionals) } : { op: 'add' as const, items: checkAddBody(positionals.map((id) => ({ id, durationSeconds }))) };
  const open = await openRevoker(ctx);
  try {
    const result = await applyRevocation(open.revoker, { ...call, ...(values.list === undefined ? {} : { listId: listOption('revoke', values.list) }) },
      { actor: `cli:${io.env.USER ?? 'unknown'}`, reason: values.remove ? 'unrevoked with vigil revoke --remove' : 'revoked with vigil revoke' });
    return printRevocation(result, call.op === 'add' ? durationSeconds : undefined, io);
  } finally {
    open.close();
  }
}

/**
 * What a revocation did, line by line: the list, each session Vigil issued (others are revoked at
 * the edge only), each mirror. Exit 1 while a mirror still owes the call (it is pushed again later).
 */
export function printRevocation(result: RevocationResult, durationSeconds: number | undefined, io: CliIo): number {
  const n = result.sessions.length;
  const what = durationSeconds === undefined ? `unrevoked ${n} session(s)` : `revoked ${n} session(s) for ${durationSeconds} s`;
  print(io.stdout, `${what} in revocation list ${result.listId}: ${result.meta.count} of ${result.meta.limit} in use`);
  if (durationSeconds !== undefined) {
    for (const s of result.sessions) {
      print(io.stdout, s.session
        ? `  ${s.id}: session of ${s.session.viewer} (watermark ID ${s.session.watermarkId})${s.changed ? '' : ', already on record as revoked'}`
        : `  ${s.id}: not a session vigil session start issued; revoked at the edge only`);
    }
  }
  for (const push of result.pushes) {
    if (push.state === 'done') print(io.stdout, `  ${push.target}: done`);
    else {
      const later = push.nextAttemptAt ? `; pushed again from ${push.nextAttemptAt.toISOString()} (vigil revocations shows what is owed)` : '; pushed by the next vigil revoke, vigil revocation serve or vigil edge (vigil revocations shows what is owed)';
      print(io.stderr, `  ${push.target}: FAILED (the revocation holds at Vigil's edge): ${push.error ?? 'not tried yet'}${later}`);
    }
  }
  return result.pushes.every((p) => p.state === 'done') ? 0 : 1;
}
