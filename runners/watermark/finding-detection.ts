import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UnrecoverableError } from 'bullmq';
import type pg from 'pg';
import { jobError } from '../../core/bullmq.js';
import { DETECTION_ENDED, takedownHeldForDetection } from '../../core/db/finding-actions.js';
import { findingById, setDetectionStatus } from '../../core/db/findings.js';
import type { Config } from '../../core/config.js';
import { isVigilError, VigilError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { DetectionStatus } from '../../core/status.js';
import { probeMedia } from '../media/probe.js';
import type { VideoMedia } from '../monitor/acquire.js';
import { createFetcher, parseResolve } from '../monitor/fetch.js';
import { runDetectCommand } from './detect.js';
import { downloadLeak, type LeakLimits, type LeakSource } from './leak-download.js';
import { ledgerVerdict, type LedgerAccusation } from './ledger-accusation.js';
import type { RecipientMatch } from './recipients.js';
import { RequirementNotMet, unmetRequirement, type Requirement } from './requirements.js';

/**
 * Watermark detection on a finding: download the leaked copy behind it (through the safe fetcher,
 * bounded), read the recipient ID, and keep the finding's detection status in step with the seed
 * service's values: Downloading → Detecting → Completed (mark found: recipient, watermark ID,
 * confidence) / Failed (no mark found, with how close it came) / Error (the copy does not meet the
 * detection requirements, or the download was refused, or a fault that passes still failed on the
 * last attempt) / Canceled (stopped by a person). What was found is recorded on the finding
 * (evidence.detection) and every step is audited.
 */

export interface FindingDetectionDeps {
  pool: pg.Pool;
  config: Config;
  log: Logger;
  env: Record<string, string | undefined>;
  cwd: string;
  signal?: AbortSignal;
  /** Bounds of the download (tests and `vigil detect URL --max-mb/--max-minutes` narrow them). */
  limits?: Partial<LeakLimits>;
  /** Hears each step of the download in a sentence (the CLI prints them). */
  onStep?: (message: string) => void;
  /** Hears each stage as it is recorded (the CLI prints them). */
  onStage?: (stage: LeakStage, reason: string) => void;
}

/** The job was stopped because its worker closes, not by a person: it is tried again, never Canceled. */
export class WorkerClosing extends Error {
  constructor() {
    super('worker closing');
  }
}

export interface FindingDetectionResult {
  findingId: number;
  /** The status recorded; 'retry' when nothing final was recorded and the job should be tried again. */
  status: DetectionStatus | 'retry';
  found?: boolean;
  watermarkId?: number;
  recipient?: string;
  confidence?: number;
  requirement?: Requirement;
  reason?: string;
}

async function setStatus(deps: FindingDetectionDeps, findingId: number, status: DetectionStatus, reason: string, detection?: Record<string, unknown>): Promise<void> {
  await setDetectionStatus(deps.pool, findingId, status, { actor: 'detector', reason }, detection);
  // Detection ended, in whatever final state (completed or declined): a takedown its monitoring job
  // asked for, held until now so the copy stayed up for detection, may go.
  if (DETECTION_ENDED.includes(status)) await takedownHeldForDetection(deps.pool, findingId);
}

/** The leaked video a finding points at: phase 2 (monitor/confirm.ts) keeps it as evidence.phase2.media and .kind. */
export function mediaOf(evidence: Record<string, unknown>): VideoMedia | undefined {
  const phase2 = evidence.phase2;
  if (typeof phase2 !== 'object' || phase2 === null) return undefined;
  const { media: url, kind } = phase2 as Record<string, unknown>;
  if (typeof url !== 'string' || (kind !== 'video' && kind !== 'hls' && kind !== 'dash')) return undefined;
  return { url, kind };
}

/** What detection found on a leaked copy, as a finding or a detection request keeps it. */
export interface LeakDetection {
  found: boolean;
  watermarkId: number | null;
  /** As the lookup found it (name, id, retired …), kept whole on the record. */
  recipient: RecipientMatch | null;
  keyId: string | null;
  ledgerId: number | null;
  confidence: number;
  falseAlarmProbability: number;
  /** The pilot's peak in standard deviations of chance: how close a copy without a readable mark came (about 5 reads a mark). */
  pilotZ: number;
  markedFraction: number;
  framesUsed: number;
  seconds: number | null;
  /** Who named the ID: the blind decoder, or the ledger test (null when none was named). */
  attribution: 'blind' | 'ledger test' | null;
  /** The ledger test, when it ran (no valid blind payload, or one the ledger does not name), with its verdict and bound. */
  ledgerTest: (LedgerAccusation & { verdict: string }) | null;
  /** What was downloaded and from where. */
  download: LeakSource & { bytes: number };
  at: string;
}

/** Which stage a download-and-detect is at, for the record it keeps in step. */
export type LeakStage = 'downloading' | 'detecting';

/**
 * Downloads a leaked copy (leak-download.ts: a file, HLS, DASH or a player page) into a scratch
 * folder, checks the detection requirements, reads its watermark, and removes the folder. `step`
 * hears each stage first. Shared by detection on a finding and on a link a person gave.
 */
export async function downloadAndDetect(deps: FindingDetectionDeps, url: string, step: (stage: LeakStage, reason: string) => Promise<void>): Promise<LeakDetection> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vigil-leak-'));
  try {
    const stage = async (s: LeakStage, reason: string): Promise<void> => {
      await step(s, reason);
      deps.onStage?.(s, reason);
    };
    await stage('downloading', `downloading ${url}`);
    const fetch = createFetcher({ allowPrivate: deps.config.crawler.allowPrivate, resolve: parseResolve(deps.config.crawler.resolve), ...(deps.signal ? { signal: deps.signal } : {}) });
    const leak = await downloadLeak(fetch, url, dir, { ...(deps.limits ? { limits: deps.limits } : {}), ...(deps.signal ? { signal: deps.signal } : {}), ...(deps.onStep ? { onStep: deps.onStep } : {}) });
    const what = `the copy at ${leak.source.url}`;
    const info = await probeMedia(leak.file, deps.signal).catch((error: unknown) => {
      if (deps.signal?.aborted) throw error;
      throw new RequirementNotMet('undecodable', `${what} (${leak.bytes} bytes) cannot be read as video: ${(error as Error).message}`, error);
    });
    const unmet = unmetRequirement(info, what);
    if (unmet) throw unmet;
    await stage('detecting', `detecting in ${leak.bytes} bytes (${leak.source.kind}, ${info.video!.width}x${info.video!.height}, ${info.duration.toFixed(1)} s)`);
    const outcome = await runDetectCommand({ leak: leak.file }, { env: deps.env, cwd: deps.cwd, pool: async () => deps.pool, ...(deps.signal ? { signal: deps.signal } : {}), log: deps.log }).catch((error: unknown) => {
      // The decoder giving up on a copy that probed is the copy's fault, not ours.
      if (isVigilError(error, 'MEDIA_FAILED')) throw new RequirementNotMet('undecodable', `${what} cannot be decoded: ${error.message}`, error);
      if (isVigilError(error, 'NO_VIDEO_TRACK')) throw new RequirementNotMet('no video', `${what} has no video stream`, error);
      throw error;
    });
    return {
      found: outcome.found, watermarkId: outcome.watermarkId ?? null, recipient: outcome.recipient ?? null, keyId: outcome.keyId ?? null, ledgerId: outcome.copy?.id ?? null,
      confidence: outcome.confidence, falseAlarmProbability: outcome.falseAlarmProbability, pilotZ: outcome.native.pilotZ, markedFraction: outcome.markedFraction,
      framesUsed: outcome.framesUsed, seconds: outcome.seconds ?? null, attribution: outcome.attribution ?? null,
      ledgerTest: outcome.accusation ? { ...outcome.accusation, verdict: ledgerVerdict(outcome.accusation, outcome.recipient?.name) } : null, download: { ...leak.source, bytes: leak.bytes }, at: new Date().toISOString(),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** How a detection that did not reach a result ends: Canceled, Error (final), or a retry. */
export type DetectionStop =
  | { status: 'Canceled'; reason: string }
  | { status: 'Error'; reason: string; requirement?: Requirement }
  | { status: 'retry'; reason: string };

function reasonOf(error: unknown): string {
  return isVigilError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);
}

/**
 * Pure: why a detection did not reach a result. Canceled: a person stopped it. Error: the copy does
 * not meet the detection requirements (which one is kept), the download was refused (too large, too
 * slow, a looping playlist, a private address, no video on the page), or a fault that can pass (the
 * network, the database, our side) failed on the last attempt. Otherwise: retry, and BullMQ's
 * attempts and backoff (core/bullmq.ts) decide when. A worker closing is never a person's cancel.
 */
export function detectionStop(error: unknown, signal: AbortSignal | undefined, lastAttempt: boolean): DetectionStop {
  const reason = reasonOf(error);
  if (signal?.aborted && !(signal.reason instanceof WorkerClosing)) return { status: 'Canceled', reason: `stopped: ${reason}` };
  if (error instanceof RequirementNotMet) return { status: 'Error', reason, requirement: error.requirement };
  const final = jobError(error) instanceof UnrecoverableError && !(signal?.aborted);
  if (final || lastAttempt) return { status: 'Error', reason };
  return { status: 'retry', reason };
}

/** What a detection found, in a sentence for the audit log. */
export function detectionReason(d: LeakDetection): string {
  const confidence = `confidence ${(d.confidence * 100).toFixed(d.confidence >= 0.999 ? 2 : 1)} %`;
  if (d.ledgerTest) {
    const aside = d.ledgerTest.blindWatermarkId !== undefined ? `blind watermark ID ${d.ledgerTest.blindWatermarkId} set aside (the ledger does not name it for this content); ` : '';
    return `${aside}${d.ledgerTest.verdict}`;
  }
  if (d.found) return `watermark ID ${d.watermarkId}${d.recipient ? ` (${d.recipient.name})` : ' (no recipient on record)'} found, ${confidence}`;
  return `no watermark found in ${d.framesUsed} frames (${confidence}; pilot ${d.pilotZ.toFixed(1)} σ, a mark reads from about 5 σ)`;
}

/** The status a detection's result records: a mark found is Completed, none is Failed. */
export function statusOfResult(d: LeakDetection): 'Completed' | 'Failed' {
  return d.found ? 'Completed' : 'Failed';
}

/**
 * Runs detection on a finding. `lastAttempt` (from the detect job; true outside a queue) says
 * whether a fault that can pass ends it as Error or is left for the job's next attempt ('retry':
 * the finding stays Downloading and the worker throws).
 */
export async function detectFinding(deps: FindingDetectionDeps, findingId: number, lastAttempt = true): Promise<FindingDetectionResult> {
  const row = await findingById(deps.pool, findingId);
  if (!row) throw new VigilError('FINDING_UNKNOWN', `no finding has id ${findingId}; it cannot be detected`);
  const media = mediaOf(row.evidence);
  if (!media) {
    const reason = 'the finding has no video to download (an image set, or a page phase 2 never fetched)';
    await setStatus(deps, findingId, 'Not Available', reason);
    return { findingId, status: 'Not Available', reason };
  }
  try {
    const detection = await downloadAndDetect(deps, media.url, (stage, reason) => setStatus(deps, findingId, stage === 'downloading' ? 'Downloading' : 'Detecting', reason));
    const status = statusOfResult(detection);
    await setStatus(deps, findingId, status, detectionReason(detection), { ...detection });
    return {
      findingId, status, found: detection.found, confidence: detection.confidence,
      ...(detection.watermarkId === null ? {} : { watermarkId: detection.watermarkId }),
      ...(detection.recipient ? { recipient: detection.recipient.name } : {}),
    };
  } catch (error) {
    const stop = detectionStop(error, deps.signal, lastAttempt);
    if (stop.status === 'retry') {
      deps.log.warn({ findingId, reason: stop.reason }, 'detection on a finding did not complete; it is tried again');
      return { findingId, status: 'retry', reason: stop.reason };
    }
    const requirement = stop.status === 'Error' ? stop.requirement : undefined;
    await setStatus(deps, findingId, stop.status, stop.reason, { found: false, ...(requirement ? { requirement } : {}), reason: stop.reason, at: new Date().toISOString() });
    deps.log.warn({ findingId, status: stop.status, reason: stop.reason }, 'detection on a finding ended without a result');
    return { findingId, status: stop.status, ...(requirement ? { requirement } : {}), reason: stop.reason };
  }
}
