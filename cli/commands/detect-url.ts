import { setTimeout as sleep } from 'node:timers/promises';
import { detectionRequestById, isFinalRequestStatus, requestLinkDetection, type DetectionRequest } from '../../core/db/detection-requests.js';
import { drainOutbox } from '../../core/db/outbox.js';
import { ERROR_CODES, isVigilError, VigilError, type ErrorName } from '../../core/errors.js';
import { queueAdder } from '../../core/relay.js';
import { parseResolve } from '../../runners/monitor/fetch.js';
import { DEFAULT_LEAK_LIMITS, type LeakLimits } from '../../runners/watermark/leak-download.js';
import { detectLink, type UrlDetectionResult } from '../../runners/watermark/url-detection.js';
import type { Context } from '../context.js';
import { print, type CliIo, type Format } from '../io.js';

/**
 * `vigil detect URL`: a detection request on a link, recorded as /vigil detect URL records one
 * (core/db/detection-requests.ts, via 'cli', so Slack is not told), then run in this process, or
 * with --queue enqueued for a worker and followed until it ends. Each stage is printed as it is
 * recorded, then the result: recipient, watermark ID and confidence.
 */

/** Exit codes, the same as for a file (detect.ts DETECT_EXIT). */
export interface UrlExitCodes {
  attributed: number;
  noMark: number;
  error: number;
  unattributed: number;
}

export interface DetectUrlOptions {
  url: string;
  format: Format;
  queue: boolean;
  maxMb?: string | undefined;
  maxMinutes?: string | undefined;
  allowPrivate: boolean;
  resolve: string[];
}

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new VigilError('USAGE', `vigil detect: --${name} must be a positive number, not ${JSON.stringify(value)}`);
  return n;
}

/** The download bounds the options ask for (the defaults otherwise). */
export function limitsOf(o: Pick<DetectUrlOptions, 'maxMb' | 'maxMinutes'>): Partial<LeakLimits> {
  const mb = positive('max-mb', o.maxMb);
  const minutes = positive('max-minutes', o.maxMinutes);
  return { ...(mb === undefined ? {} : { maxBytes: Math.round(mb * 1024 * 1024) }), ...(minutes === undefined ? {} : { maxTimeMs: Math.round(minutes * 60_000) }) };
}

function pct(x: number): string {
  return x >= 0.999999 ? '>99.9999 %' : `${(x * 100).toFixed(x >= 0.995 ? 2 : 1)} %`;
}

/** The result lines of a finished request, from its record. */
export function describeRequest(r: Pick<DetectionRequest, 'id' | 'status' | 'result' | 'reason' | 'url'>): string[] {
  const res = r.result ?? {};
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  const confidence = num(res.confidence);
  const recipient = typeof res.recipient === 'object' && res.recipient !== null ? (res.recipient as { name?: unknown; recipientId?: unknown }) : undefined;
  switch (r.status) {
    case 'Completed': {
      const who = typeof recipient?.name === 'string' ? `${recipient.name}${typeof recipient.recipientId === 'string' ? ` (recipient ${recipient.recipientId})` : ''}` : 'no recipient on record for this ID';
      return [
        `request #${r.id}: Completed — watermark ID ${String(res.watermarkId)}: ${who}`,
        `confidence ${confidence === undefined ? '?' : pct(confidence)}${num(res.falseAlarmProbability) === undefined ? '' : ` (false-alarm probability ${num(res.falseAlarmProbability)!.toExponential(1)})`}${typeof res.keyId === 'string' ? `, key ${res.keyId}` : ''}`,
      ];
    }
    case 'Failed':
      return [`request #${r.id}: Failed — no watermark found in ${r.url}`, r.reason];
    case 'Error':
      return [`request #${r.id}: Error${typeof res.requirement === 'string' ? ` — the copy does not meet the detection requirements (${res.requirement})` : ''}`];
    case 'Canceled':
      return [`request #${r.id}: Canceled — ${r.reason}`];
    default:
      return [`request #${r.id}: ${r.status} — ${r.reason}`];
  }
}

function exitOf(r: Pick<DetectionRequest, 'status' | 'result'>, codes: UrlExitCodes): number {
  if (r.status === 'Completed') return typeof r.result?.recipient === 'object' && r.result.recipient !== null ? codes.attributed : codes.unattributed;
  return r.status === 'Failed' ? codes.noMark : codes.error;
}

/** Follows a queued request in the database until it ends or `waitMs` passes. */
async function follow(ctx: Context, io: CliIo, id: number, waitMs: number, text: boolean): Promise<DetectionRequest> {
  const pool = (await ctx.db()).pool;
  const until = Date.now() + waitMs;
  let last = '';
  for (;;) {
    const r = (await detectionRequestById(pool, id))!;
    const line = `${r.status}: ${r.reason}`;
    if (line !== last && text) print(io.stdout, `request #${id}: ${r.status}${r.reason ? ` — ${r.reason}` : ''}`);
    last = line;
    if (isFinalRequestStatus(r.status)) return r;
    if (Date.now() > until || io.signal?.aborted) return r;
    await sleep(500, undefined, io.signal ? { signal: io.signal } : undefined).catch(() => undefined);
  }
}

export async function runDetectUrl(o: DetectUrlOptions, io: CliIo, ctx: Context, codes: UrlExitCodes): Promise<number> {
  const limits = limitsOf(o);
  parseResolve(o.resolve); // a bad --resolve is a usage error before anything is recorded
  const text = o.format === 'text';
  const pool = (await ctx.db()).pool;
  const request = await requestLinkDetection(pool, { url: o.url, requestedBy: `cli:${io.env.USER ?? 'unknown'}`, via: 'cli', enqueue: o.queue });
  if (text) print(io.stdout, `request #${request.id}: ${o.queue ? 'queued for a detect worker' : 'recorded'} — ${request.url}`);
  let final: DetectionRequest;
  let result: UrlDetectionResult | undefined;
  if (o.queue) {
    const queued = await drainOutbox(pool, queueAdder((name) => ctx.queue(name)));
    if (text && queued > 0) print(io.stdout, `request #${request.id}: on the detect queue; a worker (vigil worker --queues detect) runs it`);
    const wait = (limits.maxTimeMs ?? DEFAULT_LEAK_LIMITS.maxTimeMs) + 120_000;
    final = await follow(ctx, io, request.id, wait, text);
    if (!isFinalRequestStatus(final.status)) {
      print(io.stderr, `request #${request.id} is still ${final.status} after ${Math.round(wait / 1000)} s; it stays recorded and a detect worker finishes it (is one running? vigil worker --queues detect)`);
      return codes.error;
    }
  } else {
    const config = { ...ctx.config, crawler: { allowPrivate: o.allowPrivate || ctx.config.crawler.allowPrivate, resolve: [...ctx.config.crawler.resolve, ...o.resolve] } };
    result = await detectLink({
      pool, config, log: ctx.log, env: io.env, cwd: io.cwd, limits, ...(io.signal ? { signal: io.signal } : {}),
      onStage: (stage, reason) => { if (text) print(io.stdout, `request #${request.id}: ${stage === 'downloading' ? 'Downloading' : 'Detecting'} — ${reason}`); },
      onStep: (message) => { if (text) print(io.stdout, `  ${message}`); },
    }, request.id, true);
    final = (await detectionRequestById(pool, request.id))!;
  }
  if (o.format === 'json') {
    print(io.stdout, JSON.stringify({ requestId: final.id, url: final.url, status: final.status, reason: final.reason, result: final.result }, null, 2));
  } else {
    for (const line of describeRequest(final)) if (line) print(io.stdout, line);
  }
  // On Error the coded error (with its fix) is what a person reads last, and the exit code says so.
  if (final.status === 'Error' || final.status === 'Canceled') {
    if (result && isVigilError(result.error)) throw result.error;
    const coded = codedError(final.reason);
    if (coded) throw coded;
    print(io.stderr, `error: detection request #${final.id} on ${final.url} ended ${final.status}: ${final.reason}`);
  }
  return exitOf(final, codes);
}

/** The VigilError a recorded reason ("VIGIL-E0406: …", as a worker wrote it) names, to print with its fix. */
export function codedError(reason: string): VigilError | undefined {
  const m = /^(VIGIL-E\d{4}): ([\s\S]*)$/.exec(reason.replace(/^stopped: /, ''));
  const name = m ? (Object.keys(ERROR_CODES) as ErrorName[]).find((n) => ERROR_CODES[n].code === m[1]) : undefined;
  return name ? new VigilError(name, m![2]!) : undefined;
}
