import path from 'node:path';
import { tracedSessionResponse } from '../../core/catalog/revocation-policy.js';
import { drainOutbox } from '../../core/db/outbox.js';
import { appliedPolicy } from '../../core/db/policy.js';
import { offerSessionRevocation } from '../../core/db/session-leaks.js';
import { sessionByWatermarkId, type StreamingSession } from '../../core/db/sessions.js';
import { queueAdder } from '../../core/relay.js';
import { applyRevocation, revokeCommandLine } from '../../core/revocation.js';
import { VigilError } from '../../core/errors.js';
import { detectRestream, MAX_RECORDING_SECONDS, type RestreamResult } from '../../runners/package/detect-restream.js';
import { runDetectCommand, type DetectOutcome } from '../../runners/watermark/detect.js';
import { ledgerVerdict, type LedgerAccusation } from '../../runners/watermark/ledger-accusation.js';
import { formatOf, formatOption, parse } from '../args.js';
import type { Context } from '../context.js';
import { print, type CliIo } from '../io.js';
import { progressReporter } from '../progress.js';
import { openRevoker } from '../revoker.js';
import { runDetectUrl } from './detect-url.js';
import { printRevocation } from './revoke.js';

/** What `vigil detect` exits with, so a script can tell a clean file from a failure. */
export const DETECT_EXIT = {
  /** A mark was found and the database names its recipient. */
  attributed: 0,
  noMark: 1,
  usage: 2,
  /** Anything else that went wrong: no key, unreadable media, the database unreachable, … */
  error: 3,
  /** A mark was found but no recipient has its ID (an unallocated lab copy, or an unknown ID). */
  unattributed: 4,
} as const;

export const usage = `vigil detect LEAK [--original FILE] [--catalog DIR] [--format text|json]
vigil detect --package DIR RECORDING [--max-seconds ${MAX_RECORDING_SECONDS}] [--revoke] [--format text|json]
vigil detect URL [--queue] [--max-mb N] [--max-minutes N] [--resolve HOST:PORT:ADDR]... [--allow-private] [--format text|json]
  Look for the forensic watermark in a leaked video or screenshot and say whose copy it was.
  A still image (PNG/JPEG) needs --original: the source video or image it was taken from.
  Every key is tried: the active one and those in VIGIL_WATERMARK_KEYRING_DIR (the keys the embed
  ledger names for this file first); the report names the key that matched.
  When no payload decodes, or one decodes that the embed ledger does not name for this content
  under its key (averaged copies can forge a valid-looking ID), the ledger test scores the mark
  against every recipient the ledger records copies for (of this content when the leak's or the
  original's file is in the ledger, else under the key): it reports "colluder named: X" or "no ID",
  and names an innocent with a chance of at most 1e-6.
  The recipient and the copy are looked up in the database (DATABASE_URL, or the embedded one);
  if it cannot be reached, detect fails (VIGIL-E0201). --catalog DIR is an explicit offline mode:
  recipients from the catalog files in DIR, no database, and the output says so.
  An http(s) URL instead of a file records a detection request (as /vigil detect URL in Slack does)
  and runs it here: the link is downloaded through the crawler's safe fetcher (no private addresses
  unless --allow-private or VIGIL_CRAWL_ALLOW_PRIVATE; --resolve as in curl), whatever it is: a
  video file, an HLS or DASH playlist (the best variant within the byte bound, its segments
  joined), or a page whose player names the video (<video>, og:video, JSON-LD, an iframe one level
  down, a download link). Each stage is printed: Downloading, Detecting, then Completed (recipient,
  watermark ID, confidence), Failed (no mark found), or Error (the copy does not meet the detection
  requirements: at least 10 s and 160x120 of video; or the download was refused: too large, too
  slow, a playlist that loops). --max-mb (default 1024) and --max-minutes (default 10) bound the
  download. --queue enqueues the request for a detect worker instead and follows it until it ends.
  --package DIR reads a recording of a re-stream (cut anywhere, rescaled, re-encoded) against the
  A/B package vigil package wrote in DIR: it aligns the recording to the title, decides A or B per
  segment by comparing it with both variants (a confidence each), and decodes the session pattern
  to its watermark ID, or says why not (at least 48 marked segments are needed; at most
  --max-seconds, default and limit ${MAX_RECORDING_SECONDS}, of the recording are read). No key is needed.
  The streaming session that has the ID (vigil session start, the session API) is looked up in the
  database and named with its viewer. It is then revoked as vigil revoke SESSION_ID does (every edge
  refuses it from its next request on; on record, audited) when --revoke is given or the Policy says
  so (spec.revocation.automatic: true, audited as automation:policy, for spec.revocation.durationSeconds);
  otherwise a card with a Revoke button is posted to the Policy's channels.alerts (else channels.findings)
  in Slack for a revoke approver (spec.approvers.revoke), or, with no channel, the command is printed.
  Exit codes: ${DETECT_EXIT.attributed} mark found and attributed (to a recipient; with --package, to a session); ${DETECT_EXIT.noMark} no mark found; ${DETECT_EXIT.usage} usage error;
  ${DETECT_EXIT.error} any other error (key, media, database; for a URL: Error or Canceled); ${DETECT_EXIT.unattributed} mark found but its ID has no recipient (or session) on record, or a blind ID the ledger does not name was set aside and the ledger test named no one.`;

/** Every error exits 2 or more: 1 means only "no mark". */
export function exitCodeFor(error: VigilError): number {
  return error.errorName === 'USAGE' ? DETECT_EXIT.usage : DETECT_EXIT.error;
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x >= 0.995 || x < 0.01 ? 1 : 0)} %`;
}

export function describeOutcome(o: DetectOutcome): string[] {
  const lines: string[] = [];
  const evidence = o.kind === 'video'
    ? `mark present in ${o.framesWithMark} of ${o.framesUsed} frames (${pct(o.markedFraction)})${o.seconds !== undefined ? `, ${o.seconds.toFixed(1)} s analysed` : ''}`
    : `one still compared with the original${o.originalTime !== undefined ? ` (matched the frame at ${o.originalTime.toFixed(2)} s)` : ''}`;
  const offline = o.lookup.source === 'catalog' ? [`offline: recipients looked up in the catalog files at ${o.lookup.dir}, not in the database`] : [];
  const missing = o.missingKeyIds.length > 0 ? [`the embed ledger names key${o.missingKeyIds.length > 1 ? 's' : ''} ${o.missingKeyIds.join(', ')} for this file, not in the keyring (VIGIL_WATERMARK_KEYRING_DIR)`] : [];
  const ledger = o.accusation ? ledgerLines(o.accusation, o.recipient?.name) : [];
  if (!o.found || o.watermarkId === undefined) {
    if (o.accusation?.blindWatermarkId !== undefined) return [`No recipient named in ${o.leak}.`, ...ledger, evidence, ...missing, ...offline];
    lines.push(`No watermark found in ${o.leak}.`);
    lines.push(o.kind === 'video'
      ? `${o.framesUsed} frames analysed with ${o.keysTried} key${o.keysTried === 1 ? '' : 's'}; nothing decoded. The copy may be unmarked, marked with a key not in the keyring, or too damaged.`
      : `Nothing decoded from the still with ${o.keysTried} key${o.keysTried === 1 ? '' : 's'}. It may be unmarked, marked with a key not in the keyring, or not taken from this original.`);
    return [...lines, ...ledger, ...missing, ...offline];
  }
  const who = o.recipient
    ? `${o.recipient.name} (recipient ${o.recipient.recipientId}${o.recipient.retired ? ', retired' : ''}; from the ${o.recipient.source})`
    : o.copy && !o.copy.allocated ? 'an unallocated lab copy: no recipient answers for this ID' : 'no recipient on record for this ID';
  lines.push(`Watermark ID ${o.watermarkId}: ${who}`);
  if (o.attribution === 'ledger test') lines.push(...ledger);
  else lines.push(`confidence ${o.confidence >= 0.999999 ? '>99.9999 %' : pct(o.confidence)} (false-alarm probability ${o.falseAlarmProbability.toExponential(1)}), key ${o.keyId}`);
  lines.push(evidence);
  if (o.copy) {
    const c = o.copy;
    lines.push(`copy: embed ledger #${c.id}, ${c.outputPath}, made ${c.at.toISOString()} by ${c.actor}${c.embedJobId ? `, EmbedJob ${c.embedJobId}` : ''}${c.catalogCommit ? `, commit ${c.catalogCommit}` : ''}`);
  }
  return [...lines, ...missing, ...offline];
}

/** The ledger test's lines: why it ran (the blind ID it set aside) and its verdict. */
function ledgerLines(a: LedgerAccusation, name: string | undefined): string[] {
  const why = a.blindWatermarkId !== undefined
    ? `the blind decoder read watermark ID ${a.blindWatermarkId}, which the embed ledger does not name for this content under its key: set aside (averaged copies can forge a valid-looking ID)`
    : 'no valid payload decoded blind: the recipients the embed ledger names were tested against the mark';
  return [why, ledgerVerdict(a, name)];
}

export function exitCodeOf(o: DetectOutcome): number {
  if (!o.found) return o.accusation?.blindWatermarkId !== undefined ? DETECT_EXIT.unattributed : DETECT_EXIT.noMark;
  return o.recipient ? DETECT_EXIT.attributed : DETECT_EXIT.unattributed;
}

/** Every option this command accepts; `vigil help` must name each (test/cli/help.test.ts). */
export const options = {
  ...formatOption, original: { type: 'string' }, catalog: { type: 'string' },
  queue: { type: 'boolean', default: false }, 'max-mb': { type: 'string' }, 'max-minutes': { type: 'string' },
  resolve: { type: 'string', multiple: true }, 'allow-private': { type: 'boolean', default: false },
  package: { type: 'string' }, 'max-seconds': { type: 'string' }, revoke: { type: 'boolean', default: false },
} as const;

function fmtPct(x: number): string {
  return x >= 0.999995 ? '>99.999 %' : `${(x * 100).toFixed(1)} %`;
}

export function describeRestream(r: RestreamResult): string[] {
  const lines: string[] = [];
  const where = `package ${r.packageId ?? '?'}${r.contentId ? ` (${r.contentId})` : ''} in ${r.packageDir}`;
  if (r.found && r.watermarkId !== undefined) {
    lines.push(`Watermark ID ${r.watermarkId}: the session pattern of ${r.recording}, read against ${where}`);
  } else {
    lines.push(`No session watermark ID found in ${r.recording} (${where}).`);
    lines.push(`reason: ${r.reason ?? 'unknown'}`);
  }
  lines.push(`${r.secondsAnalysed.toFixed(1)} s of recording analysed${r.offsetSeconds !== undefined ? `; it starts ${r.offsetSeconds.toFixed(2)} s into the title` : ''}${r.rate !== undefined && Math.abs(r.rate - 1) >= 0.005 ? ` and plays at ${(r.rate * 100).toFixed(1)} % speed` : ''}${r.geometry && (r.geometry.sx < 0.995 || r.geometry.sy < 0.995) ? `; it shows ${(r.geometry.sx * 100).toFixed(0)} × ${(r.geometry.sy * 100).toFixed(0)} % of the picture` : ''}${r.geometry && Math.abs(r.geometry.angle) >= 0.005 ? `, turned ${((r.geometry.angle * 180) / Math.PI).toFixed(1)}°` : ''}; ${r.segments.length} marked segments read in ${(r.elapsedMs / 1000).toFixed(1)} s`);
  for (const s of r.segments) lines.push(`  ${s.uri}  position ${s.position}  ${s.variant === 0 ? 'A' : 'B'}  z ${s.z.toFixed(1)}  confidence ${fmtPct(s.confidence)}`);
  return lines;
}

async function runRestream(dir: string, recording: string, maxSeconds: string | undefined, revoke: boolean, format: 'text' | 'json', io: CliIo, ctx: Context): Promise<number> {
  let max: number | undefined;
  if (maxSeconds !== undefined) {
    max = Number(maxSeconds);
    if (!Number.isFinite(max) || max <= 0 || max > MAX_RECORDING_SECONDS) throw new VigilError('USAGE', `vigil detect --max-seconds must be a number of seconds from 1 to ${MAX_RECORDING_SECONDS}, not ${JSON.stringify(maxSeconds)}`);
  }
  const progress = progressReporter(io.stderr, ctx.log, 'detect', { recording, package: dir });
  let result: RestreamResult;
  try {
    result = await detectRestream({
      packageDir: path.resolve(io.cwd, dir), recording: path.resolve(io.cwd, recording), ...(max !== undefined ? { maxSeconds: max } : {}),
      signal: io.signal, log: ctx.log, onProgress: (p) => progress.update(p),
    });
  } finally {
    progress.done();
  }
  const session = result.found && result.watermarkId !== undefined ? await sessionByWatermarkId((await ctx.db()).pool, result.watermarkId) : undefined;
  if (format === 'json') print(io.stdout, JSON.stringify({ ...result, session: session ?? null }, null, 2));
  else for (const line of [...describeRestream(result), ...(result.found ? describeSession(session) : [])]) print(io.stdout, line);
  if (!result.found) return DETECT_EXIT.noMark;
  if (!session) return DETECT_EXIT.unattributed;
  if (session.revokedAt) return DETECT_EXIT.attributed;
  // JSON keeps stdout for the result: what was done with the session is told on stderr.
  const told = format === 'json' ? { ...io, stdout: io.stderr } : io;
  return (await respondToTrace(session, result, revoke, told, ctx)) ? DETECT_EXIT.attributed : DETECT_EXIT.error;
}

/**
 * The session a re-stream was traced to: revoked at once (--revoke, or the Policy's
 * revocation.automatic), else a Revoke card owed to Slack (the Policy's channel), else the command
 * printed. False when a revocation did not reach every mirror (it is pushed again later).
 */
async function respondToTrace(session: StreamingSession, result: RestreamResult, revoke: boolean, io: CliIo, ctx: Context): Promise<boolean> {
  const pool = (await ctx.db()).pool;
  const response = tracedSessionResponse(await appliedPolicy(pool), revoke);
  const traced = `re-stream ${path.basename(result.recording)} traced to watermark ID ${result.watermarkId ?? '?'} (${result.segments.length} marked segments)`;
  if (response.kind === 'revoke') {
    const open = await openRevoker(ctx);
    try {
      const by = response.by === 'policy'
        ? { actor: 'automation:policy', reason: `the Policy revokes automatically (spec.revocation.automatic): ${traced}` }
        : { actor: `cli:${io.env.USER ?? 'unknown'}`, reason: `revoked with vigil detect --package --revoke: ${traced}` };
      if (response.by === 'policy') print(io.stdout, 'the Policy revokes a traced session automatically (spec.revocation.automatic):');
      const outcome = await applyRevocation(open.revoker, { op: 'add', items: [{ id: session.id, durationSeconds: response.durationSeconds }] }, by);
      return printRevocation(outcome, response.durationSeconds, io) === 0;
    } finally {
      open.close();
    }
  }
  if (response.kind === 'ask') {
    const recording = path.basename(result.recording);
    await offerSessionRevocation(pool, {
      sessionId: session.id, channel: response.channel, recording, watermarkId: session.watermarkId, segments: result.segments.length, seconds: Math.round(result.secondsAnalysed),
    }, { actor: `cli:${io.env.USER ?? 'unknown'}`, reason: `${traced}; the Policy leaves the revocation to a revoke approver` });
    // The card reaches the slack queue now if Redis answers, else by any worker's outbox relay.
    try {
      await drainOutbox(pool, queueAdder((name) => ctx.queue(name)));
    } catch (error) {
      ctx.log.warn({ err: (error as Error).message }, 'the Revoke card waits in the outbox for a worker to relay it');
    }
    print(io.stdout, `  a card with a Revoke button goes to ${response.channel} in Slack for a revoke approver (the Policy's revocation.automatic is false); or: ${revokeCommandLine([session.id])}`);
    return true;
  }
  print(io.stdout, `  to cut it off: ${revokeCommandLine([session.id])} (or set the Policy's revocation.automatic, or channels.alerts for a Revoke button in Slack)`);
  return true;
}

function describeSession(session: StreamingSession | undefined): string[] {
  if (!session) return ['no streaming session on record has this watermark ID (it may belong to another database)'];
  const state = session.revokedAt ? `revoked ${session.revokedAt.toISOString()}` : `expires ${session.expiresAt.toISOString()}`;
  return [
    `session ${session.id} of viewer ${session.viewer}${session.contentId ? ` (${session.contentId})` : ''}, issued ${session.issuedAt.toISOString()}, ${state}`,
  ];
}

/** A leak given as a link rather than a file. */
export function isLink(leak: string): boolean {
  return /^https?:\/\//i.test(leak);
}

export async function run(argv: string[], io: CliIo, ctx: Context): Promise<number> {
  const { values, positionals } = parse('detect', argv, options);
  const format = formatOf('detect', values.format);
  if (!positionals[0]) throw new VigilError('USAGE', values.package !== undefined ? 'vigil detect --package DIR: give the RECORDING file' : 'vigil detect: give the LEAK file');
  if (values.package !== undefined) {
    const stray = (['original', 'catalog', 'max-mb', 'max-minutes', 'resolve'] as const).filter((k) => values[k] !== undefined);
    if (stray.length > 0 || values.queue || values['allow-private']) throw new VigilError('USAGE', `vigil detect --package: --${stray[0] ?? (values.queue ? 'queue' : 'allow-private')} does not apply to a re-stream recording`);
    if (isLink(positionals[0])) throw new VigilError('USAGE', 'vigil detect --package: give the recording as a file (download it first)');
    return runRestream(values.package, positionals[0], values['max-seconds'], values.revoke, format, io, ctx);
  }
  if (values['max-seconds'] !== undefined) throw new VigilError('USAGE', 'vigil detect: --max-seconds is for --package DIR RECORDING');
  if (values.revoke) throw new VigilError('USAGE', 'vigil detect: --revoke is for --package DIR RECORDING (a re-stream names a session; a file names a recipient)');
  const urlOnly = (['queue', 'max-mb', 'max-minutes', 'resolve', 'allow-private'] as const).filter((k) => values[k] !== undefined && values[k] !== false);
  if (isLink(positionals[0])) {
    if (values.original !== undefined || values.catalog !== undefined) throw new VigilError('USAGE', 'vigil detect URL: --original and --catalog are for a file; a link is detected blind, with recipients from the database');
    return runDetectUrl({
      url: positionals[0], format, queue: values.queue, maxMb: values['max-mb'], maxMinutes: values['max-minutes'], allowPrivate: values['allow-private'], resolve: values.resolve ?? [],
    }, io, ctx, DETECT_EXIT);
  }
  if (urlOnly.length > 0) throw new VigilError('USAGE', `vigil detect: --${urlOnly[0]} is for a link (vigil detect URL), not a file`);
  const progress = progressReporter(io.stderr, ctx.log, 'detect', { leak: positionals[0] });
  let outcome: DetectOutcome;
  try {
    outcome = await runDetectCommand(
      { leak: positionals[0], original: values.original, offlineCatalogDir: values.catalog },
      {
        env: io.env, cwd: io.cwd, signal: io.signal, log: ctx.log, onProgress: (p) => progress.update(p),
        pool: async () => (await ctx.db()).pool,
      },
    );
  } finally {
    progress.done();
  }
  if (format === 'json') {
    const { native, byKey: _cells, ...rest } = outcome;
    print(io.stdout, JSON.stringify({ ...rest, attributed: outcome.found && outcome.recipient !== undefined, pilotZ: native.pilotZ, dataZ: native.dataZ }, null, 2));
  } else {
    for (const line of describeOutcome(outcome)) print(io.stdout, line);
  }
  return exitCodeOf(outcome);
}
